"""A patient submits a request in a real browser (Debian's Chromium driven by Playwright);
then a practice handler finds it in the queue. Screenshots go to SCREENSHOTS_DIR when set
(the README's pictures are made this way)."""

import re

import pytest

from requests_app.models import Request, RequestState
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page
from tests.factories import make_practice, make_user

pytestmark = pytest.mark.e2e


def test_patient_submits_a_request_and_the_practice_sees_it(
    live_server, browser, providers, shots, transactional_db
):
    practice = make_practice("01234567", name="Huisartsenpraktijk De Linde")
    make_practice("02345678", name="Gezondheidscentrum Oost", city="Amsterdam", postcode="1091GH")
    handler = make_user("handler@delinde.example", Role.HANDLER, practice)

    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="nl-NL")
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "nl"
    page.get_by_label(re.compile("huisartsenpraktijk", re.I)).fill("Utrecht")
    page.get_by_role("button", name="Zoeken").click()
    page.get_by_role("link", name=re.compile("De Linde")).click()

    page.get_by_label("Inzage").check()
    page.get_by_label("Volledige naam").fill("Jan Jansen")
    page.get_by_label("Dag", exact=True).fill("17")
    page.get_by_label("Maand", exact=True).fill("5")
    page.get_by_label("Jaar", exact=True).fill("1980")
    page.get_by_label("E-mailadres").fill("jan@example.com")
    page.get_by_label(re.compile("Mobiel nummer")).fill("06 87654321")
    page.get_by_label("Uw verzoek").fill("Ik wil graag weten welke gegevens u van mij heeft.")
    page.get_by_label(re.compile("Ik bevestig")).check()
    page.screenshot(path=str(shots / "intake-form.png"), full_page=True)
    page.get_by_role("button", name="Verder").click()

    mail = providers.wait_for(lambda calls: any(c.to == ["jan@example.com"] for c in calls))[-1]
    code = re.search(r"\b(\d{6})\b", mail.text).group(1)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name=re.compile("verzoek", re.I)).click()

    reference = page.locator("#reference").inner_text().strip()
    page.screenshot(path=str(shots / "intake-done.png"), full_page=True)
    stored = Request.objects.get(reference=reference)
    assert stored.practice == practice and stored.state == RequestState.FORWARDED

    staff = staff_page(browser, live_server, handler, height=700)
    staff.get_by_role("link", name=reference).wait_for()
    staff.screenshot(path=str(shots / "staff-queue.png"), full_page=True)


def snap_and_check(page, shots, name: str) -> None:
    """The screenshots, then axe-core on the page as it stands (Dutch): no serious failures."""
    from axe_playwright_python.sync_playwright import Axe

    snap(page, shots, name)
    found = Axe().run(page).response["violations"]
    serious = [v["id"] for v in found if v["impact"] in ("serious", "critical")]
    assert not serious, (name, serious)


def fill_details(page, kind: str) -> None:
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Volledige naam").fill("Jan Jansen")
    page.get_by_label("Dag", exact=True).fill("17")
    page.get_by_label("Maand", exact=True).fill("5")
    page.get_by_label("Jaar", exact=True).fill("1980")
    page.get_by_label("E-mailadres").fill("jan@example.com")
    page.get_by_label("Uw verzoek").fill("De assistente gaf mijn uitslag aan een ander.")
    page.get_by_label(re.compile("Ik bevestig")).check()


def confirm_code(page, providers) -> None:
    mail = providers.wait_for(lambda calls: any(c.to == ["jan@example.com"] for c in calls))[-1]
    page.get_by_label("Code").fill(re.search(r"\b(\d{6})\b", mail.text).group(1))
    providers.reset()
    page.get_by_role("button", name=re.compile("verzoek", re.I)).click()


def test_a_checkbox_help_reads_as_a_line_of_text_not_a_column_of_words(
    live_server, browser, transactional_db
):
    practice = make_practice("01234567", name="Huisartsenpraktijk De Linde")
    page = browser.new_page(viewport={"width": 390, "height": 900}, locale="nl-NL")
    page.goto(f"{live_server.url}/request/{practice.agb_code}/")
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        box = page.locator("#id_about_processor_help").bounding_box()
        assert box["width"] > 250, box
        assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_every_intake_screen_at_both_widths_and_languages(
    live_server, browser, providers, shots, transactional_db, support
):
    """Pictures of each step, for a patient's eye (the screenshots are looked at by people)."""
    practice = make_practice("01234567", name="Huisartsenpraktijk De Linde")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page.goto(live_server.url + "/")
    snap_and_check(page, shots, "intake-start")
    page.goto(live_server.url + "/?q=")
    snap_and_check(page, shots, "intake-search-empty")
    page.goto(live_server.url + "/?q=Utrecht")
    snap_and_check(page, shots, "intake-search-results")
    page.goto(live_server.url + "/?q=Nergenshuizen")
    snap_and_check(page, shots, "intake-search-none")
    page.goto(f"{live_server.url}/request/{practice.agb_code}/")
    snap_and_check(page, shots, "intake-details")
    page.get_by_label("Klacht", exact=True).check()
    page.get_by_label("Dag", exact=True).fill("31")
    page.get_by_label("Maand", exact=True).fill("2")
    page.get_by_label("Jaar", exact=True).fill("1980")
    page.get_by_role("button", name="Verder").click()
    snap_and_check(page, shots, "intake-details-complaint-errors")
    fill_details(page, "Klacht")
    page.get_by_label("Dag", exact=True).fill("17")
    page.get_by_role("button", name="Verder").click()
    snap_and_check(page, shots, "intake-confirm-complaint")
    confirm_code(page, providers)
    snap_and_check(page, shots, "intake-done")
    page.goto(f"{live_server.url}/request/other/")
    snap_and_check(page, shots, "intake-details-other")
    page.get_by_label("Naam en plaats van uw huisartsenpraktijk").fill("Dokter Pieters, Zwolle")
    fill_details(page, "Inzage")
    page.get_by_role("button", name="Verder").click()
    confirm_code(page, providers)
    snap_and_check(page, shots, "intake-done-unrouted")
