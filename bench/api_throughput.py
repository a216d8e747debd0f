"""API throughput: submissions per second and their latency at a few client concurrencies.

What is measured
    POST /api/v1/requests (a valid request for the demo practice, a different patient each
    time) against gunicorn on 127.0.0.1, with CELERY_BROKER_URL pointing at Redis, so every
    submission also publishes its four task messages (two practice e-mails, an SMS, the
    patient's receipt) exactly as in production. No worker consumes them; the Redis database
    is flushed at the start and at the end. For each concurrency level (default 1 and 8) a
    warm-up is sent first (not counted), then --requests submissions shared by that many
    threads, each with its own http.client connection (kept alive when the server allows it:
    gunicorn's default sync worker answers "Connection: close", so the client reconnects for
    every request; the number of TCP connects is printed). Reported per level: requests/s
    (successful submissions over the wall time of the level), p50/p95/p99/max latency in ms
    (client-side round trip, including reconnects) and the error count (non-201 answers and
    exceptions).

The set-up, all on 127.0.0.1
    * PostgreSQL database --db-name (default portal_bench_api) is dropped, recreated, migrated
      and seeded (`manage.py seed_demo`); an API client is created.
    * Redis database --redis-db (default 13) is flushed before and after.
    * gunicorn portal.wsgi -w --workers (default 4: the requests wait on PostgreSQL and Redis
      much of the time, so a little more than the 2 cores) --worker-class (default sync).
    Note that the load generator runs on the same machine and takes CPU from the server.

Run it from the project root (small run first; the machine may be shared):
    .venv/bin/python bench/api_throughput.py --requests 200
    .venv/bin/python bench/api_throughput.py --workers 4 --concurrency 1 8
    .venv/bin/python bench/api_throughput.py --worker-class gthread --threads 2
Subprocesses are stopped at the end, also on errors or Ctrl+C. Every wait has a time-out.
"""

import argparse
import collections
import http.client
import itertools
import json
import sys
import threading
import time
import uuid

import _harness as h


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--requests", type=int, default=2000, help="measured submissions per level (2000)"
    )
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 8], help="client threads (1 8)"
    )
    parser.add_argument("--warmup", type=int, default=100, help="submissions per level (100)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn -w (4)")
    parser.add_argument(
        "--worker-class", default="sync", help="gunicorn --worker-class: sync or gthread (sync)"
    )
    parser.add_argument("--threads", type=int, default=1, help="gunicorn --threads (1)")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=600.0,
        help="stop a level after this long and mark it truncated (600)",
    )
    h.add_target_args(parser, db_name="portal_bench_api", redis_db=13)
    args = parser.parse_args()
    if args.requests < 1 or args.warmup < 0 or args.workers < 1 or args.threads < 1:
        parser.error("counts must be positive")
    if any(c < 1 or c > 256 for c in args.concurrency):
        parser.error("concurrency must be between 1 and 256")
    h.check_targets(args)
    return args


class Level:
    """One batch of submissions shared by `threads` client threads."""

    def __init__(self, port: int, api_key: str, threads: int, total: int, tag: str) -> None:
        self.port = port
        self.api_key = api_key
        self.threads = threads
        self.total = total
        self.tag = tag
        self._next = itertools.count()
        self._lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors = 0
        self.error_samples: list[str] = []
        self.statuses: collections.Counter = collections.Counter()
        self.connects = 0
        self.stop = threading.Event()

    def _take(self) -> int | None:
        with self._lock:
            i = next(self._next)
        return i if i < self.total and not self.stop.is_set() else None

    def _worker(self, barrier: threading.Barrier) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        latencies, connects, errors, samples = [], 0, 0, []
        statuses: collections.Counter = collections.Counter()
        headers = h.headers(self.api_key)
        barrier.wait(timeout=60)
        try:
            while (i := self._take()) is not None:
                body, _email = h.request_body(i, self.tag)
                payload = json.dumps(body).encode()
                if conn.sock is None:
                    connects += 1
                start = time.perf_counter()
                try:
                    conn.request("POST", "/api/v1/requests", body=payload, headers=headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    errors += 1
                    statuses[type(exc).__name__] += 1
                    if len(samples) < 3:
                        samples.append(repr(exc))
                    conn.close()
                    continue
                latencies.append(time.perf_counter() - start)
                statuses[response.status] += 1
                if response.status != 201:
                    errors += 1
                    if len(samples) < 3:
                        samples.append(f"{response.status}: {data[:200]!r}")
        finally:
            conn.close()
            with self._lock:
                self.latencies += latencies
                self.connects += connects
                self.errors += errors
                self.error_samples += samples
                self.statuses.update(statuses)

    def run(self, max_seconds: float) -> dict:
        barrier = threading.Barrier(self.threads + 1)
        threads = [
            threading.Thread(target=self._worker, args=(barrier,), daemon=True)
            for _ in range(self.threads)
        ]
        for thread in threads:
            thread.start()
        barrier.wait(timeout=60)
        started = time.perf_counter()
        deadline = time.monotonic() + max_seconds
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        truncated = any(t.is_alive() for t in threads)
        if truncated:
            self.stop.set()
            for thread in threads:
                thread.join(timeout=35)  # one request's socket time-out at most
        elapsed = time.perf_counter() - started
        ok = self.statuses.get(201, 0)
        return {
            "concurrency": self.threads,
            "requests": self.total,
            "ok": ok,
            "errors": self.errors,
            "error_samples": self.error_samples,
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "connects": self.connects,
            "elapsed_s": elapsed,
            "rps": ok / elapsed if elapsed else 0.0,
            "latency_ms": h.summarise_ms(self.latencies),
            "truncated": truncated,
        }


def run(args: argparse.Namespace) -> dict:
    run_tag = uuid.uuid4().hex[:8]
    host_before = h.host_line()
    print(f"host: {host_before}", flush=True)
    print(f"preparing database {args.db_name} ...", flush=True)
    db_url, api_key = h.prepare_database(args.pg_admin_url, args.db_name, f"bench-{run_tag}")
    broker = h.redis_url(args.redis, args.redis_db)
    print(f"flushed Redis db {args.redis_db} ({h.flush_redis(broker)} keys)", flush=True)

    tmp = h.temp_dir()
    web = None
    levels = []
    try:
        env = h.portal_env(db_url=db_url, broker_url=broker)
        web, port = h.start_gunicorn(
            env,
            tmp.name,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
        )
        print(
            f"gunicorn on 127.0.0.1:{port}: -w {args.workers} --worker-class "
            f"{args.worker_class} --threads {args.threads}",
            flush=True,
        )
        for n, concurrency in enumerate(args.concurrency):
            if args.warmup:
                warm = Level(port, api_key, concurrency, args.warmup, f"{run_tag}w{n}")
                warm_result = warm.run(120)
                if warm_result["ok"] == 0:
                    raise RuntimeError(f"warm-up failed: {warm_result['error_samples']}")
            web.check_alive()
            level = Level(port, api_key, concurrency, args.requests, f"{run_tag}c{n}")
            result = level.run(args.max_seconds)
            web.check_alive()
            levels.append(result)
            s = result["latency_ms"]
            print(
                f"  concurrency {concurrency}: {result['rps']:.1f} req/s, "
                f"p50 {h.fmt_ms(s['p50'])} ms, p99 {h.fmt_ms(s['p99'])} ms, "
                f"errors {result['errors']}",
                flush=True,
            )
        queued = h.redis_queue_length(broker)
        rows = h.query(db_url, "SELECT count(*) FROM requests_app_request")[0][0]
        return {
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads,
            "warmup": args.warmup,
            "host_before": host_before,
            "host_after": h.host_line(),
            "levels": levels,
            "queued_messages": queued,
            "request_rows": rows,
        }
    except BaseException:
        if web is not None:
            print(f"--- gunicorn log tail ---\n{web.log_tail()}", file=sys.stderr)
        raise
    finally:
        if web is not None:
            web.stop()
        tmp.cleanup()
        try:
            h.flush_redis(broker)
        except Exception as exc:  # cleanup must not hide the real error
            print(f"could not flush Redis: {exc}", file=sys.stderr)


def report(result: dict) -> str:
    lines = [
        "=== API throughput (POST /api/v1/requests, tasks published to Redis) ===",
        f"gunicorn -w {result['workers']} --worker-class {result['worker_class']} "
        f"--threads {result['threads']}; warm-up {result['warmup']} per level",
        f"host before: {result['host_before']}",
        f"host after:  {result['host_after']}",
        "",
        f"{'concurrency':>11}{'requests':>10}{'req/s':>9}{'p50':>9}{'p95':>9}{'p99':>9}"
        f"{'max':>9}{'errors':>8}{'connects':>10}",
    ]
    for level in result["levels"]:
        s = level["latency_ms"]
        lines.append(
            f"{level['concurrency']:>11}{level['requests']:>10}{level['rps']:>9.1f}"
            f"{h.fmt_ms(s['p50']):>9}{h.fmt_ms(s['p95']):>9}{h.fmt_ms(s['p99']):>9}"
            f"{h.fmt_ms(s['max']):>9}{level['errors']:>8}{level['connects']:>10}"
            + ("  TRUNCATED" if level["truncated"] else "")
        )
    lines.append("(latency in ms; req/s counts 201 answers only)")
    for level in result["levels"]:
        if level["error_samples"]:
            lines.append(
                f"errors at concurrency {level['concurrency']}: {level['statuses']} "
                f"e.g. {level['error_samples'][0]}"
            )
    lines.append(
        f"request rows stored: {result['request_rows']}; task messages queued in Redis at the "
        f"end: {result['queued_messages']} (flushed)"
    )
    return "\n".join(lines)


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
    failed = any(level["errors"] or level["truncated"] for level in result["levels"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
