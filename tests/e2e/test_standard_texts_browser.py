"""In the browser: the practice administrator adopts a ready-made message text and writes a closing
paragraph for refusal letters with a preview; a handler picks the message text on the request
page and finds it filled in; the refusal letter carries the practice's paragraph after the text the
law requires. Screenshots of each page (nl and en, desktop and phone) go to SCREENSHOTS_DIR."""

import pytest

from requests_app.legal import LegalGround
from requests_app.models import Request, StandardText
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page
from tests.factories import decided, make_user
from workflows.casework import actions as casework
from workflows.casework import letters

pytestmark = pytest.mark.e2e
CLOSING = "Wilt u hierover praten? Bel {practice_name} op werkdagen tussen 8 en 17 uur."


def test_standard_texts_from_writing_to_the_message_box_and_the_letter(
    live_server, browser, providers, shots, transactional_db, practice, handler, patient
):
    admin = make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)
    item = decided(practice, patient, handler, kind="access", grant=False)

    page = staff_page(browser, live_server, admin)
    page.get_by_role("link", name="Standaardteksten").first.click()
    page.get_by_role("heading", level=1, name="Standaardteksten").wait_for()
    page.get_by_role("button", name="“Wij werken aan uw verzoek” overnemen").click()
    page.get_by_text("Toegevoegd aan de teksten van de praktijk").wait_for()
    page.get_by_role("link", name="Nieuwe alinea voor brieven").click()
    page.get_by_label("In welke brief").select_option("refusal")
    page.get_by_label("Slot: na wat de wet voorschrijft").check()
    page.get_by_label("Naam").fill("Bereikbaarheid bij een afwijzing")
    page.get_by_label("Tekst in het Nederlands").fill(CLOSING)
    page.get_by_label("Tekst in het Engels").fill(
        "Would you like to talk about it? Call {practice_name} on working days, 8 am to 5 pm."
    )
    page.get_by_role("button", name="Voorbeeld bekijken").click()
    preview = page.locator(".text-preview").inner_text()
    assert "Bel Huisartsenpraktijk 01234567 op werkdagen" in preview
    assert "[de eigen tekst van de brief, zoals de wet die voorschrijft]" in preview
    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("Opgeslagen: Bereikbaarheid bij een afwijzing.").wait_for()
    snap(page, shots, "standard-text-edit")
    page.get_by_role("link", name="Alle standaardteksten").click()
    snap(page, shots, "standard-texts")
    assert StandardText.objects.filter(practice=practice).count() == 2

    desk = staff_page(browser, live_server, handler)
    desk.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    desk.get_by_label("Standaardtekst").select_option(label="Wij werken aan uw verzoek")
    desk.get_by_role("button", name="Deze tekst gebruiken").click()
    box = desk.get_by_label("Bericht aan de patiënt")
    assert box.input_value().startswith(f"Wij werken aan uw verzoek ({item.reference}) van ")
    snap(desk, shots, "request-message-picked")
    desk.get_by_role("button", name="Naar de patiënt sturen").click()
    desk.get_by_text("Uw bericht is naar de patiënt gestuurd.").wait_for()

    item = Request.objects.get(pk=item.pk)
    item = casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason="Inzage zou de privacy van een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )
    letter = next(x for x in letters.letters_of(item) if x.name == "refusal")
    desk.goto(f"{live_server.url}/staff/requests/{item.reference}/letters/{letter.key}/")
    text = desk.locator("article.letter").inner_text()
    assert "binnen zes weken" in text
    assert text.index("binnen zes weken") < text.index(
        "Bel Huisartsenpraktijk 01234567 op werkdagen tussen 8 en 17 uur."
    )
    snap(desk, shots, "letter-with-practice-paragraph")
