"""Assistance tasks (agreement art. 6.1, 6.4): a practice's recorded instruction to the
processor, and what processor support does with it. Looking up, building packages and erasing
live beside it: workflows.assistance.lookup, .packages and .erasure."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import access, audit
from requests_app.errors import DomainError, StaleRequest, TransitionRefused
from requests_app.lifecycle import perform_task_transition
from requests_app.models import (
    AssistanceKind,
    AssistanceTask,
    AuditAction,
    AuditOutcome,
    DataPackage,
    ErasureCertificate,
    IdentifierState,
    ManualStep,
    Request,
    SubProcessor,
    TaskState,
)
from requests_app.models.assistance import kinds_possible, package_opened
from requests_app.models.subprocessor import DataCategory
from requests_app.roles import Capability
from requests_app.timeline import log_event
from workflows.assistance.connectors import (
    ConnectorError,
    Expected,
    Identifiers,
    Mismatch,
    configured_connectors,
)
from workflows.casework.deadlines import local_date, working_days_after
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.messaging.recipients import support_emails
from workflows.models import Medium, Purpose


class InstructionIncomplete(DomainError):
    """The practice's instruction lacks something the processor needs."""


def request_assistance(
    request: Request,
    *,
    actor,
    kind: str,
    instruction: str,
    patient_number: str = "",
    device_id: str = "",
    keep_categories: list[str] | None = None,
    keep_reason: str = "",
) -> AssistanceTask:
    """Record the practice's instruction and tell processor support (after commit)."""
    if not access.can(actor, Capability.INSTRUCT_PROCESSOR, request.practice_id):
        raise PermissionDenied
    if kind not in kinds_possible(request):
        raise TransitionRefused(f"{kind} cannot be asked for on {request.reference} now")
    if not instruction.strip():
        raise InstructionIncomplete("say what the processor should do")
    keep = sorted(set(keep_categories or []))
    if keep and kind != AssistanceKind.ERASE:
        raise InstructionIncomplete("exceptions only apply to erasure")
    if any(c not in DataCategory.values for c in keep):
        raise InstructionIncomplete("unknown data category")
    if keep and not keep_reason.strip():
        raise InstructionIncomplete("say why these data are kept")
    practice = request.practice
    with transaction.atomic():
        task = AssistanceTask.objects.create(
            request=request,
            practice=practice,
            kind=kind,
            instruction=instruction.strip(),
            requested_by=actor,
            due=working_days_after(local_date(timezone.now()), practice.assistance_turnaround_days),
            patient_number=patient_number.strip(),
            device_id=device_id.strip(),
            keep_categories=keep,
            keep_reason=keep_reason.strip(),
        )
        # Work by hand, one step per sub-processor that no configured connector covers; for a
        # rectification or restriction every recipient, since no connector rectifies or restricts
        # and each must be told of the change (GDPR art. 19).
        recipients = SubProcessor.objects.filter(active=True)
        if kind not in (AssistanceKind.RECTIFY, AssistanceKind.RESTRICT):
            covered = {c.subprocessor for c in configured_connectors() if c.subprocessor}
            recipients = recipients.exclude(name__in=covered)
        ManualStep.objects.bulk_create(ManualStep(task=task, subprocessor=s) for s in recipients)
        log_event(task, "requested", actor=actor, note=task.instruction)
        log_event(
            request,
            "assistance_requested",
            actor=actor,
            note=f"{task.number}: {task.get_kind_display()}",
            audit_as=("task.create", AuditAction.CREATE),
            object_type="assistance_task",
            object_id=task.number,
            audit_details={"kind": kind, "keep": keep},
        )
        _notify(task, support_emails(), "assistance_requested")
    return task


def _notify(task: AssistanceTask, recipients: list[str], template: str) -> None:
    """A link and the task number only: no patient data in e-mail."""
    outbox.enqueue(
        [
            outbox.message(
                purpose=Purpose.ASSISTANCE,
                medium=Medium.EMAIL,
                recipient=email,
                template=template,
                language=STAFF_LANGUAGE,
                request=task.request,
                context={"task": task.number, "task_id": task.pk, "kind": task.get_kind_display()},
            )
            for email in dict.fromkeys(recipients)
            if email
        ]
    )


def start(task: AssistanceTask, *, actor) -> AssistanceTask:
    return perform_task_transition(task, "start", actor=actor, by=actor)


class WorkNotDone(TransitionRefused):
    """The task cannot be delivered yet: `missing` says, in the reader's words, what is still
    open (a step by hand, the package, the certificate, what was done)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("; ".join(missing))
        self.missing = missing

    def explain(self) -> str:
        return " ".join(self.missing)


def still_open(task: AssistanceTask) -> list[str]:
    """What must be done before the task can be delivered, besides the delivery note: the page
    offers delivery only when this is empty, and a refused delivery names it."""
    missing = []
    steps = [
        step.subprocessor.name
        for step in task.manual_steps.filter(done_at__isnull=True).select_related("subprocessor")
    ]
    if steps:
        missing.append(_("Still open: %(steps)s.") % {"steps": ", ".join(steps)})
    if task.kind == AssistanceKind.SUPPLY and not DataPackage.objects.filter(task=task).exists():
        missing.append(_("The data package has not been built yet."))
    if task.kind == AssistanceKind.ERASE:
        certificate = ErasureCertificate.objects.filter(task=task).first()
        if certificate is None:
            missing.append(_("The certificate of erasure has not been issued yet."))
        elif task.erasure_runs.filter(at__gt=certificate.issued_at).exists():
            missing.append(
                _("The erasure ran again after the certificate: issue the certificate again.")
            )
    return missing


def deliver(task: AssistanceTask, *, actor, note: str = "", version: int | None = None):
    missing = still_open(task) if task.state == TaskState.IN_PROGRESS else []
    if (
        task.state == TaskState.IN_PROGRESS
        and task.kind in (AssistanceKind.RECTIFY, AssistanceKind.RESTRICT)
        and not (note.strip() or task.delivery_note.strip())
    ):
        missing.append(_("Say what was changed, and where."))
    if missing:
        raise WorkNotDone(missing)
    with transaction.atomic():
        if note.strip():
            # What was done (rectify, restrict): part of the delivery, so saved before it.
            AssistanceTask.objects.filter(pk=task.pk).update(delivery_note=note.strip())
        task = perform_task_transition(
            task, "deliver", actor=actor, version=version, note=note.strip()
        )
        _notify(task, [task.requested_by.email], "assistance_delivered")
    return task


class NotOpened(TransitionRefused):
    """The practice has not opened the data package it is asked to accept."""


def accept(task: AssistanceTask, *, actor, version: int | None = None) -> AssistanceTask:
    try:
        return perform_task_transition(task, "accept", actor=actor, version=version)
    except StaleRequest:
        raise
    except TransitionRefused as exc:
        fresh = AssistanceTask.objects.select_related("request").get(pk=task.pk)
        if not (
            fresh.state == TaskState.DELIVERED
            and access.can(actor, Capability.INSTRUCT_PROCESSOR, fresh.practice_id)
            and not package_opened(fresh)
        ):
            raise
        # A refused acceptance of an unopened package is kept in the log as well.
        audit.record(
            "task.accept",
            AuditAction.UPDATE,
            user=actor,
            outcome=AuditOutcome.DENIED,
            request=fresh.request,
            object_type="assistance_task",
            object_id=fresh.number,
            details={"why": "package not opened"},
        )
        raise NotOpened("open the package before accepting it") from exc


def reject(task: AssistanceTask, *, actor, reason: str, version: int | None = None):
    if not reason.strip():
        raise InstructionIncomplete("say why the result is rejected")
    with transaction.atomic():
        task = perform_task_transition(
            task,
            "reject",
            actor=actor,
            note=reason.strip(),
            version=version,
            reason=reason,
        )
        _notify(task, [task.assigned_to.email if task.assigned_to else ""], "assistance_rejected")
    return task


def tick_manual_step(step: ManualStep, *, actor, note: str) -> ManualStep:
    """Support records what it did at a sub-processor without an API."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if step.task.state != TaskState.IN_PROGRESS:
        raise TransitionRefused("only a task in progress has open steps")
    if not note.strip():
        raise InstructionIncomplete("say what was done, where")
    with transaction.atomic():
        step.done_at = timezone.now()
        step.done_by = actor
        step.note = note.strip()
        step.save(update_fields=["done_at", "done_by", "note"])
        log_event(
            step.task,
            "manual_step",
            actor=actor,
            note=f"{step.subprocessor}: {step.note}",
            audit_as=("task.manual_step", AuditAction.EXECUTE),
            audit_details={"subprocessor": step.subprocessor.name},
        )
    return step


def identifiers_for(task: AssistanceTask) -> Identifiers:
    """The patient's identifiers from the request and the practice's instruction, and (as
    `also`) those support found in a look-up and the practice confirmed."""
    request = task.request
    confirmed = task.extra_identifiers.filter(state=IdentifierState.CONFIRMED)
    return Identifiers(
        practice_code=task.practice.agb_code,
        email=request.patient_email,
        mobile=request.patient_phone,
        patient_number=task.patient_number or request.patient_number,
        bsn=request.bsn,
        device_id=task.device_id,
        also=tuple((extra.kind, extra.value) for extra in confirmed),
    )


class IdentifiersUnconfirmed(TransitionRefused):
    """An extra identifier awaits the practice's confirmation: an export or erasure now would
    silently leave out, or reach, data the practice has not decided on."""

    def explain(self) -> str:
        return _(
            "An extra identifier awaits the practice's confirmation: nothing is exported or "
            "erased for this task until the practice has confirmed or declined it."
        )


def require_settled_identifiers(task: AssistanceTask) -> None:
    if task.extra_identifiers.filter(state=IdentifierState.PROPOSED).exists():
        raise IdentifiersUnconfirmed(
            "the practice has not yet confirmed or declined the extra identifiers"
        )


def expected_for(task: AssistanceTask) -> Expected:
    """What the request says about the patient, to hold the records the sources choose against."""
    request = task.request
    return Expected(
        ids=identifiers_for(task), name=request.patient_name, birth_date=request.patient_birth_date
    )


def mismatches(task: AssistanceTask, ids: Identifiers, connectors) -> list[Mismatch]:
    """Where the records the sources choose for `ids` disagree with the request (a source that
    fails here is reported where it is used)."""
    expected = expected_for(task)
    found: list[Mismatch] = []
    for connector in connectors:
        compare = getattr(connector, "compare", None)
        if compare is None:
            continue
        try:
            found += compare(ids, expected)
        except ConnectorError:
            continue
    return found


def sources_for(task: AssistanceTask, ids: Identifiers) -> tuple[list, list[tuple]]:
    """The connectors to export from or erase in for this task, and those left out with why.

    A source that cannot tell practices apart (one SMS or e-mail account for the whole app) is
    left out when the patient is also known at another practice: this practice's instruction
    does not reach what the patient exchanged with another practice."""
    connectors = [
        c if getattr(c, "takes_also", False) else _Widened(c) for c in configured_connectors()
    ]
    unscoped = [c for c in connectors if not c.practice_scoped]
    if not unscoped:
        return connectors, []
    try:
        shared = any(c.known_elsewhere(ids) for c in connectors if hasattr(c, "known_elsewhere"))
    except ConnectorError:
        shared = True  # cannot tell: do not touch another practice's data
    if not shared:
        return connectors, []
    why = _("also a patient of another practice; this source cannot tell practices apart")
    return [c for c in connectors if c.practice_scoped], [(c, str(why)) for c in unscoped]


class _Widened:
    """A connector that knows only one address and one number, run once for the request's own
    identifiers and once for each further one (`Identifiers.also`). Such a source holds
    separate data per address or number, so nothing is found twice. A connector that picks
    records itself (the platform) takes `also` directly (`takes_also`)."""

    def __init__(self, connector) -> None:
        self._connector = connector

    def __getattr__(self, name: str):
        return getattr(self._connector, name)

    def find(self, ids: Identifiers):
        return [f for each in ids.each() for f in self._connector.find(each)]

    def export(self, ids: Identifiers):
        for each in ids.each():
            yield from self._connector.export(each)

    def erase(self, ids: Identifiers, keep: frozenset[str]):
        return [e for each in ids.each() for e in self._connector.erase(each, keep)]

    def known_elsewhere(self, ids: Identifiers) -> bool:
        known = getattr(self._connector, "known_elsewhere", None)
        return known is not None and any(known(each) for each in ids.each())

    def compare(self, ids: Identifiers, expected: Expected):
        compare = getattr(self._connector, "compare", None)
        return compare(ids.primary(), expected) if compare else []
