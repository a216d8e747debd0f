"""The processor's objection to an instruction (agreement art. 3.3): the task waits without its
clock running, the practice is told at once, and confirms, changes or withdraws; the request's
gates treat a waiting or withdrawn task as unfinished work."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.lifecycle import perform_transition
from requests_app.models import AssistanceKind, AuditRecord, TaskState
from requests_app.models.completion import open_work
from requests_app.roles import Role
from tests.factories import decided, make_user
from workflows.assistance import instructions
from workflows.assistance import tasks as assistance
from workflows.casework.deadlines import working_days_after
from workflows.housekeeping.retention import UNFINISHED_TASK_STATES
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(practice, patient, handler, support):
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.request_assistance(
        item, actor=handler, kind=AssistanceKind.ERASE, instruction="Wis ook de back-ups direct"
    )
    return assistance.start(task, actor=support)


def mails_to(address):
    return Notification.objects.filter(purpose=Purpose.ASSISTANCE, recipient=address)


def test_support_objects_and_the_practice_is_told_at_once(task, practice, handler, support):
    task = instructions.object_to(
        task, actor=support, reason="Back-ups wissen strijdt met de bewaarplicht", version=1
    )
    assert task.state == TaskState.OBJECTED
    assert task.objection == "Back-ups wissen strijdt met de bewaarplicht"
    assert task.objected_from == TaskState.IN_PROGRESS
    # Who asked, the FG and the stand-in; a link, no patient data.
    for address in (handler.email, practice.dpo_email, practice.standin_email):
        mail = mails_to(address).get(subject__contains=task.number)
        assert f"/staff/tasks/{task.pk}/" in mail.body
        assert task.request.patient_name not in mail.body
    event = task.events.get(action="object")
    assert event.from_state == TaskState.IN_PROGRESS and event.to_state == TaskState.OBJECTED
    assert AuditRecord.objects.filter(event_type="task.object", object_id=task.number).exists()


def test_the_clock_stops_while_the_practice_considers_and_restarts_from_its_answer(
    task, practice, handler, support
):
    practice.assistance_turnaround_days = 3
    practice.save()
    task = instructions.object_to(task, actor=support, reason="Onrechtmatig")
    task.due = datetime.date(2020, 1, 1)  # long past: not overdue while it waits
    assert not task.overdue and task.is_open
    task = instructions.confirm(task, actor=handler, note="De bewaarplicht geldt hier niet")
    assert task.state == TaskState.IN_PROGRESS  # where it stood
    assert task.due == working_days_after(timezone.localdate(), 3)
    assert task.objection_answer == "De bewaarplicht geldt hier niet"
    assert mails_to(support.email).filter(body__contains=f"/staff/tasks/{task.pk}/").exists()


def test_a_changed_instruction_keeps_the_old_one_in_the_history(task, handler, support):
    task = instructions.object_to(task, actor=support, reason="Onrechtmatig")
    task = instructions.change(task, actor=handler, instruction="Wis alleen de app-gegevens")
    assert task.instruction == "Wis alleen de app-gegevens"
    assert task.state == TaskState.IN_PROGRESS
    notes = list(task.events.values_list("action", "note"))
    assert ("requested", "Wis ook de back-ups direct") in notes
    assert ("change_instruction", "Wis alleen de app-gegevens") in notes
    assert AuditRecord.objects.filter(event_type="task.change_instruction").exists()


def test_a_withdrawn_task_accepts_nothing_and_the_request_stays_gated(task, handler, support):
    task = instructions.object_to(task, actor=support, reason="Onrechtmatig")
    task = instructions.withdraw(task, actor=handler, note="Wij vragen het anders")
    assert task.state == TaskState.WITHDRAWN and not task.is_open
    for act in (
        lambda: instructions.confirm(task, actor=handler, note="toch"),
        lambda: instructions.change(task, actor=handler, instruction="iets"),
        lambda: instructions.object_to(task, actor=support, reason="weer"),
        lambda: assistance.start(task, actor=support),
        lambda: assistance.deliver(task, actor=support),
    ):
        with pytest.raises(TransitionRefused):
            act()
    # The processor's part of the erasure is not done: the request cannot be carried out.
    assert open_work(task.request)
    with pytest.raises(TransitionRefused):
        perform_transition(task.request, "fulfil", actor=handler)


def test_a_waiting_task_holds_the_request_and_its_retention(task, support):
    task = instructions.object_to(task, actor=support, reason="Onrechtmatig")
    assert TaskState.OBJECTED in UNFINISHED_TASK_STATES
    assert open_work(task.request)


def test_support_cannot_confirm_and_the_practice_cannot_object(task, handler, support):
    with pytest.raises(PermissionDenied):
        instructions.object_to(task, actor=handler, reason="zelf bezwaar")
    task = instructions.object_to(task, actor=support, reason="Onrechtmatig")
    with pytest.raises(PermissionDenied):
        instructions.confirm(task, actor=support, note="zelf bevestigd")
    fg = make_user("fg@practice.example", Role.DPO, task.practice)
    with pytest.raises(PermissionDenied):
        instructions.withdraw(task, actor=fg)  # the FG does not instruct on a request
    assert task.events.filter(action__in=["confirm_instruction", "withdraw"]).count() == 0


def test_another_practices_handler_cannot_answer(task, support, other_handler):
    task = instructions.object_to(task, actor=support, reason="Onrechtmatig")
    with pytest.raises(PermissionDenied):
        instructions.confirm(task, actor=other_handler, note="wij bevestigen")


def test_an_objection_needs_a_reason_and_a_fresh_form(task, support):
    with pytest.raises(instructions.InstructionIncomplete):
        instructions.object_to(task, actor=support, reason="  ")
    with pytest.raises(StaleRequest):
        instructions.object_to(task, actor=support, reason="Onrechtmatig", version=0)
    assert task.events.filter(action="object").count() == 0


def test_an_objection_before_the_task_is_taken_on_returns_it_to_requested(
    practice, patient, handler, support
):
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.request_assistance(
        item, actor=handler, kind=AssistanceKind.ERASE, instruction="Alles"
    )
    task = instructions.object_to(task, actor=support, reason="Te ruim")
    task = instructions.confirm(task, actor=handler, note="Zo bedoeld")
    assert task.state == TaskState.REQUESTED
