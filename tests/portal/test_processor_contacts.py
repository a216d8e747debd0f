"""The processor's incident contacts (agreement Bijlage 5): kept, and missed when absent."""

import io

import pytest
from django.core.management import call_command

from requests_app.models import ContactRole, ProcessorContact

pytestmark = pytest.mark.django_db


def contact_warnings() -> list[str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("check", "--deploy", "--fail-level", "CRITICAL", stdout=out, stderr=err)
    return [line for line in (out.getvalue() + err.getvalue()).splitlines() if "W020" in line]


def test_a_deployment_without_the_processors_contacts_is_warned(practice):
    assert len(contact_warnings()) == 1
    ProcessorContact.objects.create(
        role=ContactRole.PRIMARY, name="Sanne Bakker", email="incidenten@processor.example"
    )
    [line] = contact_warnings()
    assert "missing the stand-in." in line


def test_no_warning_once_both_contacts_are_kept(practice):
    for role, email in ((ContactRole.STANDIN, "b@p.example"), (ContactRole.PRIMARY, "a@p.example")):
        ProcessorContact.objects.create(role=role, name="Gerrit Bos", email=email)
    assert contact_warnings() == []
    assert [c.role for c in ProcessorContact.objects.in_order()] == ["primary", "standin"]


def test_no_warning_before_the_first_practice_joins():
    assert contact_warnings() == []
