"""API clients: the patient app's backend, identified by a key shown once and stored hashed."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

KEY_PREFIX = "dsr_"


def hash_key(key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(key.encode()).hexdigest()


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    key_hint = models.CharField(_("key hint"), max_length=12, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_hint}…)"

    @classmethod
    def issue(cls, name: str) -> tuple["ApiClient", str]:
        """Create a client and return it with its key, which is not stored: it is shown once."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        client = cls.objects.create(name=name, key_hint=key[:10], key_hash=hash_key(key))
        return client, key

    @classmethod
    def authenticate(cls, key: str) -> "ApiClient | None":
        if not key or not key.startswith(KEY_PREFIX):
            return None
        return cls.objects.filter(key_hash=hash_key(key), active=True).first()
