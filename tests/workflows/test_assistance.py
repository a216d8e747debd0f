"""Assistance tasks: the practice's instruction, each transition's allowed and refused path,
the turnaround on the deadline calendar, and who is told."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.models import AssistanceKind, AuditRecord, ManualStep, SubProcessor, TaskState
from requests_app.roles import Role
from tests.factories import decided, make_user
from workflows.assistance import tasks as assistance
from workflows.casework.deadlines import working_days_after
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def erasure_request(practice, patient, handler):
    return decided(practice, patient, handler, kind="erasure")


def ask(item, handler, kind=AssistanceKind.ERASE, **extra):
    return assistance.request_assistance(
        item, actor=handler, kind=kind, instruction="Alles wissen behalve het dossier", **extra
    )


def test_the_practice_asks_and_support_is_told_without_patient_data(
    erasure_request, handler, support
):
    task = ask(erasure_request, handler, keep_categories=["conversations"], keep_reason="dossier")
    assert task.state == TaskState.REQUESTED
    assert task.requested_by == handler and task.practice == erasure_request.practice
    assert task.due == working_days_after(task.requested_at.astimezone().date(), 5)
    assert task.events.get().action == "requested"
    assert erasure_request.events.filter(action="assistance_requested").exists()
    mail = Notification.objects.get(purpose=Purpose.ASSISTANCE, recipient=support.email)
    assert f"/staff/tasks/{task.pk}/" in mail.body
    assert erasure_request.patient_name not in mail.body + mail.subject
    assert erasure_request.patient_email not in mail.body + mail.subject
    assert AuditRecord.objects.filter(event_type="task.create", object_id=task.number).exists()
    # One manual step per sub-processor no configured connector covers (here: all of them).
    assert task.manual_steps.count() == SubProcessor.objects.filter(active=True).count()


def test_every_recipient_is_told_of_a_rectification(practice, patient, handler, support):
    task = rectify_task(practice, patient, handler, support)
    told = set(task.manual_steps.values_list("subprocessor__name", flat=True))
    assert told == set(SubProcessor.objects.filter(active=True).values_list("name", flat=True))
    assert "SendGrid" in told  # reachable by API, but no connector rectifies


def test_turnaround_follows_the_practice_setting(erasure_request, handler, practice):
    practice.assistance_turnaround_days = 2
    practice.save()
    task = ask(erasure_request, handler)
    assert task.due == working_days_after(task.requested_at.astimezone().date(), 2)


@pytest.mark.parametrize(
    ("who", "error"),
    [("other_handler", PermissionDenied), ("support", PermissionDenied)],
)
def test_only_the_practice_may_instruct(request, erasure_request, who, error):
    with pytest.raises(error):
        ask(erasure_request, request.getfixturevalue(who))
    assert not erasure_request.tasks.exists()


def test_changing_data_needs_the_practices_decision(practice, patient, handler):
    undecided = decided(practice, patient, handler, kind="erasure", grant=False)
    with pytest.raises(TransitionRefused):
        ask(undecided, handler)
    # Supplying data needs only the verified identity.
    access_request = decided(practice, patient, handler, kind="access", grant=False)
    assert ask(access_request, handler, kind=AssistanceKind.SUPPLY).kind == "supply"


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        ({"keep_categories": ["conversations"]}, AssistanceKind.ERASE),  # no reason
        ({"keep_categories": ["nonsense"], "keep_reason": "x"}, AssistanceKind.ERASE),
        ({}, AssistanceKind.SUPPLY),  # not on an erasure request
    ],
)
def test_incomplete_or_wrong_instructions_change_nothing(erasure_request, handler, extra, kind):
    with pytest.raises((assistance.InstructionIncomplete, TransitionRefused)):
        ask(erasure_request, handler, kind=kind, **extra)
    assert not erasure_request.tasks.exists()
    assert not Notification.objects.filter(purpose=Purpose.ASSISTANCE).exists()


def test_start_is_for_support_only(erasure_request, handler, support):
    task = ask(erasure_request, handler)
    with pytest.raises(PermissionDenied):
        assistance.start(task, actor=handler)
    task = assistance.start(task, actor=support)
    assert task.state == TaskState.IN_PROGRESS and task.assigned_to == support
    with pytest.raises(TransitionRefused):
        assistance.start(task, actor=support)


def rectify_task(practice, patient, handler, support):
    item = decided(practice, patient, handler, kind="rectification")
    task = assistance.start(ask(item, handler, kind=AssistanceKind.RECTIFY), actor=support)
    return task


def tick_all(task, support):
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Gemeld per e-mail")


def test_delivery_needs_the_work_done(practice, patient, handler, support):
    task = rectify_task(practice, patient, handler, support)
    with pytest.raises(TransitionRefused):  # manual steps still open, no note
        assistance.deliver(task, actor=support, note="Naam aangepast in het platform")
    tick_all(task, support)
    with pytest.raises(TransitionRefused):  # no note of what was done
        assistance.deliver(task, actor=support)
    with pytest.raises(PermissionDenied):
        assistance.deliver(task, actor=handler, note="x")
    task = assistance.deliver(task, actor=support, note="Naam aangepast in het platform")
    assert task.state == TaskState.DELIVERED and task.delivery_note.startswith("Naam")
    mail = Notification.objects.filter(purpose=Purpose.ASSISTANCE, recipient=handler.email)
    assert mail.exists()


def test_manual_steps_need_a_note_and_support(practice, patient, handler, support):
    task = rectify_task(practice, patient, handler, support)
    step = task.manual_steps.first()
    with pytest.raises(assistance.InstructionIncomplete):
        assistance.tick_manual_step(step, actor=support, note="  ")
    with pytest.raises(PermissionDenied):
        assistance.tick_manual_step(step, actor=handler, note="gedaan")
    assert ManualStep.objects.get(pk=step.pk).done_at is None


def test_the_practice_accepts_or_rejects_with_a_reason(
    practice, patient, handler, support, other_handler
):
    task = rectify_task(practice, patient, handler, support)
    tick_all(task, support)
    task = assistance.deliver(task, actor=support, note="Gedaan")
    with pytest.raises(PermissionDenied):
        assistance.accept(task, actor=support)
    with pytest.raises(PermissionDenied):
        assistance.accept(task, actor=other_handler)
    with pytest.raises(assistance.InstructionIncomplete):
        assistance.reject(task, actor=handler, reason=" ")
    with pytest.raises(StaleRequest):
        assistance.accept(task, actor=handler, version=task.version - 1)
    rejected = assistance.reject(task, actor=handler, reason="Geboortedatum ook fout")
    assert rejected.state == TaskState.REJECTED and rejected.rejection_reason
    with pytest.raises(TransitionRefused):
        assistance.accept(rejected, actor=handler)
    assert Notification.objects.filter(purpose=Purpose.ASSISTANCE, recipient=support.email)


def test_accept(practice, patient, handler, support):
    task = rectify_task(practice, patient, handler, support)
    tick_all(task, support)
    task = assistance.deliver(task, actor=support, note="Gedaan")
    accepted = assistance.accept(task, actor=handler, version=task.version)
    assert accepted.state == TaskState.ACCEPTED
    assert [e.action for e in accepted.events.all()][-2:] == ["deliver", "accept"]


def test_overdue(erasure_request, handler, support):
    task = ask(erasure_request, handler)
    assert not task.overdue
    task.due = datetime.date(2020, 1, 1)
    assert task.overdue


def test_the_fg_and_the_practice_admin_do_not_instruct_the_processor(
    erasure_request, handler, practice
):
    for role in (Role.DPO, Role.PRACTICE_ADMIN):
        with pytest.raises(PermissionDenied):
            ask(erasure_request, make_user(f"{role}@practice.example", role, practice))
    assert not erasure_request.tasks.exists()
