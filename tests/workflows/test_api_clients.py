"""Managing the patient app's API clients: keys rotated without downtime, revoked at once, the
last use noted; a deactivated client refused; webhook addresses that lead into the processor's
own network refused however they are written; every act audited, never with a key in it."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from requests_app.models import ApiClient, ApiKey, AuditRecord
from requests_app.roles import Role
from requests_app.validators import validate_webhook_url
from tests.factories import make_user
from workflows.onboarding import api_clients

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


@pytest.fixture
def app(admin):
    client, key = api_clients.create_client(name="Patiënt-app", actor=admin)
    return client, key


def _audit_text() -> str:
    return json.dumps(list(AuditRecord.objects.values()), default=str)


def test_a_new_client_gets_a_first_key_that_works_and_is_stored_only_as_its_hash(admin):
    client, key = api_clients.create_client(
        name="  Patiënt-app ", per_minute=30, per_day=900, label="productie", actor=admin
    )
    assert (client.name, client.per_minute, client.per_day, client.active) == (
        "Patiënt-app",
        30,
        900,
        True,
    )
    stored = client.keys.get()
    assert key.startswith("dsr_") and stored.key_hint == key[:10] and key not in stored.key_hash
    assert (stored.label, stored.created_by) == ("productie", "admin@processor.example")
    assert ApiClient.authenticate(key) == client
    record = AuditRecord.objects.get(event_type="api_client.create")
    assert (record.user, record.object_id, record.practice_id_ref) == (admin, str(client.pk), None)
    assert record.details["key"] == key[:10] and key not in _audit_text()


def test_a_name_is_taken_once_whatever_its_case(app):
    with pytest.raises(api_clients.ClientExists):
        api_clients.create_client(name="PATIËNT-APP")
    assert ApiClient.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "per_minute", "per_day"),
    [("", 60, 2000), ("App\u202e", 60, 2000), ("A" * 101, 60, 2000), ("App", 0, 2000)]
    + [("App", 60, 0), ("App", 100_001, 2000), ("App", 60, 2**31)],
)
def test_a_client_with_bad_values_is_not_created(name, per_minute, per_day):
    with pytest.raises(ValidationError):
        api_clients.create_client(name=name, per_minute=per_minute, per_day=per_day)
    assert not ApiClient.objects.exists() and not AuditRecord.objects.exists()


def test_rotation_keeps_both_keys_working_until_the_old_one_is_revoked(app, admin):
    client, old = app
    _key, new = api_clients.issue_key(client, label="nieuwe server", actor=admin)
    # The overlap: the app's servers switch over one by one, each key works meanwhile.
    assert ApiClient.authenticate(old) == client and ApiClient.authenticate(new) == client
    old_key = ApiKey.objects.get(key_hint=old[:10])
    left = api_clients.revoke_key(old_key, actor=admin)
    assert left == 1
    assert ApiClient.authenticate(old) is None and ApiClient.authenticate(new) == client
    old_key.refresh_from_db()
    assert old_key.revoked_by == "admin@processor.example" and old_key.revoked_at is not None
    events = list(AuditRecord.objects.values_list("event_type", flat=True).order_by("seq"))
    assert events == ["api_client.create", "api_client.key_issue", "api_client.key_revoke"]
    assert old not in _audit_text() and new not in _audit_text()


def test_revoking_a_revoked_key_is_refused_and_changes_nothing(app, admin):
    client, key = app
    stored = client.keys.get()
    api_clients.revoke_key(stored, actor=admin)
    revoked_at = ApiKey.objects.get(pk=stored.pk).revoked_at
    with pytest.raises(api_clients.KeyRefused, match="already revoked"):
        api_clients.revoke_key(
            ApiKey.objects.get(pk=stored.pk), actor=make_user("x@y.nl", Role.PROCESSOR_ADMIN)
        )
    again = ApiKey.objects.get(pk=stored.pk)
    assert (again.revoked_at, again.revoked_by) == (revoked_at, "admin@processor.example")
    assert AuditRecord.objects.filter(event_type="api_client.key_revoke").count() == 1


def test_the_last_key_may_be_revoked_which_cuts_the_client_off(app, admin):
    client, key = app
    assert api_clients.revoke_key(client.keys.get(), actor=admin) == 0
    assert ApiClient.authenticate(key) is None
    record = AuditRecord.objects.get(event_type="api_client.key_revoke")
    assert record.details["active_keys_left"] == 0


def test_a_client_holds_a_few_active_keys_at_most(app, admin):
    client, _key = app
    for _n in range(api_clients.MAX_ACTIVE_KEYS - 1):
        api_clients.issue_key(client, actor=admin)
    with pytest.raises(api_clients.KeyRefused, match="Revoke a key"):
        api_clients.issue_key(client, actor=admin)
    api_clients.revoke_key(client.keys.first(), actor=admin)
    api_clients.issue_key(client, actor=admin)  # room again
    assert client.keys.filter(revoked_at__isnull=True).count() == api_clients.MAX_ACTIVE_KEYS


def test_a_key_notes_its_last_use_at_most_once_a_minute(app):
    client, key = app
    assert client.keys.get().last_used_at is None
    now = timezone.now()
    ApiKey.authenticate(key, now=now)
    assert client.keys.get().last_used_at == now
    ApiKey.authenticate(key, now=now + datetime.timedelta(seconds=30))
    assert client.keys.get().last_used_at == now
    later = now + datetime.timedelta(minutes=2)
    ApiKey.authenticate(key, now=later)
    assert client.keys.get().last_used_at == later
    listed = api_clients.client_list().get()
    assert (listed.active_keys, listed.last_used) == (1, later)


def test_a_deactivated_client_is_refused_with_every_key_until_activated(app, admin):
    client, key = app
    _other, second = api_clients.issue_key(client, actor=admin)
    assert api_clients.set_active(client, False, actor=admin) is True
    assert ApiClient.authenticate(key) is None and ApiClient.authenticate(second) is None
    assert api_clients.set_active(client, False, actor=admin) is False  # nothing to do
    assert api_clients.set_active(client, True, actor=admin) is True
    assert ApiClient.authenticate(key) == client
    events = AuditRecord.objects.filter(
        event_type__in=["api_client.deactivate", "api_client.activate"]
    )
    assert [e.event_type for e in events.order_by("seq")] == [
        "api_client.deactivate",
        "api_client.activate",
    ]


def test_quotas_change_with_a_record_of_before_and_after(app, admin):
    client, _key = app
    assert api_clients.set_quotas(client, per_minute=10, per_day=2000, actor=admin) == [
        "per_minute"
    ]
    client.refresh_from_db()
    assert (client.per_minute, client.per_day) == (10, 2000)
    record = AuditRecord.objects.get(event_type="api_client.quota")
    assert record.details["per_minute"] == [60, 10] and "per_day" not in record.details
    assert api_clients.set_quotas(client, per_minute=10, per_day=2000, actor=admin) == []
    with pytest.raises(ValidationError):
        api_clients.set_quotas(client, per_minute=-1, per_day=2000, actor=admin)
    assert AuditRecord.objects.filter(event_type="api_client.quota").count() == 1


def test_the_webhook_secret_is_created_then_rotated_with_a_day_of_overlap(app, admin):
    client, _key = app
    first = api_clients.rotate_webhook_secret(client, actor=admin)
    assert first.startswith("whsec_") and client.signing_secrets() == [first]
    assert api_clients.secret_overlap_ends(client) is None
    second = api_clients.rotate_webhook_secret(client, actor=admin)
    stored = ApiClient.objects.get(pk=client.pk)
    assert stored.signing_secrets() == [second, first]
    ends = api_clients.secret_overlap_ends(stored)
    assert ends is not None and ends - timezone.now() > datetime.timedelta(hours=23)
    after_a_day = timezone.now() + datetime.timedelta(hours=25)
    assert stored.signing_secrets(after_a_day) == [second]
    events = AuditRecord.objects.filter(event_type__startswith="api_client.secret_")
    assert [e.event_type for e in events.order_by("seq")] == [
        "api_client.secret_create",
        "api_client.secret_rotate",
    ]
    assert first not in _audit_text() and second not in _audit_text()


def test_a_webhook_address_is_set_and_cleared_with_its_record(app, admin, dns, settings):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.app.example", "93.184.215.14")
    client, _key = app
    url = "https://hooks.app.example/portal?token=receivers-own"
    assert api_clients.set_webhook(client, url, actor=admin) is True
    assert ApiClient.objects.get(pk=client.pk).webhook_url == url
    assert api_clients.set_webhook(client, url, actor=admin) is False
    assert api_clients.set_webhook(client, "", actor=admin) is True
    assert ApiClient.objects.get(pk=client.pk).webhook_url == ""
    set_, cleared = AuditRecord.objects.filter(event_type__startswith="api_client.webhook_")
    assert set_.details["url"] == "https://hooks.app.example/portal"
    assert cleared.details["previous"] == "https://hooks.app.example/portal"
    assert "receivers-own" not in _audit_text()  # a token in the query is the receiver's


# Addresses an attacker (or a mistaken client) might give: each leads into the processor's own
# network, carries credentials, or would be read otherwise than it is written.
REFUSED = {
    "http in production": ("http://hooks.app.example/", "https"),
    "loopback": ("https://127.0.0.1/hook", "not_public"),
    "loopback elsewhere in 127/8": ("https://127.8.9.1/hook", "not_public"),
    "private 10/8": ("https://10.0.0.5/hook", "not_public"),
    "private 192.168/16": ("https://192.168.1.1/hook", "not_public"),
    "cloud metadata": ("https://169.254.169.254/latest/meta-data/", "not_public"),
    "IPv6 loopback": ("https://[::1]/hook", "not_public"),
    "IPv4 loopback inside IPv6": ("https://[::ffff:127.0.0.1]/hook", "not_public"),
    "IPv6 unique local": ("https://[fd00::1]/hook", "not_public"),
    "multicast": ("https://224.0.0.251/hook", "not_public"),
    "unspecified": ("https://0.0.0.0/hook", "not_public"),
    "shared address space": ("https://100.64.0.1/hook", "not_public"),
    "localhost": ("https://localhost/hook", "not_public"),
    "a name resolving to loopback": ("https://rebind.attacker.example/", "not_public"),
    "a name with one private address among public ones": (
        "https://mixed.attacker.example/",
        "not_public",
    ),
    "a name that does not resolve": ("https://nowhere.attacker.example/", "unresolved"),
    "decimal address": ("https://2130706433/", "numeric_host"),
    "hexadecimal address": ("https://0x7f000001/", "numeric_host"),
    "short address": ("https://127.1/", "numeric_host"),
    "user and password": ("https://user:pass@hooks.app.example/", "credentials"),
    "user only": ("https://user@hooks.app.example/", "credentials"),
    "backslash before @": ("https://hooks.app.example\\@127.0.0.1/", "credentials"),
    "NUL": ("https://hooks.app.example/\x00", "characters"),
    "a control character": ("https://hooks.app.example/\x1b[2J", "characters"),
    "a newline": ("https://hooks.app.example/\r\nX-Injected: 1", "characters"),
    "a zero-width space": ("https://hooks.app\u200b.example/", "characters"),
    "a space": ("https://hooks.app.example/a b", "characters"),
    "over-long": ("https://hooks.app.example/" + "a" * 480, "max_length"),
    "another scheme": ("file:///etc/passwd", "invalid"),
    "javascript": ("javascript:alert(1)", "invalid"),
    "no host": ("https:///hook", "invalid"),
    "a port that is no number": ("https://hooks.app.example:http/", "invalid"),
    "a port out of range": ("https://hooks.app.example:70000/", "invalid"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_webhook_address_into_our_own_network_is_refused_in_production(
    app, admin, dns, settings, case
):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.app.example", "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    dns.add("rebind.attacker.example", "127.0.0.1")
    dns.add("mixed.attacker.example", "93.184.215.14", "10.1.2.3")
    dns.add("nowhere.attacker.example")
    url, code = REFUSED[case]
    client, _key = app
    with pytest.raises(ValidationError) as refused:
        api_clients.set_webhook(client, url, actor=admin)
    assert refused.value.code == code, refused.value.messages
    assert ApiClient.objects.get(pk=client.pk).webhook_url == ""
    assert not AuditRecord.objects.filter(event_type__startswith="api_client.webhook").exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.app.example/portal/events",
        "https://HOOKS.app.example:8443/x?y=1",
        "https://8.8.8.8/hook",
        "https://[2001:4860:4860::8888]/hook",
    ],
)
def test_a_public_https_address_is_accepted_in_production(dns, settings, url):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.app.example", "93.184.215.14")
    validate_webhook_url(url)


def test_in_development_a_receiver_on_this_machine_is_accepted_but_never_credentials(settings):
    settings.WEBHOOK_ALLOW_LOCAL = True
    for url in ("http://127.0.0.1:8765/hook", "http://localhost/hook", "https://10.0.0.5/"):
        validate_webhook_url(url)
    for url in ("http://u:p@127.0.0.1/", "http://127.0.0.1/\x00", "ftp://127.0.0.1/"):
        with pytest.raises(ValidationError):
            validate_webhook_url(url)
