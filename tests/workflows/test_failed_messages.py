"""Sending a message that failed for good again: once, through the outbox, on record; refused
for one-time codes, for a row already sent again, and for staff other than processor support."""

import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection

from requests_app.models import AuditRecord, Request
from requests_app.roles import Role
from tests.factories import failed_message, make_user, submit
from workflows.messaging import delivery, failures, outbox
from workflows.models import Notification, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_provider_refusal_puts_the_message_on_the_list_with_its_answer(
    practice, patient, providers
):
    item = submit(practice, patient)
    providers.reset()
    providers.fail_next(1, status=400)
    (row,) = outbox.enqueue(
        [
            outbox.message(
                purpose="patient_update",
                medium="email",
                recipient="jan@exampel.com",
                template="patient_update",
                language="nl",
                context={"reference": item.reference},
                request=item,
            )
        ]
    )
    # On commit of the test's own (autocommitted) write, delivery ran: the provider said no.
    delivery.deliver([row.pk])
    row.refresh_from_db()
    assert row.status == Status.FAILED and "400" in row.last_error
    listed = list(failures.failed_notifications(practice_id=practice.pk))
    assert listed == [row]
    assert list(failures.failed_notifications(medium="sms")) == []
    assert list(failures.failed_notifications(purpose="incident")) == []


def test_resend_sends_once_to_the_same_address_and_is_audited(
    practice, patient, providers, support
):
    item = submit(practice, patient)
    failed = failed_message(request=item, recipient="jan@example.com")
    providers.reset()

    fresh = failures.resend(failed.pk, actor=support)

    fresh.refresh_from_db()
    assert fresh.status == Status.SENT and fresh.recipient == "jan@example.com"
    assert fresh.idempotency_key != failed.idempotency_key
    assert [m.to for m in providers.emails()] == [["jan@example.com"]]
    failed.refresh_from_db()
    assert failed.status == Status.FAILED and failed.resent_as == fresh  # the failure stays
    assert failed.last_error
    entry = AuditRecord.objects.get(event_type="notification.resend")
    assert entry.user == support and entry.object_id == str(failed.pk)
    assert entry.practice_id_ref == practice.pk and entry.purpose == item.reference
    # A double click: refused, nothing more sent.
    with pytest.raises(failures.ResendRefusal):
        failures.resend(failed.pk, actor=support)
    assert len(providers.emails()) == 1
    assert list(failures.failed_notifications()) == []
    assert list(failures.failed_notifications(include_resent=True)) == [failed]


def test_two_support_staff_at_once_send_it_once(practice, patient, providers, support):
    other = make_user("support2@processor.example", Role.SUPPORT)
    failed = failed_message(request=submit(practice, patient))
    providers.reset()
    barrier = threading.Barrier(2)
    outcomes = []

    def click(actor):
        try:
            barrier.wait()
            outcomes.append(failures.resend(failed.pk, actor=actor).pk)
        except failures.ResendRefusal:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(u,)) for u in (support, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes, key=str).count("refused") == 1
    assert Notification.objects.filter(dedupe_key=f"resend:{failed.pk}").count() == 1
    assert len(providers.emails()) == 1
    assert AuditRecord.objects.filter(event_type="notification.resend").count() == 1


def test_a_provider_fault_on_resend_leaves_it_to_the_retries(practice, patient, providers, support):
    failed = failed_message(request=submit(practice, patient))
    providers.reset()
    providers.fail_next(1, status=503)
    fresh = failures.resend(failed.pk, actor=support)
    fresh.refresh_from_db()
    assert fresh.status == Status.PENDING and fresh.attempts == 1 and "503" in fresh.last_error
    # The retry (the sweep's work, here at once) sends it.
    Notification.objects.filter(pk=fresh.pk).update(next_attempt_at=fresh.created_at)
    delivery.deliver([fresh.pk])
    fresh.refresh_from_db()
    assert fresh.status == Status.SENT and len(providers.emails()) == 1


def test_refused_for_good_again_it_can_be_sent_again_in_turn(practice, patient, providers, support):
    failed = failed_message(request=submit(practice, patient))
    providers.reset()
    providers.fail_next(1, status=400)
    fresh = failures.resend(failed.pk, actor=support)
    fresh.refresh_from_db()
    assert fresh.status == Status.FAILED
    assert list(failures.failed_notifications()) == [fresh]
    again = failures.resend(fresh.pk, actor=support)
    again.refresh_from_db()
    assert again.status == Status.SENT and len(providers.emails()) == 1


def test_one_time_codes_are_not_sent_again(practice, providers, support):
    failed = failed_message(purpose="intake_code", scrub_after_send=True)
    with pytest.raises(failures.ResendRefusal) as refused:
        failures.resend(failed.pk, actor=support)
    assert refused.value.reason == failures.REFUSE_SECRET
    assert Notification.objects.count() == 1 and providers.emails() == []


def test_only_failed_rows_are_sent_again(practice, patient, providers, support):
    item = submit(practice, patient)
    sent = Notification.objects.filter(request=item).first()
    with pytest.raises(failures.ResendRefusal):
        failures.resend(sent.pk, actor=support)


def test_practice_staff_may_not_send_again(practice, patient, providers, handler):
    failed = failed_message(request=submit(practice, patient))
    with pytest.raises(PermissionDenied):
        failures.resend(failed.pk, actor=handler)
    failed.refresh_from_db()
    assert failed.resent_as is None


def test_sending_the_practices_failed_message_again_forwards_the_request(
    practice, patient, providers, support
):
    providers.fail_next(10, status=400)  # the practice's address refused, and the receipt
    item = submit(practice, patient)
    assert Request.objects.get(pk=item.pk).state == "received"
    failed = failures.failed_notifications(purpose="practice_new_request", medium="email")
    practice_mail = failed.get(recipient=practice.dpo_email)
    providers.reset()
    failures.resend(practice_mail.pk, actor=support)
    item = Request.objects.get(pk=item.pk)
    assert item.state == "forwarded" and item.forwarded_at is not None
    assert [m.to for m in providers.emails()] == [[practice_mail.recipient]]


def test_a_processor_administrator_may_send_again(practice, patient, providers):
    admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)
    failed = failed_message(request=submit(practice, patient))
    providers.reset()
    fresh = failures.resend(failed.pk, actor=admin)
    assert Notification.objects.get(pk=fresh.pk).status == Status.SENT
