"""Destroying the medical file (Civil Code art. 7:455): its own kind, term, grounds and record."""

import datetime

import pytest
from django.utils import timezone, translation

from requests_app.errors import TransitionRefused
from requests_app.legal import LegalGround
from requests_app.models import AuditRecord, Request, RequestState
from requests_app.models.assistance import AssistanceKind, kinds_possible
from requests_app.models.request import DecisionIncomplete
from tests.factories import decided, submit
from workflows.casework import actions as casework
from workflows.casework import deadlines
from workflows.models import Notification, Purpose

S = RequestState
pytestmark = pytest.mark.django_db(transaction=True)


def fresh(item: Request) -> Request:
    return Request.objects.get(pk=item.pk)


def do(item, action, actor, **fields):
    item = fresh(item)
    return casework.act(item, action, actor=actor, version=item.version, **fields)


RECORD = {
    "destroyed_what": "Medisch dossier, alle regels tot en met 1 maart 2026",
    "destroyed_where": "HIS Medicom; labuitslagen in het labportaal",
}


def test_intake_gives_a_destruction_three_months_not_the_gdpr_month(practice, patient, providers):
    item = submit(practice, patient, kind="destruction")
    received = timezone.localdate(item.received_at)
    assert item.response_due == deadlines.response_due("destruction", item.received_at)
    assert item.response_due >= deadlines.add_months(received, 3)
    assert item.response_due > deadlines.response_due("erasure", item.received_at)


def test_the_three_months_cannot_be_extended(practice, patient, providers, handler):
    item = decided(practice, patient, handler, kind="destruction", grant=False)
    with pytest.raises(TransitionRefused):
        do(item, "extend", handler, reason="Drukte")
    assert fresh(item).response_due == item.response_due and fresh(item).extended_at is None


def test_only_the_wgbo_grounds_identity_and_article_12_5_stand_against_destruction(
    practice, patient, providers, handler
):
    item = decided(practice, patient, handler, kind="destruction", grant=False)
    for ground in (
        LegalGround.WGBO_RETENTION,
        LegalGround.RIGHTS_OF_OTHERS,
        LegalGround.LEGAL_CLAIMS,
        LegalGround.NOT_APPLICABLE,
    ):
        with pytest.raises(DecisionIncomplete):
            do(item, "grant_partially", handler, reason="Deels.", legal_ground=ground)
    assert fresh(item).state == S.IN_PROGRESS
    partly = do(
        item,
        "grant_partially",
        handler,
        reason="De verklaring over de erfelijke aandoening blijft voor uw familie bewaard.",
        legal_ground=LegalGround.WGBO_STATUTORY_DUTY,
    )
    assert partly.state == S.PARTIALLY_GRANTED
    with translation.override("nl"):
        assert "7:455 lid 2" in partly.get_legal_ground_display()


def test_a_destruction_is_carried_out_only_with_the_record_of_what_where_and_when(
    practice, patient, providers, handler
):
    item = decided(practice, patient, handler, kind="destruction")
    today = timezone.localdate()
    for incomplete in (
        {},
        {**RECORD},
        {**RECORD, "destroyed_what": " ", "destroyed_on": today},
        {**RECORD, "destroyed_where": "", "destroyed_on": today},
        {**RECORD, "destroyed_on": today + datetime.timedelta(days=1)},
    ):
        with pytest.raises(DecisionIncomplete):
            do(item, "fulfil", handler, **incomplete)
        assert fresh(item).state == S.GRANTED and fresh(item).destroyed_on is None
    done = do(item, "fulfil", handler, note="Ook papieren kaart", destroyed_on=today, **RECORD)
    assert done.state == S.FULFILLED
    assert (done.destroyed_what, done.destroyed_where, done.destroyed_on) == (
        RECORD["destroyed_what"],
        RECORD["destroyed_where"],
        today,
    )
    event = done.events.get(action="fulfil")
    assert RECORD["destroyed_where"] in event.note and "Ook papieren kaart" in event.note
    assert AuditRecord.objects.filter(event_type="request.fulfil").exists()


def test_other_kinds_are_carried_out_without_a_destruction_record(
    practice, patient, providers, handler
):
    done = do(decided(practice, patient, handler, kind="access"), "fulfil", handler)
    assert done.state == S.FULFILLED and done.destroyed_what == ""


def test_the_processor_may_be_asked_to_erase_the_apps_copies_once_granted(
    practice, patient, providers, handler
):
    item = decided(practice, patient, handler, kind="destruction", grant=False)
    assert kinds_possible(item) == []  # the processor acts on a recorded decision (art. 3.1)
    assert kinds_possible(do(item, "grant", handler)) == [AssistanceKind.ERASE]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["Vernietiging is definitief", "kan niet worden hersteld", "binnen drie maanden"]),
        ("en", ["Destruction is final", "cannot be restored", "within three months"]),
    ],
)
def test_the_receipt_tells_the_patient_that_destruction_is_final(
    practice, patient, providers, language, words
):
    item = submit(practice, patient, kind="destruction", language=language)
    body = Notification.objects.get(request=item, purpose=Purpose.PATIENT_RECEIPT).body
    for word in words:
        assert word in body
    other = submit(practice, patient, kind="erasure", language=language)
    assert (
        words[0]
        not in Notification.objects.get(request=other, purpose=Purpose.PATIENT_RECEIPT).body
    )
