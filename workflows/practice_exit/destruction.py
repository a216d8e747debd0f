"""Destroying everything the processor holds for a practice, once the practice has its archive
(agreement art. 11.2), with a certificate of destruction as proof.

The destruction starts only from the recorded export's own directory, and only when no data of
the practice changed since (archive.verify, archive.current_state). It then runs its steps in
order: the sub-processors with an API (e-mail, SMS: the practice's patients' own addresses and
numbers), the app's platform (every app user of the practice), the portal's records, the files
on disk, the staff accounts, the processor's copy of the archive. Each step runs once; a failed
step stops the run and runs again next time, adding only what it removes then (a source removes
nothing twice). Sub-processors without an API become manual steps that support ticks off with a
note. What cannot be destroyed is reported to the practice's FG at once, with the reason; the
certificate is issued when every step is done."""

import datetime
import shutil
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_exit_transition
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    AuditRecord,
    ChangeAnswer,
    ChangeEvent,
    DataPackage,
    ErasureCertificate,
    ErasureRun,
    ExitState,
    ExtraIdentifier,
    GeneralTask,
    GeneralTaskEvent,
    Incident,
    IncidentPractice,
    IncidentUpdate,
    LegalOrder,
    LegalOrderEvent,
    ManualStep,
    Membership,
    NoProcessorData,
    PatientWait,
    PendingSubmission,
    PracticeDocument,
    PracticeExit,
    PracticeExitStep,
    RecipientNotice,
    Request,
    RequestEvent,
    RequestMessage,
    StaffInvitation,
    StandardText,
    StepKind,
    SubProcessor,
    SubProcessorApproval,
    TaskEvent,
    TimeEntry,
)
from requests_app.roles import Role
from requests_app.timeline import log_exit_event
from workflows.assistance.connectors import ConnectorError, configured_connectors
from workflows.assistance.erasure import manifest_digest
from workflows.assistance.packages.files import storage_dir
from workflows.casework.patients import retire_account
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose
from workflows.practice_exit import archive, sections
from workflows.practice_exit.exits import store_dir

CERTIFICATE_VERSION = "1.0"
PLATFORM, PORTAL, FILES, ACCOUNTS, ARCHIVE = "platform", "portal", "files", "accounts", "archive"

STEP_LABELS = {
    PLATFORM: gettext_lazy("The app's platform: all the practice's app users"),
    PORTAL: gettext_lazy("This portal: requests and everything linked to them"),
    FILES: gettext_lazy("Data package and document files on disk"),
    ACCOUNTS: gettext_lazy("Staff accounts of the practice"),
    ARCHIVE: gettext_lazy("The processor's copy of the archive"),
}

# What cannot be returned or destroyed, and why (agreement art. 11.2: reported at once).
KEPT_TEXTS = {
    "audit_log": gettext_lazy(
        "The audit log of the practice (NEN 7513): %(count)s records. It is a keyed append-only "
        "chain that the portal's database role cannot delete from; the law asks to keep it for "
        "at least five years (Besluit elektronische gegevensverwerking door zorgaanbieders, art. "
        "5(2)). It is kept for %(years)s years and removed by the monthly pruning, the last "
        "records by %(until)s."
    ),
    "exit_record": gettext_lazy(
        "This exit's record and certificate: counts, dates and checksums, no patient data; kept "
        "as proof of the return and destruction (agreement art. 11.2)."
    ),
    "practice": gettext_lazy(
        "The practice's name, AGB code, address and privacy contacts: the other party to the "
        "agreement, needed to send this report and the certificate. The practice is made "
        "inactive: it receives no requests."
    ),
    "fg_accounts": gettext_lazy(
        "The accounts of the practice's FG (%(count)s): read-only, so the FG can read the "
        "certificate; the processor's administrator ends them when the practice confirms "
        "receipt."
    ),
    "shared_contacts": gettext_lazy(
        "%(count)s e-mail addresses or mobile numbers that patients of other practices use too: "
        "the e-mail and SMS providers cannot tell practices apart, so their data there stay for "
        "the other practice. They are no longer processed for this practice."
    ),
    "opt_outs": gettext_lazy(
        "Opt-outs at the e-mail provider (unsubscribes, spam reports): removing them would make "
        "the addresses mailable again (GDPR art. 17(3), 21)."
    ),
    "patient_accounts": gettext_lazy(
        "The rows of patients' sign-in accounts, without e-mail address, deactivated: the audit "
        "log refers to them."
    ),
}


class DestructionRefused(Exception):
    """The destruction does not start: nothing was changed, and why."""


def kept_text(item: dict) -> str:
    return str(KEPT_TEXTS[item["key"]]) % item


def kept_texts(record: PracticeExit) -> list[str]:
    return [kept_text(item) for item in record.kept]


def _audit_kept_until(now: datetime.datetime) -> datetime.date:
    """The pruning removes a month once it ended AUDIT_RETENTION_YEARS ago: the records written
    up to the end of this month are gone by the first day after that."""
    years = settings.AUDIT_RETENTION_YEARS
    first_next = (now.date().replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return first_next.replace(year=first_next.year + years)


def what_is_kept(record: PracticeExit, shared: int) -> list[dict]:
    practice = record.practice
    now = timezone.now()
    kept = [
        {
            "key": "audit_log",
            "count": AuditRecord.objects.filter(practice_id_ref=practice.pk).count(),
            "years": settings.AUDIT_RETENTION_YEARS,
            "until": _audit_kept_until(now).isoformat(),
        },
        {"key": "exit_record"},
        {"key": "practice"},
    ]
    fg = Membership.objects.filter(practice=practice, role=Role.DPO).count()
    if fg:
        kept.append({"key": "fg_accounts", "count": fg})
    if shared:
        kept.append({"key": "shared_contacts", "count": shared})
    if any(c.key == "sendgrid" for c in sections.unscoped_connectors()):
        kept.append({"key": "opt_outs"})
    kept.append({"key": "patient_accounts"})
    return kept


def _manual_subprocessors(record: PracticeExit) -> list[SubProcessor]:
    """The practice's approved sub-processors that receive data and are reached by no
    configured connector (nor host one): done by hand."""
    reached = set()
    for connector in configured_connectors():
        reached |= {connector.subprocessor, getattr(connector, "hosted_by", "")}
    return [
        sub
        for sub in SubProcessor.objects.approved_for(record.practice).exclude(categories=[])
        if sub.name not in reached
    ]


def _plan(record: PracticeExit, directory: Path) -> list[PracticeExitStep]:
    keys = [c.key for c in sections.unscoped_connectors()]
    if sections.platform_connector() is not None:
        keys.append(PLATFORM)
    keys += [PORTAL, FILES, ACCOUNTS, ARCHIVE]
    steps = [PracticeExitStep(exit=record, key=key, position=n) for n, key in enumerate(keys)]
    # The copy the destruction was checked against, and the one first written (if elsewhere).
    archive_copies = [str(Path(record.archive_name))]
    archive_copies.append(str(Path(directory).resolve() / Path(record.archive_name).name))
    archive_copies += [str(p) for p in store_dir().glob(f"{record.number}-*")]
    steps[-1].pending = sorted(set(archive_copies))
    steps += [
        PracticeExitStep(
            exit=record,
            key=f"manual:{sub.pk}",
            position=100 + n,
            kind=StepKind.MANUAL,
            subprocessor=sub,
        )
        for n, sub in enumerate(_manual_subprocessors(record))
    ]
    return steps


def _require_admin(actor) -> None:
    if not access.is_processor_admin(actor):
        raise PermissionDenied


def check(record: PracticeExit, directory: Path) -> dict:
    """Whether the destruction may start from `directory`: DestructionRefused says why not."""
    if record.state in (ExitState.STARTED,):
        raise DestructionRefused(_("Export the archive first."))
    if record.state != ExitState.EXPORTED:
        raise DestructionRefused(_("The destruction has started already."))
    if sections.banned_orders(record.practice).exists():
        raise DestructionRefused(
            _(
                "A legal order for this practice is under a ban on notice (agreement art. 3.4): "
                "it is not in the archive, and the destruction waits until the ban is lifted."
            )
        )
    try:
        manifest = archive.verify(
            record.practice,
            directory,
            digest=record.manifest_digest,
            archive_sha256=record.archive_sha256,
        )
    except archive.ArchiveRefused as exc:
        raise DestructionRefused(str(exc)) from None
    now = archive.current_state(record.practice)
    changed = sorted(
        name
        for name in set(now) | set(manifest.get("state", {}))
        if now.get(name) != manifest["state"].get(name)
    )
    if changed:
        raise DestructionRefused(
            _("Data of the practice changed since the export (%(tables)s): export again.")
            % {"tables": ", ".join(changed)}
        )
    return manifest


def destroy(record: PracticeExit, directory: Path | None, *, actor) -> PracticeExit:
    """Start (after the checks) or go on with the destruction; the certificate once every step
    is done. Returns the exit as it stands."""
    _require_admin(actor)
    record = PracticeExit.objects.get(pk=record.pk)
    if record.state == ExitState.CERTIFIED:
        raise DestructionRefused(_("The certificate has been issued already."))
    if record.state in (ExitState.STARTED, ExitState.EXPORTED):
        if directory is None:
            raise DestructionRefused(_("Name the directory that holds the archive."))
        check(record, directory)
        _begin(record, directory, actor=actor)
    record = PracticeExit.objects.get(pk=record.pk)
    if record.state == ExitState.DESTROYING:
        _run_steps(record, actor=actor)
        record = PracticeExit.objects.get(pk=record.pk)
        if all(step.done_at for step in record.steps.all()):
            record = perform_exit_transition(record, "finish_destruction", actor=actor)
    if record.state == ExitState.DESTROYED:
        record = certify(record, actor=actor)
    return record


def _begin(record: PracticeExit, directory: Path, *, actor) -> None:
    _own, shared = sections.own_contacts(record.practice)
    with transaction.atomic():
        record = perform_exit_transition(
            record, "begin_destruction", actor=actor, by=actor, kept=[]
        )
        kept = what_is_kept(record, shared)
        PracticeExit.objects.filter(pk=record.pk).update(kept=kept, kept_reported_at=timezone.now())
        record.kept = kept
        PracticeExitStep.objects.bulk_create(_plan(record, directory))
        _tell_practice(record, "practice_exit_kept", {"kept": kept_texts(record)})
        log_exit_event(
            record,
            "kept_reported",
            actor=actor,
            note=", ".join(record.practice.privacy_emails()),
            audit_as=("practice_exit.kept_reported", AuditAction.EXECUTE),
            details={"kept": [item["key"] for item in kept]},
        )


def _tell_practice(record: PracticeExit, template: str, context: dict) -> None:
    practice = record.practice
    rows = []
    for email in practice.privacy_emails():
        row = outbox.message(
            purpose=Purpose.PRACTICE_EXIT,
            medium=Medium.EMAIL,
            recipient=email,
            template=template,
            language=STAFF_LANGUAGE,
            context={"practice": practice, "exit": record} | context,
        )
        row.practice = practice
        rows.append(row)
    outbox.enqueue(rows)


# --- The steps ------------------------------------------------------------------------------
Outcome = tuple[dict, dict, str]  # removed, kept, note


def _provider_step(record: PracticeExit, step: PracticeExitStep) -> Outcome:
    connector = next(c for c in sections.unscoped_connectors() if c.key == step.key)
    own, shared = sections.own_contacts(record.practice)
    removed: dict[str, int] = {}
    kept: dict[str, int] = {}
    try:
        for _label, ids in own:
            for result in connector.erase(ids, frozenset()):
                removed[result.category] = removed.get(result.category, 0) + result.removed
                kept[result.category] = kept.get(result.category, 0) + result.kept
    except ConnectorError as exc:
        for category, count in exc.removed.items():
            removed[category] = removed.get(category, 0) + count
        exc.removed = removed
        raise
    note = f"{len(own)} addresses and numbers; {shared} left: also used at another practice"
    return removed, kept, note


def _platform_step(record: PracticeExit, step: PracticeExitStep) -> Outcome:
    results = sections.platform_connector().erase_practice(record.practice.agb_code)
    return {r.category: r.removed for r in results}, {}, ""


PORTAL_MODELS = {
    "requests": (Request, "practice"),
    "request_events": (RequestEvent, "request__practice"),
    "messages": (RequestMessage, "request__practice"),
    "patient_waits": (PatientWait, "request__practice"),
    "no_processor_data": (NoProcessorData, "request__practice"),
    "recipient_notices": (RecipientNotice, "request__practice"),
    "assistance_tasks": (AssistanceTask, "practice"),
    "task_events": (TaskEvent, "task__practice"),
    "manual_steps": (ManualStep, "task__practice"),
    "extra_identifiers": (ExtraIdentifier, "task__practice"),
    "erasure_runs": (ErasureRun, "task__practice"),
    "erasure_certificates": (ErasureCertificate, "task__practice"),
    "data_packages": (DataPackage, "task__practice"),
    "practice_documents": (PracticeDocument, "request__practice"),
    "subprocessor_approvals": (SubProcessorApproval, "practice"),
    "incident_records": (IncidentPractice, "practice"),
    "legal_orders": (LegalOrder, "practice"),
    "legal_order_events": (LegalOrderEvent, "order__practice"),
    "general_tasks": (GeneralTask, "practice"),
    "general_task_events": (GeneralTaskEvent, "task__practice"),
    "time_entries": (TimeEntry, "practice"),
    "subprocessor_change_answers": (ChangeAnswer, "practice"),
    "subprocessor_change_events": (ChangeEvent, "practice"),
}


def _incidents(practice) -> dict:
    """The practice's part of the incidents: an incident that concerns other practices too
    stays for them, without this practice's record and without its link to this practice's
    request (the request goes); any other incident of the practice goes with its updates."""
    linked = set(sections.incidents_of(practice).values_list("pk", flat=True))
    shared = set(
        IncidentPractice.objects.filter(incident__in=linked)
        .exclude(practice=practice)
        .values_list("incident", flat=True)
    )
    own = linked - shared
    removed = {
        "incidents": len(own),
        "incident_updates": IncidentUpdate.objects.filter(incident__in=own).count(),
        "incidents_shared_kept": len(shared),
    }
    IncidentPractice.objects.filter(practice=practice).delete()
    Incident.objects.filter(pk__in=shared, request__practice=practice).update(request=None)
    Incident.objects.filter(pk__in=own).delete()
    return removed


def _portal_step(record: PracticeExit, step: PracticeExitStep) -> Outcome:
    """Every record of the practice in one transaction; the files they name go in the next
    step (after commit, so a rollback leaves no record without its file)."""
    practice = record.practice
    removed = {
        name: model.objects.filter(**{path: practice}).count()
        for name, (model, path) in PORTAL_MODELS.items()
    }
    files = list(
        DataPackage.objects.filter(task__practice=practice, purged_at=None).values_list(
            "file_name", flat=True
        )
    ) + list(
        PracticeDocument.objects.filter(request__practice=practice, purged_at=None).values_list(
            "file_name", flat=True
        )
    )
    PracticeExitStep.objects.filter(exit=record, key=FILES).update(pending=files)
    removed |= _incidents(practice)
    # PROTECT on the practice: the rows that hang on it go explicitly, before the requests.
    TimeEntry.objects.filter(
        Q(practice=practice) | Q(task__practice=practice) | Q(general_task__practice=practice)
    ).delete()
    GeneralTask.objects.filter(practice=practice).delete()
    LegalOrder.objects.filter(practice=practice).delete()
    ChangeEvent.objects.filter(practice=practice).delete()
    ChangeAnswer.objects.filter(practice=practice).delete()
    notifications = Notification.objects.filter(
        Q(request__practice=practice) | Q(practice=practice)
    ).exclude(purpose=Purpose.PRACTICE_EXIT)
    removed["notifications"] = notifications.count()
    notifications.delete()
    pending = PendingSubmission.objects.filter(payload__practice_id=practice.pk)
    removed["pending_submissions"] = pending.count()
    pending.delete()
    emails = set(Request.objects.filter(practice=practice).values_list("patient_email", flat=True))
    Request.objects.filter(practice=practice).delete()
    SubProcessorApproval.objects.filter(practice=practice).delete()
    StandardText.objects.filter(practice=practice).delete()  # with their versions
    removed["patient_accounts_retired"] = sum(
        retire_account(email)
        for email in emails
        if not Request.objects.filter(patient_email=email).exists()
    )
    practice.active = False
    practice.save(update_fields=["active"])
    return removed, {}, ""


def _files_step(record: PracticeExit, step: PracticeExitStep) -> Outcome:
    step.refresh_from_db(fields=["pending"])  # filled by the portal step of this run
    removed = 0
    for name in step.pending:
        path = storage_dir() / Path(name).name
        if path.exists():
            path.unlink()
            removed += 1
    return {"files": removed}, {}, ""


def _accounts_step(record: PracticeExit, step: PracticeExitStep) -> Outcome:
    """Memberships at the practice end (the FG's stay, read-only, for the certificate); an
    account with no other role can no longer sign in."""
    memberships = Membership.objects.filter(practice=record.practice).exclude(role=Role.DPO)
    users = set(memberships.values_list("user_id", flat=True))
    ended = memberships.count()
    memberships.delete()
    # An open invitation would let someone join a practice whose data are gone.
    StaffInvitation.objects.filter(practice=record.practice).delete()
    lonely = get_user_model().objects.filter(pk__in=users, memberships__isnull=True, is_active=True)
    deactivated = lonely.update(is_active=False)
    fg = Membership.objects.filter(practice=record.practice, role=Role.DPO).count()
    return (
        {"memberships_ended": ended, "accounts_deactivated": deactivated},
        {"fg_memberships": fg} if fg else {},
        "",
    )


def _archive_step(record: PracticeExit, step: PracticeExitStep) -> Outcome:
    removed = 0
    for name in step.pending:
        path = Path(name)
        if path.is_dir():
            shutil.rmtree(path)
            removed += 1
        elif path.exists():
            path.unlink()
            removed += 1
    return {"archive_copies": removed}, {}, ""


RUNNERS: dict[str, Callable[[PracticeExit, PracticeExitStep], Outcome]] = {
    PLATFORM: _platform_step,
    PORTAL: _portal_step,
    FILES: _files_step,
    ACCOUNTS: _accounts_step,
    ARCHIVE: _archive_step,
}
IN_TRANSACTION = {PORTAL, ACCOUNTS}  # the portal's own records: done and recorded together


def _add(into: dict, counts: dict) -> dict:
    return {k: into.get(k, 0) + counts.get(k, 0) for k in set(into) | set(counts)}


def _run_steps(record: PracticeExit, *, actor) -> None:
    for step in record.steps.filter(done_at=None, kind=StepKind.AUTOMATIC).order_by("position"):
        runner = RUNNERS.get(step.key, _provider_step)
        try:
            if step.key in IN_TRANSACTION:
                with transaction.atomic():
                    _finish(step, *runner(record, step), actor=actor)
            else:
                outcome = runner(record, step)
                _finish(step, *outcome, actor=actor)
        except ConnectorError as exc:
            step.removed = _add(step.removed, exc.removed)
            step.error = str(exc)[:2000]
            step.attempts += 1
            step.save(update_fields=["removed", "error", "attempts"])
            log_exit_event(
                record,
                "step_failed",
                actor=actor,
                note=f"{step.key}: {step.error}",
                audit_as=("practice_exit.step", AuditAction.DELETE),
                details={"step": step.key, "removed": exc.removed, "error": step.error},
            )
            return  # the next steps need this one (the platform names the addresses)


def _finish(step: PracticeExitStep, removed: dict, kept: dict, note: str, *, actor) -> None:
    step.removed = _add(step.removed, removed)
    step.kept, step.note, step.error = kept, note, ""
    step.attempts += 1
    step.done_at, step.done_by = timezone.now(), actor
    step.save()
    log_exit_event(
        step.exit,
        "step",
        actor=actor,
        note=step.key,
        audit_as=("practice_exit.step", AuditAction.DELETE),
        details={"step": step.key, "removed": removed, "kept": kept},
    )


def tick_manual_step(step: PracticeExitStep, *, actor, note: str) -> PracticeExitStep:
    """Support records what it did at a sub-processor without an API."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if step.kind != StepKind.MANUAL or step.done_at is not None:
        raise TransitionRefused("only an open manual step is ticked off")
    if step.exit.state != ExitState.DESTROYING:
        raise TransitionRefused("manual steps are ticked off while the destruction runs")
    if not note.strip():
        raise DestructionRefused(_("Say what was done, where."))
    with transaction.atomic():
        step.done_at, step.done_by, step.note = timezone.now(), actor, note.strip()
        step.save(update_fields=["done_at", "done_by", "note"])
        log_exit_event(
            step.exit,
            "manual_step",
            actor=actor,
            note=f"{step.subprocessor}: {step.note}",
            audit_as=("practice_exit.manual_step", AuditAction.EXECUTE),
            details={"subprocessor": step.subprocessor.name},
        )
    return step


def step_label(step: PracticeExitStep) -> str:
    if step.subprocessor_id:
        return step.subprocessor.name
    if step.key in STEP_LABELS:
        return str(STEP_LABELS[step.key])
    try:
        return str(next(c.label for c in configured_connectors() if c.key == step.key))
    except StopIteration:
        return step.key


def certify(record: PracticeExit, *, actor) -> PracticeExit:
    """The certificate of destruction: what was removed where, with counts, when and by whom,
    what is kept and why, the manual steps, and the digest of the archive's manifest."""
    _require_admin(actor)
    practice = record.practice
    steps = list(record.steps.select_related("subprocessor", "done_by"))
    now = timezone.now()
    certificate = {
        "certificate": "practice-destruction",
        "version": CERTIFICATE_VERSION,
        "exit": record.number,
        "practice": {"name": practice.name, "agb_code": practice.agb_code},
        "reason": {
            "code": record.reason,
            "label": str(record.get_reason_display()),
            "reference": record.reason_reference,
            "dated": record.reason_date.isoformat(),
        },
        "started": {"by": record.started_by.email, "at": _iso(record.started_at)},
        "export": {
            "by": record.exported_by.email if record.exported_by else "",
            "at": _iso(record.exported_at),
            "manifest_sha256": record.manifest_digest,
            "archive_sha256": record.archive_sha256,
            "archive": Path(record.archive_name).name,
        },
        "destruction": {
            "started_by": record.destruction_started_by.email,
            "started_at": _iso(record.destruction_started_at),
            "finished_at": _iso(record.destroyed_at),
        },
        "removed": [
            {
                "step": step.key,
                "where": step_label(step),
                "removed": dict(sorted(step.removed.items())),
                "kept": dict(sorted(step.kept.items())),
                "note": step.note,
                "done_at": _iso(step.done_at),
                "done_by": step.done_by.email if step.done_by else "",
                "attempts": step.attempts,
            }
            for step in steps
            if step.kind == StepKind.AUTOMATIC
        ],
        "manual_steps": [
            {
                "subprocessor": step.subprocessor.name,
                "done_at": _iso(step.done_at),
                "done_by": step.done_by.email if step.done_by else "",
                "note": step.note,
            }
            for step in steps
            if step.kind == StepKind.MANUAL
        ],
        "kept": [item | {"text": kept_text(item)} for item in record.kept],
        "issued_by": actor.email,
        "issued_at": _iso(now),
    }
    digest = manifest_digest(certificate)
    with transaction.atomic():
        record = perform_exit_transition(
            record, "certify", actor=actor, by=actor, certificate=certificate, digest=digest
        )
        _tell_practice(record, "practice_exit_certificate", {"digest": digest})
    return record


def _iso(moment) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""
