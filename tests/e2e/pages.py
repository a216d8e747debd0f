"""Browser pages signed in as staff or as a patient."""

from tests.factories import totp_code


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
