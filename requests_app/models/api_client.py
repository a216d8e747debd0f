"""API clients: the patient app's backend. A client holds several keys, so that one can be
rotated without downtime; each key is shown once and stored hashed. A client may have a webhook
address and the secret its events are signed with."""

import datetime
import hashlib
import secrets

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.fields import EncryptedTextField

KEY_PREFIX = "dsr_"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# A leaked key must not let anyone flood practices and mail strangers: submissions per client are
# capped per minute and per (UTC) day. The app's backend normally needs far fewer.
DEFAULT_PER_MINUTE = 60
DEFAULT_PER_DAY = 2000
# A key's last use is written at most this often: a write per call would cost every call.
LAST_USED_GRANULARITY = datetime.timedelta(minutes=1)
# After the webhook secret is rotated, events are signed with the old one as well for this long,
# so the receiver can switch over without dropping events.
SECRET_OVERLAP = datetime.timedelta(hours=24)


def hash_key(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("active"), default=True)
    per_minute = models.PositiveIntegerField(
        _("submissions per minute"),
        default=DEFAULT_PER_MINUTE,
        validators=[MinValueValidator(1)],
        help_text=_("Further submissions in the same minute are refused (HTTP 429)."),
    )
    per_day = models.PositiveIntegerField(
        _("submissions per day"),
        default=DEFAULT_PER_DAY,
        validators=[MinValueValidator(1)],
        help_text=_("Counted per calendar day in UTC."),
    )
    # Where events about this client's requests are posted (HTTPS in production); blank: none.
    webhook_url = models.URLField(_("webhook address"), max_length=500, blank=True)
    webhook_secret = EncryptedTextField(blank=True, editable=False)
    # The secret before the last rotation, still signed with until SECRET_OVERLAP has passed.
    previous_webhook_secret = EncryptedTextField(blank=True, editable=False)
    webhook_secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, name: str, **quotas: int) -> tuple["ApiClient", str]:
        """Create a client with its first key and return both; the key is not stored: it is
        shown once. `quotas` may set per_minute and per_day."""
        client = cls(name=name, **quotas)
        client.full_clean()
        client.save()
        _key, plain = ApiKey.issue(client)
        return client, plain

    @classmethod
    def authenticate(cls, key: str) -> "ApiClient | None":
        api_key = ApiKey.authenticate(key)
        return api_key.client if api_key else None

    def signing_secrets(self, now: datetime.datetime | None = None) -> list[str]:
        """The secrets an event is signed with now: the current one, and the previous one
        during the overlap after a rotation."""
        now = now or timezone.now()
        found = [self.webhook_secret] if self.webhook_secret else []
        rotated = self.webhook_secret_rotated_at
        if self.previous_webhook_secret and rotated and now - rotated < SECRET_OVERLAP:
            found.append(self.previous_webhook_secret)
        return found

    def rotate_webhook_secret(self, now: datetime.datetime | None = None) -> str:
        """A new signing secret (returned once); the old one is still signed with for a day."""
        secret = new_secret()
        if self.webhook_secret:
            self.previous_webhook_secret = self.webhook_secret
            self.webhook_secret_rotated_at = now or timezone.now()
        self.webhook_secret = secret
        self.save(
            update_fields=[
                "webhook_secret",
                "previous_webhook_secret",
                "webhook_secret_rotated_at",
            ]
        )
        return secret


class ApiKey(models.Model):
    """One key of a client. Revoked keys stay, so the list shows what was used and when."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="keys")
    label = models.CharField(_("label"), max_length=100, blank=True)
    key_hint = models.CharField(_("key hint"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.CharField(max_length=254, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.CharField(max_length=254, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.client_id} {self.key_hint}…"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def issue(cls, client: ApiClient, *, label: str = "", by: str = "") -> tuple["ApiKey", str]:
        """A new key for the client (the old ones keep working until revoked); the plain key
        is returned once and not stored."""
        plain = new_key()
        key = cls.objects.create(
            client=client, label=label, key_hint=plain[:10], key_hash=hash_key(plain), created_by=by
        )
        return key, plain

    @classmethod
    def authenticate(cls, plain: str, now: datetime.datetime | None = None) -> "ApiKey | None":
        """The active key of an active client, or None. Notes its last use (at most once per
        LAST_USED_GRANULARITY, with a conditional update: concurrent calls write once)."""
        if not plain or not plain.startswith(KEY_PREFIX) or len(plain) > 100:
            return None
        key = (
            cls.objects.select_related("client")
            .filter(key_hash=hash_key(plain), revoked_at__isnull=True, client__active=True)
            .first()
        )
        if key is None:
            return None
        now = now or timezone.now()
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_GRANULARITY:
            cls.objects.filter(pk=key.pk).filter(
                models.Q(last_used_at__isnull=True)
                | models.Q(last_used_at__lte=now - LAST_USED_GRANULARITY)
            ).update(last_used_at=now)
            key.last_used_at = now
        return key

    def revoke(self, *, by: str = "", now: datetime.datetime | None = None) -> bool:
        """Revoke the key at once; False when it already was."""
        now = now or timezone.now()
        done = (
            type(self)
            .objects.filter(pk=self.pk, revoked_at__isnull=True)
            .update(revoked_at=now, revoked_by=by)
        )
        if done:
            self.revoked_at, self.revoked_by = now, by
        return bool(done)
