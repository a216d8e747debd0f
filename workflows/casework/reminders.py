"""Scheduled reminders (Celery beat): a daily digest of deadlines, and an escalation when a
forwarded request is not acknowledged in time. Messages carry counts and links, never patient
details; each is keyed so that running a job twice sends nothing twice."""

import datetime

from django.db.models import Count, Q
from django.utils import timezone

from requests_app.models import Membership, Practice, Request, RequestState
from requests_app.models.request import OPEN_STATES
from requests_app.roles import Role
from requests_app.selectors import DUE_SOON_DAYS
from workflows.casework import deadlines
from workflows.messaging import outbox, recipients
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose

DIGEST_ROLES = [Role.HANDLER, Role.DPO]
ACKNOWLEDGE_WITHIN_WORKING_DAYS = 2


def send_daily_digests(today: datetime.date | None = None) -> list[Notification]:
    """To each handler and DPO of a practice with open requests overdue or due within 7 days."""
    today = today or timezone.localdate()
    soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
    counts = (
        Request.objects.filter(
            state__in=OPEN_STATES, practice__isnull=False, response_due__lte=soon
        )
        .values("practice_id")
        .annotate(
            overdue=Count("pk", filter=Q(response_due__lt=today)),
            due_soon=Count("pk", filter=Q(response_due__gte=today)),
        )
    )
    by_practice = {row["practice_id"]: row for row in counts}
    members = (
        Membership.objects.filter(
            practice_id__in=by_practice, role__in=DIGEST_ROLES, user__is_active=True
        )
        .exclude(user__email="")
        .values_list("practice_id", "user_id", "user__email")
        .distinct()
    )
    rows = []
    for practice_id, user_id, email in members:
        row = by_practice[practice_id]
        message = outbox.message(
            purpose=Purpose.DAILY_DIGEST,
            medium=Medium.EMAIL,
            recipient=email,
            template="daily_digest",
            language=STAFF_LANGUAGE,
            context={"overdue": row["overdue"], "due_soon": row["due_soon"], "day": today},
        )
        message.dedupe_key = f"digest:{today.isoformat()}:{practice_id}:{user_id}"
        rows.append(message)
    return outbox.enqueue_once(rows)


def acknowledgement_overdue(request: Request, today: datetime.date) -> bool:
    forwarded = timezone.localdate(request.forwarded_at)
    return deadlines.working_days_after(forwarded, ACKNOWLEDGE_WITHIN_WORKING_DAYS) < today


def escalate_unacknowledged(today: datetime.date | None = None) -> list[Notification]:
    """A request forwarded more than 2 working days ago and still not acknowledged goes to the
    practice's stand-in contact and to processor support."""
    today = today or timezone.localdate()
    candidates = Request.objects.filter(
        state=RequestState.FORWARDED,
        forwarded_at__date__lt=today - datetime.timedelta(days=ACKNOWLEDGE_WITHIN_WORKING_DAYS),
    ).select_related("practice")
    support = recipients.support_emails()
    rows = []
    for request in candidates:
        if not acknowledgement_overdue(request, today):
            continue
        rows += _escalations(
            request, [_standin(request.practice), *support], "escalation", "escalate"
        )
    return outbox.enqueue_once(rows)


STUCK_AFTER = datetime.timedelta(hours=2)


def escalate_not_forwarded(now: datetime.datetime | None = None) -> list[Notification]:
    """A request for a practice that is still not forwarded two hours after receipt (its
    messages failed for good, say a wrong address) goes to processor support."""
    now = now or timezone.now()
    stuck = Request.objects.filter(
        state=RequestState.RECEIVED, practice__isnull=False, received_at__lt=now - STUCK_AFTER
    )
    support = recipients.support_emails()
    rows = []
    for request in stuck:
        rows += _escalations(request, support, "not_forwarded", "stuck")
    return outbox.enqueue_once(rows)


def _escalations(
    request: Request, recipients: list[str], template: str, key: str
) -> list[Notification]:
    """One keyed e-mail per recipient (the key makes a repeated run send nothing)."""
    rows = []
    for email in recipients:
        message = outbox.message(
            purpose=Purpose.ESCALATION,
            medium=Medium.EMAIL,
            recipient=email,
            template=template,
            language=STAFF_LANGUAGE,
            request=request,
            context={"reference": request.reference},
        )
        message.dedupe_key = f"{key}:{request.pk}:{email}"
        rows.append(message)
    return rows


def _standin(practice: Practice) -> str:
    return practice.standin_email or practice.dpo_email
