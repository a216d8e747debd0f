"""Server time of the report pages with 100,000 requests over 200 practices.

Fills a dedicated PostgreSQL database with `--practices` practices (default 200), a handler each,
one processor support account, `--requests` requests (default 100,000) received over the last
year in realistic states (forwarded within seconds, acknowledged within days, answered within or
after the term, some extended, refusals with their legal grounds) and `--tasks` assistance tasks
(default 10,000) delivered within or after their turnaround; then renders pages in-process through
Django's test client (middleware, view, queries, charts and template; no network) and prints
median, p95 and max:

* practice report: `/staff/reports/` as a practice's handler sees it (the last twelve months),
* processor report: `/staff/reports/processor/`, every practice with the table per practice,
* processor report of one practice: `/staff/reports/processor/?practice=<id>`,
* one CSV: `/staff/reports/processor/practices.csv`;

the pages keep their figures for five minutes, so it also times the counting alone
(`build_report`, no cache) for one practice and for all of them.

Run: `.venv/bin/python bench/reports.py` (about a minute to fill, then the measurements).
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _harness as h  # noqa: E402

# (state, share): what a year of requests looks like at a practice.
STATES = (
    ["forwarded"] * 6
    + ["in_review"] * 8
    + ["in_progress"] * 8
    + ["awaiting_patient"] * 3
    + ["granted"] * 4
    + ["refused"] * 3
    + ["partially_granted"] * 2
    + ["fulfilled"] * 6
    + ["closed"] * 55
    + ["withdrawn"] * 5
)
KINDS = (
    ["access"] * 5
    + ["rectification", "erasure", "erasure", "restriction", "portability"]
    + [
        "objection",
        "destruction",
        "complaint",
    ]
)
GROUNDS = ["identity", "manifestly_unfounded", "rights_of_others", "legal_claims"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100, help="page loads per page kind")
    h.add_target_args(parser, db_name="portal_bench_reports", redis_db=11)
    args = parser.parse_args()
    h.check_targets(args)
    return args


def _decided(rng, state, kind):
    """The decision a request in `state` carries, and its ground."""
    if state in ("granted", "fulfilled") or (state == "closed" and rng.random() < 0.8):
        return ("decided" if kind == "complaint" else "granted"), ""
    if state == "partially_granted":
        return "partially_granted", rng.choice(GROUNDS)
    if state in ("refused", "closed"):
        return "refused", rng.choice(GROUNDS)
    return "", ""


def fill(practices: int, count: int, tasks: int) -> None:
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from requests_app.models import AssistanceTask, Membership, Practice, Request
    from requests_app.references import new_reference

    rng = random.Random(7)
    practice_rows = Practice.objects.bulk_create(
        [
            Practice(
                name=f"Praktijk {i}",
                agb_code=f"{10000000 + i}",
                street="Straat 1",
                postcode="3511 AB",
                city="Utrecht",
                dpo_name="FG",
                dpo_email=f"fg{i}@bench.example",
            )
            for i in range(practices)
        ]
    )
    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [
            user_model(username=f"handler{i}@bench.example", email=f"handler{i}@bench.example")
            for i in range(practices)
        ]
    )
    support = user_model.objects.create(
        username="support@bench.example", email="support@bench.example"
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, practice=p, role="handler")
            for u, p in zip(users, practice_rows, strict=True)
        ]
        + [Membership(user=support, practice=None, role="support")]
    )
    for user in [*users[:20], support]:
        TOTP.activate(user, "BENCHBENCHBENCHBENCHBENCHBENCH22")
    now = timezone.now()
    day = datetime.timedelta(days=1)
    batch = 5000
    stored_ids = []
    references = set()
    for start in range(0, count, batch):
        rows = []
        for n in range(min(batch, count - start)):
            received = now - datetime.timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
            state = rng.choice(STATES)
            kind = rng.choice(KINDS)
            decision, ground = _decided(rng, state, kind)
            reference = new_reference()
            while reference in references:
                reference = new_reference()
            references.add(reference)
            extended = rng.random() < 0.05
            due = (received + day * (92 if extended else 31)).date()
            acknowledged = received + day * rng.uniform(0.1, 5) if state != "forwarded" else None
            decided = (
                received + day * rng.choice([rng.uniform(3, 30), rng.uniform(3, 45)])
                if decision
                else None
            )
            rows.append(
                Request(
                    reference=reference,
                    kind=kind,
                    practice=practice_rows[rng.randrange(practices)],
                    patient_name="P. Jansen",
                    patient_birth_date=datetime.date(1970, 1, 1),
                    patient_email=f"p{start}-{n}@example.com",
                    description="-",
                    channel="app",
                    state=state,
                    received_at=received,
                    forwarded_at=received + datetime.timedelta(seconds=rng.uniform(1, 120)),
                    acknowledged_at=acknowledged,
                    decided_at=decided,
                    decision=decision,
                    legal_ground=ground,
                    response_due=due,
                    extended_at=received + day * 20 if extended else None,
                    closed_at=decided + day if state == "closed" and decided else None,
                )
            )
        stored = Request.objects.bulk_create(rows)
        stored_ids += [(r.pk, r.practice_id, r.received_at) for r in stored]
        print(f"  {start + len(stored)}/{count} requests", flush=True)
    handler_of = {p.pk: u for p, u in zip(practice_rows, users, strict=True)}
    task_rows = []
    for pk, practice_id, received in rng.sample(stored_ids, min(tasks, len(stored_ids))):
        requested = received + day * rng.uniform(1, 5)
        delivered = requested + day * rng.uniform(0.5, 10) if rng.random() < 0.85 else None
        task_rows.append(
            AssistanceTask(
                request_id=pk,
                practice_id=practice_id,
                kind=rng.choice(["supply", "supply", "erase", "rectify", "restrict"]),
                instruction="-",
                requested_by=handler_of[practice_id],
                requested_at=requested,
                due=(requested + day * 7).date(),
                state="accepted" if delivered else "requested",
                delivered_at=delivered,
            )
        )
    AssistanceTask.objects.bulk_create(task_rows, batch_size=5000)
    print(f"  {len(task_rows)} assistance tasks", flush=True)
    with connection.cursor() as cursor:
        # What autovacuum does on a live database: the visibility map and the statistics.
        cursor.execute("VACUUM ANALYZE")


def measure(samples: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    handlers = list(
        get_user_model().objects.filter(username__startswith="handler").order_by("pk")[:20]
    )
    practice_clients = []
    for user in handlers:
        client = Client()
        client.force_login(user)
        practice_clients.append((client, user.memberships.first().practice_id))
    support = Client()
    support.force_login(get_user_model().objects.get(username="support@bench.example"))
    pages = {
        "practice report": lambda i: (practice_clients[i % 20][0], "/staff/reports/"),
        "processor report, all practices": lambda i: (support, "/staff/reports/processor/"),
        "processor report, one practice": lambda i: (
            support,
            f"/staff/reports/processor/?practice={practice_clients[i % 20][1]}",
        ),
        "CSV per practice": lambda i: (support, "/staff/reports/processor/practices.csv"),
    }
    results = {}
    # The pages keep their figures for five minutes (figures.CACHE_SECONDS): a reader after the
    # first gets them without counting. The counting itself, every time, is measured below.
    for name, pick in pages.items():
        for i in range(3):  # warm-up
            client, url = pick(i)
            warm = client.get(url)
            assert warm.status_code == 200, (name, warm.status_code, warm.get("Location"))
        times = []
        for i in range(samples):
            client, url = pick(i)
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        times.sort()
        results[name] = {
            "n": len(times),
            "median": statistics.median(times) * 1000,
            "p95": h.percentile(times, 95) * 1000,
            "max": times[-1] * 1000,
        }
    results.update(_counting(samples, [pid for _c, pid in practice_clients]))
    return results


def _counting(samples: int, practice_ids: list[int]) -> dict:
    """build_report without the cache: the queries and their folding, every time."""
    from requests_app.models import Practice
    from workflows.reports.figures import build_report, last_months

    period = last_months(12)
    practices = list(Practice.objects.filter(pk__in=practice_ids))
    found = {}
    for name, pick in {
        "counting, one practice (no cache)": lambda i: practices[i % len(practices)],
        "counting, all practices (no cache)": lambda i: None,
    }.items():
        build_report(period, pick(0))  # warm-up
        times = []
        for i in range(samples):
            started = time.perf_counter()
            build_report(period, pick(i))
            times.append(time.perf_counter() - started)
        times.sort()
        found[name] = {
            "n": len(times),
            "median": statistics.median(times) * 1000,
            "p95": h.percentile(times, 95) * 1000,
            "max": times[-1] * 1000,
        }
    return found


def main() -> int:
    args = parse_args()
    print(h.host_line())
    h.recreate_database(args.pg_admin_url, args.db_name)
    db_url = h.database_url(args.pg_admin_url, args.db_name)
    env = h.portal_env(db_url=db_url)
    h.manage(env, "migrate", "--noinput", "-v0")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")})
    os.environ.update(
        ALLOWED_HOSTS="testserver", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="portal.settings"
    )
    import django

    django.setup()
    print(f"filling {args.requests} requests over {args.practices} practices ...")
    started = time.perf_counter()
    fill(args.practices, args.requests, args.tasks)
    print(f"filled in {time.perf_counter() - started:.0f} s; measuring {args.samples} loads each")
    results = measure(args.samples)
    print("\n=== server time of the report pages (ms, in-process, PostgreSQL) ===")
    print(f"{args.requests} requests, {args.tasks} tasks, {args.practices} practices")
    print(h.host_line())
    print(f"{'page':<38}{'n':>6}{'median':>9}{'p95':>9}{'max':>9}")
    for name, r in results.items():
        print(f"{name:<38}{r['n']:>6}{r['median']:>9.1f}{r['p95']:>9.1f}{r['max']:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
