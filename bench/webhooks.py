"""Webhook latency: from a request's change of state to the signed event at the client's receiver.

What is measured
    For each of N requests the app submitted, a handler acknowledges it (workflows.casework.
    actions.act: the guarded transition, its history row and audit record, and in the same
    transaction the webhook event and its outbox row; after commit the delivery task goes to
    Redis). A real Celery worker takes the task, reads the client's address and secrets, signs
    and POSTs the event to a local receiver (tests/fakes/webhook_receiver.py, in this process),
    which notes time.time() when the body has arrived. Reported per event:
      * state change -> receiver: from just before `act` was called to the receiver's note;
      * commit -> receiver: from `act` having returned (committed, task published);
      * the state change itself (`act`'s duration).
    Every delivery's signature is checked with the client's secret (workflows.webhooks.signing).

The set-up, all on 127.0.0.1
    * PostgreSQL database --db-name (default portal_bench_webhooks) is dropped, recreated,
      migrated and seeded (`manage.py seed_demo`: practice AGB 01234567 and its handler).
    * Redis database --redis-db (default 10) is flushed and used as the Celery broker.
    * This process runs Django itself against that database and broker; it makes an API client
      whose webhook address is the receiver, and --warmup + --count requests of that client,
      stored directly as forwarded (no intake e-mails to wait for).
    * One Celery worker subprocess (--pool, default threads, --worker-concurrency, default 4:
      sending is I/O-bound) with WEBHOOK_ALLOW_LOCAL=1.
    * The changes go one after the other: back-to-back by default (a worker slower than the
      changes builds a queue, and the figures show it); --rate R paces them at R/s; --closed
      waits for each event before the next change (unloaded latency).

Run it from the project root (small run first; the machine may be shared):
    .venv/bin/python bench/webhooks.py --count 50
    .venv/bin/python bench/webhooks.py                       # 500 events
    .venv/bin/python bench/webhooks.py --closed
"""

import argparse
import datetime
import json
import math
import os
import sys
import time

import _harness as h

sys.path.insert(0, str(h.ROOT))
from tests.fakes.webhook_receiver import WebhookReceiver  # noqa: E402

TARGET_P99_MS = 1000.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500, help="events measured (500)")
    parser.add_argument("--warmup", type=int, default=10, help="events not counted (10)")
    parser.add_argument("--pool", choices=["solo", "prefork", "threads"], default="threads")
    parser.add_argument("--worker-concurrency", type=int, default=4, help="celery -c (4)")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="state changes per second; 0 = back-to-back (0)"
    )
    parser.add_argument(
        "--closed", action="store_true", help="wait for each event before the next change"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds to wait for outstanding events after the last change (120)",
    )
    h.add_target_args(parser, db_name="portal_bench_webhooks", redis_db=10)
    args = parser.parse_args()
    if args.count < 1 or args.warmup < 0 or args.worker_concurrency < 1:
        parser.error("counts must be positive")
    h.check_targets(args)
    return args


def setup_django(db_url: str, broker: str) -> None:
    """This process talks to the bench database and publishes to the broker, as the web does."""
    env = h.portal_env(db_url=db_url, broker_url=broker)
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL", "LOG_LEVEL")}
    )
    os.environ.update(DJANGO_SETTINGS_MODULE="portal.settings", ALLOWED_HOSTS="testserver")
    import django

    django.setup()


def make_requests(client, n: int) -> list:
    """n requests of the app's client at the demo practice, already forwarded."""
    from django.utils import timezone

    from requests_app.models import Practice, Request, RequestState
    from requests_app.references import new_reference

    practice = Practice.objects.get(agb_code=h.PRACTICE_AGB)
    due = timezone.localdate() + datetime.timedelta(days=30)
    return Request.objects.bulk_create(
        [
            Request(
                reference=new_reference(),
                practice=practice,
                kind="access",
                patient_name=f"Bench Patient {i}",
                patient_email=f"bench-{i}@example.com",
                patient_birth_date=datetime.date(1980, 5, 17),
                description="Benchmark request",
                channel="app",
                api_client=client,
                state=RequestState.FORWARDED,
                forwarded_at=timezone.now(),
                response_due=due,
            )
            for i in range(n)
        ]
    )


def handler_of_demo_practice():
    from requests_app.models import Membership
    from requests_app.roles import Role

    membership = Membership.objects.select_related("user").get(
        role=Role.HANDLER, practice__agb_code=h.PRACTICE_AGB
    )
    return membership.user


class Arrivals:
    """The receiver's state_changed events by reference: when each one arrived."""

    def __init__(self, receiver: WebhookReceiver, secret: str) -> None:
        self.receiver = receiver
        self.secret = secret
        self.seen = 0
        self.at: dict[str, float] = {}
        self.bad_signatures = 0
        self.duplicates = 0

    def poll(self) -> None:
        from workflows.webhooks import signing

        deliveries = self.receiver.deliveries  # append-only
        for delivery in deliveries[self.seen : len(deliveries)]:
            self.seen += 1
            try:
                event = signing.verify(delivery.body, delivery.headers, self.secret)
            except signing.SignatureError:
                self.bad_signatures += 1
                continue
            reference = event["data"]["reference"]
            if reference in self.at:
                self.duplicates += 1
            else:
                self.at[reference] = delivery.received_at

    def wait(self, references: list[str], timeout: float, worker) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            self.poll()
            if all(r in self.at for r in references):
                return True
            if time.monotonic() > deadline:
                return False
            worker.check_alive()
            time.sleep(0.002)


def wait_until_sent(db_url: str, timeout: float, worker) -> bool:
    """Wait until no webhook row is pending or being sent (the receiver notes an event just
    before the worker marks its row sent)."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(db_url, autocommit=True, connect_timeout=5) as db:
        while True:
            busy = db.execute(
                "SELECT count(*) FROM workflows_notification "
                "WHERE medium = 'webhook' AND status IN ('pending', 'sending')"
            ).fetchone()[0]
            if busy == 0:
                return True
            if time.monotonic() > deadline:
                return False
            worker.check_alive()
            time.sleep(0.05)


def change(item, handler) -> tuple[float, float]:
    """Acknowledge `item`; returns (time.time() before, time.time() after commit)."""
    from workflows.casework import actions

    before = time.time()
    actions.act(item, "acknowledge", actor=handler, version=item.version)
    return before, time.time()


def run(args: argparse.Namespace) -> dict:
    load_before = h.host_line()
    print(f"host: {load_before}", flush=True)
    print(f"preparing database {args.db_name} ...", flush=True)
    h.recreate_database(args.pg_admin_url, args.db_name)
    db_url = h.database_url(args.pg_admin_url, args.db_name)
    env = h.portal_env(db_url=db_url)
    h.manage(env, "migrate", "--noinput", "-v0")
    h.manage(env, "seed_demo")
    broker = h.redis_url(args.redis, args.redis_db)
    flushed = h.flush_redis(broker)
    print(f"flushed Redis db {args.redis_db} ({flushed} keys)", flush=True)
    setup_django(db_url, broker)

    from requests_app.models import ApiClient

    receiver = WebhookReceiver().start()
    services: list[h.Service] = []
    tmp = h.temp_dir()
    try:
        client, _key = ApiClient.issue("bench-webhooks")
        client.webhook_url = receiver.url
        client.save(update_fields=["webhook_url"])
        secret = client.rotate_webhook_secret()
        handler = handler_of_demo_practice()
        items = make_requests(client, args.warmup + args.count)
        warm, measured = items[: args.warmup], items[args.warmup :]

        worker_env = h.portal_env(db_url=db_url, broker_url=broker) | {"WEBHOOK_ALLOW_LOCAL": "1"}
        worker = h.start_worker(
            worker_env, tmp.name, pool=args.pool, concurrency=args.worker_concurrency
        )
        services.append(worker)
        print(
            f"celery worker -P {args.pool} -c {args.worker_concurrency}; receiver at "
            f"{receiver.url}",
            flush=True,
        )
        arrivals = Arrivals(receiver, secret)
        for item in warm:  # imports, connections; also proves the worker consumes
            change(item, handler)
        if warm and not arrivals.wait([i.reference for i in warm], 90, worker):
            raise RuntimeError(f"warm-up events did not arrive; worker log:\n{worker.log_tail()}")
        print(f"warm-up done ({args.warmup} events); changing {args.count} ...", flush=True)

        started_at: dict[str, float] = {}
        committed_at: dict[str, float] = {}
        started = time.monotonic()
        for i, item in enumerate(measured):
            if args.rate > 0:
                delay = started + i / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            started_at[item.reference], committed_at[item.reference] = change(item, handler)
            if args.closed:
                if not arrivals.wait([item.reference], 30, worker):
                    print(f"  no event for {item.reference} within 30 s", flush=True)
            else:
                arrivals.poll()
            if (i + 1) % max(1, args.count // 10) == 0:
                print(f"  changed {i + 1}/{args.count}", flush=True)
        change_seconds = time.monotonic() - started
        references = [item.reference for item in measured]
        complete = arrivals.wait(references, args.timeout, worker)
        done_seconds = time.monotonic() - started
        drained = wait_until_sent(db_url, 30, worker)
        arrived = [r for r in references if r in arrivals.at]
        return {
            "count": args.count,
            "warmup": args.warmup,
            "pool": args.pool,
            "worker_concurrency": args.worker_concurrency,
            "mode": "closed" if args.closed else (f"{args.rate:g}/s" if args.rate else "open"),
            "host_before": load_before,
            "host_after": h.host_line(),
            "change_seconds": change_seconds,
            "done_seconds": done_seconds,
            "complete": complete,
            "drained": drained,
            "missing": len(references) - len(arrived),
            "bad_signatures": arrivals.bad_signatures,
            "duplicates": arrivals.duplicates,
            "from_change_ms": h.summarise_ms([arrivals.at[r] - started_at[r] for r in arrived]),
            "from_commit_ms": h.summarise_ms([arrivals.at[r] - committed_at[r] for r in arrived]),
            "change_ms": h.summarise_ms([committed_at[r] - started_at[r] for r in references]),
            "outbox": dict(
                h.query(
                    db_url,
                    "SELECT status, count(*) FROM workflows_notification "
                    "WHERE medium = 'webhook' GROUP BY 1 ORDER BY 1",
                )
            ),
        }
    except BaseException:
        for service in services:
            if service.log_tail():
                print(f"--- {service.name} log tail ---\n{service.log_tail()}", file=sys.stderr)
        raise
    finally:
        for service in reversed(services):
            service.stop()
        receiver.stop()
        tmp.cleanup()
        try:
            h.flush_redis(broker)
        except Exception as exc:  # cleanup must not hide the real error
            print(f"could not flush Redis: {exc}", file=sys.stderr)


def report(result: dict) -> str:
    rate = result["count"] / result["change_seconds"] if result["change_seconds"] else math.nan
    p99 = result["from_change_ms"]["p99"]
    lines = [
        "=== webhook latency (state change -> signed event at the local receiver) ===",
        f"events: {result['count']} (warm-up {result['warmup']}), changes: {result['mode']}, "
        f"achieved {rate:.1f} changes/s",
        f"worker: celery -P {result['pool']} -c {result['worker_concurrency']}",
        f"host before: {result['host_before']}",
        f"host after:  {result['host_after']}",
        "",
        f"{'':26}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}   ms",
    ]
    for label, s in (
        ("state change -> receiver", result["from_change_ms"]),
        ("commit -> receiver", result["from_commit_ms"]),
        ("the state change (act)", result["change_ms"]),
    ):
        lines.append(
            f"{label:<26}{s['count']:>6}{fmt(s['p50'])}{fmt(s['p95'])}{fmt(s['p99'])}{fmt(s['max'])}"
        )
    lines += [
        "",
        f"all events arrived: {'yes' if result['complete'] else 'NO'} (missing "
        f"{result['missing']}), {result['done_seconds']:.1f}s after the first change; "
        f"bad signatures: {result['bad_signatures']}, duplicates: {result['duplicates']}",
        f"webhook outbox rows by status: {result['outbox']}"
        + ("" if result["drained"] else " (not all marked sent within 30 s)"),
        f"target p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'}",
    ]
    return "\n".join(lines)


def fmt(value: float) -> str:
    return f"{h.fmt_ms(value):>9}"


def main() -> int:
    args = parse_args()
    h.stop_on_signals()
    result = run(args)
    print()
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
        print(f"raw figures written to {args.json}")
    ok = result["complete"] and result["bad_signatures"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
