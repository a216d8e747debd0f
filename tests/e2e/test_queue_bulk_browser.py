"""The queue's bulk step in a browser: tick boxes before the references, the step and the
handler above the list, the result message naming each request left as it was; at a desk and
on a 390 px phone, in Dutch and English. Screenshots go to SCREENSHOTS_DIR when set."""

import datetime

import pytest
from django.utils import timezone

from requests_app.models import Request, RequestEvent, RequestState
from requests_app.roles import Role
from tests.e2e.pages import PHONE, assert_accessible, check, snap, staff_page
from tests.factories import make_user
from tests.factories import queued_requests as make

pytestmark = pytest.mark.e2e


def a_morning(practice) -> list[Request]:
    today = timezone.localdate()
    names = ["Jan Jansen", "Fatima el Amrani", "Maria van den Bosch-Verhoeven", "Piet de Vries"]
    items = []
    for i, name in enumerate(names):
        items += make(
            practice,
            patient_name=name,
            kind=["access", "erasure", "rectification", "complaint"][i],
            response_due=today + datetime.timedelta(days=3 + 4 * i),
        )
    items += make(practice, patient_name="Kees Kok", state=RequestState.IN_REVIEW)
    return items


def test_ticking_requests_and_acknowledging_them_at_once(
    live_server, browser, shots, transactional_db, practice, handler
):
    handler.first_name, handler.last_name = "Henk", "Hendriks"
    handler.save()
    colleague = make_user("karin@practice.example", Role.HANDLER, practice)
    colleague.first_name, colleague.last_name = "Karin", "Kok"
    colleague.save()
    access, erasure, _rect, complaint, taken = a_morning(practice)
    page = staff_page(browser, live_server, handler)
    page.goto(live_server.url + "/staff/")
    page.get_by_role("heading", level=1).wait_for()
    snap(page, shots, "queue-bulk")

    # On a phone each tick box is a target of at least 44 by 44 px beside its reference.
    page.set_viewport_size({"width": PHONE, "height": 900})
    box = page.locator("label.pick").first.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44

    page.set_viewport_size({"width": 1280, "height": 900})
    for item in (access, erasure, complaint, taken):
        page.get_by_label(f"{item.reference} aanvinken").check()
    page.get_by_label("Stap").select_option(label="Bevestigen: ik behandel deze verzoeken")
    page.get_by_role("button", name="Uitvoeren voor de aangevinkte verzoeken").click()
    messages = page.locator(".messages")
    messages.wait_for()
    text = messages.inner_text()
    assert "Van 2 verzoeken de ontvangst bevestigd." in text
    assert f"ontvangst al bevestigd: {taken.reference}" in text
    assert f"klachtgegevens van de praktijk zijn nog niet volledig: {complaint.reference}" in text
    # The message is shown once: screenshot and check it as it is, before any reload.
    problems = []
    for width in (1280, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"queue-bulk-result-nl-{width}.png"), full_page=True)
        problems += check(page, "queue-bulk-result", "nl", width)
    assert_accessible(problems)
    for item in (access, erasure):
        assert Request.objects.get(pk=item.pk).state == RequestState.IN_REVIEW
    assert Request.objects.get(pk=complaint.pk).state == RequestState.FORWARDED
    assert RequestEvent.objects.filter(action="acknowledge").count() == 2

    # Then the rest go to a colleague, from a phone.
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.get_by_label(f"{complaint.reference} aanvinken").check()
    page.get_by_label("Stap").select_option(label="Toewijzen aan de behandelaar")
    page.get_by_label("Behandelaar (bij toewijzen)").select_option(label="Karin Kok")
    page.get_by_role("button", name="Uitvoeren voor de aangevinkte verzoeken").click()
    page.locator(".messages").wait_for()
    assert "1 verzoek toegewezen aan Karin Kok." in page.locator(".messages").inner_text()
    page.screenshot(path=str(shots / f"queue-bulk-assigned-nl-{PHONE}.png"), full_page=True)
    assert Request.objects.get(pk=complaint.pk).assigned_to == colleague
    page.close()


def test_a_step_without_a_handler_keeps_the_ticks_and_says_what_is_missing(
    live_server, browser, shots, transactional_db, practice, handler
):
    items = a_morning(practice)
    page = staff_page(browser, live_server, handler)
    page.goto(live_server.url + "/staff/")
    page.get_by_label(f"{items[0].reference} aanvinken").check()
    page.get_by_label("Stap").select_option(label="Toewijzen aan de behandelaar")
    page.get_by_role("button", name="Uitvoeren voor de aangevinkte verzoeken").click()
    page.locator(".error-summary").wait_for()
    assert page.get_by_label(f"{items[0].reference} aanvinken").is_checked()
    assert not page.get_by_label(f"{items[1].reference} aanvinken").is_checked()
    problems = []
    for width in (1280, PHONE):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"queue-bulk-error-nl-{width}.png"), full_page=True)
        problems += check(page, "queue-bulk-error", "nl", width)
    assert_accessible(problems)
    page.close()


def test_the_bulk_step_works_without_javascript(
    live_server, browser, shots, transactional_db, practice, handler
):
    from tests.factories import totp_code

    items = a_morning(practice)
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("E-mailadres").fill(handler.email)
    page.get_by_label("Wachtwoord").fill("a-long-test-password")
    page.get_by_role("button", name="Inloggen").click()
    page.locator("input[name=code]").fill(totp_code())
    page.locator("input[name=code]").press("Enter")
    page.goto(live_server.url + "/staff/")
    for item in items[:2]:
        page.get_by_label(f"{item.reference} aanvinken").check()
    page.get_by_label("Stap").select_option(label="Bevestigen: ik behandel deze verzoeken")
    page.get_by_role("button", name="Uitvoeren voor de aangevinkte verzoeken").click()
    page.locator(".messages").wait_for()
    assert "Van 2 verzoeken de ontvangst bevestigd." in page.locator(".messages").inner_text()
    assert [Request.objects.get(pk=i.pk).state for i in items[:2]] == [RequestState.IN_REVIEW] * 2
    context.close()
