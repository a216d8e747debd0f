"""Escalations for processor support's operations (beside reminders.py, which escalates a
request not acknowledged or not forwarded, and incident_escalations.py):

- an assistance task, or a question to the processor, past its turnaround (agreement art. 6.1:
  timely cooperation) -> processor support and the practice member who asked;
- a request still unanswered `DEADLINE_WARNING_WORKING_DAYS` working days before its legal
  deadline (GDPR art. 12(3); Wkkgz art. 17; Civil Code 7:455) -> its handler (the practice's
  handlers when none is assigned) and the practice's FG;
- the table of days equated with public holidays (Algemene termijnenwet art. 3(3)) with no day
  for the coming year, from `DECREE_DAYS_CHECK_FROM` -> processor support and administrators.

Each message is keyed by what it is about and the date that makes it due (a task's due date, a
request's deadline, the year), so running a job twice sends nothing twice, and a new due date
(an objection answered, an extension) is escalated anew. No patient details: a reference or a
task number and a link.
"""

import datetime

from django.conf import settings
from django.utils import timezone

from requests_app.models import (
    AssistanceTask,
    EquatedHoliday,
    GeneralTask,
    Membership,
    Request,
)
from requests_app.models.assistance import CLOCK_STATES
from requests_app.models.general_task import GENERAL_CLOCK_STATES
from requests_app.models.request import PRACTICE_OPEN_STATES
from requests_app.roles import Role
from workflows.casework import deadlines
from workflows.messaging import outbox, recipients
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose


def _message(email: str, template: str, key: str, context: dict, **about) -> Notification:
    row = outbox.message(
        purpose=Purpose.ESCALATION,
        medium=Medium.EMAIL,
        recipient=email,
        template=template,
        language=STAFF_LANGUAGE,
        context=context,
        request=about.get("request"),
    )
    row.practice = about.get("practice")
    row.dedupe_key = f"{key}:{email}"[:200]
    return row


def _active_email(user) -> str:
    return user.email if user is not None and user.is_active and user.email else ""


# --- Assistance past its turnaround ----------------------------------------------------------
def escalate_overdue_tasks(today: datetime.date | None = None) -> list[Notification]:
    """Every task whose processor clock runs and whose due date has passed, once per due date."""
    today = today or timezone.localdate()
    support = recipients.support_emails()
    rows = []
    tasks = AssistanceTask.objects.filter(state__in=CLOCK_STATES, due__lt=today).select_related(
        "request", "requested_by"
    )
    for task in tasks:
        context = {
            "task": task.number,
            "kind": task.get_kind_display(),
            "due": task.due,
            "path": f"/staff/tasks/{task.pk}/",
        }
        key = f"task-overdue:{task.number}:{task.due.isoformat()}"
        for email in dict.fromkeys([*support, _active_email(task.requested_by)]):
            if email:
                rows.append(_message(email, "task_overdue", key, context, request=task.request))
    general = GeneralTask.objects.filter(
        state__in=GENERAL_CLOCK_STATES, due__lt=today
    ).select_related("practice", "requested_by")
    for task in general:
        context = {
            "task": task.number,
            "kind": task.get_kind_display(),
            "due": task.due,
            "path": f"/staff/general/{task.pk}/",
        }
        key = f"task-overdue:{task.number}:{task.due.isoformat()}"
        for email in dict.fromkeys([*support, _active_email(task.requested_by)]):
            if email:
                rows.append(_message(email, "task_overdue", key, context, practice=task.practice))
    return outbox.enqueue_once(rows)


# --- A legal deadline near, the request unanswered -------------------------------------------
def warning_days() -> int:
    return settings.DEADLINE_WARNING_WORKING_DAYS


def deadline_near(due: datetime.date, today: datetime.date) -> bool:
    """Today is on or after the `warning_days()`-th working day before `due`, and not past it:
    the deadline falls within that many working days from today."""
    return today <= due <= deadlines.working_days_after(today, warning_days())


def _handlers(practice_id: int) -> list[str]:
    return list(
        Membership.objects.filter(practice_id=practice_id, role=Role.HANDLER, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )


def warn_deadlines(today: datetime.date | None = None) -> list[Notification]:
    """Each open request of a practice whose deadline is near, once per deadline."""
    today = today or timezone.localdate()
    # A calendar span that surely covers the working days (weekends and holidays included).
    horizon = today + datetime.timedelta(days=warning_days() * 2 + 14)
    candidates = Request.objects.filter(
        state__in=PRACTICE_OPEN_STATES,
        practice__isnull=False,
        response_due__range=(today, horizon),
    ).select_related("practice", "assigned_to")
    handlers: dict[int, list[str]] = {}
    rows = []
    for item in candidates:
        if not deadline_near(item.response_due, today):
            continue
        assigned = _active_email(item.assigned_to)
        if assigned:
            to = [assigned]
        else:
            if item.practice_id not in handlers:
                handlers[item.practice_id] = _handlers(item.practice_id)
            to = handlers[item.practice_id]
        to = [*to, item.practice.dpo_email]
        context = {"reference": item.reference, "due": item.response_due, "days": warning_days()}
        key = f"deadline-near:{item.reference}:{item.response_due.isoformat()}"
        for email in dict.fromkeys(e for e in to if e):
            rows.append(_message(email, "deadline_near", key, context, request=item))
    return outbox.enqueue_once(rows)


# --- The decree days of the coming year ------------------------------------------------------
def decree_check_starts(year: int) -> datetime.date:
    month, day = (int(part) for part in settings.DECREE_DAYS_CHECK_FROM.split("-"))
    return datetime.date(year, month, day)


def check_decree_days(today: datetime.date | None = None) -> list[Notification]:
    """From the check's start date on, once per coming year without a single equated day."""
    today = today or timezone.localdate()
    if today < decree_check_starts(today.year):
        return []
    coming = today.year + 1
    if EquatedHoliday.objects.filter(date__year=coming).exists():
        return []
    key = f"decree-days:{coming}"
    rows = [
        _message(email, "decree_days_missing", key, {"year": coming})
        for email in recipients.processor_emails()
    ]
    return outbox.enqueue_once(rows)
