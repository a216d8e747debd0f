"""Removing audit records after their retention period, a whole segment at a time.

A segment is one calendar month (UTC) of the chain: a contiguous run of records. It is removed
only when
- the whole month ended more than AUDIT_RETENTION_YEARS (at least five) years ago,
- no record in it concerns a request that still exists (its reference, one of its tasks or its
  incident, or the patient of a living request): the log of a living request is kept whole,
- the chain checks out, from #1 and against every checkpoint outside the database, and the
  segment's own records still link up when they are removed.

Each removal leaves an `AuditRemovedSegment` (first and last number, count, the hash before it
and its last hash, the period, who and when; keyed like the records) and an audit record of its
own, in the same transaction, so `verify_audit_log` goes on verifying the rest of the chain.

Only the owner of the tables can do this (`manage.py prune_audit_log`, run where migrations run):
the runtime role holds no DELETE on the audit table, and the append-only trigger lets the owner
delete only the segment it declared in its own transaction (migration 0021).
"""

import contextlib
import dataclasses
import datetime
import re
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from requests_app import audit, audit_anchors
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    AuditRecord,
    AuditRemovedSegment,
    Incident,
    Request,
)
from requests_app.models.audit import MINIMUM_RETENTION_YEARS
from requests_app.validators import canonical_email

REFERENCE = re.compile(r"[A-Z0-9]{5}-[A-Z0-9]{5}")
TASK = re.compile(r"T(\d+)")
DECLARATION = "portal.audit_remove_segment"  # read by the trigger (migration 0021)
CHUNK = 1000


class PruningRefused(Exception):
    """Nothing (more) was removed, and why."""


class _Kept(Exception):
    """This segment stays after all (found under the lock)."""


@dataclasses.dataclass(frozen=True)
class Segment:
    month: datetime.date  # its first day
    first_seq: int
    last_seq: int
    count: int

    @property
    def label(self) -> str:
        return f"#{self.first_seq}-#{self.last_seq} ({self.month:%Y-%m}, {self.count} records)"


@dataclasses.dataclass(frozen=True)
class Outcome:
    removed: list[AuditRemovedSegment]
    kept: list[tuple[Segment, str]]  # old enough, but kept, and why


def month_of(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(datetime.UTC).date().replace(day=1)


def segments(before: datetime.date) -> Iterator[Segment]:
    """The chain's months before the month `before`, oldest first. A record belongs to the latest
    month seen so far along the chain, so a record written a moment late across the end of a
    month joins the next month and segments never interleave."""
    current: Segment | None = None
    rows = AuditRecord.objects.order_by("seq").values_list("seq", "at")
    for seq, at in rows.iterator(chunk_size=5000):
        month = max(month_of(at), current.month) if current else month_of(at)
        if month >= before:
            break
        if current is not None and month == current.month:
            current = dataclasses.replace(current, last_seq=seq, count=current.count + 1)
            continue
        if current is not None:
            yield current
        current = Segment(month, seq, seq, 1)
    if current is not None:
        yield current


def _chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def why_kept(segment: Segment) -> str:
    """Empty when no record in the segment concerns a request that still exists."""
    if segment.count != segment.last_seq - segment.first_seq + 1:
        return "records are missing in it"
    references, tasks, incidents, patients, accounts = set(), set(), set(), set(), set()
    rows = AuditRecord.objects.filter(
        seq__gte=segment.first_seq, seq__lte=segment.last_seq
    ).values_list("event_type", "purpose", "object_type", "object_id", "patient_id", "details")
    for event_type, purpose, object_type, object_id, patient_id, details in rows.iterator():
        shown = details.get("shown") if isinstance(details, dict) else None
        names = [purpose, object_id, *(shown if isinstance(shown, list) else [])]
        for name in names:
            for part in str(name).split("/"):
                if REFERENCE.fullmatch(part):
                    references.add(part)
                elif task := TASK.fullmatch(part):
                    tasks.add(int(task[1]))
        if object_type == "incident" and object_id.isdigit():
            incidents.add(int(object_id))
        if event_type == "incident.list" and isinstance(shown, list):
            incidents.update(int(pk) for pk in shown if str(pk).isdigit())
        if patient_id:
            patients.update(_address_forms(patient_id))
        if object_type == "account" and object_id.isdigit():
            accounts.add(int(object_id))
    # A patient's own sign-ins name their account, not their address.
    for chunk in _chunks(accounts):
        for email in get_user_model().objects.filter(pk__in=chunk).values_list("email", flat=True):
            patients.update(_address_forms(email) if email else ())
    checks = [
        (Request.objects, "reference__in", references, "a request it concerns still exists"),
        (AssistanceTask.objects, "pk__in", tasks, "a task it concerns still exists"),
        (Incident.objects, "pk__in", incidents, "an incident it concerns still exists"),
        (Request.objects, "patient_email__in", patients, "a patient in it still has a request"),
    ]
    for manager, lookup, values, reason in checks:
        if any(manager.filter(**{lookup: chunk}).exists() for chunk in _chunks(values)):
            return reason
    return ""


def _address_forms(address: str) -> set[str]:
    """The address as written, and as requests hold it: records written before addresses were
    stored canonical (migration 0017) name them as the patient typed them."""
    forms = {address, address.strip().lower()}
    with contextlib.suppress(ValidationError):
        forms.add(canonical_email(address))
    return forms


def database_role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def require_owner() -> None:
    """Only a role with the audit table owner's rights may remove records; the runtime role
    never has them (portal/db_roles.py)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, pg_has_role(current_user, c.relowner, 'USAGE')"
            " FROM pg_class c WHERE c.oid = %s::regclass",
            [AuditRecord._meta.db_table],
        )
        role, owner = cursor.fetchone()
    if not owner:
        raise PruningRefused(
            f"{role} is not the owner of the audit log's tables, and only the owner may remove "
            "old audit records. Run this where `migrate` runs, with the owner's DATABASE_URL."
        )


def plan(now: datetime.datetime | None = None) -> list[tuple[Segment, str]]:
    """The segments old enough to be removed, each with why it is kept (empty: removable)."""
    now = now or timezone.now()
    years = settings.AUDIT_RETENTION_YEARS
    if years < MINIMUM_RETENTION_YEARS:
        raise PruningRefused(
            f"AUDIT_RETENTION_YEARS is {years}; audit records are kept at least "
            f"{MINIMUM_RETENTION_YEARS} years."
        )
    before = month_of(audit.years_before(now, years))
    return [(segment, why_kept(segment)) for segment in segments(before)]


def prune(now: datetime.datetime | None = None, *, removed_by: str) -> Outcome:
    """Remove every removable segment, each in its own transaction. Safe to run again."""
    now = now or timezone.now()
    require_owner()
    candidates = plan(now)
    if not candidates:
        return Outcome([], [])
    anchors, _unreadable = audit_anchors.read_anchors()
    report = audit.verify_chain(anchors=anchors)
    if not report.intact:
        raise PruningRefused(
            f"The audit log does not check out ({report.problem}); removing records could hide "
            "that. Nothing was removed."
        )
    removed, kept = [], []
    for segment, reason in candidates:
        if reason:
            kept.append((segment, reason))
            continue
        try:
            removed.append(_remove(segment, now=now, removed_by=removed_by))
        except _Kept as exc:
            kept.append((segment, str(exc)))
    return Outcome(removed, kept)


def _remove(segment: Segment, *, now: datetime.datetime, removed_by: str) -> AuditRemovedSegment:
    years = settings.AUDIT_RETENTION_YEARS
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # one removal at a time; readers are not held up
                table = AuditRemovedSegment._meta.db_table
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")  # noqa: S608
        # Checked again under the lock: a removal that ran meanwhile, or a request that came.
        rows = list(
            AuditRecord.objects.filter(
                seq__gte=segment.first_seq, seq__lte=segment.last_seq
            ).order_by("seq")
        )
        if [row.seq for row in rows[:1] + rows[-1:]] != [segment.first_seq, segment.last_seq] or (
            len(rows) != segment.count
        ):
            raise _Kept("it changed while being removed")
        if reason := why_kept(segment):
            raise _Kept(reason)
        previous = rows[0].prev_hash
        for row in rows:
            if row.prev_hash != previous or row.compute_hash() != row.hash:
                raise PruningRefused(f"record #{row.seq} does not check out; nothing removed")
            previous = row.hash
        removal = AuditRemovedSegment(
            first_seq=segment.first_seq,
            last_seq=segment.last_seq,
            count=segment.count,
            prev_hash=rows[0].prev_hash,
            last_hash=rows[-1].hash,
            first_at=rows[0].at,
            last_at=max(row.at for row in rows),
            retention_years=years,
            removed_at=now,
            removed_by=removed_by[:200],
        )
        removal.mac = removal.compute_mac()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the trigger lets exactly this range go
                cursor.execute(
                    "SELECT set_config(%s, %s, true)",
                    [DECLARATION, f"{segment.first_seq}-{segment.last_seq}"],
                )
        deleted, _ = AuditRecord.objects.filter(
            seq__gte=segment.first_seq, seq__lte=segment.last_seq
        ).delete()
        if deleted != segment.count:
            raise PruningRefused(f"removing {segment.label} removed {deleted}; nothing removed")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', true)", [DECLARATION])
        removal.save()
        audit.record(
            "audit.remove_segment",
            AuditAction.DELETE,
            user_label=removed_by,
            object_type="audit_log",
            object_id=f"{segment.first_seq}-{segment.last_seq}",
            details={
                "first_seq": removal.first_seq,
                "last_seq": removal.last_seq,
                "count": removal.count,
                "last_hash": removal.last_hash,
                "period": removal.period,
                "retention_years": years,
            },
        )
    return removal
