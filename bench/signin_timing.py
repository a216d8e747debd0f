"""Sign-in timing: does "send me a code" or a password reset answer faster for unknown addresses?

What is measured
    The server's answer time to the POST of two forms, for an address that has an account and
    one that has none (issue 9, point 3: the look-up and the sending must run in a job after the
    answer, so the time says nothing about whether the address exists):
    * /accounts/login/code/  with a known patient address (jan.jansen@example.com, whose account
      intake made for a demo request) and with an unknown address;
    * /accounts/password/reset/  with a known staff address (handler@delinde.example) and with
      an unknown address.
    Each sample is a new visitor: a fresh session GETs the form (for the CSRF cookie and token),
    then POSTs it on a new connection that is opened before the clock starts; only the POST is
    timed (client round trip, request written to answer read). Every timed answer must be the
    normal 302 (the script stops otherwise). The four series are interleaved in one run, round
    by round (code known, code unknown, reset known, reset unknown; every other round the
    unknown address goes first), after --warmup rounds that are not counted.

    The per-address caps (3 code e-mails a minute, 3 reset links an hour) would turn all but the
    first few samples into 429s. Instead of raising them, the cache database that CACHE_URL
    points to (Redis --cache-db, which holds only those counters: sessions are in PostgreSQL) is
    flushed before each sample, outside the timed part, so every sample takes the normal path.
    After each POST the script waits, untimed, for the known address's e-mail to reach the fake
    SendGrid and for the Celery worker to be idle (no message queued or unacknowledged in the
    broker for 20 ms), so one sample's jobs do not run during the next one's POST.

    At the end it counts the e-mails the fake SendGrid received for each address: the known
    addresses must have had one each per sample (the job really ran and mailed), the unknown
    ones none.

The set-up, all on 127.0.0.1
    * PostgreSQL database --db-name (default portal_bench_signin) is dropped, recreated,
      migrated and seeded (`manage.py seed_demo`).
    * Redis database --redis-db (default 9) is the Celery broker, --cache-db (default 8) the
      cache (CACHE_URL); both are flushed at start and end.
    * The fake SendGrid/Twilio server (tests/fakes/providers.py) starts in-process.
    * gunicorn (--web-workers, default 2) with the production settings (DEBUG off, Redis cache,
      broker) and one real Celery worker subprocess (solo pool) that runs the jobs.

Run it from the project root (small run first; the machine may be shared):
    .venv/bin/python bench/signin_timing.py --count 20
    .venv/bin/python bench/signin_timing.py                 # 200 of each
Subprocesses are stopped at the end, also on errors or Ctrl+C. Every wait has a time-out.
"""

import argparse
import contextlib
import http.client
import http.cookies
import json
import re
import signal
import sys
import time
import urllib.parse

import _harness as h

sys.path.insert(0, str(h.ROOT))
from tests.fakes.providers import FakeProviders  # noqa: E402

CODE_PATH = "/accounts/login/code/"
RESET_PATH = "/accounts/password/reset/"
# seed_demo: intake made a patient account for each demo request's address; USERS are staff.
KNOWN_PATIENT = "jan.jansen@example.com"
UNKNOWN_PATIENT = "jan.jansens@example.com"
KNOWN_STAFF = "handler@delinde.example"
UNKNOWN_STAFF = "handler@delindes.example"
SERIES = [
    ("code", "known", CODE_PATH, KNOWN_PATIENT),
    ("code", "unknown", CODE_PATH, UNKNOWN_PATIENT),
    ("reset", "known", RESET_PATH, KNOWN_STAFF),
    ("reset", "unknown", RESET_PATH, UNKNOWN_STAFF),
]
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="timed POSTs per series (200)")
    parser.add_argument("--warmup", type=int, default=5, help="rounds not counted (5)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn -w (2)")
    parser.add_argument("--cache-db", type=int, default=8, help="Redis db for CACHE_URL (8)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the worker (60)"
    )
    h.add_target_args(parser, db_name="portal_bench_signin", redis_db=9)
    args = parser.parse_args()
    if args.count < 1 or args.warmup < 0 or args.web_workers < 1:
        parser.error("counts must be positive")
    h.check_targets(args)
    h.check_redis_db(args.cache_db)
    if args.cache_db == args.redis_db:
        parser.error("--cache-db must differ from --redis-db (it is flushed before each sample)")
    return args


def new_visitor(port: int, path: str) -> tuple[str, str]:
    """GET the form in a fresh session; returns (Cookie header, CSRF form token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read().decode(errors="replace")
    finally:
        conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}: {body[:300]!r}")
    jar = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    token = CSRF_FIELD.search(body)
    if token is None or "csrftoken" not in jar:
        raise RuntimeError(f"GET {path} gave no CSRF cookie and token")
    return "; ".join(f"{name}={m.value}" for name, m in jar.items()), token.group(1)


def timed_post(port: int, path: str, cookie: str, token: str, address: str) -> float:
    """POST the form; returns the round trip in seconds. Anything but a 302 stops the run."""
    payload = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": address}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.connect()  # outside the clock
        start = time.perf_counter()
        conn.request("POST", path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    if response.status != 302:
        raise RuntimeError(f"POST {path} ({address}) answered {response.status}: {data[:300]!r}")
    return elapsed


def wait_idle(broker, worker: h.Service, timeout: float, *, quiet: float = 0.02) -> None:
    """Until nothing is queued or being worked on, for `quiet` seconds on end. (The worker
    acknowledges late, so a running job's message stays in kombu's `unacked` hash until it is
    done; between the worker's BRPOP and that hash there is a moment when it is in neither.)"""
    deadline = time.monotonic() + timeout
    idle_since = None
    while True:
        now = time.monotonic()
        if broker.llen("celery") or broker.hlen("unacked"):
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= quiet:
            return
        if now > deadline:
            raise RuntimeError(f"the worker was not idle within {timeout:.0f}s")
        worker.check_alive()
        time.sleep(0.002)


def wait_for_mail(fake: FakeProviders, address: str, count: int, worker, timeout: float) -> None:
    """Until the fake SendGrid has received `count` e-mails to `address`."""
    deadline = time.monotonic() + timeout
    while sum(address in e.to for e in fake.emails()) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"e-mail {count} to {address} did not arrive within {timeout:.0f}s")
        worker.check_alive()
        time.sleep(0.002)


@contextlib.contextmanager
def signals_deferred():
    """Hold SIGTERM and SIGINT while subprocesses are started or stopped, so that none is left
    running without an owner to stop it; a signal that came meanwhile takes effect right after."""
    caught: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: caught.append(number))
    try:
        yield
    finally:
        h.stop_on_signals()
        if caught:
            raise KeyboardInterrupt(f"signal {caught[0]}")


def run(args: argparse.Namespace) -> dict:
    import redis

    host_before = h.host_line()
    print(f"host: {host_before}", flush=True)
    print(f"preparing database {args.db_name} ...", flush=True)
    h.recreate_database(args.pg_admin_url, args.db_name)
    db_url = h.database_url(args.pg_admin_url, args.db_name)
    seed_env = h.portal_env(db_url=db_url)
    h.manage(seed_env, "migrate", "--noinput", "-v0")
    h.manage(seed_env, "seed_demo")
    broker_url = h.redis_url(args.redis, args.redis_db)
    cache_url = h.redis_url(args.redis, args.cache_db)
    for name, url in (("broker", broker_url), ("cache", cache_url)):
        print(f"flushed Redis {name} {url} ({h.flush_redis(url)} keys)", flush=True)

    fake = FakeProviders().start()
    services: list[h.Service] = []
    clients = []
    tmp = h.temp_dir()
    try:
        broker = redis.Redis.from_url(broker_url, socket_timeout=5, socket_connect_timeout=5)
        cache = redis.Redis.from_url(cache_url, socket_timeout=5, socket_connect_timeout=5)
        clients += [broker, cache]
        env = h.portal_env(db_url=db_url, broker_url=broker_url, provider_url=fake.url)
        env["CACHE_URL"] = cache_url
        with signals_deferred():
            worker = h.start_worker(env, tmp.name, pool="solo", concurrency=1)
            services.append(worker)
            web, port = h.start_gunicorn(env, tmp.name, workers=args.web_workers)
            services.append(web)
        print(
            f"gunicorn on 127.0.0.1:{port} (-w {args.web_workers}), celery worker -P solo, "
            f"fake providers at {fake.url}",
            flush=True,
        )

        asked = dict.fromkeys((a for _k, _w, _p, a in SERIES), 0)

        def sample(path: str, address: str, known: bool) -> float:
            cache.flushdb()  # the per-address caps start afresh: the normal path, not the 429
            cookie, token = new_visitor(port, path)
            elapsed = timed_post(port, path, cookie, token, address)
            asked[address] += 1
            if known:  # its mail is the surest sign that this sample's jobs are done
                wait_for_mail(fake, address, asked[address], worker, args.timeout)
            wait_idle(broker, worker, args.timeout)
            return elapsed

        def mails_to() -> dict[str, int]:
            emails = fake.emails()
            return {a: sum(a in e.to for e in emails) for _k, _w, _p, a in SERIES}

        times: dict[str, list[float]] = {f"{kind} {who}": [] for kind, who, _p, _a in SERIES}
        rounds = args.warmup + args.count
        before = mails_to()  # the warm-up's mails are all in once its last sample is idle
        for i in range(rounds):
            for kind in ("code", "reset"):
                pair = [s for s in SERIES if s[0] == kind]
                for _kind, who, path, address in pair if i % 2 == 0 else reversed(pair):
                    elapsed = sample(path, address, who == "known")
                    if i >= args.warmup:
                        times[f"{kind} {who}"].append(elapsed)
            if i + 1 == args.warmup:
                before = mails_to()
                print(f"warm-up done ({args.warmup} rounds)", flush=True)
            elif i >= args.warmup and (i + 1 - args.warmup) % max(1, args.count // 5) == 0:
                print(f"  {i + 1 - args.warmup}/{args.count} rounds", flush=True)
        web.check_alive()
        worker.check_alive()

        after = mails_to()
        return {
            "count": args.count,
            "warmup": args.warmup,
            "web_workers": args.web_workers,
            "host_before": host_before,
            "host_after": h.host_line(),
            "series": {name: h.summarise_ms(values) for name, values in times.items()},
            "addresses": {f"{k} {w}": a for k, w, _p, a in SERIES},
            "emails": {a: after[a] - before[a] for a in after},  # in the timed rounds
            "raw_ms": {name: [round(v * 1000, 3) for v in vs] for name, vs in times.items()},
        }
    except BaseException:
        for service in services:
            if service.log_tail():
                print(f"--- {service.name} log tail ---\n{service.log_tail()}", file=sys.stderr)
        raise
    finally:
        with signals_deferred():
            for service in reversed(services):
                service.stop()
            fake.stop()
            tmp.cleanup()
            for client in clients:
                client.close()
            for url in (broker_url, cache_url):
                try:
                    h.flush_redis(url)
                except Exception as exc:  # cleanup must not hide the real error
                    print(f"could not flush Redis {url}: {exc}", file=sys.stderr)


def mails_as_expected(result: dict) -> bool:
    """One e-mail per timed sample to each known address, none to the unknown ones."""
    return all(
        result["emails"][address] == (0 if name.endswith("unknown") else result["count"])
        for name, address in result["addresses"].items()
    )


def report(result: dict) -> str:
    s = result["series"]
    lines = [
        "=== sign-in timing: known vs unknown address (POST answer, client round trip) ===",
        f"{result['count']} timed POSTs per series, interleaved, after {result['warmup']} "
        f"warm-up rounds; gunicorn -w {result['web_workers']} (sync), celery -P solo",
        f"host before: {result['host_before']}",
        f"host after:  {result['host_after']}",
        "",
        f"{'series':<16}{'address':<28}{'n':>5}{'p50':>8}{'p95':>8}{'mean':>8}{'max':>8}   ms",
    ]
    for name, address in result["addresses"].items():
        v = s[name]
        lines.append(
            f"{name:<16}{address:<28}{v['count']:>5}{h.fmt_ms(v['p50']):>8}"
            f"{h.fmt_ms(v['p95']):>8}{h.fmt_ms(v['mean']):>8}{h.fmt_ms(v['max']):>8}"
        )
    lines.append("")
    for kind, label in (("code", "send me a code"), ("reset", "password reset")):
        known, unknown = s[f"{kind} known"], s[f"{kind} unknown"]
        lines.append(
            f"{label}: median known - unknown = {known['p50'] - unknown['p50']:+.2f} ms "
            f"(mean {known['mean'] - unknown['mean']:+.2f} ms)"
        )
    lines.append("")
    lines.append(
        f"e-mails the fake SendGrid received during the timed rounds (expected {result['count']} "
        "for each known address, 0 for each unknown one):"
    )
    for name, address in result["addresses"].items():
        lines.append(f"  {name:<14}{address:<28}{result['emails'][address]:>5}")
    lines.append(f"mail counts as expected: {'yes' if mails_as_expected(result) else 'NO'}")
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
    return 0 if mails_as_expected(result) else 1


if __name__ == "__main__":
    sys.exit(main())
