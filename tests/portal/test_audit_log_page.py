"""The FG's audit log: every record reachable page by page with the search kept, in plain words
in both languages, with why each record was made; the CSV in Dutch time with its offset, its
codes kept and the same in words beside them."""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone

from requests_app import audit
from requests_app.models import AuditAction, AuditOutcome
from requests_app.roles import Role
from tests.factories import make_user, submit
from workflows.models import Purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


def rows_of(response) -> list[str]:
    return re.findall(r"<tr>\s*<td data-label=\"#\">(\d+)</td>", response.content.decode())


def test_every_record_is_reached_page_by_page_and_the_links_keep_the_search(
    client, fg, handler, practice, patient
):
    item = submit(practice, patient)
    for _ in range(205):
        audit.record("request.view", AuditAction.READ, user=handler, request=item)
    client.force_login(fg)
    total = client.get("/staff/audit/", {"user": "handler"}).context["page"].paginator.count
    assert total >= 205
    first = client.get("/staff/audit/", {"user": "handler"})
    page = first.content.decode()
    assert len(rows_of(first)) == 100
    assert f"Regels 1–100 van {total}" in page
    assert 'href="?user=handler&amp;page=2"' in page
    last = client.get("/staff/audit/", {"user": "handler", "page": 3})
    assert len(rows_of(last)) == total - 200
    assert f"Regels 201–{total} van {total}" in last.content.decode()
    english = client.get(
        "/staff/audit/", {"user": "handler", "page": 2}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f"Records 101–200 of {total}" in english


def test_records_read_in_words_never_codes_or_a_patients_account_name(
    client, fg, handler, practice, patient
):
    item = submit(practice, patient)
    audit.record("request.view", AuditAction.READ, user=handler, request=item)
    audit.record(
        "request.view",
        AuditAction.READ,
        user=handler,
        request=item,
        outcome=AuditOutcome.DENIED,
    )
    audit.record(
        "request.message",
        AuditAction.CREATE,
        request=item,
        purpose=Purpose.PATIENT_UPDATE,
    )
    client.force_login(fg)
    page = client.get("/staff/audit/").content.decode()
    for code in ("request.view", "request.message", "(read)", "success", "denied", "patient-"):
        assert code not in page, code
    assert "Verzoek bekeken" in page and "Bericht over het verzoek" in page
    assert "geslaagd" in page and "geweigerd" in page
    assert item.reference in page and patient.name in page
    assert "Behandeling van het verzoek" in page  # why: the handling of this request
    assert Purpose.PATIENT_UPDATE.label in page
    english = client.get("/staff/audit/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Viewed the request" in english and "succeeded" in english and "refused" in english


def test_the_patients_own_look_names_the_patient_not_their_account(client, fg, practice, patient):
    from workflows.accounts.patient_signin import patient_account

    item = submit(practice, patient)
    account = patient_account(item.patient_email)
    audit.record("patient.view", AuditAction.READ, user=account, request=item)
    client.force_login(fg)
    page = client.get("/staff/audit/").content.decode()
    assert account.username not in page
    assert f"De patiënt ({patient.name})" in page
    assert "De patiënt heeft het eigen verzoek bekeken" in page


def test_the_csv_is_in_dutch_time_with_its_offset_and_keeps_its_codes(
    client, fg, handler, practice, patient
):
    item = submit(practice, patient)
    entry = audit.record("request.view", AuditAction.READ, user=handler, request=item)
    client.force_login(fg)
    response = client.get("/staff/audit/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    row = next(r for r in rows if r["seq"] == str(entry.seq))
    at = datetime.datetime.fromisoformat(row["at"])
    amsterdam = timezone.localtime(entry.at)
    assert at == entry.at.replace(
        microsecond=0
    ) and at.utcoffset() == amsterdam.utcoffset() != datetime.timedelta(0)
    assert row["at"].endswith(("+01:00", "+02:00"))
    assert row["event_type"] == "request.view" and row["outcome"] == "success"
    assert row["event_label"] == "Verzoek bekeken" and row["outcome_label"] == "geslaagd"
    assert row["subject"] == f"{item.reference} {patient.name}"
    assert row["purpose_label"] == "Behandeling van het verzoek"


def test_the_search_finds_a_staff_member_by_name_and_a_request_typed_without_its_dash(
    client, fg, handler, practice, patient
):
    handler.first_name, handler.last_name = "Anna", "de Boer"
    handler.save()
    item = submit(practice, patient)
    viewed = audit.record("request.view", AuditAction.READ, user=handler, request=item)
    task = audit.record(
        "task.view", AuditAction.READ, user=fg, request=item, object_type="task", object_id="T7"
    )
    client.force_login(fg)

    def found(**search) -> set[int]:
        page = client.get("/staff/audit/", search).context["page"]
        return {entry.seq for entry in page.object_list}

    assert viewed.seq in found(user="de boer") and task.seq not in found(user="de boer")
    compact = item.reference.replace("-", "").lower()
    assert {viewed.seq, task.seq} <= found(reference=compact)
    page = client.get("/staff/audit/", {"user": "de boer"}).content.decode()
    assert "Anna de Boer" in page and "Behandelaar van verzoeken" in page


def test_a_patient_of_a_practice_whose_log_the_fg_does_not_read_is_never_named(
    client, fg, practice, patient
):
    """An FG who also handles requests at another practice sees that practice's requests, but its
    patients are named only on the log of a practice whose log the account reads."""
    import dataclasses

    from requests_app.models import Membership
    from tests.factories import make_practice

    elsewhere = make_practice("07654321", name="Huisartsenpraktijk Elders")
    Membership.objects.create(user=fg, role=Role.HANDLER, practice=elsewhere)
    theirs = submit(elsewhere, dataclasses.replace(patient, name="Bea Anders"))
    # A record of the FG's own practice that names the other practice's reference.
    audit.record(
        "request.view",
        AuditAction.READ,
        user=fg,
        object_type="request",
        object_id=theirs.reference,
        practice_id=practice.pk,
    )
    client.force_login(fg)
    page = client.get("/staff/audit/").content.decode()
    assert theirs.reference in page and "Bea Anders" not in page
    export = b"".join(client.get("/staff/audit/export.csv").streaming_content).decode()
    assert theirs.reference in export and "Bea Anders" not in export
