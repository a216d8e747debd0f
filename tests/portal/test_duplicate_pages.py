"""A possible duplicate on the staff pages and in the API: the flag with a link and both actions,
the queue's marker, merge and keep through the page, the refused paths (the FG, another
practice, a closed first request), and `duplicate_of` only for the client's own requests."""

import dataclasses
import json

import pytest
from django.utils import translation

from requests_app.lifecycle import perform_transition
from requests_app.models import ApiClient, Request, RequestState
from requests_app.roles import Role
from tests.factories import forwarded, make_user, submit
from tests.payloads import URL, body
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db(transaction=True)


def fresh(item: Request) -> Request:
    return Request.objects.get(pk=item.pk)


@pytest.fixture
def pair(practice, patient, providers):
    first = forwarded(submit(practice, patient, description="Welke gegevens heeft u?"))
    again = forwarded(
        submit(
            practice, dataclasses.replace(patient, email="Jan@Example.com"), description="Nog eens."
        )
    )
    assert again.duplicate_of == first
    return first, again


def page(client, item) -> str:
    return client.get(f"/staff/requests/{item.reference}/").content.decode()


def test_the_request_page_shows_the_flag_with_a_link_and_both_actions(client, handler, pair):
    first, again = pair
    client.force_login(handler)
    text = page(client, again)
    assert "Mogelijk dubbel verzoek" in text and "hetzelfde e-mailadres" in text
    assert f'href="/staff/requests/{first.reference}/"' in text
    assert f"/staff/requests/{again.reference}/duplicate/merge/" in text
    assert f"/staff/requests/{again.reference}/duplicate/keep/" in text
    # The first names its later possible duplicate.
    assert f'href="/staff/requests/{again.reference}/"' in page(client, first)
    # The queue marks the flagged one only.
    queue = client.get("/staff/").content.decode()
    row = queue.split(f">{again.reference}</a>")[1].split("</td>")[0]
    assert "mogelijk dubbel" in row
    assert "mogelijk dubbel" not in queue.split(f">{first.reference}</a>")[1].split("</td>")[0]
    compare = client.get(f"/staff/requests/{again.reference}/duplicate/")
    assert compare.status_code == 200 and "Nog eens." in compare.content.decode()


def test_merge_through_the_page(client, handler, pair):
    first, again = pair
    client.force_login(handler)
    response = client.post(
        f"/staff/requests/{again.reference}/duplicate/merge/", {"merge-version": again.version}
    )
    assert response.status_code == 302 and response.url == f"/staff/requests/{first.reference}/"
    assert fresh(again).state == RequestState.MERGED
    text = page(client, first)
    assert "Een later verzoek is met dit verzoek samengevoegd" in text and "Nog eens." in text
    assert "samengevoegd met verzoek" in page(client, again)
    assert Notification.objects.filter(request=again, purpose=Purpose.PATIENT_UPDATE).count() == 2


def test_keeping_separate_needs_a_reason(client, handler, pair):
    _first, again = pair
    client.force_login(handler)
    url = f"/staff/requests/{again.reference}/duplicate/keep/"
    response = client.post(url, {"keep-version": again.version, "keep-reason": " "})
    assert response.status_code == 400
    assert fresh(again).duplicate_flagged
    response = client.post(url, {"keep-version": again.version, "keep-reason": "Over haar zoon."})
    assert response.status_code == 302
    assert not fresh(again).duplicate_flagged
    assert "Over haar zoon." in page(client, again)
    assert Notification.objects.filter(request=again, purpose=Purpose.PATIENT_UPDATE).exists()


def test_the_fg_sees_the_flag_but_may_not_decide(client, practice, pair):
    _first, again = pair
    fg = make_user("fg@practice.example", Role.DPO, practice)
    client.force_login(fg)
    text = page(client, again)
    assert "Mogelijk dubbel verzoek" in text and "/duplicate/merge/" not in text
    for action, data in (
        ("merge", {"merge-version": again.version}),
        ("keep", {"keep-version": again.version, "keep-reason": "x"}),
    ):
        response = client.post(f"/staff/requests/{again.reference}/duplicate/{action}/", data)
        assert response.status_code == 403
    assert fresh(again).duplicate_flagged and fresh(again).state == RequestState.FORWARDED


def test_another_practices_request_is_404(client, other_handler, pair):
    _first, again = pair
    client.force_login(other_handler)
    base = f"/staff/requests/{again.reference}/duplicate/"
    assert client.get(base).status_code == 404
    assert client.post(f"{base}merge/", {"merge-version": again.version}).status_code == 404
    data = {"keep-version": again.version, "keep-reason": "Anders."}
    assert client.post(f"{base}keep/", data).status_code == 404
    assert fresh(again).state == RequestState.FORWARDED


def test_merging_into_a_closed_request_is_409(client, handler, pair):
    first, again = pair
    perform_transition(first, "acknowledge", actor=handler)
    perform_transition(
        fresh(first), "refuse", actor=handler, reason="Onbekend", legal_ground="identity"
    )
    client.force_login(handler)
    assert "is niet meer open" in page(client, again)
    response = client.post(
        f"/staff/requests/{again.reference}/duplicate/merge/", {"merge-version": again.version}
    )
    assert response.status_code == 409
    assert "niet mogelijk" in response.content.decode()
    assert fresh(again).state == RequestState.FORWARDED


def api_status(client, key, reference):
    return client.get(f"{URL}/{reference}", HTTP_AUTHORIZATION=f"Bearer {key}").json()


def test_the_api_names_the_request_it_duplicates_only_when_the_client_made_both(
    client, api_key, practice, providers
):
    post = lambda key, data: client.post(  # noqa: E731
        URL, json.dumps(data), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    ).json()["reference"]
    first = post(api_key, body())
    assert api_status(client, api_key, first)["duplicate_of"] is None
    again = post(api_key, body(description="Nogmaals inzage."))
    assert api_status(client, api_key, again)["duplicate_of"] == first
    # Another client's request of the same patient is linked, but never named to this one.
    _other, other_key = ApiClient.issue("other-app")
    third = post(other_key, body(description="Via een andere app."))
    assert Request.objects.get(reference=third).duplicate_of.reference == first
    assert api_status(client, other_key, third)["duplicate_of"] is None
    with translation.override("nl"):
        assert api_status(client, api_key, again)["state"] in ("received", "forwarded")


def test_the_patient_reads_that_the_later_request_was_added_to_the_earlier_one(
    client, handler, pair, patient
):
    from workflows.casework import duplicates, patients

    first, again = pair
    duplicates.merge(again, actor=handler, version=again.version)
    client.force_login(patients.account_for(patient.email))
    track = client.get("/track/").content.decode()
    assert "Toegevoegd aan uw eerdere verzoek over hetzelfde" in track
    history = client.get(f"/track/{again.reference}/access/").content.decode()
    assert "Uw verzoek is toegevoegd aan uw eerdere verzoek over hetzelfde" in history
    # The merged request takes no messages: the patient writes on the first one.
    assert f"/track/{again.reference}/reply/" not in track
    assert f"/track/{first.reference}/reply/" in track
