"""In the browser: a processor administrator lists practices, adds one, imports a CSV file
(preview, confirm, report); a practice administrator edits their own practice's settings.
Screenshots (Dutch and English, wide and narrow) go to SCREENSHOTS_DIR."""

import pytest

from requests_app.models import Practice
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page
from tests.factories import make_practice, make_user

pytestmark = pytest.mark.e2e

CSV = "\n".join(
    [
        "agb_code;name;street;postcode;city;dpo_name;dpo_email;dpo_phone;retention_years",
        "01000001;Huisartsenpraktijk De Linde;Lindelaan 12;3511 AB;Utrecht;Anna de Vries;"
        "fg@delinde.example;06 12345678;15",
        "01234567;Huisartsenpraktijk Centrum (nieuw adres);Markt 2;3511 AB;Utrecht;"
        "Anna de Vries;fg-01234567@practice.example;;15",
        "0100002;Gezondheidscentrum Het Anker;Havenstraat 3;8011AA;Zwolle;Dirk Jansen;"
        "privacy@hetanker.example;;15",
        "01000003;<b>Praktijk</b> Aan Zee;Boulevard 7;0000 ZZ;Den Haag;Fatima El Amrani;;;15",
    ]
)


def test_an_administrator_onboards_practices_in_the_screens(
    live_server, browser, shots, transactional_db, tmp_path
):
    make_practice("01234567", name="Huisartsenpraktijk Centrum")
    make_practice("07654321", name="Praktijk Elders", city="Zwolle", postcode="8011AA")
    admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)

    page = staff_page(browser, live_server, admin)
    page.goto(f"{live_server.url}/staff/practices/")
    assert "Praktijk Elders" in page.content()
    snap(page, shots, "practices-list")

    page.get_by_role("link", name="Praktijk toevoegen").click()
    page.get_by_role("button", name="Praktijk toevoegen").click()
    assert page.locator(".error-summary").is_visible()
    snap(page, shots, "practice-new-errors")
    page.get_by_label("Naam", exact=True).fill("Huisartsen Oost")
    page.get_by_label("AGB-code").fill("01999999")
    page.get_by_label("Straat en huisnummer").fill("Oostweg 4")
    page.get_by_label("Postcode").fill("3512cd")
    page.get_by_label("Plaats").fill("Utrecht")
    page.get_by_label("Naam privacycontactpersoon (FG)").fill("Els Oost")
    page.get_by_label("E-mailadres privacycontactpersoon (FG)").fill("fg@oost.example")
    page.get_by_role("button", name="Praktijk toevoegen").click()
    assert "De praktijk Huisartsen Oost is toegevoegd." in page.content()
    assert Practice.objects.get(agb_code="01999999").postcode == "3512 CD"
    assert "admin@processor.example" in page.locator("#h-changes + ul").inner_text()
    snap(page, shots, "practice-detail")

    page.goto(f"{live_server.url}/staff/practices/import/")
    upload = tmp_path / "praktijken.csv"
    upload.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    page.get_by_label("CSV-bestand met praktijken").set_input_files(str(upload))
    page.get_by_role("button", name="Bestand controleren").click()
    assert "Import controleren" in page.content()
    assert page.locator("tr.outcome-refused").count() == 2
    snap(page, shots, "practices-import-preview")
    page.get_by_role("button", name="Importeren: 1 nieuw, 1 gewijzigd").click()
    assert "Importverslag" in page.content()
    snap(page, shots, "practices-import-report")
    assert Practice.objects.filter(agb_code="01000001").exists()
    assert not Practice.objects.filter(agb_code="01000003").exists()


def test_a_practice_administrator_edits_their_own_settings(
    live_server, browser, shots, transactional_db
):
    practice = make_practice("01234567", name="Huisartsenpraktijk Centrum")
    manager = make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)
    page = staff_page(browser, live_server, manager)
    page.get_by_role("link", name="Praktijkinstellingen").click()
    assert "Instellingen van Huisartsenpraktijk Centrum" in page.content()
    page.get_by_label("Klachtenfunctionaris", exact=False).first.fill("Mw. K. Klaassen")
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    assert "De wijzigingen zijn opgeslagen." in page.content()
    snap(page, shots, "practice-own-settings")
    practice.refresh_from_db()
    assert practice.complaints_officer == "Mw. K. Klaassen"
