"""The patient's sign-in by e-mail code and the linking of DigiD after an SMS code, in the browser,
at desktop and phone width, in Dutch and English. Screenshots go to SCREENSHOTS_DIR when set."""

import re

import pytest

from tests.e2e.pages import fits
from tests.factories import submit

pytestmark = pytest.mark.e2e

WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_sign_in_and_link_digid_after_an_sms_code(
    live_server, browser, providers, shots, transactional_db, practice, patient, broker, language
):
    submit(practice, patient)
    providers.reset()
    for name, width in WIDTHS.items():
        page = browser.new_page(viewport={"width": width, "height": 900}, locale=f"{language}-NL")
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
        page.goto(live_server.url + "/accounts/login/code/")
        assert fits(page)
        page.screenshot(path=str(shots / f"signin-{language}-{name}.png"), full_page=True)
        # A look-alike letter before the @ is refused with words a patient understands.
        page.locator("input[name=email]").fill("j\u0430n@example.com")  # a Cyrillic а
        page.locator("form button[type=submit].primary").click()
        assert page.locator(".errorlist").count() >= 1
        page.locator("input[name=email]").fill(patient.email.upper())
        page.locator("form button[type=submit].primary").click()
        mail = providers.wait_for(lambda calls: any(c.to == [patient.email] for c in calls))[-1]
        assert fits(page)
        page.screenshot(path=str(shots / f"signin-code-{language}-{name}.png"), full_page=True)
        page.locator("input[name=code]").fill(
            re.search(r"^\s*(\d{6})\s*$", mail.text, re.M).group(1)
        )
        page.locator("form button[type=submit].primary").click()
        page.wait_for_url(re.compile(r"/track/$"))
        page.goto(live_server.url + "/track/link/")
        providers.reset()
        page.locator("button[name=send]").click()
        sms = providers.wait_for(lambda calls: any(c.to == [patient.phone] for c in calls))[-1]
        assert fits(page)
        page.screenshot(path=str(shots / f"link-code-{language}-{name}.png"), full_page=True)
        page.locator("input[name=code]").fill(re.search(r"\b(\d{6})\b", sms.text).group(1))
        page.locator("form[novalidate] button[type=submit].primary").click()
        page.locator("form[action*='process=connect'] button").wait_for()
        assert fits(page)
        page.screenshot(path=str(shots / f"link-ready-{language}-{name}.png"), full_page=True)
        page.close()
        providers.reset()
