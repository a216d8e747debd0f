"""Data packages for access and portability (GDPR art. 15 and 20, agreement art. 6.3, 11.2).

A package is one ZIP: `package.json` (documented by docs/data-package.schema.json, included),
one CSV per source and data category, and `index.html`, a page a person can read and print
that states what art. 15 requires. It is built in one pass over the sources into encrypted
spool files and then assembled into an encrypted ZIP, so memory does not grow with the data.
"""

import csv
import dataclasses
import datetime
import io
import json
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import access, audit
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
from requests_app.roles import Capability
from requests_app.timeline import log_event
from workflows import schedule
from workflows.assistance.sealed_files import SealedReader, SealedWriter, read_sealed
from workflows.assistance.tasks import identifiers_for, mismatches, sources_for
from workflows.casework.actions import tell_patient
from workflows.csv_cells import safe_cell

SCHEMA_VERSION = "1.0"
SCHEMA_FILE = settings.BASE_DIR / "docs" / "data-package.schema.json"

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


def storage_dir() -> Path:
    path = Path(settings.PACKAGE_STORAGE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def package_path(package: DataPackage) -> Path:
    return storage_dir() / package.file_name


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


class _Spools:
    """One encrypted JSON-lines spool per (source, category), in export order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.writers: dict[tuple[str, str], SealedWriter] = {}
        self.counts: dict[tuple[str, str], int] = {}
        self.fields: dict[tuple[str, str], list[str]] = {}

    def add(self, source: str, category: str, row: dict) -> None:
        key = (source, category)
        if key not in self.writers:
            self.writers[key] = SealedWriter(self.directory / f"{len(self.writers)}.jsonl")
            self.counts[key] = 0
            self.fields[key] = []
        # Every field any row has becomes a column (rows of one source may differ).
        self.fields[key] += [name for name in row if name not in self.fields[key]]
        line = json.dumps(row, ensure_ascii=False).encode("utf-8", errors="replace")
        self.writers[key].write(line + b"\n")
        self.counts[key] += 1

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def rows(self, key: tuple[str, str]) -> Iterator[dict]:
        reader = io.BufferedReader(SealedReader(self.writers[key].path))
        for line in io.TextIOWrapper(reader, encoding="utf-8"):
            yield json.loads(line)


def build_package(task: AssistanceTask, *, actor) -> DataPackage:
    """Export from every source and store the package (replacing an earlier one of the task)."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if task.kind != AssistanceKind.SUPPLY or task.state != TaskState.IN_PROGRESS:
        raise TransitionRefused("a package is built for a data task in progress")
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
        spools = _Spools(spool_dir)
        writer = None
        try:
            for connector in connectors.values():
                for category, row in connector.export(ids):
                    spools.add(connector.key, category, row)
            spools.close()
            writer = SealedWriter(storage_dir() / file_name)
            with translation.override(task.request.language):
                _write_zip(writer, statement, spools, connectors)
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


def _write_zip(sink, statement: dict, spools: _Spools, connectors: dict) -> None:
    labels = {c.value: str(c.label) for c in DataCategory}
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # package.json, streamed: the statement, then each source's categories and rows.
        with archive.open("package.json", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8")
            head = json.dumps(statement, ensure_ascii=False, indent=1)
            out.write(head[: head.rindex("}")].rstrip() + ',\n "sources": [')
            by_source: dict[str, list[tuple[str, str]]] = {}
            for key in spools.writers:
                by_source.setdefault(key[0], []).append(key)
            for s_index, (source, keys) in enumerate(by_source.items()):
                connector = connectors[source]
                out.write(("," if s_index else "") + "\n  ")
                meta = {"key": source, "label": str(connector.label)}
                meta["subprocessor"] = connector.subprocessor
                out.write(json.dumps(meta, ensure_ascii=False)[:-1] + ', "categories": [')
                for c_index, key in enumerate(keys):
                    category = {"category": key[1], "label": labels.get(key[1], key[1])}
                    category["count"] = spools.counts[key]
                    out.write(("," if c_index else "") + "\n   ")
                    out.write(json.dumps(category, ensure_ascii=False)[:-1] + ', "records": [')
                    for r_index, row in enumerate(spools.rows(key)):
                        out.write(("," if r_index else "") + "\n    ")
                        out.write(json.dumps(row, ensure_ascii=False))
                    out.write("]}")
                out.write("]}")
            out.write("\n ]\n}\n")
            out.flush()
            out.detach()
        # One CSV per source and category.
        for key in spools.writers:
            with archive.open(f"csv/{key[0]}-{key[1]}.csv", "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                table = csv.DictWriter(out, fieldnames=spools.fields[key], extrasaction="ignore")
                table.writeheader()
                for row in spools.rows(key):
                    table.writerow({name: safe_cell(value) for name, value in row.items()})
                out.flush()
                out.detach()
        # The readable page.
        with archive.open("index.html", "w") as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8")
            sections = [
                {
                    "source": str(connectors[key[0]].label),
                    "category": labels.get(key[1], key[1]),
                    "count": spools.counts[key],
                    "anchor": f"{key[0]}-{key[1]}",
                }
                for key in spools.writers
            ]
            out.write(
                render_to_string(
                    "packages/head.html",
                    {
                        "s": statement,
                        "sections": sections,
                        "generated": datetime.datetime.fromisoformat(statement["generated_at"]),
                    },
                )
            )
            for key, section in zip(spools.writers, sections, strict=True):
                out.write(
                    f'<section id="{escape(section["anchor"])}"><h2>{escape(section["source"])}'
                    f": {escape(section['category'])} ({section['count']})</h2>\n<table><thead><tr>"
                )
                out.write("".join(f"<th>{escape(f)}</th>" for f in spools.fields[key]))
                out.write("</tr></thead><tbody>\n")
                for row in spools.rows(key):
                    cells = "".join(
                        f"<td>{escape('' if row.get(f) is None else row.get(f))}</td>"
                        for f in spools.fields[key]
                    )
                    out.write(f"<tr>{cells}</tr>\n")
                out.write("</tbody></table></section>\n")
            out.write(render_to_string("packages/foot.html", {"s": statement}))
            out.flush()
            out.detach()
        archive.write(SCHEMA_FILE, "data-package.schema.json")


def open_package(package: DataPackage) -> Iterator[bytes]:
    """The package's ZIP, decrypted chunk by chunk."""
    return read_sealed(package_path(package))


def release(package: DataPackage, *, actor) -> DataPackage:
    """The practice hands the accepted package to the patient: the download link starts."""
    if not access.can(actor, Capability.INSTRUCT_PROCESSOR, package.task.practice_id):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        # Fresh and locked: two clicks release once, and only an accepted task's package.
        package = (
            DataPackage.objects.select_for_update(of=("self",))
            .select_related("task__request")
            .get(pk=package.pk)
        )
        task = package.task
        if task.state != TaskState.ACCEPTED:
            raise TransitionRefused("accept the package before releasing it")
        if package.released_at is not None or package.purged_at is not None:
            raise TransitionRefused("this package was released already")
        package.released_at = now
        package.released_by = actor
        package.link_expires_at = now + datetime.timedelta(days=settings.PACKAGE_LINK_DAYS)
        package.save(update_fields=["released_at", "released_by", "link_expires_at"])
        log_event(
            task,
            "package_released",
            actor=actor,
            audit_as=("package.release", AuditAction.UPDATE),
            object_type="data_package",
        )
        tell_patient(task.request)  # "there is news": the package itself is behind sign-in
    return package


def record_download(package: DataPackage, *, user, who: str) -> None:
    """Every download is logged: by the patient, the practice or processor support. The
    practice's first one is its review, which accepting the package needs."""
    with transaction.atomic():
        if who == "practice":
            DataPackage.objects.filter(pk=package.pk, opened_at__isnull=True).update(
                opened_at=timezone.now(), opened_by=user
            )
        log_event(
            package.task,
            "package_download",
            actor=user,
            note=who,
            audit_as=("package.download", AuditAction.READ),
            object_type="data_package",
            audit_details={"by": who, "sha256": package.sha256},
        )


def purge_packages(now: datetime.datetime | None = None) -> list[int]:
    """Remove package files PACKAGE_RETENTION_DAYS after release (or after building, when never
    released); the row stays as a record that it existed. Safe to run again."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.PACKAGE_RETENTION_DAYS)
    expired = DataPackage.objects.filter(purged_at__isnull=True).filter(
        Q(released_at__lt=limit) | Q(released_at__isnull=True, built_at__lt=limit)
    )
    purged = []
    for package in expired.select_related("task__request"):
        package.purged_at = now
        package.save(update_fields=["purged_at"])
        remove_file(package)
        audit.record(
            "package.purge",
            AuditAction.DELETE,
            user_label="system",
            request=package.task.request,
            object_type="data_package",
            object_id=package.task.number,
        )
        purged.append(package.pk)
    remove_leftovers(now)
    return purged


def remove_leftovers(now: datetime.datetime) -> None:
    """Spool folders and half-written or orphaned files a crashed build left behind (a day old,
    so a build still running is never touched)."""
    cutoff = (now - datetime.timedelta(days=1)).timestamp()
    known = set(
        DataPackage.objects.filter(purged_at__isnull=True).values_list("file_name", flat=True)
    )
    for path in storage_dir().iterdir():
        if path.stat().st_mtime > cutoff or path.name in known:
            continue
        if path.is_dir() and path.name.startswith("spool-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file():
            path.unlink(missing_ok=True)


def remove_file(package: DataPackage) -> None:
    (storage_dir() / package.file_name).unlink(missing_ok=True)


def remove_file_after_commit(package: DataPackage) -> None:
    """Inside a transaction: the file goes only if the change that drops it is committed."""
    transaction.on_commit(lambda: remove_file(package))


def schedule_build(task, *, actor) -> None:
    """Build in the background, after the caller's transaction: a big package or a slow provider
    must not hold a page."""
    schedule.after_commit(
        "workflows.tasks.build_package", task.pk, actor.pk, what=f"the build of task {task.pk}"
    )
