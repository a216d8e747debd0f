"""Per-request rules: input nothing can store is refused, nothing is kept in a browser's cache,
the audit log's origin, and the second factor staff must have."""

import logging
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from requests_app import access
from requests_app.audit import Origin, current_origin
from requests_app.validators import is_storable

logger = logging.getLogger(__name__)


class NoStoreMiddleware:
    """Pages hold patient data (and forms a patient filled in), so no browser or proxy may keep
    any of them: on a shared PC the next user would find them in the cache or by going back.
    Static files are served before this runs and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class RefuseUnstorableInputMiddleware:
    """A NUL byte cannot be stored in PostgreSQL text, and bytes that are not UTF-8 (such as an
    encoded surrogate, %ED%A0%80) are not text at all: Django would pass them on as a NUL that
    fails in a query (a server error) or silently replace them. Refused here, once, with a 400:
    in the path, the query, a form field, a cookie or a header, before any session, view or
    query sees them. (The API checks its JSON body itself.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = _unreadable_part(request)
        if where is None:
            return self.get_response(request)
        logger.warning("Refused a request with a NUL or non-UTF-8 bytes in its %s", where)
        message = _(
            "The address or the form contains characters that cannot be processed "
            "(such as a NUL character). Nothing has been saved."
        )
        if request.path_info.startswith("/api/"):
            return JsonResponse({"errors": {where: [message]}}, status=400)
        # Before the session and locale middleware: nothing of the session is read or saved.
        with translation.override(translation.get_language_from_request(request)):
            return render(request, "400.html", {"reason": message}, status=400)


def _unreadable_part(request) -> str | None:
    """Which part of the request holds a NUL or bytes that are not text, if any."""
    encoding = request.encoding or settings.DEFAULT_CHARSET
    # Django keeps bytes of the path that are not UTF-8 percent-encoded (%ED%A0%80 stays so).
    path = request.path_info.encode("utf-8", "surrogatepass")
    if not _text(unquote_to_bytes(path), "utf-8"):
        return "path"
    if not _form_text(_raw(request, "QUERY_STRING"), encoding):
        return "query"
    if not _text(_raw(request, "HTTP_COOKIE"), "utf-8") or not all(
        is_storable(k) and is_storable(v) for k, v in request.COOKIES.items()
    ):
        return "cookie"  # a cookie value may also spell NUL as "\\000"
    headers = (v for k, v in request.META.items() if k.startswith("HTTP_"))
    if not all(is_storable(v) for v in headers if isinstance(v, str)):
        return "header"
    if request.method == "POST":
        if request.content_type == "application/x-www-form-urlencoded":
            if not _form_text(request.body, encoding):
                return "form"
        elif request.content_type == "multipart/form-data" and not all(
            is_storable(k) and all(map(is_storable, values)) for k, values in request.POST.lists()
        ):
            return "form"
    return None


def _raw(request, key: str) -> bytes:
    """The bytes as they came (WSGI gives them as ISO-8859-1 text)."""
    try:
        return get_bytes_from_wsgi(request.META, key, "")
    except UnicodeEncodeError:  # not from a WSGI server: already text, and not ISO-8859-1
        return request.META[key].encode("utf-8", "surrogatepass")


def _text(raw: bytes, encoding: str) -> bool:
    try:
        return is_storable(raw.decode(encoding))
    except UnicodeDecodeError:
        return False


def _form_text(raw: bytes, encoding: str) -> bool:
    """Every name and value of a query string or url-encoded form is text without NUL."""
    return all(
        _text(unquote_to_bytes(part.replace(b"+", b" ")), encoding)
        for pair in raw.split(b"&")
        for part in pair.split(b"=", 1)
    )


class AuditOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Behind a proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips)
        # rather than trusting a client-supplied X-Forwarded-For here.
        token = current_origin.set(Origin(source_ip=request.META.get("REMOTE_ADDR") or None))
        try:
            return self.get_response(request)
        finally:
            current_origin.reset(token)


class StaffSecondFactorMiddleware:
    """A staff account without a second factor (TOTP or a security key) may only set one up:
    every other page sends it to the set-up page. Patients are not affected."""

    ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and (
                access.is_practice_staff(user) or access.is_processor_support(user) or user.is_staff
            )
            and not has_second_factor(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def has_second_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy from settings (Django 5.2 has no built-in one)."""

    def __init__(self, get_response):
        from django.conf import settings

        self.policy = settings.CONTENT_SECURITY_POLICY
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.policy)
        return response
