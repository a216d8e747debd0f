"""In the browser: a processor administrator ends a practice's contract: starts the exit, exports
the archive (the passphrase shown once), destroys after typing the AGB code, ticks off the manual
step and reads the certificate. Screenshots (Dutch and English, wide and narrow) go to
SCREENSHOTS_DIR."""

import pytest

from demo import platform as demo
from requests_app.models import ExitState, PracticeExit, Request, SubProcessor
from requests_app.roles import Role
from tests.e2e.pages import WIDTHS, snap, staff_page
from tests.factories import a_register, approve, make_user, submit

pytestmark = pytest.mark.e2e


def test_an_administrator_ends_a_practice_contract_in_the_screens(
    live_server,
    browser,
    shots,
    settings,
    tmp_path,
    transactional_db,
    platform_db,
    package_dir,
    practice,
    other_practice,
    patient,
):
    settings.EXIT_ARCHIVE_DIR = tmp_path / "exits"
    a_register()
    SubProcessor.objects.create(
        name="AWS", service="push notifications", location="Frankfurt", categories=["device_id"]
    )
    approve(practice, "VANAD Enovation", "AWS")
    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=patient.email, messages=3)
    submit(practice, patient)
    admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)

    page = staff_page(browser, live_server, admin)
    page.goto(f"{live_server.url}/staff/exits/")
    snap(page, shots, "exits-list")
    page.locator(f"a[href='/staff/exits/start/{practice.agb_code}/']").click()
    page.get_by_role("button", name="Beëindiging starten").click()
    assert page.locator(".error-summary").is_visible()
    snap(page, shots, "exit-start-errors")
    page.get_by_label("De overeenkomst is beëindigd").check()
    page.get_by_label("Kenmerk van de opzegging of het schriftelijke verzoek").fill("Opzegging 7")
    page.get_by_label("Datum van de opzegging of het verzoek").fill("2026-10-01")
    page.get_by_role("button", name="Beëindiging starten").click()
    assert "De beëindiging is gestart" in page.content()

    page.get_by_role("button", name="Het archief exporteren").click()
    passphrase = page.locator("#passphrase").inner_text()
    assert len(passphrase) == 35
    for width in WIDTHS:  # shown once: not reloaded
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"exit-passphrase-nl-{width}.png"), full_page=True)
    record = PracticeExit.objects.get(practice=practice)
    page.goto(f"{live_server.url}/staff/exits/{record.pk}/")
    assert passphrase not in page.content()

    page.get_by_label("Typ ter bevestiging de AGB-code van de praktijk").fill(
        other_practice.agb_code
    )
    page.get_by_role("button", name="Alles vernietigen").click()
    assert "Dit is niet de AGB-code van deze praktijk." in page.content()
    assert Request.objects.filter(practice=practice).exists()
    page.get_by_label("Typ ter bevestiging de AGB-code van de praktijk").fill(practice.agb_code)
    page.get_by_role("button", name="Alles vernietigen").click()
    assert "Niet klaar" in page.content()  # AWS has no API: a manual step
    assert not Request.objects.filter(practice=practice).exists()
    snap(page, shots, "exit-destroying")

    page.get_by_label("Wat is er gedaan, en waar").fill("Apparaat-tokens verwijderd in AWS SNS")
    page.get_by_role("button", name="Afvinken").click()
    page.get_by_label("Typ ter bevestiging de AGB-code van de praktijk").fill(practice.agb_code)
    page.get_by_role("button", name="Verder met de vernietiging").click()
    assert "Verklaring van vernietiging" in page.content()
    assert PracticeExit.objects.get(pk=record.pk).state == ExitState.CERTIFIED
    assert record.manifest_digest in page.content()
    snap(page, shots, "exit-certificate")
