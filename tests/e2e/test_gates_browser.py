"""In the browser: the practice ticks off the recipients of a rectification before carrying it out,
support records an address it found in a look-up and the practice confirms it, and the patient
reads who was told. Screenshots (Dutch and English, wide and narrow) go to SCREENSHOTS_DIR."""

from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from demo import platform as demo
from requests_app.models import ExtraIdentifier, RecipientNotice, Request
from requests_app.models.completion import register_recipients
from tests.e2e.pages import assert_accessible, check, patient_page, staff_page
from tests.factories import a_register, decided
from workflows.assistance import tasks as assistance
from workflows.casework import actions as casework
from workflows.casework import completion

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def register(transactional_db):
    a_register()


WIDTHS = (1280, 390)
SECOND = "jan.werk@example.com"


def snap(page, shots, name: str, selector: str) -> None:
    """The block at each width, in Dutch and then in English (back to Dutch after)."""
    host = urlsplit(page.url).hostname
    problems = []
    for language in ("nl", "en"):
        cookie = {"name": "django_language", "value": language, "domain": host, "path": "/"}
        page.context.add_cookies([cookie])
        page.reload()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.locator(selector).screenshot(path=str(shots / f"{name}-{language}-{width}.png"))
            problems += check(page, name, language, width)
    page.context.add_cookies([{**cookie, "value": "nl"}])
    page.reload()
    assert_accessible(problems)


def test_the_practice_ticks_off_recipients_and_the_patient_reads_them(
    live_server, browser, providers, shots, transactional_db, practice, patient, handler
):
    item = decided(practice, patient, handler, kind="rectification")
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    block = page.locator("section.work-gates")
    assert "Nog open:" in block.inner_text()
    first = register_recipients().first()
    entry = block.locator("li", has_text=first.name)
    entry.get_by_text("Markeren als ingelicht").first.click()
    entry.get_by_label("Hoe").select_option("email")
    entry.get_by_role("button", name="Markeren als ingelicht").click()
    assert RecipientNotice.objects.get(subprocessor=first).state == "told"
    page.locator("section.work-gates summary", has_text="Nog een ontvanger toevoegen").click()
    page.get_by_label("Ontvanger").fill("Saltro laboratorium")
    page.get_by_role("button", name="Toevoegen").click()
    assert "Saltro laboratorium" in page.locator("section.work-gates").inner_text()
    snap(page, shots, "gates-open", "section.work-gates")

    completion.record_no_processor_data(
        Request.objects.get(pk=item.pk), actor=handler, reason="Alleen ons HIS.", version=None
    )
    for notice_key in [f"s-{s.pk}" for s in register_recipients()[1:]]:
        notice = completion.notice_for(item, notice_key)
        completion.tell(notice, actor=handler, told_on=timezone.localdate(), how="letter")
    lab = RecipientNotice.objects.get(name="Saltro laboratorium")
    completion.mark_impossible(lab, actor=handler, reason="Het lab bestaat niet meer.")
    page.reload()
    assert "Alles is gedaan" in page.locator("section.work-gates").inner_text()
    snap(page, shots, "gates-done", "section.work-gates")
    page.close()

    casework.act(Request.objects.get(pk=item.pk), "fulfil", actor=handler, version=None)
    # The patient reads who was told in the letter that the request was carried out.
    mine = patient_page(browser, live_server, providers, patient.email)
    mine.get_by_role("link", name="Uw verzoek is uitgevoerd").click()
    told = mine.locator(".recipients-told")
    assert first.name in told.inner_text() and "Het lab bestaat niet meer." in told.inner_text()
    snap(mine, shots, "gates-patient", ".recipients-told")


def test_support_records_an_address_and_the_practice_confirms_it(
    live_server, browser, shots, transactional_db, platform_db, practice, patient, handler, support
):
    for email, messages in ((patient.email, 3), (SECOND, 7)):
        demo.add_patient(
            platform_db,
            practice_agb=practice.agb_code,
            email=email,
            birth_date=patient.birth_date,
            messages=messages,
        )
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    page = staff_page(browser, live_server, support)
    page.goto(f"{live_server.url}/staff/tasks/{task.pk}/")
    page.locator("form.lookup input[name=email]").fill(SECOND)
    page.locator("form.lookup button").click()
    section = page.locator("section[aria-labelledby=h-identifiers]")
    section.get_by_label("Waarom is het dezelfde patiënt?").fill("Zelfde naam en geboortedatum")
    section.get_by_role("button", name="Vastleggen bij de taak").click()
    assert ExtraIdentifier.objects.get(task=task).value == SECOND
    page.close()

    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/tasks/{task.pk}/")
    snap(page, shots, "identifiers-proposed", "section[aria-labelledby=h-identifiers]")
    page.get_by_role("button", name="Bevestigen: dit is van onze patiënt").click()
    assert ExtraIdentifier.objects.get(task=task).state == "confirmed"
    snap(page, shots, "identifiers-confirmed", "section[aria-labelledby=h-identifiers]")
