"""Agreement art. 5: a request about the processor's own processing is also an incident, reported
to the practice's FG at once with the four fields of art. 5.2; the patient never sees it."""

import json
import re

import pytest

from requests_app.errors import TransitionRefused
from requests_app.models import Incident, IncidentState
from requests_app.roles import Role
from tests.factories import make_user, submit
from workflows.casework import incidents

pytestmark = pytest.mark.django_db(transaction=True)
FOUR = {
    "nature": "Berichten bleven zichtbaar na verwijderen in de app.",
    "personal_data": "Berichtinhoud van één patiënt.",
    "consequences": "Geen verspreiding vastgesteld; mogelijk zichtbaar op eigen toestel.",
    "measures": "Fout hersteld in versie 4.2; berichten definitief verwijderd.",
}


@pytest.fixture
def incident(practice, patient, providers):
    item = submit(practice, patient, kind="complaint", about_processor=True)
    return Incident.objects.get(request=item)


def test_request_about_the_processor_opens_an_incident_draft(incident):
    assert incident.state == IncidentState.DRAFT


def test_api_flag_opens_an_incident(client, api_key, practice):
    from tests.payloads import body

    response = client.post(
        "/api/v1/requests",
        json.dumps({**body(), "about_processor": True}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    assert response.status_code == 201
    assert Incident.objects.filter(request__reference=response.json()["reference"]).exists()


def test_support_reports_the_four_fields_to_the_fg_at_once(incident, support, practice, providers):
    providers.reset()
    reported = incidents.report(incident, actor=support, **FOUR)
    assert reported.state == IncidentState.REPORTED and reported.reported_at is not None
    assert reported.reported_to == practice.dpo_email
    mail = [m for m in providers.emails() if m.to == [practice.dpo_email]][-1]
    for text in FOUR.values():
        assert text in mail.text
    assert reported.request.events.filter(action="incident_reported").exists()


def test_incomplete_report_is_refused_and_nothing_is_sent(incident, support, providers):
    providers.reset()
    with pytest.raises(TransitionRefused):
        incidents.report(incident, actor=support, **{**FOUR, "measures": " "})
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.DRAFT
    assert providers.emails() == []


def test_practice_staff_cannot_report(incident, handler):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        incidents.report(incident, actor=handler, **FOUR)


def test_fg_sees_reported_incidents_of_own_practice_only(
    client, incident, support, practice, other_practice
):
    incidents.report(incident, actor=support, **FOUR)
    fg = make_user("fg@practice.example", Role.DPO, practice)
    other_fg = make_user("fg@elders.example", Role.DPO, other_practice)
    client.force_login(fg)
    assert client.get(f"/staff/incidents/{incident.pk}/").status_code == 200
    client.force_login(other_fg)
    assert client.get(f"/staff/incidents/{incident.pk}/").status_code == 404


def test_patient_never_sees_anything_about_the_incident(
    client, incident, support, patient, providers
):
    incidents.report(incident, actor=support, **FOUR)
    from workflows.casework.patients import account_for

    client.force_login(account_for(patient.email))
    page = client.get("/track/").content.decode()
    assert incident.request.reference in page
    for text in FOUR.values():
        assert text not in page
    assert not re.search("incident", page, re.I)
    for mail in providers.emails():
        if mail.to == [patient.email]:
            assert "incident" not in mail.text.lower()
            assert all(text not in mail.text for text in FOUR.values())


def test_support_works_incidents_in_the_portal_and_a_report_is_final(
    client, incident, support, practice
):
    client.force_login(support)
    assert incident.request.reference in client.get("/staff/incidents/").content.decode()
    response = client.post(f"/staff/incidents/{incident.pk}/save/", {**FOUR, "report": "1"})
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).state == IncidentState.REPORTED
    client.post(f"/staff/incidents/{incident.pk}/save/", {**FOUR, "nature": "Herschreven"})
    assert Incident.objects.get(pk=incident.pk).nature == FOUR["nature"]
    with pytest.raises(TransitionRefused):
        incidents.save_draft(
            Incident.objects.get(pk=incident.pk), actor=support, nature="Herschreven"
        )
