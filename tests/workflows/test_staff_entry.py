"""Requests entered by practice staff (letter, telephone, desk) and sent back as not the
practice's own: workflows.intake.staff_entry and workflows.intake.send_back."""

import dataclasses
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_transition
from requests_app.models import AuditRecord, Channel, Request, RequestState
from requests_app.models.request import DecisionIncomplete
from requests_app.roles import Role
from requests_app.selectors import requests_visible_to, unrouted_queue
from tests.factories import forwarded, make_user, submit
from workflows.casework import deadlines, letters
from workflows.intake.forwarding import route_request
from workflows.intake.send_back import send_back
from workflows.intake.staff_entry import Entry, EntryRefused, enter_request
from workflows.intake.submission import Submission
from workflows.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def _entry(practice, patient, **overrides) -> Entry:
    fields = {
        "submission": Submission(
            practice=practice, kind="access", patient=patient, description="Mijn dossier"
        ),
        "channel": Channel.LETTER,
        "received_on": timezone.localdate() - datetime.timedelta(days=10),
    }
    fields.update(overrides)
    return Entry(**fields)


@pytest.fixture
def by_post(patient):
    """A patient who wrote a letter and has no e-mail address."""
    from requests_app.validators import no_mailbox_address

    return dataclasses.replace(
        patient, email=no_mailbox_address(), postal_address="Dorpsstraat 1\n1234 AB Ergens"
    )


def test_a_letter_runs_the_same_lifecycle_with_its_term_from_the_day_received(
    practice, handler, patient, providers
):
    received = timezone.localdate() - datetime.timedelta(days=10)
    item = enter_request(entry=_entry(practice, patient, received_on=received), actor=handler)
    assert item.state == RequestState.FORWARDED and item.channel == Channel.LETTER
    assert timezone.localdate(item.received_at) == received
    assert item.response_due == deadlines.response_due("access", item.received_at)
    submitted = item.events.get(action="submit")
    assert submitted.actor == handler and submitted.note == str(Channel.LETTER.label)
    assert AuditRecord.objects.filter(event_type="request.create", user=handler).exists()
    # The practice has it already: no "new request" message to itself; the patient's receipt.
    to = set(Notification.objects.filter(request=item).values_list("recipient", flat=True))
    assert to == {patient.email}
    # The letters are the practice's as for any request: the receipt first.
    assert [letter.name for letter in letters.letters_of(item)] == ["receipt"]


def test_a_patient_without_e_mail_is_never_mailed_and_gets_letters_by_post(
    practice, handler, by_post, providers
):
    item = enter_request(entry=_entry(practice, by_post), actor=handler)
    assert not item.has_mailbox and item.postal_address.startswith("Dorpsstraat")
    assert not Notification.objects.filter(request=item, medium="email").exists()
    receipt = letters.letters_of(item)[0]
    page = letters.render_document(receipt)
    assert "Dorpsstraat 1" in page
    assert (
        "U gaf ons geen e-mailadres; daarom sturen wij onze brieven over dit verzoek per post."
        in page
    )
    assert "U bereikt ons per brief, per telefoon of aan onze balie" in page
    Request.objects.filter(pk=item.pk).update(language="en")
    english = letters.render_document(letters.letters_of(Request.objects.get(pk=item.pk))[0])
    assert (
        "You gave us no e-mail address, so we send our letters about this request by post."
        in english
    )
    Request.objects.filter(pk=item.pk).update(language="nl")
    assert "/track/" not in page
    # A question goes by post too, and asks for the answer the same way.
    from workflows.casework import actions

    item = actions.act(item, "acknowledge", actor=handler, version=item.version)
    actions.act(item, "ask_patient", actor=handler, version=item.version, note="Welke periode?")
    question = letters.letters_of(Request.objects.get(pk=item.pk))[-1]
    page = letters.render_document(question)
    assert "Antwoord ons alstublieft per brief, per telefoon of aan onze balie" in page
    assert "/track/" not in page
    assert not Notification.objects.filter(request=item, medium="email").exists()
    # No sign-in account for an address nobody reads.
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email=item.patient_email).exists()


def test_the_practice_records_a_withdrawal_the_patient_phoned_in(
    practice, handler, by_post, providers
):
    item = enter_request(entry=_entry(practice, by_post), actor=handler)
    done = perform_transition(item, "withdraw", actor=handler, note="Gebeld op 3 mei")
    assert done.state == RequestState.WITHDRAWN
    web = forwarded(submit(practice, dataclasses.replace(by_post, email="jan@example.com")))
    with pytest.raises(PermissionDenied):  # a web request is withdrawn by the patient alone
        perform_transition(web, "withdraw", actor=handler)


def test_at_the_desk_the_identity_is_verified_at_entry(practice, handler, patient, providers):
    entry = _entry(
        practice,
        patient,
        channel=Channel.DESK,
        received_on=timezone.localdate(),
        identity_how="Paspoort getoond aan de balie",
    )
    item = enter_request(entry=entry, actor=handler)
    assert item.state == RequestState.IN_PROGRESS and item.assigned_to == handler
    assert item.identity_method == "Paspoort getoond aan de balie"


@pytest.mark.parametrize(
    "change",
    [
        {"received_on": timezone.localdate() + datetime.timedelta(days=1)},
        {"received_on": timezone.localdate() - datetime.timedelta(days=400)},
        {"channel": Channel.WEB},
        {"channel": Channel.PHONE, "identity_how": "Stem herkend"},
    ],
)
def test_a_wrong_entry_is_refused_and_stores_nothing(practice, handler, patient, change):
    with pytest.raises(EntryRefused):
        enter_request(entry=_entry(practice, patient, **change), actor=handler)
    assert not Request.objects.exists()


def test_without_e_mail_a_postal_address_is_required(practice, handler, by_post):
    nowhere = dataclasses.replace(by_post, postal_address="")
    with pytest.raises(EntryRefused):
        enter_request(entry=_entry(practice, nowhere), actor=handler)
    assert not Request.objects.exists()


def test_only_the_practices_handlers_enter_and_assign(
    practice, other_practice, handler, other_handler, patient
):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    for actor in (fg, other_handler):
        with pytest.raises(PermissionDenied):
            enter_request(entry=_entry(practice, patient), actor=actor)
    with pytest.raises(PermissionDenied):
        enter_request(entry=_entry(practice, patient, assignee=other_handler), actor=handler)
    assert not Request.objects.exists()


# --- Sending back ---------------------------------------------------------------------------
def test_sent_back_it_leaves_the_practice_and_waits_for_support_with_the_reason(
    practice, other_practice, handler, other_handler, support, patient, providers
):
    item = forwarded(submit(practice, patient))
    item = perform_transition(item, "acknowledge", actor=handler)
    due = item.response_due
    back = send_back(item, actor=handler, version=item.version, reason="Geen patiënt van ons")
    assert back.state == RequestState.UNROUTED and back.practice is None
    assert back.sent_back_from == practice and back.sent_back_reason == "Geen patiënt van ons"
    assert back.assigned_to is None and back.acknowledged_at is None
    # The practice sees nothing of it any more; support has it in the unrouted queue.
    assert not requests_visible_to(handler).filter(pk=item.pk).exists()
    assert unrouted_queue(support).filter(pk=item.pk).exists()
    event = back.events.get(action="send_back")
    assert event.actor == handler and event.note == "Geen patiënt van ons"
    record = AuditRecord.objects.get(event_type="request.send_back")
    assert record.practice_id_ref == practice.pk  # in the sending practice's own log
    # Support routes it again; the term still runs from receipt by the processor.
    routed = forwarded(route_request(back, other_practice, actor=support))
    assert routed.practice == other_practice and routed.response_due == due
    assert routed.received_at == item.received_at
    # The first practice's receipt is not the right practice's letter.
    receipts = letters.letters_of(routed)
    assert len(receipts) == 1 and receipts[0].event.at > event.at


def test_sending_back_needs_a_reason_and_an_undecided_request(
    practice, handler, support, patient, providers
):
    item = forwarded(submit(practice, patient))
    with pytest.raises(DecisionIncomplete):
        send_back(item, actor=handler, version=item.version, reason="  ")
    item = perform_transition(item, "acknowledge", actor=handler)
    item = perform_transition(item, "verify_identity", actor=handler, how="ID")
    item = perform_transition(item, "refuse", actor=handler, reason="x", legal_ground="identity")
    with pytest.raises(TransitionRefused):
        send_back(item, actor=handler, version=item.version, reason="Niet van ons")
    assert Request.objects.get(pk=item.pk).state == RequestState.REFUSED


def test_only_the_practices_handlers_send_back(
    practice, handler, other_handler, support, patient, providers
):
    item = forwarded(submit(practice, patient))
    fg = make_user("fg@practice.example", Role.DPO, practice)
    admin = make_user("admin@practice.example", Role.PRACTICE_ADMIN, practice)
    for actor in (fg, admin, other_handler, support):
        with pytest.raises(PermissionDenied):
            send_back(item, actor=actor, version=item.version, reason="Niet van ons")
    assert Request.objects.get(pk=item.pk).state == RequestState.FORWARDED
    assert not item.events.filter(action="send_back").exists()
