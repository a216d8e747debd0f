"""The pages to enter a request received by letter, telephone or at the desk, and to send a
request back to processor support: allowed and refused paths, bad input."""

import datetime

import pytest
from django.utils import timezone

from requests_app.models import AuditRecord, Request, RequestState
from requests_app.roles import Role
from tests.factories import forwarded, make_user, submit

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/staff/requests/new/"


def _form(practice, **overrides) -> dict:
    data = {
        "practice": practice.pk,
        "channel": "letter",
        "received_on": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        "kind": "access",
        "name": "Grietje Bakker",
        "birth_date": "1950-02-01",
        "email": "",
        "postal_address": "Kerkstraat 5\n1234 AB Ergens",
        "phone": "",
        "patient_number": "P-77",
        "description": "Ik wil graag mijn gegevens inzien.",
        "identity_how": "",
        "assignee": "",
    }
    data.update(overrides)
    return data


def test_the_queue_links_to_the_entry_form_and_a_letter_is_entered(
    client, handler, practice, providers
):
    client.force_login(handler)
    assert URL in client.get("/staff/").content.decode()
    page = client.get(URL).content.decode()
    assert 'name="received_on"' in page and 'value="letter"' in page
    response = client.post(URL, _form(practice))
    item = Request.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/staff/requests/{item.reference}/"
    )
    assert item.channel == "letter" and item.state == RequestState.FORWARDED
    shown = client.get(response["Location"]).content.decode()
    assert "Kerkstraat 5" in shown and "antwoord per post" in shown
    assert "Ingevoerd door de praktijk" in shown or "ingevoerd door de praktijk" in shown
    assert f'action="/staff/requests/{item.reference}/message/"' not in shown


@pytest.mark.parametrize(
    "change",
    [
        {"received_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat()},
        {"description": "Inzage\x00graag"},
        {"name": "Grietje\u202eBakker"},
        {"postal_address": ""},
        {"identity_how": "Paspoort"},  # a letter is no visit to the desk
        {"channel": "web"},
        {"email": "grietje@exаmple.com\x00"},
    ],
)
def test_bad_input_is_a_400_and_nothing_is_stored(client, handler, practice, change):
    client.force_login(handler)
    response = client.post(URL, _form(practice, **change))
    assert response.status_code == 400
    assert not Request.objects.exists()


def test_another_practices_handler_or_practice_is_refused(
    client, handler, other_handler, practice, other_practice
):
    client.force_login(handler)
    assert client.post(URL, _form(practice, assignee=other_handler.pk)).status_code == 400
    assert client.post(URL, _form(other_practice)).status_code == 400
    assert not Request.objects.exists()


def test_roles_without_handling_cannot_enter(client, practice, support):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    for user in (fg, support):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, _form(practice)).status_code == 403
    assert not Request.objects.exists()


# --- Sending back ----------------------------------------------------------------------------
def test_the_send_back_page_sends_it_to_support_and_the_practice_loses_sight_of_it(
    client, handler, support, practice, patient, providers
):
    item = forwarded(submit(practice, patient))
    client.force_login(handler)
    detail = f"/staff/requests/{item.reference}/"
    url = f"{detail}send-back/"
    assert url in client.get(detail).content.decode()
    assert 'name="reason"' in client.get(url).content.decode()
    response = client.post(url, {"version": item.version, "reason": "Geen patiënt van ons"})
    assert response.status_code == 302 and response["Location"].endswith("/staff/")
    assert client.get(detail).status_code == 404
    assert item.reference not in client.get("/staff/").content.decode()
    client.force_login(support)
    queue = client.get("/staff/unrouted/").content.decode()
    assert item.reference in queue and "Geen patiënt van ons" in queue
    assert practice.name in queue
    # Support routes it again through the existing route form.
    route = f'action="/staff/requests/{item.reference}/route/"'
    assert route in client.get(detail).content.decode()


def test_send_back_is_refused_without_reason_for_decided_or_other_roles(
    client, handler, other_handler, practice, patient, providers
):
    item = forwarded(submit(practice, patient))
    url = f"/staff/requests/{item.reference}/send-back/"
    client.force_login(handler)
    assert client.post(url, {"version": item.version, "reason": ""}).status_code == 400
    assert client.post(url, {"version": item.version, "reason": "a\x00b"}).status_code == 400
    assert client.post(url, {"version": item.version + 5, "reason": "Niet"}).status_code == 409
    fg = make_user("fg@practice.example", Role.DPO, practice)
    client.force_login(fg)
    assert client.get(url).status_code == 403
    assert client.post(url, {"version": item.version, "reason": "Niet"}).status_code == 403
    client.force_login(other_handler)
    assert client.post(url, {"version": item.version, "reason": "Niet"}).status_code == 404
    assert Request.objects.get(pk=item.pk).state == RequestState.FORWARDED
    assert not AuditRecord.objects.filter(event_type="request.send_back").exists()


def test_a_closed_request_cannot_be_sent_back(client, handler, practice, patient, providers):
    from requests_app.lifecycle import perform_transition

    item = forwarded(submit(practice, patient))
    item = perform_transition(item, "acknowledge", actor=handler)
    item = perform_transition(item, "refuse", actor=handler, reason="x", legal_ground="identity")
    item = perform_transition(item, "close", actor=handler)
    client.force_login(handler)
    url = f"/staff/requests/{item.reference}/send-back/"
    assert url not in client.get(f"/staff/requests/{item.reference}/").content.decode()
    response = client.post(url, {"version": item.version, "reason": "Niet van ons"})
    assert response.status_code == 400
    assert Request.objects.get(pk=item.pk).state == RequestState.CLOSED


def test_the_handler_records_a_withdrawal_only_of_a_request_the_practice_entered(
    client, handler, practice, patient, providers
):
    client.force_login(handler)
    client.post(URL, _form(practice))
    entered = Request.objects.get()
    web = forwarded(submit(practice, patient))
    step = "/staff/requests/{}/act/withdraw/"
    assert (
        step.format(web.reference)
        not in client.get(f"/staff/requests/{web.reference}/").content.decode()
    )
    response = client.post(
        step.format(web.reference), {"withdraw-version": web.version, "withdraw-note": "Gebeld"}
    )
    assert response.status_code == 403  # the patient's own step
    assert Request.objects.get(pk=web.pk).state == RequestState.FORWARDED
    page = client.get(f"/staff/requests/{entered.reference}/").content.decode()
    assert step.format(entered.reference) in page
    response = client.post(
        step.format(entered.reference),
        {"withdraw-version": entered.version, "withdraw-note": "Per telefoon ingetrokken"},
    )
    assert response.status_code == 302
    done = Request.objects.get(pk=entered.pk)
    assert done.state == RequestState.WITHDRAWN
    assert done.events.last().note == "Per telefoon ingetrokken"
