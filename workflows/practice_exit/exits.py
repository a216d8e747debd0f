"""Starting a practice's exit, exporting its archive and handing it over (agreement art. 10.6,
11.2). Only the processor's administrators do this; every act is on the exit's history and in
the audit log, against the practice."""

import datetime
import shutil
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from requests_app import access
from requests_app.errors import DomainError, TransitionRefused
from requests_app.lifecycle import perform_exit_transition
from requests_app.models import AuditAction, ExitReason, ExitState, Practice, PracticeExit
from requests_app.timeline import log_exit_event
from workflows.practice_exit import archive


class ExitIncomplete(DomainError):
    """The exit cannot be started as asked: what is missing."""


def open_exit(practice: Practice) -> PracticeExit | None:
    return practice.exits.exclude(state=ExitState.CERTIFIED).first()


def start_exit(
    practice: Practice, *, actor, reason: str, reference: str, dated: datetime.date
) -> PracticeExit:
    """Record why the practice leaves: the end of the agreement or its written request, with
    the reference and date of the notice or request. From now on the practice receives no new
    requests (patients cannot choose it, the app's API refuses it): one arriving after the
    export would hold up the destruction."""
    if not access.is_processor_admin(actor):
        raise PermissionDenied
    if reason not in ExitReason.values:
        raise ExitIncomplete("say why: the end of the agreement or the practice's written request")
    if not reference.strip():
        raise ExitIncomplete("give the reference of the notice or the written request")
    if dated is None or dated > timezone.localdate():
        raise ExitIncomplete("give the date of the notice or request (not in the future)")
    if open_exit(practice) is not None:
        raise TransitionRefused(f"practice {practice.agb_code} has an exit in progress")
    try:
        with transaction.atomic():
            record = PracticeExit.objects.create(
                practice=practice,
                reason=reason,
                reason_reference=reference.strip(),
                reason_date=dated,
                started_by=actor,
            )
            Practice.objects.filter(pk=practice.pk).update(active=False)
            practice.active = False
            log_exit_event(
                record,
                "start",
                actor=actor,
                from_state="",
                audit_as=("practice_exit.start", AuditAction.CREATE),
                details={
                    "reason": reason,
                    "reference": reference.strip(),
                    "intake_stopped": True,
                },
            )
    except IntegrityError:  # a concurrent start won
        raise TransitionRefused(f"practice {practice.agb_code} has an exit in progress") from None
    return record


def export(record: PracticeExit, directory: Path, *, actor) -> archive.Export:
    """Write the archive into `directory` (new or empty) and record its manifest's digest; a
    later export replaces the earlier one. The passphrase is in the result, and nowhere else."""
    if not access.is_processor_admin(actor):
        raise PermissionDenied
    if record.state not in (ExitState.STARTED, ExitState.EXPORTED):
        raise TransitionRefused("the archive is exported before the destruction starts")
    result = archive.write_archive(record.practice, directory, exit_number=record.number)
    perform_exit_transition(
        record,
        "record_export",
        actor=actor,
        note=result.digest,
        by=actor,
        manifest=result.manifest,
        digest=result.digest,
        archive_sha256=result.archive_sha256,
        archive_name=str(result.archive),
    )
    return result


def store_dir() -> Path:
    """Where exports made in the screens are kept until the practice has them (encrypted ZIPs)."""
    path = Path(settings.EXIT_ARCHIVE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def export_in_store(record: PracticeExit, *, actor) -> archive.Export:
    """An export from the screens: into a new folder of the store; earlier exports of this exit
    are removed once the new one is recorded (they no longer match the recorded digest)."""
    folder = store_dir() / f"{record.number}-{timezone.now():%Y%m%d%H%M%S%f}"
    try:
        result = export(record, folder, actor=actor)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    for earlier in store_dir().glob(f"{record.number}-*"):
        if earlier != folder:
            shutil.rmtree(earlier, ignore_errors=True)
    return result


def stored_archive(record: PracticeExit) -> Path | None:
    """The recorded export's archive, when it is in the store."""
    if not record.archive_name:
        return None
    path = Path(record.archive_name)
    inside = path.is_file() and store_dir().resolve() in path.resolve().parents
    return path if inside else None


def record_download(record: PracticeExit, *, actor) -> None:
    PracticeExit.objects.filter(pk=record.pk).update(downloads=F("downloads") + 1)
    log_exit_event(
        record,
        "archive_download",
        actor=actor,
        audit_as=("practice_exit.download", AuditAction.READ),
        details={"archive": Path(record.archive_name).name, "sha256": record.archive_sha256},
    )
