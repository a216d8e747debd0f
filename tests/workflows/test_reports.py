"""The reports' figures against hand-counted requests and tasks with explicit timestamps."""

import datetime

import pytest
from django.utils import timezone, translation

from requests_app.models import AssistanceTask, Request
from requests_app.references import new_reference
from workflows.reports import charts, downloads
from workflows.reports.figures import Period, build_report, last_months

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The labels are asserted in English (Dutch is the default)."""
    with translation.override("en"):
        yield


D = datetime.timedelta
JAN, FEB, MAR = (datetime.date(2026, m, 1) for m in (1, 2, 3))
TODAY = datetime.date(2026, 4, 15)
PERIOD = Period(JAN, MAR)


def at(*parts) -> datetime.datetime:
    """A moment in the portal's time zone (Europe/Amsterdam)."""
    return timezone.make_aware(datetime.datetime(*parts))


def a_request(practice, kind, received, **fields) -> Request:
    values = {
        "kind": kind,
        "patient_name": "Piet Pieters",
        "patient_email": "piet@example.com",
        "patient_birth_date": datetime.date(1970, 1, 1),
        "description": "-",
        "channel": "web",
        "state": "forwarded",
        "received_at": received,
        "response_due": (received + D(days=31)).date(),
    }
    values.update(fields)
    return Request.objects.create(practice=practice, reference=new_reference(), **values)


def a_task(item, handler, kind, requested, due, **fields) -> AssistanceTask:
    return AssistanceTask.objects.create(
        request=item,
        practice=item.practice,
        kind=kind,
        instruction="Lever de gegevens",
        requested_by=handler,
        requested_at=requested,
        due=due,
        **fields,
    )


@pytest.fixture
def figures(practice, other_practice, handler, other_handler):
    """Practice A's requests in January to March 2026 (and two just outside), practice B's too."""
    r1 = a_request(
        practice,
        "access",
        at(2026, 1, 5, 10),
        forwarded_at=at(2026, 1, 5, 10, 0, 30),
        acknowledged_at=at(2026, 1, 6, 10),
        decided_at=at(2026, 1, 15, 10),
        decision="granted",
        state="granted",
    )
    a_request(
        practice,
        "erasure",
        at(2026, 1, 20, 9),
        forwarded_at=at(2026, 1, 20, 9, 1, 30),
        acknowledged_at=at(2026, 1, 22, 9),
        decided_at=at(2026, 3, 2, 9),  # due 20 February: late
        response_due=datetime.date(2026, 2, 20),
        decision="refused",
        legal_ground="identity",
        state="refused",
    )
    a_request(
        practice,
        "complaint",
        at(2026, 2, 10, 8),
        forwarded_at=at(2026, 2, 10, 8, 1),
        acknowledged_at=at(2026, 2, 13, 8),
        extended_at=at(2026, 3, 1, 8),
        original_due=datetime.date(2026, 3, 24),
        response_due=datetime.date(2026, 4, 21),
        state="investigating",
    )
    a_request(  # open, never forwarded, due before "today": overdue
        practice,
        "access",
        at(2026, 3, 1, 12),
        response_due=datetime.date(2026, 4, 1),
        state="received",
    )
    a_request(  # late on 31 March, local time: still March
        practice,
        "access",
        at(2026, 3, 31, 23, 30),
        forwarded_at=at(2026, 3, 31, 23, 32),
        acknowledged_at=at(2026, 4, 2, 9),
        decided_at=at(2026, 4, 30, 9),  # after the due date, extended to 30 April: in term
        response_due=datetime.date(2026, 4, 30),
        extended_at=at(2026, 4, 10),
        decision="partially_granted",
        legal_ground="rights_of_others",
        state="partially_granted",
    )
    a_request(  # just before the period: not counted, but still open and overdue now
        practice, "objection", at(2025, 12, 31, 23, 30), state="in_review"
    )
    # Another practice: never in practice A's figures.
    b = a_request(
        other_practice,
        "access",
        at(2026, 2, 1, 9),
        forwarded_at=at(2026, 2, 1, 9, 50),
        decided_at=at(2026, 3, 30, 9),
        decision="refused",
        legal_ground="manifestly_unfounded",
        state="refused",
        response_due=datetime.date(2026, 3, 2),
    )
    a_task(
        r1,
        handler,
        "supply",
        at(2026, 1, 10, 9),
        datetime.date(2026, 1, 17),
        delivered_at=at(2026, 1, 15, 12),
        state="delivered",
    )
    a_task(
        r1,
        handler,
        "erase",
        at(2026, 2, 1, 9),
        datetime.date(2026, 2, 8),
        delivered_at=at(2026, 2, 10, 9),
        state="accepted",
    )
    a_task(r1, handler, "supply", at(2026, 3, 20, 9), datetime.date(2026, 3, 27))
    a_task(b, other_handler, "supply", at(2026, 2, 2, 9), datetime.date(2026, 2, 9))
    return practice


def test_the_practice_report_counts_each_figure(figures):
    report = build_report(PERIOD, figures, today=TODAY)

    assert report.received == 5
    assert [(row.month, row.by_kind, row.total) for row in report.months] == [
        (JAN, {"access": 1, "erasure": 1}, 2),
        (FEB, {"complaint": 1}, 1),
        (MAR, {"access": 2}, 2),
    ]
    assert report.kinds == [("access", "Access", 3), ("erasure", "Erasure", 1),
                            ("complaint", "Complaint", 1)]  # fmt: skip
    # Forwarding: 30 s, 90 s, 60 s, 120 s (one never forwarded).
    assert report.forwarding.count == 4
    assert report.forwarding.p50 == D(seconds=75)
    assert report.forwarding.p95 == D(seconds=115.5)
    assert report.forwarding.max == D(seconds=120)
    # Acknowledgement: 1, 2, 3 days and 33.5 hours.
    assert report.acknowledgement.count == 4
    assert report.acknowledgement.max == D(days=3)
    # The answer: 10 days, 41 days, 29 days 9.5 hours.
    assert report.answer.count == 3
    assert report.answer.p50 == D(days=29, hours=9, minutes=30)
    assert report.answer.max == D(days=41)
    assert (report.answered, report.on_time, report.late, report.late_share) == (3, 2, 1, 33)
    assert [(m.on_time, m.late) for m in report.months] == [(1, 1), (0, 0), (1, 0)]
    assert report.extended == 2
    # Now: the complaint, the unforwarded request and December's objection are open; the last
    # two are past their due date.
    assert (report.open_now, report.overdue_now) == (3, 2)
    assert [(g.ground, g.refused, g.partly) for g in report.grounds] == [
        ("identity", 1, 0),
        ("rights_of_others", 0, 1),
    ]
    supply, erase = report.tasks
    assert (supply.kind, supply.requested, supply.delivered_on_time, supply.delivered_late) == (
        "supply",
        2,
        1,
        0,
    )
    assert (supply.open_now, supply.overdue_now) == (1, 1)
    assert supply.delivery.p50 == D(days=5, hours=3)
    assert (erase.delivered_on_time, erase.delivered_late, erase.open_now) == (0, 1, 0)
    assert erase.delivery.max == D(days=9)
    assert report.practices is None


def test_another_practices_requests_never_count(figures, other_practice):
    mine = build_report(PERIOD, figures, today=TODAY)
    theirs = build_report(PERIOD, other_practice, today=TODAY)
    assert "manifestly_unfounded" not in [g.ground for g in mine.grounds]
    assert (theirs.received, theirs.late, theirs.open_now) == (1, 1, 0)
    assert [g.ground for g in theirs.grounds] == ["manifestly_unfounded"]
    assert [(t.kind, t.requested) for t in theirs.tasks] == [("supply", 1)]
    assert theirs.forwarding.max == D(minutes=50)


def test_the_processor_report_adds_every_practice_and_lists_them(figures, other_practice):
    report = build_report(PERIOD, None, today=TODAY)
    assert report.received == 6
    assert (report.answered, report.late) == (4, 2)
    assert sum(t.requested for t in report.tasks) == 4
    first, second = report.practices
    # Most overdue first.
    assert (first.practice_id, first.received, first.overdue_now, first.late) == (
        figures.pk,
        5,
        2,
        1,
    )
    assert (first.answered, first.late_share) == (3, 33)
    assert (second.practice_id, second.received, second.answered, second.late) == (
        other_practice.pk,
        1,
        1,
        1,
    )


def test_no_requests_yet_gives_empty_figures_not_an_error(practice):
    report = build_report(last_months(12), practice)
    assert not report.has_requests and not report.has_tasks
    assert report.late_share is None and report.answer.p50 is None
    assert len(report.months) == 12 and all(m.total == 0 for m in report.months)
    for chart in charts.report_charts(report):
        assert "<svg" in chart.svg and "NaN" not in chart.svg
    for name in downloads.TABLES:
        assert downloads.csv_text(report, name).count("\n") >= 1


def test_a_period_is_whole_months():
    assert last_months(3, today=datetime.date(2026, 1, 31)) == Period(
        datetime.date(2025, 11, 1), JAN
    )
    assert Period(JAN, MAR).months == [JAN, FEB, MAR]
    with pytest.raises(ValueError):
        Period(MAR, JAN)


def test_csv_cells_never_run_as_formulas(practice):
    practice.name = '=HYPERLINK("http://evil.example")'
    practice.save()
    report = build_report(PERIOD, None, today=TODAY)
    text = downloads.csv_text(report, "practices")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_the_csv_holds_the_tables_figures(figures):
    report = build_report(PERIOD, figures, today=TODAY)
    months = downloads.csv_text(report, "months").splitlines()
    assert months[0].startswith("Month,Total,")
    assert months[1].startswith("2026-01,2,")
    durations = downloads.csv_text(report, "durations").splitlines()
    assert durations[1].startswith("Receipt to forwarding,minutes,4,1.25,")
    assert durations[1].endswith(",2.00")
    grounds = downloads.csv_text(report, "grounds")
    assert 'and 12(6))",1,0,1' in grounds


def test_charts_state_their_figures_in_words(figures):
    report = build_report(PERIOD, figures, today=TODAY)
    by_name = {chart.name: chart for chart in charts.report_charts(report)}
    months = by_name["months"].svg
    assert "<title" in months and "<desc" in months and 'role="img"' in months
    assert "January 2026: 2" in months
    assert "Identity could not be established" in by_name["grounds"].svg
