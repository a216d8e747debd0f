import json

import pytest
from django.test import override_settings

from requests_app.models import PendingSubmission, Request
from tests.payloads import body, details


@pytest.mark.django_db
@override_settings(INTAKE_LIMIT_PER_EMAIL=2)
def test_web_intake_is_limited_per_email_address(client, practice):
    for _ in range(2):
        assert client.post(f"/request/{practice.agb_code}/", details()).status_code == 302
    response = client.post(f"/request/{practice.agb_code}/", details())
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert PendingSubmission.objects.count() == 2
    other = client.post(f"/request/{practice.agb_code}/", details(email="piet@example.com"))
    assert other.status_code == 302


@pytest.mark.django_db
@override_settings(INTAKE_LIMIT_PER_IP=2)
def test_web_intake_is_limited_per_ip_address(client, practice):
    for i in range(2):
        client.post(
            f"/request/{practice.agb_code}/",
            details(email=f"p{i}@example.com"),
            REMOTE_ADDR="10.9.9.9",
        )
    response = client.post(
        f"/request/{practice.agb_code}/", details(email="p9@example.com"), REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert (
        client.post(
            f"/request/{practice.agb_code}/",
            details(email="p9@example.com"),
            REMOTE_ADDR="10.9.9.10",
        ).status_code
        == 302
    )


@pytest.mark.django_db(transaction=True)
@override_settings(INTAKE_LIMIT_PER_EMAIL=1)
def test_api_intake_is_limited_per_email_but_retries_are_not(client, api_key, practice):
    def post(**headers):
        return client.post(
            "/api/v1/requests",
            json.dumps(body()),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_key}",
            **headers,
        )

    assert post(HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    assert post(HTTP_IDEMPOTENCY_KEY="k1").status_code == 201  # a retry is not a new request
    refused = post(HTTP_IDEMPOTENCY_KEY="k2")
    assert refused.status_code == 429 and "rate_limit" in refused.json()["errors"]
    assert refused["Retry-After"] == "3600"
    assert Request.objects.count() == 1


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_sign_in_for_a_while(client, handler):
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": handler.email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(
        "/accounts/login/", {"login": handler.email, "password": "a-long-test-password"}
    )
    assert response.status_code in (200, 429)  # refused although the password is right
    assert "/accounts/2fa/" not in response.get("Location", "")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_repeated_code_requests_for_one_address_are_limited(client, practice, patient, providers):
    from tests.factories import submit

    submit(practice, patient)
    providers.reset()
    for _ in range(5):
        client.post("/accounts/login/code/", {"email": patient.email})
    codes = [m for m in providers.emails() if m.to == [patient.email]]
    assert 1 <= len(codes) <= 3
