"""The API describes itself: an OpenAPI 3.1 document generated from the code, with every
operation's examples and error answers, and a reference page for people drawn from it, in
Dutch and English, that needs no script."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("POST", "/api/v1/requests"): "submitRequest",
    ("GET", "/api/v1/requests/{reference}"): "getRequestStatus",
    ("GET", "/api/v1/requests/{reference}/history"): "getRequestHistory",
    ("GET", "/api/v1/requests/{reference}/messages"): "listMessages",
    ("POST", "/api/v1/requests/{reference}/messages"): "sendMessage",
    ("GET", "/api/v1/requests/{reference}/letters"): "listLetters",
    ("GET", "/api/v1/requests/{reference}/letters/{key}"): "getLetterPdf",
    ("POST", "/api/v1/requests/{reference}/withdraw"): "withdrawRequest",
    ("GET", "/api/v1/requests/{reference}/package"): "getPackageLink",
}


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    return response.json()


def operations(openapi):
    return {
        (method.upper(), path): operation
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
    }


def test_the_document_is_openapi_3_1_generated_from_the_code(openapi):
    from portal.api import api

    assert openapi["openapi"] == "3.1.0"
    assert openapi["info"]["version"] and openapi["info"]["description"]
    generated = json.loads(json.dumps(api.get_openapi_schema(path_params={})))
    assert openapi == generated  # drawn from the code on each call, not a kept file
    found = {key: operation["operationId"] for key, operation in operations(openapi).items()}
    assert found == OPERATIONS
    assert openapi["components"]["securitySchemes"]["ClientKey"]["scheme"] == "bearer"


def test_the_routes_keep_their_names():
    from django.urls import reverse

    assert reverse("api:create") == "/api/v1/requests"
    assert reverse("api:status", args=["K7QM-4XPA"]) == "/api/v1/requests/K7QM-4XPA"
    assert reverse("api:reference") == "/api/v1/reference"
    assert reverse("api:openapi-json") == "/api/v1/openapi.json"


def test_every_operation_needs_the_key_and_has_a_summary_and_a_description(openapi):
    for key, operation in operations(openapi).items():
        assert operation["security"] == [{"ClientKey": []}], key
        assert operation["summary"] and len(operation["description"]) > 40, key


def test_every_operation_has_examples_of_its_call_and_its_answers(openapi):
    for key, operation in operations(openapi).items():
        if "requestBody" in operation:
            content = operation["requestBody"]["content"]["application/json"]
            assert content["examples"]["example"]["value"], key
        with_example = [
            status
            for status, answer in operation["responses"].items()
            for content in answer.get("content", {}).values()
            if content.get("examples")
        ]
        assert "401" in with_example, key
        success = [s for s in operation["responses"] if s.startswith("2")]
        assert len(success) == 1, key
        if key != ("GET", "/api/v1/requests/{reference}/letters/{key}"):  # a PDF
            assert success[0] in with_example, key


def test_every_error_answer_is_described_in_the_error_format(openapi):
    errors = openapi["components"]["schemas"]["Errors"]
    assert errors["required"] == ["errors"]
    assert errors["properties"]["errors"]["additionalProperties"]["items"]["type"] == "string"
    for key, operation in operations(openapi).items():
        responses = operation["responses"]
        refusals = {s for s in responses if not s.startswith("2")}
        assert {"401", "default"} <= refusals, key
        if "{reference}" in key[1]:
            assert "404" in refusals, key
        if "requestBody" in operation:
            assert {"400", "413", "415", "429"} <= refusals, key
        for status in refusals:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Errors"}, (key, status)
            assert responses[status]["description"], (key, status)
        assert "WWW-Authenticate" in responses["401"]["headers"]
        if "429" in responses:
            assert "Retry-After" in responses["429"]["headers"]


def test_states_kinds_and_steps_are_enums_whose_every_value_is_explained(openapi):
    from requests_app.models import RequestKind, RequestState
    from workflows.casework.access_log import STEP_EVENTS
    from workflows.casework.letters import LETTERS

    schemas = openapi["components"]["schemas"]
    expected = {
        "State": RequestState.values,
        "Kind": RequestKind.values,
        "HistoryEvent": list(STEP_EVENTS),
        "LetterKind": list(LETTERS),
        "MessageSender": ["practice", "patient"],
    }
    for name, values in expected.items():
        schema = schemas[name]
        assert schema["enum"] == values, name
        assert set(schema["x-enumDescriptions"]) == set(values), name
        assert all(schema["x-enumDescriptions"].values()) and schema["description"], name
    assert schemas["StatusOut"]["properties"]["state"] == {"$ref": "#/components/schemas/State"}


def test_the_swagger_page_is_off(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 404 and "errors" in response.json()


# --- The reference page -----------------------------------------------------------------------
def page(client, language: str) -> str:
    client.cookies["django_language"] = language
    response = client.get("/api/v1/reference")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    return response.content.decode()


def test_the_reference_page_lists_every_operation_in_dutch_by_default(client, openapi):
    html = page(client, "nl")
    assert '<html lang="nl">' in html and '<main id="main"' in html
    assert "<script" not in html  # works without JavaScript, within the CSP
    assert "API-naslag: de patiënt-app" in html and "De foutmelding" in html
    for (method, path), operation in operations(openapi).items():
        assert f"{method} {path}" in html
        assert f'id="op-{operation["operationId"]}"' in html
    # The document's texts in Dutch.
    assert "Verzoek indienen" in html
    assert "Het kenmerk van het verzoek" in html
    assert 'href="/api/v1/openapi.json"' in html


def test_the_reference_page_in_english(client, openapi):
    html = page(client, "en")
    assert '<html lang="en">' in html
    assert "API reference" in html and "Submit a request" in html
    for operation in operations(openapi).values():
        assert operation["summary"] in html.replace("&#x27;", "'")


def test_the_reference_page_shows_fields_examples_and_the_values_of_each_enum(client):
    html = page(client, "en")
    assert "<code>patient.email</code>" in html
    assert "<code>steps[].event</code>" in html
    assert "&quot;practice&quot;: &quot;01234567&quot;" in html  # the example call
    assert 'id="enum-State"' in html and "<code>awaiting_patient</code>" in html
    assert html.count('<pre class="example"') >= 9
    # Every heading level follows the one before it (accessible structure).
    levels = [int(level) for level in re.findall(r"<h([1-6])", html)]
    assert levels[0] == 1 and all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False))


def test_the_reference_page_is_a_page_to_read(client):
    assert client.post("/api/v1/reference").status_code == 405
