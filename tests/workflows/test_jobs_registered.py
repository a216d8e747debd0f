"""A web process publishes jobs by name (workflows/schedule.py): the names must be known there
after Django's set-up alone, not only in a worker (else builds, erasures and sign-in codes would
never be queued, and messages would wait for the sweep)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django, json; django.setup(); from celery import current_app; "
    "print(json.dumps(sorted(n for n in current_app.tasks if n.startswith('workflows.'))))"
)


def test_a_fresh_web_process_knows_every_job_by_name():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    names = json.loads(out.stdout.strip().splitlines()[-1])
    assert {
        "workflows.tasks.deliver_notifications",
        "workflows.tasks.build_package",
        "workflows.tasks.run_erasure",
        "workflows.tasks.send_signin_code",
        "workflows.tasks.send_password_reset",
        "workflows.tasks.remind_access_review",
    } <= set(names)
