"""The processor's register of processing for a practice (GDPR art. 30(2); agreement art. 3.5):
its content, the JSON file against its schema, the CSV file, the page in both languages, who may
have which practice's register, and the audit record of every copy."""

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from django.urls import reverse

from requests_app.models import AuditOutcome, AuditRecord, ContactRole, ProcessorContact
from requests_app.roles import Role
from tests.factories import approve, make_user

pytestmark = pytest.mark.django_db
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "processing-register.schema.json").read_text()
)


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


@pytest.fixture
def register_of(practice, other_practice, settings):
    settings.AUDIT_RETENTION_YEARS = 7
    settings.PACKAGE_RETENTION_DAYS = 45
    settings.PROCESSOR_EMAIL = "privacy@beterdichtbij.example"
    practice.retention_years = 20
    practice.save()
    approve(practice, "SendGrid", "VANAD Enovation")
    approve(other_practice, "Twilio")
    ProcessorContact.objects.create(
        role=ContactRole.PRIMARY, name="Sander Bijl", email="sbijl@beterdichtbij.example"
    )

    def fetch(client, fmt):
        url = reverse("staff:processing_register_file", args=[practice.pk, fmt])
        response = client.get(url)
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        return response.content.decode()

    return fetch


def test_the_json_register_holds_the_practices_own_facts_and_matches_its_schema(
    client, fg, practice, register_of
):
    client.force_login(fg)
    document = json.loads(register_of(client, "json"))
    jsonschema.validate(document, SCHEMA)
    assert [s["name"] for s in document["subprocessors"]] == ["SendGrid", "VANAD Enovation"]
    sendgrid = document["subprocessors"][0]
    assert sendgrid["inside_eea"] is False and sendgrid["transfer_mechanism"]["key"] == "dpf_scc"
    assert sendgrid["approved_on"] == "2020-03-14"
    retention = {p["key"]: p["retention"] for p in document["processing"]}
    assert retention["requests"]["years"] == 20
    assert "20 jaar" in retention["requests"]["text"]["nl"]
    assert retention["access_log"]["years"] == 7
    assert retention["data_packages"]["days"] == 45
    assert retention["platform"]["text"]["en"].startswith("15 years")
    platform = next(p for p in document["processing"] if p["key"] == "platform")
    assert {c["key"] for c in platform["data_categories"]} >= {"bsn", "conversations", "video_ip"}
    assert document["controller"]["agb_code"] == practice.agb_code
    assert document["controller"]["dpo"]["email"] == practice.dpo_email
    assert document["controller"]["standin"]["email"] == practice.standin_email
    assert document["processor"]["email"] == "privacy@beterdichtbij.example"
    assert document["processor"]["contacts"][0]["name"] == "Sander Bijl"
    titles = {m["title"]["en"] for m in document["security_measures"]}
    assert {"Keyed audit chain", "Encrypted data packages", "Second factor for staff"} <= titles
    assert {"Load balancing", "Change management"} <= titles  # Bijlage 2
    record = AuditRecord.objects.get(event_type="register.export")
    assert record.practice_id_ref == practice.pk and record.user == fg
    assert record.details["format"] == "json"


def test_the_csv_register_in_dutch(client, fg, practice, register_of):
    practice.name = "=HYPERLINK(1)"
    practice.save()
    client.force_login(fg)
    rows = list(csv.DictReader(io.StringIO(register_of(client, "csv"))))
    subs = {r["item"] for r in rows if r["section"] == "subprocessor"}
    assert subs == {"SendGrid", "VANAD Enovation"}  # never the other practice's Twilio
    location = next(r for r in rows if r["item"] == "SendGrid" and r["field"] == "location")
    assert location["value"] == "Verenigde Staten (buiten de EER)"
    assert any(r["item"] == "'=HYPERLINK(1)" for r in rows)  # never run as a formula
    retention = next(
        r
        for r in rows
        if r["section"] == "processing" and r["field"] == "retention" and "20 jaar" in r["value"]
    )
    assert retention
    assert AuditRecord.objects.get(event_type="register.export").details["format"] == "csv"


def test_the_page_in_both_languages_names_only_approved_sub_processors(
    client, fg, practice, register_of
):
    client.force_login(fg)
    start = client.get(reverse("staff:processing_register_start"))
    assert start.status_code == 302  # to the practice's own register
    page = client.get(start["Location"]).content.decode()
    assert "Register van verwerkingen" in page and "SendGrid" in page and "Twilio" not in page
    assert "Sleutelgebonden auditketen" in page and "20 jaar" in page
    client.cookies["django_language"] = "en"
    page = client.get(start["Location"]).content.decode()
    assert "Register of processing" in page and "Keyed audit chain" in page
    assert AuditRecord.objects.filter(event_type="register.export").count() == 2


def test_another_practices_register_is_not_found_and_the_look_recorded(
    client, fg, other_practice, handler
):
    client.force_login(fg)
    for url in (
        reverse("staff:processing_register", args=[other_practice.pk]),
        reverse("staff:processing_register_file", args=[other_practice.pk, "json"]),
    ):
        assert client.get(url).status_code == 404
    denied = AuditRecord.objects.filter(outcome=AuditOutcome.DENIED, event_type="register.export")
    assert denied.count() == 2 and denied.first().object_id == str(other_practice.pk)
    assert not AuditRecord.objects.filter(outcome=AuditOutcome.SUCCESS).exists()
    client.force_login(handler)  # a handler handles requests; the register is for FG and admin
    assert client.get(reverse("staff:processing_register_start")).status_code == 403


def test_processor_support_picks_any_practice(client, support, other_practice):
    client.force_login(support)
    page = client.get(reverse("staff:processing_register_start"))
    assert other_practice.name in page.content.decode()
    response = client.get(
        reverse("staff:processing_register_start"), {"practice": other_practice.pk}
    )
    assert response["Location"] == reverse("staff:processing_register", args=[other_practice.pk])
    assert client.get(response["Location"]).status_code == 200
    assert (
        client.get(
            reverse("staff:processing_register_file", args=[other_practice.pk, "xml"])
        ).status_code
        == 404
    )
