import datetime

import pytest
from django.utils import timezone

from requests_app.models import AuditRecord, Request, RequestMessage, RequestState
from requests_app.models.request import OPEN_STATES
from tests.factories import submit
from workflows import jobs
from workflows.housekeeping import retention
from workflows.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=datetime.UTC)
S = RequestState


def years_ago(years: float, now=None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=365.25 * years)


def closed_years_ago(item, years: float, state=RequestState.CLOSED):
    Request.objects.filter(pk=item.pk).update(state=state, closed_at=years_ago(years))


def ended_years_ago(item, state, field: str, years: float) -> None:
    """The request stopped at `state`, `years` before NOW, and nobody closed it."""
    Request.objects.filter(pk=item.pk).update(state=state, **{field: years_ago(years, NOW)})


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


ENDS = [
    (S.REFUSED, "decided_at"),
    (S.FULFILLED, "fulfilled_at"),
    (S.DECIDED, "decided_at"),
    (S.GRANTED, "decided_at"),
    (S.PARTIALLY_GRANTED, "decided_at"),
    (S.WITHDRAWN, "closed_at"),
    (S.CLOSED, "closed_at"),
]


@pytest.mark.parametrize(("state", "field"), ENDS)
def test_a_request_that_ended_without_being_closed_is_erased_after_the_term(
    practice, patient, providers, state, field
):
    kept = submit(practice, patient, kind="complaint" if state == S.DECIDED else "access")
    gone = submit(practice, patient, kind="complaint" if state == S.DECIDED else "access")
    ended_years_ago(kept, state, field, 14.9)
    ended_years_ago(gone, state, field, 15.1)

    assert retention.purge_expired(NOW) == [gone.reference]
    assert list(Request.objects.values_list("reference", flat=True)) == [kept.reference]
    trace = AuditRecord.objects.get(event_type="retention.purge")
    assert trace.details["state"] == state
    assert trace.details["ended_at"] == years_ago(15.1, NOW).isoformat()


def test_the_term_runs_from_the_last_step_not_from_the_decision(practice, patient, providers):
    """Decided long ago, but carried out or closed recently: the matter ended recently."""
    fulfilled = submit(practice, patient)
    closed = submit(practice, patient)
    for item, state, end in (
        (fulfilled, S.FULFILLED, "fulfilled_at"),
        (closed, S.CLOSED, "closed_at"),
    ):
        Request.objects.filter(pk=item.pk).update(
            state=state, decided_at=years_ago(20, NOW), **{end: years_ago(2, NOW)}
        )
    assert retention.purge_expired(NOW) == []
    assert Request.objects.count() == 2


def test_every_state_is_either_open_or_has_the_moment_its_term_starts():
    """A new end state must say when its retention term starts, or it would be kept forever."""
    assert sorted(set(S) - set(OPEN_STATES) - set(retention.TERM_STARTS)) == []
    assert set(OPEN_STATES) & set(retention.TERM_STARTS) == set()


def test_an_open_request_is_never_erased_but_its_fg_hears_of_it_once_a_year(
    practice, patient, providers, support
):
    abandoned = submit(practice, patient)
    unrouted = submit(None, patient, practice_given="Dokter Onbekend")
    recent = submit(practice, patient)
    for item, state in ((abandoned, S.IN_PROGRESS), (unrouted, S.UNROUTED)):
        Request.objects.filter(pk=item.pk).update(
            state=state,
            received_at=years_ago(16, NOW),
            response_due=timezone.localdate(years_ago(15.9, NOW)),
        )
    Request.objects.filter(pk=recent.pk).update(
        state=S.IN_PROGRESS, response_due=timezone.localdate(years_ago(13, NOW))
    )
    providers.reset()

    assert retention.purge_expired(NOW) == []
    assert Request.objects.count() == 3
    flagged = retention.flag_abandoned(NOW)
    assert sorted((n.recipient, n.request.reference) for n in flagged) == sorted(
        [(practice.dpo_email, abandoned.reference), (support.email, unrouted.reference)]
    )
    mail = next(n for n in flagged if n.request_id == abandoned.pk)
    assert mail.subject == f"Na jaren nog open: privacyverzoek {abandoned.reference}"
    assert "Het portaal verwijdert een open verzoek nooit uit zichzelf" in mail.body
    assert f"/staff/requests/{abandoned.reference}/" in mail.body
    assert patient.name not in mail.body and patient.email not in mail.body

    assert retention.flag_abandoned(NOW + datetime.timedelta(days=30)) == []  # once a year
    assert len(retention.flag_abandoned(NOW + datetime.timedelta(days=366))) == 2


def test_the_nightly_job_erases_and_flags(practice, patient, providers):
    ended = submit(practice, patient)
    still_open = submit(practice, patient)
    ended_years_ago(ended, S.REFUSED, "decided_at", 0)
    Request.objects.filter(pk=ended.pk).update(decided_at=years_ago(16))
    Request.objects.filter(pk=still_open.pk).update(response_due=timezone.localdate(years_ago(16)))
    assert jobs.purge_expired() == 1  # the job as beat runs it, here in this process
    assert not Request.objects.filter(pk=ended.pk).exists()
    assert Notification.objects.filter(
        request=still_open, dedupe_key__startswith="abandoned:"
    ).exists()
