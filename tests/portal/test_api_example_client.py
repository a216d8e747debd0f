"""The examples in docs/api.md work: the Python client and the curl block, run as a developer
would run them, against a live portal."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from requests_app.models import ApiClient, Request, RequestState
from tests.factories import make_practice

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "api.md"


@pytest.fixture
def portal(live_server, transactional_db, providers):
    make_practice(agb="01234567")
    _client, key = ApiClient.issue("example-app")
    return {**os.environ, "PORTAL_URL": live_server.url, "PORTAL_API_KEY": key}


def test_the_python_example_client_submits_follows_and_withdraws(portal):
    run = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "examples" / "api_client.py")],
        env=portal,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    reference = re.search(r"^submitted (\S+) received$", run.stdout, re.M).group(1)
    assert re.search(r"^history \S+ submit ", run.stdout, re.M)
    assert "withdrawn withdrawn" in run.stdout
    assert "refused 404 {'reference':" in run.stdout
    item = Request.objects.get(reference=reference)
    assert item.api_client.name == "example-app"
    assert item.state == RequestState.WITHDRAWN


def test_the_curl_example_in_the_guide_runs(portal):
    block = GUIDE.read_text().split("<!-- example: curl -->", 1)[1]
    script = re.search(r"```sh\n(.*?)```", block, re.S).group(1)
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**portal, "PORTAL": portal["PORTAL_URL"], "KEY": portal["PORTAL_API_KEY"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    reference = re.search(r"^submitted (\S+)$", run.stdout, re.M).group(1)
    assert "We received your request" in run.stdout  # the history, in English as asked
    assert run.stdout.strip().endswith("withdrawn")
    assert Request.objects.get(reference=reference).state == RequestState.WITHDRAWN
