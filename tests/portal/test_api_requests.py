"""What the app does with a request through the API, as the patient would on their own page:
submit it (also without knowing the practice), read its status, its history and its letters,
find where released data are downloaded, withdraw it. Each read is in the audit log under the
client's name; a step the state does not allow is a clear 409 that changes nothing."""

import datetime
import json

import pytest
from django.utils import timezone

from requests_app.models import (
    ApiClient,
    AuditRecord,
    Channel,
    Request,
    RequestEvent,
    RequestState,
)
from tests.factories import decided, forwarded, released_package, submit
from tests.payloads import URL, body
from workflows.casework import access_log
from workflows.casework import actions as casework

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(practice):
    return ApiClient.issue("patient-app")


@pytest.fixture
def api(client, app):
    """Calls as the app: api("GET", path) or api("POST", path, data)."""
    _client, key = app

    def call(method, path, data=None, **headers):
        raw = json.dumps(data) if data is not None else ""
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
def mine(app, practice, patient):
    """A request the app submitted, as the practice has it."""
    return forwarded(submit(practice, patient, channel=Channel.APP, api_client=app[0]))


def reads(event: str):
    return AuditRecord.objects.filter(event_type=event, user_label="api:patient-app")


# --- Submitting ---------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_without_a_practice_code_the_request_goes_to_processor_support(api, support, providers):
    from requests_app import selectors

    data = body(practice=None, practice_given="Huisartsen De Linde, Utrecht")
    del data["practice"]
    response = api("POST", URL, data)
    assert response.status_code == 201, response.content
    stored = Request.objects.get(reference=response.json()["reference"])
    assert stored.state == RequestState.UNROUTED and stored.practice is None
    assert stored.practice_given == "Huisartsen De Linde, Utrecht"
    assert stored in selectors.requests_visible_to(support)  # support's unrouted queue
    status = api("GET", f"{URL}/{stored.reference}").json()
    assert status["state"] == "unrouted" and status["forwarded_at"] is None
    history = api("GET", f"{URL}/{stored.reference}/history").json()
    assert [step["event"] for step in history["steps"]] == ["submit", "hold_unrouted"]


def test_a_request_needs_a_practice_code_or_the_practice_as_the_patient_named_it(api):
    data = body()
    del data["practice"]
    response = api("POST", URL, data)
    assert response.status_code == 400
    assert "practice_given" in response.json()["errors"]["practice"][0]
    hidden = api("POST", URL, data | {"practice_given": "Praktijk \u202eTSEW"})
    assert hidden.status_code == 400 and "practice_given" in hidden.json()["errors"]
    inactive = api("POST", URL, body(practice="01234567") | {"practice": "07654321"})
    assert inactive.status_code == 400 and "practice" in inactive.json()["errors"]
    assert Request.objects.count() == 0


def test_an_overlong_idempotency_key_is_a_400_naming_the_header(api):
    response = api("POST", URL, body(), HTTP_IDEMPOTENCY_KEY="k" * 201)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Idempotency-Key"]
    assert Request.objects.count() == 0


# --- Status -------------------------------------------------------------------------------------
def test_the_status_says_state_kind_times_and_the_deadline_the_patient_is_shown(api, mine):
    response = api("GET", f"{URL}/{mine.reference}")
    assert response.status_code == 200
    status = response.json()
    assert set(status) == {
        "reference",
        "state",
        "kind",
        "received_at",
        "forwarded_at",
        "deadline",
        "term_paused",
        "duplicate_of",
    }
    assert (status["state"], status["kind"]) == ("forwarded", "access")
    assert status["deadline"] == mine.response_due.isoformat()
    assert status["term_paused"] is False and status["forwarded_at"]
    assert reads("request.status").filter(object_id=mine.reference).count() == 1


def test_while_the_term_stands_still_no_deadline_is_given(api, mine, handler):
    item = casework.act(mine, "acknowledge", actor=handler, version=mine.version)
    casework.act(
        item,
        "ask_patient",
        actor=handler,
        version=item.version,
        note="Welke periode bedoelt u?",
        stops_clock=True,
        clock_reason="Zonder periode kunnen we niet zoeken.",
    )
    status = api("GET", f"{URL}/{mine.reference}").json()
    assert status["state"] == "awaiting_patient"
    assert status["term_paused"] is True and status["deadline"] is None


# --- History ------------------------------------------------------------------------------------
def test_the_history_is_the_patients_own_in_their_words_and_never_a_staff_step(api, mine, handler):
    item = casework.act(mine, "acknowledge", actor=handler, version=mine.version)
    item = casework.assign(item, actor=handler, version=item.version, assignee=handler)
    assert RequestEvent.objects.filter(request=mine, action="assign").exists()
    response = api("GET", f"{URL}/{mine.reference}/history")
    assert response.status_code == 200
    steps = response.json()["steps"]
    assert [step["event"] for step in steps] == ["submit", "forward", "acknowledge"]
    own_page = access_log.timeline(Request.objects.get(pk=mine.pk))
    assert [step["text"] for step in steps] == [step.text for step in own_page]
    assert steps[0]["text"] == "Wij hebben uw verzoek ontvangen"
    assert steps[1]["letter"]["key"].startswith("receipt-")
    english = api("GET", f"{URL}/{mine.reference}/history", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["steps"][0]["text"] == "We received your request"
    assert reads("api.history").filter(object_id=mine.reference).count() == 2


# --- Letters ------------------------------------------------------------------------------------
def test_the_letters_are_listed_and_each_comes_as_the_patients_pdf(
    api, app, practice, patient, handler
):
    item = decided(practice, patient, handler, kind="access", grant=True)
    Request.objects.filter(pk=item.pk).update(api_client=app[0], channel=Channel.APP)
    response = api("GET", f"{URL}/{item.reference}/letters")
    assert response.status_code == 200
    letters = response.json()["letters"]
    assert [letter["kind"] for letter in letters] == ["receipt", "grant"]
    grant = letters[-1]
    assert grant["title"] == "Beslissing op uw verzoek: ingewilligd"
    assert grant["pdf"] == f"/api/v1/requests/{item.reference}/letters/{grant['key']}"
    pdf = api("GET", grant["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f'filename="{item.reference}-grant.pdf"' in pdf["Content-Disposition"]
    record = reads("api.letter_pdf").get()
    assert record.object_id == item.reference and record.details["letter"] == grant["key"]
    assert reads("api.letters").count() == 1


def test_a_letter_that_is_not_the_requests_is_a_404(api, mine, app, practice, patient):
    import dataclasses

    other = forwarded(
        submit(
            practice,
            dataclasses.replace(patient, email="piet@example.com"),
            channel=Channel.APP,
            api_client=app[0],
        )
    )
    key_of_another = f"receipt-{other.events.get(action='forward').pk}"
    for key in (key_of_another, "receipt-x", "nothing", "receipt-²"):
        response = api("GET", f"{URL}/{mine.reference}/letters/{key}")
        assert response.status_code == 404, key
        assert "letter" in response.json()["errors"]


def test_an_unrouted_request_has_no_letters(api, app, patient):
    item = submit(None, patient, practice_given="Ergens", channel=Channel.APP, api_client=app[0])
    assert api("GET", f"{URL}/{item.reference}/letters").json()["letters"] == []


# --- Withdrawing ----------------------------------------------------------------------------------
def test_the_patient_withdraws_through_the_app_and_the_practice_is_told(api, mine, providers):
    from workflows.models import Notification

    response = api("POST", f"{URL}/{mine.reference}/withdraw")
    assert response.status_code == 200
    assert response.json() == {"reference": mine.reference, "state": "withdrawn"}
    item = Request.objects.get(pk=mine.pk)
    assert item.state == RequestState.WITHDRAWN
    event = item.events.get(action="withdraw")
    assert event.actor.email == mine.patient_email  # the patient's act, as on their page
    assert Notification.objects.filter(request=item, purpose__startswith="practice").exists()
    assert reads("api.withdraw").filter(object_id=mine.reference).count() == 1
    history = api("GET", f"{URL}/{mine.reference}/history").json()["steps"]
    assert history[-1]["event"] == "withdraw"


def test_a_decided_request_can_no_longer_be_withdrawn(api, app, practice, patient, handler):
    item = decided(practice, patient, handler, kind="access", grant=True)
    Request.objects.filter(pk=item.pk).update(api_client=app[0])
    version = Request.objects.get(pk=item.pk).version
    response = api("POST", f"{URL}/{item.reference}/withdraw")
    assert response.status_code == 409
    assert response.json()["errors"]["state"] == ["Dit verzoek kan niet meer worden ingetrokken."]
    after = Request.objects.get(pk=item.pk)
    assert (after.state, after.version) == (RequestState.GRANTED, version)
    again = api("POST", f"{URL}/{item.reference}/withdraw", HTTP_ACCEPT_LANGUAGE="en")
    assert again.json()["errors"]["state"] == ["This request can no longer be withdrawn."]


# --- Where released data are downloaded -----------------------------------------------------------
def test_before_anything_is_released_there_is_nothing_to_download(api, mine):
    response = api("GET", f"{URL}/{mine.reference}/package")
    assert response.status_code == 409
    assert response.json()["errors"]["package"] == [
        "Voor dit verzoek is niets vrijgegeven aan de patiënt."
    ]


@pytest.mark.usefixtures("platform_db", "package_dir")
def test_a_released_package_is_a_link_to_the_patients_download_page_never_the_data(
    api, app, practice, patient, handler, support, settings
):
    settings.PORTAL_BASE_URL = "https://portal.example"
    item = decided(practice, patient, handler, kind="access", grant=False)
    Request.objects.filter(pk=item.pk).update(api_client=app[0])
    package = released_package(item, handler, support)
    response = api("GET", f"{URL}/{item.reference}/package")
    assert response.status_code == 200
    answer = response.json()
    assert answer["download_page"] == f"https://portal.example/track/{item.reference}/data/"
    assert answer["data_package"] is True and answer["documents"] == 0
    assert answer["available_until"].startswith(package.link_expires_at.date().isoformat())
    assert set(answer) == {
        "reference",
        "download_page",
        "available_until",
        "data_package",
        "documents",
    }
    assert reads("api.package").filter(object_id=item.reference).count() == 1
    # Once the download period has ended, the app is told so.
    type(package).objects.filter(pk=package.pk).update(
        link_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    ended = api("GET", f"{URL}/{item.reference}/package")
    assert ended.status_code == 409 and "package" in ended.json()["errors"]
