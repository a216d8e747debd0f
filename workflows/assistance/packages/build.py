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
    TransferMechanism,
)
from requests_app.timeline import log_event
from workflows import schedule
from workflows.assistance.packages import portal_records
from workflows.assistance.packages.archive import Spools, write_zip
from workflows.assistance.packages.files import remove_file_after_commit, storage_dir
from workflows.assistance.sealed_files import SealedWriter
from workflows.assistance.tasks import (
    identifiers_for,
    mismatches,
    require_settled_identifiers,
    sources_for,
)

SCHEMA_VERSION = "1.1"

# Why the app processes personal data: the purpose Bijlage 1 of the agreement states.
PURPOSES = [
    gettext_lazy(
        "Making communication possible through the app between you and your care providers "
        "(your GP practice)."
    ),
]
# Bijlage 1's retention term for the app's data ("afspraken bewaartermijnen: 15 jaar"); the
# portal's own records have their own (see portal_records.py).
APP_RETENTION_YEARS = 15
SOURCE_TEXT = gettext_lazy(
    "You provided these data yourself in the app, or your GP practice provided them."
)
# GDPR art. 15(1)(h): true for the app and for this portal; people decide on every request.
AUTOMATED_DECISIONS = gettext_lazy(
    "No decisions about you are taken by automated means alone, and no profiling takes place "
    "(GDPR art. 22): not in the app and not in this portal. Everything about your requests is "
    "decided by people at your practice."
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


def _contact(name: str, email: str, phone: str) -> dict | None:
    return {"name": name, "email": email, "phone": phone} if name or email else None


def _controller(practice) -> dict:
    """Who is responsible and whom to ask (GDPR art. 13(1)(a)-(b), given here as well)."""
    return {
        "name": practice.name,
        "agb_code": practice.agb_code,
        "address": {
            "street": practice.street,
            "postcode": practice.postcode,
            "city": practice.city,
        },
        "privacy_officer": _contact(practice.dpo_name, practice.dpo_email, practice.dpo_phone),
        "standin": _contact(practice.standin_name, practice.standin_email, practice.standin_phone),
    }


def _recipients(practice, held: set[str], language: str) -> list[dict]:
    """The sub-processors that received data about this patient: active in the register,
    approved by the practice, and receiving a category that is held about them (art. 15(1)(c)),
    with the safeguard for a transfer outside the EEA (art. 15(2))."""
    recipients = []
    for sub in SubProcessor.objects.approved_for(practice).receiving(held):
        received = [c for c in sub.categories if c in held]
        recipients.append(
            {
                "name": sub.name,
                "service": sub.service_in(language),
                "location": sub.location_in(language),
                "inside_eea": sub.inside_eea,
                "transfer_mechanism": sub.transfer_mechanism,
                "safeguard": ""
                if sub.inside_eea
                else str(TransferMechanism(sub.transfer_mechanism).label),
                "categories": received,
                "category_labels": sub.category_labels(received),
            }
        )
    return recipients


def _statement(task: AssistanceTask, now: datetime.datetime) -> dict:
    """What art. 15 asks the answer to state, besides the data themselves; what depends on the
    data found (categories, recipients) is added once they are exported (`_held`)."""
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
        "controller": _controller(practice),
        "subject": {"name": request.patient_name, "email": request.patient_email},
        "processing": {
            "purposes": [str(p) for p in PURPOSES],
            "categories": [],
            "recipients": [],
            "retention": _(
                "The app's supplier keeps these data for at most %(years)s years, the term your "
                "practice agreed with it (processing agreement, Bijlage 1). You can ask your "
                "practice to have them erased sooner."
            )
            % {"years": APP_RETENTION_YEARS},
            "automated_decisions": str(AUTOMATED_DECISIONS),
            "source": str(SOURCE_TEXT),
            "rights": [str(r) for r in RIGHTS],
        },
    }


def _held(task: AssistanceTask, statement: dict, found: set[str]) -> None:
    """Complete the statement with what was found: the categories held (only those), the
    portal's own records, and the recipients of what is held."""
    records = portal_records.collect(task)
    statement["portal_records"] = records
    processing = statement["processing"]
    processing["categories"] = [
        {"category": c.value, "label": str(c.label)} for c in DataCategory if c.value in found
    ]
    # The portal's messages gave the e-mail channel the address and the SMS channel the number.
    received = found | portal_records.categories_sent(records)
    processing["recipients"] = _recipients(task.practice, received, task.request.language)


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
                _held(task, statement, {key[1] for key, n in spools.counts.items() if n})
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
