import datetime

import pytest
from django.utils import timezone

from requests_app.models import Request, RequestState
from requests_app.roles import Role
from tests.factories import make_user, submit
from workflows.casework import actions as casework
from workflows.casework import reminders
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db(transaction=True)
D = datetime.date


@pytest.fixture
def dpo(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


@pytest.fixture
def admin(practice):
    return make_user("admin@practice.example", Role.PRACTICE_ADMIN, practice)


def test_digest_goes_to_handlers_and_dpo_once_a_day_without_patient_details(
    practice, patient, providers, handler, dpo, admin, support
):
    overdue = submit(practice, patient)
    soon = submit(practice, patient)
    later = submit(practice, patient)
    today = timezone.localdate()
    Request.objects.filter(pk=overdue.pk).update(response_due=today - datetime.timedelta(days=1))
    Request.objects.filter(pk=soon.pk).update(response_due=today + datetime.timedelta(days=3))
    Request.objects.filter(pk=later.pk).update(response_due=today + datetime.timedelta(days=20))
    providers.reset()

    sent = reminders.send_daily_digests(today)
    assert sorted(n.recipient for n in sent) == sorted([handler.email, dpo.email])
    mails = providers.emails()
    assert len(mails) == 2
    text = mails[0].text
    assert "1 " in text and "jan" not in text.lower() and overdue.reference not in text

    assert reminders.send_daily_digests(today) == []  # the same day again: nothing
    assert len(providers.emails()) == 2
    assert len(reminders.send_daily_digests(today + datetime.timedelta(days=1))) == 2


def test_no_digest_for_a_practice_with_nothing_due(practice, patient, providers, handler):
    submit(practice, patient)  # due in a month
    assert reminders.send_daily_digests() == []


def test_unacknowledged_request_is_escalated_after_two_working_days_once(
    practice, patient, providers, handler, support
):
    item = submit(practice, patient)
    # Forwarded on Thursday 2 April 2026: Good Friday, weekend and Easter Monday do not count;
    # the two working days are Tue 7 and Wed 8 April.
    forwarded = timezone.make_aware(datetime.datetime(2026, 4, 2, 10, 0))
    Request.objects.filter(pk=item.pk).update(forwarded_at=forwarded)
    assert reminders.escalate_unacknowledged(D(2026, 4, 8)) == []
    sent = reminders.escalate_unacknowledged(D(2026, 4, 9))
    assert sorted(n.recipient for n in sent) == sorted([practice.standin_email, support.email])
    assert reminders.escalate_unacknowledged(D(2026, 4, 10)) == []
    assert Notification.objects.filter(purpose=Purpose.ESCALATION).count() == 2


def test_acknowledged_request_is_not_escalated(practice, patient, providers, handler, support):
    item = submit(practice, patient)
    casework.act(
        item, "acknowledge", actor=handler, version=Request.objects.get(pk=item.pk).version
    )
    Request.objects.filter(pk=item.pk).update(
        forwarded_at=timezone.now() - datetime.timedelta(days=10)
    )
    assert Request.objects.get(pk=item.pk).state == RequestState.IN_REVIEW
    assert reminders.escalate_unacknowledged() == []


def test_a_request_not_forwarded_after_two_hours_goes_to_support(
    practice, patient, providers, support
):
    practice.dpo_phone = ""
    practice.save()
    providers.fail_next(2, status=400)  # both contact addresses refused for good
    item = submit(practice, patient)
    assert Request.objects.get(pk=item.pk).state == RequestState.RECEIVED
    assert reminders.escalate_not_forwarded() == []  # too early
    later = timezone.now() + datetime.timedelta(hours=3)
    sent = reminders.escalate_not_forwarded(later)
    assert [n.recipient for n in sent] == [support.email]
    assert reminders.escalate_not_forwarded(later) == []
