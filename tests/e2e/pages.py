"""Browser pages signed in as staff or as a patient, and screenshots of them."""

import json
import os
import re
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

from tests.factories import totp_code

WIDTHS = (1280, 390)
PHONE = 390
# WCAG 2.1 level A and AA, the standard the portal holds (not axe's best practices).
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


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
    try:
        page.reload()
    except PlaywrightError:
        # Chromium now and then swaps the page's process while reloading a form's answer and
        # drops the call ("Not attached to an active page"); the page itself is fine: once more.
        page.reload()


def axe_violations(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA: one line per rule, with the elements."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at "
        + "; ".join(" ".join(node["target"]) for node in rule["nodes"])
        for rule in found
    ]


def fits(page) -> bool:
    """No sideways scrolling: the page is no wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def overflow(page, width: int) -> int:
    """How far the page is wider than the window (a phone scrolls sideways when above 0)."""
    return page.evaluate("document.documentElement.scrollWidth") - width


def scripted_copy(page, width: int):
    """The page's HTML in a page that runs scripts, for a test that browses without them (axe
    and the width are measured by script). The copy loads the same stylesheet."""
    copy = page.context.browser.new_page(viewport={"width": width, "height": 900})
    base = f'<base href="{page.url}">'
    copy.set_content(page.content().replace("<head>", "<head>" + base, 1))
    return copy


def check(page, name: str, language: str, width: int, *, scripts: bool = True) -> list[str]:
    """The problems of the page as shown: axe's findings (wide only, once per language) and,
    on a phone, a page wider than the screen."""
    target = page if scripts else scripted_copy(page, width)
    problems = []
    if width == WIDTHS[0]:
        problems += [f"{name} [{language}] {line}" for line in axe_violations(target)]
    if width == PHONE and (extra := overflow(target, width)) > 0:
        problems.append(f"{name} [{language}] is {extra}px wider than a {PHONE}px phone")
    if not scripts:
        target.close()
    return problems


def assert_accessible(problems: list[str]) -> None:
    # A11Y_REPORT (a file) collects every finding instead of stopping at the first page.
    if report := os.environ.get("A11Y_REPORT"):
        with open(report, "a") as out:
            out.writelines(json.dumps(line) + "\n" for line in problems)
        return
    assert not problems, "\n".join(problems)


def shoot(page, shots, name: str, *, scripts: bool = True) -> list[str]:
    """Screenshots of the page at each width, in Dutch and then in English (back to Dutch
    after), and what is wrong with it (see `check`)."""
    problems = []
    for language in ("nl", "en"):
        use_language(page, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(shots / f"{name}-{language}-{width}.png"), full_page=True)
            problems += check(page, name, language, width, scripts=scripts)
    use_language(page, "nl")
    return problems


def snap(page, shots, name: str, *, scripts: bool = True) -> None:
    """The page as it is, at each width, in Dutch and then in English; each must pass axe-core's
    WCAG 2.1 AA rules and fit a phone without sideways scrolling. `scripts=False` for a page in
    a browser context without JavaScript."""
    assert_accessible(shoot(page, shots, name, scripts=scripts))


# The password an invited staff member chooses in the browser tests.
PASSWORD = "een-lang-wachtwoord-42"


def link_in_mail(providers, address: str) -> str:
    """The invitation link in the last mail to the address (from the fake SendGrid)."""
    mail = providers.wait_for(lambda calls: any(c.to == [address] for c in calls))[-1]
    return re.search(r"(http\S+/accounts/invitation/\S+/)", mail.text)[1]


def accept_and_enrol(browser, link: str, name: str, shots=None):
    """Open the invitation, choose a password, set up the authenticator app."""
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="nl-NL")
    page.goto(link)
    if shots:
        snap(page, shots, "team-invitation-accept")
    page.get_by_label("Volledige naam").fill(name)
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Wachtwoord (nogmaals)").fill(PASSWORD)
    page.get_by_role("button", name="Wachtwoord opslaan en verder").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    # Nothing else before the second factor.
    page.goto(link.split("/accounts/")[0] + "/staff/")
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/$"))
    secret = page.locator("code.digest").inner_text().strip()
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(lambda url: "/totp/activate/" not in url)
    return page
