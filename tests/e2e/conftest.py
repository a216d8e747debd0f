"""Browser tests share one Chromium (Debian's package, driven by Playwright)."""

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import IN_CI, totp_code

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API keeps an event loop running in this thread; the ORM calls made by the
# test itself are ordinary blocking calls, so Django's async guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
        # ORM calls made while Playwright's loop runs open their own connection; close it
        # here, in the same context, so the test database can be dropped afterwards.
        connections.close_all()


@pytest.fixture
def shots(tmp_path):
    target = Path(os.environ.get("SCREENSHOTS_DIR", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    return target


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (scripts/test installs it)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


def staff_page(browser, live_server, user, *, height: int = 900):
    """A page signed in as a staff member: password, then the authenticator app's code."""
    page = browser.new_page(viewport={"width": 1100, "height": height}, locale="nl-NL")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("E-mailadres").fill(user.email)
    page.get_by_label("Wachtwoord").fill("a-long-test-password")
    page.get_by_role("button", name="Inloggen").click()
    page.locator("input[name=code]").fill(totp_code())
    page.locator("input[name=code]").press("Enter")
    return page


def patient_page(browser, live_server, providers, email: str):
    """A page signed in as a patient: the e-mail address, then the code from the (fake) mail."""
    import re

    page = browser.new_page(viewport={"width": 1000, "height": 900}, locale="nl-NL")
    page.goto(live_server.url + "/track/")
    page.locator("input[name=email]").fill(email)
    page.locator("form button[type=submit].primary").click()
    mail = providers.wait_for(lambda calls: any(c.to == [email] for c in calls))[-1]
    page.locator("input[name=code]").fill(re.search(r"^\s*(\d{6})\s*$", mail.text, re.M).group(1))
    page.locator("form button[type=submit].primary").click()
    return page
