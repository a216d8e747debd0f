"""General assistance (agreement art. 6.3, 6.4, 4.7): a practice asks the processor for help
that is not about one patient's request, such as a DPIA question, help with a breach, an audit
or inspection, or information about the processing. Support takes it on and answers; the
practice closes it or reopens it with a reason. Objections: workflows.assistance.instructions."""

import uuid

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from requests_app import access
from requests_app.lifecycle import perform_task_transition
from requests_app.models import AuditAction, GeneralKind, GeneralTask, Practice
from requests_app.roles import Capability
from requests_app.timeline import log_event
from workflows.assistance.instructions import (
    InstructionIncomplete,
    new_due,
    notify,
    practice_side,
    support_side,
)
from workflows.messaging.recipients import support_emails


def ask(
    practice: Practice,
    *,
    actor,
    kind: str,
    subject: str,
    question: str,
    key: uuid.UUID | None = None,
) -> GeneralTask:
    """Record the practice's question (its instruction, art. 3.1) and tell processor support.
    The same form sent twice (its `key`) gives the question already filed and sends nothing."""
    if not access.can(actor, Capability.ASK_PROCESSOR, practice.pk):
        raise PermissionDenied
    if kind not in GeneralKind.values:
        raise InstructionIncomplete("unknown kind of help")
    if not (subject.strip() and question.strip()):
        raise InstructionIncomplete("give a subject and the question")
    if key is not None:
        found = GeneralTask.objects.filter(creation_key=key).first()
        if found is not None:
            return found
    try:
        return _ask(practice, actor, kind, subject, question, key)
    except IntegrityError:
        found = GeneralTask.objects.filter(creation_key=key).first() if key else None
        if found is None:
            raise
        return found


def _ask(practice, actor, kind, subject, question, key) -> GeneralTask:
    with transaction.atomic():
        task = GeneralTask.objects.create(
            practice=practice,
            kind=kind,
            subject=subject.strip(),
            instruction=question.strip(),
            requested_by=actor,
            due=new_due(practice),
            creation_key=key,
        )
        log_event(
            task,
            "requested",
            actor=actor,
            note=task.instruction,
            audit_as=("general_task.create", AuditAction.CREATE),
            audit_details={"kind": kind},
        )
        notify(task, support_emails(), "general_task_asked", kind=task.get_kind_display())
    return task


def start(task: GeneralTask, *, actor, version: int | None = None) -> GeneralTask:
    return perform_task_transition(task, "start", actor=actor, version=version, by=actor)


def answer(task: GeneralTask, *, actor, text: str, version: int | None = None) -> GeneralTask:
    if not text.strip():
        raise InstructionIncomplete("give the answer")
    with transaction.atomic():
        task = perform_task_transition(
            task, "give_answer", actor=actor, note=text.strip(), version=version, text=text
        )
        notify(task, practice_side(task), "general_task_answered")
    return task


def close(task: GeneralTask, *, actor, version: int | None = None) -> GeneralTask:
    return perform_task_transition(task, "close", actor=actor, version=version)


def reopen(task: GeneralTask, *, actor, reason: str, version: int | None = None) -> GeneralTask:
    """The answer does not settle it: back to support, due anew from today."""
    if not reason.strip():
        raise InstructionIncomplete("say why the answer does not settle it")
    with transaction.atomic():
        task = perform_task_transition(
            task,
            "reopen",
            actor=actor,
            note=reason.strip(),
            version=version,
            reason=reason,
            due=new_due(task.practice),
        )
        notify(task, support_side(task), "general_task_reopened")
    return task
