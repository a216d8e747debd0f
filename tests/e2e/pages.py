"""Browser pages signed in as staff or as a patient, and screenshots of them."""

from urllib.parse import urlsplit

from tests.factories import totp_code

WIDTHS = (1280, 390)


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


def use_language(page, language: str) -> None:
    host = urlsplit(page.url).hostname
    cookie = {"name": "django_language", "value": language, "domain": host, "path": "/"}
    page.context.add_cookies([cookie])
    page.reload()


def snap(page, shots, name: str) -> None:
    """The page as it is, at each width, in Dutch and then in English (back to Dutch after)."""
    for language in ("nl", "en"):
        use_language(page, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(shots / f"{name}-{language}-{width}.png"), full_page=True)
    use_language(page, "nl")
