"""The API's contract, tested by a machine: schemathesis reads the OpenAPI document the portal
serves and sends every operation generated input (the documented examples, boundary values,
random valid and invalid bodies, and sequences that follow the document's links from a submitted
request to the operations about it) against a live server. Every answer must be no 5xx, have a
documented status, content type and headers, and match its schema; a refusal must not be
accepted and an unauthenticated call must be refused.

`positive_data_acceptance` is left out: rules the schema cannot express (a BSN's 11-test, an
AGB code that must belong to a practice, a request the client must have made) refuse bodies that
look valid to the schema, with a documented 400 or 404.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from requests_app.models import ApiClient
from tests.factories import make_practice

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MAX_EXAMPLES = 25  # per operation and phase; the whole run takes about a minute here
SEED = 20261130  # the same cases every run, so a failure reproduces


@pytest.fixture
def contract_client(transactional_db, settings):
    # The example submission names this practice; the run submits far more than a patient or a
    # client may in an hour, so the limits are lifted (their own tests keep them).
    make_practice(agb="01234567")
    settings.INTAKE_LIMIT_PER_EMAIL = 100_000
    _client, key = ApiClient.issue("contract-test", per_minute=100_000, per_day=100_000)
    return key


def test_every_operation_holds_to_the_openapi_document(live_server, contract_client, tmp_path):
    report = tmp_path / "report.json"
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {contract_client}",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    print(run.stdout[-6000:])  # shown with -s, and on a failure: the counts and any failure
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    summary = json.loads(report.read_text())
    operations = summary["operations"]
    assert operations["tested"] == operations["total"] >= 9, operations  # every operation ran
    assert all(p["status"] == "success" for p in summary["phases"].values()), summary["phases"]
    assert summary["test_cases"]["with_failures"] == 0 and not summary["failures"]
    # The run reached past the key: submissions were accepted and later operations followed them.
    assert summary["valid_rates"]["POST /api/v1/requests"]["examples"]["accepted"] >= 1
