"""The patient's page of one request: what happened to it, and who at the practice or the
processor viewed, exported or changed their data (Wabvpz art. 15e, NEN 7513), by name and role,
never by e-mail address or code; another patient's request is a 404 that the log keeps."""

import dataclasses
import re

import pytest

from requests_app import audit
from requests_app.models import AuditAction, AuditOutcome, AuditRecord
from tests.factories import forwarded, released_package, submit
from workflows.casework import actions as casework
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db


def named(user, first: str, last: str):
    user.first_name, user.last_name = first, last
    user.save()
    return user


def page_of(client, item, **query) -> str:
    response = client.get(f"/track/{item.reference}/access/", query)
    assert response.status_code == 200
    return response.content.decode()


def lines(page: str) -> list[str]:
    """The access log's lines as the patient reads them, tags stripped."""
    log = page.split('class="access-log"', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", log, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in items]


@pytest.fixture
def mine(practice, patient, providers):
    return forwarded(submit(practice, patient))


def test_the_patient_sees_who_viewed_their_request_by_name_and_role_not_address(
    client, mine, practice, patient, handler
):
    named(handler, "Karin", "Smit")
    client.force_login(handler)
    assert client.get(f"/staff/requests/{mine.reference}/").status_code == 200
    client.force_login(account_for(patient.email))
    client.get("/track/")  # the patient's own look is not listed
    page = page_of(client, mine)
    newest, forwarding = lines(page)
    assert newest.endswith(
        f"Karin Smit bekeek uw verzoek Behandelaar van privacyverzoeken, {practice.name}"
    )
    # Sending the request to the practice is a disclosure too, made by the portal itself.
    assert forwarding.endswith("Het systeem (automatisch) stuurde uw verzoek door naar uw praktijk")
    assert handler.email not in page and handler.username not in page
    assert "request.view" not in page and "patient.view" not in page
    # The forwarding by the portal itself is on the request's history, in patient words.
    assert f"Uw verzoek is doorgestuurd naar {practice.name}" in page


def test_another_patients_request_is_a_404_logged_as_denied_and_shown_without_a_name(
    client, mine, practice, patient
):
    other = dataclasses.replace(patient, name="Els Ander", email="els@example.com")
    submit(practice, other)
    intruder = account_for(other.email)
    client.force_login(intruder)
    response = client.get(f"/track/{mine.reference}/access/")
    assert response.status_code == 404 and patient.name not in response.content.decode()
    denied = AuditRecord.objects.get(user=intruder, outcome=AuditOutcome.DENIED)
    assert (denied.event_type, denied.object_id) == ("patient.view", mine.reference)

    client.force_login(account_for(patient.email))
    page = page_of(client, mine)
    [line] = [line for line in lines(page) if "Iemand" in line]
    assert "Iemand zonder toegang probeerde uw verzoek te openen" in line
    assert "geweigerd en er is niets getoond" in line
    assert "Els" not in page and other.email not in page


def test_a_support_export_shows_as_an_export_and_the_release_on_the_history(
    client, practice, patient, handler, support, providers, platform_db, package_dir
):
    named(support, "Piet", "de Helper")
    item = forwarded(submit(practice, patient))
    item = casework.act(item, "acknowledge", actor=handler, version=item.version)
    item = casework.act(item, "verify_identity", actor=handler, version=item.version, how="ID")
    released_package(item, handler, support)
    client.force_login(account_for(patient.email))
    page = page_of(client, item)
    export = [line for line in lines(page) if "exporteerde" in line]
    assert len(export) == 1
    assert "Piet de Helper exporteerde uw gegevens uit de systemen van de app" in export[0]
    assert "Medewerker ondersteuning van BeterDichtbij B.V." in export[0]
    assert any("downloadde de export van uw gegevens" in line for line in lines(page))
    # Five steps ticked off in a row are one line that says so.
    [steps] = [line for line in lines(page) if "stap uit" in line]
    assert "(5 keer)" in steps
    assert support.email not in page and handler.email not in page
    assert "Uw gegevens staan klaar om te downloaden" in page


def test_the_page_speaks_english_too(client, mine, practice, patient, handler):
    named(handler, "Karin", "Smit")
    client.force_login(handler)
    client.get(f"/staff/requests/{mine.reference}/")
    client.force_login(account_for(patient.email))
    client.cookies["django_language"] = "en"
    page = page_of(client, mine)
    assert "Who saw your data" in page and "Karin Smit viewed your request" in lines(page)[0]
    assert f"Handler of privacy requests, {practice.name}" in page
    assert f"Your request was forwarded to {practice.name}" in page


def test_the_history_shows_steps_messages_and_letters(client, mine, patient, handler):
    item = casework.act(mine, "acknowledge", actor=handler, version=mine.version)
    casework.write_to_patient(item, actor=handler, body="Wij nemen contact op.")
    client.force_login(account_for(patient.email))
    page = page_of(client, item)
    history = page.split('class="history"', 1)[1].split("</ol>", 1)[0]
    assert "Uw praktijk bevestigde dat zij uw verzoek behandelt" in history
    assert "Bericht van uw praktijk" in history
    assert "Wij nemen contact op." not in history  # the text is on "My requests"
    assert f"/track/{item.reference}/letters/receipt-" in history  # the receipt's letter


def test_showing_the_page_is_recorded(client, mine, patient):
    me = account_for(patient.email)
    client.force_login(me)
    page_of(client, mine)
    shown = AuditRecord.objects.filter(user=me, event_type="patient.view").last()
    assert shown.patient_id == patient.email and shown.object_id == mine.reference
    assert shown.details == {"page": "access_log", "status": 200, "number": 1}


def test_a_long_log_is_paged_not_cut(client, mine, patient, handler):
    for n in range(27):  # two kinds of look in turn: none is one line with the one before
        event = "request.view" if n % 2 else "letter.view"
        audit.record(event, AuditAction.READ, user=handler, request=mine)
    client.force_login(account_for(patient.email))
    first = page_of(client, mine)
    assert len(lines(first)) == 25 and "Pagina 1 van 2" in first and "?page=2#access" in first
    rest = lines(page_of(client, mine, page=2))  # two more looks, and the forwarding
    assert len(rest) == 3 and "stuurde uw verzoek door" in rest[-1]
    assert client.get(f"/track/{mine.reference}/access/", {"page": "9"}).status_code == 404
    assert client.get(f"/track/{mine.reference}/access/", {"page": "x"}).status_code == 404


def test_the_request_list_links_to_the_page(client, mine, patient):
    client.force_login(account_for(patient.email))
    track = client.get("/track/").content.decode()
    assert f'href="/track/{mine.reference}/access/"' in track


def test_only_this_requests_records_are_listed(client, mine, practice, patient, handler):
    """Another request of the same patient, and the queue that lists this one, are not looks at
    this request's data."""
    second = forwarded(submit(practice, patient, kind="erasure"))
    client.force_login(handler)
    client.get(f"/staff/requests/{second.reference}/")
    client.get("/staff/")
    client.force_login(account_for(patient.email))
    assert [line for line in lines(page_of(client, mine)) if "bekeek" in line] == []
    assert any("bekeek uw verzoek" in line for line in lines(page_of(client, second)))


def test_a_request_still_without_a_practice_has_its_page_too(client, patient, providers):
    item = submit(None, patient, practice_given="Dokter Onbekend")
    client.force_login(account_for(patient.email))
    page = page_of(client, item)
    assert "Wij zoeken uw praktijk" in page and "bij uw praktijk of bij" in page
    [held] = lines(page)
    assert held.endswith(
        "Het systeem (automatisch) hield uw verzoek apart om uw praktijk te vinden"
    )
