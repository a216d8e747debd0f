"""In the browser, without JavaScript: the practice sees that a package does not match the request,
must open it before accepting, and confirms the release on its own page; support confirms an
erasure the same way. Screenshots (Dutch and English, wide and narrow) go to SCREENSHOTS_DIR."""

import dataclasses
import datetime

import pytest

from demo import platform as demo
from requests_app.models import AssistanceTask, DataPackage, ErasureRun
from tests.e2e.pages import WIDTHS, snap, staff_page, use_language
from tests.factories import decided, granted
from workflows.assistance import packages
from workflows.assistance import tasks as assistance

pytestmark = pytest.mark.e2e


def test_the_practice_reviews_a_mismatch_and_confirms_the_release(
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
    for first, last, email, mobile, number, born in (
        ("Anna", "Visser", "anna@example.com", "+31611112222", "P-99", datetime.date(1975, 1, 2)),
        ("Mallory", "Mol", "mallory@example.com", "+31622223333", "P-7", datetime.date(1990, 6, 1)),
    ):
        demo.add_patient(
            platform_db,
            practice_agb=practice.agb_code,
            first_name=first,
            last_name=last,
            email=email,
            mobile=mobile,
            patient_number=number,
            birth_date=born,
            messages=3,
        )
    mallory = dataclasses.replace(
        patient,
        name="Anna Visser",
        birth_date=datetime.date(1975, 1, 2),
        email="mallory@example.com",
        phone="+31622223333",
        patient_number="P-99",
    )
    item = decided(practice, mallory, handler, kind="access", grant=False)
    task = assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles")

    staff = staff_page(browser, live_server, support, height=1400)
    staff.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    staff.get_by_role("button", name="Deze hulpvraag in behandeling nemen").click()
    staff.get_by_role("button", name="Opzoeken", exact=True).click()
    staff.get_by_role("heading", name="De gevonden gegevens passen niet bij het verzoek").wait_for()
    for language, button in (("nl", "Opzoeken"), ("en", "Look up")):
        if language == "en":  # the look-up is a POST: made again on the English page
            use_language(staff, "en")
            staff.get_by_role("button", name=button, exact=True).click()
            staff.get_by_role("heading", name="The data found do not match the request").wait_for()
        for width in WIDTHS:
            staff.set_viewport_size({"width": width, "height": 900})
            name = f"mismatch-support-lookup-{language}-{width}.png"
            staff.screenshot(path=str(shots / name), full_page=True)
    task = AssistanceTask.objects.get(pk=task.pk)
    packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets aanwezig")
    assistance.deliver(task, actor=support)

    page = staff_page(browser, live_server, handler, height=1400)
    page.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    page.get_by_role("heading", name="De gevonden gegevens passen niet bij het verzoek").wait_for()
    assert page.get_by_role("button", name="Het resultaat goedkeuren").count() == 0
    snap(page, shots, "mismatch-practice")
    with page.expect_download():
        page.get_by_role("link", name="Het gegevenspakket downloaden").first.click()
    page.reload()
    page.get_by_role("button", name="Het resultaat goedkeuren").click()
    page.get_by_text("Nog niet naar de patiënt:").wait_for()  # the request is not granted yet
    granted(item, handler)
    page.reload()
    page.get_by_role("button", name="Vrijgeven aan de patiënt").click()
    page.get_by_role("heading", name="Het gegevenspakket van taak").wait_for()
    snap(page, shots, "confirm-release")
    page.get_by_role("button", name="Nu vrijgeven").click()  # box not ticked
    page.get_by_text("Vink het vakje aan").first.wait_for()
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(shots / "confirm-release-refused-nl-390.png"), full_page=True)
    assert DataPackage.objects.get(task=task).released_at is None
    page.get_by_label("Ik begrijp dat de patiënt deze gegevens kan downloaden").check()
    page.get_by_role("button", name="Nu vrijgeven").click()
    page.get_by_text("De patiënt kan het gegevenspakket nu downloaden").wait_for()
    assert DataPackage.objects.get(task=task).downloadable


def test_support_confirms_an_erasure(
    live_server,
    browser,
    providers,
    shots,
    transactional_db,
    platform_db,
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
        birth_date=patient.birth_date,
        messages=5,
    )
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(
            item,
            actor=handler,
            kind="erase",
            instruction="Alles wissen",
            keep_categories=["conversations"],
            keep_reason="Onderdeel van het medisch dossier",
        ),
        actor=support,
    )
    page = staff_page(browser, live_server, support, height=1400)
    page.goto(live_server.url + f"/staff/tasks/{task.pk}/")
    page.get_by_role("button", name="De verwijdering uitvoeren").click()
    page.get_by_role("heading", name="De verwijdering voor taak").wait_for()
    snap(page, shots, "confirm-erase")
    page.get_by_role("button", name="Nu verwijderen").click()  # box not ticked
    page.get_by_text("Vink het vakje aan").first.wait_for()
    assert not ErasureRun.objects.exists()
    page.get_by_label("Ik begrijp dat deze gegevens definitief worden verwijderd").check()
    page.get_by_role("button", name="Nu verwijderen").click()
    page.get_by_text("De verwijdering is uitgevoerd").wait_for()
    assert ErasureRun.objects.filter(task=task).exists()
