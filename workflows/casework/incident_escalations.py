"""Incidents left waiting go to processor support and the processor's administrators (agreement
art. 5.2: the four fields at once; art. 5.3: no incident left without follow-up): one whose four
fields are still incomplete `INCIDENT_INCOMPLETE_HOURS` after it was recorded, and an open one
without an update for `INCIDENT_STALE_DAYS`. Once per such period, however often the job runs."""

import datetime

from django.conf import settings
from django.utils import timezone

from requests_app.models import Incident, IncidentState
from workflows.messaging import outbox, recipients
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose


def incomplete_after() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.INCIDENT_INCOMPLETE_HOURS)


def stale_after() -> datetime.timedelta:
    return datetime.timedelta(days=settings.INCIDENT_STALE_DAYS)


def escalate(now: datetime.datetime | None = None) -> list[Notification]:
    """One e-mail per processor address and incident, keyed by the period it falls in."""
    now = now or timezone.now()
    addresses = recipients.processor_emails()
    hours, days = incomplete_after(), stale_after()
    rows = []
    open_incidents = Incident.objects.filter(state=IncidentState.OPEN)
    for incident in open_incidents.filter(created_at__lte=now - hours):
        if incident.is_complete:
            continue
        period = int((now - incident.created_at) / hours)
        key = f"incident-incomplete:{incident.pk}:{period}"
        if not _sent(key):
            rows += _messages(incident, addresses, key, "incomplete")
            Incident.objects.filter(pk=incident.pk).update(incomplete_escalated_at=now)
    for incident in open_incidents.filter(last_update_at__lte=now - days):
        period = int((now - incident.last_update_at) / days)
        since = int(incident.last_update_at.timestamp() * 1_000_000)
        key = f"incident-stale:{incident.pk}:{since}:{period}"
        if not _sent(key):
            rows += _messages(incident, addresses, key, "stale")
            Incident.objects.filter(pk=incident.pk).update(stale_escalated_at=now)
    return outbox.enqueue_once(rows)


def _sent(key: str) -> bool:
    return Notification.objects.filter(dedupe_key__startswith=f"{key}:").exists()


def _messages(incident: Incident, addresses: list[str], key: str, reason: str) -> list:
    rows = []
    for address in addresses:
        message = outbox.message(
            purpose=Purpose.ESCALATION,
            medium=Medium.EMAIL,
            recipient=address,
            template="incident_escalation",
            language=STAFF_LANGUAGE,
            context={
                "number": incident.number,
                "pk": incident.pk,
                "reason": reason,
                "missing": [Incident._meta.get_field(n).verbose_name for n in incident.missing],
                "hours": settings.INCIDENT_INCOMPLETE_HOURS,
                "days": settings.INCIDENT_STALE_DAYS,
            },
        )
        message.dedupe_key = f"{key}:{address}"[:200]
        rows.append(message)
    return rows
