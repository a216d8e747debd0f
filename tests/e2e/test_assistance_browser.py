"""Processor support takes on an assistance task in the browser and looks the patient up; the
practice adds its own document to the answer; the patient later downloads the data package and
the practice's document after one code by SMS. Screenshots go to SCREENSHOTS_DIR when set."""

import re
import zipfile
from pathlib import Path

import pytest

from demo import platform as demo
from requests_app.models import AssistanceTask, DataPackage
from tests.e2e.pages import WIDTHS, patient_page, snap, staff_page, use_language
from tests.factories import decided, granted
from workflows.assistance import packages
from workflows.assistance import tasks as assistance

pytestmark = pytest.mark.e2e

DOSSIER = b"%PDF-1.7\n(Medisch dossier Jan Jansen)\n%%EOF\n"


def test_support_looks_up_and_the_patient_downloads(
    live_server,
    browser,
    providers,
    shots,
    transactional_db,
    platform_db,
    package_dir,
    practice,
    patient,
    handler,
    support,
):
    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        email=patient.email,
        mobile=patient.phone,
        device_id="iphone-jan",
        messages=48,
        video_calls=2,
    )
    item = decided(practice, patient, handler, kind="access", grant=False)
    task = assistance.request_assistance(
        item, actor=handler, kind="supply", instruction="Alle gegevens uit de app, ook gesprekken."
    )

    staff = staff_page(browser, live_server, support, height=1400)
    staff.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    staff.get_by_role("button", name="Deze hulpvraag in behandeling nemen").click()
    staff.get_by_role("button", name="Opzoeken", exact=True).click()
    staff.get_by_role("cell", name="48", exact=True).wait_for()
    staff.screenshot(path=str(shots / "support-task.png"), full_page=True)
    staff.get_by_role("button", name="Het gegevenspakket maken").click()
    staff.get_by_text("Gegevenspakket gemaakt").first.wait_for()

    # Support finishes, the practice accepts and releases (each covered by its own tests).
    task = AssistanceTask.objects.get(pk=task.pk)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets aanwezig")
    task = assistance.deliver(task, actor=support)
    package = DataPackage.objects.get(task=task)
    packages.record_download(package, user=handler, who="practice")  # the practice's review
    assistance.accept(task, actor=handler)

    # The practice adds its own document (the medical file from its system) to the answer.
    practice_page = staff_page(browser, live_server, handler, height=1400)
    practice_page.goto(live_server.url + f"/staff/requests/{item.reference}/")
    practice_page.get_by_text("Een document toevoegen").click()
    practice_page.get_by_label("Bestand").set_input_files(
        {"name": "his-export-8812.pdf", "mimeType": "application/pdf", "buffer": DOSSIER}
    )
    practice_page.get_by_label("Naam die de patiënt ziet").fill("Medisch dossier 2015–2025")
    practice_page.get_by_role("button", name="Toevoegen aan het antwoord").click()
    practice_page.get_by_text(
        "Toegevoegd aan het antwoord: Medisch dossier 2015–2025.pdf"
    ).wait_for()
    snap(practice_page, shots, "practice-documents")
    for language, summary in (("en", "Add a document"), ("nl", "Een document toevoegen")):
        use_language(practice_page, language)
        practice_page.get_by_text(summary).click()
        for width in WIDTHS:
            practice_page.set_viewport_size({"width": width, "height": 900})
            documents = practice_page.locator("#documents")
            documents.screenshot(
                path=str(shots / f"practice-documents-form-{language}-{width}.png")
            )
    granted(item, handler)  # the decision comes before the release
    packages.release(package, actor=handler)  # the documents go along
    providers.reset()

    page = patient_page(browser, live_server, providers, patient.email)
    page.get_by_role("link", name="Uw gegevens downloaden").click()
    page.get_by_role("button", name="Stuur mij een code per sms").click()
    sms = providers.wait_for(lambda calls: any(c.to == [patient.phone] for c in calls))[-1]
    page.get_by_label("Code uit de sms").fill(re.search(r"\b(\d{6})\b", sms.text).group(1))
    page.get_by_role("button", name="Bevestigen").click()
    link = page.get_by_role("link", name="Uw gegevens downloaden")
    link.wait_for()
    page.screenshot(path=str(shots / "patient-download.png"), full_page=True)
    with page.expect_download() as download:
        link.click()
    archive = zipfile.ZipFile(download.value.path())
    assert {"package.json", "index.html"} <= set(archive.namelist())
    with page.expect_download() as document:
        page.get_by_role("link", name="Medisch dossier 2015–2025.pdf").click()
    assert document.value.suggested_filename == "Medisch dossier 2015–2025.pdf"
    assert Path(document.value.path()).read_bytes() == DOSSIER
    snap(page, shots, "patient-download")
    readable = browser.new_page(viewport={"width": 1000, "height": 1200}, locale="nl-NL")
    readable.set_content(archive.read("index.html").decode())
    readable.screenshot(path=str(shots / "package-page.png"))
