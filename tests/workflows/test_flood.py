"""A flood of submissions for one practice: every request is kept and forwarded, but the
practice gets one combined message per contact instead of one per request."""

import pytest
from django.utils import timezone

from requests_app.models import Request, RequestState
from tests.factories import submit
from workflows.messaging import outbox
from workflows.models import Notification, Purpose, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_flood_is_announced_in_one_message_per_contact_and_nothing_is_lost(
    practice, patient, providers, settings
):
    settings.PRACTICE_FLOOD_THRESHOLD = 2
    items = [submit(practice, patient) for _ in range(6)]
    states = [Request.objects.get(pk=i.pk).state for i in items]
    assert states[:2] == [RequestState.FORWARDED] * 2
    assert states[2:] == [RequestState.RECEIVED] * 4  # waiting for the combined message

    batch = Notification.objects.filter(purpose=Purpose.PRACTICE_BATCH)
    contacts = len(practice.privacy_emails()) + len(practice.privacy_phones())
    assert batch.count() == contacts  # one per contact, not one per request
    practice_calls = [c for c in providers.calls if c.to != [patient.email]]
    assert len(practice_calls) == 2 * contacts  # only the first two requests' own messages

    # The slot ends: the sweep sends the combined messages and forwards the waiting requests.
    Notification.objects.filter(purpose=Purpose.PRACTICE_BATCH).update(
        next_attempt_at=timezone.now() - outbox.SWEEP_GRACE * 2
    )
    outbox.sweep()
    assert set(batch.values_list("status", flat=True)) == {Status.SENT}
    assert {Request.objects.get(pk=i.pk).state for i in items} == {RequestState.FORWARDED}
    texts = [c.text for c in providers.calls if c.to != [patient.email]][-contacts:]
    assert all("Jan" not in t and items[3].reference not in t for t in texts)


def test_below_the_threshold_every_request_gets_its_own_message(practice, patient, providers):
    items = [submit(practice, patient) for _ in range(3)]
    assert not Notification.objects.filter(purpose=Purpose.PRACTICE_BATCH).exists()
    assert {Request.objects.get(pk=i.pk).state for i in items} == {RequestState.FORWARDED}
