"""Deployment checks (`manage.py check --deploy`) for settings Django itself does not know."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

MIN_KEY_LENGTH = 32


@register(Tags.security, deploy=True)
def audit_chain_key(app_configs, **kwargs):
    hint = (
        'Set AUDIT_CHAIN_KEY to a long random value (python -c "import secrets; '
        'print(secrets.token_urlsafe(48))"), the same for migrate, web, workers and beat, kept '
        "outside the database. Set it before the audit chain is keyed (migration 0020): once "
        "records are keyed it must never change, or every record looks changed."
    )
    if not settings.AUDIT_CHAIN_KEY:
        return [
            Warning(
                "AUDIT_CHAIN_KEY is not set: the audit chain's key is derived from SECRET_KEY, "
                "so rotating SECRET_KEY would make the whole audit log look rewritten.",
                hint=hint,
                id="portal.W001",
            )
        ]
    if len(settings.AUDIT_CHAIN_KEY) < MIN_KEY_LENGTH:
        return [
            Warning(
                f"AUDIT_CHAIN_KEY is shorter than {MIN_KEY_LENGTH} characters.",
                hint=hint,
                id="portal.W002",
            )
        ]
    return []
