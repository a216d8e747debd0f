"""Building a package: what art. 15 asks it to state, and one pass over the sources.

The rows go into encrypted spools and then into one encrypted ZIP (archive.py), stored where
files.py keeps packages; a build replaces an earlier package of the task until it is released.
"""

import dataclasses
import datetime
import shutil
import tempfile
import uuid
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.models import (
    AssistanceKind,
    AssistanceTask,
    AuditAction,
    DataCategory,
    DataPackage,
    SubProcessor,
    TaskState,
)
from requests_app.timeline import log_event
from workflows import schedule
from workflows.assistance.packages.archive import Spools, write_zip
from workflows.assistance.packages.files import remove_file_after_commit, storage_dir
from workflows.assistance.sealed_files import SealedWriter
from workflows.assistance.tasks import (
    identifiers_for,
    mismatches,
    require_settled_identifiers,
    sources_for,
)

SCHEMA_VERSION = "1.0"

# Why the app processes personal data (Bijlage 1 of the agreement), stated in every package.
PURPOSES = [
    gettext_lazy("Letting you and your GP practice exchange messages through the app."),
    gettext_lazy("Video consultations between you and your GP practice."),
    gettext_lazy("Sending you notifications about new messages and appointments."),
    gettext_lazy("Keeping the service secure and logging access to personal data (NEN 7513)."),
]
SOURCE_TEXT = gettext_lazy(
    "You provided these data yourself in the app, or your GP practice provided them."
)
RIGHTS = [
    gettext_lazy("Ask your practice to correct (rectify) your data."),
    gettext_lazy("Ask your practice to erase your data."),
    gettext_lazy("Ask your practice to restrict the processing of your data."),
    gettext_lazy("Object to the processing of your data."),
    gettext_lazy("Receive your data in a machine-readable form (this package)."),
    gettext_lazy(
        "Complain to the Dutch Data Protection Authority (Autoriteit Persoonsgegevens) or go to "
        "court."
    ),
]


class PackageError(Exception):
    """A source failed while building: nothing is stored, support may try again."""


def _recipients() -> list[dict]:
    return [
        {
            "name": sub.name,
            "service": sub.service,
            "location": sub.location,
            "inside_eea": sub.inside_eea,
            "categories": sub.categories,
            "category_labels": sub.category_labels(),
        }
        for sub in SubProcessor.objects.filter(active=True)
    ]


def _statement(task: AssistanceTask, now: datetime.datetime) -> dict:
    """What art. 15 asks the answer to state, besides the data themselves."""
    request, practice = task.request, task.practice
    return {
        "schema": "data-package",
        "schema_version": SCHEMA_VERSION,
        "generated_at": now.isoformat(timespec="seconds"),
        "language": translation.get_language(),
        "request": {
            "reference": request.reference,
            "kind": request.kind,
            "received_at": request.received_at.isoformat(timespec="seconds"),
            "task": task.number,
        },
        "controller": {"name": practice.name, "agb_code": practice.agb_code},
        "subject": {"name": request.patient_name, "email": request.patient_email},
        "processing": {
            "purposes": [str(p) for p in PURPOSES],
            "categories": [{"category": c.value, "label": str(c.label)} for c in DataCategory],
            "recipients": _recipients(),
            "retention": _(
                "Kept for as long as you use the app and your practice needs them, at most "
                "%(years)s years after your last contact; conversations that are part of your "
                "medical record are kept by your practice for as long as the law requires."
            )
            % {"years": practice.retention_years},
            "source": str(SOURCE_TEXT),
            "rights": [str(r) for r in RIGHTS],
        },
    }


def build_package(task: AssistanceTask, *, actor) -> DataPackage:
    """Export from every source and store the package (replacing an earlier one of the task)."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if task.kind != AssistanceKind.SUPPLY or task.state != TaskState.IN_PROGRESS:
        raise TransitionRefused("a package is built for a data task in progress")
    require_settled_identifiers(task)  # the request's own and the confirmed extra identifiers
    ids = identifiers_for(task)
    now = timezone.now()
    with translation.override(task.request.language):
        included, left_out = sources_for(task, ids)
        statement = _statement(task, now)
        statement["sources_not_included"] = [
            {"key": c.key, "label": str(c.label), "reason": why} for c, why in left_out
        ]
    # Shown to support and the practice, who must open the package before accepting it.
    found = [dataclasses.asdict(m) for m in mismatches(task, ids, included)]
    connectors = {c.key: c for c in included}
    spool_dir = Path(tempfile.mkdtemp(prefix="spool-", dir=storage_dir()))
    file_name = f"{task.pk}-{uuid.uuid4().hex}.zip.sealed"
    try:
        spools = Spools(spool_dir)
        writer = None
        try:
            for connector in connectors.values():
                for category, row in connector.export(ids):
                    spools.add(connector.key, category, row)
            spools.close()
            writer = SealedWriter(storage_dir() / file_name)
            with translation.override(task.request.language):
                write_zip(writer, statement, spools, connectors)
            writer.close()
        except Exception as exc:
            # Whatever went wrong is on the task's timeline; nothing half-built is kept.
            spools.close()
            if writer is not None:
                writer.discard()
            log_event(task, "package_failed", actor=actor, note=str(exc)[:500])
            raise PackageError(str(exc)) from exc
    finally:
        shutil.rmtree(spool_dir, ignore_errors=True)
    counts: dict[str, dict[str, int]] = {}
    for (source, category), n in spools.counts.items():
        counts.setdefault(source, {})[category] = n
    with transaction.atomic():
        # Checked again under lock: the task may have been delivered, accepted and released
        # while this build ran, and a released package is never replaced.
        locked = AssistanceTask.objects.select_for_update().get(pk=task.pk)
        old = DataPackage.objects.filter(task=task).first()
        if locked.state != TaskState.IN_PROGRESS or (old and old.released_at):
            (storage_dir() / file_name).unlink(missing_ok=True)
            raise TransitionRefused("the task moved on while the package was built")
        if old is not None:
            old.delete()
            remove_file_after_commit(old)  # never before the new row is committed
        package = DataPackage.objects.create(
            task=task,
            built_by=actor,
            file_name=file_name,
            size=writer.size,
            sha256=writer.sha256.hexdigest(),
            counts=counts,
            mismatches=found,
        )
        log_event(
            task,
            "package_built",
            actor=actor,
            details={"counts": counts, "sha256": package.sha256}
            | ({"mismatches": found} if found else {}),
            audit_as=("package.build", AuditAction.EXECUTE),
            object_type="data_package",
        )
    return package


def schedule_build(task, *, actor) -> None:
    """Build in the background, after the caller's transaction: a big package or a slow provider
    must not hold a page."""
    require_settled_identifiers(task)  # refused now, not in the background
    schedule.after_commit(
        "workflows.tasks.build_package", task.pk, actor.pk, what=f"the build of task {task.pk}"
    )
