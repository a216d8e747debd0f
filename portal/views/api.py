"""JSON API for the patient app's backend: submit a request, read its status."""

import hashlib
import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from portal.forms.api import ApiIntakeForm
from requests_app import audit, selectors
from requests_app.models import ApiClient, AuditAction, Request
from requests_app.validators import is_storable
from workflows import counters
from workflows.intake import submission as intake

PATIENT_FIELDS = ("name", "birth_date", "email", "phone", "patient_number", "bsn")
MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 10  # the submission itself is two levels deep
IDEMPOTENCY_KEY_MAX = 200
UNSTORABLE = gettext_lazy(
    "The request contains characters that cannot be processed (a NUL character, a control "
    "character or an unpaired surrogate)."
)


def _errors(status: int, errors: dict) -> JsonResponse:
    return JsonResponse({"errors": errors}, status=status)


def _client(request: HttpRequest) -> ApiClient | None:
    scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
    return ApiClient.authenticate(key.strip()) if scheme.lower() == "bearer" else None


def _unauthorised() -> JsonResponse:
    response = _errors(401, {"authorization": [_("A valid API key is required.")]})
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _as_json(item: Request, *, with_forwarded: bool = False) -> dict:
    data = {
        "reference": item.reference,
        "state": item.state,
        "received_at": item.received_at.isoformat(),
    }
    if with_forwarded:
        data["forwarded_at"] = item.forwarded_at.isoformat() if item.forwarded_at else None
        data["duplicate_of"] = _duplicate_of(item)
    return data


def _duplicate_of(item: Request) -> str | None:
    """The reference of the request this one is linked to as a possible duplicate (or was
    merged into); None when there is none. Only a request the same client submitted is named:
    another's reference (from the web form or another app) would tell this client of a request
    it did not make, and is a handle to that request."""
    first = item.duplicate_of
    if first is None or first.api_client_id is None or first.api_client_id != item.api_client_id:
        return None
    return first.reference


def _flatten(body: dict) -> tuple[dict, dict]:
    """Map the nested JSON onto form fields; returns (data, structural errors)."""
    patient = body.get("patient")
    if not isinstance(patient, dict):
        return {}, {"patient": [_("This field is required and must be an object.")]}
    data = {key: body.get(key) for key in ("practice", "kind", "description")}
    data.update({key: patient.get(key) for key in PATIENT_FIELDS})
    wrong_type = [k for k, v in data.items() if v is not None and not isinstance(v, str)]
    if wrong_type:
        return {}, {_api_name(k): [_("This field must be a string.")] for k in wrong_type}
    return {k: v for k, v in data.items() if v is not None}, {}


def _api_name(field: str) -> str:
    return f"patient.{field}" if field in PATIENT_FIELDS else field


def _parse(raw: bytes) -> tuple[object, str | None]:
    """The body as JSON, or (None, why not). Besides malformed JSON this refuses what would
    fail later: nesting too deep for the parser (RecursionError) or for any sane client, and a
    NUL or an unpaired surrogate ("\\ud800") in any string, which cannot be stored."""
    try:
        body = json.loads(raw)
    except RecursionError:
        return None, _("The request body is nested too deeply.")
    except (ValueError, UnicodeDecodeError):
        return None, _("The request body is not valid JSON.")
    pending = [(body, 1)]  # walked without recursion, however the parser was built
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return None, _("The request body is nested too deeply.")
        if isinstance(value, dict):
            if not all(is_storable(k) for k in value):
                return None, UNSTORABLE
            pending.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            pending.extend((v, depth + 1) for v in value)
        elif isinstance(value, str) and not is_storable(value):
            return None, UNSTORABLE
    return body, None


def _over_quota(client: ApiClient) -> JsonResponse | None:
    """The client's own quota (a leaked key must not flood practices or mail strangers)."""
    wait = counters.take(
        "api-client", str(client.pk), [(60, client.per_minute), (24 * 60 * 60, client.per_day)]
    )
    if wait is None:
        return None
    response = _errors(
        429, {"rate_limit": [_("This API client has used its quota; try again later.")]}
    )
    response["Retry-After"] = str(wait)
    return response


@csrf_exempt
@require_POST
def create_request(request: HttpRequest) -> JsonResponse:
    client = _client(request)
    if client is None:
        return _unauthorised()
    if request.content_type != "application/json":
        return _errors(415, {"body": [_("The request body must be JSON (application/json).")]})
    try:
        too_large = int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES
        too_large = too_large or len(request.body) > MAX_BODY_BYTES
    except (ValueError, RequestDataTooBig):
        too_large = True
    if too_large:
        return _errors(413, {"body": [_("The request body is too large.")]})
    body, problem = _parse(request.body)
    if problem:
        return _errors(400, {"body": [problem]})
    if not isinstance(body, dict):
        return _errors(400, {"body": [_("The request body must be a JSON object.")]})
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        return _errors(400, {"Idempotency-Key": [_("The idempotency key is too long.")]})
    if not key.isprintable():
        return _errors(400, {"Idempotency-Key": [UNSTORABLE]})

    data, structural = _flatten(body)
    about_processor = body.get("about_processor", False)
    if not isinstance(about_processor, bool):
        structural["about_processor"] = [_("This field must be true or false.")]
    if structural:
        return _errors(400, structural)
    form = ApiIntakeForm({**data, "about_processor": about_processor})
    if not form.is_valid():
        return _errors(400, {_api_name(f): msgs for f, msgs in form.errors.items()})
    submission = form.submission()
    replay = key and selectors.request_by_idempotency_key(client, key) is not None
    if not replay and (refused := _over_quota(client)):
        return refused
    if not replay and not counters.allow(
        "intake-email",
        submission.patient.email,
        limit=settings.INTAKE_LIMIT_PER_EMAIL,
        window_seconds=60 * 60,
    ):
        response = _errors(
            429, {"rate_limit": [_("Too many requests for this e-mail address; try again later.")]}
        )
        response["Retry-After"] = "3600"
        return response
    fingerprint = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    try:
        item, created = intake.submit_from_api(
            api_client=client,
            idempotency_key=key or None,
            fingerprint=fingerprint,
            submission=submission,
        )
    except intake.IdempotencyConflict:
        return _errors(
            409, {"Idempotency-Key": [_("This key was already used for a different request.")]}
        )
    response = JsonResponse(_as_json(item), status=201)
    if not created:
        response["Idempotent-Replayed"] = "true"
    return response


@require_GET
def request_status(request: HttpRequest, reference: str) -> JsonResponse:
    client = _client(request)
    if client is None:
        return _unauthorised()
    # A client sees only the requests it submitted itself.
    item = selectors.requests_of_api_client(client).filter(reference=reference).first()
    if item is None:
        return _errors(404, {"reference": [_("No request with this reference.")]})
    audit.record("request.status", AuditAction.READ, user_label=f"api:{client.name}", request=item)
    return JsonResponse(_as_json(item, with_forwarded=True))
