"""The incident pages (agreement art. 1.1 e, 5; GDPR art. 33, 34): support's list, new incident
form, update and close; a request classified from its page; the practice's page with its own
record, the 72-hour clock and the processor's contacts. Bad input, another practice's ids and a
double POST change nothing."""

import datetime
import json
import uuid

import pytest
from django.utils import timezone

from requests_app.models import (
    ApState,
    AuditOutcome,
    AuditRecord,
    ContactRole,
    Incident,
    IncidentCategory,
    IncidentPractice,
    IncidentUpdate,
    ProcessorContact,
)
from requests_app.roles import Role
from tests.factories import make_practice, make_user, submit
from workflows.casework import incidents
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db
FOUR = {
    "nature": "Back-up onversleuteld gedeeld.",
    "personal_data": "Namen en telefoonnummers.",
    "consequences": "Mogelijk ingezien door derden.",
    "measures": "Link ingetrokken.",
}


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


@pytest.fixture
def other_fg(other_practice):
    return make_user("fg@elders.example", Role.DPO, other_practice)


@pytest.fixture
def two_practice_breach(support, practice, other_practice):
    item, _ = incidents.record(
        actor=support,
        category=IncidentCategory.BREACH,
        practices=[practice, other_practice],
        fields={"nature": FOUR["nature"]},
        key=uuid.uuid4(),
    )
    return item


def new_form(chosen, **extra):
    return {
        "key": str(uuid.uuid4()),
        "category": "breach",
        "practices": [p.pk for p in chosen],
        **FOUR,
        "discovered_at": "2026-03-02T09:30",
        **extra,
    }


def test_support_records_a_breach_for_two_practices_and_a_double_post_records_one(
    client, support, practice, other_practice
):
    client.force_login(support)
    page = client.get("/staff/incidents/new/")
    assert page.status_code == 200 and other_practice.name in page.content.decode()
    form = new_form([practice, other_practice])
    first = client.post("/staff/incidents/new/", form)
    again = client.post("/staff/incidents/new/", form)
    item = Incident.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/staff/incidents/{item.pk}/"
    assert item.category == "breach" and item.nature == FOUR["nature"]
    assert item.discovered_at == timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 30))
    assert set(item.concerned.values_list("practice", flat=True)) == {
        practice.pk,
        other_practice.pk,
    }
    assert Notification.objects.filter(purpose=Purpose.INCIDENT).count() == 4


def test_all_active_practices_can_be_chosen_at_once(client, support, practice, other_practice):
    asleep = make_practice("09999999", name="Gesloten praktijk", active=False)
    client.force_login(support)
    response = client.post("/staff/incidents/new/", new_form([], all_active="on"))
    assert response.status_code == 302
    concerned = set(Incident.objects.get().concerned.values_list("practice", flat=True))
    assert concerned == {practice.pk, other_practice.pk} and asleep.pk not in concerned


@pytest.mark.parametrize(
    "bad",
    [
        {"nature": "lek\x00"},
        {"measures": "x" * 5001},
        {"practices": ""},
        {"category": "rumour"},
        {"discovered_at": "2999-01-01T10:00"},
        {"key": "not-a-key"},
    ],
)
def test_bad_input_on_the_new_form_is_a_400_that_records_and_sends_nothing(
    client, support, practice, bad
):
    client.force_login(support)
    response = client.post("/staff/incidents/new/", new_form([practice], **bad))
    assert response.status_code == 400
    assert not Incident.objects.exists() and not Notification.objects.exists()


def test_practice_staff_cannot_record_or_update(client, fg, handler, two_practice_breach):
    for user in (fg, handler):
        client.force_login(user)
        assert client.get("/staff/incidents/new/").status_code == 403
        response = client.post(
            f"/staff/incidents/{two_practice_breach.pk}/update/",
            {"version": 0, "category": "breach", "text": "x"},
        )
        assert response.status_code in (403, 404)
    assert not IncidentUpdate.objects.exists()


def test_support_updates_and_closes_on_the_page_then_nothing_changes(
    client, support, two_practice_breach
):
    item = two_practice_breach
    client.force_login(support)
    update = {"version": item.version, "category": "breach", **FOUR, "text": "Oorzaak bekend."}
    assert client.post(f"/staff/incidents/{item.pk}/update/", update).status_code == 302
    row = IncidentUpdate.objects.get()
    assert row.by == support and set(row.changes) == {"personal_data", "consequences", "measures"}
    # The same form again: stale, refused, nothing kept.
    client.post(f"/staff/incidents/{item.pk}/update/", update)
    assert IncidentUpdate.objects.count() == 1
    closing = {"version": item.version + 1, "note": "Afgehandeld."}
    assert client.post(f"/staff/incidents/{item.pk}/close/", closing).status_code == 302
    after = Incident.objects.get(pk=item.pk)
    assert after.state == "closed"
    page = client.get(f"/staff/incidents/{item.pk}/").content.decode()
    assert "Afgehandeld." in page and 'action="/staff/incidents/' not in page
    changed = {**update, "version": after.version, "nature": "Anders"}
    client.post(f"/staff/incidents/{item.pk}/update/", changed)
    assert Incident.objects.get(pk=item.pk).nature == FOUR["nature"]
    assert IncidentUpdate.objects.count() == 1


def test_support_lists_open_and_closed_incidents(client, support, two_practice_breach, practice):
    other, _ = incidents.record(
        actor=support, category="authorities", practices=[practice], fields={}
    )
    incidents.close(other, actor=support, version=0, note="Geen beslag gelegd.")
    client.force_login(support)
    open_page = client.get("/staff/incidents/").content.decode()
    closed_page = client.get("/staff/incidents/?state=closed").content.decode()
    assert two_practice_breach.number in open_page and other.number not in open_page
    assert other.number in closed_page and two_practice_breach.number not in closed_page


def test_the_fg_sees_only_its_own_record_with_the_clock_and_the_processor_contacts(
    client, fg, practice, other_practice, two_practice_breach
):
    ProcessorContact.objects.create(
        role=ContactRole.PRIMARY, name="Sanne Bakker", email="incidenten@processor.example"
    )
    ProcessorContact.objects.create(
        role=ContactRole.STANDIN, name="Godfried Test", email="directie@processor.example"
    )
    client.force_login(fg)
    listing = client.get("/staff/incidents/").content.decode()
    assert two_practice_breach.number in listing and other_practice.name not in listing
    page = client.get(f"/staff/incidents/{two_practice_breach.pk}/").content.decode()
    assert FOUR["nature"] in page and "nog niet bekend" in page
    assert practice.name in page and other_practice.name not in page
    assert "Sanne Bakker" in page and "Godfried Test" in page
    record = two_practice_breach.concerned.get(practice=practice)
    deadline = timezone.localtime(record.ap_deadline)
    assert f"{deadline:%H:%M}" in page and "nog 71 uur" in page


def test_overdue_is_marked(client, fg, practice, two_practice_breach):
    IncidentPractice.objects.filter(incident=two_practice_breach, practice=practice).update(
        told_at=timezone.now() - datetime.timedelta(hours=73)
    )
    client.force_login(fg)
    page = client.get(f"/staff/incidents/{two_practice_breach.pk}/").content.decode()
    assert "days overdue" in page and "72 uur verstreken" in page


def test_the_fg_records_the_ap_report_and_another_practice_cannot(
    client, fg, other_fg, handler, practice, two_practice_breach
):
    item = two_practice_breach
    record = item.concerned.get(practice=practice)
    form = {
        "report_to_ap-record": record.pk,
        "report_to_ap-version": record.version,
        "report_to_ap-at": "2026-01-05T10:15",
        "report_to_ap-reference": "AP-2026-0042",
    }
    url = f"/staff/incidents/{item.pk}/record/report_to_ap/"
    # Another practice's FG with this record's id: 404, recorded as a denied look.
    client.force_login(other_fg)
    assert client.post(url, form).status_code == 404
    assert AuditRecord.objects.filter(user=other_fg, outcome=AuditOutcome.DENIED).exists()
    client.force_login(handler)
    assert client.post(url, form).status_code == 404
    assert IncidentPractice.objects.get(pk=record.pk).ap_state == ApState.PENDING
    client.force_login(fg)
    assert client.post(url, {**form, "report_to_ap-reference": "AP\x00"}).status_code == 400
    assert client.post(url, form).status_code == 302
    saved = IncidentPractice.objects.get(pk=record.pk)
    assert saved.ap_state == ApState.REPORTED and saved.ap_reference == "AP-2026-0042"
    assert saved.ap_by == fg
    other_record = item.concerned.exclude(pk=record.pk).get()
    assert IncidentPractice.objects.get(pk=other_record.pk).ap_state == ApState.PENDING


def test_a_practice_outside_the_incident_gets_404_and_the_look_is_recorded(
    client, support, practice, other_fg
):
    item, _ = incidents.record(actor=support, category="breach", practices=[practice], fields={})
    client.force_login(other_fg)
    assert client.get(f"/staff/incidents/{item.pk}/").status_code == 404
    assert AuditRecord.objects.filter(
        user=other_fg, event_type="incident.view", outcome=AuditOutcome.DENIED
    ).exists()
    assert item.number not in client.get("/staff/incidents/").content.decode()


def test_support_classifies_an_unrouted_request_and_sees_what_the_patient_wrote(
    client, support, patient, practice
):
    item = submit(None, patient, practice_given="Dokter ?")
    client.force_login(support)
    page = client.get(f"/staff/requests/{item.reference}/").content.decode()
    assert "Dit verzoek als incident aanmerken" in page
    form = {"category": "complaint", "practices": [practice.pk]}
    first = client.post(f"/staff/requests/{item.reference}/incident/", form)
    again = client.post(f"/staff/requests/{item.reference}/incident/", form)
    incident = Incident.objects.get()
    assert first["Location"] == again["Location"] == f"/staff/incidents/{incident.pk}/"
    assert Notification.objects.filter(purpose=Purpose.INCIDENT).count() == 2
    shown = client.get(f"/staff/incidents/{incident.pk}/")
    assert item.description in shown.content.decode()
    assert AuditRecord.objects.filter(
        event_type="incident.view", user=support, purpose=item.reference
    ).exists()


def test_a_practice_handler_sees_no_classify_form_and_cannot_classify(
    client, handler, practice, patient
):
    item = submit(practice, patient)
    client.force_login(handler)
    page = client.get(f"/staff/requests/{item.reference}/").content.decode()
    assert "incident" not in page.lower()
    response = client.post(
        f"/staff/requests/{item.reference}/incident/",
        {"category": "complaint", "practices": [practice.pk]},
    )
    assert response.status_code == 403 and not Incident.objects.exists()


def test_the_api_status_of_a_request_classified_as_incident_says_nothing_of_it(
    client, api_key, practice, support
):
    from tests.payloads import body

    created = client.post(
        "/api/v1/requests",
        json.dumps({**body(), "about_processor": True}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    ).json()
    incident = Incident.objects.get(request__reference=created["reference"])
    incidents.update(incident, actor=support, version=incident.version, text="x", changes=FOUR)
    status = client.get(
        f"/api/v1/requests/{created['reference']}", HTTP_AUTHORIZATION=f"Bearer {api_key}"
    )
    assert status.status_code == 200
    text = status.content.decode().lower()
    assert "incident" not in text and all(v.lower() not in text for v in FOUR.values())


def test_supports_list_counts_the_practices_of_each_incident_in_one_query(
    client, support, practice, django_assert_max_num_queries
):
    others = [make_practice(f"0765432{n}", name=f"Praktijk {n}") for n in range(3)]
    for concerned in ([practice], [practice, *others]):
        incidents.record(
            actor=support,
            category="breach",
            practices=concerned,
            fields={"nature": "Back-up open"},
            key=uuid.uuid4(),
        )
    client.force_login(support)
    with django_assert_max_num_queries(30) as queries:
        page = client.get("/staff/incidents/").content.decode()
    counts = [
        cell.split(">", 1)[1].split("<", 1)[0] for cell in page.split('data-label="Praktijken"')[1:]
    ]
    assert sorted(counts) == ["1", "4"]
    assert not [
        q
        for q in queries.captured_queries
        if "incidentpractice" in q["sql"]
        and "COUNT" in q["sql"].upper()
        and "GROUP BY" not in q["sql"].upper()
    ]
