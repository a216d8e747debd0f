"""The API's one error format, `{"errors": {"field": ["message", ...]}}`, for every refusal: our
own (ApiError), Django Ninja's (its 422 validation errors become a 400 with field names, a
missing key a 401), a body too large for Django, a method not allowed and an unknown address.
Messages follow the request's language (Accept-Language; Dutch by default)."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

UNSTORABLE = gettext_lazy(
    "The request contains characters that cannot be processed (a NUL character, a control "
    "character or an unpaired surrogate)."
)


class ApiError(Exception):
    """A refusal, answered in the one error format. Raised anywhere an operation runs (also in
    the body's parser); nothing has been changed when it is raised."""

    def __init__(self, status: int, errors: dict[str, list[str]], headers: dict | None = None):
        super().__init__(status, errors)
        self.status, self.errors, self.headers = status, errors, headers or {}


def error_response(status: int, errors: dict, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse({"errors": {k: [str(m) for m in v] for k, v in errors.items()}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unauthorised() -> JsonResponse:
    return error_response(
        401,
        {"authorization": [_("A valid API key is required.")]},
        {"WWW-Authenticate": 'Bearer realm="api"'},
    )


def no_such_request() -> ApiError:
    # The same answer for an unknown reference and another client's request.
    return ApiError(404, {"reference": [_("No request with this reference.")]})


def not_found(request: HttpRequest, exception=None) -> JsonResponse:
    return error_response(404, {"path": [_("There is nothing at this address of the API.")]})


def _field(loc: tuple) -> str:
    """The field an error is about, as the client wrote it: `patient.email` in the body, the
    parameter or header by its own name."""
    source, *rest = (str(part) for part in loc)
    if source == "body":
        rest = rest[1:]  # the operation's name for the body, not the client's
    return ".".join(rest) or source


def _message(error: dict) -> str:
    """A validation error in our own words (pydantic's are English only)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("string_type", "string_sub_type"):
        return _("This field must be a string.")
    if kind == "bool_type":
        return _("This field must be true or false.")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("This field must be an object.")
    if kind == "enum":
        return _("Choose one of: %(values)s.") % {"values": ctx.get("expected", "")}
    if kind == "string_too_long":
        return _("Use at most %(n)d characters.") % {"n": ctx.get("max_length", 0)}
    if kind == "string_too_short":
        return _("Use at least %(n)d characters.") % {"n": ctx.get("min_length", 0)}
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    return _("This value is not valid.")


def _validation_error(request: HttpRequest, exc: ValidationError) -> JsonResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field(tuple(error.get("loc") or ("body",))), []).append(_message(error))
    return error_response(400, errors)


def _http_error(request: HttpRequest, exc: HttpError) -> JsonResponse:
    if isinstance(exc, AuthenticationError):
        return unauthorised()
    # Ninja wraps whatever the body's parser raised; our parser raises ApiError.
    if isinstance(exc.__cause__, ApiError):
        return _api_error(request, exc.__cause__)
    return error_response(exc.status_code, {"request": [str(exc)]})


def _api_error(request: HttpRequest, exc: ApiError) -> JsonResponse:
    return error_response(exc.status, exc.errors, exc.headers)


def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> JsonResponse:
    return error_response(413, {"body": [_("The request body is too large.")]})


def not_json() -> ApiError:
    return ApiError(415, {"body": [_("The request body must be JSON (application/json).")]})


def _read_as_form(request: HttpRequest, exc: RawPostDataException) -> JsonResponse:
    # A multipart body was read as a form (portal.middleware checks every form): not JSON.
    return _api_error(request, not_json())


def _http404(request: HttpRequest, exc: Http404) -> JsonResponse:
    return not_found(request)


def install(api: NinjaAPI) -> None:
    """Answer every refusal of `api` in the error format. Anything else (a fault of ours) is
    left to Django: a 500, logged."""
    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(ValidationError, _validation_error)
    api.add_exception_handler(HttpError, _http_error)
    api.add_exception_handler(RequestDataTooBig, _too_big)
    api.add_exception_handler(RawPostDataException, _read_as_form)
    api.add_exception_handler(Http404, _http404)


def json_refusals(view: Callable) -> Callable:
    """Ninja answers a method an address does not take with a plain-text 405, and its root
    address with Django's 404 page; ours are in the error format (the 405 with its Allow)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            message = _("This address does not take %(method)s.") % {"method": request.method}
            response = error_response(405, {"method": [message]}, {"Allow": response["Allow"]})
        return response

    return wrapper
