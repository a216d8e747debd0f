"""An erasure, rectification or restriction is carried out and closed only after the
processor's part (or the practice's reason why there is none) and after every recipient is told
or marked impossible to tell (GDPR art. 16-19; agreement art. 6)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from requests_app.errors import TransitionRefused
from requests_app.legal import LegalGround
from requests_app.lifecycle import perform_transition
from requests_app.models import AuditRecord, Request, RequestState, SubProcessor
from requests_app.models.completion import WorkNotDone, register_recipients
from requests_app.models.request import DecisionIncomplete
from tests.factories import (
    a_register,
    decided,
    erased_with_certificate,
    submit,
    tell_every_recipient,
    with_complaint_settings,
)
from workflows.assistance import tasks as assistance
from workflows.casework import actions as casework
from workflows.casework import completion

S = RequestState
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def register(db):
    a_register()


CHANGES = ["erasure", "rectification", "restriction"]


def fresh(item: Request) -> Request:
    return Request.objects.get(pk=item.pk)


def do(item, action, actor, **fields):
    item = fresh(item)
    return casework.act(item, action, actor=actor, version=item.version, **fields)


def no_processor_data(item, handler):
    return completion.record_no_processor_data(
        fresh(item), actor=handler, reason="Alleen het medisch dossier.", version=None
    )


def processor_task_accepted(item, handler, support, kind):
    """A rectify or restrict task carried out by hand at every sub-processor and accepted."""
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind=kind, instruction="Graag"),
        actor=support,
    )
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Aangepast")
    task = assistance.deliver(task, actor=support, note="Adres aangepast in het platform")
    return assistance.accept(task, actor=handler)


@pytest.mark.parametrize("kind", CHANGES)
def test_nothing_done_refuses_fulfil_in_the_model_and_says_what_is_open(
    kind, practice, patient, handler
):
    item = decided(practice, patient, handler, kind=kind)
    with pytest.raises(TransitionRefused):  # the model's condition, whatever the caller
        perform_transition(item, "fulfil", actor=handler)
    with pytest.raises(WorkNotDone) as refused:
        do(item, "fulfil", handler)
    with translation.override("en"):
        text = refused.value.explain()
    assert "cannot be marked carried out or closed yet" in text
    assert "no reason is recorded why no processor data are concerned" in text
    assert all(sub.name in text for sub in register_recipients())
    with translation.override("nl"):
        assert "kan nog niet als uitgevoerd worden gemarkeerd" in refused.value.explain()
    assert fresh(item).state == S.GRANTED


@pytest.mark.parametrize("kind", CHANGES)
def test_the_practices_reason_and_every_recipient_told_let_it_be_carried_out(
    kind, practice, patient, handler
):
    item = decided(practice, patient, handler, kind=kind)
    no_processor_data(item, handler)
    with pytest.raises(WorkNotDone) as refused:  # the recipients are still open
        do(item, "fulfil", handler)
    with translation.override("en"):
        assert "no processor data" not in refused.value.explain()
    tell_every_recipient(item, handler)
    assert do(item, "fulfil", handler).state == S.FULFILLED
    assert do(item, "close", handler).state == S.CLOSED
    record = AuditRecord.objects.get(event_type="request.no_processor_data")
    assert record.details["reason"] == "Alleen het medisch dossier."
    assert fresh(item).events.filter(action="no_processor_data").exists()


@pytest.mark.parametrize("kind", ["rectification", "restriction"])
def test_an_accepted_processor_task_is_the_processors_part(
    kind, practice, patient, handler, support
):
    item = decided(practice, patient, handler, kind=kind)
    task_kind = {"rectification": "rectify", "restriction": "restrict"}[kind]
    tell_every_recipient(item, handler)
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind=task_kind, instruction="Graag"),
        actor=support,
    )
    with pytest.raises(WorkNotDone):  # a task under way is not done
        do(item, "fulfil", handler)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Aangepast")
    assistance.accept(assistance.deliver(task, actor=support, note="Aangepast"), actor=handler)
    assert do(item, "fulfil", handler).state == S.FULFILLED


def test_an_erasure_needs_its_task_accepted_with_a_certificate(
    platform_db, practice, patient, handler, support
):
    item = decided(practice, patient, handler, kind="erasure")
    tell_every_recipient(item, handler)
    task = erased_with_certificate(item, handler, support)
    assert task.certificate.digest
    assert do(item, "fulfil", handler).state == S.FULFILLED


def test_a_recipient_added_by_name_must_be_told_or_marked_impossible(practice, patient, handler):
    item = decided(practice, patient, handler, kind="rectification")
    no_processor_data(item, handler)
    tell_every_recipient(item, handler)
    lab = completion.add_recipient(fresh(item), actor=handler, name="Saltro laboratorium")
    hospital = completion.add_recipient(fresh(item), actor=handler, name="UMC Utrecht")
    with pytest.raises(WorkNotDone) as refused:
        do(item, "fulfil", handler)
    assert "Saltro laboratorium, UMC Utrecht" in refused.value.explain()
    completion.tell(lab, actor=handler, told_on=timezone.localdate(), how="letter")
    with pytest.raises(DecisionIncomplete):  # art. 19 excuses telling only with a reason
        completion.mark_impossible(hospital, actor=handler, reason=" ")
    completion.mark_impossible(
        hospital, actor=handler, reason="Het ziekenhuis ontving alleen een verwijsbrief in 2009."
    )
    assert do(item, "fulfil", handler).state == S.FULFILLED
    told = completion.told_recipients(fresh(item))
    assert [n.name for n in told["impossible"]] == ["UMC Utrecht"]
    assert "Saltro laboratorium" in [n.name for n in told["told"]]
    events = [e.action for e in fresh(item).events.all()]
    assert "recipient_added" in events and "recipient_tell" in events
    assert AuditRecord.objects.filter(event_type="recipient.mark_impossible").exists()


def test_who_may_tick_off_recipients_and_when(practice, patient, handler, other_handler, support):
    item = decided(practice, patient, handler, kind="erasure", grant=False)
    sub = register_recipients().first()
    with pytest.raises(TransitionRefused):  # before the decision to carry it out
        completion.tell(
            completion.notice_for(item, f"s-{sub.pk}"),
            actor=handler,
            told_on=timezone.localdate(),
            how="email",
        )
    item = perform_transition(item, "grant", actor=handler)
    notice = completion.notice_for(item, f"s-{sub.pk}")
    for outsider in (other_handler, support):
        with pytest.raises(PermissionDenied):
            completion.tell(notice, actor=outsider, told_on=timezone.localdate(), how="email")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(DecisionIncomplete):
        completion.tell(notice, actor=handler, told_on=tomorrow, how="email")
    told = completion.tell(notice, actor=handler, told_on=timezone.localdate(), how="phone")
    assert told.state == "told" and told.done_by == handler and told.method == "phone"
    with pytest.raises(TransitionRefused):  # once
        completion.tell(told, actor=handler, told_on=timezone.localdate(), how="email")


def test_no_reason_beside_a_processor_task(practice, patient, handler, support):
    item = decided(practice, patient, handler, kind="restriction")
    assistance.request_assistance(item, actor=handler, kind="restrict", instruction="Graag")
    with pytest.raises(completion.CompletionRefused):
        no_processor_data(item, handler)
    with pytest.raises(PermissionDenied):
        completion.record_no_processor_data(fresh(item), actor=support, reason="Geen", version=None)


def test_a_refused_request_closes_without_these_steps(practice, patient, handler):
    item = decided(practice, patient, handler, kind="erasure", grant=False)
    item = do(
        item,
        "refuse",
        handler,
        reason="Nodig voor een rechtszaak.",
        legal_ground=LegalGround.LEGAL_CLAIMS,
    )
    assert do(item, "close", handler).state == S.CLOSED


def test_closing_checks_the_work_again(practice, patient, handler):
    """A request marked carried out without the records (before these rules) is not closed."""
    item = decided(practice, patient, handler, kind="erasure")
    Request.objects.filter(pk=item.pk).update(state=S.FULFILLED)
    with pytest.raises(WorkNotDone):
        do(item, "close", handler)
    with pytest.raises(TransitionRefused):
        perform_transition(fresh(item), "close", actor=handler)


@pytest.mark.parametrize("kind", ["access", "portability", "objection"])
def test_other_kinds_are_carried_out_as_before(kind, practice, patient, handler):
    assert SubProcessor.objects.filter(active=True).exists()
    item = decided(practice, patient, handler, kind=kind)
    assert do(item, "fulfil", handler).state == S.FULFILLED
    assert do(item, "close", handler).state == S.CLOSED


def test_a_complaint_closes_as_before(practice, patient, handler):
    with_complaint_settings(practice)
    item = perform_transition(submit(practice, patient, kind="complaint"), "forward", actor=None)
    for step in ("acknowledge", "investigate"):
        item = do(item, step, handler)
    item = do(item, "decide_complaint", handler, verdict="unfounded", reason="Geen fout.")
    assert do(item, "close", handler).state == S.CLOSED
