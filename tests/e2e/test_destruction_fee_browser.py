"""In the browser, without JavaScript: a patient asking for their medical file to be destroyed
reads that destruction is final before confirming; the practice records what it destroyed; a fee
asked under art. 12(5) is shown to the practice and to the patient. Screenshots (Dutch and
English, wide and narrow) go to SCREENSHOTS_DIR."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from requests_app.models import Request
from tests.e2e.pages import patient_page, snap, staff_page
from tests.factories import decided
from workflows.casework import actions as casework

pytestmark = pytest.mark.e2e


def test_the_patient_reads_that_destruction_is_final_before_confirming(
    live_server, browser, providers, shots, transactional_db, practice
):
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{live_server.url}/request/{practice.agb_code}/")
    page.get_by_label("Vernietiging van het medisch dossier").check()
    page.get_by_label("Volledige naam").fill("Jan Jansen")
    page.get_by_label("Dag", exact=True).fill("17")
    page.get_by_label("Maand", exact=True).fill("5")
    page.get_by_label("Jaar", exact=True).fill("1980")
    page.get_by_label("E-mailadres").fill("jan@example.com")
    page.get_by_label("Uw verzoek").fill("Vernietig mijn dossier.")
    page.get_by_label(re.compile("Ik bevestig")).check()
    page.get_by_role("button", name="Verder").click()
    warning = page.get_by_role("note")
    assert "Vernietiging is definitief" in warning.inner_text()
    snap(page, shots, "intake-confirm-destruction", scripts=False)
    context.close()


def test_the_practice_records_the_destruction_and_a_fee_the_patient_reads(
    live_server, browser, providers, shots, transactional_db, practice, patient, handler
):
    item = decided(practice, patient, handler, kind="destruction")
    item = casework.act(
        item,
        "fulfil",
        actor=handler,
        version=item.version,
        destroyed_what="Medisch dossier, alle regels tot en met 1 maart 2026",
        destroyed_where="HIS Medicom; labuitslagen in het labportaal; papieren archief",
        destroyed_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    access = decided(practice, patient, handler, kind="access", grant=False)
    casework.act(
        access,
        "charge_fee",
        actor=handler,
        version=access.version,
        amount=Decimal("15.00"),
        justification="Vierde identieke inzageverzoek in twee maanden; er is niets veranderd.",
        cost_basis="Een half uur werk van de praktijkmanager tegen 30 euro per uur.",
    )
    staff = staff_page(browser, live_server, handler)
    staff.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    assert "HIS Medicom" in staff.locator("#h-destruction").locator("..").inner_text()
    snap(staff, shots, "staff-destruction-record")
    staff.goto(f"{live_server.url}/staff/requests/{access.reference}/")
    assert "€ 15,00" in staff.locator("#h-fee").locator("..").inner_text()
    snap(staff, shots, "staff-fee")

    track = patient_page(browser, live_server, providers, patient.email)
    track.get_by_role("link", name="Vergoeding voor uw verzoek").click()
    assert "€ 15,00" in track.content()
    assert Request.objects.get(pk=access.pk).state == "awaiting_fee"
    snap(track, shots, "patient-fee")
