"""In the browser: a processor administrator adds an API client (its first key shown once), issues
a second key, revokes the first after the confirmation, sets the webhook address (a local one
refused), creates and rotates the signing secret, changes the quotas and deactivates the client.
Screenshots (Dutch and English, wide and narrow) go to SCREENSHOTS_DIR."""

import re

import pytest

from requests_app.models import ApiClient
from requests_app.roles import Role
from tests.e2e.pages import WIDTHS, assert_accessible, check, snap, staff_page, use_language
from tests.factories import make_user

pytestmark = pytest.mark.e2e


def _shown(page) -> str:
    return page.locator("#shown-value").input_value()


def snap_as_is(page, shots, name: str, language: str) -> None:
    """`snap` without reloading: the answer that shows a key once is not to be sent again
    (a reload answers that it was already sent), so it is shot in the language it was asked in."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(shots / f"{name}-{language}-{width}.png"), full_page=True)
        problems += check(page, name, language, width)
    assert_accessible(problems)


def test_an_administrator_manages_an_api_client_in_the_screens(
    live_server, browser, shots, transactional_db, dns, settings
):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.patientapp.example", "93.184.215.14")
    admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)
    page = staff_page(browser, live_server, admin)

    page.get_by_role("link", name="API-clients").click()
    assert "Nog geen API-clients." in page.content()
    snap(page, shots, "api-clients-empty")

    page.get_by_role("link", name="Client toevoegen").click()
    page.get_by_label("Verzoeken per minuut").fill("0")
    page.get_by_role("button", name="Client toevoegen en sleutel tonen").click()
    assert page.locator(".error-summary").is_visible()
    snap(page, shots, "api-client-new-errors")
    page.get_by_label("Naam", exact=True).fill("Patiënt-app")
    page.get_by_label("Verzoeken per minuut").fill("30")
    page.get_by_label("Label van de eerste sleutel").fill("productie")
    page.get_by_role("button", name="Client toevoegen en sleutel tonen").click()
    first = _shown(page)
    assert first.startswith("dsr_") and "alleen deze keer getoond" in page.content()
    client = ApiClient.objects.get(name="Patiënt-app")
    assert ApiClient.authenticate(first) == client
    snap_as_is(page, shots, "api-client-first-key", "nl")
    page.reload()  # the browser sends the form again: nothing is made, nothing shown
    assert "Dit formulier is al verstuurd" in page.content() and first not in page.content()
    assert ApiClient.objects.count() == 1
    snap(page, shots, "api-client-sent-twice")

    page.get_by_role("link", name="Terug naar de client").click()
    assert first not in page.content() and first[:10] in page.content()
    use_language(page, "en")
    page.get_by_label("Label of the key").fill("new server")
    page.get_by_role("button", name="Issue a new key").click()
    second = _shown(page)
    assert second != first and ApiClient.authenticate(second) == client
    assert "it is shown only this once" in page.content()
    snap_as_is(page, shots, "api-client-second-key", "en")
    page.get_by_role("link", name="I have stored it: back to the client").click()
    use_language(page, "nl")
    assert ApiClient.authenticate(first) == client  # both keys work until one is revoked
    snap(page, shots, "api-client-two-keys")

    page.get_by_role("link", name=re.compile(rf"Intrekken\s+\(sleutel {first[:10]}")).click()
    assert "andere actieve sleutel van de client blijft werken" in page.content()
    snap(page, shots, "api-client-revoke-confirm")
    page.get_by_role("button", name="Sleutel intrekken").click()
    assert f"De sleutel {first[:10]}… is ingetrokken." in page.content()
    assert ApiClient.authenticate(first) is None and ApiClient.authenticate(second) == client

    page.get_by_role("link", name="Webhookadres instellen").click()
    page.get_by_label("Webhookadres").fill("https://169.254.169.254/latest/meta-data/")
    page.get_by_role("button", name="Opslaan").click()
    assert "openbare internet" in page.locator(".error-summary").inner_text()
    snap(page, shots, "api-client-webhook-refused")
    page.get_by_label("Webhookadres").fill("https://hooks.patientapp.example/portal")
    page.get_by_role("button", name="Opslaan").click()
    assert "Het webhookadres is opgeslagen." in page.content()

    page.get_by_role("link", name="Ondertekeningsgeheim aanmaken").click()
    page.get_by_role("button", name="Geheim aanmaken en tonen").click()
    secret = _shown(page)
    assert secret.startswith("whsec_")
    page.get_by_role("link", name="Ik heb het bewaard: terug naar de client").click()
    page.get_by_role("link", name="Ondertekeningsgeheim vervangen").click()
    assert "24 uur" in page.content()
    snap(page, shots, "api-client-rotate-confirm")
    page.get_by_role("button", name="Geheim vervangen en tonen").click()
    assert _shown(page) != secret and "zowel het nieuwe als het oude geheim" in page.content()
    snap_as_is(page, shots, "api-client-new-secret", "nl")
    page.get_by_role("link", name="Ik heb het bewaard: terug naar de client").click()

    page.get_by_role("link", name="Limieten wijzigen").click()
    page.get_by_label("Verzoeken per dag").fill("500")
    page.get_by_role("button", name="Opslaan").click()
    assert "De limieten zijn opgeslagen." in page.content()
    client.refresh_from_db()
    assert (client.per_minute, client.per_day) == (30, 500)
    snap(page, shots, "api-client-detail")

    page.get_by_role("link", name="Client deactiveren").click()
    snap(page, shots, "api-client-deactivate-confirm")
    page.get_by_role("button", name="Client deactiveren").click()
    assert ApiClient.authenticate(second) is None
    assert "Gedeactiveerd" in page.content()
    snap(page, shots, "api-client-deactivated")
    page.get_by_role("link", name="API-clients", exact=True).first.click()
    snap(page, shots, "api-clients-list")
    for value in (first, second, secret):
        assert value not in page.content()
