"""The patient after intake: sign in with an e-mailed code, follow, answer and withdraw."""

import datetime
import re

import pytest
from django.utils import timezone

from requests_app.models import PatientWait, Request, RequestState
from tests.factories import submit
from workflows.casework import actions as casework

pytestmark = pytest.mark.django_db(transaction=True)


def fresh(item):
    return Request.objects.get(pk=item.pk)


def sign_in_by_code(client, providers, email) -> None:
    providers.reset()
    response = client.post("/accounts/login/code/", {"email": email})
    assert response.status_code == 302, response.content.decode()[:500]
    mail = providers.wait_for(lambda calls: any(c.to == [email] for c in calls), timeout=5)[-1]
    code = re.search(r"^\s*(\d{6})\s*$", mail.text, re.M).group(1)
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302


@pytest.fixture
def mine(practice, patient, providers):
    return submit(practice, patient)


def test_patient_signs_in_with_a_code_and_sees_only_own_requests(
    client, providers, mine, practice, patient
):
    import dataclasses

    other = submit(practice, dataclasses.replace(patient, email="someone@example.com"))
    sign_in_by_code(client, providers, patient.email)
    page = client.get("/track/").content.decode()
    assert mine.reference in page and other.reference not in page
    before = fresh(other).state
    assert client.post(f"/track/{other.reference}/withdraw/", {"confirm": "on"}).status_code == 404
    assert client.post(f"/track/{other.reference}/reply/", {"body": "Hallo"}).status_code == 404
    # Both tries are on the audit log as denied looks (NEN 7513), and nothing changed.
    from requests_app.models import AuditOutcome, AuditRecord

    denied = AuditRecord.objects.filter(outcome=AuditOutcome.DENIED, object_id=other.reference)
    assert denied.count() == 2
    assert fresh(other).state == before and not fresh(other).messages.exists()


def test_staff_cannot_sign_in_by_code(client, providers, handler):
    providers.reset()
    client.post("/accounts/login/code/", {"email": handler.email})
    assert [c for c in providers.calls if c.to == [handler.email]] == []


def test_question_answer_and_stopped_clock(client, providers, mine, handler, patient):
    item = casework.act(fresh(mine), "acknowledge", actor=handler, version=fresh(mine).version)
    providers.reset()
    item = casework.act(
        item,
        "ask_patient",
        actor=handler,
        version=item.version,
        note="Over welke periode gaat het?",
        stops_clock=True,
        clock_reason="Zonder periode kunnen we niet zoeken.",
    )
    assert item.state == RequestState.AWAITING_PATIENT
    news = [c for c in providers.emails() if c.to == [patient.email]]
    assert len(news) == 1 and "periode" not in news[0].text.lower()  # no content in e-mail
    # Five days later the patient answers.
    PatientWait.objects.filter(request=item).update(
        started_at=timezone.now() - datetime.timedelta(days=5)
    )
    due_before = item.response_due
    sign_in_by_code(client, providers, patient.email)
    assert "Over welke periode" in client.get("/track/").content.decode()
    client.post(f"/track/{item.reference}/reply/", {"body": "Heel 2025."})
    item = fresh(item)
    assert item.state == RequestState.IN_REVIEW
    assert item.response_due >= due_before + datetime.timedelta(days=5)
    assert item.original_due == due_before
    assert item.messages.last().body == "Heel 2025."


def test_without_stopping_the_clock_the_deadline_stays(mine, handler, patient):
    item = casework.act(fresh(mine), "acknowledge", actor=handler, version=fresh(mine).version)
    item = casework.act(item, "ask_patient", actor=handler, version=item.version, note="?")
    PatientWait.objects.filter(request=item).update(
        started_at=timezone.now() - datetime.timedelta(days=5)
    )
    item = casework.act(item, "resume", actor=handler, version=item.version)
    assert item.response_due == mine.response_due and item.state == RequestState.IN_REVIEW


def test_patient_withdraws_and_the_practice_is_told(client, providers, mine, patient):
    sign_in_by_code(client, providers, patient.email)
    assert client.post(f"/track/{mine.reference}/withdraw/", {}).status_code == 302
    assert fresh(mine).state == RequestState.FORWARDED  # not confirmed: nothing changes
    providers.reset()
    client.post(f"/track/{mine.reference}/withdraw/", {"confirm": "on"})
    assert fresh(mine).state == RequestState.WITHDRAWN
    assert any(c.to == [mine.practice.dpo_email] for c in providers.emails())


def test_track_page_uses_patient_words_and_hides_internal_steps(
    client, providers, mine, handler, patient
):
    casework.act(fresh(mine), "acknowledge", actor=handler, version=fresh(mine).version)
    sign_in_by_code(client, providers, patient.email)
    page = client.get("/track/").content.decode()
    assert "in_review" not in page and "In review" not in page
    assert handler.email not in page


def test_changing_the_account_email_grants_no_access_to_others(client, mine, patient):
    from workflows.casework.patients import account_for

    mallory = account_for("mallory@example.com")
    mallory.email = patient.email  # what an address change would do
    mallory.save()
    client.force_login(mallory)
    assert mine.reference not in client.get("/track/").content.decode()
    assert client.post(f"/track/{mine.reference}/withdraw/", {"confirm": "on"}).status_code == 404
    assert client.get("/accounts/email/").status_code == 404
