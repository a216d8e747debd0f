"""Writing and checking the NEN 7513 audit log. `record` is called wherever personal data is
viewed, searched, exported or changed; the request context (source IP) comes from middleware."""

import bisect
import contextvars
import dataclasses
import datetime
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from requests_app import access
from requests_app.audit_anchors import Anchor
from requests_app.models import (
    AuditAction,
    AuditChainHead,
    AuditOutcome,
    AuditRecord,
    AuditRemovedSegment,
    Request,
)
from requests_app.models.audit import MINIMUM_RETENTION_YEARS

GENESIS = "0" * 64  # the "previous hash" of record #1


@dataclasses.dataclass(frozen=True)
class Origin:
    source_ip: str | None = None


current_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar(
    "audit_origin",
    default=Origin(),  # noqa: B039 - a frozen dataclass, immutable
)


def _roles(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    access.practice_ids(user)  # fills the cache
    return ",".join(sorted({role for _pid, role in user._membership_cache}))


def record(
    event_type: str,
    action: AuditAction,
    *,
    user=None,
    user_label: str = "",
    request: Request | None = None,
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    purpose: str = "",
    object_type: str = "",
    object_id: str = "",
    practice_id: int | None = None,
    details: dict | None = None,
) -> AuditRecord:
    """Append one record to the chain. With `request`, the patient, object, purpose and practice
    come from it."""
    if request is not None:
        object_type = object_type or "request"
        object_id = object_id or request.reference
        purpose = purpose or request.reference
        practice_id = practice_id or request.practice_id
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    entry = AuditRecord(
        event_type=event_type,
        action=action,
        outcome=outcome,
        user=user if authenticated else None,
        user_label=user_label or (user.get_username() if authenticated else "anonymous"),
        roles=_roles(user) or ("patient" if authenticated else ""),
        purpose=purpose,
        source_ip=current_origin.get().source_ip,
        patient_id=request.patient_email if request is not None else "",
        patient_id_type="email" if request is not None else "",
        object_type=object_type,
        object_id=object_id,
        practice_id_ref=practice_id,
        details=details or {},
    )
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get_or_create(pk=1)[0]
        entry.seq = head.seq + 1
        entry.prev_hash = head.hash
        entry.hash = entry.compute_hash()
        entry.save()
        head.seq, head.hash = entry.seq, entry.hash
        head.save(update_fields=["seq", "hash"])
    return entry


@dataclasses.dataclass(frozen=True)
class ChainReport:
    checked: int
    problem: str = ""
    last_seq: int = 0  # the last record found sound, and its hash
    last_hash: str = GENESIS
    anchors_matched: int = 0
    removed: tuple[AuditRemovedSegment, ...] = ()  # removed segments the walk passed over

    @property
    def intact(self) -> bool:
        return not self.problem


def verify_chain(
    batch: int = 5000, *, anchors: Iterable[Anchor] = (), since: Anchor | None = None
) -> ChainReport:
    """Walk the chain in order; report the first changed, missing or reordered record, and any
    checkpoint (`anchors`, kept outside the database) the chain no longer matches.

    A run of records removed after the retention period is passed over on the strength of its
    keyed `AuditRemovedSegment`: it must follow the record before it, and the record after it
    must name its last hash as its predecessor.

    With `since` (a checkpoint already verified) the walk starts at that record instead of #1.
    """
    vouched: dict[int, list[Anchor]] = {}
    vouched_list = list(anchors)
    for anchor in vouched_list:
        vouched.setdefault(anchor.seq, []).append(anchor)
    previous_hash, last_seq, checked, matched = GENESIS, 0, 0, 0
    passed: list[AuditRemovedSegment] = []
    # Read before the walk: records appended meanwhile then lie beyond it, not in conflict.
    head = AuditChainHead.objects.filter(pk=1).first()
    segments = _removed_segments()
    removed = {segment.first_seq: segment for segment in segments}

    def report(problem: str = "") -> ChainReport:
        return ChainReport(checked, problem, last_seq, previous_hash, matched, tuple(passed))

    def pass_removed() -> str:
        """Step over the removed segments that start right after `last_seq`."""
        nonlocal previous_hash, last_seq, matched
        while (segment := removed.get(last_seq + 1)) is not None:
            if segment.prev_hash != previous_hash:
                return f"the removed records {_span(segment)} do not follow #{last_seq}"
            for anchor in vouched.get(segment.last_seq, ()):
                if anchor.hash != segment.last_hash:
                    return (
                        f"the removed records {_span(segment)} end in another hash than the"
                        f" checkpoint {anchor.label}"
                    )
                matched += 1
            previous_hash, last_seq = segment.last_hash, segment.last_seq
            passed.append(segment)
        return ""

    dated = sorted((anchor.seq, anchor.at) for anchor in vouched_list if anchor.at)
    for segment in segments:
        if segment.compute_mac() != segment.mac:
            return report(f"the record of the removed records {_span(segment)} is not genuine")
        if problem := _removed_too_early(segment, dated):
            return report(problem)
        stray = AuditRecord.objects.filter(
            seq__gte=segment.first_seq, seq__lte=segment.last_seq
        ).first()
        if stray is not None:
            return report(
                f"record #{stray.seq} lies in the removed records {_span(segment)}"
                " (written after they were removed)"
            )

    if since is not None:
        start = AuditRecord.objects.filter(seq=since.seq).first()
        covering = next((s for s in segments if s.first_seq <= since.seq <= s.last_seq), None)
        if start is None and covering is not None:
            # Removed since the checkpoint was taken: go on from the end of the removal.
            previous_hash, last_seq = covering.last_hash, covering.last_seq
        elif start is None or start.hash != since.hash or start.compute_hash() != start.hash:
            return report(f"record #{since.seq} no longer matches the checkpoint {since.label}")
        else:
            previous_hash, last_seq = since.hash, since.seq
    while True:
        if problem := pass_removed():
            return report(problem)
        rows = list(AuditRecord.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for entry in rows:
            if problem := pass_removed():
                return report(problem)
            if entry.seq != last_seq + 1:
                return report(f"record #{last_seq + 1} is missing (next present is #{entry.seq})")
            if entry.prev_hash != previous_hash:
                return report(
                    f"record #{entry.seq} does not follow #{entry.seq - 1} (reordered or replaced)"
                )
            if entry.compute_hash() != entry.hash:
                return report(f"record #{entry.seq} was changed after it was written")
            for anchor in vouched.get(entry.seq, ()):
                if anchor.hash != entry.hash:
                    return report(
                        f"record #{entry.seq} differs from the checkpoint {anchor.label}"
                        " (the log was rewritten at or before this record)"
                    )
                matched += 1
            if head is not None and entry.seq == head.seq and entry.hash != head.hash:
                return report(f"the chain's head does not name record #{entry.seq} (it was moved)")
            previous_hash, last_seq, checked = entry.hash, entry.seq, checked + 1
    if head is not None and head.seq > last_seq:
        return report(
            f"the chain should end at #{head.seq} but ends at #{last_seq}"
            " (records at the end are missing)"
        )
    # The head only moves forward, in the same transaction as the record it names.
    now_head = AuditChainHead.objects.filter(pk=1).first()
    if now_head is not None and now_head.seq < last_seq:
        return report(f"the chain's head points back to #{now_head.seq} (it was moved)")
    beyond = [seq for seq in vouched if seq > last_seq]
    if beyond:
        anchor = vouched[max(beyond)][0]
        return report(
            f"the checkpoint {anchor.label} vouches for record #{anchor.seq} but the chain ends"
            f" at #{last_seq} (records at the end were removed)"
        )
    return report()


def _removed_segments() -> list[AuditRemovedSegment]:
    # Before migration 0021 (code deployed ahead of `migrate`) there is no table, and so nothing
    # was removed.
    table = AuditRemovedSegment._meta.db_table
    if table not in connection.introspection.table_names():
        return []
    return list(AuditRemovedSegment.objects.order_by("first_seq"))


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    if years >= moment.year:  # a retention longer than the calendar: nothing is that old
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


CLOCK_SKEW = datetime.timedelta(hours=1)


def _removed_too_early(segment: AuditRemovedSegment, dated: list[tuple[int, str]]) -> str:
    """A removal is only sound for records older than the retention period when it was made.
    Its keyed record says so; checkpoints outside the database taken inside the removed run
    show when later records in it were written, so a removal of recent records dressed up as
    an old one (by someone holding the database and the key) is still found."""
    cutoff = years_before(segment.removed_at, segment.retention_years)
    if (
        segment.retention_years < MINIMUM_RETENTION_YEARS
        or segment.removed_at > timezone.now() + CLOCK_SKEW
        or segment.last_at >= cutoff
    ):
        return f"the records {_span(segment)} were removed before their retention period ended"
    # A checkpoint of record #n was taken before #n+1 was written.
    start = bisect.bisect_left(dated, (segment.first_seq, ""))
    for seq, taken in dated[start:]:
        if seq >= segment.last_seq:
            break
        if datetime.datetime.fromisoformat(taken) >= cutoff:
            return (
                f"the records {_span(segment)} were removed before their retention period "
                f"ended: the checkpoint #{seq} taken {taken} vouches for a younger one"
            )
    return ""


def _span(segment: AuditRemovedSegment) -> str:
    return f"#{segment.first_seq}-#{segment.last_seq}"
