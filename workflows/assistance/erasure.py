"""Erasure on the practice's instruction (agreement art. 3.1, 11.2; GDPR art. 17 and 19).

Erasure runs per source, keeps what the practice said to keep, and can run again: a second run
removes nothing and fails nothing. When every source has run cleanly and every manual step is
ticked off, a certificate records what was removed where, when, by whom, on whose instruction,
with a SHA-256 digest of its manifest.
"""

import dataclasses
import hashlib
import json
from collections import Counter

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.models import (
    AssistanceKind,
    AssistanceTask,
    AuditAction,
    DataPackage,
    ErasureCertificate,
    ErasureRun,
    TaskState,
)
from requests_app.timeline import log_event
from workflows import schedule
from workflows.assistance.connectors import ConnectorError, Mismatch, configured_connectors
from workflows.assistance.packages.files import remove_file_after_commit
from workflows.assistance.tasks import (
    identifiers_for,
    mismatches,
    require_settled_identifiers,
    sources_for,
)

MANIFEST_VERSION = "1.0"


def _check(task: AssistanceTask, actor) -> None:
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if task.kind != AssistanceKind.ERASE or task.state != TaskState.IN_PROGRESS:
        raise TransitionRefused("erasure runs for an erasure task in progress")
    if task.request.decided_at is None:
        raise TransitionRefused("the practice has not recorded its decision")
    # Extra identifiers widen whose data are erased: only once the practice has decided on them.
    require_settled_identifiers(task)


@dataclasses.dataclass(frozen=True)
class Plan:
    """What running the erasure now would do, for support to confirm before it runs."""

    also: tuple  # the confirmed extra identifiers erased under too, (kind, value)
    sources: list  # connectors erased in
    left_out: list[tuple]  # (connector, why) not touched
    packages: list[str]  # tasks whose earlier data package files are removed too
    manual: list[str]  # sub-processors still to be done by hand (not by this run)
    mismatches: list[Mismatch]  # where the records found disagree with the request
    ran_before: bool

    @property
    def digest(self) -> str:
        """Changes when what would be erased changes (checked when support confirms)."""
        what = {
            "sources": sorted(c.key for c in self.sources),
            "left_out": sorted(c.key for c, _why in self.left_out),
            "packages": sorted(self.packages),
            "also": sorted(self.also),
        }
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:32]


def plan(task: AssistanceTask, *, actor) -> Plan:
    _check(task, actor)
    ids = identifiers_for(task)
    connectors, left_out = sources_for(task, ids)
    open_steps = task.manual_steps.filter(done_at__isnull=True).select_related("subprocessor")
    return Plan(
        also=ids.also,
        sources=connectors,
        left_out=left_out,
        packages=[p.task.number for p in _patient_packages(task).filter(purged_at__isnull=True)],
        manual=[step.subprocessor.name for step in open_steps],
        mismatches=mismatches(task, ids, connectors),
        ran_before=task.erasure_runs.exists(),
    )


def run_erasure(task: AssistanceTask, *, actor) -> list[ErasureRun]:
    """Erase at every configured source; a failing source is recorded and the others go on."""
    _check(task, actor)
    ids = identifiers_for(task)
    keep = frozenset(task.keep_categories)
    now = timezone.now()
    connectors, left_out = sources_for(task, ids)
    runs = [
        ErasureRun(task=task, at=now, by=actor, source=c.key, skipped=why) for c, why in left_out
    ]
    for connector in connectors:
        try:
            results = connector.erase(ids, keep)
        except ConnectorError as exc:
            # What it removed before failing still counts; the failure blocks the certificate.
            runs += [
                ErasureRun(task=task, at=now, by=actor, source=connector.key, error=str(exc))
            ] + [
                ErasureRun(task=task, at=now, by=actor, source=connector.key, category=c, removed=n)
                for c, n in exc.removed.items()
                if n
            ]
            continue
        runs += [
            ErasureRun(
                task=task,
                at=now,
                by=actor,
                source=connector.key,
                category=r.category,
                removed=r.removed,
                kept=r.kept,
            )
            for r in results
        ] or [ErasureRun(task=task, at=now, by=actor, source=connector.key)]
    with transaction.atomic():
        ErasureRun.objects.bulk_create(runs)
        copies = _remove_package_copies(task, now)
        summary = [
            {"source": r.source, "category": r.category, "removed": r.removed, "kept": r.kept}
            | ({"error": r.error} if r.error else {})
            | ({"skipped": r.skipped} if r.skipped else {})
            for r in runs
        ]
        log_event(
            task,
            "erasure_run",
            actor=actor,
            details={"results": summary, "packages_removed": copies},
            audit_as=("task.erase", AuditAction.DELETE),
        )
    return runs


def _patient_packages(task: AssistanceTask):
    """Data packages made for this patient at this practice (copies of what is erased)."""
    # The address alone may be a family's: the date of birth must match too.
    return DataPackage.objects.filter(
        task__practice=task.practice,
        task__request__patient_email=task.request.patient_email,
        task__request__patient_birth_date=task.request.patient_birth_date,
    ).select_related("task")


def _remove_package_copies(task: AssistanceTask, now) -> list[str]:
    """Earlier data packages hold copies of the erased data: their files go too."""
    removed = []
    for package in _patient_packages(task).filter(purged_at__isnull=True):
        remove_file_after_commit(package)
        package.purged_at = now
        package.save(update_fields=["purged_at"])
        removed.append(package.task.number)
    return removed


def _runs_newest_first(task: AssistanceTask) -> list[ErasureRun]:
    return list(task.erasure_runs.order_by("-at", "-pk"))


def _latest_runs(runs: list[ErasureRun]) -> dict[str, list[ErasureRun]]:
    """Per source, the rows of its most recent run."""
    latest: dict[str, list[ErasureRun]] = {}
    for run in runs:
        if run.source not in latest or latest[run.source][0].at == run.at:
            latest.setdefault(run.source, []).append(run)
    return latest


def open_points(task: AssistanceTask) -> list[str]:
    """What still stands between this task and its certificate (empty when ready)."""
    points = []
    latest = _latest_runs(_runs_newest_first(task))
    for connector in configured_connectors():
        runs = latest.get(connector.key)
        if not runs:
            points.append(_("%(source)s: not run yet") % {"source": connector.label})
        elif any(r.error for r in runs):
            points.append(_("%(source)s: the last run failed") % {"source": connector.label})
    for step in task.manual_steps.filter(done_at__isnull=True).select_related("subprocessor"):
        points.append(_("%(source)s: manual step open") % {"source": step.subprocessor.name})
    return points


def manifest_digest(manifest: dict) -> str:
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def issue_certificate(task: AssistanceTask, *, actor) -> ErasureCertificate:
    _check(task, actor)
    points = open_points(task)
    if points:
        raise TransitionRefused("; ".join(points))
    request, practice = task.request, task.practice
    all_runs = _runs_newest_first(task)
    latest = _latest_runs(all_runs)
    removed: Counter = Counter()
    kept: dict[tuple[str, str], int] = {}
    for run in all_runs:
        removed[(run.source, run.category)] += run.removed
        # What is kept: as the most recent run that saw the category reported it (a later run
        # may no longer find the patient once the identifiers are erased).
        kept.setdefault((run.source, run.category), run.kept)
    sources = []
    for connector in configured_connectors():
        runs = latest[connector.key]
        key = connector.key
        sources.append(
            {
                "key": connector.key,
                "label": str(connector.label),
                "subprocessor": connector.subprocessor,
                "last_run_at": runs[0].at.isoformat(timespec="seconds"),
                "skipped": next((r.skipped for r in runs if r.skipped), ""),
                "categories": [
                    {"category": c, "removed": removed[(key, c)], "kept": kept[(key, c)]}
                    for c in sorted(c for (s, c) in removed if s == key and c)
                ],
            }
        )
    now = timezone.now()
    manifest = {
        "certificate": "erasure",
        "version": MANIFEST_VERSION,
        "task": task.number,
        "request": request.reference,
        "practice": {"name": practice.name, "agb_code": practice.agb_code},
        "instruction": {
            "by": task.requested_by.get_full_name() or task.requested_by.email,
            "at": task.requested_at.isoformat(timespec="seconds"),
            "text": task.instruction,
            "decision": request.decision,
            "decided_at": request.decided_at.isoformat(timespec="seconds"),
        },
        "exceptions": {"categories": task.keep_categories, "reason": task.keep_reason},
        # Erased under these too: what kind, and who at the practice confirmed it (no values).
        "extra_identifiers": [
            {
                "kind": extra.kind,
                "confirmed_by": extra.decided_by.email,
                "confirmed_at": extra.decided_at.isoformat(timespec="seconds"),
            }
            for extra in task.extra_identifiers.filter(state="confirmed").select_related(
                "decided_by"
            )
        ],
        "sources": sources,
        "data_packages_removed": sorted(
            p.task.number for p in _patient_packages(task).filter(purged_at__isnull=False)
        ),
        "manual_steps": [
            {
                "subprocessor": step.subprocessor.name,
                "done_at": step.done_at.isoformat(timespec="seconds"),
                "done_by": step.done_by.email if step.done_by else "",
                "note": step.note,
            }
            for step in task.manual_steps.select_related("subprocessor", "done_by")
        ],
        "executed_by": sorted(
            {run.by.email for run in task.erasure_runs.select_related("by") if run.by}
        ),
        "issued_by": actor.email,
        "issued_at": now.isoformat(timespec="seconds"),
    }
    digest = manifest_digest(manifest)
    with transaction.atomic():
        ErasureCertificate.objects.filter(task=task).delete()
        certificate = ErasureCertificate.objects.create(
            task=task, issued_at=now, issued_by=actor, manifest=manifest, digest=digest
        )
        log_event(
            task,
            "certificate_issued",
            actor=actor,
            details={"sha256": digest},
            audit_as=("task.certificate", AuditAction.CREATE),
            object_type="erasure_certificate",
        )
    return certificate


def schedule_run(task, *, actor) -> None:
    """Run the erasure in the background, after the caller's transaction."""
    schedule.after_commit(
        "workflows.tasks.run_erasure", task.pk, actor.pk, what=f"the erasure of task {task.pk}"
    )
