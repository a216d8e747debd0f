"""The API clients' pages: only a processor administrator reaches them; a new key or secret is
shown once, in the answer that made it, and on no page after; revoking is a confirmed POST; a bad
form answers 400 and changes nothing."""

import re
import secrets

import pytest
from django.test import Client
from django.urls import reverse

from requests_app.models import ApiClient, ApiKey, AuditRecord
from requests_app.roles import Role
from tests.factories import make_user
from workflows.onboarding import api_clients

pytestmark = pytest.mark.django_db

STATUS_URL = "/api/v1/requests/ABCDE-FGHJK"  # no such request: a valid key gets 404, else 401


@pytest.fixture
def admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


@pytest.fixture
def practice_admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


@pytest.fixture
def app(admin):
    return api_clients.create_client(name="Patiënt-app", actor=admin)


def _api(client, key: str) -> int:
    return client.get(STATUS_URL, HTTP_AUTHORIZATION=f"Bearer {key}").status_code


def _pages(client_obj: ApiClient) -> list[str]:
    """Every page of the screens that shows something of the client."""
    pk = client_obj.pk
    urls = [
        reverse("staff:api_clients"),
        reverse("staff:api_client", args=[pk]),
        reverse("staff:api_client_key_new", args=[pk]),
        reverse("staff:api_client_webhook", args=[pk]),
        reverse("staff:api_client_secret", args=[pk]),
        reverse("staff:api_client_quotas", args=[pk]),
    ]
    if client_obj.active:
        urls.append(reverse("staff:api_client_deactivate", args=[pk]))
    for key in client_obj.keys.filter(revoked_at__isnull=True):
        urls.append(reverse("staff:api_client_key_revoke", args=[pk, key.pk]))
    return urls


def _everything_shown(client, client_obj: ApiClient) -> str:
    pages = []
    for url in _pages(client_obj):
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    return "\n".join(pages)


def _once() -> str:
    """The token a form that makes a key or secret carries (a new one each time it is shown)."""
    return secrets.token_urlsafe(16)


def _key_on(page: str) -> str:
    return re.search(r"(dsr_[A-Za-z0-9_-]{43})", page)[1]


def _state() -> tuple:
    """What the pages could change: the clients, their keys, the audit log."""
    return (
        list(ApiClient.objects.order_by("pk").values()),
        list(ApiKey.objects.order_by("pk").values()),
        AuditRecord.objects.count(),
    )


def test_only_a_processor_administrator_reaches_the_pages(
    client, app, admin, support, handler, practice_admin
):
    api_client, _key = app
    key = api_client.keys.get()
    urls = _pages(api_client)
    posts = {
        reverse("staff:api_client_new"): {"name": "X", "per_minute": 1, "per_day": 1},
        reverse("staff:api_client_key_new", args=[api_client.pk]): {"label": "x"},
        reverse("staff:api_client_key_revoke", args=[api_client.pk, key.pk]): {},
        reverse("staff:api_client_webhook", args=[api_client.pk]): {"webhook_url": ""},
        reverse("staff:api_client_secret", args=[api_client.pk]): {},
        reverse("staff:api_client_quotas", args=[api_client.pk]): {"per_minute": 1, "per_day": 1},
        reverse("staff:api_client_deactivate", args=[api_client.pk]): {},
        reverse("staff:api_client_activate", args=[api_client.pk]): {},
    }
    before = _state()
    for who in (support, handler, practice_admin):
        client.force_login(who)
        for url in [*urls, reverse("staff:api_client_new")]:
            assert client.get(url).status_code == 403, (who, url)
        for url, data in posts.items():
            assert client.post(url, data).status_code == 403, (who, url)
        assert "/staff/api-clients/" not in client.get(reverse("staff:tasks")).content.decode()
    assert _state()[:2] == before[:2]
    client.force_login(admin)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert 'href="/staff/api-clients/"' in client.get(reverse("staff:practices")).content.decode()
    assert client.get(reverse("staff:api_client", args=[api_client.pk + 99])).status_code == 404
    other, _other_key = api_clients.create_client(name="Ander")
    elsewhere = reverse("staff:api_client_key_revoke", args=[other.pk, key.pk])
    assert client.post(elsewhere).status_code == 404 and ApiKey.objects.get(pk=key.pk).active
    client.logout()
    assert client.get(urls[0]).status_code == 302  # to the sign-in


def test_a_new_client_shows_its_key_once_and_never_again(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("staff:api_client_new"),
        {
            "name": "Patiënt-app",
            "per_minute": "30",
            "per_day": "900",
            "label": "productie",
            "once": _once(),
        },
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    api_client = ApiClient.objects.get(name="Patiënt-app")
    page = response.content.decode()
    key = _key_on(page)
    assert page.count(key) == 1 and "kan hem niet opnieuw tonen" in page
    assert ApiClient.authenticate(key) == api_client
    assert (api_client.per_minute, api_client.per_day) == (30, 900)
    shown = _everything_shown(client, api_client)
    assert key not in shown and key[:10] in shown  # only its hint
    assert key not in str(list(AuditRecord.objects.values()))


def test_an_issued_key_is_shown_once_and_both_keys_work_until_the_old_is_revoked(
    client, app, admin
):
    api_client, old = app
    client.force_login(admin)
    response = client.post(
        reverse("staff:api_client_key_new", args=[api_client.pk]),
        {"label": "nieuwe server", "once": _once()},
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    new = _key_on(response.content.decode())
    assert "nieuwe server" in response.content.decode()
    assert _api(client, old) == 404 and _api(client, new) == 404  # both work: the overlap
    shown = _everything_shown(client, api_client)
    assert new not in shown and old not in shown and "nieuwe server" in shown
    old_key = api_client.keys.get(key_hint=old[:10])
    confirm = reverse("staff:api_client_key_revoke", args=[api_client.pk, old_key.pk])
    page = client.get(confirm).content.decode()
    assert "andere actieve sleutel van de client blijft werken" in page
    assert ApiKey.objects.get(pk=old_key.pk).active  # looking at the question revokes nothing
    done = client.post(confirm, follow=True)
    assert "is ingetrokken" in done.content.decode()
    assert _api(client, old) == 401 and _api(client, new) == 404
    revoked = ApiKey.objects.get(pk=old_key.pk)
    assert revoked.revoked_by == "admin@processor.example"
    assert (
        "admin@processor.example"
        in client.get(reverse("staff:api_client", args=[api_client.pk])).content.decode()
    )


def test_revoking_needs_the_csrf_token_and_a_post(app, admin):
    api_client, key = app
    stored = api_client.keys.get()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin)
    url = reverse("staff:api_client_key_revoke", args=[api_client.pk, stored.pk])
    assert browser.post(url).status_code == 403  # no token: a forged form from elsewhere
    assert browser.get(url).status_code == 200
    assert ApiKey.objects.get(pk=stored.pk).active and ApiClient.authenticate(key)
    activate = reverse("staff:api_client_activate", args=[api_client.pk])
    assert browser.get(activate).status_code == 405


def test_revoking_the_last_key_warns_that_the_client_is_cut_off(client, app, admin):
    api_client, key = app
    stored = api_client.keys.get()
    client.force_login(admin)
    url = reverse("staff:api_client_key_revoke", args=[api_client.pk, stored.pk])
    assert "laatste actieve sleutel" in client.get(url).content.decode()
    page = client.post(url, follow=True).content.decode()
    assert "geen actieve sleutel meer" in page and "Geen actieve sleutel" in page
    assert _api(client, key) == 401
    again = client.post(url, follow=True)  # a second tab, or the back button
    assert again.status_code == 200 and "was al ingetrokken" in again.content.decode()
    assert AuditRecord.objects.filter(event_type="api_client.key_revoke").count() == 1
    listed = client.get(reverse("staff:api_clients")).content.decode()
    assert "geen: afgesloten" in listed


def test_the_signing_secret_is_shown_once_and_the_overlap_is_explained(client, app, admin):
    api_client, _key = app
    client.force_login(admin)
    url = reverse("staff:api_client_secret", args=[api_client.pk])
    first = client.post(url, {"once": _once()})
    assert first.status_code == 200 and "no-store" in first["Cache-Control"]
    api_client.refresh_from_db()
    assert api_client.webhook_secret in first.content.decode()
    assert "24 uur" in client.get(url).content.decode()
    second = client.post(url, {"once": _once()})
    api_client.refresh_from_db()
    page = second.content.decode()
    assert api_client.webhook_secret in page and "zowel het nieuwe als het oude geheim" in page
    shown = _everything_shown(client, api_client)
    assert api_client.webhook_secret not in shown
    assert api_client.previous_webhook_secret not in shown
    assert "ook nog met het vorige geheim ondertekend" in shown


def test_the_webhook_address_quotas_and_status_are_changed_in_their_forms(
    client, app, admin, dns, settings
):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.app.example", "93.184.215.14")
    api_client, key = app
    client.force_login(admin)
    pk = api_client.pk
    url = "https://hooks.app.example/portal"
    response = client.post(reverse("staff:api_client_webhook", args=[pk]), {"webhook_url": url})
    assert response.status_code == 302
    client.post(reverse("staff:api_client_quotas", args=[pk]), {"per_minute": 5, "per_day": 50})
    api_client.refresh_from_db()
    assert (api_client.webhook_url, api_client.per_minute, api_client.per_day) == (url, 5, 50)
    listed = client.get(reverse("staff:api_clients")).content.decode()
    assert url in listed and "5 per minuut, 50 per dag" in listed
    client.post(reverse("staff:api_client_deactivate", args=[pk]))
    assert _api(client, key) == 401
    assert "Gedeactiveerd" in client.get(reverse("staff:api_client", args=[pk])).content.decode()
    client.post(reverse("staff:api_client_activate", args=[pk]))
    assert _api(client, key) == 404
    client.post(reverse("staff:api_client_webhook", args=[pk]), {"webhook_url": ""})
    assert ApiClient.objects.get(pk=pk).webhook_url == ""
    events = AuditRecord.objects.filter(user=admin).values_list("event_type", flat=True)
    assert set(events) >= {
        "api_client.webhook_set",
        "api_client.quota",
        "api_client.deactivate",
        "api_client.activate",
        "api_client.webhook_clear",
    }


BAD_FORMS = {
    "a client without a name": ("new", {"name": "", "per_minute": 60, "per_day": 2000}),
    "a name taken": ("new", {"name": "patiënt-app", "per_minute": 60, "per_day": 2000}),
    "a name turned around": ("new", {"name": "ppa\u202e", "per_minute": 60, "per_day": 2000}),
    "a quota of nought": ("new", {"name": "Nieuw", "per_minute": 0, "per_day": 2000}),
    "a quota in words": ("quotas", {"per_minute": "veel", "per_day": 2000}),
    "a fraction": ("quotas", {"per_minute": "2,5", "per_day": 2000}),
    "a quota beyond the database": ("quotas", {"per_minute": 60, "per_day": 2**40}),
    "a negative quota": ("quotas", {"per_minute": -5, "per_day": 2000}),
    "a label with a zero-width space": ("key", {"label": "prod\u200buctie"}),
    "a label too long": ("key", {"label": "x" * 101}),
    "a key form without its token": ("key", {"label": "productie", "once": ""}),
    "a client form with a short token": ("new", {"name": "Nieuw", "once": "kort"}),
    "webhook over http": ("webhook", {"webhook_url": "http://hooks.app.example/"}),
    "webhook to loopback": ("webhook", {"webhook_url": "https://127.0.0.1/"}),
    "webhook to metadata": ("webhook", {"webhook_url": "https://169.254.169.254/latest"}),
    "webhook with a password": ("webhook", {"webhook_url": "https://a:b@hooks.app.example/"}),
    "webhook to localhost": ("webhook", {"webhook_url": "https://localhost:8000/"}),
    "webhook not a url": ("webhook", {"webhook_url": "hooks.app.example"}),
}


@pytest.mark.parametrize("case", BAD_FORMS)
def test_a_bad_form_answers_400_and_changes_nothing(client, app, admin, dns, settings, case):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.app.example", "93.184.215.14")
    api_client, _key = app
    what, data = BAD_FORMS[case]
    url = {
        "new": reverse("staff:api_client_new"),
        "quotas": reverse("staff:api_client_quotas", args=[api_client.pk]),
        "key": reverse("staff:api_client_key_new", args=[api_client.pk]),
        "webhook": reverse("staff:api_client_webhook", args=[api_client.pk]),
    }[what]
    client.force_login(admin)
    before = _state()
    response = client.post(url, ({"once": _once()} if what in ("new", "key") else {}) | data)
    assert response.status_code == 400, case
    page = response.content.decode()
    assert "error-summary" in page and "dsr_" not in page
    assert _state() == before


def test_a_nul_in_a_form_is_refused_before_the_view(client, app, admin):
    api_client, _key = app
    client.force_login(admin)
    before = _state()
    response = client.post(
        reverse("staff:api_client_webhook", args=[api_client.pk]),
        {"webhook_url": "https://hooks.app.example/\x00"},
    )
    assert response.status_code == 400 and _state() == before


def test_a_sixth_key_is_refused_with_the_reason(client, app, admin):
    api_client, _key = app
    for _n in range(api_clients.MAX_ACTIVE_KEYS - 1):
        api_clients.issue_key(api_client, actor=admin)
    client.force_login(admin)
    page = client.get(reverse("staff:api_client", args=[api_client.pk])).content.decode()
    assert "Nieuwe sleutel uitgeven" not in page and "het maximum" in page
    before = _state()
    response = client.post(
        reverse("staff:api_client_key_new", args=[api_client.pk]), {"once": _once()}
    )
    assert response.status_code == 400 and "Trek eerst een sleutel in" in response.content.decode()
    assert _state() == before


def test_a_form_sent_twice_makes_nothing_the_second_time(client, app, admin):
    """A double click or a reload of the answer: one key, one rotation, one client."""
    api_client, _key = app
    client.force_login(admin)
    for url, data in [
        (reverse("staff:api_client_key_new", args=[api_client.pk]), {"label": "x"}),
        (reverse("staff:api_client_secret", args=[api_client.pk]), {}),
        (reverse("staff:api_client_new"), {"name": "Nieuw", "per_minute": 1, "per_day": 1}),
    ]:
        data["once"] = _once()
        assert client.post(url, data).status_code == 200
        before = _state()
        again = client.post(url, data)
        page = again.content.decode()
        assert again.status_code == 409 and "al verstuurd" in page, url
        assert not re.search(r"dsr_|whsec_", page) and _state() == before


def test_a_refused_step_leaves_the_form_to_be_sent_again(client, app, admin):
    client.force_login(admin)
    data = {"name": "Patiënt-app", "per_minute": 60, "per_day": 2000, "once": _once()}
    assert client.post(reverse("staff:api_client_new"), data).status_code == 400  # name taken
    response = client.post(reverse("staff:api_client_new"), data | {"name": "Tweede app"})
    assert response.status_code == 200 and _key_on(response.content.decode())
