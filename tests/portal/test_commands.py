import pytest
from django.core.management import call_command

from demo import platform as demo
from requests_app.models import Membership, Practice, Request
from tests.environment import drop_platform_tables
from workflows.assistance.connectors import Identifiers
from workflows.assistance.connectors.platform import PlatformConnector


@pytest.fixture(autouse=True)
def no_platform_left_behind():
    """seed_demo also fills the demo platform; these tests commit, so its tables are dropped."""
    yield
    drop_platform_tables("default")


@pytest.mark.django_db(transaction=True)
def test_seed_demo_is_idempotent_and_prints_logins(capsys):
    call_command("seed_demo")
    first = (Practice.objects.count(), Membership.objects.count(), Request.objects.count())
    call_command("seed_demo")
    second = (Practice.objects.count(), Membership.objects.count(), Request.objects.count())
    assert first == second and all(first)
    # The demo platform holds the demo patients, found as support would look them up.
    assert demo.Patient.objects.count() == 300 + 3
    found = PlatformConnector("default").find(
        Identifiers("01234567", email="jan.jansen@example.com")
    )
    assert {f.category: f.count for f in found}["conversations"] == 25
    out = capsys.readouterr().out
    assert "support@processor.example" in out and "http://127.0.0.1:8000/" in out
    # Every role has a demo login, the administrators too (onboarding, the team, texts).
    assert "beheer@delinde.example" in out and "admin@processor.example" in out


@pytest.mark.django_db(transaction=True)
def test_demo_staff_sign_in_with_password_and_the_printed_code(client, capsys):
    call_command("seed_demo")
    call_command("demo_totp")
    code = capsys.readouterr().out.strip().splitlines()[-1].split()[0]
    client.post(
        "/accounts/login/", {"login": "handler@delinde.example", "password": "demo-portal-2026"}
    )
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/staff/"


@pytest.mark.django_db
def test_seed_demo_records_each_practices_consent_to_the_sub_processors_in_use():
    from requests_app.models import SubProcessor, SubProcessorApproval

    call_command("seed_demo")
    call_command("seed_demo")
    in_use = set(SubProcessor.objects.filter(active=True).values_list("name", flat=True))
    assert "Twilio" in in_use and "Messagebird" not in in_use
    for practice in Practice.objects.all():
        approved = SubProcessorApproval.objects.filter(practice=practice)
        assert set(approved.values_list("subprocessor__name", flat=True)) == in_use
        twilio = approved.get(subprocessor__name="Twilio")
        assert "Twilio" in twilio.evidence and twilio.approved_on.year == 2026
