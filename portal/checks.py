"""Checks (`manage.py check`, and `check --deploy`) for settings Django itself does not know."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from requests_app.models.audit import MINIMUM_RETENTION_YEARS

MIN_KEY_LENGTH = 32


@register(Tags.security)
def audit_retention(app_configs, **kwargs):
    """`manage.py` commands run this before they start (migrate, prune_audit_log, …); the pruning
    itself refuses such a value too."""
    if settings.AUDIT_RETENTION_YEARS < MINIMUM_RETENTION_YEARS:
        return [
            Error(
                f"AUDIT_RETENTION_YEARS is {settings.AUDIT_RETENTION_YEARS}; audit records must be "
                f"kept at least {MINIMUM_RETENTION_YEARS} years.",
                hint=(
                    "Log lines are kept at least five years from when they were written (Besluit "
                    "elektronische gegevensverwerking door zorgaanbieders art. 5(2); Stcrt. 2019, "
                    "38007). Set AUDIT_RETENTION_YEARS to 5 or more."
                ),
                id="portal.E001",
            )
        ]
    return []


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
