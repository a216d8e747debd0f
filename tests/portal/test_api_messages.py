"""The practice's messages and the patient's replies through the app, as on the patient's page:
the open question with its paused term, an answer that lets the request go on, a message after
the decision, and a clear 409 once the patient may no longer write."""

import datetime
import json

import pytest
from django.utils import timezone

from requests_app.models import (
    ApiClient,
    AuditRecord,
    Channel,
    Request,
    RequestMessage,
    RequestState,
)
from tests.factories import decided, forwarded, submit
from tests.payloads import URL
from workflows.casework import actions as casework
from workflows.models import Notification

pytestmark = pytest.mark.django_db
QUESTION = "Stuurt u een kopie van uw identiteitsbewijs?"


@pytest.fixture
def app(practice):
    return ApiClient.issue("patient-app")


@pytest.fixture
def api(client, app):
    _client, key = app

    def call(method, path, data=None, **headers):
        raw = data if isinstance(data, str) else json.dumps(data) if data is not None else ""
        return client.generic(
            method,
            path,
            raw,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            **headers,
        )

    return call


@pytest.fixture
def asked(app, practice, patient, handler):
    """The app's request, on which the practice waits for the patient's answer."""
    item = forwarded(submit(practice, patient, channel=Channel.APP, api_client=app[0]))
    item = casework.act(item, "acknowledge", actor=handler, version=item.version)
    return casework.act(
        item,
        "ask_patient",
        actor=handler,
        version=item.version,
        note=QUESTION,
        stops_clock=True,
        clock_reason="Zonder bevestigde identiteit mogen we niets geven.",
    )


def test_the_app_reads_the_question_and_whether_the_patient_may_write(api, asked):
    response = api("GET", f"{URL}/{asked.reference}/messages")
    assert response.status_code == 200
    answer = response.json()
    assert answer["may_write"] is True and answer["writing_until"] is None
    question = answer["open_question"]
    assert question["text"] == QUESTION and question["term_paused"] is True
    assert question["reason"] == "Zonder bevestigde identiteit mogen we niets geven."
    assert [m["sender"] for m in answer["messages"]] == ["practice"]
    assert answer["messages"][0]["id"] == question["message_id"]
    assert AuditRecord.objects.filter(
        event_type="api.messages", user_label="api:patient-app", object_id=asked.reference
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_the_patients_answer_lets_the_request_go_on_and_the_handler_is_told(api, asked, providers):
    response = api("POST", f"{URL}/{asked.reference}/messages", {"body": "  Bijgevoegd.  "})
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer["answered"] is True and answer["state"] == "in_review"
    assert answer["message"]["sender"] == "patient" and answer["message"]["body"] == "Bijgevoegd."
    item = Request.objects.get(pk=asked.pk)
    assert item.state == RequestState.IN_REVIEW and not item.waits.filter(ended_at=None).exists()
    message = RequestMessage.objects.get(pk=answer["message"]["id"])
    assert message.author.email == asked.patient_email  # the patient's own message
    assert Notification.objects.filter(request=item, recipient="handler@practice.example").exists()
    after = api("GET", f"{URL}/{asked.reference}/messages").json()
    assert after["open_question"] is None
    assert [m["sender"] for m in after["messages"]] == ["practice", "patient"]
    steps = api("GET", f"{URL}/{asked.reference}/history").json()["steps"]
    assert [s["event"] for s in steps][-2:] == ["message_from_patient", "resume"]
    assert AuditRecord.objects.filter(event_type="api.reply", user_label="api:patient-app").exists()


def test_after_the_decision_the_patient_still_writes_for_three_months_then_not(
    api, app, practice, patient, handler
):
    item = decided(practice, patient, handler, kind="access", grant=True)
    Request.objects.filter(pk=item.pk).update(api_client=app[0])
    listing = api("GET", f"{URL}/{item.reference}/messages").json()
    assert listing["may_write"] is True
    assert (
        listing["writing_until"]
        == (timezone.localdate(item.decided_at) + datetime.timedelta(days=91)).isoformat()
    )
    sent = api("POST", f"{URL}/{item.reference}/messages", {"body": "Dank u wel."})
    assert sent.status_code == 201 and sent.json()["answered"] is False
    assert sent.json()["state"] == "granted"
    Request.objects.filter(pk=item.pk).update(
        decided_at=timezone.now() - datetime.timedelta(days=120)
    )
    refused = api("POST", f"{URL}/{item.reference}/messages", {"body": "Nog een vraag."})
    assert refused.status_code == 409
    assert refused.json()["errors"]["state"] == [
        "De patiënt kan de praktijk niet meer schrijven over dit verzoek."
    ]
    assert RequestMessage.objects.filter(request=item).count() == 1
    assert api("GET", f"{URL}/{item.reference}/messages").json()["may_write"] is False


def test_nobody_reads_a_message_before_a_practice_has_the_request(api, app, patient):
    item = submit(None, patient, practice_given="Ergens", channel=Channel.APP, api_client=app[0])
    response = api("POST", f"{URL}/{item.reference}/messages", {"body": "Hallo?"})
    assert response.status_code == 409 and "state" in response.json()["errors"]
    assert not RequestMessage.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"body": ["a"]}, "body"),
        ({}, "body"),
        ('{"body": "a\\u0000b"}', "body"),
    ],
    ids=["empty", "blank", "too long", "a list", "missing", "NUL"],
)
def test_a_bad_message_is_a_400_that_sends_nothing(api, asked, data, field):
    response = api("POST", f"{URL}/{asked.reference}/messages", data)
    assert response.status_code == 400, response.content
    assert response.json()["errors"][field]
    assert RequestMessage.objects.filter(sender="patient").count() == 0
    assert Request.objects.get(pk=asked.pk).state == RequestState.AWAITING_PATIENT


def test_messages_count_against_the_clients_quota(api, app, asked):
    ApiClient.objects.filter(pk=app[0].pk).update(per_minute=100, per_day=1)
    first = api("POST", f"{URL}/{asked.reference}/messages", {"body": "Eén."})
    assert first.status_code == 201
    second = api("POST", f"{URL}/{asked.reference}/messages", {"body": "Twee."})
    assert second.status_code == 429 and int(second["Retry-After"]) >= 1
    assert "rate_limit" in second.json()["errors"]
    assert RequestMessage.objects.filter(sender="patient").count() == 1
