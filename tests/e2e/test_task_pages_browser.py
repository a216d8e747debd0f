"""Processor support's task pages as support and as the practice sees them, supply and
erasure, in each state, with the certificate and the package's readable page: every page fits
390 px. Screenshots go to SCREENSHOTS_DIR when set."""

import io
import zipfile

import pytest

from demo import platform as demo
from requests_app.models import AssistanceTask, DataPackage, Request
from tests.e2e.pages import WIDTHS, fits, snap, staff_page, use_language
from tests.factories import a_register, decided
from workflows.assistance import erasure, packages
from workflows.assistance import tasks as assistance

pytestmark = pytest.mark.e2e


def look(page, shots, name: str) -> None:
    """snap(), and the page fits at every width in both languages."""
    snap(page, shots, name)
    for language in ("nl", "en"):
        use_language(page, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            assert fits(page), f"{name} {language} {width}"
    use_language(page, "nl")


def test_the_task_pages_in_each_state(
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
    a_register()
    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        email=patient.email,
        mobile=patient.phone,
        birth_date=patient.birth_date,
        device_id="iphone-jan",
        messages=6,
        video_calls=1,
    )
    item = decided(practice, patient, handler, kind="access", grant=False)
    practice_page = staff_page(browser, live_server, handler, height=1400)
    practice_page.goto(live_server.url + f"/staff/requests/{item.reference}/")
    practice_page.get_by_text("De verwerker om hulp vragen").click()
    assert practice_page.locator("input[name=keep_categories]").count() == 0
    look(practice_page, shots, "ask-supply")

    task = assistance.request_assistance(
        item, actor=handler, kind="supply", instruction="Alle gegevens uit de app."
    )
    staff = staff_page(browser, live_server, support, height=1400)
    staff.goto(live_server.url + "/staff/tasks/")
    look(staff, shots, "task-list")
    staff.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    look(staff, shots, "supply-requested")
    staff.get_by_role("button", name="Deze hulpvraag in behandeling nemen").click()
    staff.get_by_text(f"U heeft hulpvraag {task.number} in behandeling genomen.").wait_for()
    staff.get_by_role("button", name="Het gegevenspakket maken").click()
    staff.get_by_text("Het gegevenspakket is gemaakt.").wait_for()
    staff.get_by_text("Nog open:").wait_for()
    look(staff, shots, "supply-in-progress")
    steps = list(AssistanceTask.objects.get(pk=task.pk).manual_steps.select_related("subprocessor"))
    staff.get_by_label("Wat er daar is gedaan").first.fill("Niets aanwezig")
    staff.get_by_role("button", name="Markeren als uitgevoerd").first.click()
    staff.get_by_text(f"Stap '{steps[0].subprocessor.name}' afgevinkt.").wait_for()
    for step in steps[1:]:
        assistance.tick_manual_step(step, actor=support, note="Niets aanwezig")
    staff.reload()
    staff.get_by_text("Opleveren aan de praktijk").click()
    look(staff, shots, "supply-ready")
    staff.get_by_text("Opleveren aan de praktijk").click()
    staff.get_by_role("button", name="Opleveren", exact=True).click()
    staff.get_by_text(f"Hulpvraag {task.number} is opgeleverd aan de praktijk.").wait_for()
    look(staff, shots, "supply-delivered-support")

    practice_page.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    look(practice_page, shots, "supply-delivered-practice")

    # The package's readable page, in the patient's language.
    package = DataPackage.objects.get(task=task)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(packages.open_package(package))))
    readable = browser.new_page(locale="nl-NL")
    readable.set_content(archive.read("index.html").decode())
    for width in WIDTHS:
        readable.set_viewport_size({"width": width, "height": 900})
        readable.screenshot(path=str(shots / f"package-page-nl-{width}.png"), full_page=True)
        assert fits(readable)

    # Erasure: instruction form, in progress, certificate.
    gone = decided(practice, patient, handler, kind="erasure")
    practice_page.goto(live_server.url + f"/staff/requests/{gone.reference}/")
    practice_page.get_by_text("De verwerker om hulp vragen").click()
    look(practice_page, shots, "ask-erase")
    erase_task = assistance.start(
        assistance.request_assistance(
            gone,
            actor=handler,
            kind="erase",
            instruction="Alles wissen",
            keep_categories=["conversations"],
            keep_reason="Onderdeel van het medisch dossier",
        ),
        actor=support,
    )
    erasure.run_erasure(erase_task, actor=support)
    staff.goto(live_server.url + f"/staff/tasks/{erase_task.pk}/")
    look(staff, shots, "erase-in-progress")
    for step in erase_task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Verwijderd via het dashboard")
    staff.reload()
    staff.get_by_role("button", name="De verklaring van verwijdering afgeven").click()
    staff.get_by_text("De verklaring van verwijdering is afgegeven").wait_for()
    look(staff, shots, "erase-certified")
    practice_page.goto(live_server.url + f"/staff/tasks/{erase_task.pk}/certificate/")
    look(practice_page, shots, "certificate")

    # The package page of an English-speaking patient.
    english = decided(practice, patient, handler, kind="access", grant=False)
    Request.objects.filter(pk=english.pk).update(language="en")
    en_task = assistance.start(
        assistance.request_assistance(
            Request.objects.get(pk=english.pk), actor=handler, kind="supply", instruction="All"
        ),
        actor=support,
    )
    en_package = packages.build_package(en_task, actor=support)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(packages.open_package(en_package))))
    readable.set_content(archive.read("index.html").decode())
    for width in WIDTHS:
        readable.set_viewport_size({"width": width, "height": 900})
        readable.screenshot(path=str(shots / f"package-page-en-{width}.png"), full_page=True)
        assert fits(readable)
