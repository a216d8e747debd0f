"""The practice's instruction and support's objection to it (agreement art. 3.3): the processor
tells the practice at once when in its view an instruction breaks the law on processing personal
data. The task waits, its turnaround stopped; the practice confirms, changes or withdraws the
instruction, and its answer starts the turnaround again. For assistance tasks and general ones
alike; the messages between the two sides are also here."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.errors import DomainError
from requests_app.lifecycle import perform_task_transition
from requests_app.models import AssistanceTask, GeneralTask
from workflows.casework.deadlines import local_date, working_days_after
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.messaging.recipients import support_emails
from workflows.models import Medium, Purpose


class InstructionIncomplete(DomainError):
    """The objection or the answer lacks what it must say."""


def page_path(task: AssistanceTask | GeneralTask) -> str:
    if isinstance(task, GeneralTask):
        return f"/staff/general/{task.pk}/"
    return f"/staff/tasks/{task.pk}/"


def notify(task: AssistanceTask | GeneralTask, recipients: list[str], template: str, **extra):
    """A link and the task number only: no patient data in e-mail."""
    request = task.request if isinstance(task, AssistanceTask) else None
    rows = []
    for email in dict.fromkeys(recipients):
        if not email:
            continue
        row = outbox.message(
            purpose=Purpose.ASSISTANCE,
            medium=Medium.EMAIL,
            recipient=email,
            template=template,
            language=STAFF_LANGUAGE,
            request=request,
            context={"task": task.number, "path": page_path(task), **extra},
        )
        row.practice_id = task.practice_id
        rows.append(row)
    outbox.enqueue(rows)


def practice_side(task: AssistanceTask | GeneralTask) -> list[str]:
    """Who at the practice hears of the processor's side: who asked, the FG and the stand-in."""
    return [task.requested_by.email, *task.practice.privacy_emails()]


def support_side(task: AssistanceTask | GeneralTask) -> list[str]:
    """Who at the processor hears of the practice's side: the one working on it, or everyone."""
    if task.assigned_to_id and task.assigned_to.email and task.assigned_to.is_active:
        return [task.assigned_to.email]
    return support_emails()


def new_due(practice) -> datetime.date:
    """The practice's turnaround in working days, counted from today."""
    return working_days_after(local_date(timezone.now()), practice.assistance_turnaround_days)


def object_to(task, *, actor, reason: str, version: int | None = None):
    """Support objects: the task waits and the practice is told at once."""
    if not reason.strip():
        raise InstructionIncomplete("say why the instruction breaks the law")
    with transaction.atomic():
        task = perform_task_transition(
            task, "object", actor=actor, note=reason.strip(), version=version, reason=reason
        )
        notify(task, practice_side(task), "instruction_objected")
    return task


ANSWERS = {
    "confirm_instruction": _("confirmed the instruction"),
    "change_instruction": _("changed the instruction"),
    "withdraw": _("withdrawn the instruction"),
}


def confirm(task, *, actor, note: str, version: int | None = None):
    """The practice keeps its instruction, saying why: support goes on, due anew."""
    if not note.strip():
        raise InstructionIncomplete("say why the instruction stands")
    return _answer(
        task,
        "confirm_instruction",
        actor,
        note.strip(),
        version,
        answer=note,
        due=new_due(task.practice),
    )


def change(task, *, actor, instruction: str, version: int | None = None):
    """The practice gives a new instruction; the old one stays on the timeline."""
    if not instruction.strip():
        raise InstructionIncomplete("give the new instruction")
    return _answer(
        task,
        "change_instruction",
        actor,
        instruction.strip(),
        version,
        instruction=instruction,
        due=new_due(task.practice),
    )


def withdraw(task, *, actor, note: str = "", version: int | None = None):
    """The practice withdraws the instruction: the task ends here."""
    return _answer(task, "withdraw", actor, note.strip(), version, answer=note)


def _answer(task, name: str, actor, note: str, version, **kwargs):
    with transaction.atomic():
        task = perform_task_transition(
            task, name, actor=actor, note=note, version=version, **kwargs
        )
        notify(task, support_side(task), "instruction_answered", answer=ANSWERS[name])
    return task
