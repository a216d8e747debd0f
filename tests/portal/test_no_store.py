"""On a shared PC nothing of a signed-in session may stay in the browser's cache: every page,
download and API answer is Cache-Control: no-store (so are the public pages, which hold what a
patient typed)."""

import dataclasses
import json
import re

import pytest

from demo import platform as demo
from requests_app.models import AssistanceKind
from requests_app.roles import Role
from tests.factories import decided, make_user, released_package
from tests.payloads import URL, body
from workflows.assistance import erasure
from workflows.assistance import tasks as assistance
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db


def assert_no_store(response, status=200):
    assert response.status_code == status, (response.status_code, response.get("Location"))
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, response.get("Cache-Control")


@pytest.fixture
def released(platform_db, package_dir, practice, patient, handler, support, providers):
    demo.add_patient(
        platform_db, practice_agb=practice.agb_code, email=patient.email, mobile=patient.phone
    )
    item = decided(practice, patient, handler, kind="access", grant=False)
    return released_package(item, handler, support)


@pytest.fixture
def certificate(released, platform_db, practice, patient, handler, support):
    # Another patient: an erasure also removes the patient's earlier packages.
    piet = dataclasses.replace(patient, email="piet@example.com", phone="+31611111111")
    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=piet.email)
    item = decided(practice, piet, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(
            item, actor=handler, kind=AssistanceKind.ERASE, instruction="Alles"
        ),
        actor=support,
    )
    erasure.run_erasure(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Verwijderd")
    return erasure.issue_certificate(task, actor=support)


def test_staff_pages_downloads_and_certificates_are_not_stored(
    client, handler, released, certificate
):
    item, task = released.task.request, released.task
    client.force_login(handler)
    for path in (
        "/staff/",
        f"/staff/requests/{item.reference}/",
        f"/staff/tasks/{task.pk}/",
        f"/staff/tasks/{task.pk}/package/download/",
        f"/staff/tasks/{certificate.task.pk}/certificate/",
        f"/staff/tasks/{certificate.task.pk}/certificate.json",
    ):
        assert_no_store(client.get(path))
    # A refused form shows the request again, so it is not stored either.
    assert_no_store(client.post(f"/staff/requests/{item.reference}/message/", {}), status=400)


def test_the_dpos_audit_log_and_export_are_not_stored(client, practice, released):
    client.force_login(make_user("fg@practice.example", Role.DPO, practice))
    assert_no_store(client.get("/staff/audit/"))
    assert_no_store(client.get("/staff/audit/export.csv"))


def test_the_patients_pages_and_download_are_not_stored(
    client, patient, released, providers, django_capture_on_commit_callbacks
):
    client.force_login(account_for(patient.email))
    assert_no_store(client.get("/track/"))
    url = f"/track/{released.task.request.reference}/data/"
    assert_no_store(client.get(url))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"send": "1"})
    sms = [m for m in providers.sms() if m.to == [patient.phone]][-1]
    client.post(url, {"code": re.search(r"\b(\d{6})\b", sms.text).group(1)})
    assert_no_store(client.get(url + "download/"))


def test_every_api_answer_is_not_stored(client, api_key, practice):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    created = client.post(URL, json.dumps(body()), content_type="application/json", **auth)
    assert_no_store(created, status=201)
    assert_no_store(client.get(f"{URL}/{created.json()['reference']}", **auth))
    assert_no_store(client.get(f"{URL}/{created.json()['reference']}"), status=401)
    assert_no_store(client.post(URL, "{", content_type="application/json", **auth), status=400)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/request/other/", "/%00/"])
def test_public_pages_are_not_stored_either(client, path):
    assert_no_store(client.get(path), status=400 if "%00" in path else 200)
