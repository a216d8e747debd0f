"""API clients: the patient app's backend, identified by a key shown once and stored hashed."""

import hashlib
import secrets

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "dsr_"
# A leaked key must not let anyone flood practices and mail strangers: submissions per client are
# capped per minute and per (UTC) day. The app's backend normally needs far fewer.
DEFAULT_PER_MINUTE = 60
DEFAULT_PER_DAY = 2000


def hash_key(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    key_hint = models.CharField(_("key hint"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
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
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_hint}…)"

    @classmethod
    def issue(cls, name: str, **quotas: int) -> tuple["ApiClient", str]:
        """Create a client and return it with its key, which is not stored: it is shown once.
        `quotas` may set per_minute and per_day."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        client = cls(name=name, key_hint=key[:10], key_hash=hash_key(key), **quotas)
        client.full_clean(exclude=["key_hint", "key_hash"])
        client.save()
        return client, key

    @classmethod
    def authenticate(cls, key: str) -> "ApiClient | None":
        if not key or not key.startswith(KEY_PREFIX):
            return None
        return cls.objects.filter(key_hash=hash_key(key), active=True).first()
