"""Processor support records a data breach for two practices in the browser and adds an update;
the FG of one of them sees it, without the other practice, with its 72-hour clock and the
processor's contacts, and records the report to the Autoriteit Persoonsgegevens (agreement art.
5.2, 5.3, 5.6; GDPR art. 33). Screenshots go to SCREENSHOTS_DIR when set."""

import pytest

from requests_app.models import ApState, ContactRole, Incident, ProcessorContact
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page
from tests.factories import make_practice, make_user
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.e2e


def test_support_records_a_breach_for_two_practices_and_the_fg_reports_it_to_the_ap(
    live_server, browser, shots, transactional_db, practice, other_practice, support
):
    make_practice("05555555", name="Praktijk Buiten Schot", city="Delft")
    ProcessorContact.objects.create(
        role=ContactRole.PRIMARY,
        name="Sanne Bakker",
        function="Projectleider",
        email="incidenten@processor.example",
        phone="0612345678",
    )
    ProcessorContact.objects.create(
        role=ContactRole.STANDIN,
        name="Godfried Jansen",
        function="Algemeen directeur",
        email="directie@processor.example",
    )
    fg = make_user("fg@practice.example", Role.DPO, practice)

    page = staff_page(browser, live_server, support)
    page.goto(live_server.url + "/staff/incidents/")
    page.get_by_role("link", name="Een nieuw incident vastleggen").click()
    page.get_by_role("heading", level=1, name="Een nieuw incident vastleggen").wait_for()
    snap(page, shots, "incident-new")
    page.get_by_label("Soort incident").select_option("breach")
    page.get_by_label(practice.name).check()
    page.get_by_label(other_practice.name).check()
    page.get_by_label("Aard van het incident").fill(
        "Een back-up van berichten was een uur lang via een openbare link te downloaden."
    )
    page.get_by_role("button", name="Vastleggen en de praktijken nu informeren").click()
    page.get_by_text("Het incident is vastgelegd; de praktijken zijn geïnformeerd.").wait_for()
    incident = Incident.objects.get()
    assert set(incident.concerned.values_list("practice", flat=True)) == {
        practice.pk,
        other_practice.pk,
    }
    assert page.get_by_text("nog niet bekend").count() >= 3

    page.locator("#id_text").fill("De link is ingetrokken; log toont 2 downloads.")
    page.get_by_label("(Mogelijk) getroffen persoonsgegevens").fill(
        "Berichten en telefoonnummers van circa 40 patiënten."
    )
    page.get_by_label("Getroffen of voorgenomen maatregelen").fill("Link ingetrokken.")
    page.get_by_role("button", name="Aanvulling opslaan en de praktijken informeren").click()
    page.get_by_text("De aanvulling is opgeslagen; de praktijken zijn geïnformeerd.").wait_for()
    assert incident.updates.count() == 1
    snap(page, shots, "incident-support")
    page.goto(live_server.url + "/staff/incidents/")
    snap(page, shots, "incidents-support")
    told = Notification.objects.filter(purpose=Purpose.INCIDENT, practice=practice)
    assert set(told.values_list("recipient", flat=True)) == {
        practice.dpo_email,
        practice.standin_email,
    }
    page.close()

    page = staff_page(browser, live_server, fg)
    page.goto(live_server.url + "/staff/incidents/")
    page.get_by_role("link", name=incident.number).click()
    page.get_by_role("heading", level=1, name=f"Incident {incident.number}").wait_for()
    text = page.locator("main").inner_text()
    assert other_practice.name not in text and "Praktijk Buiten Schot" not in text
    assert "Sanne Bakker" in text and "Godfried Jansen" in text
    assert "De link is ingetrokken" in text and "nog 71 uur" in text
    snap(page, shots, "incident-practice")
    page.locator("summary").get_by_text("Gemeld bij de AP", exact=True).click()
    page.get_by_label("Gemeld bij de AP op").fill("2026-01-05T10:15")
    page.get_by_label("Kenmerk van de AP").fill("AP-2026-0042")
    page.locator("details[open]").get_by_role("button", name="Opslaan").click()
    page.get_by_text("Opgeslagen: Gemeld bij de AP.").wait_for()
    record = incident.concerned.get(practice=practice)
    assert record.ap_state == ApState.REPORTED and record.ap_reference == "AP-2026-0042"
    assert "AP-2026-0042" in page.locator("main").inner_text()
    snap(page, shots, "incident-practice-reported")
    page.close()
