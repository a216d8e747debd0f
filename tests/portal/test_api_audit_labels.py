"""The FG reads what the app did with a patient's request in plain words, not codes."""

import pytest

from requests_app.models import ApiClient
from requests_app.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_apps_reads_show_in_the_fgs_audit_log_in_words(client, practice):
    _api_client, key = ApiClient.issue("label-app")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    body = {
        "practice": practice.agb_code,
        "kind": "access",
        "patient": {"name": "Jan Jansen", "birth_date": "1980-05-17", "email": "jan@example.com"},
        "description": "Inzage graag.",
    }
    created = client.post("/api/v1/requests", body, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    for path in ("", "/history", "/messages", "/letters"):
        response = client.get(f"/api/v1/requests/{reference}{path}", **headers)
        assert response.status_code in (200, 409), response.content
    client.force_login(make_user("fg@practice.example", Role.DPO, practice))
    page = client.get("/staff/audit/", {"request": reference}).content.decode()
    for words in (
        "Status opgevraagd in de app",
        "Geschiedenis gelezen in de app",
        "Berichten gelezen in de app",
        "Brieven opgevraagd in de app",
    ):
        assert words in page, words
    assert "api.history" not in page
