"""A planned change of sub-processors (agreement art. 7.1; outside the EEA also art. 3.7, 7.3):
the processor announces it to every active practice at least SUBPROCESSOR_NOTICE_DAYS ahead, by
e-mail to each practice's FG and stand-in; each practice consents or objects until the date;
consent records the practice's approval, an objection keeps the practice out of the approvals
and is shown to the processor. On the date the change takes effect (a daily job)."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from requests_app import access
from requests_app.errors import DomainError
from requests_app.lifecycle import perform_change_transition
from requests_app.models import (
    AnswerState,
    AuditAction,
    ChangeAnswer,
    ChangeKind,
    ChangeState,
    Practice,
    SubProcessorApproval,
    SubProcessorChange,
)
from requests_app.timeline import log_change_event
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Purpose


class TooSoon(DomainError):
    """The date is within the notice period: the practices would have no time to answer."""

    def explain(self) -> str:
        return str(
            _("The change can take effect on %(date)s at the earliest (the notice period).")
            % {"date": earliest_effective_date().strftime("%d-%m-%Y")}
        )


def earliest_effective_date() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=settings.SUBPROCESSOR_NOTICE_DAYS)


def _announcement_mail(change: SubProcessorChange, practice: Practice, template: str) -> list:
    return [
        outbox.message(
            purpose=Purpose.SUBPROCESSOR_CHANGE,
            medium=Medium.EMAIL,
            recipient=address,
            template=template,
            language=STAFF_LANGUAGE,
            context={"change": change, "practice": practice},
        )
        for address in practice.privacy_emails()
    ]


def announce(
    *, actor, effective_on: datetime.date, key: uuid.UUID | None = None, **fields
) -> SubProcessorChange:
    """Announce the change to every active practice: an answer row for each, an e-mail to each
    practice's FG and stand-in, the history row and the audit record, in one transaction. The
    same form sent twice (its `key`) gives the change already announced and sends nothing."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if key is not None:
        found = SubProcessorChange.objects.filter(creation_key=key).first()
        if found is not None:
            return found
    if effective_on < earliest_effective_date():
        raise TooSoon(f"{effective_on} is within the notice period")
    try:
        return _announce(actor, effective_on, key, fields)
    except IntegrityError:
        found = SubProcessorChange.objects.filter(creation_key=key).first() if key else None
        if found is None:
            raise
        return found


def _announce(actor, effective_on, key, fields) -> SubProcessorChange:
    with transaction.atomic():
        change = SubProcessorChange(
            announced_by=actor, effective_on=effective_on, creation_key=key, **fields
        )
        change.full_clean(exclude=["state", "creation_key"])
        change.save()
        practices = list(Practice.objects.filter(active=True))
        ChangeAnswer.objects.bulk_create(
            [ChangeAnswer(change=change, practice=p) for p in practices]
        )
        log_change_event(
            change,
            "announced",
            actor=actor,
            to_state=change.state,
            audit_as=("subprocessor_change.announce", AuditAction.CREATE),
            details={
                "kind": change.kind,
                "effective_on": effective_on.isoformat(),
                "practices": len(practices),
            },
        )
        outbox.enqueue(
            [
                row
                for practice in practices
                for row in _announcement_mail(change, practice, "subprocessor_change")
            ]
        )
    return change


def consent(answer: ChangeAnswer, *, actor) -> ChangeAnswer:
    """The practice's prior written consent: its approval of the sub-processor is recorded with
    the announcement and who consented when as the evidence (art. 7.1)."""
    with transaction.atomic():
        answered = perform_change_transition(answer, "consent", actor=actor, by=actor)
        change = answered.change
        if change.needs_consent:
            _record_approval(answered, actor)
    return answered


def _evidence(change: SubProcessorChange, answer: ChangeAnswer, actor) -> str:
    # Stored in the register, so written once in the practice's language.
    with translation.override(STAFF_LANGUAGE):
        return str(
            _(
                "Consent to the announcement of %(announced)s (no. %(number)s) by %(who)s on "
                "%(when)s"
            )
            % {
                "announced": timezone.localtime(change.announced_at).strftime("%d-%m-%Y"),
                "number": change.pk,
                "who": actor.get_username(),
                "when": timezone.localtime(answer.answered_at).strftime("%d-%m-%Y %H:%M"),
            }
        )[:300]


def _record_approval(answer: ChangeAnswer, actor) -> None:
    change = answer.change
    evidence = _evidence(change, answer, actor)
    approval, _created = SubProcessorApproval.objects.update_or_create(
        practice=answer.practice,
        subprocessor=change.subprocessor,
        defaults={
            "approved_on": timezone.localdate(answer.answered_at),
            "evidence": evidence,
            "recorded_by": actor,
        },
    )
    log_change_event(
        change,
        "approval_recorded",
        actor=actor,
        practice=answer.practice,
        note=evidence,
        audit_as=("subprocessor_approval.record", AuditAction.CREATE),
        details={"subprocessor": change.subprocessor.name, "approval": approval.pk},
    )


def object_to(answer: ChangeAnswer, *, actor, reason: str) -> ChangeAnswer:
    """The practice objects, with its reason: no approval is recorded; the processor sees it."""
    return perform_change_transition(
        answer,
        "object",
        actor=actor,
        note=reason.strip(),
        changes={"reason": reason.strip()},
        by=actor,
    )


def withdraw(change: SubProcessorChange, *, actor) -> SubProcessorChange:
    """The processor drops the plan before its date; the practices are told."""
    with transaction.atomic():
        withdrawn = perform_change_transition(change, "withdraw", actor=actor)
        outbox.enqueue(
            [
                row
                for practice in Practice.objects.filter(pk__in=withdrawn.answers.values("practice"))
                for row in _announcement_mail(withdrawn, practice, "subprocessor_change_withdrawn")
            ]
        )
    return withdrawn


def take_effect(change: SubProcessorChange, *, actor=None) -> SubProcessorChange:
    """On its date: the register changes as announced. A practice that did not consent to a
    new location no longer holds an approval for the sub-processor (its consent was to the old
    one), nor does one that objected to a new sub-processor, so the deployment check names it
    while the sub-processor is used."""
    with transaction.atomic():
        done = perform_change_transition(change, "take_effect", actor=actor)
        entry = done.subprocessor
        if done.kind == ChangeKind.LOCATION:
            entry.location_nl, entry.location = done.location_nl, done.location
            entry.inside_eea, entry.transfer_mechanism = done.inside_eea, done.transfer_mechanism
            entry.save(
                update_fields=["location_nl", "location", "inside_eea", "transfer_mechanism"]
            )
            _end_approvals(done, actor, kept=AnswerState.CONSENTED)
        elif done.kind == ChangeKind.END:
            entry.active = False
            entry.save(update_fields=["active"])
        else:
            entry.active = True
            entry.save(update_fields=["active"])
            _end_approvals(done, actor, ended=AnswerState.OBJECTED)
            if done.kind == ChangeKind.REPLACEMENT:
                done.replaces.active = False
                done.replaces.save(update_fields=["active"])
    return done


def _end_approvals(change: SubProcessorChange, actor, *, kept=None, ended=None) -> None:
    """End the approvals of the practices that did not give the consent `kept`, or that
    answered `ended`: an objection always keeps a practice out of the approvals."""
    lapsed = SubProcessorApproval.objects.filter(subprocessor=change.subprocessor)
    if kept is not None:
        lapsed = lapsed.exclude(practice__in=change.answers.filter(state=kept).values("practice"))
    if ended is not None:
        lapsed = lapsed.filter(practice__in=change.answers.filter(state=ended).values("practice"))
    for approval in lapsed.select_related("practice"):
        log_change_event(
            change,
            "approval_ended",
            actor=actor,
            practice=approval.practice,
            note=approval.evidence,
            audit_as=("subprocessor_approval.end", AuditAction.DELETE),
            details={"subprocessor": change.subprocessor.name},
        )
        approval.delete()


def take_effect_due(today: datetime.date | None = None) -> list[SubProcessorChange]:
    """The daily job: every announced change whose date has come takes effect."""
    today = today or timezone.localdate()
    due = SubProcessorChange.objects.filter(state=ChangeState.ANNOUNCED, effective_on__lte=today)
    return [take_effect(change) for change in due]
