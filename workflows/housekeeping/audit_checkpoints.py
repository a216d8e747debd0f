"""The daily checkpoint of the audit log, kept outside the database.

The chain is checked from the previous checkpoint to its end; only a chain that checks out is
vouched for. The last record's position and keyed hash are then appended to the anchor store
(AUDIT_ANCHOR_DIR) and mailed to each practice's FG and to processor support, so that a later
rewrite of any record up to it is found by `verify_audit_log`, even by someone who holds both
the database and the chain key. The e-mail carries no personal data: a number, a hash, a time.
"""

import datetime
import logging

from django.utils import timezone

from requests_app import audit, audit_anchors
from requests_app.audit_anchors import Anchor
from requests_app.models import Practice
from workflows.messaging import outbox, recipients
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose

log = logging.getLogger(__name__)


class AuditLogBroken(Exception):
    """The chain does not check out: nothing is vouched for, and operators must look."""


def take_checkpoint(now: datetime.datetime | None = None, *, mail: bool = True) -> Anchor | None:
    """Anchor the chain's end; None when nothing was added since the last checkpoint. Taken
    every few minutes without mail (so at most those minutes of records could be cut off by
    someone holding the database), and daily with the e-mail to the FGs of the latest one."""
    now = now or timezone.now()
    anchors, unreadable = audit_anchors.read_anchors()
    if unreadable:
        log.warning("unreadable lines in the audit anchor store: %s", ", ".join(unreadable))
    since = max(anchors, key=lambda anchor: anchor.seq, default=None)
    report = audit.verify_chain(anchors=anchors, since=since)
    if not report.intact:
        log.error("audit log broken, no checkpoint taken: %s", report.problem)
        raise AuditLogBroken(report.problem)
    if report.last_seq == 0 or (since is not None and report.last_seq == since.seq):
        if mail and since is not None:
            send_checkpoint(since)  # the FGs hear of the latest one (once: deduplicated)
        return None
    # Exactly the record the check ended on, not whatever was appended since.
    anchor = Anchor(
        report.last_seq,
        report.last_hash,
        now.astimezone(datetime.UTC).isoformat(timespec="seconds"),
    )
    audit_anchors.append_anchor(anchor)  # durable before anyone is told about it
    if mail:
        send_checkpoint(anchor)
    return anchor


def send_checkpoint(anchor: Anchor) -> list[Notification]:
    """One e-mail per address: every active practice's FG, and processor support."""
    fgs = Practice.objects.filter(active=True).exclude(dpo_email="").values_list("dpo_email")
    addresses = sorted({email for (email,) in fgs} | set(recipients.support_emails()))
    taken = timezone.localtime(datetime.datetime.fromisoformat(anchor.at))
    rows = []
    for email in addresses:
        message = outbox.message(
            purpose=Purpose.AUDIT_CHECKPOINT,
            medium=Medium.EMAIL,
            recipient=email,
            template="audit_checkpoint",
            language=STAFF_LANGUAGE,
            context={"seq": anchor.seq, "hash": anchor.hash, "taken": taken},
        )
        message.dedupe_key = f"audit-checkpoint:{anchor.seq}:{email}"
        rows.append(message)
    return outbox.enqueue_once(rows)
