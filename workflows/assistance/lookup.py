"""Look-up (agreement art. 6.3): what every configured source holds about a patient, per data
category, as counts and date ranges, before anything is exported. Every look-up is logged with
who, why (the task) and what was seen."""

import dataclasses

from django.core.exceptions import PermissionDenied

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.fields import lookup_digest
from requests_app.models import AssistanceTask, AuditAction, TaskState
from requests_app.timeline import log_event
from workflows.assistance.connectors import ConnectorError, Finding, Identifiers, Mismatch
from workflows.assistance.tasks import mismatches, sources_for


@dataclasses.dataclass
class SourceResult:
    key: str
    label: str
    subprocessor: str
    findings: list[Finding]
    error: str = ""
    practice_scoped: bool = True
    # Where the record this source chose disagrees with the request.
    mismatches: list[Mismatch] = dataclasses.field(default_factory=list)


def look_up(task: AssistanceTask, *, actor, identifiers: Identifiers) -> list[SourceResult]:
    """Ask every source what it holds; always within the practice of the task."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if task.state != TaskState.IN_PROGRESS:
        raise TransitionRefused("start the task before looking anything up")
    ids = dataclasses.replace(identifiers, practice_code=task.practice.agb_code)
    if not ids.given():
        raise ValueError("give at least one identifier")
    connectors, left_out = sources_for(task, ids)
    results = [
        SourceResult(c.key, str(c.label), c.subprocessor, [], why, practice_scoped=False)
        for c, why in left_out
    ]
    for connector in connectors:
        try:
            findings, error = connector.find(ids), ""
        except ConnectorError as exc:
            findings, error = [], str(exc)
        results.append(
            SourceResult(
                connector.key,
                connector.label,
                connector.subprocessor,
                findings,
                error,
                connector.practice_scoped,
                mismatches(task, ids, [connector]) if findings else [],
            )
        )
    seen = [
        {"source": f.source, "category": f.category, "count": f.count}
        for result in results
        for f in result.findings
    ]
    errors = {r.key: r.error for r in results if r.error}
    # Which identifiers were used, as keyed digests: the log shows whose data was looked at
    # (comparable with the request's identifiers) without becoming a register of BSNs.
    used = {name: lookup_digest(value)[:24] for name, value in sorted(ids.given().items())}
    details = {"identifiers": used, "seen": seen, "errors": errors}
    found = [dataclasses.asdict(m) for result in results for m in result.mismatches]
    if found:
        details["mismatches"] = found
    log_event(
        task, "lookup", actor=actor, details=details, audit_as=("task.lookup", AuditAction.READ)
    )
    return results
