"""Attacks on the patient app's API (issue 15): another client's request by every look-alike of
its reference, keys in odd forms, idempotency across clients, messages and letters out of
bounds, webhook addresses that lead inward, signatures, the delivery log across clients and
roles, the reference page, and races against a live server. Each test states what must hold."""

import concurrent.futures
import json
import threading

import pytest
import requests
from django.test import Client
from django.urls import reverse

from requests_app.models import (
    ApiClient,
    AuditRecord,
    Channel,
    Request,
    RequestMessage,
    RequestState,
)
from requests_app.roles import Role
from tests.factories import forwarded, make_user, submit, submit_from_app
from tests.payloads import URL, body
from workflows.webhooks import signing

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_apps(practice):
    """Two clients, A and B, each with a key."""
    return ApiClient.issue("app-a"), ApiClient.issue("app-b")


def caller(django_client: Client, key: str):
    def call(method, path, data=None, **headers):
        raw = json.dumps(data) if data is not None else ""
        return django_client.generic(
            method,
            path,
            raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            **headers,
        )

    return call


def state_of_every_request():
    return sorted(Request.objects.values_list("reference", "state", "version"))


# --- Another client's request, by any spelling of its reference -----------------------------------
REFERENCE_PATHS = ("", "/history", "/messages", "/letters", "/letters/receipt-1", "/package")


def spellings(reference: str) -> list[str]:
    """The reference as an attacker might bend it: case, look-alikes, padding, encodings."""
    return [
        reference,
        reference.lower(),
        reference.replace("-", "\u2011"),  # a non-breaking hyphen
        reference.replace("-", "\uff0d"),  # a fullwidth hyphen-minus
        "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in reference),  # fullwidth
        reference + " ",
        " " + reference,
        reference + "%20",
        reference + "%00",
        reference + "%0A",
        reference.replace("-", "%2D"),
        reference.replace("-", "%2F"),
        reference + "%2F..",
        "..%2F" + reference,
        reference + "\u200b",  # zero-width space
    ]


def test_another_clients_request_is_the_same_404_by_every_spelling_and_operation(
    client, two_apps, practice, patient
):
    (a, _key_a), (_b, key_b) = two_apps
    theirs = forwarded(submit(practice, patient, channel=Channel.APP, api_client=a))
    call = caller(client, key_b)
    before = state_of_every_request()
    for spelled in spellings(theirs.reference):
        for tail in REFERENCE_PATHS:
            response = call("GET", f"{URL}/{spelled}{tail}")
            # A NUL in the path is refused before any view (portal.middleware): a 400 for all.
            expected = 400 if "%00" in spelled else 404
            assert response.status_code == expected, (spelled, tail, response.status_code)
            assert response["Content-Type"].startswith("application/json")
            assert theirs.reference not in response.content.decode()
        for tail, data in (("/withdraw", None), ("/messages", {"body": "Hallo"})):
            response = call("POST", f"{URL}/{spelled}{tail}", data)
            expected = 400 if "%00" in spelled else 404
            assert response.status_code == expected, (spelled, tail, response.status_code)
    assert state_of_every_request() == before
    assert not RequestMessage.objects.exists()


def test_an_unknown_and_another_clients_reference_answer_byte_for_byte_alike(
    client, two_apps, practice, patient
):
    (a, _key_a), (_b, key_b) = two_apps
    theirs = forwarded(submit(practice, patient, channel=Channel.APP, api_client=a))
    call = caller(client, key_b)
    unknown = "ZZZZ-ZZZZ" if theirs.reference != "ZZZZ-ZZZZ" else "YYYY-YYYY"
    for tail in REFERENCE_PATHS:
        found = call("GET", f"{URL}/{theirs.reference}{tail}")
        missing = call("GET", f"{URL}/{unknown}{tail}")
        assert (found.status_code, found.content) == (missing.status_code, missing.content)
        assert sorted(found.headers) == sorted(missing.headers)


def test_the_own_request_by_a_lower_case_reference_is_no_handle_to_it(client, practice, patient):
    app, key = ApiClient.issue("app-a")
    mine = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    call = caller(client, key)
    assert call("GET", f"{URL}/{mine.reference}").status_code == 200
    assert call("POST", f"{URL}/{mine.reference.lower()}/withdraw").status_code == 404
    assert Request.objects.get(pk=mine.pk).state == mine.state


def test_a_web_request_of_the_same_patient_is_not_reached_through_the_app(
    client, practice, patient
):
    app, key = ApiClient.issue("app-a")
    web = forwarded(submit(practice, patient))
    response = caller(client, key)("GET", f"{URL}/{web.reference}")
    assert response.status_code == 404


# --- Keys in odd forms ---------------------------------------------------------------------------
def test_keys_in_odd_forms_are_no_keys(client, practice):
    app, key = ApiClient.issue("app-a")
    other, other_key = ApiClient.issue("app-b")
    odd = [
        key.upper(),
        key[:-1],
        key + "x",
        key.replace("dsr_", "DSR_"),
        key.replace("dsr_", "ds\u0433_"),  # a Cyrillic look-alike
        "dsr_\u0430" + key[5:],  # a Cyrillic look-alike in the key itself
        key + "\u200b",
        key + "\x00",
        "dsr_" + "a" * 100_000,
        other_key[:10] + key[10:],  # another client's prefix
        key + "," + other_key,
    ]
    for value in odd:
        for header in (f"Bearer {value}", f"Basic {value}", value, f"Bearer  {value}"):
            try:
                response = client.get(f"{URL}/XXXX-XXXX", HTTP_AUTHORIZATION=header)
            except ValueError:  # the test client itself will not send some bytes
                continue
            if "\x00" in value:  # refused before any view (portal.middleware)
                assert response.status_code == 400
                continue
            assert response.status_code == 401, (value[:30], header[:30])
            assert list(response.json()["errors"]) == ["authorization"]
    # The real key with surrounding white space is the key: still only this client's.
    assert client.get(f"{URL}/XXXX-XXXX", HTTP_AUTHORIZATION=f"Bearer {key} ").status_code == 404


def test_a_very_long_authorization_header_is_a_401_not_a_fault(client, practice):
    response = client.get(f"{URL}/XXXX-XXXX", HTTP_AUTHORIZATION="Bearer " + "dsr_" * 200_000)
    assert response.status_code == 401


def test_a_revoked_key_and_a_deactivated_clients_key_stop_at_once(client, practice, patient):
    from workflows.onboarding import api_clients

    app, key = ApiClient.issue("app-a")
    mine = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    call = caller(client, key)
    assert call("GET", f"{URL}/{mine.reference}").status_code == 200
    api_clients.set_active(app, False, actor_label="test")
    assert call("GET", f"{URL}/{mine.reference}").status_code == 401
    assert call("POST", f"{URL}/{mine.reference}/withdraw").status_code == 401
    api_clients.set_active(app, True, actor_label="test")
    assert call("GET", f"{URL}/{mine.reference}").status_code == 200
    api_clients.revoke_key(app.keys.get(), actor_label="test")
    assert call("GET", f"{URL}/{mine.reference}").status_code == 401
    assert Request.objects.get(pk=mine.pk).state == mine.state


def test_no_key_appears_in_the_audit_log_or_the_client_pages(client, practice):
    from workflows.onboarding import api_clients

    admin = make_user("beheer@processor.example", Role.PROCESSOR_ADMIN)
    app, first = api_clients.create_client(name="app-a", actor=admin)
    _key, second = api_clients.issue_key(app, actor=admin)
    secret = api_clients.rotate_webhook_secret(app, actor=admin)
    caller(client, first)("GET", f"{URL}/XXXX-XXXX")
    caller(client, second + "x")("GET", f"{URL}/XXXX-XXXX")
    records = json.dumps(list(AuditRecord.objects.values()), default=str)
    client.force_login(admin)
    page = client.get(reverse("staff:api_client", args=[app.pk])).content.decode()
    listing = client.get(reverse("staff:api_clients")).content.decode()
    for plain in (first, second, secret):
        for where in (records, page, listing):
            assert plain not in where
            assert plain[10:30] not in where


# --- Submitting: idempotency across clients, practices --------------------------------------------
def test_one_clients_idempotency_key_never_replays_for_another_client(client, two_apps, providers):
    (a, key_a), (b, key_b) = two_apps
    first = caller(client, key_a)("POST", URL, body(), HTTP_IDEMPOTENCY_KEY="shared-key")
    assert first.status_code == 201
    other = caller(client, key_b)("POST", URL, body(), HTTP_IDEMPOTENCY_KEY="shared-key")
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert other.json()["reference"] != first.json()["reference"]
    assert Request.objects.filter(api_client=b).count() == 1
    # B's differing body under the same key is no conflict with A's either.
    third = caller(client, key_b)(
        "POST", URL, body(description="Anders"), HTTP_IDEMPOTENCY_KEY="other-key"
    )
    assert third.status_code == 201


def test_an_idempotency_key_that_differs_only_in_white_space_or_case_is_its_own(
    client, practice, providers
):
    _app, key = ApiClient.issue("app-a")
    call = caller(client, key)
    first = call("POST", URL, body(), HTTP_IDEMPOTENCY_KEY="Key-1")
    padded = call("POST", URL, body(), HTTP_IDEMPOTENCY_KEY="  Key-1  ")
    assert padded.status_code == 201 and padded["Idempotent-Replayed"] == "true"
    assert padded.json()["reference"] == first.json()["reference"]
    for bad in ("Key-1\x00", "Key-1\u202e", "Key\t-1"):
        try:
            response = call("POST", URL, body(), HTTP_IDEMPOTENCY_KEY=bad)
        except ValueError:
            continue
        assert response.status_code == 400, bad
    assert Request.objects.count() == 1


def test_an_inactive_or_look_alike_practice_code_is_refused(client, practice, providers):
    _app, key = ApiClient.issue("app-a")
    call = caller(client, key)
    for code in (
        "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17",
        "0123456",
        " 1234567",
        "01234567\n",
    ):
        response = call("POST", URL, body(practice=code))
        assert response.status_code == 400, code
    practice.active = False
    practice.save(update_fields=["active"])
    response = call("POST", URL, body())
    assert response.status_code == 400
    assert "practice" in response.json()["errors"]
    assert not Request.objects.exists()


def test_without_a_practice_a_client_reaches_no_practices_data(client, practice, providers):
    _app, key = ApiClient.issue("app-a")
    call = caller(client, key)
    response = call(
        "POST", URL, body(practice=None, practice_given=f"{practice.name}, {practice.city}")
    )
    assert response.status_code == 201
    reference = response.json()["reference"]
    item = Request.objects.get(reference=reference)
    assert item.practice_id is None and item.state == RequestState.UNROUTED
    for tail in ("/letters", "/messages", "/history", ""):
        answer = call("GET", f"{URL}/{reference}{tail}").content.decode()
        assert practice.name not in answer and practice.agb_code not in answer
    assert call("POST", f"{URL}/{reference}/messages", {"body": "Hallo"}).status_code == 409


# --- Messages -------------------------------------------------------------------------------------
def test_a_message_with_markup_is_shown_as_text_to_staff_and_patient(
    client, practice, patient, handler, providers
):
    app, key = ApiClient.issue("app-a")
    mine = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = caller(client, key)("POST", f"{URL}/{mine.reference}/messages", {"body": script})
    assert response.status_code == 201
    assert response.json()["message"]["body"] == script
    staff = Client()
    staff.force_login(handler)
    page = staff.get(f"/staff/requests/{mine.reference}/").content.decode()
    assert "&lt;script&gt;" in page
    assert script not in page


def test_unstorable_or_huge_message_bodies_are_refused_and_nothing_stored(
    client, practice, patient
):
    app, key = ApiClient.issue("app-a")
    mine = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    call = caller(client, key)
    for text in ("", "a\x00b", "\ud800", "x" * 5001):
        raw = json.dumps({"body": text})
        response = client.generic(
            "POST",
            f"{URL}/{mine.reference}/messages",
            raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )
        assert 400 <= response.status_code < 500, (text[:10], response.status_code)
    response = call("POST", f"{URL}/{mine.reference}/messages", {"body": 7})
    assert response.status_code == 400
    huge = client.generic(
        "POST",
        f"{URL}/{mine.reference}/messages",
        json.dumps({"body": "x" * 70_000}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert huge.status_code == 413
    assert not RequestMessage.objects.exists()


def test_messages_count_against_the_clients_quota(client, practice, patient, providers):
    app, key = ApiClient.issue("app-a", per_minute=2)
    mine = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    call = caller(client, key)
    codes = [
        call("POST", f"{URL}/{mine.reference}/messages", {"body": f"Bericht {i}"}).status_code
        for i in range(4)
    ]
    assert codes == [201, 201, 429, 429]
    assert RequestMessage.objects.count() == 2


def test_a_merged_request_takes_no_withdrawal(client, practice, patient, handler, providers):
    from requests_app.lifecycle import perform_transition

    app, key = ApiClient.issue("app-a")
    first = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    again = forwarded(
        submit(practice, patient, channel=Channel.APP, api_client=app, description="nog eens")
    )
    again = Request.objects.get(pk=again.pk)
    if again.duplicate_of_id != first.pk:
        pytest.fail("the second request was not linked as a duplicate")
    perform_transition(again, "merge", actor=handler)
    response = caller(client, key)("POST", f"{URL}/{again.reference}/withdraw")
    assert response.status_code == 409
    assert Request.objects.get(pk=again.pk).state == RequestState.MERGED


# --- Letters ----------------------------------------------------------------------
def test_letter_keys_of_another_request_or_bent_ones_are_404s(client, practice, patient):
    app, key = ApiClient.issue("app-a")
    mine = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    other = forwarded(
        submit(practice, patient, channel=Channel.APP, api_client=app, kind="erasure")
    )
    call = caller(client, key)
    theirs = call("GET", f"{URL}/{other.reference}/letters").json()["letters"]
    assert theirs
    bent = [
        theirs[0]["key"],
        "receipt-99999999999999999999999",
        "receipt--1",
        "receipt-1e3",
        "receipt-\u0661",
        "..%2F..%2Fetc%2Fpasswd",
        "receipt-" + "9" * 5000,
        "%2e%2e",
    ]
    for letter_key in bent:
        response = call("GET", f"{URL}/{mine.reference}/letters/{letter_key}")
        assert response.status_code == 404, (letter_key[:40], response.status_code)
        assert response["Content-Type"].startswith("application/json")


# --- Webhook events -------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_no_event_body_says_anything_about_the_patient(
    practice, patient, handler, app_client, receiver, providers
):
    from workflows.casework import actions
    from workflows.casework import patients as patient_work

    item = forwarded(
        submit_from_app(
            practice, patient, app_client, description="Mijn diabetes dossier alstublieft"
        )
    )
    item = actions.act(item, "acknowledge", actor=handler, version=item.version)
    patient_work.withdraw(item, patient=patient_work.account_for(item.patient_email))
    assert receiver.deliveries
    for delivery in receiver.deliveries:
        text = delivery.body.decode()
        for private in (patient.name, patient.email, patient.phone, "diabetes", "Jansen"):
            assert private not in text
        event = json.loads(text)
        assert set(event) == {"id", "type", "created", "api_version", "data"}
        assert set(event["data"]) <= {"reference", "state", "previous_state", "occurred_at"}


# --- Webhook addresses that lead inward -----------------------------------------------------------
INWARD = [
    "https://127.0.0.1/hook",
    "https://127.1/hook",
    "https://2130706433/hook",
    "https://0x7f000001/hook",
    "https://017700000001/hook",
    "https://0/hook",
    "https://[::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:7f00:1]/hook",
    "https://[0:0:0:0:0:ffff:a9fe:a9fe]/hook",
    "https://[::7f00:1]/hook",  # IPv4-compatible (deprecated) form of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 around the metadata service
    "https://[2002:a9fe:a9fe::]/hook",  # 6to4 around it
    "https://[fe80::1%25eth0]/hook",
    "https://[fd00:ec2::254]/hook",  # a cloud's IPv6 metadata service
    "https://169.254.169.254/latest/meta-data/",
    "https://100.100.100.200/hook",  # another cloud's metadata service (shared space)
    "https://192.0.0.192/hook",  # IETF protocol block (a cloud's old metadata service)
    "https://[fec0::1]/hook",  # site-local: this site's own network
    "https://localhost/hook",
    "https://localhost./hook",
    "https://inward.example/hook",
    "https://mixed.example/hook",
    "https://mapped.example/hook",
    "https://user:pw@public.example/hook",
    "https://public.example\\@127.0.0.1/hook",
    "http://public.example/hook",
    "ftp://public.example/hook",
]


@pytest.fixture
def inward_dns(dns, settings):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("public.example", "93.184.216.34")
    dns.add("inward.example", "10.0.0.5")
    dns.add("mixed.example", "93.184.216.34", "127.0.0.1")
    dns.add("mapped.example", "::ffff:169.254.169.254")
    return dns


@pytest.mark.parametrize("url", INWARD)
def test_no_webhook_address_that_leads_inward_is_accepted(inward_dns, url):
    from django.core.exceptions import ValidationError

    from workflows.onboarding import api_clients

    app, _key = ApiClient.issue("app-a")
    with pytest.raises(ValidationError):
        api_clients.set_webhook(app, url, actor_label="test")
    assert ApiClient.objects.get(pk=app.pk).webhook_url == ""


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::ffff:127.0.0.1",
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::a9fe:a9fe",  # IPv4-compatible 169.254.169.254
        "::ffff:0:a9fe:a9fe",  # IPv4-translated 169.254.169.254
        "64:ff9b:1::a9fe:a9fe",  # local-use NAT64
        "192.0.0.192",
        "fec0::1",
        "5f00::1",  # reserved (SRv6 SIDs): never the public internet
    ],
)
def test_a_name_whose_dns_turned_inward_after_the_check_is_not_posted_to(inward_dns, address):
    """The rule at send time (a name's DNS may change after the address was accepted) refuses
    every address the rule at set time refuses."""
    from requests_app.validators import is_public_address
    from workflows.webhooks import addresses

    assert not is_public_address(address)
    inward_dns.add("turned.example", address)
    with pytest.raises(addresses.AddressRefused):
        addresses.public_address("https://turned.example/hook")


@pytest.mark.django_db(transaction=True)
def test_a_redirect_to_an_internal_host_is_not_followed(
    practice, patient, handler, app_client, receiver
):
    from workflows.models import Notification, Status, WebhookEvent

    receiver.fail_next(1, status=302)  # pointing at http://127.0.0.1:9/elsewhere
    item = forwarded(submit_from_app(practice, patient, app_client))
    event = WebhookEvent.objects.filter(request=item).order_by("pk").first()
    row = Notification.objects.filter(webhook_event=event).get()
    assert row.status == Status.PENDING  # a 3xx is retried later, never followed
    assert "302" in row.last_error
    assert all(d.path == "/hooks/privacy" for d in receiver.deliveries)


# --- Signatures -----------------------------------------------------------------------------------
def test_signatures_are_not_bypassed():
    secret, other = "whsec_" + "a" * 43, "whsec_" + "b" * 43
    body = b'{"id":"evt_1","type":"request.state_changed","data":{}}'
    now = 1_800_000_000
    good = signing.headers("evt_1", body, [secret], now)
    assert signing.verify(body, good, secret, now=now)["id"] == "evt_1"
    sig = signing.signature(secret, now, body)
    refused = [
        {signing.SIGNATURE_HEADER: f"t={now}"},  # no v1
        {signing.SIGNATURE_HEADER: f"v1={sig}"},  # no timestamp
        {signing.SIGNATURE_HEADER: f"t={now},v0={sig}"},  # another scheme
        {signing.SIGNATURE_HEADER: f"t={now},v1="},
        {signing.SIGNATURE_HEADER: f"t={now},v1={sig.upper()}"},
        {signing.SIGNATURE_HEADER: f"t={now},v1={signing.signature(other, now, body)}"},
        {signing.SIGNATURE_HEADER: f"t={now + 1},v1={sig}"},  # the timestamp moved
        {signing.SIGNATURE_HEADER: f"t={now},t={now + 1},v1={sig}"},
        {
            signing.SIGNATURE_HEADER: f"t={now},v1={sig}",
            signing.TIMESTAMP_HEADER: str(now + 5),
        },
        {signing.SIGNATURE_HEADER: f"t=-{now},v1={sig}"},
        {},
    ]
    for headers in refused:
        with pytest.raises(signing.SignatureError):
            signing.verify(body, headers, secret, now=now)
    with pytest.raises(signing.SignatureError):
        signing.verify(body + b" ", good, secret, now=now)  # the body changed
    for late in (now + 301, now - 301, now + 10**9):
        with pytest.raises(signing.SignatureError):
            signing.verify(body, good, secret, now=late)  # a replay outside the tolerance


@pytest.mark.django_db(transaction=True)
def test_after_the_overlap_the_old_secret_signs_nothing(app_client, receiver, practice, patient):
    import datetime

    from django.utils import timezone

    old = app_client.webhook_secret
    app_client.rotate_webhook_secret(now=timezone.now() - datetime.timedelta(hours=25))
    receiver.reset()
    forwarded(submit_from_app(practice, patient, app_client))
    assert receiver.deliveries
    for delivery in receiver.deliveries:
        with pytest.raises(signing.SignatureError):
            signing.verify(delivery.body, delivery.headers, old)
        signing.verify(delivery.body, delivery.headers, app_client.webhook_secret)


# --- The delivery log across clients and roles ----------------------------------------------------
@pytest.fixture
def two_logs(practice, patient, app_client, receiver):
    other = ApiClient.issue("app-b")[0]
    other.webhook_url = receiver.url
    other.save(update_fields=["webhook_url"])
    other.rotate_webhook_secret()
    forwarded(submit_from_app(practice, patient, app_client))
    theirs = forwarded(submit_from_app(practice, patient, other, kind="erasure"))
    return app_client, other, theirs


@pytest.mark.django_db(transaction=True)
def test_one_clients_log_never_shows_or_resends_anothers_events(client, support, two_logs):
    from workflows.models import Notification, WebhookEvent

    mine, other, theirs = two_logs
    client.force_login(support)
    page = client.get(reverse("staff:webhook_deliveries", args=[mine.pk])).content.decode()
    assert theirs.reference not in page
    for event in WebhookEvent.objects.filter(client=other):
        assert event.event_id not in page
        rows = Notification.objects.count()
        url = reverse("staff:webhook_resend", args=[mine.pk, event.event_id])
        assert client.post(url).status_code == 404
        assert Notification.objects.count() == rows
        assert WebhookEvent.objects.get(pk=event.pk).resent_at is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [Role.HANDLER, Role.DPO, Role.PRACTICE_ADMIN])
def test_practice_staff_neither_read_nor_resend_a_clients_log(client, practice, role, two_logs):
    from workflows.models import Notification, WebhookEvent

    mine, _other, _theirs = two_logs
    client.force_login(make_user(f"{role}@practice.example", role, practice))
    assert client.get(reverse("staff:webhook_deliveries", args=[mine.pk])).status_code == 403
    event = WebhookEvent.objects.filter(client=mine).first()
    rows = Notification.objects.count()
    response = client.post(reverse("staff:webhook_resend", args=[mine.pk, event.event_id]))
    assert response.status_code == 403
    assert Notification.objects.count() == rows


@pytest.mark.django_db(transaction=True)
def test_a_resend_carries_the_same_event_id_and_goes_to_the_address_as_it_is_now(
    client, support, two_logs, receiver
):
    from workflows.models import WebhookEvent

    mine, _other, _theirs = two_logs
    event = WebhookEvent.objects.filter(client=mine).order_by("pk").first()
    receiver.reset()
    ApiClient.objects.filter(pk=mine.pk).update(webhook_url=receiver.url + "?moved=1")
    client.force_login(support)
    client.post(reverse("staff:webhook_resend", args=[mine.pk, event.event_id]))
    (delivery,) = receiver.deliveries
    assert delivery.header("Webhook-Id") == event.event_id
    assert json.loads(delivery.body)["id"] == event.event_id
    assert delivery.body.decode() == event.body
    assert "moved=1" in delivery.path


# --- The document and the reference page ----------------------------------------------------------
@pytest.mark.parametrize(
    "language",
    [
        "*",
        "xx",
        "nl-NL;q=abc",
        "en;q=0, nl;q=0",
        "a" * 5000,
        "zh-Hant-TW",
        ";;;",
        "\t",
        "en-",
        "-",
        "q=1",
        "nl;q=1.0000000000001",
        "../../etc",
        "en\u00e9",
    ],
)
def test_odd_accept_languages_never_break_the_document_or_the_page(client, language):
    for path in ("/api/v1/openapi.json", "/api/v1/reference", "/api/v1/nothing-here"):
        try:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
        except ValueError:
            continue
        assert response.status_code < 500, (path, language)


def test_the_document_and_the_page_tell_nothing_internal(client, settings):
    for path in ("/api/v1/openapi.json", "/api/v1/reference"):
        text = client.get(path).content.decode()
        for internal in (
            settings.SECRET_KEY,
            "/work/",
            "site-packages",
            "requests_app",
            "workflows.",
            "127.0.0.1",
            "staff/",
            "Traceback",
        ):
            assert internal not in text, (path, internal)


def test_a_long_letter_key_on_the_staff_page_is_a_404_not_a_fault(
    client, practice, patient, handler
):
    item = forwarded(submit(practice, patient))
    client.force_login(handler)
    for tail in ("", "pdf/"):
        url = f"/staff/requests/{item.reference}/letters/receipt-{'9' * 5000}/{tail}"
        assert client.get(url).status_code == 404


# --- Races against a live server ------------------------------------------------------------------
def at_once(count: int, send) -> list:
    start = threading.Barrier(count)

    def one(i):
        start.wait()
        return send(i)

    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


@pytest.mark.django_db(transaction=True)
def test_two_withdrawals_at_once_withdraw_once(live_server, practice, patient, providers):
    app, key = ApiClient.issue("app-a")
    mine = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app))
    url = f"{live_server.url}{URL}/{mine.reference}/withdraw"
    headers = {"Authorization": f"Bearer {key}"}
    codes = at_once(4, lambda i: requests.post(url, headers=headers, timeout=30).status_code)
    assert sorted(codes) == [200, 409, 409, 409], codes
    item = Request.objects.get(pk=mine.pk)
    assert item.state == RequestState.WITHDRAWN
    assert item.events.filter(action="withdraw").count() == 1


@pytest.mark.django_db(transaction=True)
def test_identical_submissions_with_one_idempotency_key_at_once_store_one(
    live_server, practice, providers
):
    _app, key = ApiClient.issue("app-a")
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Idempotency-Key": "race-1",
    }
    raw = json.dumps(body())

    def send(i):
        answer = requests.post(live_server.url + URL, data=raw, headers=headers, timeout=30)
        return answer.status_code, answer.json().get("reference")

    results = at_once(4, send)
    assert {code for code, _ref in results} == {201}, results
    assert len({ref for _code, ref in results}) == 1
    assert Request.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_revocations_of_one_key_at_once_revoke_it_once(live_server, client):
    from workflows.onboarding import api_clients

    admin = make_user("beheer@processor.example", Role.PROCESSOR_ADMIN)
    app, _key = api_clients.create_client(name="app-a", actor=admin)
    key = app.keys.get()
    client.force_login(admin)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    path = reverse("staff:api_client_key_revoke", args=[app.pk, key.pk])

    def click(i):
        session = requests.Session()
        session.cookies.update(cookies)
        session.get(live_server.url + path, timeout=30)
        token = session.cookies.get("csrftoken")
        return session.post(
            live_server.url + path,
            data={"csrfmiddlewaretoken": token},
            headers={"Referer": live_server.url + path},
            allow_redirects=False,
            timeout=30,
        ).status_code

    codes = at_once(4, click)
    assert all(code == 302 for code in codes), codes
    assert AuditRecord.objects.filter(event_type="api_client.key_revoke").count() == 1
    assert app.keys.get().revoked_at is not None
