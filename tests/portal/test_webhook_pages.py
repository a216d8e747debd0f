"""The processor's delivery log of an API client's webhook events: what it shows (references,
states, every try; never the patient), its filter and pages, sending an event again (once, the
same id, audited), and who is refused."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from requests_app.models import AuditRecord, Request
from requests_app.roles import Role
from tests.factories import make_user, submit_from_app
from workflows.casework import actions
from workflows.messaging import failures
from workflows.models import EventType, Notification, Status, WebhookEvent
from workflows.webhooks import events

pytestmark = pytest.mark.django_db(transaction=True)


def log_url(client) -> str:
    return reverse("staff:webhook_deliveries", args=[client.pk])


def resend_url(client, event) -> str:
    return reverse("staff:webhook_resend", args=[client.pk, event.event_id])


def acknowledged(item: Request, handler) -> Request:
    item = Request.objects.get(pk=item.pk)
    return actions.act(item, "acknowledge", actor=handler, version=item.version)


@pytest.fixture
def admin(db):
    return make_user("beheer@processor.example", Role.PROCESSOR_ADMIN)


@pytest.fixture
def delivered_and_failed(practice, patient, handler, app_client, receiver):
    """Two requests of the app: the first's events delivered, the second's last one refused
    for good (410)."""
    first = submit_from_app(practice, patient, app_client)
    second = submit_from_app(practice, patient, app_client, kind="erasure")
    receiver.fail_next(1, status=410)
    acknowledged(second, handler)
    failed = WebhookEvent.objects.latest("pk")
    assert failed.deliveries.get().status == Status.FAILED
    return first, second, failed


def test_processor_staff_read_every_event_with_its_tries_and_never_the_patient(
    client, support, admin, app_client, practice, patient, delivered_and_failed
):
    first, second, failed = delivered_and_failed
    for who in (support, admin):
        client.force_login(who)
        response = client.get(log_url(app_client))
        assert response.status_code == 200
    page = response.content.decode()
    assert f"Webhookgebeurtenissen aan {app_client.name}" in page
    assert app_client.webhook_url in page
    assert WebhookEvent.objects.count() == 5
    for event in WebhookEvent.objects.all():
        assert event.event_id in page
    assert first.reference in page and second.reference in page
    assert "Doorgestuurd naar de praktijk" in page and "Status gewijzigd" in page
    assert "HTTP 204" in page and "HTTP 410" in page and "definitief mislukt" in page
    assert "Afgeleverd bij de app" in page and "Mislukt" in page
    for private in (patient.name, patient.email, patient.phone, "Welke gegevens"):
        assert private not in page
    shown = AuditRecord.objects.filter(event_type="webhook.list", user=admin).get()
    assert shown.practice_id_ref == practice.pk
    assert f"{failed.event_id} {second.reference}" in shown.details["shown"]


def test_the_log_filters_by_state_and_pages(
    client, support, app_client, practice, patient, receiver, delivered_and_failed
):
    first, _second, failed = delivered_and_failed
    client.force_login(support)
    only_failed = client.get(log_url(app_client), {"state": "failed"}).content.decode()
    assert failed.event_id in only_failed and "Gebeurtenissen 1–1 van 1" in only_failed
    receiver.stop()  # what is written now waits for its retry
    with_item = Request.objects.get(pk=first.pk)
    waiting = events.emit(with_item, EventType.MESSAGE, occurred_at=timezone.now())
    pending = client.get(log_url(app_client), {"state": "pending"}).content.decode()
    assert waiting.event_id in pending and failed.event_id not in pending
    assert "wordt opnieuw geprobeerd" in pending and "geen antwoord" in pending
    delivered = client.get(log_url(app_client), {"state": "delivered"}).content.decode()
    assert "Gebeurtenissen 1–4 van 4" in delivered and waiting.event_id not in delivered

    for _ in range(22):
        events.emit(with_item, EventType.MESSAGE, occurred_at=timezone.now())
    page_one = client.get(log_url(app_client)).content.decode()
    assert "Gebeurtenissen 1–25 van 28" in page_one and "page=2" in page_one
    page_two = client.get(log_url(app_client), {"page": 2}).content.decode()
    assert "Gebeurtenissen 26–28 van 28" in page_two and failed.event_id not in page_two


def test_a_state_that_does_not_exist_is_a_400_that_lists_nothing(
    client, support, app_client, delivered_and_failed
):
    client.force_login(support)
    response = client.get(log_url(app_client), {"state": "lost"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Selecteer een geldige keuze" in page and "evt_" not in page


def test_sending_again_queues_the_same_event_once_and_is_audited(
    client, support, app_client, receiver, delivered_and_failed
):
    _first, _second, failed = delivered_and_failed
    receiver.reset()
    client.force_login(support)

    response = client.post(resend_url(app_client, failed), {"query": "state=failed&x=1"})

    assert response.status_code == 302
    assert response.url == log_url(app_client) + "?state=failed"
    (delivery,) = receiver.deliveries
    assert delivery.header("Webhook-Id") == failed.event_id
    page = client.get(response.url).content.decode()
    assert f"Gebeurtenis {failed.event_id} wordt opnieuw verstuurd" in page
    assert failed.event_id not in page.split("</p>", 2)[-1]  # delivered now: not failed
    page = client.get(log_url(app_client), {"state": "delivered"}).content.decode()
    assert "Opnieuw verstuurd op" in page and "(opnieuw verstuurd)" in page
    record = AuditRecord.objects.get(event_type="webhook.resend", outcome="success")
    assert record.user == support and record.object_id == failed.event_id

    again = client.post(resend_url(app_client, failed))
    assert again.status_code == 302
    page = client.get(again.url).content.decode()
    assert "Deze gebeurtenis is al opnieuw verstuurd." in page
    assert len(receiver.deliveries) == 1
    assert AuditRecord.objects.filter(event_type="webhook.resend", outcome="success").count() == 1


def test_practice_staff_are_refused_and_unknown_clients_or_events_are_404(
    client, handler, support, app_client, delivered_and_failed
):
    _first, _second, failed = delivered_and_failed
    client.force_login(handler)
    assert client.get(log_url(app_client)).status_code == 403
    assert client.post(resend_url(app_client, failed)).status_code == 403
    client.force_login(support)
    assert client.get(reverse("staff:webhook_deliveries", args=[9999])).status_code == 404
    unknown = reverse("staff:webhook_resend", args=[app_client.pk, "evt_nothing"])
    assert client.post(unknown).status_code == 404
    other = reverse("staff:webhook_resend", args=[9999, failed.event_id])
    assert client.post(other).status_code == 404
    assert client.get(resend_url(app_client, failed)).status_code == 405
    denied = AuditRecord.objects.filter(outcome="denied", user=support)
    assert {r.object_type for r in denied} == {"api_client", "webhook_event"}
    assert not AuditRecord.objects.filter(event_type="webhook.resend", outcome="success").exists()
    client.logout()
    assert client.get(log_url(app_client)).status_code == 302  # to sign in


def test_failed_events_stay_off_the_failed_messages_page(client, support, delivered_and_failed):
    _first, _second, failed = delivered_and_failed
    row = failed.deliveries.get()
    assert list(failures.failed_notifications()) == []
    assert failures.resend_refusal(row) == failures.REFUSE_WEBHOOK
    client.force_login(support)
    client.post(reverse("staff:resend_notification", args=[row.pk]))
    assert Notification.objects.filter(webhook_event=failed).count() == 1


def test_the_deployment_check_warns_when_local_webhooks_are_allowed(settings):
    settings.WEBHOOK_ALLOW_LOCAL = True
    settings.DEBUG = False
    out, err = io.StringIO(), io.StringIO()
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=err)
    assert "portal.W030" in out.getvalue() + err.getvalue()
    settings.WEBHOOK_ALLOW_LOCAL = False
    out, err = io.StringIO(), io.StringIO()
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=err)
    assert "portal.W030" not in out.getvalue() + err.getvalue()
