"""Forwarding through the real SendGrid and Twilio SDKs, against the local fake server."""

import datetime

import pytest
from django.utils import timezone

from requests_app.models import Request, RequestState
from tests import factories
from tests.environment import use_broker
from workflows.messaging import delivery, outbox
from workflows.models import Notification, Purpose, Status


def submit(practice, patient):
    return factories.submit(
        practice,
        patient,
        kind="erasure",
        description="Verwijder mijn berichten over mijn diabetes.",
    )


@pytest.mark.django_db(transaction=True)
def test_new_request_is_mailed_and_texted_to_the_practice_contacts_and_forwarded(
    practice, patient, providers
):
    item = submit(practice, patient)

    mails = providers.emails()
    practice_mails = [m for m in mails if m.to != [patient.email]]
    assert sorted(r for m in practice_mails for r in m.to) == sorted(practice.privacy_emails())
    assert [s.to for s in providers.sms()] == [[practice.dpo_phone]]
    assert all(item.reference in m.text for m in practice_mails + providers.sms())

    item = Request.objects.get(pk=item.pk)
    assert item.state == RequestState.FORWARDED
    assert item.forwarded_at is not None and item.forwarded_at >= item.received_at
    assert [e.action for e in item.events.all()] == ["submit", "forward"]


@pytest.mark.django_db(transaction=True)
def test_messages_to_the_practice_carry_no_personal_or_health_data(practice, patient, providers):
    submit(practice, patient)
    for call in providers.calls:
        if call.to == [patient.email]:
            continue
        text = call.text.lower()
        for secret in (
            "jan",
            "jansen",
            "diabetes",
            "1980",
            "jan@example.com",
            "87654321",
            "erasure",
            "verwijder",
        ):
            assert secret not in text, (secret, call.text)


@pytest.mark.django_db(transaction=True)
def test_patient_gets_the_reference_by_email(practice, patient, providers):
    item = submit(practice, patient)
    receipts = [m for m in providers.emails() if m.to == [patient.email]]
    assert len(receipts) == 1 and item.reference in receipts[0].text


@pytest.mark.django_db(transaction=True)
def test_failed_send_is_retried_and_the_request_forwarded_on_success(practice, patient, providers):
    practice.standin_email = ""
    practice.dpo_phone = ""
    practice.save()
    providers.fail_next(1, status=503)
    item = submit(practice, patient)

    row = Notification.objects.get(request=item, purpose=Purpose.PRACTICE_NEW_REQUEST)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "503" in row.last_error
    assert Request.objects.get(pk=item.pk).state == RequestState.RECEIVED

    # The retry waits for its back-off: nothing offers it again before then.
    assert row.next_attempt_at > timezone.now() + outbox.retry_delay(1) - datetime.timedelta(
        seconds=5
    )
    assert outbox.sweep() == []
    # Once the back-off has passed, the sweep offers it again and it goes out.
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert outbox.sweep() == [row.pk]

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert Request.objects.get(pk=item.pk).state == RequestState.FORWARDED
    assert [m.to for m in providers.emails() if m.to != [patient.email]] == [[practice.dpo_email]]


@pytest.mark.django_db(transaction=True)
def test_permanent_rejection_is_not_retried(practice, patient, providers):
    practice.standin_email = ""
    practice.dpo_phone = ""
    practice.save()
    providers.fail_next(1, status=400)
    item = submit(practice, patient)
    row = Notification.objects.get(request=item, purpose=Purpose.PRACTICE_NEW_REQUEST)
    assert row.status == Status.FAILED
    assert outbox.sweep(now=timezone.now() + datetime.timedelta(days=1)) == []


@pytest.mark.django_db(transaction=True)
def test_retries_stop_after_the_last_attempt(practice, patient, providers):
    practice.standin_email = ""
    practice.dpo_phone = ""
    practice.save()
    providers.fail_next(outbox.MAX_ATTEMPTS + 5, status=503)
    item = submit(practice, patient)
    row = Notification.objects.get(request=item, purpose=Purpose.PRACTICE_NEW_REQUEST)
    for _ in range(outbox.MAX_ATTEMPTS + 2):
        Notification.objects.filter(pk=row.pk, status=Status.PENDING).update(
            next_attempt_at=timezone.now()
        )
        delivery.deliver([row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, outbox.MAX_ATTEMPTS)


@pytest.mark.django_db(transaction=True)
def test_a_row_is_sent_at_most_once(practice, patient, providers):
    item = submit(practice, patient)
    sent_before = len(providers.calls)
    rows = list(Notification.objects.filter(request=item).values_list("pk", flat=True))
    assert [o.status for o in delivery.deliver(rows)] == ["skipped"] * len(rows)
    assert len(providers.calls) == sent_before


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_the_same_row_send_it_once(practice, patient, providers, settings):
    settings.SENDGRID_API_KEY = ""  # park messages on the console while we set up
    item = submit(practice, patient)
    row = Notification.objects.filter(request=item).first()
    Notification.objects.filter(pk=row.pk).update(status=Status.PENDING, attempts=0)
    now = timezone.now()
    first, second = outbox.claim([row.pk], now), outbox.claim([row.pk], now)
    assert list(first) == [row.pk] and second == {}


@pytest.mark.django_db(transaction=True)
def test_sweep_sends_rows_that_were_never_queued(practice, patient, providers, settings):
    # The broker is down at submit time: queueing fails and nothing is sent.
    use_broker("redis://127.0.0.1:1/0")
    try:
        item = submit(practice, patient)
    finally:
        use_broker(None)
    assert providers.calls == []
    assert Request.objects.get(pk=item.pk).state == RequestState.RECEIVED

    later = timezone.now() + outbox.SWEEP_GRACE + datetime.timedelta(seconds=1)
    queued = outbox.sweep(now=later)
    assert len(queued) == Notification.objects.filter(request=item).count()
    assert Request.objects.get(pk=item.pk).state == RequestState.FORWARDED
    assert len(providers.calls) == len(queued)


@pytest.mark.django_db(transaction=True)
def test_sweep_reoffers_a_row_left_claimed_by_a_dead_worker(practice, patient, providers):
    item = submit(practice, patient)
    row = Notification.objects.filter(request=item).first()
    Notification.objects.filter(pk=row.pk).update(
        status=Status.SENDING, claimed_at=timezone.now(), sent_at=None
    )
    assert outbox.sweep() == []  # still within the claim time-out
    later = timezone.now() + outbox.CLAIM_TIMEOUT + datetime.timedelta(seconds=1)
    assert outbox.sweep(now=later) == [row.pk]
