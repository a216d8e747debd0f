"""Forwarding latency: from the API's 201 to the practice's e-mail reaching SendGrid.

What is measured
    For each of N requests submitted through the real API (gunicorn on 127.0.0.1), the time
    from the moment the client has read the 201 response (the request, its outbox rows and its
    task messages are committed/published by then) to the moment the fake SendGrid server
    recorded the first e-mail to the practice for that request (matched on the reference in the
    mail text, and on the recipient not being the patient's address). The time of the last
    practice e-mail (the demo practice has two privacy addresses) is reported as well. Both
    times are time.time() in this process: the fake provider server runs here, in a thread.

The set-up, all on 127.0.0.1
    * PostgreSQL database --db-name (default portal_bench) is dropped, recreated, migrated and
      seeded (`manage.py seed_demo`, practice AGB 01234567); an API client is created.
    * Redis database --redis-db (default 14) is flushed and used as the Celery broker.
    * The fake SendGrid/Twilio server (tests/fakes/providers.py) starts in-process.
    * gunicorn (--web-workers) serves the API; one real Celery worker subprocess
      (--pool solo|prefork|threads, --worker-concurrency) sends the messages.
    * After --warmup requests (not counted; they also prove the worker is up), --count requests
      are submitted one after the other on one keep-alive connection. By default they go
      back-to-back, so a worker that is slower than the submissions builds a queue and the
      figures show it; --rate R paces them at R/s; --closed waits until each request's
      messages have all been sent before submitting the next (unloaded latency).

Run it from the project root (small run first; the machine may be shared):
    .venv/bin/python bench/forwarding_latency.py --count 50
    .venv/bin/python bench/forwarding_latency.py --pool prefork --worker-concurrency 2
    .venv/bin/python bench/forwarding_latency.py --count 200 --rate 10
Subprocesses are stopped at the end, also on errors or Ctrl+C. Every wait has a time-out.
"""

import argparse
import http.client
import json
import math
import re
import sys
import time
import uuid

import _harness as h

sys.path.insert(0, str(h.ROOT))
from tests.fakes.providers import FakeProviders  # noqa: E402

# A request reference as requests_app.references makes them: 5 + 5 of a 30-letter alphabet.
REFERENCE = re.compile(r"\b[2-9A-HJKMNP-TV-Z]{5}-[2-9A-HJKMNP-TV-Z]{5}\b")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=500, help="requests measured (500)")
    parser.add_argument("--warmup", type=int, default=5, help="requests not counted (5)")
    parser.add_argument("--pool", choices=["solo", "prefork", "threads"], default="solo")
    parser.add_argument("--worker-concurrency", type=int, default=1, help="celery -c (1)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn -w (2)")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="submissions per second; 0 = back-to-back (0)"
    )
    parser.add_argument(
        "--closed",
        action="store_true",
        help="wait until each request's messages are all sent before submitting the next",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds to wait for outstanding e-mails after the last submission (120)",
    )
    h.add_target_args(parser, db_name="portal_bench", redis_db=14)
    args = parser.parse_args()
    if args.count < 1 or args.warmup < 0 or args.worker_concurrency < 1 or args.web_workers < 1:
        parser.error("counts must be positive")
    h.check_targets(args)
    return args


class Collector:
    """Per reference: when the practice's e-mails were recorded by the fake SendGrid."""

    def __init__(self, fake: FakeProviders) -> None:
        self.fake = fake
        self.seen = 0
        self.patient_email: dict[str, str] = {}  # reference -> patient's address
        self.practice_mail_times: dict[str, list[float]] = {}
        self.unmatched: list = []  # e-mails not (yet) attributable to a known reference

    def expect(self, reference: str, patient_email: str) -> None:
        self.patient_email[reference] = patient_email
        self.practice_mail_times.setdefault(reference, [])
        # An e-mail can be recorded before the client has read the 201: look again.
        pending, self.unmatched = self.unmatched, []
        for record in pending:
            self._attribute(record)

    def poll(self) -> None:
        emails = self.fake.emails()  # append-only, so a prefix we have seen stays the same
        for record in emails[self.seen :]:
            self._attribute(record)
        self.seen = len(emails)

    def _attribute(self, record) -> None:
        for reference in set(REFERENCE.findall(record.text)):
            patient = self.patient_email.get(reference)
            if patient is not None:
                if patient not in record.to:
                    self.practice_mail_times[reference].append(record.received_at)
                return
        self.unmatched.append(record)

    def first_mail(self, reference: str) -> float | None:
        times = self.practice_mail_times.get(reference)
        return min(times) if times else None

    def mails(self, reference: str) -> list[float]:
        return self.practice_mail_times.get(reference, [])

    def outstanding(self, references: list[str]) -> list[str]:
        return [r for r in references if not self.practice_mail_times.get(r)]


def submit(conn: http.client.HTTPConnection, api_key: str, body: dict) -> tuple[str, float, float]:
    """POST one request; returns (reference, time.time() at 201, round trip in seconds)."""
    payload = json.dumps(body).encode()
    start = time.perf_counter()
    conn.request("POST", "/api/v1/requests", body=payload, headers=h.headers(api_key))
    response = conn.getresponse()
    data = response.read()
    answered = time.time()
    round_trip = time.perf_counter() - start
    if response.status != 201:
        raise RuntimeError(f"API answered {response.status}: {data[:500]!r}")
    return json.loads(data)["reference"], answered, round_trip


def wait_for_mail(collector: Collector, references: list[str], timeout: float, worker) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        collector.poll()
        if not collector.outstanding(references):
            return True
        if time.monotonic() > deadline:
            return False
        worker.check_alive()
        time.sleep(0.01)


def wait_until_sent(db_url: str, timeout: float, worker, poll: float = 0.1) -> bool:
    """Wait until no outbox row is pending or being sent (bounded)."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(db_url, autocommit=True, connect_timeout=5) as db:
        while True:
            busy = db.execute(
                "SELECT count(*) FROM workflows_notification WHERE status IN ('pending', 'sending')"
            ).fetchone()[0]
            if busy == 0:
                return True
            if time.monotonic() > deadline:
                return False
            worker.check_alive()
            time.sleep(poll)


def run(args: argparse.Namespace) -> dict:
    run_tag = uuid.uuid4().hex[:8]
    load_before = h.host_line()
    print(f"host: {load_before}", flush=True)
    print(f"preparing database {args.db_name} ...", flush=True)
    db_url, api_key = h.prepare_database(args.pg_admin_url, args.db_name, f"bench-{run_tag}")
    broker = h.redis_url(args.redis, args.redis_db)
    flushed = h.flush_redis(broker)
    print(f"flushed Redis db {args.redis_db} ({flushed} keys)", flush=True)

    fake = FakeProviders().start()
    services: list[h.Service] = []
    tmp = h.temp_dir()
    try:
        env = h.portal_env(db_url=db_url, broker_url=broker, provider_url=fake.url)
        worker = h.start_worker(env, tmp.name, pool=args.pool, concurrency=args.worker_concurrency)
        services.append(worker)
        web, port = h.start_gunicorn(env, tmp.name, workers=args.web_workers)
        services.append(web)
        print(
            f"gunicorn on 127.0.0.1:{port} (-w {args.web_workers}), celery worker "
            f"-P {args.pool} -c {args.worker_concurrency}, fake providers at {fake.url}",
            flush=True,
        )
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        collector = Collector(fake)

        # Warm-up: imports, DB and broker connections; also proves the worker consumes.
        warm_refs = []
        for i in range(args.warmup):
            body, email = h.request_body(-1 - i, run_tag)
            reference, _t, _rt = submit(conn, api_key, body)
            collector.expect(reference, email)
            warm_refs.append(reference)
        if warm_refs and not wait_for_mail(collector, warm_refs, 90, worker):
            raise RuntimeError(f"warm-up e-mails did not arrive; worker log:\n{worker.log_tail()}")
        if not wait_until_sent(db_url, 60, worker):
            raise RuntimeError("the warm-up's messages were not all sent within 60 s")
        print(f"warm-up done ({args.warmup} requests); submitting {args.count} ...", flush=True)

        references: list[str] = []
        answered_at: dict[str, float] = {}
        round_trips: list[float] = []
        calls_before = len(fake.calls)
        started_wall = time.time()
        started = time.monotonic()
        for i in range(args.count):
            if args.rate > 0:
                delay = started + i / args.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            body, email = h.request_body(i, run_tag)
            reference, answered, round_trip = submit(conn, api_key, body)
            collector.expect(reference, email)
            references.append(reference)
            answered_at[reference] = answered
            round_trips.append(round_trip)
            if args.closed:
                # Unloaded: this request's messages are all sent before the next one comes.
                if not wait_for_mail(collector, [reference], 30, worker):
                    print(f"  no practice e-mail for {reference} within 30 s", flush=True)
                if not wait_until_sent(db_url, 30, worker, poll=0.005):
                    print(f"  outbox not drained 30 s after {reference}", flush=True)
            else:
                collector.poll()
            if (i + 1) % max(1, args.count // 10) == 0:
                print(f"  submitted {i + 1}/{args.count}", flush=True)
        submit_seconds = time.monotonic() - started
        worker.check_alive()
        complete = wait_for_mail(collector, references, args.timeout, worker)
        practice_done = time.monotonic() - started
        conn.close()
        # Let the worker finish the rest (second e-mail, SMS, patient receipt) to see its pace.
        all_sent = wait_until_sent(db_url, args.timeout, worker)
        sent_calls = [c.received_at for c in fake.calls[calls_before:]]
        # At least a millisecond, so a rate can always be worked out.
        worker_seconds = max(max(sent_calls, default=started_wall) - started_wall, 0.001)

        first = [collector.first_mail(r) - answered_at[r] for r in references if collector.mails(r)]
        last = [max(collector.mails(r)) - answered_at[r] for r in references if collector.mails(r)]
        missing = collector.outstanding(references)
        states = h.query(
            db_url, "SELECT status, count(*) FROM workflows_notification GROUP BY 1 ORDER BY 1"
        )
        queue_left = h.redis_queue_length(broker)
        return {
            "count": args.count,
            "warmup": args.warmup,
            "pool": args.pool,
            "worker_concurrency": args.worker_concurrency,
            "web_workers": args.web_workers,
            "mode": "closed" if args.closed else (f"{args.rate:g}/s" if args.rate else "open"),
            "host_before": load_before,
            "host_after": h.host_line(),
            "submit_seconds": submit_seconds,
            "practice_done_seconds": practice_done,
            "all_sent": all_sent,
            "provider_calls": len(sent_calls),
            "worker_seconds": worker_seconds,
            "complete": complete,
            "missing": missing,
            "first_practice_mail_ms": h.summarise_ms(first),
            "last_practice_mail_ms": h.summarise_ms(last),
            "api_round_trip_ms": h.summarise_ms(round_trips),
            "notification_states": dict(states),
            "queue_left": queue_left,
            "unmatched_emails": len(collector.unmatched),
            "raw_first_ms": [round(x * 1000, 3) for x in first],
        }
    except BaseException:
        for service in services:
            if service.log_tail():
                print(f"--- {service.name} log tail ---\n{service.log_tail()}", file=sys.stderr)
        raise
    finally:
        for service in reversed(services):
            service.stop()
        fake.stop()
        tmp.cleanup()
        try:
            h.flush_redis(broker)
        except Exception as exc:  # cleanup must not hide the real error
            print(f"could not flush Redis: {exc}", file=sys.stderr)


def report(result: dict) -> str:
    first, last, api = (
        result["first_practice_mail_ms"],
        result["last_practice_mail_ms"],
        result["api_round_trip_ms"],
    )
    rate = result["count"] / result["submit_seconds"] if result["submit_seconds"] else math.nan
    worker_rate = result["provider_calls"] / result["worker_seconds"]
    lines = [
        "=== forwarding latency (API 201 -> practice e-mail at fake SendGrid) ===",
        f"requests: {result['count']} (warm-up {result['warmup']}), submission: {result['mode']}, "
        f"achieved {rate:.1f} req/s",
        f"web: gunicorn -w {result['web_workers']} (sync); worker: celery -P {result['pool']} "
        f"-c {result['worker_concurrency']}",
        f"host before: {result['host_before']}",
        f"host after:  {result['host_after']}",
        "",
        f"{'':24}{'n':>6}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}   ms",
    ]
    for label, s in (
        ("first practice e-mail", first),
        ("last practice e-mail", last),
        ("API round trip (201)", api),
    ):
        lines.append(
            f"{label:<24}{s['count']:>6}{fmt(s['p50'])}{fmt(s['p95'])}{fmt(s['p99'])}{fmt(s['max'])}"
        )
    lines += [
        "",
        f"all practice e-mails arrived: {'yes' if result['complete'] else 'NO'}"
        f" (missing {len(result['missing'])}), {result['practice_done_seconds']:.1f}s after the "
        f"first submission",
        f"worker: {result['provider_calls']} provider calls (4 per request) in "
        f"{result['worker_seconds']:.1f}s = {worker_rate:.1f} messages/s; "
        f"outbox drained: {'yes' if result['all_sent'] else 'NO'}"
        + ("" if result["mode"] == "open" else " (pace set by the submissions, not the worker)"),
        f"notification rows by status: {result['notification_states']}; "
        f"messages left in the queue: {result['queue_left']}",
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
    return 0 if result["complete"] else 1


if __name__ == "__main__":
    sys.exit(main())
