"""`check --deploy` holds the configured channels and connectors against the register of
sub-processors (agreement art. 7.1 and 3.7)."""

import io

import pytest
from django.core.management import call_command

from requests_app.models import SubProcessor
from tests.factories import approve, make_practice

pytestmark = pytest.mark.django_db

ALL_CONNECTORS = [
    "workflows.assistance.connectors.platform.PlatformConnector",
    "workflows.assistance.connectors.twilio_sms.TwilioSmsConnector",
    "workflows.assistance.connectors.sendgrid_contacts.SendGridContactsConnector",
]


def register_warnings() -> list[str]:
    """The lines `manage.py check --deploy` prints about the register."""
    out, err = io.StringIO(), io.StringIO()
    # Only the register's lines count; other checks may fail here (the browser tests' async
    # flag is an error for a deployment), so nothing short of critical stops the command.
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    return [line for line in text.splitlines() if "portal.W01" in line]


@pytest.fixture
def configured(settings, providers, practice):
    """E-mail through SendGrid, SMS through Twilio, and their connectors."""
    settings.DATA_CONNECTORS = ALL_CONNECTORS
    return practice


def test_an_unapproved_sub_processor_is_reported_with_the_practice(configured):
    make_practice("07654321", name="Praktijk Elders", active=False)  # not asked: inactive
    approve(configured, "SendGrid", "VANAD Enovation")
    (line,) = register_warnings()
    assert "portal.W012" in line and "Twilio" in line
    assert "the sms channel" in line and "the twilio connector" in line
    assert configured.name in line and "Praktijk Elders" not in line


def test_a_sub_processor_missing_from_the_register_or_inactive_is_reported(configured):
    approve(configured, "SendGrid", "Twilio", "VANAD Enovation")
    SubProcessor.objects.filter(name="SendGrid").update(active=False)
    SubProcessor.objects.filter(name="Twilio").update(name="Twilio Ireland")
    lines = register_warnings()
    assert any("portal.W011" in line and "SendGrid" in line for line in lines)
    assert any("portal.W010" in line and "Twilio" in line for line in lines)


def test_no_warning_when_every_practice_approved_what_is_used(configured):
    approve(configured, "SendGrid", "Twilio", "VANAD Enovation")
    assert register_warnings() == []


def test_the_platforms_host_is_held_against_the_register(configured):
    """The platform connector reads the app's database, which VANAD hosts."""
    approve(configured, "SendGrid", "Twilio")
    (line,) = register_warnings()
    assert "portal.W012" in line and "VANAD Enovation" in line
    assert "the platform connector (its host)" in line


def test_nothing_to_check_when_nothing_leaves_the_portal(settings, practice):
    settings.SENDGRID_API_KEY = settings.TWILIO_ACCOUNT_SID = ""
    settings.DATA_CONNECTORS = []
    assert register_warnings() == []
