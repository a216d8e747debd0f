"""The NEN 7513 audit log: one record per view, search, export or change of personal data.

Records form a hash chain (each carries the keyed hash, HMAC-SHA256, of its predecessor) and
PostgreSQL refuses updates and deletes of them (a trigger, see migration 0007; the runtime role may
only insert and read them, see `provision_db_roles`), so a changed, removed or reordered record is
found by `manage.py verify_audit_log`. The key is not in the database: whoever holds only the
database cannot compute a valid chain, and checkpoints kept outside it (`audit_anchors`) catch
a rewrite by someone who also holds the key.

After the retention period whole segments are removed by the tables' owner
(`manage.py prune_audit_log`); each removal leaves an `AuditRemovedSegment`, keyed like the
records, that the rest of the chain verifies against.
"""

import datetime
import hashlib
import hmac
import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import timezone


class AuditAction(models.TextChoices):
    CREATE = "C", "create"
    READ = "R", "read"
    UPDATE = "U", "update"
    DELETE = "D", "delete"
    EXECUTE = "E", "execute"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "success"
    DENIED = "denied", "denied"
    FAILURE = "failure", "failure"


class AuditRecord(models.Model):
    # Position in the chain: 1, 2, 3, … without gaps (a gap is a deleted record).
    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now)
    event_type = models.CharField(max_length=60)
    action = models.CharField(max_length=1, choices=AuditAction.choices)
    outcome = models.CharField(
        max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    # Who, in which role, for what purpose (NEN 7513: user, role, purpose of use).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user_label = models.CharField(max_length=200)
    roles = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    # Where from (network access point).
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    # Whose data (patient identifier and its type) and which object.
    patient_id = models.CharField(max_length=254, blank=True)
    patient_id_type = models.CharField(max_length=30, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=100, blank=True)
    practice_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    source_system = models.CharField(max_length=60, default="dsr-portal")
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["practice_id_ref", "at"]),
            models.Index(fields=["patient_id"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.event_type} {self.user_label}"

    def canonical(self) -> bytes:
        """The fields the hash covers, in a fixed form."""
        fields = {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "event_type": self.event_type,
            "action": self.action,
            "outcome": self.outcome,
            "user_id": self.user_id,
            "user_label": self.user_label,
            "roles": self.roles,
            "purpose": self.purpose,
            "source_ip": self.source_ip,
            "patient_id": self.patient_id,
            "patient_id_type": self.patient_id_type,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "practice": self.practice_id_ref,
            "source_system": self.source_system,
            "details": self.details,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()

    def compute_hash(self) -> str:
        return hmac.new(chain_key(), self.canonical(), hashlib.sha256).hexdigest()


def chain_key() -> bytes:
    """AUDIT_CHAIN_KEY, or one derived from SECRET_KEY (its own salt) when none is configured.
    Neither is stored in the database."""
    if settings.AUDIT_CHAIN_KEY:
        return settings.AUDIT_CHAIN_KEY.encode()
    try:
        secret = settings.SECRET_KEY  # Django refuses an empty one
    except ImproperlyConfigured:
        raise ImproperlyConfigured("The audit chain needs AUDIT_CHAIN_KEY or SECRET_KEY.") from None
    return hashlib.sha256(("audit-chain:" + secret).encode()).digest()


# Log lines are kept at least five years from when they were written (Besluit elektronische
# gegevensverwerking door zorgaanbieders art. 5(2), ministerial decision Stcrt. 2019, 38007).
MINIMUM_RETENTION_YEARS = 5


class AuditRemovedSegment(models.Model):
    """A contiguous run of the chain that was removed after the retention period: which records
    (`first_seq`..`last_seq`, `count`), the hash the first one followed (`prev_hash`) and the
    last one's hash (`last_hash`, which the next remaining record names as its predecessor), the
    period they covered, and who removed them when. `mac` is keyed like the records, so a row
    made up by someone without the key to explain away deleted records does not verify."""

    first_seq = models.PositiveBigIntegerField(unique=True)
    last_seq = models.PositiveBigIntegerField(unique=True)
    count = models.PositiveBigIntegerField()
    prev_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    retention_years = models.PositiveSmallIntegerField()
    removed_at = models.DateTimeField(default=timezone.now)
    removed_by = models.CharField(max_length=200)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["first_seq"]

    def __str__(self) -> str:
        return f"removed #{self.first_seq}-#{self.last_seq}"

    @property
    def period(self) -> str:
        return f"{self.first_at:%Y-%m-%d} to {self.last_at:%Y-%m-%d}"

    def canonical(self) -> bytes:
        fields = {
            "kind": "removed-segment",  # never the same bytes as a record's
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "count": self.count,
            "prev_hash": self.prev_hash,
            "last_hash": self.last_hash,
            "first_at": _utc(self.first_at),
            "last_at": _utc(self.last_at),
            "retention_years": self.retention_years,
            "removed_at": _utc(self.removed_at),
            "removed_by": self.removed_by,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def compute_mac(self) -> str:
        return hmac.new(chain_key(), self.canonical(), hashlib.sha256).hexdigest()


def _utc(moment) -> str:
    """The same text before saving and after reading back, whatever the time zone."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


class AuditChainHead(models.Model):
    """One row: the last record's position and hash. Locking it serialises writers, so the
    chain has no forks."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
