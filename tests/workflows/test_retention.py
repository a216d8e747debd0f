import datetime

import pytest
from django.utils import timezone

from requests_app.models import AuditRecord, Request, RequestMessage, RequestState
from tests.factories import submit
from workflows.housekeeping import retention

pytestmark = pytest.mark.django_db(transaction=True)


def closed_years_ago(item, years: float, state=RequestState.CLOSED):
    Request.objects.filter(pk=item.pk).update(
        state=state, closed_at=timezone.now() - datetime.timedelta(days=365.25 * years)
    )


def test_requests_closed_longer_ago_than_the_retention_period_are_erased_and_logged(
    practice, patient, providers
):
    old = submit(practice, patient)
    RequestMessage.objects.create(request=old, sender="patient", body="Hallo")
    recent = submit(practice, patient)
    still_open = submit(practice, patient)
    withdrawn = submit(practice, patient)
    closed_years_ago(old, 15.1)
    closed_years_ago(recent, 14.9)
    closed_years_ago(withdrawn, 16, state=RequestState.WITHDRAWN)
    Request.objects.filter(pk=still_open.pk).update(
        received_at=timezone.now() - datetime.timedelta(days=365 * 20)
    )

    erased = retention.purge_expired()
    assert sorted(erased) == sorted([old.reference, withdrawn.reference])
    assert set(Request.objects.values_list("reference", flat=True)) == {
        recent.reference,
        still_open.reference,
    }
    assert not RequestMessage.objects.filter(request_id=old.pk).exists()
    trace = AuditRecord.objects.filter(event_type="retention.purge", object_id=old.reference).get()
    assert trace.action == "D" and trace.details["messages"] == 1
    assert retention.purge_expired() == []  # nothing left to do


def test_a_practice_can_keep_requests_shorter(practice, patient, providers):
    practice.retention_years = 2
    practice.save()
    item = submit(practice, patient)
    closed_years_ago(item, 3)
    assert retention.purge_expired() == [item.reference]


def test_requests_that_never_had_a_practice_are_erased_too(patient, providers):
    item = submit(None, patient, practice_given="?")
    closed_years_ago(item, 16, state=RequestState.WITHDRAWN)
    assert retention.purge_expired() == [item.reference]


def test_a_patient_whose_last_request_is_erased_keeps_no_address_or_broker_link(
    practice, patient, providers
):
    from allauth.socialaccount.models import SocialAccount

    from requests_app import access
    from workflows.casework.patients import account_for

    item = submit(practice, patient)
    account = account_for(patient.email)
    SocialAccount.objects.create(
        user=account, provider="broker", uid="digid-1", extra_data={"sub": "digid-1"}
    )
    closed_years_ago(item, 16)
    retention.purge_expired()
    account.refresh_from_db()
    assert account.email == "" and not account.is_active
    assert not SocialAccount.objects.filter(user=account).exists()
    assert access.patient_email(account) == ""
    # Back with a new request: the same account comes back to life for that address.
    again = account_for(patient.email)
    assert again.pk == account.pk and again.is_active and again.email == patient.email
