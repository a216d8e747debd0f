"""Signing in through an OpenID Connect identity broker (the DigiD route): it finds the
patient's requests by BSN or verified e-mail, replaces both codes, and never admits staff."""

import re
import urllib.parse

import pytest

from requests_app.models import AssistanceTask
from tests.factories import decided, granted
from workflows.assistance import packages
from workflows.assistance import tasks as assistance

pytestmark = pytest.mark.django_db


def sign_in(client, broker, claims: dict):
    broker.claims = claims
    start = client.post("/accounts/oidc/broker/login/")
    assert start.status_code == 302 and start["Location"].startswith(broker.url + "/authorize")
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(start["Location"]).query)["state"][0]
    return client.get("/accounts/oidc/broker/login/callback/", {"code": "abc", "state": state})


def test_the_code_page_offers_the_broker(client, broker):
    page = client.get("/accounts/login/code/").content.decode()
    assert "/accounts/oidc/broker/login/" in page and "DigiD" in page


def test_a_patient_signs_in_by_bsn_and_sees_their_requests(
    client, broker, practice, patient, providers
):
    import dataclasses

    from tests.factories import submit

    mine = submit(practice, dataclasses.replace(patient, bsn="111222333"), channel="app")
    response = sign_in(client, broker, {"sub": "digid-1", "bsn": "111222333"})
    assert response.status_code == 302 and response["Location"] == "/track/"
    assert mine.reference in client.get("/track/").content.decode()
    assert broker.token_requests[-1]["client_secret"] == "broker-secret"


def test_unknown_people_and_staff_are_refused(client, broker, practice, patient, handler):
    from tests.factories import submit

    submit(practice, patient)
    assert sign_in(client, broker, {"sub": "x", "bsn": "999999990"}).status_code == 403
    unverified = {"sub": "y", "email": patient.email, "email_verified": False}
    assert sign_in(client, broker, unverified).status_code == 403
    staff = {"sub": "z", "email": handler.email, "email_verified": True}
    assert sign_in(client, broker, staff).status_code == 403
    assert client.get("/track/").status_code == 302  # still signed out


@pytest.mark.usefixtures("platform_db", "package_dir")
def test_the_broker_replaces_the_sms_code_before_a_download(
    client, broker, practice, patient, handler, support, providers
):
    import dataclasses

    patient = dataclasses.replace(patient, bsn="111222333")
    item = decided(practice, patient, handler, kind="access", grant=False)
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles"),
        actor=support,
    )
    package = packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    packages.record_download(package, user=handler, who="practice")  # the practice's review
    assistance.accept(
        assistance.deliver(AssistanceTask.objects.get(pk=task.pk), actor=support), actor=handler
    )
    granted(item, handler)  # the decision comes before the release
    packages.release(package, actor=handler)
    # A verified e-mail claim signs in, but says nothing of the request: the SMS code stays.
    claims = {"sub": "digid-2", "email": patient.email, "email_verified": True}
    assert sign_in(client, broker, claims).status_code == 302
    assert client.get(f"/track/{item.reference}/data/download/").status_code == 302
    client.logout()
    # The BSN the request carries, vouched for by the broker, replaces the SMS code.
    assert sign_in(client, broker, {"sub": "digid-2", "bsn": "111222333"}).status_code == 302
    page = client.get(f"/track/{item.reference}/data/").content.decode()
    assert re.search(rf'href="/track/{item.reference}/data/download/"', page)
    download = client.get(f"/track/{item.reference}/data/download/")
    assert download.status_code == 200
    assert not [m for m in providers.sms() if m.to == [patient.phone]]  # no SMS code needed


def test_an_unverified_email_claim_does_not_become_a_way_in(
    client, broker, practice, patient, providers
):
    import dataclasses

    from allauth.account.models import EmailAddress

    from tests.factories import submit

    submit(practice, dataclasses.replace(patient, bsn="111222333"), channel="app")
    claims = {
        "sub": "d-1",
        "bsn": "111222333",
        "email": "evil@example.com",
        "email_verified": False,
    }
    assert sign_in(client, broker, claims).status_code == 302
    assert not EmailAddress.objects.filter(email__iexact="evil@example.com").exists()
    # The broker later sends another subject for the same person: still signed in, no error.
    client.logout()
    again = sign_in(client, broker, {"sub": "d-2", "bsn": "111222333"})
    assert again.status_code == 302 and again["Location"] == "/track/"


def test_the_brokers_claims_are_not_kept(client, broker, practice, patient, providers):
    import dataclasses

    from allauth.socialaccount.models import SocialAccount

    from tests.factories import submit

    submit(practice, dataclasses.replace(patient, bsn="111222333"), channel="app")
    for _ in range(2):  # first sign-in, and a later one (allauth refreshes the claims then)
        assert sign_in(client, broker, {"sub": "d-9", "bsn": "111222333"}).status_code == 302
        client.logout()
        assert SocialAccount.objects.get().extra_data == {"sub": "d-9"}


def test_a_patient_signed_in_by_code_links_the_broker_and_then_needs_no_code(
    client, broker, practice, patient, providers, handler, django_capture_on_commit_callbacks
):
    from allauth.socialaccount.models import SocialAccount

    from tests.factories import submit
    from workflows.casework.patients import account_for

    mine = submit(practice, patient)  # the web form: no BSN
    # Without a link, the broker cannot find this patient (DigiD gives a BSN, not an address).
    assert sign_in(client, broker, {"sub": "digid-7", "bsn": "111222333"}).status_code == 403
    client.force_login(account_for(patient.email))
    assert "/track/link/" in client.get("/track/").content.decode()
    # Linking needs the SMS code to the request's mobile number first (see test_trust_identities).
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/track/link/", {"send": "1"})
    sms = providers.wait_for(lambda calls: any(c.to == [patient.phone] for c in calls))[-1]
    client.post("/track/link/", {"code": re.search(r"\b(\d{6})\b", sms.text).group(1)})
    page = client.get("/track/link/").content.decode()
    assert "process=connect" in page or 'name="process" value="connect"' in page
    broker.claims = {"sub": "digid-7", "bsn": "111222333"}
    start = client.post("/accounts/oidc/broker/login/", {"process": "connect"})
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(start["Location"]).query)["state"][0]
    linked = client.get("/accounts/oidc/broker/login/callback/", {"code": "c", "state": state})
    assert linked.status_code == 302 and linked["Location"] == "/track/"
    assert SocialAccount.objects.get().user == account_for(patient.email)
    client.logout()
    response = sign_in(client, broker, {"sub": "digid-7", "bsn": "111222333"})
    assert response.status_code == 302 and response["Location"] == "/track/"
    assert mine.reference in client.get("/track/").content.decode()
    # Staff cannot link a broker to their account.
    client.logout()
    client.force_login(handler)
    broker.claims = {"sub": "digid-8"}
    start = client.post("/accounts/oidc/broker/login/", {"process": "connect"})
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(start["Location"]).query)["state"][0]
    refused = client.get("/accounts/oidc/broker/login/callback/", {"code": "c", "state": state})
    assert refused.status_code == 403 and SocialAccount.objects.count() == 1
