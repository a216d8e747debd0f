"""Shared plumbing for the benchmark scripts in this folder (not a benchmark itself).

Everything here talks to 127.0.0.1 only: a dedicated PostgreSQL database that is dropped and
recreated, a dedicated Redis database number that is flushed, and subprocesses (gunicorn, a
Celery worker, manage.py) started in their own process group so they can be stopped by id.
"""

import contextlib
import http.client
import math
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

DEFAULT_PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379"
# The demo practice seeded by `manage.py seed_demo`: two privacy e-mail addresses and a phone.
PRACTICE_AGB = "01234567"
SECRET_KEY = "bench-only-secret-key-not-for-production-" + "x" * 20

_DB_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# --- Figures ---------------------------------------------------------------------------------
def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (NaN when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise_ms(values_s: list[float]) -> dict:
    """p50/p95/p99/max/mean in milliseconds of durations given in seconds."""
    ordered = sorted(v * 1000 for v in values_s)
    return {
        "count": len(ordered),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1] if ordered else math.nan,
        "mean": sum(ordered) / len(ordered) if ordered else math.nan,
    }


def fmt_ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}"


def host_line() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.node()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {load}"
    )


# --- Configuration of the portal processes --------------------------------------------------
def database_url(admin_url: str, db_name: str) -> str:
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + db_name))


def redis_url(base: str, db: int) -> str:
    return f"{base.rstrip('/')}/{db}"


def portal_env(*, db_url: str, broker_url: str = "", provider_url: str = "") -> dict:
    """Environment for manage.py, gunicorn and the worker. No broker: tasks run in-process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    for name in (
        "DEBUG",
        "SENDGRID_API_KEY",
        "SENDGRID_API_HOST",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_FROM_NUMBER",
        "TWILIO_API_BASE_URL",
    ):
        env.pop(name, None)
    env.update(
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=db_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="portal.settings",
        # The benchmarks measure one message per request: no flood batching, no intake limits
        # (every submission uses a fresh address anyway).
        PRACTICE_FLOOD_THRESHOLD="1000000000",
    )
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    if provider_url:
        env.update(
            SENDGRID_API_KEY="SG.bench-key",
            SENDGRID_API_HOST=provider_url,
            TWILIO_ACCOUNT_SID="AC" + "0" * 32,
            TWILIO_AUTH_TOKEN="bench-token",
            TWILIO_FROM_NUMBER="+3197010000000",
            TWILIO_API_BASE_URL=provider_url,
        )
    return env


# --- PostgreSQL and Redis ---------------------------------------------------------------------
def add_target_args(parser, *, db_name: str, redis_db: int) -> None:
    """The options both scripts share: where the database, the broker and the output go."""
    parser.add_argument("--db-name", default=db_name)
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="Redis base URL, no db")
    parser.add_argument("--redis-db", type=int, default=redis_db)
    parser.add_argument("--json", type=Path, help="also write raw figures to this JSON file")


def check_targets(args) -> None:
    check_db_name(args.db_name)
    check_redis_db(args.redis_db)


def check_db_name(name: str) -> str:
    if not _DB_NAME.match(name) or "bench" not in name:
        raise SystemExit(
            f"refusing database name {name!r}: it is dropped at start, so it must be a plain "
            "lower-case identifier containing 'bench'"
        )
    return name


def recreate_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    check_db_name(name)
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def query(db_url: str, statement: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(db_url, connect_timeout=5) as conn:
        return conn.execute(statement).fetchall()


def flush_redis(url: str) -> int:
    """Empty one Redis database; returns how many keys it held."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        keys = client.dbsize()
        client.flushdb()
        return keys
    finally:
        client.close()


def check_redis_db(db: int) -> int:
    if db <= 0:
        raise SystemExit("use a dedicated Redis database number (1-15); it is flushed")
    return db


def redis_queue_length(url: str, queue: str = "celery") -> int:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


# --- manage.py ---------------------------------------------------------------------------------
def manage(env: dict, *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def prepare_database(admin_url: str, db_name: str, client_name: str) -> tuple[str, str]:
    """Drop/create the database, migrate, seed the demo practices; return (db_url, API key).

    Seeding runs without a broker and without provider keys, so the demo requests' messages go
    to the console in-process and nothing is left queued for the benchmark to trip over.
    """
    recreate_database(admin_url, db_name)
    db_url = database_url(admin_url, db_name)
    env = portal_env(db_url=db_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo")
    out = manage(env, "create_api_client", client_name)
    lines = [line.strip() for line in out.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError("create_api_client printed no key")
    return db_url, lines[-1]


# --- Subprocesses -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Service:
    """A subprocess in its own session (process group), logging to a temporary file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: str) -> None:
        self.name = name
        self.argv = argv
        self.log_path = Path(log_dir) / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def check_alive(self) -> None:
        if not self.alive():
            raise RuntimeError(
                f"{self.name} exited with {self.proc.returncode}; log tail:\n{self.log_tail()}"
            )

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the process, wait, then SIGKILL its process group (only ours)."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        # Children (gunicorn workers, prefork pool) share the group whose id is our pid.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        self._log.close()


def start_gunicorn(
    env: dict,
    log_dir: str,
    *,
    workers: int,
    worker_class: str = "sync",
    threads: int = 1,
    port: int | None = None,
    ready_timeout: float = 60.0,
) -> tuple[Service, int]:
    port = port or free_port()
    argv = [
        PYTHON,
        "-m",
        "gunicorn",
        "portal.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--timeout",
        "60",
    ]
    service = Service("gunicorn", argv, env, log_dir)
    deadline = time.monotonic() + ready_timeout
    while True:
        service.check_alive()
        if _answers(port):
            return service, port
        if time.monotonic() > deadline:
            service.stop()
            raise RuntimeError(f"gunicorn did not answer within {ready_timeout:.0f}s")
        time.sleep(0.2)


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/api/v1/requests/READY-CHECK")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def start_worker(env: dict, log_dir: str, *, pool: str, concurrency: int) -> Service:
    argv = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "-P",
        pool,
        "-c",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
        "-l",
        "warning",
        "-n",
        f"bench-{os.getpid()}@%h",
    ]
    return Service("celery-worker", argv, env, log_dir)


def stop_on_signals() -> None:
    """Make SIGTERM and SIGINT raise in the main thread, so the `finally` clean-up runs.

    (A background job of a non-interactive shell starts with SIGINT ignored; this undoes that.)
    """

    def _raise(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _raise)
    signal.signal(signal.SIGINT, _raise)


def temp_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="portal-bench-")


# --- The API -------------------------------------------------------------------------------------
def request_body(i: int, run_tag: str) -> tuple[dict, str]:
    """A valid submission for the demo practice; returns (body, patient e-mail)."""
    email = f"patient-{run_tag}-{i}@example.com"
    body = {
        "practice": PRACTICE_AGB,
        "kind": "access",
        "patient": {
            "name": f"Bench Patient {i}",
            "birth_date": "1980-05-17",
            "email": email,
            "phone": "0612345678",
            "patient_number": str(100000 + i),
        },
        "description": "Benchmark request: which personal data does the app keep about me?",
    }
    return body, email


def headers(api_key: str) -> dict:
    return {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
