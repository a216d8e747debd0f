"""Writing and checking the NEN 7513 audit log. `record` is called wherever personal data is
viewed, searched, exported or changed; the request context (source IP) comes from middleware."""

import contextvars
import dataclasses
from collections.abc import Iterable

from django.db import transaction

from requests_app import access
from requests_app.audit_anchors import Anchor
from requests_app.models import AuditAction, AuditChainHead, AuditOutcome, AuditRecord, Request

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

    @property
    def intact(self) -> bool:
        return not self.problem


def verify_chain(
    batch: int = 5000, *, anchors: Iterable[Anchor] = (), since: Anchor | None = None
) -> ChainReport:
    """Walk the chain in order; report the first changed, missing or reordered record, and any
    checkpoint (`anchors`, kept outside the database) the chain no longer matches.

    With `since` (a checkpoint already verified) the walk starts at that record instead of #1.
    """
    vouched: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        vouched.setdefault(anchor.seq, []).append(anchor)
    previous_hash, last_seq, checked, matched = GENESIS, 0, 0, 0
    # Read before the walk: records appended meanwhile then lie beyond it, not in conflict.
    head = AuditChainHead.objects.filter(pk=1).first()

    def report(problem: str = "") -> ChainReport:
        return ChainReport(checked, problem, last_seq, previous_hash, matched)

    if since is not None:
        start = AuditRecord.objects.filter(seq=since.seq).first()
        if start is None or start.hash != since.hash or start.compute_hash() != start.hash:
            return report(f"record #{since.seq} no longer matches the checkpoint {since.label}")
        previous_hash, last_seq = since.hash, since.seq
    while True:
        rows = list(AuditRecord.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            break
        for entry in rows:
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
