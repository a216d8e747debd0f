"""Checks (`manage.py check`, and `check --deploy`) for settings Django itself does not know, and
for the register of sub-processors against the channels and connectors that use them."""

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


def _used_subprocessors() -> dict[str, list[str]]:
    """Register name -> what uses it: the configured channels and connectors."""
    from workflows.assistance.connectors import configured_connectors
    from workflows.messaging.channels import configured_channels

    used: dict[str, list[str]] = {}
    for medium, channel in configured_channels().items():
        if channel.subprocessor:
            used.setdefault(channel.subprocessor, []).append(f"the {medium} channel")
    for connector in configured_connectors():
        if connector.subprocessor:
            used.setdefault(connector.subprocessor, []).append(f"the {connector.key} connector")
        host = getattr(connector, "hosted_by", "")
        if host:
            used.setdefault(host, []).append(f"the {connector.key} connector (its host)")
    return used


# It reads the database (the register is data), so it runs only with --deploy, like the checks
# Django tags `database`; without a readable register it says so instead of failing.
@register(Tags.database, "subprocessors", deploy=True)
def subprocessor_register(app_configs, **kwargs):
    """Every sub-processor a configured channel or connector sends data to is in the register,
    active, and approved by every active practice (agreement art. 7.1 and 3.7)."""
    from django.db import DatabaseError

    from requests_app.models import Practice, SubProcessor, SubProcessorApproval

    used = _used_subprocessors()
    if not used:
        return []
    try:
        entries = {s.name: s for s in SubProcessor.objects.filter(name__in=used)}
        practices = dict(Practice.objects.filter(active=True).values_list("pk", "name"))
        approved: dict[str, set[int]] = {}
        for name, practice_id in SubProcessorApproval.objects.filter(
            subprocessor__name__in=used, practice_id__in=practices
        ).values_list("subprocessor__name", "practice_id"):
            approved.setdefault(name, set()).add(practice_id)
    except DatabaseError as exc:
        return [
            Warning(
                f"The register of sub-processors could not be read: {exc}",
                hint="Run the migrations, then `manage.py check --deploy` again.",
                id="portal.W013",
            )
        ]
    found = []
    for name, users in sorted(used.items()):
        who = " and ".join(users) + (" send" if len(users) > 1 else " sends")
        entry = entries.get(name)
        if entry is None:
            found.append(
                Warning(
                    f"{who} personal data to {name}, which is not in the register of "
                    "sub-processors.",
                    hint="Add it in the admin (sub-processors) with its location, safeguard and "
                    "categories, and record each practice's written consent (agreement art. 7.1).",
                    obj=name,
                    id="portal.W010",
                )
            )
            continue
        if not entry.active:
            found.append(
                Warning(
                    f"{who} personal data to {name}, which is inactive in the register.",
                    hint="Make it active in the admin, or stop using it.",
                    obj=name,
                    id="portal.W011",
                )
            )
        missing = sorted(practices[pk] for pk in set(practices) - approved.get(name, set()))
        if missing:
            shown = ", ".join(missing[:5]) + (
                f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            )
            found.append(
                Warning(
                    f"{who} personal data to {name}, which {len(missing)} active "
                    f"practice(s) have not approved: {shown}.",
                    hint="Record each practice's prior written consent (agreement art. 7.1; "
                    "outside the EEA also art. 3.7) in the admin, or stop using it.",
                    obj=name,
                    id="portal.W012",
                )
            )
    return found


@register(Tags.security, deploy=True)
def processor_contacts(app_configs, **kwargs):
    """Bijlage 5: a practice must know whom at the processor to call about an incident. Before
    the first practice joins there is nobody to tell yet."""
    from django.db import DatabaseError

    from requests_app.models import ContactRole, Practice, ProcessorContact

    try:
        if not Practice.objects.filter(active=True).exists():
            return []
        roles = set(ProcessorContact.objects.values_list("role", flat=True))
    except DatabaseError:
        return []  # the register check (W013) already says the tables cannot be read
    # Checks speak English, as Django's own do.
    named = {ContactRole.PRIMARY: "the primary contact", ContactRole.STANDIN: "the stand-in"}
    missing = [named[r] for r in (ContactRole.PRIMARY, ContactRole.STANDIN) if r not in roles]
    if not missing:
        return []
    return [
        Warning(
            "The processor's incident contacts are incomplete: missing "
            + " and ".join(missing)
            + ".",
            hint="Record the primary contact and the stand-in of the processing agreement's "
            "Bijlage 5 in the admin (processor contacts); practices see them with every incident.",
            id="portal.W020",
        )
    ]


@register(Tags.security, deploy=True)
def webhook_addresses(app_configs, **kwargs):
    """Posting webhooks to local addresses is for development: in production a client's address
    could otherwise point at the portal's own network (workflows/webhooks/addresses.py)."""
    if settings.WEBHOOK_ALLOW_LOCAL and not settings.DEBUG:
        return [
            Warning(
                "WEBHOOK_ALLOW_LOCAL is on: API clients' webhooks may be posted over plain HTTP "
                "and to private addresses, such as this server's own network.",
                hint="Unset WEBHOOK_ALLOW_LOCAL in production: webhooks then go to public HTTPS "
                "addresses only, checked when each one is sent.",
                id="portal.W030",
            )
        ]
    return []
