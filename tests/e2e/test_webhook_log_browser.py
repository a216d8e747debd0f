"""In the browser: processor support reads an API client's webhook events with their tries,
filters them and sends a failed one again. Screenshots (Dutch and English, wide and narrow) go
to SCREENSHOTS_DIR, each page checked against WCAG 2.1 AA."""

import pytest
from django.urls import reverse

from requests_app.models import Request
from tests.e2e.pages import snap, staff_page
from tests.factories import submit_from_app
from workflows.casework import actions
from workflows.models import WebhookEvent

pytestmark = pytest.mark.e2e


def test_support_reads_the_delivery_log_and_sends_an_event_again(
    live_server,
    browser,
    shots,
    transactional_db,
    practice,
    patient,
    handler,
    support,
    app_client,
    receiver,
):
    item = submit_from_app(practice, patient, app_client)
    receiver.fail_next(1, status=410)
    item = Request.objects.get(pk=item.pk)
    actions.act(item, "acknowledge", actor=handler, version=item.version)
    failed = WebhookEvent.objects.latest("pk")
    receiver.reset()

    page = staff_page(browser, live_server, support)
    page.goto(live_server.url + reverse("staff:webhook_deliveries", args=[app_client.pk]))
    assert "HTTP 410" in page.content() and failed.event_id in page.content()
    snap(page, shots, "webhook-deliveries")

    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Tonen").click()
    page.get_by_role("button", name=failed.event_id).click()  # "Opnieuw versturen: evt_…"
    assert f"Gebeurtenis {failed.event_id} wordt opnieuw verstuurd" in page.content()
    assert [d.header("Webhook-Id") for d in receiver.deliveries] == [failed.event_id]
    page.get_by_label("Status").select_option("")
    page.get_by_role("button", name="Tonen").click()
    assert "Opnieuw verstuurd op" in page.content()
    snap(page, shots, "webhook-deliveries-resent")
