"""`manage.py api_clients`: the same acts as the screens, from a shell. Keys and secrets are
printed once; an unknown client, a refused address or a refused step is a clear error that
changes nothing."""

import re

import pytest
from django.core.management import CommandError, call_command

from requests_app.models import ApiClient, ApiKey, AuditRecord
from requests_app.roles import Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def run(capsys, *args) -> str:
    call_command("api_clients", *args)
    return capsys.readouterr().out


def _key(out: str) -> str:
    return re.search(r"^(dsr_\S+)$", out, re.M)[1]


def test_create_issue_rotate_and_revoke_from_the_shell(capsys):
    out = run(capsys, "create", "Patiënt-app", "--per-minute", "30", "--per-day", "900")
    first = _key(out)
    assert "cannot be shown again" in out and "30 submissions a minute" in out
    client = ApiClient.objects.get(name="Patiënt-app")
    assert (client.per_minute, client.per_day) == (30, 900)
    second = _key(run(capsys, "issue-key", "Patiënt-app", "--label", "nieuwe server"))
    assert ApiClient.authenticate(first) == client == ApiClient.authenticate(second)
    listed = run(capsys, "list")
    assert first[:10] in listed and "nieuwe server" in listed and first not in listed
    assert second not in listed
    out = run(capsys, "revoke-key", "Patiënt-app", first[:10] + "…")
    assert "is revoked" in out and "no active key left" not in out
    assert ApiClient.authenticate(first) is None and ApiClient.authenticate(second) == client
    out = run(capsys, "revoke-key", "Patiënt-app", second[:10])
    assert "no active key left" in out
    records = AuditRecord.objects.filter(event_type__startswith="api_client.")
    assert records.count() == 4
    assert {r.user_label for r in records} == {"manage.py api_clients"}
    assert first not in str(list(records.values())) and second not in str(list(records.values()))
    assert ApiKey.objects.get(key_hint=first[:10]).revoked_by == "manage.py api_clients"


def test_revoking_a_revoked_or_unknown_key_is_an_error(capsys):
    key = _key(run(capsys, "create", "App"))
    run(capsys, "revoke-key", "App", key[:10])
    with pytest.raises(CommandError, match="already revoked"):
        call_command("api_clients", "revoke-key", "App", key[:10])
    with pytest.raises(CommandError, match="no key 'dsr_nothing'"):
        call_command("api_clients", "revoke-key", "App", "dsr_nothing")


@pytest.mark.parametrize(
    "args",
    [
        ("issue-key", "Onbekend"),
        ("revoke-key", "Onbekend", "dsr_abcdef"),
        ("set-webhook", "Onbekend", ""),
        ("rotate-secret", "Onbekend"),
        ("set-quota", "Onbekend", "--per-day", "5"),
        ("deactivate", "Onbekend"),
        ("activate", "Onbekend"),
    ],
)
def test_an_unknown_client_is_named_in_the_error(capsys, args):
    run(capsys, "create", "App")
    with pytest.raises(CommandError, match="No API client is named 'Onbekend' \\(known: App\\)"):
        call_command("api_clients", *args)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.app.example/",
        "https://127.0.0.1/",
        "https://169.254.169.254/",
        "https://[::1]/",
        "https://localhost/",
        "https://user:pass@hooks.app.example/",
        "https://hooks.app.example/\x07",
    ],
)
def test_a_refused_webhook_address_is_an_error_that_changes_nothing(capsys, dns, settings, url):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.app.example", "93.184.215.14")
    run(capsys, "create", "App")
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("api_clients", "set-webhook", "App", url)
    assert ApiClient.objects.get().webhook_url == ""


def test_webhook_secret_quota_and_status(capsys, dns, settings):
    settings.WEBHOOK_ALLOW_LOCAL = False
    dns.add("hooks.app.example", "93.184.215.14")
    key = _key(run(capsys, "create", "App"))
    out = run(capsys, "set-webhook", "App", "https://hooks.app.example/events")
    assert "no signing secret yet" in out.lower()
    first = re.search(r"^(whsec_\S+)$", run(capsys, "rotate-secret", "App"), re.M)[1]
    out = run(capsys, "rotate-secret", "App")
    second = re.search(r"^(whsec_\S+)$", out, re.M)[1]
    assert "old one as well until" in out
    assert ApiClient.objects.get().signing_secrets() == [second, first]
    assert first not in run(capsys, "list") and "(signed)" in run(capsys, "list")
    run(capsys, "set-quota", "App", "--per-day", "50")
    assert (ApiClient.objects.get().per_minute, ApiClient.objects.get().per_day) == (60, 50)
    with pytest.raises(CommandError, match="1 to"):
        call_command("api_clients", "set-quota", "App", "--per-minute", "0")
    run(capsys, "deactivate", "App")
    assert ApiClient.authenticate(key) is None and "DEACTIVATED" in run(capsys, "list")
    run(capsys, "activate", "App")
    assert ApiClient.authenticate(key) is not None
    assert "no webhook address" in run(capsys, "set-webhook", "App", "")


def test_a_name_taken_is_an_error_and_the_actor_may_be_named(capsys):
    admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)
    key = _key(run(capsys, "--as", "admin@processor.example", "create", "App"))
    assert ApiKey.objects.get().created_by == "admin@processor.example"
    assert AuditRecord.objects.get(event_type="api_client.create").user == admin
    with pytest.raises(CommandError, match="already exists"):
        call_command("api_clients", "create", "app")
    with pytest.raises(CommandError, match="not an active processor administrator"):
        call_command("api_clients", "--as", "someone@example.com", "issue-key", "App")
    assert ApiClient.objects.count() == 1 and ApiClient.authenticate(key)


def test_create_api_client_still_works_and_audits(capsys):
    call_command("create_api_client", "Oude-app", "--per-minute", "5")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    client = ApiClient.objects.get(name="Oude-app")
    assert ApiClient.authenticate(key) == client and client.per_minute == 5
    record = AuditRecord.objects.get(event_type="api_client.create")
    assert record.user_label == "manage.py create_api_client" and key not in str(record.details)
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_api_client", "Oude-app")
