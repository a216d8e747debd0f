"""Extra identifiers (another e-mail address or mobile number) under which support found the
patient's data in a look-up: recorded on the task by support, confirmed or declined by the
practice, and then used by the export and the erasure (workflows.assistance.tasks.identifiers_for).

Only an identifier that a logged look-up on this task used can be recorded, in its canonical form
(canonical_email, E.164), so a look-alike address or a differently written number cannot slip
in beside the real one."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from requests_app import access
from requests_app.errors import DomainError, TransitionRefused
from requests_app.fields import lookup_digest
from requests_app.lifecycle import perform_record_transition
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    ExtraIdentifier,
    IdentifierKind,
    TaskState,
)
from requests_app.timeline import log_event
from requests_app.validators import canonical_email, normalise_phone
from workflows.assistance.tasks import _notify


class IdentifierRefused(DomainError):
    """The identifier cannot be recorded: not used in a look-up, the request's own, or twice
    (the message says why, in the user's language)."""

    def explain(self) -> str:
        return str(self.args[0])


def canonical(kind: str, value: str) -> str:
    """The one stored form; ValidationError when it has none."""
    if kind == IdentifierKind.EMAIL:
        return canonical_email(value)
    if kind == IdentifierKind.MOBILE:
        return normalise_phone(value)
    raise ValidationError("unknown kind of identifier")


def _own(task: AssistanceTask, kind: str) -> str:
    """The request's own identifier of this kind, canonical ("" when it has none)."""
    value = (
        task.request.patient_email if kind == IdentifierKind.EMAIL else task.request.patient_phone
    )
    try:
        return canonical(kind, value) if value else ""
    except ValidationError:
        return ""


def _lookups_using(task: AssistanceTask, kind: str, value: str) -> list[dict]:
    """The details of the logged look-ups on this task that used the value, newest first (the
    log keeps keyed digests, not the value)."""
    digest = lookup_digest(value)[:24]
    return [
        details
        for details in task.events.filter(action="lookup")
        .order_by("-at", "-pk")
        .values_list("details", flat=True)
        if details.get("identifiers", {}).get(kind) == digest
    ]


def candidates(task: AssistanceTask, used: dict[str, str]) -> list[tuple[str, str]]:
    """Of the identifiers a look-up just used, those support may record: an address or number
    that is not the request's own and not yet on the task, as (kind, canonical value)."""
    found = []
    for kind in IdentifierKind.values:
        raw = (used.get(kind) or "").strip()
        if not raw:
            continue
        try:
            value = canonical(kind, raw)
        except ValidationError:
            continue
        if (
            value != _own(task, kind)
            and not task.extra_identifiers.filter(kind=kind, value=value).exists()
        ):
            found.append((kind, value))
    return found


def record_identifier(task: AssistanceTask, *, actor, kind: str, value: str, why: str):
    """Support records an identifier it used in a look-up; the practice is told to confirm."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if task.state != TaskState.IN_PROGRESS:
        raise TransitionRefused("extra identifiers are recorded on a task in progress")
    if not why.strip():
        raise IdentifierRefused(_("Say why it is the same patient."))
    try:
        value = canonical(kind, value)
    except ValidationError as exc:
        raise IdentifierRefused(_("This is not a valid e-mail address or mobile number.")) from exc
    if value == _own(task, kind):
        raise IdentifierRefused(_("This is the request's own identifier."))
    lookups = _lookups_using(task, kind, value)
    if not lookups:
        raise IdentifierRefused(
            _("Only an identifier used in a look-up on this task can be recorded.")
        )
    # What the latest look-up under it found amiss goes with it to the practice.
    found_amiss = lookups[0].get("mismatches", [])
    try:
        with transaction.atomic():
            extra = ExtraIdentifier.objects.create(
                task=task,
                kind=kind,
                value=value,
                why=why.strip(),
                added_by=actor,
                mismatches=found_amiss,
            )
            log_event(
                task,
                "identifier_added",
                actor=actor,
                note=f"{extra.get_kind_display()}: {extra.why}",
                audit_as=("task.identifier_add", AuditAction.CREATE),
                object_type="extra_identifier",
                object_id=str(extra.pk),
                # Whose data it may be, comparable with the look-up's digests, not the value.
                audit_details={"kind": kind, "identifier": lookup_digest(value)[:24]},
            )
            _notify(task, [task.requested_by.email], "assistance_identifier")
    except IntegrityError as exc:
        raise IdentifierRefused(_("This identifier is already recorded on this task.")) from exc
    return extra


def confirm(extra: ExtraIdentifier, *, actor) -> ExtraIdentifier:
    """The practice confirms the identifier is its patient's: the export and erasure use it."""
    return perform_record_transition(extra, "confirm", actor=actor, by=actor)


def decline(extra: ExtraIdentifier, *, actor, reason: str) -> ExtraIdentifier:
    """The practice declines it (not this patient's): nothing is exported or erased under it."""
    if not reason.strip():
        raise IdentifierRefused(_("Say why the identifier is declined."))
    return perform_record_transition(extra, "decline", actor=actor, by=actor, reason=reason)
