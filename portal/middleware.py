"""Per-request rules: the audit log's origin, and the second factor staff must have."""

from django.shortcuts import redirect

from requests_app import access
from requests_app.audit import Origin, current_origin


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
