"""Support's page of messages that failed for good: what it shows and hides, its filters and
pages, sending again (once), and who is refused."""

import pytest
from django.urls import reverse

from requests_app.models import AuditRecord
from requests_app.roles import Role
from tests.factories import failed_message, make_user, submit
from workflows.models import Notification, Status

pytestmark = pytest.mark.django_db(transaction=True)

LIST = "staff:failed_notifications"


def resend_url(row) -> str:
    return reverse("staff:resend_notification", args=[row.pk])


@pytest.fixture
def failed(practice, patient):
    return failed_message(request=submit(practice, patient), recipient="jan@exampel.com")


def test_support_sees_the_providers_answer_and_the_address_but_not_the_text(
    client, support, failed, practice
):
    client.force_login(support)
    page = client.get(reverse(LIST)).content.decode()
    assert "jan@exampel.com" in page and "does not contain a valid address" in page
    assert failed.request.reference in page and practice.name in page
    assert failed.body not in page and "Log in om het te lezen" not in page
    assert "Nieuws voor de patiënt" in page and f"N{failed.pk} opnieuw versturen" in page
    shown = AuditRecord.objects.get(event_type="notification.list")
    assert shown.user == support and shown.practice_id_ref == practice.pk
    assert shown.details["shown"] == [f"N{failed.pk}"]


def test_the_list_filters_by_medium_purpose_and_practice_and_pages(
    client, support, failed, practice, other_practice
):
    sms = failed_message(
        practice=other_practice, medium="sms", purpose="practice_new_request", recipient="+316"
    )
    client.force_login(support)
    by_medium = client.get(reverse(LIST), {"medium": "sms"}).content.decode()
    assert f"N{sms.pk}" in by_medium and f"N{failed.pk}<" not in by_medium
    by_purpose = client.get(reverse(LIST), {"purpose": "patient_update"}).content.decode()
    assert f"N{failed.pk}<" in by_purpose and f"N{sms.pk}<" not in by_purpose
    by_practice = client.get(reverse(LIST), {"practice": other_practice.pk}).content.decode()
    assert f"N{sms.pk}<" in by_practice and f"N{failed.pk}<" not in by_practice
    for _ in range(50):
        failed_message(recipient="many@exampel.com")
    first = client.get(reverse(LIST)).content.decode()
    assert "Berichten 1–50 van 52" in first and "page=2" in first
    second = client.get(reverse(LIST), {"page": 2}).content.decode()
    assert "Berichten 51–52 van 52" in second


def test_bad_filters_show_the_list_and_never_fail(client, support, failed):
    client.force_login(support)
    for query in (
        {"practice": "abc"},
        {"purpose": "bogus"},
        {"medium": "fax"},
        {"page": "-1"},
        {"practice": "99999"},
        {"purpose": "patient_upd\u0430te"},  # a Cyrillic look-alike
    ):
        response = client.get(reverse(LIST), query)
        assert response.status_code == 200, query
    assert client.get(reverse(LIST) + "?purpose=%00").status_code == 400


def test_sending_again_once_then_the_row_says_so(client, support, failed, providers):
    client.force_login(support)
    response = client.post(resend_url(failed), {"query": "medium=email\r\nX: y&purpose=x"})
    assert response.status_code == 302
    assert response.url == reverse(LIST) + "?medium=email%0D%0AX%3A+y&purpose=x"
    page = client.get(response.url.split("?")[0] + "?resent=on").content.decode()
    assert "wordt opnieuw verstuurd naar jan@exampel.com" in page
    assert "Opnieuw verstuurd als N" in page and "(verstuurd)" in page
    again = client.post(resend_url(failed), follow=True).content.decode()
    assert "Dit bericht is al opnieuw verstuurd." in again
    assert [m.to for m in providers.emails()] == [["jan@exampel.com"]]
    assert Notification.objects.filter(status=Status.SENT, recipient="jan@exampel.com").count() == 1


def test_a_one_time_code_is_not_offered_again(client, support, providers):
    code = failed_message(purpose="intake_code", scrub_after_send=True)
    client.force_login(support)
    page = client.get(reverse(LIST)).content.decode()
    assert "eenmalige code" in page and f"N{code.pk} opnieuw versturen" not in page
    refused = client.post(resend_url(code), follow=True).content.decode()
    assert "eenmalige code" in refused and providers.emails() == []


def test_practice_staff_and_patients_are_refused(client, failed, practice, providers):
    dpo = make_user("fg@practice.example", Role.DPO, practice)
    admin = make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)
    handler = make_user("behandelaar@practice.example", Role.HANDLER, practice)
    for who in (dpo, admin, handler):
        client.force_login(who)
        assert client.get(reverse(LIST)).status_code == 403
        assert client.post(resend_url(failed)).status_code == 403
    client.logout()
    assert client.post(resend_url(failed)).status_code == 302  # to the sign-in page
    failed.refresh_from_db()
    assert failed.resent_as is None and providers.emails() == []


def test_an_unknown_message_is_a_recorded_404_and_get_is_not_allowed(client, support, failed):
    client.force_login(support)
    assert client.post(reverse("staff:resend_notification", args=[987654])).status_code == 404
    assert AuditRecord.objects.filter(event_type="notification.resend", outcome="denied").exists()
    assert client.get(resend_url(failed)).status_code == 405


def test_the_navigation_links_support_to_the_page(client, support, handler):
    client.force_login(support)
    assert reverse(LIST) in client.get(reverse("staff:unrouted")).content.decode()
    client.force_login(handler)
    assert reverse(LIST) not in client.get(reverse("staff:queue")).content.decode()
