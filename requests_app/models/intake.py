"""A web submission waiting for the patient to confirm their e-mail address with a code.

The request itself is only stored once the code is right; until then the draft lives here,
with the rules for the code: 6 digits, valid 15 minutes, 5 wrong tries and it is spent.
"""

import datetime
import enum
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

CODE_TTL = datetime.timedelta(minutes=15)
MAX_ATTEMPTS = 5
# A draft nobody confirms is deleted after this; it holds personal data.
DRAFT_TTL = datetime.timedelta(hours=24)


class CodeCheck(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


def _new_token() -> str:
    return secrets.token_urlsafe(24)


class PendingSubmission(models.Model):
    token = models.CharField(max_length=40, unique=True, default=_new_token, editable=False)
    email = models.EmailField()
    payload = models.JSONField()
    language = models.CharField(max_length=5, default="nl")
    code_hash = models.CharField(max_length=64, editable=False)
    code_expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"pending {self.token[:6]}…"

    def _digest(self, code: str) -> str:
        message = f"{self.token}:{code}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()

    def issue_code(self, now: datetime.datetime | None = None) -> str:
        """Set a fresh code (the old one stops working) and return it for sending."""
        now = now or timezone.now()
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.code_hash = self._digest(code)
        self.code_expires_at = now + CODE_TTL
        self.attempts = 0
        self.codes_sent += 1
        return code

    def check_code(self, code: str, now: datetime.datetime | None = None) -> CodeCheck:
        """Compare a code; wrong tries count, the fifth wrong one spends the code."""
        now = now or timezone.now()
        if self.attempts >= MAX_ATTEMPTS:
            return CodeCheck.LOCKED
        if now >= self.code_expires_at:
            return CodeCheck.EXPIRED
        candidate = "".join(ch for ch in (code or "") if ch.isdigit())
        if hmac.compare_digest(self._digest(candidate), self.code_hash):
            return CodeCheck.OK
        self.attempts += 1
        return CodeCheck.LOCKED if self.attempts >= MAX_ATTEMPTS else CodeCheck.WRONG

    @property
    def attempts_left(self) -> int:
        return max(0, MAX_ATTEMPTS - self.attempts)

    @property
    def masked_email(self) -> str:
        local, _, domain = self.email.partition("@")
        return f"{local[:1]}•••@{domain}"
