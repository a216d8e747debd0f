"""The patient app's API clients, as the processor administrator manages them (in the screens and
by `manage.py api_clients`): create a client with its first key, issue more keys and revoke them
(several keys are active at once, so a key is rotated without downtime: issue a new one, switch
the app over, revoke the old), the webhook address and its signing secret, the quotas, and
whether the client is active.

A key or secret is returned once and never stored in plain: only its hash (keys) or encrypted
(the webhook secret, which the portal signs with). Every act writes one audit record naming who
did it; a key appears there, as everywhere outside the answer that shows it, only by its hint."""

import datetime
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import audit
from requests_app.errors import DomainError
from requests_app.models import ApiClient, ApiKey, AuditAction, AuditRecord
from requests_app.models.api_client import DEFAULT_PER_DAY, DEFAULT_PER_MINUTE, SECRET_OVERLAP
from requests_app.validators import hidden_characters, is_storable, validate_webhook_url

# Keys a client may hold at once: enough for a rotation (and one spare), few enough that
# forgotten keys are noticed and revoked.
MAX_ACTIVE_KEYS = 5
# The highest quotas the screens accept: far above what an app's backend needs, and within the
# database's integer.
MAX_PER_MINUTE = 100_000
MAX_PER_DAY = 10_000_000
NAME_MAX_LENGTH = ApiClient._meta.get_field("name").max_length
LABEL_MAX_LENGTH = ApiKey._meta.get_field("label").max_length


class ClientExists(DomainError):
    """Another client already has this name."""


class KeyRefused(DomainError):
    """The key cannot be issued or revoked (already revoked, too many keys); nothing changed."""


def _who(actor, actor_label: str) -> str:
    """The name a key's `created_by` and `revoked_by` keep: the account's address, or what the
    command was run as."""
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.email or actor.get_username()
    return actor_label


def _record(
    event: str,
    action: AuditAction,
    client: ApiClient,
    *,
    actor,
    actor_label: str,
    via: str,
    **facts,
) -> None:
    audit.record(
        f"api_client.{event}",
        action,
        user=actor,
        user_label=actor_label,
        object_type="api_client",
        object_id=str(client.pk),
        details={"client": client.name, "via": via, **facts},
    )


def _locked(client: ApiClient) -> ApiClient:
    return ApiClient.objects.select_for_update().get(pk=client.pk)


def _refresh(client: ApiClient, locked: ApiClient) -> None:
    for field in ApiClient._meta.concrete_fields:
        setattr(client, field.attname, getattr(locked, field.attname))


# --- The values a client and a key take --------------------------------------------------------
def _one_line(value: str, *, max_length: int, too_long, hidden) -> str:
    """A name or label staff read and compare: one line, as long as allowed, every character
    visible and in its written direction."""
    text = (value or "").strip()
    if len(text) > max_length:
        raise ValidationError(too_long % {"max": max_length}, code="max_length")
    if not is_storable(text) or hidden_characters(text) or any(c in text for c in "\r\n\t"):
        raise ValidationError(hidden, code="characters")
    return text


def clean_name(value: str) -> str:
    if not (value or "").strip():
        raise ValidationError(_("Enter the client's name."), code="required")
    return _one_line(
        value,
        max_length=NAME_MAX_LENGTH,
        too_long=_("The name is longer than %(max)s characters."),
        hidden=_(
            "The name cannot contain invisible characters or characters that change the "
            "direction of the text."
        ),
    )


def clean_label(value: str) -> str:
    return _one_line(
        value,
        max_length=LABEL_MAX_LENGTH,
        too_long=_("The label is longer than %(max)s characters."),
        hidden=_(
            "The label cannot contain invisible characters or characters that change the "
            "direction of the text."
        ),
    )


def clean_quotas(per_minute: int, per_day: int) -> tuple[int, int]:
    from django.utils.formats import number_format

    errors = {}
    for field, value, most in (
        ("per_minute", per_minute, MAX_PER_MINUTE),
        ("per_day", per_day, MAX_PER_DAY),
    ):
        if not isinstance(value, int) or not 1 <= value <= most:
            errors[field] = _("Enter a whole number from 1 to %(max)s.") % {
                "max": number_format(most, force_grouping=True)
            }
    if errors:
        raise ValidationError(errors)
    return per_minute, per_day


# --- Acts, each with its audit record ------------------------------------------------------------
def create_client(
    *,
    name: str,
    per_minute: int = DEFAULT_PER_MINUTE,
    per_day: int = DEFAULT_PER_DAY,
    label: str = "",
    actor=None,
    actor_label: str = "",
    via: str = "form",
) -> tuple[ApiClient, str]:
    """A new, active client with its first key; the key is returned this once and not kept."""
    name = clean_name(name)
    label = clean_label(label)
    per_minute, per_day = clean_quotas(per_minute, per_day)
    if ApiClient.objects.filter(name__iexact=name).exists():
        raise ClientExists(_("A client named %(name)s already exists.") % {"name": name})
    try:
        with transaction.atomic():
            client = ApiClient.objects.create(name=name, per_minute=per_minute, per_day=per_day)
            key, plain = ApiKey.issue(client, label=label, by=_who(actor, actor_label))
            _record(
                "create",
                AuditAction.CREATE,
                client,
                actor=actor,
                actor_label=actor_label,
                via=via,
                per_minute=per_minute,
                per_day=per_day,
                key=key.key_hint,
            )
    except IntegrityError as exc:  # the same name added at the same moment
        raise ClientExists(_("A client named %(name)s already exists.") % {"name": name}) from exc
    return client, plain


@transaction.atomic
def issue_key(
    client: ApiClient, *, label: str = "", actor=None, actor_label: str = "", via: str = "form"
) -> tuple[ApiKey, str]:
    """Another key for the client; the keys it has keep working until they are revoked. The key
    is returned this once and not kept."""
    label = clean_label(label)
    locked = _locked(client)  # two issues at once cannot pass the cap together
    if locked.keys.filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_KEYS:
        raise KeyRefused(
            _(
                "This client already has %(max)s active keys. Revoke a key that is no longer "
                "used first."
            )
            % {"max": MAX_ACTIVE_KEYS}
        )
    key, plain = ApiKey.issue(locked, label=label, by=_who(actor, actor_label))
    _record(
        "key_issue",
        AuditAction.CREATE,
        locked,
        actor=actor,
        actor_label=actor_label,
        via=via,
        key=key.key_hint,
        label=label,
    )
    return key, plain


@transaction.atomic
def revoke_key(key: ApiKey, *, actor=None, actor_label: str = "", via: str = "form") -> int:
    """Revoke the key at once. The client's last active key may be revoked too: the client is
    then cut off until a new key is issued. Returns how many active keys the client has left."""
    client = _locked(key.client)
    if not key.revoke(by=_who(actor, actor_label)):
        raise KeyRefused(
            _("The key %(hint)s… was already revoked; nothing was changed.")
            % {"hint": key.key_hint}
        )
    left = client.keys.filter(revoked_at__isnull=True).count()
    _record(
        "key_revoke",
        AuditAction.UPDATE,
        client,
        actor=actor,
        actor_label=actor_label,
        via=via,
        key=key.key_hint,
        label=key.label,
        active_keys_left=left,
    )
    return left


def _without_query(url: str) -> str:
    """The address as recorded: a query string may carry the receiver's own token, which an
    audit record has no need of."""
    if not url:
        return ""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


@transaction.atomic
def set_webhook(
    client: ApiClient, url: str, *, actor=None, actor_label: str = "", via: str = "form"
) -> bool:
    """Set the address events are posted to, or clear it with ""; validated (see
    `validate_webhook_url`: ValidationError when refused). Returns whether it changed."""
    url = (url or "").strip()
    if url:
        validate_webhook_url(url)
    locked = _locked(client)
    if locked.webhook_url == url:
        return False
    previous = locked.webhook_url
    locked.webhook_url = url
    locked.save(update_fields=["webhook_url"])
    _record(
        "webhook_set" if url else "webhook_clear",
        AuditAction.UPDATE,
        locked,
        actor=actor,
        actor_label=actor_label,
        via=via,
        url=_without_query(url),
        previous=_without_query(previous),
    )
    _refresh(client, locked)
    return True


@transaction.atomic
def rotate_webhook_secret(
    client: ApiClient, *, actor=None, actor_label: str = "", via: str = "form"
) -> str:
    """A new signing secret, returned this once; the first call creates it. After a rotation
    events are signed with the old secret as well for SECRET_OVERLAP, so the receiver can switch
    over without rejecting any."""
    locked = _locked(client)
    first = not locked.webhook_secret
    secret = locked.rotate_webhook_secret()
    _record(
        "secret_create" if first else "secret_rotate",
        AuditAction.UPDATE,
        locked,
        actor=actor,
        actor_label=actor_label,
        via=via,
    )
    _refresh(client, locked)
    return secret


@transaction.atomic
def set_quotas(
    client: ApiClient,
    *,
    per_minute: int,
    per_day: int,
    actor=None,
    actor_label: str = "",
    via: str = "form",
) -> list[str]:
    """Change the client's submissions per minute and per day; returns the fields changed
    (none: nothing recorded)."""
    per_minute, per_day = clean_quotas(per_minute, per_day)
    locked = _locked(client)
    new = {"per_minute": per_minute, "per_day": per_day}
    changed = [field for field, value in new.items() if getattr(locked, field) != value]
    if not changed:
        return []
    before = {field: getattr(locked, field) for field in changed}
    for field in changed:
        setattr(locked, field, new[field])
    locked.save(update_fields=changed)
    _record(
        "quota",
        AuditAction.UPDATE,
        locked,
        actor=actor,
        actor_label=actor_label,
        via=via,
        **{field: [before[field], new[field]] for field in changed},
    )
    _refresh(client, locked)
    return changed


@transaction.atomic
def set_active(
    client: ApiClient, active: bool, *, actor=None, actor_label: str = "", via: str = "form"
) -> bool:
    """Deactivate the client (every key refused at once, the keys kept) or activate it again
    (its active keys work again). Returns whether it changed."""
    locked = _locked(client)
    if locked.active == active:
        return False
    locked.active = active
    locked.save(update_fields=["active"])
    _record(
        "activate" if active else "deactivate",
        AuditAction.UPDATE,
        locked,
        actor=actor,
        actor_label=actor_label,
        via=via,
    )
    _refresh(client, locked)
    return True


# --- Reading -----------------------------------------------------------------------------------
def client_list() -> QuerySet:
    """Every client by name, with its number of active keys and the last use of any key."""
    return ApiClient.objects.annotate(
        active_keys=Count("keys", filter=Q(keys__revoked_at__isnull=True)),
        last_used=Max("keys__last_used_at"),
    ).order_by("name")


def find_client(name: str) -> ApiClient | None:
    return ApiClient.objects.filter(name=name).first()


def keys_of(client: ApiClient) -> QuerySet:
    """The client's keys, active ones first, each newest first."""
    return client.keys.order_by(F("revoked_at").desc(nulls_first=True), "-created_at", "-id")


def find_key(client: ApiClient, hint: str) -> ApiKey | None:
    """The client's key with this hint (the first characters of the key, as lists show it)."""
    return (
        client.keys.filter(key_hint=hint).order_by(F("revoked_at").desc(nulls_first=True)).first()
    )


def secret_overlap_ends(client: ApiClient) -> datetime.datetime | None:
    """Until when the previous webhook secret is still signed with; None when it no longer is."""
    rotated = client.webhook_secret_rotated_at
    if not (client.previous_webhook_secret and rotated):
        return None
    ends = rotated + SECRET_OVERLAP
    return ends if ends > timezone.now() else None


def client_changes(client: ApiClient) -> QuerySet:
    """What was done to the client, newest first."""
    return AuditRecord.objects.filter(
        object_type="api_client", object_id=str(client.pk), event_type__startswith="api_client."
    ).order_by("-seq")
