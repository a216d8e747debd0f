"""The screens of a planned change of sub-processors (agreement art. 7.1): support announces and
reads the objections; the practice's FG consents or objects; bad input and another practice's
answer change nothing."""

import datetime
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from requests_app.models import (
    AnswerState,
    AuditOutcome,
    AuditRecord,
    ChangeAnswer,
    ChangeEvent,
    SubProcessor,
    SubProcessorApproval,
    SubProcessorChange,
)
from requests_app.roles import Role
from tests.factories import make_user
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


def form(**overrides):
    data = {
        "kind": "new",
        "subprocessor": SubProcessor.objects.get(name="Twilio").pk,
        "description_nl": "Twilio verstuurt voortaan de sms-codes.",
        "description": "Twilio will send the SMS codes.",
        "effective_on": (timezone.localdate() + datetime.timedelta(days=31)).isoformat(),
        "inside_eea": "on",
        "key": str(uuid.uuid4()),
    }
    return data | overrides


@pytest.fixture
def answer(client, support, practice, other_practice):
    client.force_login(support)
    response = client.post(reverse("staff:subprocessor_change_new"), form())
    assert response.status_code == 302
    client.logout()
    return ChangeAnswer.objects.get(practice=practice)


def test_support_announces_to_every_practice(client, support, practice, other_practice):
    client.force_login(support)
    page = client.get(reverse("staff:subprocessor_change_new")).content.decode()
    assert "Een wijziging van subverwerkers aankondigen" in page
    response = client.post(reverse("staff:subprocessor_change_new"), form(), follow=True)
    assert "aangekondigd aan 2 praktijken" in response.content.decode()
    assert Notification.objects.filter(purpose=Purpose.SUBPROCESSOR_CHANGE).count() == 4


@pytest.mark.parametrize(
    "bad",
    [
        {"description_nl": "Twilio\x00"},
        {"description": "x" * 2001},
        {"effective_on": timezone.localdate().isoformat()},
        {"kind": "replacement"},  # without the one it replaces
        {"kind": "location", "location_nl": "", "location": ""},
    ],
)
def test_bad_announcements_are_refused_and_change_nothing(client, support, practice, bad):
    client.force_login(support)
    response = client.post(reverse("staff:subprocessor_change_new"), form(**bad))
    assert response.status_code == 400
    assert not SubProcessorChange.objects.exists()
    assert not Notification.objects.exists()


def test_only_support_announces(client, fg, handler):
    for someone in (fg, handler):
        client.force_login(someone)
        assert client.get(reverse("staff:subprocessor_change_new")).status_code == 403
        assert client.post(reverse("staff:subprocessor_change_new"), form()).status_code == 403
    assert not SubProcessorChange.objects.exists()


def test_the_fg_consents_once_however_often_the_form_is_sent(client, fg, answer, practice):
    client.force_login(fg)
    listing = client.get(reverse("staff:subprocessor_changes")).content.decode()
    assert "Antwoord nodig" in listing
    url = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    first = client.post(url, {"decision": "consent"}, follow=True)
    assert "Uw toestemming is vastgelegd." in first.content.decode()
    second = client.post(url, {"decision": "consent"}, follow=True)
    assert "de praktijk heeft al geantwoord" in second.content.decode()
    assert SubProcessorApproval.objects.filter(practice=practice).count() == 1
    assert ChangeEvent.objects.filter(action="answer_consent").count() == 1


def test_an_objection_reaches_the_processor_with_its_reason(client, fg, support, answer, practice):
    client.force_login(fg)
    url = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    assert client.post(url, {"decision": "object", "reason": ""}).status_code == 400
    client.post(url, {"decision": "object", "reason": "Geen sms via de VS, graag."})
    assert ChangeAnswer.objects.get(pk=answer.pk).state == AnswerState.OBJECTED
    assert not SubProcessorApproval.objects.filter(practice=practice).exists()
    client.force_login(support)
    page = client.get(reverse("staff:subprocessor_change", args=[answer.change_id]))
    text = page.content.decode()
    assert practice.name in text and "Geen sms via de VS, graag." in text
    assert "bezwaar gemaakt" in text  # the history


@pytest.mark.parametrize(
    "bad", [{"decision": "object", "reason": "x" * 2001}, {"decision": "object", "reason": "\x00"}]
)
def test_bad_answers_are_refused_and_change_nothing(client, fg, answer, bad):
    client.force_login(fg)
    url = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    assert client.post(url, bad).status_code == 400
    assert ChangeAnswer.objects.get(pk=answer.pk).state == AnswerState.PENDING
    assert not ChangeEvent.objects.filter(action__startswith="answer_").exists()


def test_answers_after_the_date_are_refused(client, fg, answer):
    SubProcessorChange.objects.update(effective_on=timezone.localdate())
    client.force_login(fg)
    page = client.get(reverse("staff:subprocessor_change_answer", args=[answer.pk]))
    assert "Op deze wijziging kan niet meer worden geantwoord." in page.content.decode()
    url = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    client.post(url, {"decision": "consent"})
    assert ChangeAnswer.objects.get(pk=answer.pk).state == AnswerState.PENDING
    assert not SubProcessorApproval.objects.exists()


def test_another_practices_answer_is_not_found(client, answer, other_practice):
    client.force_login(make_user("fg@elders.example", Role.DPO, other_practice))
    for response in (
        client.get(reverse("staff:subprocessor_change_answer", args=[answer.pk])),
        client.post(
            reverse("staff:subprocessor_change_answer_submit", args=[answer.pk]),
            {"decision": "consent"},
        ),
        client.get(reverse("staff:subprocessor_change", args=[answer.change_id])),
    ):
        assert response.status_code == 404
    assert ChangeAnswer.objects.get(pk=answer.pk).state == AnswerState.PENDING
    assert (
        AuditRecord.objects.filter(outcome=AuditOutcome.DENIED, object_id=str(answer.pk)).count()
        == 2
    )


def test_the_answer_page_in_english(client, fg, answer):
    client.force_login(fg)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("staff:subprocessor_change_answer", args=[answer.pk]))
    text = page.content.decode()
    assert "Planned change: Twilio" in text and "Twilio will send the SMS codes." in text
    assert "outside the European Economic Area" in text and "Give consent" in text


def test_support_withdraws_before_the_date(client, support, answer):
    client.force_login(support)
    url = reverse("staff:subprocessor_change_withdraw", args=[answer.change_id])
    page = client.post(url, follow=True).content.decode()
    assert "De wijziging is ingetrokken" in page
    assert SubProcessorChange.objects.get().state == "withdrawn"
