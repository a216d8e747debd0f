"""Agreement art. 1.1 e and 5: incidents of every kind, recorded on their own or from a request,
for one practice or several; every practice concerned told at once (FG and stand-in), the
report open for updates until closed, each practice's own record of the AP and the patients
(GDPR art. 33, 34); nothing of it ever reaches the patient (art. 5.7)."""

import datetime
import json
import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.models import (
    ApState,
    AuditRecord,
    Incident,
    IncidentCategory,
    IncidentPractice,
    IncidentState,
    IncidentUpdate,
    PatientsState,
)
from requests_app.models.request import DecisionIncomplete
from requests_app.roles import Role
from tests.factories import make_practice, make_user, submit
from workflows.casework import incidents
from workflows.intake.forwarding import route_request
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db
FOUR = {
    "nature": "Berichten bleven zichtbaar na verwijderen in de app.",
    "personal_data": "Berichtinhoud van patiënten.",
    "consequences": "Geen verspreiding vastgesteld.",
    "measures": "Fout hersteld in versie 4.2.",
}


def incident_mail(practice, **filters):
    return Notification.objects.filter(
        purpose=Purpose.INCIDENT, practice=practice, **filters
    ).order_by("pk")


def breach(support, *practices, key=None, **fields):
    return incidents.record(
        actor=support,
        category=IncidentCategory.BREACH,
        practices=practices,
        fields=fields,
        key=key or uuid.uuid4(),
    )


def test_every_kind_of_art_1_1_e_can_be_recorded(support, practice):
    assert set(IncidentCategory.values) == {"complaint", "authorities", "breach", "unlawful"}
    for category in IncidentCategory.values:
        item, created = incidents.record(
            actor=support, category=category, practices=[practice], fields={}
        )
        assert created and item.category == category and item.request is None


def test_a_breach_for_two_practices_tells_the_fg_and_standin_of_each_at_once(
    support, practice, other_practice
):
    before = timezone.now()
    item, created = breach(support, practice, other_practice, nature=FOUR["nature"])
    assert created and item.state == IncidentState.OPEN
    for p in (practice, other_practice):
        record = item.concerned.get(practice=p)
        assert record.told_at >= before
        assert record.ap_deadline == record.told_at + datetime.timedelta(hours=72)
        mails = incident_mail(p)
        assert sorted(m.recipient for m in mails) == sorted([p.dpo_email, p.standin_email])
        for mail in mails:
            assert f"/staff/incidents/{item.pk}/" in mail.body
            assert "nog niet bekend" in mail.body.lower()  # the parts not yet known
            # Never the other practice, never the report's text itself (no personal data).
            other = other_practice if p == practice else practice
            assert other.name not in mail.body and FOUR["nature"] not in mail.body
    assert AuditRecord.objects.filter(event_type="incident.create", object_id=str(item.pk)).exists()


def test_the_same_form_sent_twice_records_one_incident_and_sends_once(support, practice):
    key = uuid.uuid4()
    first, created = breach(support, practice, key=key)
    again, created_again = breach(support, practice, key=key)
    assert created and not created_again and again.pk == first.pk
    assert Incident.objects.count() == 1
    assert incident_mail(practice).count() == 2


def test_only_processor_support_records_incidents(handler, practice):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    for actor in (handler, fg):
        with pytest.raises(PermissionDenied):
            breach(actor, practice)
    assert not Incident.objects.exists()


def test_intake_about_the_processor_opens_an_incident_and_tells_the_practice_at_once(
    practice, patient
):
    item = submit(practice, patient, kind="complaint", about_processor=True)
    incident = Incident.objects.get(request=item)
    assert incident.state == IncidentState.OPEN and incident.category == "complaint"
    assert incident.concerned.get(practice=practice).told_at is not None
    assert incident_mail(practice).count() == 2


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


def test_an_unrouted_request_is_classified_and_its_practice_told_on_routing(
    support, patient, practice, other_practice
):
    item = submit(None, patient, practice_given="Dokter ?")
    incident, created = incidents.classify(
        item, actor=support, category=IncidentCategory.COMPLAINT, practices=[other_practice]
    )
    again, created_again = incidents.classify(
        item, actor=support, category=IncidentCategory.BREACH, practices=[practice]
    )
    assert created and not created_again and again.pk == incident.pk
    assert list(incident.concerned.values_list("practice", flat=True)) == [other_practice.pk]
    route_request(item, practice, actor=support)
    assert set(incident.concerned.values_list("practice", flat=True)) == {
        practice.pk,
        other_practice.pk,
    }
    assert incident_mail(practice).count() == 2


def test_an_update_is_kept_with_who_and_when_and_sent_to_every_practice(
    support, practice, other_practice
):
    item, _ = breach(support, practice, other_practice)
    row, added = incidents.update(
        item,
        actor=support,
        version=item.version,
        text="Oorzaak gevonden.",
        changes={**FOUR, "category": IncidentCategory.BREACH},
    )
    assert row.by == support and row.text == "Oorzaak gevonden." and added == []
    assert set(row.changes) == set(FOUR)  # the category did not change
    assert row.changes["nature"] == {"from": "", "to": FOUR["nature"]}
    item = Incident.objects.get(pk=item.pk)
    assert item.is_complete and item.last_update_at == row.at
    for p in (practice, other_practice):
        mails = incident_mail(p, dedupe_key__contains=":update:")
        assert sorted(m.recipient for m in mails) == sorted([p.dpo_email, p.standin_email])
    assert AuditRecord.objects.filter(event_type="incident.update").count() == 1


def test_a_stale_update_form_is_refused_and_changes_nothing(support, practice):
    item, _ = breach(support, practice)
    incidents.update(item, actor=support, version=item.version, text="Eerste", changes={})
    with pytest.raises(StaleRequest):
        incidents.update(item, actor=support, version=item.version, text="Oud", changes=FOUR)
    assert IncidentUpdate.objects.count() == 1
    assert Incident.objects.get(pk=item.pk).nature == ""


def test_an_update_adds_a_practice_which_is_told_of_the_incident(support, practice, other_practice):
    item, _ = breach(support, practice)
    row, added = incidents.update(
        item,
        actor=support,
        version=item.version,
        text="",
        changes={},
        add_practices=[other_practice],
    )
    assert row is None and added == [other_practice]
    assert incident_mail(other_practice, dedupe_key__contains=":told:").count() == 2


def test_practice_staff_cannot_update_or_close(support, practice, handler):
    item, _ = breach(support, practice)
    with pytest.raises(PermissionDenied):
        incidents.update(item, actor=handler, version=item.version, text="x", changes={})
    with pytest.raises(PermissionDenied):
        incidents.close(item, actor=handler, version=item.version, note="klaar")
    assert Incident.objects.get(pk=item.pk).state == IncidentState.OPEN


def test_closing_needs_a_note_and_a_closed_incident_changes_no_more(support, practice):
    item, _ = breach(support, practice)
    with pytest.raises(DecisionIncomplete):
        incidents.close(item, actor=support, version=item.version, note=" ")
    closed = incidents.close(item, actor=support, version=item.version, note="Opgelost.")
    assert closed.state == IncidentState.CLOSED and closed.closing_note == "Opgelost."
    assert incident_mail(practice, dedupe_key__contains=":closed:").count() == 2
    with pytest.raises(TransitionRefused):
        incidents.update(closed, actor=support, version=closed.version, text="x", changes=FOUR)
    with pytest.raises(TransitionRefused):
        incidents.close(closed, actor=support, version=closed.version, note="Nog eens")
    assert incidents.concern(closed, make_practice("05555555"), actor=support) is None
    assert not IncidentUpdate.objects.exists()
    assert AuditRecord.objects.filter(event_type="incident.close").exists()


def test_the_fg_and_the_admin_record_the_ap_and_the_patients_a_handler_cannot(
    support, practice, handler
):
    item, _ = breach(support, practice)
    record = item.concerned.get()
    fg = make_user("fg@practice.example", Role.DPO, practice)
    admin = make_user("admin@practice.example", Role.PRACTICE_ADMIN, practice)
    when = timezone.now() - datetime.timedelta(hours=2)
    with pytest.raises(PermissionDenied):
        incidents.practice_step(
            record, "report_to_ap", actor=handler, version=0, at=when, reference="AP-1"
        )
    with pytest.raises(PermissionDenied):
        incidents.practice_step(record, "not_to_ap", actor=support, version=0, reason="geen")
    record = incidents.practice_step(
        record, "report_to_ap", actor=fg, version=0, at=when, reference="AP-2026-123"
    )
    assert record.ap_state == ApState.REPORTED and record.ap_reference == "AP-2026-123"
    assert record.hours_left() is None and not record.overdue()
    record = incidents.practice_step(
        record, "not_tell_patients", actor=admin, version=record.version, reason="Versleuteld."
    )
    assert record.patients_state == PatientsState.NOT_TOLD
    audit = AuditRecord.objects.filter(event_type="incident.report_to_ap").get()
    assert audit.practice_id_ref == practice.pk


def test_another_practices_officer_cannot_touch_this_record(support, practice, other_practice):
    item, _ = breach(support, practice)
    record = item.concerned.get()
    other_fg = make_user("fg@elders.example", Role.DPO, other_practice)
    with pytest.raises(PermissionDenied):
        incidents.practice_step(record, "not_to_ap", actor=other_fg, version=0, reason="x")
    assert IncidentPractice.objects.get(pk=record.pk).ap_state == ApState.PENDING


def test_the_72_hour_clock_runs_from_being_told_and_marks_overdue(support, practice):
    item, _ = breach(support, practice)
    record = item.concerned.get()
    told = record.told_at
    assert record.hours_left(told + datetime.timedelta(hours=1)) == 71
    assert not record.overdue(told + datetime.timedelta(hours=71, minutes=59))
    assert record.overdue(told + datetime.timedelta(hours=72, minutes=1))


def test_a_reported_time_in_the_future_is_refused(support, practice):
    item, _ = breach(support, practice)
    record = item.concerned.get()
    fg = make_user("fg@practice.example", Role.DPO, practice)
    with pytest.raises(DecisionIncomplete):
        incidents.practice_step(
            record,
            "report_to_ap",
            actor=fg,
            version=0,
            at=timezone.now() + datetime.timedelta(days=1),
            reference="AP-1",
        )
    assert IncidentPractice.objects.get(pk=record.pk).ap_state == ApState.PENDING


def test_a_practice_never_told_is_told_by_the_job_once(support, practice):
    item, _ = breach(support, practice)
    IncidentPractice.objects.filter(incident=item).update(told_at=None)
    Notification.objects.all().delete()
    assert incidents.tell_untold() == 1
    assert incidents.tell_untold() == 0
    assert incident_mail(practice).count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_patient_never_hears_of_the_incident(client, support, practice, patient, providers):
    item = submit(practice, patient, kind="complaint", about_processor=True)
    incident = item.incident
    incidents.update(incident, actor=support, version=incident.version, text="Lek.", changes=FOUR)
    from workflows.casework.patients import account_for

    client.force_login(account_for(patient.email))
    page = client.get("/track/").content.decode()
    assert item.reference in page
    assert not re.search("incident", page, re.I)
    assert all(text not in page for text in FOUR.values())
    patient_mails = [m for m in providers.emails() if m.to == [patient.email]]
    assert patient_mails
    for mail in patient_mails:
        assert "incident" not in mail.text.lower()
    assert not Notification.objects.filter(purpose=Purpose.INCIDENT, request=item).exists()
