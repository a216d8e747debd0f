"""Before an erasure, rectification or restriction is carried out (GDPR art. 16-19; agreement
art. 6): the practice records why no processor data are concerned (when that is so), names the
recipients it sent the data to, and ticks each recipient off as told or as impossible to tell.
The gates themselves are in requests_app.models.completion; this is what the practice does."""

import dataclasses

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from requests_app import access
from requests_app.errors import DomainError, TransitionRefused
from requests_app.lifecycle import perform_change, perform_record_transition
from requests_app.models import (
    AuditAction,
    NoProcessorData,
    NoticeState,
    RecipientNotice,
    Request,
    TaskState,
)
from requests_app.models.completion import (
    GATED_KINDS,
    TELLING_STATES,
    open_work,
    processor_part_done,
    register_recipients,
)
from requests_app.roles import Capability
from requests_app.timeline import log_event


class CompletionRefused(DomainError):
    """The record is incomplete or not possible for this request (the message says why, in
    the user's language)."""

    def explain(self) -> str:
        return str(self.args[0])


def _check(request: Request, actor) -> None:
    if not access.can(actor, Capability.WORK_REQUESTS, request.practice_id):
        raise PermissionDenied
    if request.kind not in GATED_KINDS or request.state not in TELLING_STATES:
        raise TransitionRefused("only a granted erasure, rectification or restriction")


def record_no_processor_data(request: Request, *, actor, reason: str, version: int | None):
    """The practice records why the processor holds none of the data concerned, instead of an
    assistance task. Not while a task of that kind is under way or done (it says otherwise)."""
    _check(request, actor)
    if not reason.strip():
        raise CompletionRefused(_("Say why no processor data are concerned."))
    if (
        request.tasks.filter(kind=GATED_KINDS[request.kind])
        .exclude(state=TaskState.REJECTED)
        .exists()
    ):
        raise CompletionRefused(
            _(
                "The processor has a task for this request: its result is the processor's "
                "part, so no reason is recorded instead."
            )
        )
    try:
        with transaction.atomic():
            changed = perform_change(
                request,
                "no_processor_data",
                actor=actor,
                version=version,
                changes={},
                note=reason.strip(),
                audit_details={"reason": reason.strip()},
            )
            NoProcessorData.objects.create(
                request=changed, reason=reason.strip(), recorded_by=actor
            )
    except IntegrityError as exc:
        raise CompletionRefused(_("The reason has already been recorded.")) from exc
    return changed


def add_recipient(request: Request, *, actor, name: str) -> RecipientNotice:
    """Another recipient the practice sent the data to (a lab, a hospital), to be told too."""
    _check(request, actor)
    if not name.strip():
        raise CompletionRefused(_("Name the recipient."))
    with transaction.atomic():
        notice = RecipientNotice.objects.create(request=request, name=name.strip(), added_by=actor)
        log_event(
            request,
            "recipient_added",
            actor=actor,
            note=notice.name,
            audit_as=("recipient.add", AuditAction.CREATE),
            object_type="recipient_notice",
            object_id=str(notice.pk),
        )
    return notice


def _number(text: str) -> int | None:
    # ASCII digits only: str.isdigit() also accepts "²", which int() cannot read.
    return int(text) if text.isascii() and text.isdigit() else None


def notice_for(request: Request, key: str) -> RecipientNotice | None:
    """The notice `key` names: "n<id>" an added recipient's, "s<id>" a register
    sub-processor's. A sub-processor not yet ticked off gets an unsaved notice: its row is
    made by `tell` or `mark_impossible`, after their checks, so a refused tick leaves none."""
    kind, _, number = key.partition("-")
    pk = _number(number)
    if pk is None:
        return None
    if kind == "n":
        return RecipientNotice.objects.filter(request=request, pk=pk).first()
    if kind == "s":
        sub = register_recipients().filter(pk=pk).first()
        if sub is None:
            return None
        found = RecipientNotice.objects.filter(request=request, subprocessor=sub).first()
        return found or RecipientNotice(request=request, subprocessor=sub, name=sub.name)
    return None


def _stored(notice: RecipientNotice) -> RecipientNotice:
    if notice.pk is not None:
        return notice
    stored, _created = RecipientNotice.objects.get_or_create(
        request=notice.request, subprocessor=notice.subprocessor, defaults={"name": notice.name}
    )
    return stored


def tell(notice: RecipientNotice, *, actor, told_on, how: str, note: str = ""):
    _check(notice.request, actor)
    with transaction.atomic():  # a refused transition leaves no new row behind
        return perform_record_transition(
            _stored(notice), "tell", actor=actor, by=actor, told_on=told_on, how=how, note=note
        )


def mark_impossible(notice: RecipientNotice, *, actor, reason: str):
    _check(notice.request, actor)
    with transaction.atomic():
        return perform_record_transition(
            _stored(notice), "mark_impossible", actor=actor, by=actor, reason=reason
        )


@dataclasses.dataclass(frozen=True)
class Line:
    """One recipient as the request page lists it."""

    key: str
    name: str
    service: str
    notice: RecipientNotice | None

    @property
    def settled(self) -> bool:
        return self.notice is not None and self.notice.settled


@dataclasses.dataclass(frozen=True)
class Overview:
    applies: bool
    processor_done: bool
    no_processor_data: NoProcessorData | None
    lines: list[Line]
    open_points: list[str]
    may_act: bool  # the user works here and the request is granted, not yet carried out
    may_record_reason: bool


def overview(request: Request, user) -> Overview:
    """What the request page shows of the work before carrying out."""
    # Only once the practice decided to carry it out (in whole or in part).
    if request.kind not in GATED_KINDS or request.decision not in TELLING_STATES:
        return Overview(False, True, None, [], [], False, False)
    notices = list(request.recipient_notices.select_related("done_by"))
    by_sub = {n.subprocessor_id: n for n in notices if n.subprocessor_id}
    lines = [
        Line(f"s-{sub.pk}", sub.name, sub.service_in(get_language() or "nl"), by_sub.get(sub.pk))
        for sub in register_recipients()
    ]
    # A sub-processor told before it left the register stays listed.
    listed = {sub.pk for sub in register_recipients()}
    lines += [
        Line(f"n-{n.pk}", n.name, "", n)
        for n in notices
        if not n.subprocessor_id or n.subprocessor_id not in listed
    ]
    reason = NoProcessorData.objects.filter(request=request).first()
    may_act = (
        access.can(user, Capability.WORK_REQUESTS, request.practice_id)
        and request.state in TELLING_STATES
    )
    has_task = (
        request.tasks.filter(kind=GATED_KINDS[request.kind])
        .exclude(state=TaskState.REJECTED)
        .exists()
    )
    return Overview(
        applies=True,
        processor_done=processor_part_done(request),
        no_processor_data=reason,
        lines=lines,
        open_points=open_work(request),
        may_act=may_act,
        may_record_reason=may_act and reason is None and not has_task,
    )


def told_recipients(request: Request) -> dict[str, list[RecipientNotice]]:
    """What the patient may know (art. 19, last sentence): who was told, and who could not be."""
    notices = list(request.recipient_notices.exclude(state=NoticeState.TO_TELL))
    return {
        "told": [n for n in notices if n.state == NoticeState.TOLD],
        "impossible": [n for n in notices if n.state == NoticeState.IMPOSSIBLE],
    }
