"""Keyboard alone, no mouse: a patient submits a request (search, details, the e-mailed code) and
a handler signs in, opens the request and grants it. Only Tab, Shift+Tab, Enter, Space and typing;
wherever focus lands it can be seen (an outline or a ring)."""

import re

import pytest

from requests_app.models import Request, RequestState
from tests.e2e.pages import assert_accessible, check
from tests.factories import decided, make_practice, totp_code

pytestmark = pytest.mark.e2e

FOCUS_SHOWN = """() => {
  const field = document.activeElement;
  const style = getComputedStyle(field);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || style.boxShadow !== "none";
}"""


def tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Tab until the element matching `selector` has focus; every stop on the way shows it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_SHOWN), page.evaluate("document.activeElement.outerHTML")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with Tab")


def type_date(page, year: str, month: str, day: str) -> None:
    """The date of birth is three boxes, day, month and year, as Dutch public services ask it."""
    for part, text in ((0, day), (1, month), (2, year)):
        tab_to(page, f"input[name=birth_date_{part}]")
        page.keyboard.type(text)


def press_and_wait(page, key: str = "Enter") -> None:
    """A key that sends a form or follows a link: wait for the next page."""
    with page.expect_navigation():
        page.keyboard.press(key)


def test_a_patient_submits_a_request_by_keyboard_alone(
    live_server, browser, providers, transactional_db
):
    practice = make_practice("01234567", name="Huisartsenpraktijk De Linde")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page.goto(live_server.url + "/")

    tab_to(page, "input[name=q]")
    page.keyboard.type("Linde")
    press_and_wait(page)
    tab_to(page, f"a[href='/request/{practice.agb_code}/']")
    press_and_wait(page)

    tab_to(page, "input[name=kind]")
    page.keyboard.press("Space")  # the first kind: access
    for name, text in (
        ("name", "Jan Jansen"),
        ("email", "jan@example.com"),
        ("description", "Welke gegevens heeft u van mij?"),
    ):
        tab_to(page, f"[name={name}]")
        page.keyboard.type(text)
        if name == "name":
            type_date(page, "1980", "05", "17")
    tab_to(page, "input[name=confirm]")
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")  # back and forth: focus goes where it came from
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "confirm"
    tab_to(page, "button[type=submit].primary")
    press_and_wait(page)

    mail = providers.wait_for(lambda calls: any(c.to == ["jan@example.com"] for c in calls))[-1]
    code = re.search(r"\b(\d{6})\b", mail.text).group(1)
    tab_to(page, "input[name=code]")
    assert_accessible(check(page, "keyboard-confirm", "nl", 1280))
    page.keyboard.type(code)
    press_and_wait(page)

    reference = page.locator("#reference").inner_text().strip()
    assert_accessible(check(page, "keyboard-done", "nl", 1280))
    stored = Request.objects.get(reference=reference)
    assert stored.practice == practice and stored.description == "Welke gegevens heeft u van mij?"


def test_a_handler_grants_a_request_by_keyboard_alone(
    live_server, browser, transactional_db, practice, patient, handler
):
    item = decided(practice, patient, handler, kind="access", grant=False)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page.goto(live_server.url + "/accounts/login/")

    tab_to(page, "input[name=login]")
    page.keyboard.type(handler.email)
    tab_to(page, "input[name=password]")
    page.keyboard.type("a-long-test-password")
    press_and_wait(page)
    tab_to(page, "input[name=code]")
    page.keyboard.type(totp_code())
    press_and_wait(page)

    tab_to(page, f"a[href='/staff/requests/{item.reference}/']")
    press_and_wait(page)
    grant = "details:has(form[action$='/act/grant/'])"
    tab_to(page, f"{grant} > summary", limit=150)
    page.keyboard.press("Enter")  # opens the form
    tab_to(page, f"{grant} textarea[name$=reason]")
    page.keyboard.type("U krijgt alle gegevens binnen een week.")
    tab_to(page, f"{grant} button[type=submit]")
    press_and_wait(page)

    page.locator(grant).wait_for(state="detached")  # granted: the step is no longer offered
    assert Request.objects.get(pk=item.pk).state == RequestState.GRANTED
