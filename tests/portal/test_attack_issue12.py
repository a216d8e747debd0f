"""An attacker's view of issue 12: incidents, legal orders, general tasks, time and charges,
the register of processing and announced sub-processor changes. Another practice learns
nothing, a role does only its own work, bad input is a 4xx that changes nothing."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.models import (
    ApState,
    AuditOutcome,
    AuditRecord,
    ChangeAnswer,
    GeneralTask,
    Incident,
    IncidentCategory,
    IncidentPractice,
    LegalOrder,
    SubProcessor,
    TimeEntry,
)
from requests_app.roles import Role
from tests.factories import make_user, submit
from workflows.assistance import general, legal_orders
from workflows.casework import incidents
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db

RTL = "Factuur \u202egpj.exe"


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


@pytest.fixture
def other_fg(other_practice):
    return make_user("fg@elders.example", Role.DPO, other_practice)


def denied(user, event) -> bool:
    return AuditRecord.objects.filter(
        user=user, event_type=event, outcome=AuditOutcome.DENIED
    ).exists()


def an_order(practice, support, **extra):
    (order,) = legal_orders.record(
        [practice],
        actor=support,
        authority="AIVD",
        legal_basis="art. 28 Wiv 2017",
        order_reference="GEHEIM-77",
        processing="Gegevens verstrekken",
        received_on=datetime.date(2026, 3, 2),
        planned_on=datetime.date(2026, 3, 3),
        **extra,
    )
    return order


# --- Legal orders: the practice learns of an order only once it is told -----------------------
def test_an_order_not_yet_notified_is_hidden_until_support_decides_on_the_notice(
    client, practice, handler, support
):
    order = an_order(practice, support)
    client.force_login(handler)
    assert "GEHEIM-77" not in client.get("/staff/orders/").content.decode()
    assert client.get(f"/staff/orders/{order.pk}/").status_code == 404
    assert denied(handler, "legal_order.view")
    legal_orders.notify(order, actor=support)
    assert client.get(f"/staff/orders/{order.pk}/").status_code == 200


def test_the_fgs_audit_log_says_nothing_of_an_order_under_a_ban_on_notice(
    client, practice, fg, support
):
    order = an_order(practice, support)
    client.force_login(support)
    assert client.get(f"/staff/orders/{order.pk}/").status_code == 200
    legal_orders.forbid_notice(order, actor=support, ground="art. 66 Wiv 2017: geheimhouding")
    client.force_login(fg)
    for url in ("/staff/audit/", "/staff/audit/export.csv"):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200
        assert b"legal_order" not in body and order.number.encode() not in body
    legal_orders.lift_ban(order, actor=support)
    body = b"".join(client.get("/staff/audit/export.csv").streaming_content)
    assert b"legal_order.create" in body


# --- Incidents: a practice concerned learns nothing of the others ------------------------------
def test_another_practice_concerned_by_an_incident_from_a_request_leaves_no_trace_in_its_log(
    client, support, practice, other_practice, patient, fg, other_fg
):
    item = submit(practice, patient)
    incident, _ = incidents.classify(
        item, actor=support, category="complaint", practices=[practice, other_practice]
    )
    client.force_login(other_fg)
    page = client.get(f"/staff/incidents/{incident.pk}/").content.decode()
    assert item.reference not in page and practice.name not in page
    assert patient.email not in page
    mine = AuditRecord.objects.filter(event_type="incident.view", user=other_fg)
    assert mine.count() == 1
    record = mine.get()
    assert record.practice_id_ref == other_practice.pk
    assert record.patient_id == "" and item.reference not in record.purpose
    client.force_login(fg)
    log = b"".join(client.get("/staff/audit/export.csv").streaming_content).decode()
    assert "fg@elders.example" not in log
    assert client.get(f"/staff/incidents/{incident.pk}/").status_code == 200
    assert AuditRecord.objects.get(event_type="incident.view", user=fg).practice_id_ref == (
        practice.pk
    )


def test_the_fg_of_one_practice_reaches_nothing_of_the_others_record(
    client, support, practice, other_practice, fg, other_fg
):
    incident, _ = incidents.record(
        actor=support,
        category=IncidentCategory.BREACH,
        practices=[practice, other_practice],
        fields={"nature": "Back-up open op internet"},
        key=uuid.uuid4(),
    )
    theirs = IncidentPractice.objects.get(practice=other_practice)
    client.force_login(fg)
    page = client.get(f"/staff/incidents/{incident.pk}/").content.decode()
    for secret in (other_practice.name, other_practice.dpo_email, other_practice.standin_email):
        assert secret not in page
    listing = client.get("/staff/incidents/").content.decode()
    assert other_practice.name not in listing
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/staff/incidents/{incident.pk}/record/report_to_ap/",
        {
            "report_to_ap-record": theirs.pk,
            "report_to_ap-version": theirs.version,
            "report_to_ap-at": now,
            "report_to_ap-reference": "AP-1",
        },
    )
    assert response.status_code == 404
    assert IncidentPractice.objects.get(pk=theirs.pk).ap_state == ApState.PENDING
    for message in Notification.objects.filter(purpose=Purpose.INCIDENT):
        if message.recipient.endswith("practice.example") and "0123" in message.recipient:
            assert other_practice.name not in message.body


def test_a_handler_cannot_record_the_ap_report(client, support, practice, handler):
    incident, _ = incidents.record(
        actor=support, category="breach", practices=[practice], fields={}, key=uuid.uuid4()
    )
    row = IncidentPractice.objects.get()
    client.force_login(handler)
    response = client.post(
        f"/staff/incidents/{incident.pk}/record/not_to_ap/",
        {"not_to_ap-record": row.pk, "not_to_ap-version": row.version, "not_to_ap-reason": "x"},
    )
    assert response.status_code in (403, 404)
    assert IncidentPractice.objects.get().ap_state == ApState.PENDING


@pytest.mark.parametrize(
    "bad",
    [
        {"not_to_ap-record": "99999999999999999999"},
        {"not_to_ap-record": "\u0661"},
        {"not_to_ap-version": "-1"},
        {"not_to_ap-reason": "geen risico \u202e"},
        {"not_to_ap-reason": "a\x00b"},
        {"not_to_ap-reason": "x" * 6000},
    ],
)
def test_bad_input_on_the_practices_record_is_a_4xx(client, support, practice, fg, bad):
    incident, _ = incidents.record(
        actor=support, category="breach", practices=[practice], fields={}, key=uuid.uuid4()
    )
    row = IncidentPractice.objects.get()
    data = {
        "not_to_ap-record": row.pk,
        "not_to_ap-version": row.version,
        "not_to_ap-reason": "geen risico",
    } | bad
    client.force_login(fg)
    response = client.post(f"/staff/incidents/{incident.pk}/record/not_to_ap/", data)
    assert 400 <= response.status_code < 500
    assert IncidentPractice.objects.get().ap_state == ApState.PENDING


# --- Charges: another practice's statement, and month junk -------------------------------------
def test_another_practices_statement_is_a_404_and_the_look_is_recorded(
    client, practice, other_handler
):
    client.force_login(other_handler)
    for url in ("/staff/charges/", "/staff/charges/statement.csv"):
        response = client.get(f"{url}?practice={practice.pk}&month=2026-03")
        assert response.status_code == 404
    assert denied(other_handler, "charges.view")
    assert not AuditRecord.objects.filter(
        event_type="charges.view", practice_id_ref=practice.pk, outcome="success"
    ).exists()


@pytest.mark.parametrize(
    "month",
    ["9999-12", "0000-01", "2026-13", "2026-3x", "\u0662\u0660\u0662\u0666-\u0660\u0663x", "a\x00"],
)
def test_month_junk_in_the_statement_is_a_400(client, practice, handler, month):
    client.force_login(handler)
    for url in ("/staff/charges/", "/staff/charges/statement.csv"):
        assert client.get(url, {"practice": practice.pk, "month": month}).status_code == 400


# --- Direction controls in texts shown to others -----------------------------------------------
def test_direction_controls_in_a_general_task_are_refused(client, practice, handler):
    client.force_login(handler)
    response = client.post(
        reverse("staff:general_new"),
        {
            "practice": practice.pk,
            "kind": "audit",
            "subject": RTL,
            "question": "Wanneer?",
            "key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400 and not GeneralTask.objects.exists()
    response = client.post(
        reverse("staff:general_new"),
        {
            "practice": practice.pk,
            "kind": "audit",
            "subject": "Audit",
            "question": RTL,
            "key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400 and not GeneralTask.objects.exists()


def test_direction_controls_in_an_answer_to_the_practice_are_refused(
    client, practice, handler, support
):
    task = general.ask(practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?")
    task = general.start(task, actor=support)
    client.force_login(support)
    response = client.post(
        f"/staff/general/{task.pk}/act/give_answer/",
        {"version": task.version, "text": RTL},
    )
    assert response.status_code == 400
    assert GeneralTask.objects.get().state == task.state


def test_direction_controls_in_a_legal_order_are_refused(client, practice, support):
    client.force_login(support)
    response = client.post(
        reverse("staff:order_new"),
        {
            "practices": [practice.pk],
            "authority": "Politie",
            "legal_basis": "art. 126nd Sv",
            "order_reference": RTL,
            "processing": "Gegevens verstrekken",
            "received_on": "2026-03-02",
            "planned_on": "2026-03-03",
            "key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400 and not LegalOrder.objects.exists()


def test_direction_controls_in_an_objection_to_a_change_are_refused(
    client, support, practice, other_practice, fg
):
    client.force_login(support)
    response = client.post(
        reverse("staff:subprocessor_change_new"),
        {
            "kind": "new",
            "subprocessor": SubProcessor.objects.get(name="Twilio").pk,
            "description_nl": "Twilio verstuurt de sms-codes.",
            "description": "Twilio sends the SMS codes.",
            "effective_on": (timezone.localdate() + datetime.timedelta(days=31)).isoformat(),
            "inside_eea": "on",
            "key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    answer = ChangeAnswer.objects.get(practice=practice)
    client.force_login(fg)
    url = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    response = client.post(url, {"decision": "object", "reason": RTL})
    assert response.status_code == 400
    assert ChangeAnswer.objects.get(pk=answer.pk).state == answer.state


def test_direction_controls_in_a_time_entry_note_are_refused(client, practice, handler, support):
    task = general.ask(practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?")
    task = general.start(task, actor=support)
    client.force_login(support)
    response = client.post(
        f"/staff/general/{task.pk}/time/",
        {
            "time-day": timezone.localdate().isoformat(),
            "time-minutes": "30",
            "time-function": "Security consultant",
            "time-basis": "chargeable",
            "time-note": RTL,
            "time-key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400 and not TimeEntry.objects.exists()


def test_the_incident_never_reaches_the_patient(client, support, practice, patient):
    item = submit(practice, patient)
    incidents.classify(item, actor=support, category="complaint", practices=[practice])
    to_patient = Notification.objects.filter(recipient=patient.email)
    assert not to_patient.filter(purpose=Purpose.INCIDENT).exists()
    assert Incident.objects.count() == 1


# --- The exit's archive ---------------------------------------------------------------------------
def test_the_exit_archive_says_nothing_of_an_order_under_a_ban_on_notice(practice, support):
    from workflows.practice_exit import sections

    order = an_order(practice, support)
    legal_orders.forbid_notice(order, actor=support, ground="art. 66 Wiv 2017: geheimhouding")
    (section,) = [s for s in sections.SECTIONS if s.key == "audit_records"]

    def traces() -> list:
        rows = [row for table in section.tables(practice) for row in table.rows]
        return [row for row in rows if order.number in str(row)]

    assert traces() == []
    legal_orders.lift_ban(order, actor=support)
    assert traces()  # once the practice is told, its log holds the order's whole trace


def test_the_exit_archive_holds_a_shared_incident_without_the_other_practice(
    support, practice, other_practice
):
    from workflows.practice_exit import sections

    incidents.record(
        actor=support,
        category=IncidentCategory.BREACH,
        practices=[practice, other_practice],
        fields={"nature": "Back-up open op internet"},
        key=uuid.uuid4(),
    )
    written = "".join(
        str(row)
        for section in sections.SECTIONS
        if section.key.startswith("incident")
        for table in section.tables(practice)
        for row in table.rows
    )
    assert "Back-up open op internet" in written
    assert other_practice.name not in written and other_practice.dpo_email not in written
