"""Messages that failed for good, for processor support: the list, and sending one again.

A row fails for good when its provider refused it for a reason a retry cannot mend (a bad
address, a suppressed number, a rejected key) or after MAX_ATTEMPTS tries (outbox.py). Support
sees the provider's answer, the address it went to (needed to mend a bounce) and what the
message was about, never its text: bodies may say more about a patient than support needs.

Sending again writes a fresh pending row, a copy of the failed one with a new idempotency key,
and links the failed row to it (`resent_as`), so the failure and its answer stay on record. Under
the failed row's lock and with the fresh row's dedupe key `resend:<id>`, a double click or two
support staff at once send it once. The copy goes through the outbox like any message: a
provider that fails again leaves it to the outbox's retries, and one that refuses it for good
puts the copy on this list, to be sent again in turn.

Not sent again:
- a message with a one-time code or link (`scrub_after_send`: sign-in and download codes, password
  reset links): it expired long ago, and repeating a secret late helps nobody; the person asks
  for a new one, which is sent fresh;
- a message already sent again, or no longer failed;
- a practice's new-request message for a request that has since moved to another practice
  (sent back and routed again): it would tell the old practice, and mark the request forwarded.
Events to an API client's webhook (medium webhook) are not listed here: they have their own
delivery log with every try, and are sent again from there, once per event, with the same event
id (workflows.webhooks.deliveries).

It goes to the same address as before: support never types an address for someone else's
message. A wrong address is mended where it lives (the practice's contacts, the staff account)
and the next message goes there.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from requests_app import access, audit
from requests_app.errors import DomainError
from requests_app.models import AuditAction
from workflows.messaging import outbox
from workflows.models import Medium, Notification, Purpose, Status

REFUSE_SECRET = _(
    "This message held a one-time code or link, which has expired. It is not sent again: the "
    "recipient can ask for a new one."
)
REFUSE_DONE = _("This message has already been sent again.")
REFUSE_NOT_FAILED = _("This message has not failed for good: the portal sends it, or has sent it.")
REFUSE_WEBHOOK = _(
    "This is an event to an API client: it is sent again from the client's delivery log."
)
REFUSE_MOVED = _(
    "This message announced the request to a practice that no longer has it (sent back and "
    "routed again): it is not sent again."
)


class ResendRefusal(DomainError):
    """The failed message cannot be sent again; `reason` says why, in the reader's words."""

    def __init__(self, reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


def failed_notifications(
    *,
    medium: str = "",
    purpose: str = "",
    practice_id: int | None = None,
    include_resent: bool = False,
) -> QuerySet[Notification]:
    """Rows that failed for good, the newest first; by default only those not yet sent again."""
    rows = Notification.objects.filter(status=Status.FAILED).exclude(medium=Medium.WEBHOOK)
    if not include_resent:
        rows = rows.filter(resent_as__isnull=True)
    if medium:
        rows = rows.filter(medium=medium)
    if purpose:
        rows = rows.filter(purpose=purpose)
    if practice_id:
        rows = rows.filter(Q(practice_id=practice_id) | Q(request__practice_id=practice_id))
    return (
        rows.select_related("request__practice", "practice", "resent_as")
        .defer("body", "request__bsn")
        .order_by("-created_at", "-pk")
    )


def resend_refusal(row: Notification):
    """Why `row` cannot be sent again, or None when it can."""
    if row.resent_as_id is not None:
        return REFUSE_DONE
    if row.status != Status.FAILED:
        return REFUSE_NOT_FAILED
    if row.medium == Medium.WEBHOOK:
        return REFUSE_WEBHOOK
    if row.scrub_after_send:
        return REFUSE_SECRET
    if row.purpose == Purpose.PRACTICE_NEW_REQUEST and not row.reaches_the_requests_practice():
        return REFUSE_MOVED
    return None


def resend(notification_id: int, *, actor) -> Notification:
    """Send a failed message again, once: returns the fresh row. Raises Notification.DoesNotExist
    for an unknown id and ResendRefusal when it cannot be sent again."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(pk=notification_id)
        refusal = resend_refusal(row)
        if refusal is not None:
            raise ResendRefusal(refusal)
        fresh = Notification(
            request_id=row.request_id,
            practice_id=row.practice_id,
            purpose=row.purpose,
            medium=row.medium,
            recipient=row.recipient,
            subject=row.subject,
            body=row.body,
            dedupe_key=f"resend:{row.pk}",
        )
        (fresh,) = outbox.enqueue([fresh])
        row.resent_as = fresh
        row.save(update_fields=["resent_as"])
        audit.record(
            "notification.resend",
            AuditAction.EXECUTE,
            user=actor,
            request=row.request,
            practice_id=row.practice_id,
            object_type="notification",
            object_id=str(row.pk),
            details={
                "purpose": row.purpose,
                "medium": row.medium,
                "resent_as": fresh.pk,
                "last_error": row.last_error[:300],
            },
        )
    return fresh


def practice_of(row: Notification):
    """The practice a message is about: its own, or its request's."""
    if row.practice is not None:
        return row.practice
    return row.request.practice if row.request is not None else None
