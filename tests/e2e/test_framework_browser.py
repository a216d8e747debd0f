"""The sign-in framework's pages, the error pages and the accessibility statement in the
browser: at 1280 and 390 px, in Dutch and English, no sideways scrolling and no axe-core
violations. Screenshots go to SCREENSHOTS_DIR when set."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.pages import fits
from tests.factories import totp_code

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 390)

ANONYMOUS = {
    "staff-signin": "/accounts/login/",
    "password-reset": "/accounts/password/reset/",
    "password-reset-done": "/accounts/password/reset/done/",
    "password-reset-bad-link": "/accounts/password/reset/key/1-bad/",
    "signup-closed": "/accounts/signup/",
    "not-found": "/no-such-page/",
    "accessibility": "/toegankelijkheid/",
}
STAFF = {
    "forbidden": "/staff/unrouted/",
    "queue-footer": "/staff/",
    "second-factor-settings": "/accounts/2fa/",
    "reauthenticate": "/accounts/reauthenticate/",
    "reauthenticate-code": "/accounts/2fa/reauthenticate/",
    "sign-out": "/accounts/logout/",
}


def check(page, shots, name: str, language: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert fits(page), f"{name} at {width}"
        page.screenshot(path=str(shots / f"{name}-{language}-{width}.png"), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_framework_pages_fit_a_phone_and_pass_axe(
    live_server, browser, shots, transactional_db, handler, language
):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=f"{language}-NL")
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    for name, path in ANONYMOUS.items():
        page.goto(live_server.url + path)
        check(page, shots, name, language)

    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(handler.email)
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("form button[type=submit].primary").click()
    page.locator("input[name=code]").wait_for()
    check(page, shots, "second-factor", language)
    page.locator("input[name=code]").fill(totp_code())
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(f"{live_server.url}/staff/")
    for name, path in STAFF.items():
        page.goto(live_server.url + path)
        check(page, shots, name, language)
    page.close()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_setting_up_the_app_and_a_new_password_fit_a_phone_and_pass_axe(
    live_server, browser, shots, transactional_db, practice, handler, language
):
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    from requests_app.roles import Role
    from tests.factories import make_user

    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale=f"{language}-NL")
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    key = default_token_generator.make_token(handler)
    page.goto(f"{live_server.url}/accounts/password/reset/key/{user_pk_to_url_str(handler)}-{key}/")
    page.locator("input[name=password1]").wait_for()
    check(page, shots, "new-password", language)

    newcomer = make_user("new@practice.example", Role.HANDLER, practice, mfa=False)
    page.goto(live_server.url + "/accounts/login/")
    page.locator("input[name=login]").fill(newcomer.email)
    page.locator("input[name=password]").fill("a-long-test-password")
    page.locator("form button[type=submit].primary").click()
    page.goto(live_server.url + "/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:  # allauth asks the password again before the set-up
        page.locator("input[name=password]").fill("a-long-test-password")
        page.locator("form button[type=submit].primary").click()
    page.locator("input[name=code]").wait_for()
    check(page, shots, "app-setup", language)
    page.close()
