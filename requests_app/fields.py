"""A text field stored encrypted (Fernet: AES-128-CBC with HMAC-SHA256), for values such as the
BSN that must never sit in the database, a backup or a log in the clear."""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "enc1:"


def fernet() -> Fernet:
    key = getattr(settings, "FIELD_ENCRYPTION_KEY", "")
    if not key:
        # Derived from SECRET_KEY when no key of its own is configured; production sets one
        # (see README) so that rotating SECRET_KEY does not make the stored values unreadable.
        key = base64.urlsafe_b64encode(
            hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
        ).decode()
    try:
        return Fernet(key)
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be 32 url-safe base64 bytes") from exc


def lookup_digest(value: str) -> str:
    """A keyed hash to find an encrypted value (e.g. a BSN from an identity broker) without
    decrypting every row; without the key it reveals nothing, unlike a plain hash of 9 digits."""
    key = (getattr(settings, "FIELD_ENCRYPTION_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(key, b"lookup:" + value.strip().encode(), hashlib.sha256).hexdigest()


def encrypt(value: str) -> str:
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption was introduced
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("stored value cannot be decrypted with this key") from exc


class EncryptedTextField(models.TextField):
    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
