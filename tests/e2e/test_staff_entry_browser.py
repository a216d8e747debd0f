"""In the browser, as a handler: a letter entered from the queue for a patient without an e-mail
address (the entry form, then the request page of the entered request), and a request sent back
to processor support (the send-back form, then support's unrouted queue with the reason).
Screenshots (Dutch and English, wide and narrow) go to SCREENSHOTS_DIR."""

import datetime

import pytest
from django.utils import timezone

from requests_app.models import Request, RequestState
from tests.e2e.pages import snap, staff_page
from tests.factories import forwarded, submit
from workflows.intake.forwarding import route_request

pytestmark = pytest.mark.e2e


def test_a_letter_is_entered_and_answered_by_post(
    live_server, browser, providers, shots, transactional_db, practice, handler
):
    handler.first_name, handler.last_name = "Anna", "de Vries"
    handler.save()
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="Verzoek invoeren dat per brief").click()
    snap(page, shots, "entry-new")
    page.get_by_label("Brief").check()
    received = timezone.localdate() - datetime.timedelta(days=2)
    page.get_by_label("Ontvangen op").fill(received.isoformat())
    page.get_by_label("Soort verzoek").select_option("access")
    page.get_by_label("Volledige naam van de patiënt").fill("Grietje Bakker")
    for box, value in (("0", "1"), ("1", "2"), ("2", "1950")):
        page.locator(f"input[name=birth_date_{box}]").fill(value)
    page.get_by_label("Postadres").fill("Kerkstraat 5\n1234 AB Ergens")
    page.get_by_label("Het verzoek, in de woorden van de patiënt").fill(
        "Ik wil graag zien welke gegevens u over mij heeft."
    )
    page.get_by_role("button", name="Verzoek invoeren").click()
    item = Request.objects.get()
    assert page.url.endswith(f"/staff/requests/{item.reference}/")
    facts = page.locator(".facts").nth(1).inner_text()
    assert "geen: antwoord per post" in facts and "Kerkstraat 5" in facts
    assert page.get_by_text("druk elke brief hieronder af").is_visible()
    snap(page, shots, "entry-request-page")


def test_a_request_is_sent_back_to_support(
    live_server,
    browser,
    providers,
    shots,
    transactional_db,
    practice,
    patient,
    handler,
    support,
    other_practice,
    other_handler,
):
    item = forwarded(submit(practice, patient))
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    page.get_by_role("link", name="Dit verzoek terugsturen naar support verwerker").click()
    snap(page, shots, "send-back-form")
    page.get_by_label("Waarom is dit verzoek niet voor uw praktijk?").fill(
        "Geen patiënt van ons; ingeschreven bij een praktijk in Zwolle."
    )
    page.get_by_role("button", name="Terugsturen naar support verwerker").click()
    assert page.url.endswith("/staff/")
    assert Request.objects.get(pk=item.pk).state == RequestState.UNROUTED
    support_page = staff_page(browser, live_server, support)
    support_page.goto(f"{live_server.url}/staff/unrouted/")
    assert "ingeschreven bij een praktijk in Zwolle" in support_page.content()
    snap(support_page, shots, "send-back-unrouted")

    # Routed to the right practice: its handler reads the time at the first one by step and date
    # only (no staff, no address, no reason).
    route_request(Request.objects.get(pk=item.pk), other_practice, actor=support)
    right = staff_page(browser, live_server, other_handler)
    right.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    history = right.locator("ol.timeline").inner_text()
    assert "voordat het verzoek bij deze praktijk kwam" in history
    assert "Zwolle" not in history and practice.dpo_email not in history
    snap(right, shots, "send-back-routed-request-page")
