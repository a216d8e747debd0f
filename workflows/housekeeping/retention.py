"""Retention (agreement art. 11.1, Bijlage 1): a closed or withdrawn request is erased when its
practice's retention period has passed since it was closed, with everything hanging off it
(events, messages, waits, notifications, incident, assistance tasks with their packages and
certificates). What was erased is written to the audit log,
which is kept separately (AUDIT_RETENTION_YEARS)."""

import datetime

from django.db import transaction
from django.utils import timezone

from requests_app import audit
from requests_app.models import AuditAction, Practice, Request
from requests_app.models.request import FINISHED_STATES
from workflows.assistance.packages.files import remove_file_after_commit
from workflows.casework.patients import retire_account

BATCH = 500


DEFAULT_RETENTION_YEARS = 15  # Bijlage 1; for requests that never reached a practice


def expired_requests(now: datetime.datetime):
    def older_than(years: int) -> datetime.datetime:
        return now - datetime.timedelta(days=365.25 * years)

    finished = Request.objects.filter(state__in=FINISHED_STATES)
    for practice in Practice.objects.all().only("pk", "retention_years"):
        yield from finished.filter(
            practice=practice, closed_at__lt=older_than(practice.retention_years)
        ).values_list("pk", flat=True)[:BATCH]
    yield from finished.filter(
        practice__isnull=True, closed_at__lt=older_than(DEFAULT_RETENTION_YEARS)
    ).values_list("pk", flat=True)[:BATCH]


def purge_expired(now: datetime.datetime | None = None) -> list[str]:
    """Erase expired requests; returns their references. Safe to run again."""
    now = now or timezone.now()
    erased, addresses = [], set()
    for pk in list(expired_requests(now)):
        with transaction.atomic():
            item = Request.objects.select_for_update().filter(pk=pk).first()
            if item is None:
                continue
            audit.record(
                "retention.purge",
                AuditAction.DELETE,
                user_label="system",
                request=item,
                details={
                    "closed_at": item.closed_at.isoformat(),
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
