"""The real thing: PostgreSQL, Redis as the broker and a Celery worker in its own process."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from requests_app.models import ApiClient, Request, RequestState
from tests.environment import IN_CI, use_broker
from tests.factories import submit, submit_from_app
from workflows.casework import actions
from workflows.models import AttemptOutcome, WebhookEvent
from workflows.webhooks import signing

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
WORKER_ARGS = [
    sys.executable,
    "-m",
    "celery",
    "-A",
    "portal",
    "worker",
    "-P",
    "solo",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "-l",
    "warning",
]

pytestmark = [pytest.mark.integration]
if not REDIS_URL and not IN_CI:
    pytestmark.append(pytest.mark.skip(reason="TEST_REDIS_URL is not set (scripts/test sets it)"))


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        if IN_CI:
            pytest.fail("the integration test needs PostgreSQL (DATABASE_URL)")
        pytest.skip("the integration test needs PostgreSQL")
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_worker(providers, broker: str, **output) -> subprocess.Popen:
    """A worker process on the test database and broker, sending to the fake providers."""
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "SENDGRID_API_KEY": "SG.test-key",
        "SENDGRID_API_HOST": providers.url,
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "test-token",
        "TWILIO_FROM_NUMBER": "+3197010000000",
        "TWILIO_API_BASE_URL": providers.url,
        "DB_CONN_MAX_AGE": "0",
        # Webhooks go to the tests' receiver on this machine.
        "WEBHOOK_ALLOW_LOCAL": "1",
    }
    output = output or {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
    return subprocess.Popen(WORKER_ARGS, cwd=ROOT, env=env, **output)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def broker():
    if not REDIS_URL:
        pytest.fail("TEST_REDIS_URL must be set in CI")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    use_broker(REDIS_URL)
    yield REDIS_URL
    use_broker(None)


@pytest.fixture
def worker(broker, providers, transactional_db):
    process = start_worker(providers, broker)
    yield process
    stop(process)


def wait_until(check, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def state_of(item: Request) -> str:
    return Request.objects.get(pk=item.pk).state


def test_worker_forwards_a_committed_request_to_the_practice(practice, patient, providers, worker):
    item = submit(practice, patient)
    forwarded = wait_until(lambda: state_of(item) == RequestState.FORWARDED)
    output = "" if forwarded else worker.stdout.read1().decode(errors="replace")
    assert forwarded, f"not forwarded; worker said:\n{output}"
    calls = providers.wait_for(lambda calls: len(calls) >= 4)
    recipients = sorted(r for m in calls if m.service == "sendgrid" for r in m.to)
    assert recipients == sorted([*practice.privacy_emails(), patient.email])
    assert [s.to for s in providers.sms()] == [[practice.dpo_phone]]
    time.sleep(0.3)
    assert len(providers.calls) == 4  # nothing sent twice


def test_request_submitted_while_the_worker_is_down_is_forwarded_when_it_returns(
    practice, patient, providers, broker, worker
):
    stop(worker)
    item = submit(practice, patient)
    time.sleep(0.5)
    assert state_of(item) == RequestState.RECEIVED
    # The task waits in Redis; a new worker picks it up.
    again = start_worker(providers, broker, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_until(lambda: state_of(item) == RequestState.FORWARDED)
    finally:
        stop(again)


def test_worker_posts_a_state_change_to_the_clients_webhook(
    practice, patient, handler, providers, app_client, receiver, worker
):
    item = submit_from_app(practice, patient, app_client)
    assert wait_until(lambda: state_of(item) == RequestState.FORWARDED)
    item = Request.objects.get(pk=item.pk)
    actions.act(item, "acknowledge", actor=handler, version=item.version)

    def acknowledged(deliveries) -> bool:
        return any(d.event["data"]["state"] == RequestState.IN_REVIEW for d in deliveries)

    deliveries = receiver.wait_for(acknowledged, timeout=20)
    output = "" if acknowledged(deliveries) else worker.stdout.read1().decode(errors="replace")
    assert acknowledged(deliveries), f"no event arrived; worker said:\n{output}"
    delivery = deliveries[-1]
    secret = ApiClient.objects.get(pk=app_client.pk).webhook_secret
    event = signing.verify(delivery.body, delivery.headers, secret)
    assert event["type"] == "request.state_changed"
    assert event["data"]["previous_state"] == RequestState.FORWARDED
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert wait_until(lambda: stored.attempts.filter(outcome=AttemptOutcome.DELIVERED).exists())
