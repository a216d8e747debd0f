"""Every table of a report as a CSV file: the same figures as the page, headings in the reader's
language, numbers plain (a full stop before decimals) for a spreadsheet, and every text cell
formula-safe (workflows.csv_cells)."""

import csv
import datetime
import io
from collections.abc import Callable

from django.utils.translation import gettext as _

from workflows.csv_cells import safe_cell
from workflows.reports.figures import Durations, Report

DAY = datetime.timedelta(days=1)
MINUTE = datetime.timedelta(minutes=1)


def _in(unit: datetime.timedelta, value: datetime.timedelta | None) -> str:
    return "" if value is None else f"{value / unit:.2f}"


def _months(report: Report) -> list[list]:
    kinds = report.kinds
    rows = [[_("Month"), _("Total"), *(label for _k, label, _n in kinds)]]
    for month in report.months:
        rows.append(
            [f"{month.month:%Y-%m}", month.total, *(month.by_kind.get(k, 0) for k, _l, _n in kinds)]
        )
    return rows


def _kinds(report: Report) -> list[list]:
    return [[_("Kind of request"), _("Requests")], *([label, n] for _k, label, n in report.kinds)]


def _in_term(report: Report) -> list[list]:
    rows = [[_("Month"), _("Answered on time"), _("Answered late")]]
    rows += [[f"{m.month:%Y-%m}", m.on_time, m.late] for m in report.months]
    return rows


def _summary(report: Report) -> list[list]:
    return [
        [_("Figure"), _("Number")],
        [_("Requests received"), report.received],
        [_("Answered"), report.answered],
        [_("Answered on time"), report.on_time],
        [_("Answered late"), report.late],
        [_("Term extended"), report.extended],
        [_("Open now"), report.open_now],
        [_("Overdue now"), report.overdue_now],
    ]


def _durations(report: Report) -> list[list]:
    rows = [[_("Step"), _("Unit"), _("Requests"), _("Median"), _("95th percentile"), _("Longest")]]

    def row(label: str, unit_name: str, unit: datetime.timedelta, found: Durations) -> list:
        return [
            label,
            unit_name,
            found.count,
            _in(unit, found.p50),
            _in(unit, found.p95),
            _in(unit, found.max),
        ]

    rows.append(row(_("Receipt to forwarding"), _("minutes"), MINUTE, report.forwarding))
    rows.append(row(_("Receipt to acknowledgement"), _("days"), DAY, report.acknowledgement))
    rows.append(row(_("Receipt to the answer"), _("days"), DAY, report.answer))
    return rows


def _grounds(report: Report) -> list[list]:
    rows = [[_("Legal ground"), _("Refused"), _("Partially granted"), _("Total")]]
    rows += [[g.label, g.refused, g.partly, g.total] for g in report.grounds]
    return rows


def _tasks(report: Report) -> list[list]:
    rows = [
        [
            _("Assistance task"),
            _("Asked for"),
            _("Delivered on time"),
            _("Delivered late"),
            _("Open now"),
            _("Overdue now"),
            _("Median days to delivery"),
            _("95th percentile (days)"),
            _("Longest (days)"),
        ]
    ]
    for t in report.tasks:
        rows.append(
            [
                t.label,
                t.requested,
                t.delivered_on_time,
                t.delivered_late,
                t.open_now,
                t.overdue_now,
                _in(DAY, t.delivery.p50),
                _in(DAY, t.delivery.p95),
                _in(DAY, t.delivery.max),
            ]
        )
    return rows


def _practices(report: Report) -> list[list]:
    rows = [
        [
            _("Practice"),
            _("AGB code"),
            _("Requests received"),
            _("Answered"),
            _("Answered late"),
            _("Open now"),
            _("Overdue now"),
            _("Share answered late (%)"),
        ]
    ]
    for p in report.practices or []:
        rows.append(
            [
                p.name,
                p.agb_code,
                p.received,
                p.answered,
                p.late,
                p.open_now,
                p.overdue_now,
                "" if p.late_share is None else p.late_share,
            ]
        )
    return rows


TABLES: dict[str, Callable[[Report], list[list]]] = {
    "summary": _summary,
    "months": _months,
    "kinds": _kinds,
    "durations": _durations,
    "in_term": _in_term,
    "grounds": _grounds,
    "tasks": _tasks,
    "practices": _practices,
}


def csv_text(report: Report, table: str) -> str:
    """One table of the report as CSV text; `table` is one of TABLES."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in TABLES[table](report):
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def file_name(report: Report, table: str) -> str:
    who = report.practice.agb_code if report.practice else "all"
    return f"report-{who}-{report.period.first:%Y-%m}-{report.period.last:%Y-%m}-{table}.csv"
