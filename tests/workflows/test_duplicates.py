"""The same request sent twice: flagged and linked at intake and routing, merged into the first
(one deadline from the first receipt, both kept, the patient told once) or kept separate with a
reason (the patient told); never across kinds, closed requests or practices."""

import concurrent.futures
import dataclasses
import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.utils import timezone, translation

from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.lifecycle import perform_transition
from requests_app.models import AuditRecord, Request, RequestState
from requests_app.roles import Role
from tests.factories import forwarded, make_user, submit
from workflows.casework import duplicates
from workflows.intake.forwarding import route_request
from workflows.models import Medium, Notification, Purpose

S = RequestState
pytestmark = pytest.mark.django_db(transaction=True)


def fresh(item: Request) -> Request:
    return Request.objects.get(pk=item.pk)


def news(item: Request):
    """What the patient was sent about the request after intake (the receipt aside)."""
    return Notification.objects.filter(request=item, purpose=Purpose.PATIENT_UPDATE)


@pytest.fixture
def first(practice, patient, providers):
    return forwarded(submit(practice, patient, description="Welke gegevens heeft u van mij?"))


def test_the_same_address_in_other_case_is_flagged_and_linked(first, practice, patient):
    again = submit(
        practice,
        dataclasses.replace(patient, email="JAN@Example.COM", name="J. Jansen"),
        description="Nogmaals: inzage graag.",
    )
    assert again.duplicate_of == first and again.duplicate_flagged
    assert again.events.filter(action="duplicate_flagged", note=first.reference).exists()
    assert first.events.filter(action="duplicate_received", note=again.reference).exists()
    assert AuditRecord.objects.filter(event_type="request.duplicate_flagged").exists()
    # Still a request of its own, with its own receipt, until the handler decides.
    assert again.state in (S.RECEIVED, S.FORWARDED)


def test_a_look_alike_domain_folds_as_mail_servers_fold_it_a_look_alike_letter_does_not(
    first, practice, patient
):
    # Full-width letters in the domain are the same domain (IDNA, UTS 46): the same mailbox.
    same = submit(
        practice,
        dataclasses.replace(patient, email="jan@ｅｘａｍｐｌｅ.com", name="Iemand Anders"),
    )
    assert same.duplicate_of == first
    # A Cyrillic "а" in the domain is another domain: another patient, not flagged.
    other = submit(
        practice,
        dataclasses.replace(patient, email="jan@exаmple.com", name="Nog Iemand"),
    )
    assert other.duplicate_of is None


def test_the_same_name_and_birth_date_is_flagged(first, practice, patient):
    again = submit(
        practice,
        dataclasses.replace(patient, email="jan.jansen@werk.example", name="  JAN   jansén "),
    )
    assert again.duplicate_of == first
    with translation.override("en"):
        assert str(duplicates.why_linked(again, first)) == "the same name and date of birth"


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Jan Janssen"},  # one letter: another person
        {"name": "Jаn Jansen"},  # a Cyrillic а: not folded onto a Latin a
        {"name": "Jan Jansen Jr"},
        {"birth_date": datetime.date(1980, 5, 18)},
    ],
)
def test_a_near_name_or_another_birth_date_is_not_flagged(first, practice, patient, changes):
    again = submit(practice, dataclasses.replace(patient, email="ander@elders.example", **changes))
    assert again.duplicate_of is None


def test_another_kind_a_closed_request_or_another_practice_is_not_flagged(
    first, practice, other_practice, patient, handler
):
    assert submit(practice, patient, kind="erasure").duplicate_of is None
    assert submit(other_practice, patient).duplicate_of is None
    perform_transition(fresh(first), "acknowledge", actor=handler)
    perform_transition(
        fresh(first), "refuse", actor=handler, reason="Onbekend", legal_ground="identity"
    )
    perform_transition(fresh(first), "close", actor=handler)
    assert submit(practice, patient).duplicate_of is None


def test_routing_by_hand_flags_the_later_request(first, practice, patient, support):
    unrouted = submit(None, patient, practice_given="Dokter in Utrecht")
    assert unrouted.state == S.UNROUTED and unrouted.duplicate_of is None
    routed = route_request(unrouted, practice, actor=support)
    assert routed.duplicate_of == first
    assert routed.events.get(action="duplicate_flagged").actor == support


def test_merging_keeps_the_first_deadline_and_both_events(first, practice, patient, handler):
    later_receipt = timezone.now() + datetime.timedelta(days=20)
    again = forwarded(submit(practice, patient, description="Ik vroeg al eerder om inzage."))
    Request.objects.filter(pk=again.pk).update(received_at=later_receipt)
    due = first.response_due

    merged = duplicates.merge(fresh(again), actor=handler, version=fresh(again).version)

    assert merged.state == S.MERGED and merged.duplicate_of == first
    assert fresh(first).response_due == due and fresh(first).state == first.state
    # Both requests and their events are kept; the first's history holds the later receipt.
    assert list(merged.events.values_list("action", flat=True))[-1] == "merge"
    assert merged.events.filter(action="submit").exists()
    row = fresh(first).events.get(action="duplicate_merged")
    assert again.reference in row.note and "Ik vroeg al eerder om inzage." in row.note
    assert AuditRecord.objects.filter(event_type="request.merge").exists()
    # The patient is told once, in Dutch, formal: one e-mail and one SMS.
    mails = news(merged)
    assert sorted(mails.values_list("medium", flat=True)) == [Medium.EMAIL, Medium.SMS]
    mail = mails.get(medium=Medium.EMAIL)
    assert first.reference in mail.subject
    assert "u krijgt één antwoord" in mail.body.lower()
    assert "artikel 12" in mail.body
    # A merged request is no longer open: it is not in the queue's open view.
    assert not merged.is_open


def test_the_patient_reads_the_merge_in_english_when_they_wrote_in_english(
    first, practice, patient, handler
):
    again = forwarded(submit(practice, patient, language="en"))
    duplicates.merge(again, actor=handler, version=again.version)
    mail = news(again).get(medium=Medium.EMAIL)
    assert "you get one answer, to both" in mail.body


def test_a_parallel_double_merge_merges_once(first, practice, patient, handler):
    again = forwarded(submit(practice, patient))

    def merge_once(_):
        try:
            duplicates.merge(Request.objects.get(pk=again.pk), actor=handler, version=None)
            return "merged"
        except TransitionRefused:
            return "refused"
        finally:
            connections.close_all()

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(merge_once, range(2)))
    assert results == ["merged", "refused"]
    assert fresh(first).events.filter(action="duplicate_merged").count() == 1
    assert news(again).count() == 2


def test_keeping_separate_needs_a_reason_and_tells_the_patient(first, practice, patient, handler):
    again = forwarded(submit(practice, patient, description="Ook de gegevens van mijn zoon."))
    with pytest.raises(duplicates.ReasonRequired):
        duplicates.keep_separate(again, actor=handler, version=again.version, reason="  ")
    assert fresh(again).duplicate_of == first

    kept = duplicates.keep_separate(
        again, actor=handler, version=again.version, reason="Gaat over haar zoon."
    )
    assert kept.duplicate_of is None and not kept.duplicate_flagged and kept.is_open
    assert kept.duplicate_kept_reason == "Gaat over haar zoon."
    assert (
        kept.events.get(action="duplicate_kept").note == f"{first.reference}: Gaat over haar zoon."
    )
    mail = news(kept).get(medium=Medium.EMAIL)
    assert "apart" in mail.subject and first.reference in mail.body
    assert "u krijgt op elk een antwoord" in mail.body.lower()
    # Kept separate, it cannot be merged any more.
    with pytest.raises(TransitionRefused):
        duplicates.merge(fresh(kept), actor=handler, version=None)


def test_the_fg_may_neither_merge_nor_keep_separate(first, practice, patient):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    again = forwarded(submit(practice, patient))
    with pytest.raises(PermissionDenied):
        duplicates.merge(again, actor=fg, version=again.version)
    with pytest.raises(PermissionDenied):
        duplicates.keep_separate(again, actor=fg, version=again.version, reason="Anders")
    assert fresh(again).duplicate_flagged
    assert not news(again).exists()


def test_another_practices_handler_may_not_merge(first, practice, patient, other_handler):
    again = forwarded(submit(practice, patient))
    with pytest.raises(PermissionDenied):
        duplicates.merge(again, actor=other_handler, version=again.version)
    assert fresh(again).state != S.MERGED


def test_merging_into_a_request_that_closed_meanwhile_is_refused(first, practice, patient, handler):
    again = forwarded(submit(practice, patient))
    perform_transition(fresh(first), "acknowledge", actor=handler)
    perform_transition(
        fresh(first), "refuse", actor=handler, reason="Onbekend", legal_ground="identity"
    )
    with pytest.raises(TransitionRefused):
        duplicates.merge(fresh(again), actor=handler, version=None)
    assert fresh(again).state == S.FORWARDED
    assert not news(again).exists()
    # Kept separate instead, it is handled on its own.
    kept = duplicates.keep_separate(
        fresh(again), actor=handler, version=None, reason="Eerste is al af."
    )
    assert kept.duplicate_of is None


def test_a_stale_form_changes_nothing(first, practice, patient, handler):
    again = forwarded(submit(practice, patient))
    with pytest.raises(StaleRequest):
        duplicates.merge(again, actor=handler, version=again.version - 1)
    assert fresh(again).state == S.FORWARDED


def test_a_request_with_help_from_the_processor_under_way_is_not_merged(
    first, practice, patient, handler
):
    from workflows.assistance import tasks as assistance

    again = forwarded(submit(practice, patient))
    perform_transition(again, "acknowledge", actor=handler)
    again = perform_transition(fresh(again), "verify_identity", actor=handler, how="Aan de balie")
    assistance.request_assistance(again, actor=handler, kind="supply", instruction="Alles")
    with pytest.raises(duplicates.HelpStillAsked):
        duplicates.merge(fresh(again), actor=handler, version=None)
    assert fresh(again).state == S.IN_PROGRESS and not news(again).exists()


def test_a_request_routed_by_hand_that_came_first_is_the_first(practice, patient, support):
    unrouted = submit(None, patient, practice_given="Dokter in Utrecht")
    direct = forwarded(submit(practice, patient))
    assert direct.duplicate_of is None  # the unrouted one has no practice yet
    routed = route_request(unrouted, practice, actor=support)
    # The earlier receipt starts the term: the later, direct request is the possible duplicate.
    assert routed.duplicate_of is None
    assert fresh(direct).duplicate_of == routed
    assert routed.events.filter(action="duplicate_received", note=direct.reference).exists()
