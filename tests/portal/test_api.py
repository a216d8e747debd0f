import json

import pytest

from requests_app.models import Request, RequestState
from tests.payloads import URL, body
from workflows.models import Notification


def post(client, key, payload, **headers):
    raw = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(
        URL, raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}", **headers
    )


@pytest.fixture
def api(client, api_key, practice):
    return lambda payload, **h: post(client, api_key, payload, **h)


@pytest.mark.django_db(transaction=True)
def test_valid_submission_is_stored_forwarded_and_answered_with_its_reference(api, client, api_key):
    response = api(body())
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"reference", "state", "received_at"}
    stored = Request.objects.get(reference=data["reference"])
    assert (stored.channel, stored.patient_phone, stored.bsn) == (
        "app",
        "+31687654321",
        "123456782",
    )

    status = client.get(f"{URL}/{data['reference']}", HTTP_AUTHORIZATION=f"Bearer {api_key}")
    assert status.status_code == 200
    assert status.json()["state"] == RequestState.FORWARDED
    assert status.json()["forwarded_at"] is not None


@pytest.mark.django_db(transaction=True)
def test_retried_submission_with_the_same_idempotency_key_returns_the_first_request(api):
    first = api(body(), HTTP_IDEMPOTENCY_KEY="abc-1")
    again = api(body(), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json()["reference"] == again.json()["reference"]
    assert again["Idempotent-Replayed"] == "true"
    assert Request.objects.count() == 1
    assert (
        api(body(), HTTP_IDEMPOTENCY_KEY="abc-2").json()["reference"] != first.json()["reference"]
    )


@pytest.mark.django_db(transaction=True)
def test_reusing_an_idempotency_key_for_other_data_is_refused(api):
    api(body(), HTTP_IDEMPOTENCY_KEY="abc-1")
    response = api(body(kind="erasure"), HTTP_IDEMPOTENCY_KEY="abc-1")
    assert response.status_code == 409
    assert "Idempotency-Key" in response.json()["errors"]
    assert Request.objects.count() == 1


BAD_INPUT = [
    ("unknown practice", body(practice="99999999"), "practice"),
    ("malformed e-mail", body(patient={"email": "jan@"}), "patient.email"),
    ("malformed phone", body(patient={"phone": "12"}), "patient.phone"),
    ("future birth date", body(patient={"birth_date": "2999-01-01"}), "patient.birth_date"),
    ("not a date", body(patient={"birth_date": "17-05-1980x"}), "patient.birth_date"),
    ("invalid BSN", body(patient={"bsn": "123456789"}), "patient.bsn"),
    ("over-long description", body(description="x" * 5001), "description"),
    ("missing name", body(patient={"name": None}), "patient.name"),
    ("missing kind", {k: v for k, v in body().items() if k != "kind"}, "kind"),
    ("unknown kind", body(kind="everything"), "kind"),
    ("missing patient", {k: v for k, v in body().items() if k != "patient"}, "patient"),
    ("wrong type", body(description=42), "description"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "payload", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gets_a_field_error_and_stores_nothing(api, case, payload, field):
    response = api(payload)
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors and all(isinstance(m, str) and m for m in errors[field])
    assert Request.objects.count() == 0
    assert Notification.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", b"\xff\xfe"])
def test_malformed_json_is_refused(api, raw):
    response = api(raw)
    assert response.status_code == 400
    assert "body" in response.json()["errors"]
    assert Request.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer dsr_nonsense"])
def test_wrong_or_missing_api_key_is_refused(client, practice, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.post(URL, json.dumps(body()), content_type="application/json", **extra)
    assert response.status_code == 401
    assert "authorization" in response.json()["errors"]
    assert Request.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_client_cannot_read_another_clients_request(api, client):
    from requests_app.models import ApiClient

    reference = api(body()).json()["reference"]
    _other, other_key = ApiClient.issue("other-app")
    response = client.get(f"{URL}/{reference}", HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert response.status_code == 404


@pytest.mark.django_db
def test_api_key_is_stored_hashed_and_created_by_command(capsys):
    from django.core.management import call_command

    from requests_app.models import ApiClient

    call_command("create_api_client", "app-backend")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    client = ApiClient.objects.get(name="app-backend")
    assert key.startswith("dsr_") and key not in client.keys.get().key_hash
    assert ApiClient.authenticate(key) == client
