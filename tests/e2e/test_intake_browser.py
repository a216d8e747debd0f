"""A patient submits a request in a real browser (Debian's Chromium driven by Playwright);
then a practice handler finds it in the queue. Screenshots go to SCREENSHOTS_DIR when set
(the README's pictures are made this way)."""

import re

import pytest

from requests_app.models import Request, RequestState
from requests_app.roles import Role
from tests.e2e.pages import staff_page
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
    page.get_by_label("Geboortedatum").fill("1980-05-17")
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
