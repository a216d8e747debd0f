"""Retention (GDPR art. 5(1)(e); agreement art. 11.1, Bijlage 1): a request whose matter has
ended is erased when its practice's retention period has passed since it ended, with everything
hanging off it (events, messages, waits, notifications, incident, assistance tasks with their
packages and certificates). A request need not be formally closed for its term to run: one left
refused, granted, fulfilled or decided ends at that step (`TERM_STARTS`, docs/legal.md). What was
erased is written to the audit log, which is kept separately (AUDIT_RETENTION_YEARS).

Open work is never erased, nor an ended request with an assistance task not yet accepted or
rejected (a granted erasure still being carried out) or an incident not yet closed (the
processor's report stays open for updates, agreement art. 5.3): it goes at the first run after
that work ends. A request still open long after the retention term would have run out had it
been answered on time is reported to the practice's FG (or to processor support for a request
without a practice) once a year, until someone ends it."""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from requests_app import audit
from requests_app.models import (
    AuditAction,
    IncidentState,
    Practice,
    Request,
    RequestState,
    TaskState,
)
from requests_app.models.request import OPEN_STATES
from workflows.assistance.packages.files import remove_file_after_commit
from workflows.casework.patients import retire_account
from workflows.messaging import outbox, recipients
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose

BATCH = 500

DEFAULT_RETENTION_YEARS = 15  # Bijlage 1; for requests that never reached a practice

S = RequestState
# The moment the matter ended, per end state: the retention term starts there. A request closed
# after its decision counts from closing; one never closed from its last step.
TERM_STARTS = {
    S.CLOSED: "closed_at",
    S.WITHDRAWN: "closed_at",
    S.MERGED: "closed_at",
    S.FULFILLED: "fulfilled_at",
    S.REFUSED: "decided_at",
    S.DECIDED: "decided_at",  # a complaint's decision (Wkkgz art. 17)
    S.GRANTED: "decided_at",  # granted, never marked carried out
    S.PARTIALLY_GRANTED: "decided_at",
}


def years_before(now: datetime.datetime, years: int) -> datetime.datetime:
    return now - datetime.timedelta(days=365.25 * years)


def ended_before(cutoff: datetime.datetime) -> Q:
    """Requests whose matter ended before `cutoff`."""
    ended = Q(pk__in=[])
    for state, field in TERM_STARTS.items():
        ended |= Q(state=state, **{f"{field}__lt": cutoff})
    return ended


# A task the practice has not yet accepted or rejected is work still going on.
UNFINISHED_TASK_STATES = [
    TaskState.REQUESTED,
    TaskState.IN_PROGRESS,
    TaskState.OBJECTED,
    TaskState.DELIVERED,
]


def still_worked_on() -> Q:
    """An ended request with work hanging off it that has not ended: kept until it has."""
    return Q(tasks__state__in=UNFINISHED_TASK_STATES) | Q(incident__state=IncidentState.OPEN)


def expired_requests(now: datetime.datetime):
    erasable = Request.objects.exclude(still_worked_on())
    for practice in Practice.objects.all().only("pk", "retention_years"):
        yield from erasable.filter(
            ended_before(years_before(now, practice.retention_years)), practice=practice
        ).values_list("pk", flat=True)[:BATCH]
    yield from erasable.filter(
        ended_before(years_before(now, DEFAULT_RETENTION_YEARS)), practice__isnull=True
    ).values_list("pk", flat=True)[:BATCH]


def ended_at(item: Request) -> datetime.datetime | None:
    field = TERM_STARTS.get(item.state)
    return getattr(item, field) if field else None


def purge_expired(now: datetime.datetime | None = None) -> list[str]:
    """Erase expired requests; returns their references. Safe to run again."""
    now = now or timezone.now()
    erased, addresses = [], set()
    for pk in list(expired_requests(now)):
        with transaction.atomic():
            # Checked again under the lock: a task asked for meanwhile keeps it.
            item = (
                Request.objects.select_for_update(of=("self",))
                .filter(pk=pk)
                .exclude(still_worked_on())
                .first()
            )
            if item is None:
                continue
            audit.record(
                "retention.purge",
                AuditAction.DELETE,
                user_label="system",
                request=item,
                details={
                    "state": item.state,
                    "ended_at": ended_at(item).isoformat(),
                    "events": item.events.count(),
                    "messages": item.messages.count(),
                    "notifications": item.notifications.count(),
                    "assistance_tasks": item.tasks.count(),
                },
            )
            files = [
                p
                for t in item.tasks.select_related("package")
                if (p := getattr(t, "package", None))
            ]
            item.delete()
            for package in files:  # outside the database: removed once the rows are gone
                remove_file_after_commit(package)
            erased.append(item.reference)
            addresses.add(item.patient_email)
    for email in addresses:
        if not Request.objects.filter(patient_email=email).exists():
            retire_account(email)
    return erased


def abandoned_requests(now: datetime.datetime):
    """Open requests whose answer was due longer ago than their retention period: had they been
    answered on time they would have been erased by now."""

    def due_before(years: int) -> Q:
        return Q(response_due__lt=timezone.localdate(years_before(now, years)))

    open_requests = Request.objects.filter(state__in=OPEN_STATES).select_related("practice")
    for practice in Practice.objects.all().only("pk", "retention_years"):
        yield from open_requests.filter(due_before(practice.retention_years), practice=practice)[
            :BATCH
        ]
    yield from open_requests.filter(due_before(DEFAULT_RETENTION_YEARS), practice__isnull=True)[
        :BATCH
    ]


def flag_abandoned(now: datetime.datetime | None = None) -> list[Notification]:
    """Tell the practice's FG (processor support for a request without a practice) about each
    abandoned open request, once a year: only a person may end open work."""
    now = now or timezone.now()
    support = recipients.support_emails()
    rows = []
    for item in abandoned_requests(now):
        fg = item.practice.dpo_email if item.practice else ""
        for email in [fg] if fg else support:
            message = outbox.message(
                purpose=Purpose.ESCALATION,
                medium=Medium.EMAIL,
                recipient=email,
                template="abandoned",
                language=STAFF_LANGUAGE,
                request=item,
                context={"reference": item.reference, "due": item.response_due},
            )
            message.dedupe_key = f"abandoned:{item.pk}:{email}:{now.year}"
            rows.append(message)
    return outbox.enqueue_once(rows)
