"""In the browser, the whole way a practice comes onto the portal: the processor administrator
imports the example CSV of practices, invites one practice's first administrator from its page,
that administrator sets a password and an authenticator app and invites a handler, and the
handler signs in from the sign-in page with password and code and finds the practice's queue.
Screenshots (Dutch and English, wide and narrow) go to SCREENSHOTS_DIR; the README shows two."""

import re
import time
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt

from requests_app.models import Practice
from requests_app.roles import Role
from tests.e2e.pages import PASSWORD, accept_and_enrol, link_in_mail, snap, staff_page
from tests.factories import make_user, submit, totp_code

pytestmark = pytest.mark.e2e

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "practices.csv"


def next_code(email: str) -> str:
    """The code the person's authenticator app shows in the next 30-second step (a code is
    accepted once, and the one used to set the app up may still be current)."""
    time.sleep(30 - time.time() % 30 + 0.5)
    secret = decrypt(Authenticator.objects.get(user__email=email, type="totp").data["secret"])
    return totp_code(secret)


def test_a_practice_from_the_csv_import_to_its_first_handler_signing_in(
    live_server, browser, providers, shots, settings, transactional_db, patient
):
    settings.PORTAL_BASE_URL = live_server.url
    processor_admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)

    # 1. The processor administrator imports the example file of practices.
    page = staff_page(browser, live_server, processor_admin)
    page.get_by_role("link", name="Praktijken").click()
    page.get_by_role("link", name="CSV-bestand importeren").click()
    page.get_by_label("CSV-bestand met praktijken").set_input_files(str(EXAMPLE))
    page.get_by_role("button", name="Bestand controleren").click()
    assert "Import controleren" in page.content()
    assert page.locator("tr.outcome-refused").count() == 0
    snap(page, shots, "onboarding-import-preview")
    page.get_by_role("button", name=re.compile(r"^Importeren: 3 nieuw")).click()
    assert "Importverslag" in page.content()
    practice = Practice.objects.get(agb_code="01000001")
    assert practice.name == "Huisartsenpraktijk De Linde"

    # 2. From the practice's page, its first administrator is invited.
    page.goto(f"{live_server.url}/staff/practices/")
    page.get_by_role("link", name="Huisartsenpraktijk De Linde").click()
    page.get_by_role("link", name="Beheerder praktijk uitnodigen").click()
    assert page.get_by_label("AGB-code van de praktijk").input_value() == "01000001"
    page.get_by_label("Volledige naam").fill("Bea Beheer")
    page.get_by_label("E-mailadres op het werk").fill("bea@delinde.example")
    page.get_by_role("button", name="Uitnodiging versturen").click()
    assert "De uitnodiging is verstuurd naar bea@delinde.example" in page.content()

    # 3. The administrator accepts, enrols a second factor and invites a handler.
    admin_page = accept_and_enrol(browser, link_in_mail(providers, "bea@delinde.example"), "Bea")
    admin_page.goto(f"{live_server.url}/staff/")
    admin_page.get_by_role("link", name="Team").click()
    admin_page.get_by_role("link", name="Teamlid uitnodigen").click()
    admin_page.get_by_label("Volledige naam").fill("Henk Handel")
    admin_page.get_by_label("E-mailadres op het werk").fill("henk@delinde.example")
    admin_page.get_by_label("Behandelaar van verzoeken").check()
    admin_page.get_by_role("button", name="Uitnodiging versturen").click()
    assert "Openstaande uitnodigingen" in admin_page.content()
    snap(admin_page, shots, "onboarding-team-pending")

    # 4. The handler accepts, enrols, and later signs in from the sign-in page.
    link = link_in_mail(providers, "henk@delinde.example")
    accept_and_enrol(browser, link, "Henk Handel").close()
    item = submit(practice, patient)
    code = next_code("henk@delinde.example")
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="nl-NL")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("E-mailadres").fill("henk@delinde.example")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.locator("input[name=code]").fill(code)
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(re.compile(r"/staff/$"))
    assert item.reference in page.content()
    snap(page, shots, "onboarding-first-handler-queue")
