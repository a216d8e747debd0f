"""Incidents left waiting escalate to processor support and the processor's administrators
(agreement art. 5.2, 5.3): an incomplete report after INCIDENT_INCOMPLETE_HOURS, an open incident
without an update for INCIDENT_STALE_DAYS; once per period, however often the job runs. The
clock is passed in (a fake clock), the job's own time never read."""

import datetime
import uuid

import pytest

from requests_app.models import Incident, IncidentCategory
from requests_app.roles import Role
from tests.factories import make_user
from workflows.casework import incident_escalations, incidents
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db
H = datetime.timedelta(hours=1)
FOUR = {"nature": "n", "personal_data": "p", "consequences": "c", "measures": "m"}


@pytest.fixture
def processor_admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


def recorded(support, practice, **fields):
    item, _ = incidents.record(
        actor=support,
        category=IncidentCategory.BREACH,
        practices=[practice],
        fields=fields,
        key=uuid.uuid4(),
    )
    return item


def escalations():
    return Notification.objects.filter(purpose=Purpose.ESCALATION)


def test_an_incomplete_report_escalates_after_the_set_hours_once_per_period(
    support, processor_admin, practice, handler, settings
):
    settings.INCIDENT_INCOMPLETE_HOURS = 4
    item = recorded(support, practice, nature="Lek")
    start = item.created_at
    assert incident_escalations.escalate(start + 3 * H) == []
    sent = incident_escalations.escalate(start + 4 * H + datetime.timedelta(minutes=1))
    assert sorted(n.recipient for n in sent) == sorted([support.email, processor_admin.email])
    assert all(item.number in n.subject and f"/staff/incidents/{item.pk}/" in n.body for n in sent)
    assert "Lek" not in sent[0].body  # the report's text stays in the portal
    # Every quarter of an hour within the same period: nothing more.
    reminded = Incident.objects.get(pk=item.pk).incomplete_escalated_at
    for minutes in (15, 30, 45, 200):
        assert incident_escalations.escalate(start + 4 * H + minutes * H / 60) == []
    assert Incident.objects.get(pk=item.pk).incomplete_escalated_at == reminded
    assert len(incident_escalations.escalate(start + 8 * H + H / 60)) == 2
    assert escalations().count() == 4
    assert not escalations().filter(recipient=handler.email).exists()


def test_a_complete_report_does_not_escalate_as_incomplete(support, practice, settings):
    settings.INCIDENT_INCOMPLETE_HOURS = 4
    item = recorded(support, practice, **FOUR)
    assert incident_escalations.escalate(item.created_at + 5 * H) == []


def test_an_open_incident_without_update_escalates_after_the_set_days_once_per_period(
    support, practice, settings
):
    settings.INCIDENT_STALE_DAYS = 3
    item = recorded(support, practice, **FOUR)
    day = 24 * H
    assert incident_escalations.escalate(item.created_at + 2 * day) == []
    assert len(incident_escalations.escalate(item.created_at + 3 * day + H)) == 1
    assert incident_escalations.escalate(item.created_at + 4 * day) == []
    # An update starts the count again.
    row, _ = incidents.update(item, actor=support, version=item.version, text="Nieuws", changes={})
    assert incident_escalations.escalate(row.at + 2 * day) == []
    assert len(incident_escalations.escalate(row.at + 3 * day + H)) == 1


def test_a_closed_incident_never_escalates(support, practice, settings):
    item = recorded(support, practice)
    incidents.close(item, actor=support, version=item.version, note="Geen incident.")
    assert incident_escalations.escalate(item.created_at + 30 * 24 * H) == []


def test_the_job_runs_both_and_is_on_the_beat_schedule(support, practice, settings):
    from workflows import jobs

    assert settings.CELERY_BEAT_SCHEDULE["watch-incidents"]["task"] == (
        "workflows.tasks.watch_incidents"
    )
    assert settings.INCIDENT_INCOMPLETE_HOURS == 4 and settings.INCIDENT_STALE_DAYS == 3
    recorded(support, practice)
    assert jobs.watch_incidents() == 0  # nothing waiting yet
