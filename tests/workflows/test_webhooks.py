"""Webhooks to the API client that submitted a request: signed like Stripe's and GitHub's, one
event per cause with references and states only, delivered through the outbox (retried with
back-off, failed for good at the end), each event with one id on every delivery."""

import datetime
import json
import re
import time

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from requests_app.models import ApiClient, AuditRecord, Request
from requests_app.models import RequestState as S
from tests.factories import (
    released_package,
    submit,
    submit_from_app,
    webhook_client,
)
from tests.fakes.webhook_receiver import WebhookReceiver
from workflows.assistance import packages
from workflows.casework import actions, patients
from workflows.messaging import outbox
from workflows.models import (
    AttemptOutcome,
    EventType,
    Notification,
    Status,
    WebhookEvent,
)
from workflows.webhooks import deliveries, signing
from workflows.webhooks.addresses import is_public

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.7\n1 0 obj << /Title (Uitslag) >> endobj\n%%EOF\n"


def do(item: Request, action: str, actor, **fields) -> Request:
    item = Request.objects.get(pk=item.pk)
    return actions.act(item, action, actor=actor, version=item.version, **fields)


def fresh(item: Request) -> Request:
    return Request.objects.get(pk=item.pk)


def told(receiver) -> list[tuple[str, str, str]]:
    """What the receiver was told, in order: (type, previous state, state)."""
    return [
        (e["type"], e["data"].get("previous_state", ""), e["data"]["state"])
        for e in receiver.events()
    ]


def types(receiver) -> list[str]:
    return [e["type"] for e in receiver.events()]


def row_of(event: WebhookEvent) -> Notification:
    return event.deliveries.order_by("pk").first()


def retry_now(row: Notification) -> None:
    """The retry's time has come: the sweep (beat, every minute) offers the row again."""
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    outbox.sweep()


def in_review(practice, patient, client, handler) -> Request:
    """The app's request, forwarded (its practice's e-mail sent) and acknowledged."""
    item = submit_from_app(practice, patient, client)
    assert fresh(item).state == S.FORWARDED
    return do(item, "acknowledge", handler)


# --- Signing and verification -----------------------------------------------------------------
def test_a_delivery_is_signed_with_the_clients_secret_and_verifies(
    practice, patient, handler, app_client, receiver
):
    in_review(practice, patient, app_client, handler)
    delivery = receiver.deliveries[0]
    secret = ApiClient.objects.get(pk=app_client.pk).webhook_secret

    event = signing.verify(delivery.body, delivery.headers, secret)

    assert event["id"] == delivery.header("Webhook-Id") and event["id"].startswith("evt_")
    stamp = int(delivery.header("Webhook-Timestamp"))
    assert abs(stamp - time.time()) < 60
    assert delivery.header("Webhook-Signature").startswith(f"t={stamp},v1=")
    assert delivery.header("Content-Type") == "application/json"


def test_a_tampered_body_a_wrong_secret_and_an_old_or_future_timestamp_are_refused(
    practice, patient, handler, app_client, receiver
):
    in_review(practice, patient, app_client, handler)
    delivery = receiver.deliveries[0]
    secret = ApiClient.objects.get(pk=app_client.pk).webhook_secret
    stamp = int(delivery.header("Webhook-Timestamp"))
    tampered = delivery.body.replace(b'"state":"forwarded"', b'"state":"refused"')
    assert tampered != delivery.body

    with pytest.raises(signing.SignatureError, match="no signature matches"):
        signing.verify(tampered, delivery.headers, secret)
    with pytest.raises(signing.SignatureError, match="no signature matches"):
        signing.verify(delivery.body, delivery.headers, "whsec_someone-elses")
    with pytest.raises(signing.SignatureError, match="too old or in the future"):
        signing.verify(delivery.body, delivery.headers, secret, now=stamp + 301)
    with pytest.raises(signing.SignatureError, match="too old or in the future"):
        signing.verify(delivery.body, delivery.headers, secret, now=stamp - 301)
    assert signing.verify(delivery.body, delivery.headers, secret, tolerance=600, now=stamp + 301)
    with pytest.raises(signing.SignatureError, match="no signature"):
        signing.verify(delivery.body, {}, secret)
    # A replay with a fresh timestamp but the old signature does not match either.
    replayed = dict(delivery.headers)
    replayed["Webhook-Signature"] = replayed["Webhook-Signature"].replace(
        f"t={stamp}", f"t={stamp + 400}"
    )
    replayed["Webhook-Timestamp"] = str(stamp + 400)
    with pytest.raises(signing.SignatureError, match="no signature matches"):
        signing.verify(delivery.body, replayed, secret, now=stamp + 400)


def test_the_verification_example_in_the_docs_works_on_a_real_delivery(
    practice, patient, handler, app_client, receiver
):
    page = (django_settings.BASE_DIR / "docs" / "webhooks.md").read_text()
    example = re.search(r"```python\n(.*?)```", page, re.S).group(1)
    namespace: dict = {}
    exec(example, namespace)  # noqa: S102 (our own documentation's example, run as a receiver would)
    verify_webhook = namespace["verify_webhook"]
    in_review(practice, patient, app_client, handler)
    delivery = receiver.deliveries[0]
    secret = ApiClient.objects.get(pk=app_client.pk).webhook_secret

    assert verify_webhook(delivery.body, delivery.headers, secret) == delivery.event
    with pytest.raises(ValueError, match="no signature matches"):
        verify_webhook(delivery.body + b" ", delivery.headers, secret)


def test_both_secrets_sign_during_the_rotation_overlap_and_only_the_new_one_after(
    practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    old = ApiClient.objects.get(pk=app_client.pk).webhook_secret
    client = ApiClient.objects.get(pk=app_client.pk)
    new = client.rotate_webhook_secret()
    receiver.reset()

    do(item, "acknowledge", handler)  # signed now, during the overlap
    (during,) = receiver.deliveries
    assert during.header("Webhook-Signature").count("v1=") == 2
    assert signing.verify(during.body, during.headers, old)
    assert signing.verify(during.body, during.headers, new)

    ApiClient.objects.filter(pk=client.pk).update(
        webhook_secret_rotated_at=timezone.now() - datetime.timedelta(hours=25)
    )
    do(item, "verify_identity", handler, how="Legitimatie aan de balie")
    after = receiver.deliveries[-1]
    assert after.header("Webhook-Signature").count("v1=") == 1
    assert signing.verify(after.body, after.headers, new)
    with pytest.raises(signing.SignatureError):
        signing.verify(after.body, after.headers, old)


# --- Events: one per cause, references and states only ----------------------------------------
def test_each_step_of_a_request_is_told_once_with_its_state(
    practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    assert told(receiver) == [
        ("request.state_changed", "received", "forwarded"),
        ("request.forwarded", "received", "forwarded"),
    ]
    receiver.reset()
    do(item, "acknowledge", handler)
    do(item, "verify_identity", handler, how="Legitimatie aan de balie")
    do(item, "ask_patient", handler, note="Over welke periode gaat uw verzoek?")
    patients.reply(fresh(item), patient=patients.account_for(patient.email), body="2020-2024")
    actions.write_to_patient(fresh(item), actor=handler, body="Wij zoeken het uit.")
    do(item, "grant", handler)
    assert told(receiver) == [
        ("request.state_changed", "forwarded", "in_review"),
        ("request.state_changed", "in_review", "in_progress"),
        ("request.state_changed", "in_progress", "awaiting_patient"),
        ("request.message", "", "awaiting_patient"),
        ("request.state_changed", "awaiting_patient", "in_progress"),
        ("request.message", "", "in_progress"),
        ("request.state_changed", "in_progress", "granted"),
        ("request.decided", "in_progress", "granted"),
    ]
    events = receiver.events()
    assert {e["data"]["reference"] for e in events} == {fresh(item).reference}
    assert len({e["id"] for e in events}) == len(events) == WebhookEvent.objects.count() - 2


def test_a_withdrawal_is_told(practice, patient, app_client, receiver):
    item = submit_from_app(practice, patient, app_client)
    receiver.reset()
    patients.withdraw(fresh(item), patient=patients.account_for(patient.email))
    assert told(receiver) == [
        ("request.state_changed", "forwarded", "withdrawn"),
        ("request.withdrawn", "forwarded", "withdrawn"),
    ]


def test_a_release_is_told_once_for_the_package_and_documents_together(
    in_platform, package_dir, practice, patient, handler, support, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    do(item, "acknowledge", handler)
    item = do(item, "verify_identity", handler, how="Legitimatie aan de balie")
    packages.add_document(item, actor=handler, file_name="uitslag.pdf", data=PDF)
    receiver.reset()
    released_package(fresh(item), handler, support)
    assert told(receiver) == [
        ("request.state_changed", "in_progress", "granted"),
        ("request.decided", "in_progress", "granted"),
        ("request.package_released", "", "granted"),
    ]


def test_the_practices_documents_released_alone_are_told(
    package_dir, practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    do(item, "acknowledge", handler)
    item = do(item, "verify_identity", handler, how="Legitimatie aan de balie")
    packages.add_document(item, actor=handler, file_name="uitslag.pdf", data=PDF)
    do(item, "grant", handler)
    receiver.reset()
    assert packages.release_documents(fresh(item), actor=handler) == 1
    assert told(receiver) == [("request.package_released", "", "granted")]


def test_an_event_carries_references_and_states_never_the_patient_or_the_request(
    practice, patient, handler, app_client, receiver
):
    item = submit_from_app(
        practice, patient, app_client, description="Mijn diabetesdossier en de uitslag van de MRI"
    )
    do(item, "acknowledge", handler)
    actions.write_to_patient(fresh(item), actor=handler, body="Uw MRI-uitslag is binnen.")
    bodies = [d.body.decode() for d in receiver.deliveries]
    assert len(bodies) == 4
    for body in bodies:
        event = json.loads(body)
        assert set(event) == {"id", "type", "created", "api_version", "data"}
        assert event["api_version"] == "v1"
        assert set(event["data"]) <= {"reference", "state", "previous_state", "occurred_at"}
        for private in (
            patient.name,
            "Jansen",
            patient.email,
            patient.phone,
            "1980",
            "diabetes",
            "MRI",
            practice.name,
            handler.email,
        ):
            assert private not in body
        for moment in (event["created"], event["data"]["occurred_at"]):
            assert datetime.datetime.fromisoformat(moment).tzinfo is not None


def test_nothing_is_told_for_web_requests_or_clients_without_an_address(
    practice, patient, handler, receiver
):
    web = submit(practice, patient)
    do(web, "acknowledge", handler)
    silent = webhook_client("", name="no-address")
    app = submit_from_app(practice, patient, silent, kind="erasure")
    do(app, "acknowledge", handler)
    off = webhook_client(receiver.url, name="switched-off")
    ApiClient.objects.filter(pk=off.pk).update(active=False)
    other = submit_from_app(practice, patient, off, kind="objection")
    do(other, "acknowledge", handler)
    assert WebhookEvent.objects.count() == 0 and receiver.deliveries == []


# --- Delivery: retries, a dead receiver, duplicates ---------------------------------------------
def test_a_receivers_500_is_retried_with_the_same_event_until_it_is_delivered(
    practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    receiver.reset()
    receiver.fail_next(2, status=500)
    do(item, "acknowledge", handler)
    (event,) = WebhookEvent.objects.filter(type=EventType.STATE_CHANGED).order_by("-pk")[:1]
    row = row_of(event)
    assert row.status == Status.PENDING and row.attempts == 1
    wait = row.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=5) < wait <= outbox.retry_delay(1)

    retry_now(row)
    retry_now(row)

    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 3
    ids = {d.header("Webhook-Id") for d in receiver.deliveries}
    assert ids == {event.event_id} and len(receiver.deliveries) == 3
    assert len({d.body for d in receiver.deliveries}) == 1  # the same bytes each time
    log = list(event.attempts.order_by("number"))
    assert [(a.number, a.status_code, a.outcome) for a in log] == [
        (1, 500, AttemptOutcome.RETRY),
        (2, 500, AttemptOutcome.RETRY),
        (3, 204, AttemptOutcome.DELIVERED),
    ]
    assert "500" in log[0].error and log[2].error == ""
    assert all(a.duration_ms < 5000 for a in log)
    assert deliveries.state_of(event) == deliveries.DELIVERED


def test_a_dead_receiver_is_tried_on_the_back_off_and_then_failed_for_good(
    practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    receiver.stop()
    do(item, "acknowledge", handler)
    event = WebhookEvent.objects.latest("pk")
    row = row_of(event)
    waits = []
    while True:
        row.refresh_from_db()
        if row.status != Status.PENDING:
            break
        waits.append(round((row.next_attempt_at - timezone.now()).total_seconds()))
        retry_now(row)
    assert row.status == Status.FAILED and row.attempts == outbox.MAX_ATTEMPTS
    expected = [outbox.retry_delay(n).total_seconds() for n in range(1, outbox.MAX_ATTEMPTS)]
    assert [abs(w - e) <= 2 for w, e in zip(waits, expected, strict=True)] == [True] * 7
    log = list(event.attempts.order_by("number"))
    assert [a.outcome for a in log] == [AttemptOutcome.RETRY] * 7 + [AttemptOutcome.FAILED]
    assert all(a.status_code is None and "could not connect" in a.error for a in log)
    assert deliveries.state_of(event) == deliveries.FAILED


def test_a_row_delivered_twice_carries_the_same_event_id(
    practice, patient, handler, app_client, receiver
):
    """A worker that dies after the receiver took the event, before the row was marked sent:
    after five minutes the sweep sends it again; the receiver sees the id it has."""
    item = submit_from_app(practice, patient, app_client)
    receiver.reset()
    do(item, "acknowledge", handler)
    event = WebhookEvent.objects.latest("pk")
    Notification.objects.filter(webhook_event=event).update(
        status=Status.SENDING, claimed_at=timezone.now() - outbox.CLAIM_TIMEOUT
    )
    outbox.sweep()
    first, second = receiver.deliveries
    assert first.header("Webhook-Id") == second.header("Webhook-Id") == event.event_id
    assert first.body == second.body


def test_a_redirect_is_not_followed_and_a_late_answer_is_retried(
    settings, practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    receiver.reset()
    receiver.fail_next(1, status=302)
    do(item, "acknowledge", handler)
    moved = WebhookEvent.objects.latest("pk")
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.slow_next(1, 1.0)
    retry_now(row_of(moved))
    retry_now(row_of(moved))
    log = list(moved.attempts.order_by("number"))
    assert [(a.status_code, a.outcome) for a in log] == [
        (302, AttemptOutcome.RETRY),
        (None, AttemptOutcome.RETRY),
        (204, AttemptOutcome.DELIVERED),
    ]
    assert log[1].error == "no answer within 0.3 s" and 250 <= log[1].duration_ms < 1000
    assert [d.path for d in receiver.deliveries] == ["/hooks/privacy"] * 3  # never "elsewhere"


def test_410_gone_and_a_deactivated_client_fail_at_once(
    practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    receiver.fail_next(1, status=410)
    do(item, "acknowledge", handler)
    gone = WebhookEvent.objects.latest("pk")
    assert row_of(gone).status == Status.FAILED
    assert gone.attempts.get().status_code == 410

    ApiClient.objects.filter(pk=app_client.pk).update(active=False)
    receiver.reset()
    # An event queued before the client was switched off is not sent after.
    event = WebhookEvent.objects.exclude(pk=gone.pk).latest("pk")
    again = deliveries.delivery_of(event)
    outbox.enqueue([again])
    again.refresh_from_db()
    assert again.status == Status.FAILED and again.last_error == "the API client is deactivated"
    assert receiver.deliveries == []


def test_a_new_address_and_a_rotated_secret_apply_to_events_already_queued(
    practice, patient, handler, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    receiver.reset()
    receiver.fail_next(1)
    do(item, "acknowledge", handler)
    event = WebhookEvent.objects.latest("pk")
    moved = WebhookReceiver().start()
    try:
        client = ApiClient.objects.get(pk=app_client.pk)
        client.webhook_url = moved.url
        client.save(update_fields=["webhook_url"])
        ApiClient.objects.filter(pk=client.pk).update(webhook_secret_rotated_at=None)
        secret = client.rotate_webhook_secret()
        retry_now(row_of(event))
        (delivery,) = moved.deliveries
        assert delivery.header("Webhook-Id") == event.event_id
        assert signing.verify(delivery.body, delivery.headers, secret)
    finally:
        moved.stop()
    assert len(receiver.deliveries) == 1  # only the failed first try went to the old address


# --- Sending again ------------------------------------------------------------------------------
def test_an_event_sent_again_carries_its_id_once_and_is_audited(
    practice, patient, handler, support, app_client, receiver
):
    item = submit_from_app(practice, patient, app_client)
    receiver.reset()
    do(item, "acknowledge", handler)
    event = WebhookEvent.objects.latest("pk")

    fresh_row = deliveries.resend(app_client, event.event_id, actor=support)

    fresh_row.refresh_from_db()
    assert fresh_row.status == Status.SENT and fresh_row.webhook_event == event
    first, second = receiver.deliveries
    assert first.header("Webhook-Id") == second.header("Webhook-Id") == event.event_id
    last = event.attempts.order_by("number").last()
    assert last.number == 2 and last.sent_again
    record = AuditRecord.objects.get(event_type="webhook.resend")
    assert record.user == support and record.object_id == event.event_id
    assert record.practice_id_ref == practice.pk
    with pytest.raises(deliveries.ResendRefusal):
        deliveries.resend(app_client, event.event_id, actor=support)
    assert len(receiver.deliveries) == 2


def test_only_processor_staff_send_again_and_only_a_finished_event(
    practice, patient, handler, support, app_client, receiver
):
    from django.core.exceptions import PermissionDenied

    item = submit_from_app(practice, patient, app_client)
    receiver.stop()
    do(item, "acknowledge", handler)
    event = WebhookEvent.objects.latest("pk")
    with pytest.raises(PermissionDenied):
        deliveries.resend(app_client, event.event_id, actor=handler)
    with pytest.raises(deliveries.ResendRefusal) as refused:
        deliveries.resend(app_client, event.event_id, actor=support)  # retries are under way
    assert refused.value.reason == deliveries.REFUSE_PENDING
    other = webhook_client("https://elders.example/hook", name="other-app")
    with pytest.raises(WebhookEvent.DoesNotExist):
        deliveries.resend(other, event.event_id, actor=support)
    assert not AuditRecord.objects.filter(event_type="webhook.resend").exists()


# --- Where a webhook may go (SSRF) --------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "why"),
    [
        (None, "only https addresses"),  # the receiver's own http://127.0.0.1 address
        ("https://127.0.0.1:9/hook", "not public: 127.0.0.1"),
        ("https://localhost:9/hook", "not public"),
        ("https://[::ffff:10.0.0.1]/hook", "not public"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_in_production_only_https_to_public_addresses_is_posted_to(
    settings, practice, patient, handler, app_client, receiver, url, why
):
    item = submit_from_app(practice, patient, app_client)
    receiver.reset()
    settings.WEBHOOK_ALLOW_LOCAL = False  # checked when sent, not when the event was written
    if url:
        ApiClient.objects.filter(pk=app_client.pk).update(webhook_url=url)
    do(item, "acknowledge", handler)
    event = WebhookEvent.objects.latest("pk")
    row = row_of(event)
    assert row.status == Status.FAILED and row.attempts == 1
    assert row.last_error.startswith("address refused") and why in row.last_error
    assert receiver.deliveries == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # a cloud's metadata service
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 (an address refused, nothing bound)
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", False),  # NAT64 around 10.0.0.1
        ("224.0.0.1", False),
    ],
)
def test_the_public_address_rule(address, public):
    assert is_public(address) is public


def test_a_pinned_connection_goes_to_the_checked_address_and_tls_checks_the_name(tmp_path):
    """What production relies on against DNS rebinding: the name is not resolved again (here it
    cannot be: .invalid never resolves), and the certificate must still match the name."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import requests

    from workflows.webhooks.addresses import _pinned_session

    name = "hooks.invalid"
    cert, key = _self_signed(tmp_path, name)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.send_header("X-Host-Seen", self.headers["Host"])
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        with _pinned_session("127.0.0.1") as session:
            answer = session.post(f"https://{name}:{port}/hook", data=b"{}", verify=str(cert))
        assert answer.status_code == 204 and answer.headers["X-Host-Seen"] == f"{name}:{port}"
        with _pinned_session("127.0.0.1") as session, pytest.raises(requests.exceptions.SSLError):
            session.post(f"https://other.invalid:{port}/hook", data=b"{}", verify=str(cert))
    finally:
        server.shutdown()
        server.server_close()


def _self_signed(directory, name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path
