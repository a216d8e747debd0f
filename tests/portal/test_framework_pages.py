"""The sign-in framework's own pages and mails, the error pages and the footer: the portal's
layout and its words (formal Dutch, plain English), never an internal user name."""

import re
import urllib.parse

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.utils.html import strip_tags

from requests_app.roles import Role
from tests.factories import make_user, submit, totp_code

# Informal Dutch, or the stock "please" that the framework's catalogue mixes with "je".
INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jezelf|alsjeblieft|alstublieft|a\.u\.b)\b", re.I)
# Words that only a Dutch page has: an English page showing one fell back to Dutch.
DUTCH = re.compile(r"\b(het|een|uw|niet|wachtwoord|inloggen|bent)\b", re.I)


def sign_in_by_code(client, providers, email) -> None:
    providers.reset()
    response = client.post("/accounts/login/code/", {"email": email})
    mail = providers.wait_for(lambda calls: any(c.to == [email] for c in calls), timeout=5)[-1]
    code = re.search(r"^\s*(\d{6})\s*$", mail.text, re.M).group(1)
    assert client.post(response["Location"], {"code": code}).status_code == 302


def broker_sign_in(client, broker, claims: dict):
    broker.claims = claims
    start = client.post("/accounts/oidc/broker/login/")
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(start["Location"]).query)["state"][0]
    return client.get("/accounts/oidc/broker/login/callback/", {"code": "abc", "state": state})


def main_text(response) -> str:
    body = response.content.decode()
    main = re.search(r"<main.*?</main>", body, re.S).group(0)
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", strip_tags(main))


def fetch(client, path: str, language: str):
    client.cookies["django_language"] = language
    return client.get(path, follow=True)


def assert_portal_page(response, language: str) -> None:
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert 'class="site-header"' in body and 'class="site-footer' in body
    assert "/toegankelijkheid/" in body  # the footer's link to the accessibility statement
    text = main_text(response)
    if language == "nl":
        assert not INFORMAL.search(text), text
    else:
        assert not DUTCH.search(text), text
    assert "patient-" not in body


ANONYMOUS_PAGES = [
    "/accounts/login/",
    "/accounts/login/code/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-bad/",
    "/accounts/password/reset/key/done/",
    "/accounts/signup/",
    "/accounts/inactive/",
    "/accounts/3rdparty/login/cancelled/",
    "/accounts/3rdparty/login/error/",
    "/toegankelijkheid/",
]

STAFF_PAGES = [
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/",
    "/accounts/2fa/reauthenticate/",
    "/accounts/2fa/webauthn/",
    "/accounts/password/change/",
    "/accounts/3rdparty/",
]

# Pages allauth shows only just after the password was asked again.
REAUTHENTICATED_PAGES = [
    "/accounts/2fa/totp/deactivate/",
    "/accounts/2fa/recovery-codes/generate/",
    "/accounts/2fa/webauthn/add/",
]


def sign_in_staff(client, user, language: str = "nl") -> None:
    client.cookies["django_language"] = language
    client.post("/accounts/login/", {"login": user.email, "password": "a-long-test-password"})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302


def reauthenticate(client) -> None:
    response = client.post("/accounts/reauthenticate/", {"password": "a-long-test-password"})
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_framework_page_has_the_portals_layout_and_words(client, handler, practice, language):
    for path in ANONYMOUS_PAGES:
        response = fetch(client, path, language)
        assert response.status_code in (200, 401), path
        assert_portal_page(response, language)

    code_page = fetch(client, "/accounts/login/code/confirm/", language)  # no address yet
    assert code_page.redirect_chain[-1][0] == "/accounts/login/code/"

    client.post("/accounts/login/", {"login": handler.email, "password": "a-long-test-password"})
    assert_portal_page(fetch(client, "/accounts/2fa/authenticate/", language), language)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    for path in STAFF_PAGES:
        response = fetch(client, path, language)
        assert response.status_code == 200, path
        assert_portal_page(response, language)
    reauthenticate(client)
    for path in REAUTHENTICATED_PAGES:
        response = fetch(client, path, language)
        assert response.status_code == 200 and not response.redirect_chain, path
        assert_portal_page(response, language)
    client.post("/accounts/2fa/recovery-codes/generate/")
    response = fetch(client, "/accounts/2fa/recovery-codes/", language)
    assert response.status_code == 200 and not response.redirect_chain
    assert_portal_page(response, language)

    newcomer = make_user("new@practice.example", Role.HANDLER, practice, mfa=False)
    client.force_login(newcomer)
    reauthenticate(client)
    response = fetch(client, "/accounts/2fa/totp/activate/", language)
    assert response.status_code == 200 and not response.redirect_chain
    assert_portal_page(response, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_password_reset_link_opens_the_portals_form(client, handler, language):
    key = default_token_generator.make_token(handler)
    response = fetch(
        client, f"/accounts/password/reset/key/{user_pk_to_url_str(handler)}-{key}/", language
    )
    assert response.status_code == 200
    assert 'name="password1"' in response.content.decode()
    assert_portal_page(response, language)


@pytest.mark.django_db
def test_the_code_page_does_not_say_a_code_was_sent_to_an_unknown_address(client):
    client.post("/accounts/login/code/", {"email": "nobody@example.com"})
    text = main_text(fetch(client, "/accounts/login/code/confirm/", "nl"))
    assert "Als dit adres bij ons bekend is, hebben wij u een code van 6 cijfers gestuurd" in text
    assert "nobody@example.com" in text
    assert not INFORMAL.search(text)


@pytest.mark.django_db(transaction=True)
def test_a_patient_signed_in_by_code_reads_a_formal_message_without_a_user_name(
    client, practice, patient, providers
):
    submit(practice, patient)
    sign_in_by_code(client, providers, patient.email)
    page = client.get("/track/").content.decode()
    assert "U bent ingelogd." in page
    assert "patient-" not in page and "ingelogd als" not in page


@pytest.mark.django_db
def test_a_patient_signed_in_through_the_broker_reads_the_same_message(
    client, broker, practice, patient, providers
):
    import dataclasses

    submit(practice, dataclasses.replace(patient, bsn="111222333"), channel="app")
    assert broker_sign_in(client, broker, {"sub": "digid-1", "bsn": "111222333"}).status_code == 302
    page = client.get("/track/").content.decode()
    assert "U bent ingelogd." in page
    assert "patient-" not in page and "Je bent" not in page


@pytest.mark.django_db
def test_staff_read_you_are_signed_in_and_signed_out(client, handler):
    sign_in_staff(client, handler, "en")
    page = fetch(client, "/staff/", "en").content.decode()
    assert "You are signed in." in page and "Successfully" not in page
    client.post("/accounts/logout/")
    assert "You are signed out." in fetch(client, "/", "en").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_password_reset_mail_is_formal_and_carries_no_site_prefix(client, handler, providers):
    providers.reset()
    client.cookies["django_language"] = "nl"
    client.post("/accounts/password/reset/", {"email": handler.email})
    mail = providers.wait_for(lambda calls: any(c.to == [handler.email] for c in calls))[-1]
    subject = mail.body["subject"]
    assert subject == "Nieuw wachtwoord instellen voor Privacyverzoeken"
    assert "Geachte heer of mevrouw," in mail.text
    assert not INFORMAL.search(mail.text)
    link = re.search(r"https?://\S+", mail.text).group(0)
    assert "/accounts/password/reset/key/" in urllib.parse.urlsplit(link).path


@pytest.mark.django_db
def test_a_handler_on_a_support_page_gets_403_with_the_layout_in_dutch(client, handler):
    sign_in_staff(client, handler)
    response = fetch(client, "/staff/unrouted/", "nl")
    assert response.status_code == 403
    assert_portal_page(response, "nl")
    assert "Geen toegang tot deze pagina" in main_text(response)
    assert "Forbidden" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading"), [("nl", "Pagina niet gevonden"), ("en", "Page not found")]
)
def test_an_unknown_address_gives_404_with_the_layout(client, language, heading):
    response = fetch(client, "/no-such-page/", language)
    assert response.status_code == 404
    assert_portal_page(response, language)
    assert heading in main_text(response)


def test_the_500_page_renders_without_a_request_or_the_database():
    """No database mark: a query while rendering would fail the test."""
    from django.template import loader
    from django.utils import translation

    with translation.override("nl"):
        page = loader.get_template("500.html").render()
    assert "Er ging iets mis" in page and 'class="site-header"' in page


@pytest.mark.django_db
def test_staff_get_a_staff_footer_and_patients_keep_theirs(client, handler):
    patients_footer = "Uw verzoek wordt doorgestuurd naar uw huisartsenpraktijk"
    public = fetch(client, "/", "nl").content.decode()
    assert patients_footer in public
    for staff_only in ("/accounts/login/", "/accounts/password/reset/"):
        page = fetch(client, staff_only, "nl").content.decode()
        assert patients_footer not in page and "auditlog" in page
    sign_in_staff(client, handler)
    staff = fetch(client, "/staff/", "nl").content.decode()
    footer = staff[staff.index('class="site-footer') :]
    assert patients_footer not in footer and "auditlog" in footer
    assert "/toegankelijkheid/" in footer


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_accessibility_statement_says_status_tests_limits_contact_and_date(client, language):
    text = main_text(fetch(client, "/toegankelijkheid/", language))
    if language == "nl":
        for words in (
            "voldoet gedeeltelijk",
            "axe-core",
            "toetsenbord",
            "390 pixels",
            "Bekende beperkingen",
            "Een probleem melden",
            "30 november 2026",
        ):
            assert words in text
    else:
        for words in (
            "partly complies",
            "axe-core",
            "Keyboard",
            "390 pixels",
            "Known limitations",
            "Report a problem",
            "30 November 2026",
        ):
            assert words in text
