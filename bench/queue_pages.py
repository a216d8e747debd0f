"""Server time of the practice queue and the request page with 100,000 requests.

Fills a dedicated PostgreSQL database with `--practices` practices (default 200), one handler
each and `--requests` requests (default 100,000) spread over them in realistic states, kinds and
deadlines, each with its history; then renders pages in-process through Django's test client
(the full middleware, view, queries and template; no network) and prints median, p95 and max:

* queue: `/staff/` as a handler sees it first (open requests, most urgent first, 50 a page),
* queue filtered: due within 7 days, and a search on patient name,
* detail: `/staff/requests/<reference>/` of a random request of the handler's practice.

Run: `.venv/bin/python bench/queue_pages.py` (about a minute to fill, then the measurements).
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

STATES = (
    ["forwarded"] * 10
    + ["in_review"] * 15
    + ["in_progress"] * 15
    + ["awaiting_patient"] * 5
    + ["closed"] * 45
    + ["withdrawn"] * 5
    + ["granted"] * 3
    + ["refused"] * 2
)
KINDS = [
    "access",
    "rectification",
    "erasure",
    "restriction",
    "portability",
    "objection",
    "complaint",
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300, help="page loads per page kind")
    h.add_target_args(parser, db_name="portal_bench_queue", redis_db=12)
    args = parser.parse_args()
    h.check_targets(args)
    return args


def fill(practices: int, count: int) -> None:
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from demo.platform import LAST  # the demo platform's surnames
    from requests_app.models import Membership, Practice, Request, RequestEvent
    from requests_app.references import new_reference

    rng = random.Random(7)
    rows = [
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
    practice_rows = Practice.objects.bulk_create(rows)
    users = get_user_model().objects.bulk_create(
        [
            get_user_model()(
                username=f"handler{i}@bench.example", email=f"handler{i}@bench.example"
            )
            for i in range(practices)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, practice=p, role="handler")
            for u, p in zip(users, practice_rows, strict=True)
        ]
    )
    # Staff see patient data only with a second factor set up (the middleware checks it).
    for user in users:
        TOTP.activate(user, "BENCHBENCHBENCHBENCHBENCHBENCH22")
    now = timezone.now()
    batch = 5000
    references = set()
    for start in range(0, count, batch):
        requests = []
        for _ in range(min(batch, count - start)):
            received = now - datetime.timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
            reference = new_reference()
            while reference in references:
                reference = new_reference()
            references.add(reference)
            practice_index = rng.randrange(practices)
            state = rng.choice(STATES)
            requests.append(
                Request(
                    reference=reference,
                    kind=rng.choice(KINDS),
                    practice=practice_rows[practice_index],
                    patient_name=f"{rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(LAST)}",
                    patient_birth_date=datetime.date(1940 + rng.randrange(70), 1, 1),
                    patient_email=f"p{start}-{len(requests)}@example.com",
                    description="-",
                    channel="app",
                    state=state,
                    received_at=received,
                    forwarded_at=received,
                    response_due=(received + datetime.timedelta(days=31)).date(),
                    assigned_to=users[practice_index] if rng.random() < 0.5 else None,
                )
            )
        stored = Request.objects.bulk_create(requests)
        RequestEvent.objects.bulk_create(
            [
                RequestEvent(
                    request=r,
                    at=r.received_at,
                    actor_label="patient",
                    action=action,
                    from_state=src,
                    to_state=dst,
                )
                for r in stored
                for action, src, dst in (
                    ("submit", "", "received"),
                    ("forward", "received", "forwarded"),
                )
            ]
        )
        print(f"  {start + len(stored)}/{count} requests", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(samples: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from requests_app.models import Request

    rng = random.Random(11)
    handlers = list(get_user_model().objects.filter(username__startswith="handler")[:20])
    clients = []
    for user in handlers:
        client = Client()
        client.force_login(user)
        practice_id = user.memberships.first().practice_id
        refs = list(
            Request.objects.filter(practice_id=practice_id).values_list("reference", flat=True)[
                :200
            ]
        )
        clients.append((client, refs))
    pages = {
        "queue": lambda c, refs: "/staff/",
        "queue, due within 7 days": lambda c, refs: "/staff/?due=week",
        "queue, search by name": lambda c, refs: "/staff/?q=jansen&state=all",
        "queue, page 5 of all": lambda c, refs: "/staff/?state=all&page=5",
        "detail": lambda c, refs: f"/staff/requests/{rng.choice(refs)}/",
    }
    results = {}
    for name, url_for in pages.items():
        for client, refs in clients:  # warm-up
            warm = client.get(url_for(client, refs))
            assert warm.status_code == 200, (name, warm.status_code, warm.get("Location"))
        times = []
        for i in range(samples):
            client, refs = clients[i % len(clients)]
            url = url_for(client, refs)
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
    results["(one audit record alone)"] = _audit_cost(samples)
    return results


def _audit_cost(samples: int) -> dict:
    """What the NEN 7513 log adds to each page: one chained record, timed on its own."""
    from requests_app import audit
    from requests_app.models import AuditAction, Request

    item = Request.objects.first()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        audit.record("bench.read", AuditAction.READ, user_label="bench", request=item)
        times.append(time.perf_counter() - started)
    times.sort()
    return {
        "n": len(times),
        "median": statistics.median(times) * 1000,
        "p95": h.percentile(times, 95) * 1000,
        "max": times[-1] * 1000,
    }


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
    fill(args.practices, args.requests)
    print(f"filled in {time.perf_counter() - started:.0f} s; measuring {args.samples} loads each")
    results = measure(args.samples)
    print("\n=== server time of staff pages (ms, in-process, PostgreSQL) ===")
    print(f"{args.requests} requests, {args.practices} practices; {h.host_line()}")
    print(f"{'page':<28}{'n':>6}{'median':>9}{'p95':>9}{'max':>9}")
    for name, r in results.items():
        print(f"{name:<28}{r['n']:>6}{r['median']:>9.1f}{r['p95']:>9.1f}{r['max']:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
