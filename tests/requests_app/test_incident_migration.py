"""Migration 0034: incidents kept as drafts or reported before incidents had kinds and practices
become open incidents, each with its practice's record; a draft's practice, never told, is told
by the incident job (agreement art. 5.2)."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from requests_app.models import Incident, IncidentState
from tests.factories import submit
from workflows.casework import incidents
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("requests_app", "0033_seed_processing_register")


def migrate(target=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target] if target else executor.loader.graph.leaf_nodes())
    return executor.loader.project_state([target] if target else None).apps


def test_drafts_and_reported_incidents_become_open_with_their_practice(practice, patient):
    draft_request = submit(practice, patient)
    reported_request = submit(practice, patient)
    reported_at = timezone.now() - datetime.timedelta(days=2)
    try:
        old = migrate(BEFORE).get_model("requests_app", "Incident")
        old.objects.create(request_id=draft_request.pk, practice_id=None, state="draft")
        old.objects.create(
            request_id=reported_request.pk,
            practice_id=practice.pk,
            state="reported",
            nature="Verkeerde brief",
            reported_at=reported_at,
            reported_to=practice.dpo_email,
        )
    finally:
        migrate()
    draft = Incident.objects.get(request=draft_request)
    reported = Incident.objects.get(request=reported_request)
    assert draft.state == reported.state == IncidentState.OPEN
    assert draft.category == reported.category == "complaint"
    told = reported.concerned.get(practice=practice)
    assert told.told_at == reported_at and told.told_to == practice.dpo_email
    assert reported.nature == "Verkeerde brief"
    untold = draft.concerned.get(practice=practice)
    assert untold.told_at is None
    assert incidents.tell_untold() == 1
    assert draft.concerned.get().told_at is not None
    assert Notification.objects.filter(purpose=Purpose.INCIDENT, practice=practice).count() == 2
