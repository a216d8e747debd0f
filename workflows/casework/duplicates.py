"""The same request sent twice: flagged and linked, never silently doubled.

A request is a possible duplicate of an earlier one when the same patient (the same canonical
e-mail address, or the same name and date of birth) asks the same practice for the same kind of
thing while that earlier request is still open. Intake flags it when the request reaches its
practice (web and API), and routing by hand when support gives an unrouted request its practice.
The handler then merges it into the first (which keeps its deadline, from its own receipt, and
takes the later one's receipt and description into its history), or keeps the two apart with a
reason. Either way the patient is told (transparency, GDPR art. 12(1)).
"""

import copy
import unicodedata

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_change, perform_transition
from requests_app.models import AssistanceTask, AuditAction, Request
from requests_app.models.assistance import OPEN_TASK_STATES
from requests_app.models.request import OPEN_STATES, DecisionIncomplete, person_label
from requests_app.roles import Capability
from requests_app.timeline import log_event
from workflows.messaging import outbox
from workflows.models import Medium, Purpose

# Longer than this, the description in the first request's history is cut (the merged request
# itself keeps all of it).
DESCRIPTION_IN_HISTORY = 2000


class ReasonRequired(DecisionIncomplete):
    """Keeping a possible duplicate separate needs the handler's reason."""

    def explain(self) -> str:
        return gettext("Say why the two requests are handled separately.")


class HelpStillAsked(TransitionRefused):
    """The later request has help from the processor under way: merged, that work would hang
    from a request that is no longer handled."""

    def explain(self) -> str:
        return gettext(
            "This request has help from the processor under way: wait for it, or withdraw it, "
            "before merging; or keep the requests separate."
        )


def comparable_name(name: str) -> str:
    """A name as compared for duplicates: accents dropped (é -> e), case folded, white space
    collapsed. Nothing else is folded: "Jansen" and "Janssen", or a Cyrillic "а" for a Latin
    "a", stay different (a missed duplicate costs a click; a false one mixes two patients)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def find_match(request: Request) -> Request | None:
    """The earliest other open request of the same patient, kind and practice; None when there
    is none (or the request has no practice yet)."""
    if request.practice_id is None:
        return None
    candidates = (
        Request.objects.filter(
            practice_id=request.practice_id, kind=request.kind, state__in=OPEN_STATES
        )
        .filter(
            Q(patient_email=request.patient_email)
            | Q(patient_birth_date=request.patient_birth_date)
        )
        .exclude(pk=request.pk)
        .order_by("received_at", "pk")
    )
    name = comparable_name(request.patient_name)
    for candidate in candidates:
        if candidate.patient_email == request.patient_email or (
            candidate.patient_birth_date == request.patient_birth_date
            and comparable_name(candidate.patient_name) == name
        ):
            return candidate
    return None


def why_linked(request: Request, original: Request):
    """What the two requests share, as the request page says it."""
    if original.patient_email == request.patient_email:
        return gettext_lazy("the same e-mail address")
    return gettext_lazy("the same name and date of birth")


def hold_match(request: Request, practice_id: int | None = None) -> Request | None:
    """The open request this one may duplicate (at `practice_id` if given: routing), its row
    locked. Callers take it before their first audit record: every transaction then locks a
    request's row before the audit chain's head, as the worker's transitions do, so a
    submission and a delivery never wait on each other in a circle (deadlock)."""
    probe = copy.copy(request)
    if practice_id is not None:
        probe.practice_id = practice_id
    match = find_match(probe)
    return match and Request.objects.select_for_update().get(pk=match.pk)


def flag(request: Request, *, actor=None, match: Request | None) -> Request:
    """Link a request to `match` (from `hold_match`, in the same transaction), the open request
    it may duplicate, with a history row on both; the request as it now stands.

    The later of the two is the possible duplicate: a request routed by hand may have been
    received before one the practice already has, and the first receipt starts the term."""
    if match is None:
        return request
    if (match.received_at, match.pk) < (request.received_at, request.pk):
        return _link(request, match, actor=actor)
    if match.duplicate_of_id is None:
        _link(match, request, actor=actor)
    return Request.objects.get(pk=request.pk)


def _link(later: Request, first: Request, *, actor) -> Request:
    linked = perform_change(
        later,
        "duplicate_flagged",
        actor=actor,
        version=None,
        changes={"duplicate_of": first},
        note=first.reference,
        audit_details={
            "duplicate_of": first.reference,
            "same_email": first.patient_email == later.patient_email,
        },
    )
    log_event(
        first,
        "duplicate_received",
        actor=actor,
        note=later.reference,
        audit_as=("request.duplicate_received", AuditAction.UPDATE),
        audit_details={"duplicate": later.reference},
    )
    return linked


def merge(request: Request, *, actor, version: int | None) -> Request:
    """Merge a flagged request into the one it duplicates: it ends as 'merged'; the first keeps
    its deadline and records the later receipt and description; the patient is told once.
    Raises PermissionDenied, StaleRequest or TransitionRefused (the first is no longer open,
    or the request was merged or kept apart meanwhile) with nothing changed."""
    with transaction.atomic():
        if request.duplicate_of_id is None:
            raise TransitionRefused(f"{request} is not flagged as a duplicate")
        # The first request is locked too, so that it cannot close while this one joins it.
        first = Request.objects.select_for_update().get(pk=request.duplicate_of_id)
        if AssistanceTask.objects.filter(request=request, state__in=OPEN_TASK_STATES).exists():
            raise HelpStillAsked(str(request))
        merged = perform_transition(
            request, "merge", actor=actor, version=version, note=first.reference
        )
        # In figures: the note is read in either language.
        received = timezone.localtime(merged.received_at).strftime("%d-%m-%Y %H:%M")
        description = merged.description[:DESCRIPTION_IN_HISTORY]
        log_event(
            first,
            "duplicate_merged",
            actor=actor,
            note=f"{merged.reference}, {received}: {description}",
            audit_as=("request.duplicate_merged", AuditAction.UPDATE),
            audit_details={"merged": merged.reference},
        )
        _tell_patient(merged, first, merged=True)
    return merged


def keep_separate(request: Request, *, actor, version: int | None, reason: str) -> Request:
    """The handler judges the two requests different: the flag is cleared, the reason kept in
    the history, and the patient told that both are handled."""
    if not access.can(actor, Capability.WORK_REQUESTS, request.practice_id):
        raise PermissionDenied(f"{person_label(actor)} may not keep {request} separate")
    reason = reason.strip()
    if not reason:
        raise ReasonRequired(str(request))
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if not locked.duplicate_flagged or not locked.is_open:
            raise TransitionRefused(f"{request} is not flagged as a duplicate")
        first = locked.duplicate_of
        kept = perform_change(
            locked,
            "duplicate_kept",
            actor=actor,
            version=version,
            changes={"duplicate_of": None, "duplicate_kept_reason": reason},
            note=f"{first.reference}: {reason}",
            audit_details={"duplicate_of": first.reference},
        )
        _tell_patient(kept, first, merged=False)
    return kept


def _tell_patient(request: Request, first: Request, *, merged: bool) -> None:
    """An e-mail (and an SMS to a mobile number given) naming both references; no content."""
    context = {"reference": request.reference, "first": first.reference, "merged": merged}
    rows = [
        outbox.message(
            purpose=Purpose.PATIENT_UPDATE,
            medium=Medium.EMAIL,
            recipient=request.patient_email,
            template="patient_duplicate",
            language=request.language,
            request=request,
            context=context,
        )
    ]
    if request.patient_phone:
        rows.append(
            outbox.message(
                purpose=Purpose.PATIENT_UPDATE,
                medium=Medium.SMS,
                recipient=request.patient_phone,
                template="patient_duplicate",
                language=request.language,
                request=request,
                context=context,
            )
        )
    outbox.enqueue(rows)
