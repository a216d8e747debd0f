"""Quotas per API client: a leaked key creates at most the client's quota of requests per minute
and per day, however many it sends at once; the rest get 429 with Retry-After and change
nothing. Counted in Redis, as in production, against a live server with parallel threads."""

import json
import os
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.core.management import CommandError, call_command

from requests_app.models import ApiClient, Request
from tests.environment import IN_CI
from tests.payloads import URL, body
from workflows import counters
from workflows.models import Notification

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture
def redis_cache(settings):
    """The cache of production: Redis, shared by every thread of the live server."""
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("TEST_REDIS_URL must be set in CI")
        pytest.skip("TEST_REDIS_URL is not set (scripts/test sets it)")
    from django.core.cache import cache

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    cache.clear()
    yield cache
    cache.clear()


def wait_for_a_fresh_minute(margin: float = 8.0) -> None:
    """A burst must fall in one clock minute (the window) to count against one quota."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)


def burst(base_url: str, key: str, count: int, **headers) -> list[tuple[int, dict, dict]]:
    """`count` submissions sent at the same moment, each for another address (as the attacker
    with a leaked key does); returns (status, headers, body) per call."""
    start = threading.Barrier(count)
    results = []
    lock = threading.Lock()

    def send(i: int) -> None:
        data = json.dumps(body(patient={"email": f"stranger{i}@example.com"})).encode()
        call = urllib.request.Request(
            base_url + URL,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {key}",
                **headers,
            },
        )
        start.wait()
        try:
            with urllib.request.urlopen(call, timeout=60) as response:  # noqa: S310 (test server)
                result = (response.status, dict(response.headers), json.loads(response.read()))
        except urllib.error.HTTPError as error:
            result = (error.code, dict(error.headers), json.loads(error.read()))
        with lock:
            results.append(result)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_submissions_beyond_the_minute_quota_are_refused_exactly(
    live_server, redis_cache, practice, providers
):
    client, key = ApiClient.issue("leaked-app", per_minute=4, per_day=1000)
    wait_for_a_fresh_minute()
    results = burst(live_server.url, key, 12)
    statuses = sorted(status for status, _h, _b in results)
    assert statuses == [201] * 4 + [429] * 8
    for status, headers, data in results:
        if status == 429:
            assert "rate_limit" in data["errors"]
            assert 1 <= int(headers["Retry-After"]) <= 60
            assert "no-store" in headers["Cache-Control"]
    assert Request.objects.filter(api_client=client).count() == 4
    assert redis_cache._cache.get_client().keys("*quota:api-client*")  # counted in Redis
    receipts = Notification.objects.filter(recipient__startswith="stranger")
    assert receipts.count() == 4  # no mail to the other eight strangers


@pytest.mark.django_db(transaction=True)
def test_parallel_submissions_beyond_the_day_quota_are_refused_exactly(
    live_server, redis_cache, practice, providers
):
    client, key = ApiClient.issue("leaked-app", per_minute=1000, per_day=5)
    results = burst(live_server.url, key, 12)
    assert sorted(status for status, _h, _b in results) == [201] * 5 + [429] * 7
    until_midnight_utc = 86_400 - time.time() % 86_400
    for status, headers, _data in results:
        if status == 429:
            assert abs(int(headers["Retry-After"]) - until_midnight_utc) <= 5
    assert Request.objects.filter(api_client=client).count() == 5
    # Another client has its own quota.
    _other, other_key = ApiClient.issue("other-app", per_minute=1000, per_day=5)
    assert sorted(s for s, _h, _b in burst(live_server.url, other_key, 3)) == [201] * 3


@pytest.mark.django_db(transaction=True)
def test_retries_of_a_stored_submission_do_not_use_the_quota(client, practice, providers):
    api_client, key = ApiClient.issue("app", per_minute=1000, per_day=2)

    def post(idempotency_key: str, email: str = "jan@example.com"):
        return client.post(
            URL,
            json.dumps(body(patient={"email": email})),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            HTTP_IDEMPOTENCY_KEY=idempotency_key,
        )

    first = post("k1")
    assert first.status_code == 201
    for _ in range(3):
        again = post("k1")
        assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert post("k2", "piet@example.com").status_code == 201
    users, notifications = _counts()
    refused = post("k3", "kees@example.com")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "rate_limit" in refused.json()["errors"]
    assert _counts() == (users, notifications)  # a refusal changes nothing
    assert post("k1").status_code == 201  # a retry still gets its answer after the quota is used
    assert Request.objects.filter(api_client=api_client).count() == 2


def _counts():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.count(), Notification.objects.count()


def test_retry_after_is_the_time_until_the_window_frees(db):
    minute_start = 1_800_000_000 - 1_800_000_000 % 60
    now = minute_start + 45.5
    windows = [(60, 2), (86_400, 100)]
    assert counters.take("t", "c", windows, now=now) is None
    assert counters.take("t", "c", windows, now=now) is None
    assert counters.take("t", "c", windows, now=now) == 15
    assert counters.take("t", "c", windows, now=now + 14) == 1
    assert counters.take("t", "c", windows, now=minute_start + 60) is None  # a new minute
    day_start = minute_start - minute_start % 86_400
    assert counters.take("t", "d", [(86_400, 1)], now=day_start + 3600) is None
    assert counters.take("t", "d", [(86_400, 1)], now=day_start + 3600) == 82_800


@pytest.mark.django_db
def test_quotas_are_set_per_client_when_it_is_created(capsys):
    call_command("create_api_client", "default-app")
    default = ApiClient.objects.get(name="default-app")
    assert (default.per_minute, default.per_day) == (60, 2000)
    call_command("create_api_client", "busy-app", "--per-minute", "120", "--per-day", "5000")
    busy = ApiClient.objects.get(name="busy-app")
    assert (busy.per_minute, busy.per_day) == (120, 5000)
    assert "120 submissions a minute" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("create_api_client", "broken-app", "--per-day", "0")
    assert not ApiClient.objects.filter(name="broken-app").exists()
