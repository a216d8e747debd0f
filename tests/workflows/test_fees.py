"""The fee for a manifestly unfounded or excessive request (GDPR art. 12(5)): asked with its
reasons, awaited, paid or waived; refused for a wrong amount, missing reasons or a wrong actor."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from requests_app.errors import TransitionRefused
from requests_app.models import AuditRecord, Request, RequestState
from requests_app.models.request import DecisionIncomplete
from tests.factories import decided
from workflows.casework import actions as casework
from workflows.casework.patients import account_for, reply, withdraw
from workflows.models import Notification, Purpose

S = RequestState
pytestmark = pytest.mark.django_db(transaction=True)
FEE = {
    "amount": Decimal("15.00"),
    "justification": "Vierde identieke inzageverzoek in twee maanden; er is niets veranderd.",
    "cost_basis": "Een half uur werk van de praktijkmanager tegen 30 euro per uur.",
}


def fresh(item: Request) -> Request:
    return Request.objects.get(pk=item.pk)


def do(item, action, actor, **fields):
    item = fresh(item)
    return casework.act(item, action, actor=actor, version=item.version, **fields)


@pytest.fixture
def in_progress(practice, patient, providers, handler):
    return decided(practice, patient, handler, kind="access", grant=False)


def test_a_fee_is_asked_with_its_reasons_and_the_request_waits_for_payment(in_progress, handler):
    asked = do(in_progress, "charge_fee", handler, **FEE)
    assert asked.state == S.AWAITING_FEE
    assert (asked.fee_amount, asked.fee_justification, asked.fee_cost_basis) == (
        Decimal("15.00"),
        FEE["justification"],
        FEE["cost_basis"],
    )
    assert asked.events.filter(action="charge_fee", to_state=S.AWAITING_FEE).exists()
    assert AuditRecord.objects.filter(event_type="request.charge_fee").exists()
    wait = asked.waits.get()
    assert wait.stops_clock and wait.ended_at is None  # recorded, not silent
    told = Notification.objects.filter(request=asked, purpose=Purpose.PATIENT_UPDATE)
    assert told.count() == 1


def test_the_practice_records_payment_and_goes_on(in_progress, handler):
    do(in_progress, "charge_fee", handler, **FEE)
    paid = do(in_progress, "record_fee_paid", handler)
    assert paid.state == S.IN_PROGRESS and paid.fee_paid_at is not None
    assert paid.waits.get().ended_at is not None
    assert paid.events.filter(action="record_fee_paid").exists()
    assert do(paid, "grant", handler).state == S.GRANTED


def test_the_practice_may_waive_the_fee_or_refuse_while_it_waits(in_progress, handler):
    do(in_progress, "charge_fee", handler, **FEE)
    waived = do(in_progress, "waive_fee", handler)
    assert waived.state == S.IN_PROGRESS and waived.fee_waived_at and not waived.fee_paid_at
    do(waived, "charge_fee", handler, **FEE)
    refused = do(
        waived,
        "refuse",
        handler,
        reason="De vergoeding is niet betaald.",
        legal_ground="manifestly_unfounded",
    )
    assert refused.state == S.REFUSED and refused.manifestly_unfounded


def test_the_patient_may_withdraw_instead_of_paying(in_progress, handler, patient):
    do(in_progress, "charge_fee", handler, **FEE)
    assert withdraw(fresh(in_progress), patient=account_for(patient.email)).state == S.WITHDRAWN


def test_a_message_from_the_patient_does_not_count_as_payment(in_progress, handler, patient):
    do(in_progress, "charge_fee", handler, **FEE)
    reply(fresh(in_progress), patient=account_for(patient.email), body="Ik heb betaald.")
    assert fresh(in_progress).state == S.AWAITING_FEE


@pytest.mark.parametrize(
    "wrong",
    [
        {"amount": Decimal("0")},
        {"amount": Decimal("-5")},
        {"amount": Decimal("100.01")},
        {"amount": Decimal("1E+100")},
        {"amount": "vijftien"},
        {"amount": "NaN"},
        {"amount": 12.5},  # a float loses cents: only an exact amount
        {"amount": Decimal("1.005")},
        {"justification": "  "},
        {"cost_basis": ""},
    ],
)
def test_a_wrong_amount_or_missing_reasons_is_refused_and_changes_nothing(
    in_progress, handler, wrong
):
    before = fresh(in_progress)
    with pytest.raises(DecisionIncomplete):
        do(in_progress, "charge_fee", handler, **{**FEE, **wrong})
    after = fresh(in_progress)
    assert (after.state, after.version, after.fee_amount) == (S.IN_PROGRESS, before.version, None)
    assert not after.waits.exists()


def test_only_the_practices_handlers_may_ask_or_record_a_fee(
    in_progress, handler, other_handler, support, practice
):
    from requests_app.roles import Role
    from tests.factories import make_user

    fg = make_user("fg@practice.example", Role.DPO, practice)
    for actor in (other_handler, support, fg):
        with pytest.raises(PermissionDenied):
            do(in_progress, "charge_fee", actor, **FEE)
    do(in_progress, "charge_fee", handler, **FEE)
    for actor in (other_handler, support, fg):
        with pytest.raises(PermissionDenied):
            do(in_progress, "record_fee_paid", actor)
    assert fresh(in_progress).state == S.AWAITING_FEE


def test_no_fee_before_the_identity_is_verified(practice, patient, providers, handler):
    from tests.factories import submit

    item = submit(practice, patient, kind="access")
    do(item, "acknowledge", handler)
    with pytest.raises(TransitionRefused):
        do(item, "charge_fee", handler, **FEE)
    with pytest.raises(TransitionRefused):
        do(item, "record_fee_paid", handler)
    assert fresh(item).state == S.IN_REVIEW
