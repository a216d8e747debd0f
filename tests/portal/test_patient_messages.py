"""The patient's page while the practice waits for them, what they read after writing, and
writing to the practice after its decision (without reopening the request)."""

import datetime

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from requests_app.legal import LegalGround
from requests_app.models import Request, RequestEvent, RequestState
from tests.factories import decided, forwarded, submit
from workflows.casework import actions as casework
from workflows.casework.patients import account_for
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db


def fresh(item):
    return Request.objects.get(pk=item.pk)


def page(client, language="nl") -> str:
    client.cookies["django_language"] = language
    return " ".join(client.get("/track/").content.decode().split())


def write(client, item, body: str) -> str:
    """Post a message as the patient; the page they land on."""
    response = client.post(f"/track/{item.reference}/reply/", {"body": body}, follow=True)
    return response.content.decode()


def asked(practice, patient, handler, *, stops_clock: bool):
    item = forwarded(submit(practice, patient))
    item = casework.act(item, "acknowledge", actor=handler, version=item.version)
    return casework.act(
        item,
        "ask_patient",
        actor=handler,
        version=item.version,
        note="Stuurt u een kopie van uw identiteitsbewijs?",
        stops_clock=stops_clock,
        clock_reason="Zonder bevestigde identiteit mogen we niets geven.",
    )


def refused(practice, patient, handler):
    item = decided(practice, patient, handler, kind="access", grant=False)
    return casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason="Inzage zou de privacy van een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )


def test_while_the_practice_waits_the_patient_reads_the_question_the_paused_term_and_the_rest(
    client, practice, patient, handler
):
    item = asked(practice, patient, handler, stops_clock=True)
    due = date_format(item.response_due, "j F Y")
    client.force_login(account_for(patient.email))

    nl = page(client)
    assert "Uw praktijk vraagt u" in nl
    assert "Stuurt u een kopie van uw identiteitsbewijs?" in nl
    assert "staat de termijn voor het antwoord van uw praktijk stil (art. 12 lid 6 AVG)" in nl
    assert "Zonder bevestigde identiteit mogen we niets geven." in nl
    assert "Als u niet antwoordt, wordt uw verzoek niet vanzelf gesloten" in nl
    # A standing-still term shows no date that is sure to move.
    assert "Staat stil tot u antwoordt" in nl and due not in nl
    assert 'for="reply-' in nl and "Antwoord versturen" in nl

    en = page(client, "en")
    assert "Your practice asks you" in en
    assert "the term for your practice's answer is paused (GDPR art. 12(6))" in en
    assert "If you do not answer, your request is not closed by itself" in en

    # The e-mail says the practice waits and the term stands still, not what it asks.
    mail = Notification.objects.filter(request=item, purpose=Purpose.PATIENT_UPDATE).last()
    assert "wacht op uw antwoord" in mail.body and "staat de termijn" in mail.body
    assert "identiteitsbewijs" not in mail.body and "identiteitsbewijs" not in mail.subject


def test_a_question_that_leaves_the_term_running_shows_its_date(client, practice, patient, handler):
    item = asked(practice, patient, handler, stops_clock=False)
    client.force_login(account_for(patient.email))
    nl = page(client)
    due = date_format(item.response_due, "j F Y")
    assert f"De termijn loopt door: uw praktijk antwoordt uiterlijk op {due}." in nl
    assert "art. 12 lid 6 AVG" not in nl and "Staat stil" not in nl


def test_a_new_message_is_confirmed_as_a_message_and_an_answer_as_an_answer(
    client, practice, patient, handler
):
    item = forwarded(submit(practice, patient))
    client.force_login(account_for(patient.email))
    text = write(client, item, "Ook 2024 graag.")
    assert "Uw bericht is verstuurd naar uw praktijk." in text and "Uw antwoord" not in text
    assert fresh(item).state == RequestState.FORWARDED

    item = asked(practice, patient, handler, stops_clock=True)
    text = write(client, item, "Bijgevoegd.")
    assert "Uw antwoord is verstuurd naar uw praktijk." in text
    assert fresh(item).state == RequestState.IN_REVIEW


def test_after_a_refusal_the_patient_writes_to_the_practice_and_the_request_stays_refused(
    client, practice, patient, handler
):
    item = refused(practice, patient, handler)
    client.force_login(account_for(patient.email))
    nl = page(client)
    assert "Als u het niet eens bent met de beslissing" in nl
    assert "Autoriteit Persoonsgegevens" in nl and "binnen zes weken" in nl
    until = date_format(timezone.localdate() + datetime.timedelta(days=91), "j F Y")
    assert f"U kunt uw praktijk tot en met {until} over dit verzoek schrijven." in nl

    before = Notification.objects.filter(purpose=Purpose.PRACTICE_UPDATE).count()
    text = write(client, item, "Ik begrijp de afwijzing niet.")
    assert "Uw bericht is verstuurd naar uw praktijk." in text
    item = fresh(item)
    assert item.state == RequestState.REFUSED
    assert item.messages.last().body == "Ik begrijp de afwijzing niet."
    event = RequestEvent.objects.filter(request=item).last()
    assert event.action == "patient_message" and event.actor_label == "patient"
    assert event.from_state == event.to_state == RequestState.REFUSED
    told = Notification.objects.filter(purpose=Purpose.PRACTICE_UPDATE)
    assert told.count() == before + 1 and told.last().recipient == practice.dpo_email
    assert "een bericht" in told.last().body

    # The handler reads the message and finds it in the request's history, as the patient's.
    client.force_login(handler)
    staff = client.get(f"/staff/requests/{item.reference}/").content.decode()
    assert "Ik begrijp de afwijzing niet." in staff
    assert "Bericht van de patiënt</strong> – patiënt" in staff


def test_three_months_after_the_decision_the_patient_can_no_longer_write(
    client, practice, patient, handler
):
    item = refused(practice, patient, handler)
    Request.objects.filter(pk=item.pk).update(
        decided_at=timezone.now() - datetime.timedelta(days=92)
    )
    client.force_login(account_for(patient.email))
    assert f'action="/track/{item.reference}/reply/"' not in page(client)
    text = write(client, item, "Nog een vraag.")
    assert "U kunt uw praktijk over dit verzoek niet meer schrijven." in text
    assert not fresh(item).messages.exists()
    assert not RequestEvent.objects.filter(request=item, action="patient_message").exists()


def test_a_withdrawn_request_takes_a_message_and_stays_withdrawn(
    client, practice, patient, handler
):
    item = forwarded(submit(practice, patient))
    client.force_login(account_for(patient.email))
    client.post(f"/track/{item.reference}/withdraw/", {"confirm": "on"})
    assert fresh(item).state == RequestState.WITHDRAWN
    client.post(f"/track/{item.reference}/reply/", {"body": "Per ongeluk ingetrokken."})
    assert fresh(item).state == RequestState.WITHDRAWN
    assert fresh(item).messages.last().body == "Per ongeluk ingetrokken."
