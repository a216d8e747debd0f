"""The practice's lifecycle: every transition's allowed path, its refusals and its guards."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.legal import LegalGround
from requests_app.models import Request, RequestState
from requests_app.models.request import DecisionIncomplete
from tests.factories import submit, with_complaint_settings
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


@pytest.fixture
def forwarded(practice, patient, providers):
    return submit(practice, patient, kind="access")


@pytest.fixture
def in_progress(forwarded, handler):
    do(forwarded, "acknowledge", handler)
    return do(forwarded, "verify_identity", handler, how="DigiD-check aan de balie")


@pytest.fixture
def complaint(practice, patient, providers):
    with_complaint_settings(practice)
    return submit(practice, patient, kind="complaint")


def test_intake_sets_the_legal_deadline(forwarded):
    assert forwarded.response_due == deadlines.response_due("access", forwarded.received_at)


def test_full_path_of_an_access_request(in_progress, handler):
    granted = do(in_progress, "grant", handler, reason="U krijgt een kopie.")
    assert granted.state == S.GRANTED and granted.decided_at is not None
    fulfilled = do(granted, "fulfil", handler)
    closed = do(fulfilled, "close", handler)
    assert closed.state == S.CLOSED
    actions = [e.action for e in closed.events.all()]
    assert actions == [
        "submit",
        "forward",
        "acknowledge",
        "assign",  # taking it on makes the handler its handler
        "verify_identity",
        "grant",
        "fulfil",
        "close",
    ]


def test_no_decision_before_identity_is_verified(forwarded, handler):
    reviewed = do(forwarded, "acknowledge", handler)
    with pytest.raises(TransitionRefused):
        do(reviewed, "grant", handler)
    with pytest.raises(DecisionIncomplete):
        do(
            reviewed,
            "refuse",
            handler,
            reason="Te veel gevraagd.",
            legal_ground=LegalGround.MANIFESTLY_UNFOUNDED,
        )
    assert fresh(reviewed).state == S.IN_REVIEW


def test_refusal_for_unverified_identity_is_possible_before_verification(forwarded, handler):
    reviewed = do(forwarded, "acknowledge", handler)
    refused = do(
        reviewed,
        "refuse",
        handler,
        reason="Geen identiteitsbewijs ontvangen.",
        legal_ground=LegalGround.IDENTITY,
    )
    assert refused.state == S.REFUSED and refused.legal_ground == LegalGround.IDENTITY


@pytest.mark.parametrize(
    ("reason", "ground"),
    [("", LegalGround.RIGHTS_OF_OTHERS), ("Omdat.", ""), ("Omdat.", "made-up")],
)
def test_refusal_and_partial_grant_need_reasons_and_a_legal_ground(
    in_progress, handler, reason, ground
):
    for action in ("refuse", "grant_partially"):
        with pytest.raises(DecisionIncomplete):
            do(in_progress, action, handler, reason=reason, legal_ground=ground)
    assert fresh(in_progress).state == S.IN_PROGRESS


def test_manifestly_unfounded_refusal_keeps_its_justification(in_progress, handler):
    refused = do(
        in_progress,
        "refuse",
        handler,
        reason="Vijfde identieke verzoek deze maand.",
        legal_ground=LegalGround.MANIFESTLY_UNFOUNDED,
    )
    assert refused.manifestly_unfounded
    assert refused.decision_reason == "Vijfde identieke verzoek deze maand."


def test_destruction_is_not_refused_for_the_wgbo_retention_term_but_for_anothers_interest(
    practice, patient, providers, handler
):
    """The patient's request to destroy their file overrides the retention term (Civil Code
    art. 7:455(1)); only a considerable interest of someone else or a statutory provision
    (art. 7:455(2)) stands. The ground moved from erasure (the app's data, GDPR art. 17) to the
    destruction kind (docs/legal.md)."""
    from requests_app.models.request import DecisionIncomplete

    item = submit(practice, patient, kind="destruction")
    do(item, "acknowledge", handler)
    do(item, "verify_identity", handler, how="paspoort")
    for ground in (LegalGround.WGBO_RETENTION, LegalGround.RIGHTS_OF_OTHERS):
        with pytest.raises(DecisionIncomplete):
            do(
                item,
                "refuse",
                handler,
                reason="Uw dossier moet bewaard blijven.",
                legal_ground=ground,
            )
    refused = do(
        item,
        "refuse",
        handler,
        reason="Het dossier is van aanmerkelijk belang voor uw kind.",
        legal_ground=LegalGround.WGBO_OTHERS_INTEREST,
    )
    assert "7:455" in refused.get_legal_ground_display()


def test_erasure_of_the_apps_data_is_not_refused_on_the_medical_files_grounds(
    practice, patient, providers, handler
):
    item = submit(practice, patient, kind="erasure")
    do(item, "acknowledge", handler)
    do(item, "verify_identity", handler, how="paspoort")
    for ground in (LegalGround.WGBO_RETENTION, LegalGround.WGBO_OTHERS_INTEREST):
        with pytest.raises(DecisionIncomplete):
            do(item, "refuse", handler, reason="Het dossier blijft.", legal_ground=ground)
    assert fresh(item).state == S.IN_PROGRESS
    refused = do(item, "refuse", handler, reason="Lopende procedure.", legal_ground="legal_claims")
    with translation.override("nl"):
        assert "17 lid 3 onder e" in refused.get_legal_ground_display()


def test_waiting_for_the_patient_returns_where_it_came_from(in_progress, handler):
    waiting = do(in_progress, "ask_patient", handler, note="Welke periode bedoelt u?")
    assert waiting.state == S.AWAITING_PATIENT
    assert do(waiting, "resume", handler).state == S.IN_PROGRESS


def test_another_practice_and_support_cannot_act(forwarded, other_handler, support):
    for actor in (other_handler, support):
        with pytest.raises(PermissionDenied):
            do(forwarded, "acknowledge", actor)
    assert fresh(forwarded).state == S.FORWARDED


def test_two_staff_acting_on_one_version_one_wins_the_other_is_told_to_reload(forwarded, handler):
    seen = fresh(forwarded)
    casework.act(seen, "acknowledge", actor=handler, version=seen.version)
    with pytest.raises(StaleRequest):
        casework.act(
            seen,
            "refuse",
            actor=handler,
            version=seen.version,
            reason="x",
            legal_ground=LegalGround.IDENTITY,
        )
    assert fresh(forwarded).state == S.IN_REVIEW


def test_extension_once_before_the_deadline_with_reasons_and_the_patient_is_told(
    forwarded, handler
):
    with pytest.raises(DecisionIncomplete):
        do(forwarded, "extend", handler, reason=" ")
    extended = do(forwarded, "extend", handler, reason="Gegevens bij drie bronnen opvragen.")
    assert extended.state == S.FORWARDED
    assert extended.original_due == forwarded.response_due
    assert extended.response_due == deadlines.response_due("access", forwarded.received_at, True)
    assert Notification.objects.filter(request=forwarded, purpose=Purpose.PATIENT_UPDATE).exists()
    with pytest.raises(TransitionRefused):
        do(extended, "extend", handler, reason="Nog eens.")


def test_no_extension_after_the_first_deadline(forwarded, handler):
    Request.objects.filter(pk=forwarded.pk).update(
        response_due=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(TransitionRefused):
        do(forwarded, "extend", handler, reason="Te laat bedacht.")


def test_complaint_path_names_officer_and_disputes_body(complaint, handler):
    assert do(complaint, "acknowledge", handler).state == S.ACKNOWLEDGED
    do(complaint, "investigate", handler)
    decided = do(
        complaint,
        "decide_complaint",
        handler,
        verdict="partly_founded",
        reason="Het bericht had sneller beantwoord moeten worden.",
        measures="Werkafspraak over reactietijd",
        measures_due=datetime.date(2027, 1, 1),
    )
    assert decided.state == S.DECIDED and decided.measures_due == datetime.date(2027, 1, 1)
    assert do(decided, "close", handler).state == S.CLOSED


@pytest.mark.parametrize(
    "missing",
    [
        {"disputes_body": ""},
        {"disputes_body_contact": "", "disputes_body_website": ""},
    ],
)
def test_complaint_decision_needs_the_practice_complaint_settings(
    complaint, handler, practice, missing
):
    do(complaint, "acknowledge", handler)
    with_complaint_settings(practice, **missing)
    do(complaint, "investigate", handler)
    with pytest.raises(TransitionRefused):
        do(complaint, "decide_complaint", handler, verdict="unfounded", reason="Geen fout.")


@pytest.mark.parametrize(
    "missing",
    [
        {"complaints_officer": ""},
        {"complaints_officer_email": "", "complaints_officer_phone": ""},
    ],
)
def test_a_complaint_is_taken_on_only_with_a_complaints_officer_to_name(
    complaint, handler, practice, missing
):
    """The receipt tells the patient whom to ask for free advice (Wkkgz art. 15)."""
    with_complaint_settings(practice, **missing)
    with pytest.raises(TransitionRefused):
        do(complaint, "acknowledge", handler)
    with_complaint_settings(practice, complaints_officer_phone="")  # an e-mail address will do
    assert do(complaint, "acknowledge", handler).state == S.ACKNOWLEDGED


def test_complaint_measures_need_a_date(complaint, handler):
    do(complaint, "acknowledge", handler)
    do(complaint, "investigate", handler)
    with pytest.raises(DecisionIncomplete):
        do(
            complaint,
            "decide_complaint",
            handler,
            verdict="founded",
            reason="Klopt.",
            measures="Scholing",
        )


def test_complaint_steps_do_not_apply_to_data_requests_and_vice_versa(
    forwarded, complaint, handler
):
    do(forwarded, "acknowledge", handler)
    with pytest.raises(TransitionRefused):
        do(forwarded, "investigate", handler)
    do(complaint, "acknowledge", handler)
    with pytest.raises(TransitionRefused):
        do(complaint, "verify_identity", handler, how="paspoort")


def test_patient_withdraws_an_open_request_staff_cannot(forwarded, handler, patient):
    from workflows.casework.patients import account_for

    with pytest.raises(PermissionDenied):
        do(forwarded, "withdraw", handler)
    stranger = account_for("someone@example.com")
    with pytest.raises(PermissionDenied):
        do(forwarded, "withdraw", stranger)
    me = account_for(patient.email.upper())
    assert do(forwarded, "withdraw", me).state == S.WITHDRAWN
    with pytest.raises(TransitionRefused):
        do(forwarded, "withdraw", me)


def test_assign_to_a_handler_of_the_practice_only(forwarded, handler, other_handler):
    item = fresh(forwarded)
    assigned = casework.assign(item, actor=handler, version=item.version, assignee=handler)
    assert assigned.assigned_to == handler and assigned.version == item.version + 1
    with pytest.raises(PermissionDenied):
        casework.assign(assigned, actor=handler, version=assigned.version, assignee=other_handler)
    with pytest.raises(StaleRequest):
        casework.assign(assigned, actor=handler, version=item.version, assignee=None)


IDENTITY = ("verify_identity", {"how": "paspoort"})
PATHS = {
    # action: (kind, steps before it, its fields, state after it)
    "acknowledge": ("access", [], {}, S.IN_REVIEW),
    "verify_identity": ("access", ["acknowledge"], {"how": "paspoort"}, S.IN_PROGRESS),
    "ask_patient": ("access", ["acknowledge"], {"note": "?"}, S.AWAITING_PATIENT),
    "resume": ("access", ["acknowledge", ("ask_patient", {"note": "?"})], {}, S.IN_REVIEW),
    "grant": ("access", ["acknowledge", IDENTITY], {}, S.GRANTED),
    "grant_partially": (
        "access",
        ["acknowledge", IDENTITY],
        {"reason": "Deels.", "legal_ground": LegalGround.RIGHTS_OF_OTHERS},
        S.PARTIALLY_GRANTED,
    ),
    "refuse": (
        "access",
        ["acknowledge", IDENTITY],
        # A ground that exists against access (legal claims do not: GDPR art. 17, 18, 21 only).
        {"reason": "Nee.", "legal_ground": LegalGround.RIGHTS_OF_OTHERS},
        S.REFUSED,
    ),
    "fulfil": ("access", ["acknowledge", IDENTITY, "grant"], {}, S.FULFILLED),
    "close": ("access", ["acknowledge", IDENTITY, "grant", "fulfil"], {}, S.CLOSED),
    "investigate": ("complaint", ["acknowledge"], {}, S.INVESTIGATING),
    "decide_complaint": (
        "complaint",
        ["acknowledge", "investigate"],
        {"verdict": "unfounded", "reason": "Geen fout."},
        S.DECIDED,
    ),
    "extend": ("access", [], {"reason": "Drie bronnen."}, S.FORWARDED),
}


@pytest.mark.parametrize("action", list(PATHS))
def test_each_staff_step_is_allowed_to_the_practice_and_refused_to_others(
    action, practice, patient, providers, handler, other_handler, support
):
    kind, steps, fields, after = PATHS[action]
    with_complaint_settings(practice)
    item = submit(practice, patient, kind=kind)
    for step in steps:
        name, step_fields = step if isinstance(step, tuple) else (step, {})
        item = do(item, name, handler, **step_fields)
    before = fresh(item)
    for outsider in (other_handler, support):
        with pytest.raises(PermissionDenied):
            do(item, action, outsider, **fields)
    assert fresh(item).state == before.state and fresh(item).version == before.version
    done = do(item, action, handler, **fields)
    assert done.state == after
    assert done.events.filter(action=action).last().actor == handler


@pytest.mark.parametrize("action", ["fulfil", "close", "resume", "grant", "investigate"])
def test_steps_out_of_order_are_refused(action, forwarded, handler):
    with pytest.raises(TransitionRefused):
        do(forwarded, action, handler)
    assert fresh(forwarded).state == S.FORWARDED


def test_no_person_can_hold_a_request_for_routing(practice, patient, providers, support):
    item = submit(practice, patient)
    Request.objects.filter(pk=item.pk).update(state=S.RECEIVED)
    with pytest.raises(PermissionDenied):
        do(item, "hold_unrouted", support)


def test_extension_after_a_stopped_clock_never_brings_the_deadline_forward(forwarded, handler):
    from requests_app.models import PatientWait

    item = do(forwarded, "acknowledge", handler)
    item = do(item, "ask_patient", handler, note="?", stops_clock=True, clock_reason="nodig")
    PatientWait.objects.filter(request=item).update(
        started_at=timezone.now() - datetime.timedelta(days=80)
    )
    item = do(item, "resume", handler)
    first = forwarded.response_due
    stopped_due = item.response_due
    assert stopped_due > first
    extended = do(item, "extend", handler, reason="Meer bronnen.")
    assert extended.response_due >= stopped_due
    assert extended.response_due >= deadlines.response_due("access", item.received_at, True)
    assert extended.original_due == first
