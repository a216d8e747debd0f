"""A planned change of sub-processors (agreement art. 7.1, 3.7): announced to every practice's
FG and stand-in, answered with consent (which records the approval) or an objection (which keeps
the practice out of the approvals), taking effect on its date."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from requests_app.errors import TransitionRefused
from requests_app.models import (
    AnswerState,
    AuditRecord,
    ChangeAnswer,
    ChangeKind,
    ChangeState,
    SubProcessor,
    SubProcessorApproval,
    SubProcessorChange,
)
from requests_app.roles import Role
from tests.factories import approve, make_user
from workflows.models import Notification, Purpose
from workflows.register import changes

pytestmark = pytest.mark.django_db


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def announce_twilio(support, **overrides):
    fields = {
        "kind": ChangeKind.NEW,
        "subprocessor": SubProcessor.objects.get(name="Twilio"),
        "description_nl": "Twilio verstuurt voortaan de sms-codes.",
        "description": "Twilio will send the SMS codes.",
        "effective_on": in_days(30),
    }
    return changes.announce(actor=support, **(fields | overrides))


def the_date_has_come(change) -> None:
    SubProcessorChange.objects.filter(pk=change.pk).update(effective_on=timezone.localdate())


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


@pytest.fixture
def other_fg(other_practice):
    return make_user("fg@elders.example", Role.DPO, other_practice)


def test_the_announcement_goes_to_every_practices_fg_and_stand_in(
    support, practice, other_practice
):
    change = announce_twilio(support)
    mails = Notification.objects.filter(purpose=Purpose.SUBPROCESSOR_CHANGE)
    assert sorted(m.recipient for m in mails) == sorted(
        practice.privacy_emails() + other_practice.privacy_emails()
    )
    mail = mails.first()
    date = in_days(30)
    assert "Twilio" in mail.subject and str(date.year) in mail.subject
    assert "/staff/subprocessor-changes/" in mail.body
    assert "buiten de Europese Economische Ruimte" in mail.body  # Twilio is in the US: art. 3.7
    assert sorted(a.practice_id for a in change.answers.all()) == sorted(
        [practice.pk, other_practice.pk]
    )
    assert AuditRecord.objects.filter(
        event_type="subprocessor_change.announce", object_id=str(change.pk)
    ).exists()
    assert [e.action for e in change.events.all()] == ["announced"]


def test_an_inactive_practice_is_not_asked(support, practice, other_practice):
    other_practice.active = False
    other_practice.save()
    change = announce_twilio(support)
    assert [a.practice for a in change.answers.all()] == [practice]


def test_only_the_processor_announces_and_never_within_the_notice_period(support, fg, settings):
    with pytest.raises(PermissionDenied):
        announce_twilio(fg)
    settings.SUBPROCESSOR_NOTICE_DAYS = 30
    with pytest.raises(changes.TooSoon):
        announce_twilio(support, effective_on=in_days(29))
    assert not SubProcessorChange.objects.exists()
    assert not Notification.objects.exists()


def test_consent_records_the_practices_approval_with_its_evidence(support, fg, practice):
    change = announce_twilio(support)
    answer = change.answers.get(practice=practice)
    changes.consent(answer, actor=fg)
    approval = SubProcessorApproval.objects.get(practice=practice, subprocessor__name="Twilio")
    assert approval.recorded_by == fg and approval.approved_on == timezone.localdate()
    assert f"(nr. {change.pk})" in approval.evidence and fg.username in approval.evidence
    assert [e.action for e in change.events.all()] == [
        "announced",
        "answer_consent",
        "approval_recorded",
    ]
    assert AuditRecord.objects.filter(
        event_type="subprocessor_change.answer.consent", practice_id_ref=practice.pk
    ).exists()


def test_consent_answers_once(support, fg, practice):
    answer = announce_twilio(support).answers.get(practice=practice)
    changes.consent(answer, actor=fg)
    with pytest.raises(TransitionRefused):
        changes.consent(answer, actor=fg)
    assert SubProcessorApproval.objects.filter(practice=practice).count() == 1
    assert answer.change.events.filter(action="answer_consent").count() == 1


def test_an_objection_needs_a_reason_and_records_no_approval(support, fg, practice):
    answer = announce_twilio(support).answers.get(practice=practice)
    with pytest.raises(TransitionRefused):
        changes.object_to(answer, actor=fg, reason="   ")
    changes.object_to(answer, actor=fg, reason="Geen verwerking buiten de EER.")
    answer = ChangeAnswer.objects.get(pk=answer.pk)
    assert answer.state == AnswerState.OBJECTED
    assert answer.reason == "Geen verwerking buiten de EER."
    assert not SubProcessorApproval.objects.filter(practice=practice).exists()


def test_only_the_practices_fg_or_administrator_answers(support, practice, handler, other_fg, fg):
    answer = announce_twilio(support).answers.get(practice=practice)
    for someone in (handler, other_fg, support):
        with pytest.raises(PermissionDenied):
            changes.consent(answer, actor=someone)
    admin = make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)
    assert changes.consent(answer, actor=admin).state == AnswerState.CONSENTED


def test_answers_after_the_effective_date_are_refused(support, fg, practice):
    change = announce_twilio(support)
    the_date_has_come(change)
    answer = change.answers.get(practice=practice)
    for answering in (
        lambda: changes.consent(answer, actor=fg),
        lambda: changes.object_to(answer, actor=fg, reason="Te laat"),
    ):
        with pytest.raises(TransitionRefused):
            answering()
    assert ChangeAnswer.objects.get(pk=answer.pk).state == AnswerState.PENDING
    assert not SubProcessorApproval.objects.exists()


def deploy_warnings(code: str) -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=err)
    return [line for line in (out.getvalue() + err.getvalue()).splitlines() if code in line]


def test_after_the_date_the_deploy_check_names_the_practice_that_objected(
    support, fg, other_fg, practice, other_practice, providers
):
    approve(other_practice, "Twilio")  # entered earlier by hand: the objection still counts
    change = announce_twilio(support)
    changes.consent(change.answers.get(practice=practice), actor=fg)
    changes.object_to(change.answers.get(practice=other_practice), actor=other_fg, reason="Nee")
    with pytest.raises(TransitionRefused):
        changes.take_effect(change)  # not before its date
    the_date_has_come(change)
    [done] = changes.take_effect_due()
    assert done.state == ChangeState.IN_EFFECT and done.closed_at is not None
    assert list(
        SubProcessorApproval.objects.filter(subprocessor__name="Twilio").values_list(
            "practice", flat=True
        )
    ) == [practice.pk]
    [line] = [w for w in deploy_warnings("W012") if "Twilio" in w]
    assert other_practice.name in line and f"{practice.name}," not in line
    assert done.events.filter(action="approval_ended", practice=other_practice).exists()
    assert changes.take_effect_due() == []  # once


def test_a_new_location_needs_consent_again(support, fg, practice, other_practice):
    approve(practice, "SendGrid")
    approve(other_practice, "SendGrid")
    change = announce_twilio(
        support,
        kind=ChangeKind.LOCATION,
        subprocessor=SubProcessor.objects.get(name="SendGrid"),
        location_nl="Ierland (EU)",
        location="Ireland (EU)",
        inside_eea=True,
        transfer_mechanism="",
    )
    assert not change.outside_eea
    changes.consent(change.answers.get(practice=practice), actor=fg)
    the_date_has_come(change)
    changes.take_effect_due()
    sendgrid = SubProcessor.objects.get(name="SendGrid")
    assert (sendgrid.location, sendgrid.inside_eea, sendgrid.transfer_mechanism) == (
        "Ireland (EU)",
        True,
        "",
    )
    # The other practice consented to the old location only.
    assert list(sendgrid.approvals.values_list("practice", flat=True)) == [practice.pk]


def test_a_replacement_retires_the_old_one(support, fg, practice):
    change = announce_twilio(
        support, kind=ChangeKind.REPLACEMENT, replaces=SubProcessor.objects.get(name="SendGrid")
    )
    changes.consent(change.answers.get(practice=practice), actor=fg)
    the_date_has_come(change)
    changes.take_effect_due()
    assert not SubProcessor.objects.get(name="SendGrid").active
    assert SubProcessor.objects.get(name="Twilio").active


def test_a_withdrawn_change_is_told_and_no_longer_answered(support, fg, practice):
    change = announce_twilio(support)
    with pytest.raises(PermissionDenied):
        changes.withdraw(change, actor=fg)
    change = changes.withdraw(change, actor=support)
    assert change.state == ChangeState.WITHDRAWN
    withdrawn = Notification.objects.filter(subject__icontains="ingetrokken")
    assert sorted(m.recipient for m in withdrawn) == sorted(
        e for p in (practice,) for e in p.privacy_emails()
    )
    with pytest.raises(TransitionRefused):
        changes.consent(change.answers.get(practice=practice), actor=fg)
    the_date_has_come(change)
    assert changes.take_effect_due() == []
