"""Every operation of the API, read from its own OpenAPI document, refuses alike: no key, a
revoked key or another scheme is a 401 with WWW-Authenticate; another client's request, a web
request and an unknown reference are the same 404 (and the look is logged as denied); bad input
is a 400; always in the error format, never a server error, and nothing changes."""

import json

import pytest

from requests_app.models import ApiClient, AuditOutcome, AuditRecord, Channel, Request
from tests.factories import forwarded, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(practice):
    return ApiClient.issue("patient-app")


@pytest.fixture
def openapi(client):
    return client.get("/api/v1/openapi.json").json()


@pytest.fixture
def mine(app, practice, patient):
    return forwarded(submit(practice, patient, channel=Channel.APP, api_client=app[0]))


def operations(openapi) -> list[tuple[str, str, dict]]:
    """(method, path, operation) for every operation the document describes."""
    return [
        (method.upper(), path, operation)
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
    ]


def reference_operations(openapi):
    """Every operation about one request (all but submitting)."""
    return [(m, p, o) for m, p, o in operations(openapi) if "{reference}" in p]


def example_body(operation: dict):
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    return next(iter(content.get("examples", {}).values()), {}).get("value")


def call(client, method, path, operation, key=None, raw=None, **extra):
    """The operation as a client calls it: with its example body, if it takes one."""
    if raw is None:
        example = example_body(operation)
        raw = json.dumps(example) if example is not None else ""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return client.generic(
        method,
        path,
        raw,
        content_type=extra.pop("content_type", "application/json"),
        **headers | extra,
    )


def fill(path: str, reference: str, key: str = "receipt-1") -> str:
    return path.replace("{reference}", reference).replace("{key}", key)


def errors(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    found = response.json()["errors"]
    assert found and all(isinstance(m, list) and m for m in found.values()), found
    return found


def state_of_every_request():
    return sorted(Request.objects.values_list("reference", "state", "version"))


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer wrong", "Basic ZHNyXzpx", "Bearer dsr_nonsense", "bearer  "],
)
def test_without_a_valid_key_every_operation_is_a_401(client, openapi, mine, authorization):
    before = state_of_every_request()
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    checked = 0
    for method, path, operation in operations(openapi):
        response = call(client, method, fill(path, mine.reference), operation, **extra)
        assert response.status_code == 401, (method, path, response.status_code)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert "authorization" in errors(response)
        checked += 1
    assert checked == 9
    assert state_of_every_request() == before


def test_a_revoked_key_is_a_401_while_the_clients_other_key_works(client, openapi, app, mine):
    from requests_app.models import ApiKey

    api_client, old = app
    _new_key, new = ApiKey.issue(api_client, label="rotated")
    api_client.keys.get(label="").revoke(by="admin@processor.example")
    for method, path, operation in operations(openapi):
        response = call(client, method, fill(path, mine.reference), operation, key=old)
        assert response.status_code == 401, (method, path)
    status = client.get(f"/api/v1/requests/{mine.reference}", HTTP_AUTHORIZATION=f"Bearer {new}")
    assert status.status_code == 200 and status.json()["reference"] == mine.reference


def test_another_clients_a_web_and_an_unknown_request_are_the_same_404(
    client, openapi, app, practice, patient, mine
):
    import dataclasses

    other, _other_key = ApiClient.issue("other-app")
    someone = dataclasses.replace(patient, email="piet@example.com")
    theirs = forwarded(submit(practice, someone, channel=Channel.APP, api_client=other))
    web = forwarded(submit(practice, someone, description="Via de website."))
    before = state_of_every_request()
    _client, key = app
    for method, path, operation in reference_operations(openapi):
        answers = set()
        for reference in (theirs.reference, web.reference, "ZZZZ-ZZZZ"):
            key_of_a_letter = f"receipt-{theirs.events.first().pk}"
            response = call(client, method, fill(path, reference, key_of_a_letter), operation, key)
            assert response.status_code == 404, (method, path, response.status_code)
            answers.add(json.dumps(errors(response)))
        assert answers == {json.dumps({"reference": ["Er is geen verzoek met dit kenmerk."]})}
    assert state_of_every_request() == before
    assert theirs.messages.count() == 0
    denied = AuditRecord.objects.filter(outcome=AuditOutcome.DENIED, user_label="api:patient-app")
    assert {r.object_id for r in denied} == {theirs.reference, web.reference, "ZZZZ-ZZZZ"}
    assert denied.count() == 3 * len(reference_operations(openapi))
    assert all(record.patient_id == "" for record in denied)  # names no patient


def test_characters_that_cannot_be_stored_in_the_address_are_a_400(client, openapi, app, mine):
    _client, key = app
    for method, path, operation in reference_operations(openapi):
        for bad in ("%00", "%ED%A0%80"):
            response = call(client, method, fill(path, bad), operation, key)
            assert response.status_code == 400, (method, path, bad)
            assert errors(response)


def test_a_method_an_address_does_not_take_is_a_405_in_the_error_format(client, openapi, app, mine):
    _client, key = app
    for path, methods in openapi["paths"].items():
        allowed = {method.upper() for method in methods}
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed:
            response = client.generic(
                method, fill(path, mine.reference), HTTP_AUTHORIZATION=f"Bearer {key}"
            )
            assert response.status_code == 405, (method, path)
            assert "method" in errors(response)
            assert set(response["Allow"].replace(" ", "").split(",")) == allowed


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/requests/", "/api/v1/docs", "/api/v1/requests/x/y/z"]
)
def test_any_other_address_of_the_api_is_a_404_in_the_error_format(client, app, path):
    _client, key = app
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 404
    assert errors(response)


def body_operations(openapi):
    return [(m, p, o) for m, p, o in operations(openapi) if "requestBody" in o]


def test_every_operation_that_takes_a_body_refuses_a_bad_one(client, openapi, app, mine):
    """The document's own schema says which fields are required and which are strings: each
    one missing, or of the wrong type, is a 400 naming it; a body that is no object, no JSON,
    too large or of another type is refused as a whole."""
    _client, key = app
    schemas = openapi["components"]["schemas"]
    checked = 0
    for method, path, operation in body_operations(openapi):
        url = fill(path, mine.reference)
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[-1]]
        example = example_body(operation)
        for field in schema["required"]:
            without = {k: v for k, v in example.items() if k != field}
            response = call(client, method, url, operation, key, raw=json.dumps(without))
            assert response.status_code == 400 and field in errors(response), (path, field)
        for field, prop in schema["properties"].items():
            if prop.get("type") == "string":
                wrong = example | {field: 42}
                response = call(client, method, url, operation, key, raw=json.dumps(wrong))
                assert response.status_code == 400 and field in errors(response), (path, field)
        for raw, status in [
            ("[1, 2]", 400),
            ("{not json", 400),
            ('"text"', 400),
            (json.dumps(example | {"x": "y" * 70_000}), 413),
        ]:
            response = call(client, method, url, operation, key, raw=raw)
            assert response.status_code == status and "body" in errors(response), (path, raw)
        response = call(
            client, method, url, operation, key, raw=json.dumps(example), content_type="text/plain"
        )
        assert response.status_code == 415 and "body" in errors(response)
        checked += 1
    assert checked == 2  # submitting, and the patient's message
    assert Request.objects.count() == 1 and mine.messages.count() == 0


def test_a_validation_error_is_a_400_in_our_words_not_a_422(client, app, mine):
    _client, key = app
    response = client.post(
        "/api/v1/requests",
        json.dumps({"kind": "everything", "patient": "Jan", "about_processor": "yes"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    found = errors(response)
    assert found["kind"] == [
        "Choose one of: 'access', 'rectification', 'erasure', "
        "'restriction', 'portability', 'objection', 'destruction' or "
        "'complaint'."
    ]
    assert found["patient"] == ["This field must be an object."]
    assert found["about_processor"] == ["This field must be true or false."]
    assert found["description"] == ["This field is required."]
    dutch = client.post(
        "/api/v1/requests",
        json.dumps({"kind": "access"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert errors(dutch)["patient"] == ["Dit veld is verplicht."]
