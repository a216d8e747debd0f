"""A patient opens a letter from their page in the browser, on a desktop and on a phone, in Dutch
and in English; the handler opens the same letter from the request page. Screenshots go to
SCREENSHOTS_DIR when set."""

import dataclasses

import pytest

from requests_app.legal import LegalGround
from requests_app.models import Request
from tests.e2e.pages import patient_page, staff_page
from tests.factories import decided, forwarded, submit, with_complaint_settings
from workflows.casework import actions as casework

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


def refused(practice, patient, handler, language):
    item = decided(practice, patient, handler, kind="access", grant=False)
    Request.objects.filter(pk=item.pk).update(language=language)
    return casework.act(
        Request.objects.get(pk=item.pk),
        "refuse",
        actor=handler,
        version=item.version,
        reason="Inzage in het hele dossier zou de privacy van uw partner schaden: "
        "de berichten gaan ook over haar.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )


@pytest.mark.parametrize(
    ("language", "title", "six_weeks"),
    [
        ("nl", "Beslissing op uw verzoek: afgewezen", "binnen zes weken"),
        ("en", "Decision on your request: refused", "within six weeks"),
    ],
)
def test_the_patient_reads_a_letter_on_a_desktop_and_a_phone(
    live_server,
    browser,
    providers,
    shots,
    transactional_db,
    practice,
    handler,
    patient,
    language,
    title,
    six_weeks,
):
    handler.first_name, handler.last_name = "Petra", "de Boer"
    handler.save()
    item = refused(practice, patient, handler, language)
    providers.reset()

    page = patient_page(browser, live_server, providers, patient.email)
    if language == "en":
        page.locator("#language-select").select_option("en")
        page.locator("form.language button").click()
    page.screenshot(path=str(shots / f"track-letters-{language}.png"), full_page=True)
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", level=1, name=title).wait_for()
    assert six_weeks in page.locator("article.letter").inner_text()
    assert page.locator("article.letter").get_attribute("lang") == language
    assert page.locator("h1").count() == 1
    page.screenshot(path=str(shots / f"letter-refusal-{language}-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(shots / f"letter-refusal-{language}-390.png"), full_page=True)
    # Printed, only the letter remains.
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".letter-actions").is_visible()
    page.set_viewport_size({"width": 794, "height": 1123})
    page.screenshot(path=str(shots / f"letter-refusal-{language}-print.png"), full_page=True)
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.locator(".letter-actions a[download]").click()
    assert download.value.suggested_filename == f"{item.reference}-refusal.pdf"
    download.value.save_as(str(shots / f"letter-refusal-{language}.pdf"))


def test_the_handler_opens_the_complaint_decision_from_the_request_page(
    live_server, browser, providers, shots, transactional_db, practice, handler, patient
):
    with_complaint_settings(practice)
    other = dataclasses.replace(patient, email="klacht@example.com")
    item = forwarded(submit(practice, other, kind="complaint", about_processor=True))
    for step in ("acknowledge", "investigate"):
        item = casework.act(item, step, actor=handler, version=item.version)
    casework.act(
        item,
        "decide_complaint",
        actor=handler,
        version=item.version,
        verdict="partly_founded",
        reason="De assistente had u moeten terugbellen.",
        measures="Een terugbelafspraak voor de assistentes.",
        measures_due=item.response_due,
    )
    staff = staff_page(browser, live_server, handler)
    staff.goto(live_server.url + f"/staff/requests/{item.reference}/")
    staff.get_by_role("link", name="Beslissing op uw klacht").click()
    staff.get_by_text("Haar uitspraak is bindend").wait_for()
    staff.screenshot(path=str(shots / "letter-complaint-decision-staff.png"), full_page=True)
    staff.get_by_role("link", name="Terug naar het verzoek").click()
    staff.get_by_role("link", name="Ontvangstbevestiging van uw klacht").click()
    staff.get_by_text("kosteloos adviseren").wait_for()
    staff.set_viewport_size(PHONE)
    staff.screenshot(path=str(shots / "letter-complaint-receipt-390.png"), full_page=True)
