"""Look-up and data package speed on a realistic platform: 100,000 patients, 1,000,000 messages.

Fills a dedicated PostgreSQL database (portal tables migrated, demo platform tables created and
seeded with `demo.platform.seed`), then measures in-process:

* look-up by each identifier (e-mail, mobile, BSN; patient number and device id each with the
  e-mail address, as alone they decide no record): the platform connector's `find` (counts and
  date ranges for all 11 categories), on random patients;
* the full look-up as support runs it (`workflows.assistance.lookup.look_up`: find, task event,
  audit record);
* building the data package (export, encrypted spools, JSON + CSV + HTML in an encrypted ZIP) for
  a patient with 5,000 messages and, to show memory does not grow with the data, 20,000: wall
  time without tracing, then peak Python heap with tracemalloc in a second build.

Run: `.venv/bin/python bench/platform_lookup.py` (a few minutes to fill on 2 cores).
"""

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _harness as h  # noqa: E402

IDENTIFIERS = ["email", "mobile", "patient_number", "bsn", "device_id"]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--practices", type=int, default=200)
    parser.add_argument("--samples", type=int, default=500, help="look-ups per identifier")
    parser.add_argument("--package-messages", type=int, nargs="+", default=[5000, 20000])
    h.add_target_args(parser, db_name="portal_bench_platform", redis_db=11)
    args = parser.parse_args()
    h.check_targets(args)
    return args


def setup_django(args) -> None:
    h.recreate_database(args.pg_admin_url, args.db_name)
    db_url = h.database_url(args.pg_admin_url, args.db_name)
    env = h.portal_env(db_url=db_url)
    h.manage(env, "migrate", "--noinput", "-v0")
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")})
    os.environ.update(
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="portal.settings",
        PACKAGE_STORAGE_DIR=tempfile.mkdtemp(prefix="bench-packages-"),
        DATA_CONNECTORS="workflows.assistance.connectors.platform.PlatformConnector",
    )
    import django

    django.setup()


def people():
    """The bench practice (a real portal practice) with a handler and processor support."""
    from django.contrib.auth import get_user_model

    from requests_app.models import Membership, Practice
    from requests_app.roles import Role

    practice = Practice.objects.create(
        name="Bench practice",
        agb_code=h.PRACTICE_AGB,
        street="Lindelaan 1",
        postcode="3511AB",
        city="Utrecht",
        dpo_name="FG",
        dpo_email="fg@bench.example",
    )
    users = get_user_model().objects
    handler = users.create_user("handler@bench.example", "handler@bench.example")
    support = users.create_user("support@bench.example", "support@bench.example")
    Membership.objects.create(user=handler, practice=practice, role=Role.HANDLER)
    Membership.objects.create(user=support, role=Role.SUPPORT)
    return practice, handler, support


def fill(args, practice) -> None:
    from django.db import connection

    from demo import platform as platform_demo

    codes = [practice.agb_code] + [f"{10_000_000 + i:08d}" for i in range(args.practices - 1)]
    started = time.perf_counter()
    counts = platform_demo.seed(
        "default", patients=args.patients, messages=args.messages, practice_codes=codes
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"filled in {time.perf_counter() - started:.0f} s: {counts}")


def sample_identifiers(samples: int) -> dict[str, list[tuple[str, dict]]]:
    """(practice code, identifiers) per identifier, of random patients. A patient or device
    number is only used together with the e-mail address (alone it decides no record)."""
    from demo import platform as platform_demo

    rng = random.Random(3)
    patients = platform_demo.Patient.objects
    top = patients.order_by("-id").values_list("id", flat=True).first()
    low = patients.order_by("id").values_list("id", flat=True).first()
    chosen = []
    while len(chosen) < samples:
        p = patients.filter(id=rng.randint(low, top)).first()
        if p is not None and p.bsn:  # every third patient has a BSN; keep sets comparable
            chosen.append(p)
    devices = dict(
        platform_demo.Device.objects.filter(patient_id__in=[p.id for p in chosen]).values_list(
            "patient_id", "device_id"
        )
    )
    return {
        # Case must not matter for the e-mail address.
        "email": [(p.practice_agb, {"email": p.email.upper()}) for p in chosen],
        "mobile": [(p.practice_agb, {"mobile": p.mobile}) for p in chosen],
        "patient_number": [
            (p.practice_agb, {"patient_number": p.patient_number, "email": p.email}) for p in chosen
        ],
        "bsn": [(p.practice_agb, {"bsn": p.bsn}) for p in chosen],
        "device_id": [
            (p.practice_agb, {"device_id": devices[p.id], "email": p.email}) for p in chosen
        ],
    }


def time_lookups(samples: dict) -> dict:
    from workflows.assistance.connectors import Identifiers
    from workflows.assistance.connectors.platform import PlatformConnector

    connector = PlatformConnector()
    results = {}
    for name, pairs in samples.items():
        times = []
        for code, given in pairs:
            began = time.perf_counter()
            found = connector.find(Identifiers(code, **given))
            times.append(time.perf_counter() - began)
            assert found, (name, given)
        results[name] = h.summarise_ms(times)
    return results


def task_for(practice, handler, support, messages: int, email: str):
    import datetime

    from demo import platform as platform_demo
    from requests_app.lifecycle import perform_transition
    from requests_app.models import Request
    from workflows.assistance import tasks as assistance
    from workflows.intake.submission import PatientDetails, Submission, submit_request

    platform_demo.add_patient(
        "default", practice_agb=practice.agb_code, email=email, messages=messages
    )
    item = submit_request(
        submission=Submission(
            practice=practice,
            kind="access",
            patient=PatientDetails(
                name="Heavy User", birth_date=datetime.date(1970, 1, 1), email=email
            ),
            description="bench",
        ),
        channel="web",
    )
    item = Request.objects.get(pk=item.pk)  # forwarded already: tasks run in-process here
    item = perform_transition(item, "acknowledge", actor=handler)
    item = perform_transition(item, "verify_identity", actor=handler, how="bench")
    task = assistance.request_assistance(item, actor=handler, kind="supply", instruction="all")
    return assistance.start(task, actor=support)


def time_full_lookup(practice, handler, support, samples) -> dict:
    from demo import platform as platform_demo
    from workflows.assistance import lookup
    from workflows.assistance.connectors import Identifiers

    task = task_for(practice, handler, support, 10, "lookup@bench.example")
    # Patients of the task's practice: a look-up never searches outside it.
    emails = platform_demo.Patient.objects.filter(practice_agb=practice.agb_code).values_list(
        "email", flat=True
    )[:200]
    times = []
    for value in emails:
        code = practice.agb_code
        began = time.perf_counter()
        results = lookup.look_up(task, actor=support, identifiers=Identifiers(code, email=value))
        times.append(time.perf_counter() - began)
        assert results[0].findings, value
    return h.summarise_ms(times)


def time_packages(practice, handler, support, sizes: list[int]) -> list[dict]:
    from workflows.assistance import packages

    rows = []
    for n in sizes:
        task = task_for(practice, handler, support, n, f"heavy{n}@bench.example")
        began = time.perf_counter()
        package = packages.build_package(task, actor=support)
        took = time.perf_counter() - began
        tracemalloc.start()
        packages.build_package(task, actor=support)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append(
            {
                "messages": package.counts["platform"]["conversations"],
                "seconds": took,
                "peak_mib": peak / 2**20,
                "zip_mib": package.size / 2**20,
            }
        )
    return rows


def main() -> int:
    args = parse_args()
    print(h.host_line())
    setup_django(args)
    practice, handler, support = people()
    print(f"filling {args.patients} patients and {args.messages} messages ...")
    fill(args, practice)
    samples = sample_identifiers(args.samples)
    lookups = time_lookups(samples)
    full = time_full_lookup(practice, handler, support, samples)
    built = time_packages(practice, handler, support, args.package_messages)

    print(f"\n=== look-up on the platform (ms; {args.patients} patients, {args.messages} messages,")
    print(f"    {args.practices} practices; PostgreSQL, in-process; {h.host_line()}) ===")
    print(f"{'identifier':<32}{'n':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}")
    for name, r in lookups.items():
        print(
            f"{'find by ' + name:<32}{r['count']:>6}{h.fmt_ms(r['p50']):>8}{h.fmt_ms(r['p95']):>8}"
            f"{h.fmt_ms(r['p99']):>8}{h.fmt_ms(r['max']):>8}"
        )
    print(
        f"{'look_up (e-mail, logged)':<32}{full['count']:>6}{h.fmt_ms(full['p50']):>8}"
        f"{h.fmt_ms(full['p95']):>8}{h.fmt_ms(full['p99']):>8}{h.fmt_ms(full['max']):>8}"
    )
    print("\n=== data package (export + encrypted ZIP with JSON, CSV, HTML) ===")
    print(f"{'messages':>9}{'seconds':>9}{'peak MiB':>10}{'ZIP MiB':>9}")
    for row in built:
        print(
            f"{row['messages']:>9}{row['seconds']:>9.2f}{row['peak_mib']:>10.1f}"
            f"{row['zip_mib']:>9.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
