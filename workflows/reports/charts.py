"""The reports' charts as inline SVG, drawn on the server: no JavaScript, no outside service.

Each chart is a column of horizontal bars, every bar under its own label with its figure written
out at the right, so it reads at 390 px as well as on a desk, and needs no axis. The figures are
also said in the chart's description (read by a screen reader, which reads the chart as one
image) and shown in a table beside it on the page. Colours have at least 3:1 contrast against
white (WCAG 1.4.11); a late share is hatched as well as coloured, so it is not told by colour
alone (WCAG 1.4.1)."""

import dataclasses
import textwrap

from django.utils import dateformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from workflows.reports.figures import Report

WIDTH = 400
FONT = 15
LINE = 20  # height of one line of label text
BAR = 16
GAP = 12  # between one row and the next
WRAP = 38  # characters of label on one line
INK = "#1b1b1b"
ON_TIME = "#00558c"  # the portal's accent: 7.5:1 on white
LATE = "#a4262c"  # 6.9:1 on white; hatched too
TRACK = "#767676"  # the outline of an empty share: 4.5:1


@dataclasses.dataclass(frozen=True)
class Chart:
    name: str  # also the name of its table and CSV
    title: str
    desc: str
    svg: SafeString


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    parts: tuple[int, ...]  # one value, or (on time, late)
    said: str  # the figure as written beside the bar


def report_charts(report: Report) -> list[Chart]:
    charts = [
        _months_chart(report),
        _kinds_chart(report),
        _in_term_chart(report),
    ]
    if report.grounds:
        charts.append(_grounds_chart(report))
    if report.has_tasks:
        charts.append(_tasks_chart(report))
    return charts


def month_label(month) -> str:
    return dateformat.format(month, "F Y")


def _months_chart(report: Report) -> Chart:
    bars = [Bar(month_label(m.month), (m.total,), str(m.total)) for m in report.months]
    return _chart("months", _("Requests received per month"), bars)


def _kinds_chart(report: Report) -> Chart:
    bars = [Bar(label, (n,), str(n)) for _kind, label, n in report.kinds]
    return _chart("kinds", _("Requests received by kind"), bars)


def _in_term_chart(report: Report) -> Chart:
    bars = [
        Bar(month_label(m.month), (m.on_time, m.late), _split_words(m.on_time, m.late))
        for m in report.months
    ]
    return _chart(
        "in_term",
        _("Answered within the term or late, by month of receipt"),
        bars,
        legend=True,
    )


def _grounds_chart(report: Report) -> Chart:
    bars = [Bar(row.label, (row.total,), str(row.total)) for row in report.grounds]
    return _chart("grounds", _("Refusals, in full or in part, by legal ground"), bars)


def _tasks_chart(report: Report) -> Chart:
    bars = [
        Bar(
            row.label,
            (row.delivered_on_time, row.delivered_late),
            _split_words(row.delivered_on_time, row.delivered_late),
        )
        for row in report.tasks
    ]
    return _chart(
        "tasks", _("Assistance delivered within the turnaround or late"), bars, legend=True
    )


def _split_words(on_time: int, late: int) -> str:
    return _("%(on_time)s on time, %(late)s late") % {"on_time": on_time, "late": late}


def _chart(name: str, title: str, bars: list[Bar], *, legend: bool = False) -> Chart:
    if bars and any(sum(bar.parts) for bar in bars):
        desc = "; ".join(f"{bar.label}: {bar.said}" for bar in bars) + "."
    else:
        desc = _("No data yet.")
    return Chart(name, title, desc, _svg(name, title, desc, bars, legend))


def _svg(name: str, title: str, desc: str, bars: list[Bar], legend: bool) -> SafeString:
    ident = f"chart-{name}"
    largest = max((sum(bar.parts) for bar in bars), default=0)
    body: list[str] = []
    y = 0
    if legend:
        body.append(_legend(ident, y))
        y += LINE + GAP
    for bar in bars:
        lines = textwrap.wrap(bar.label, WRAP) or [""]
        for i, line in enumerate(lines):
            y += LINE
            body.append(_text(0, y - 4, line))
            if i == 0:
                body.append(_text(WIDTH, y - 4, bar.said, anchor="end", bold=True))
        y += 2
        body.extend(_bar(ident, y, bar.parts, largest))
        y += BAR + GAP
    if not bars or largest == 0:
        y += LINE
        body.append(_text(0, y - 4, _("No data yet.")))
    height = max(y, LINE)
    return mark_safe(  # noqa: S308 - every text in it went through escape()
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{ident}-title {ident}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
        f'<defs><pattern id="{ident}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{LATE}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>'
        f"{''.join(body)}</svg>"
    )


def _text(x: float, y: float, words: str, *, anchor: str = "start", bold: bool = False) -> str:
    weight = ' font-weight="700"' if bold else ""
    return (
        f'<text x="{x}" y="{y}" font-size="{FONT}" fill="{INK}" text-anchor="{anchor}"{weight}>'
        f"{escape(words)}</text>"
    )


def _bar(ident: str, y: float, parts: tuple[int, ...], largest: int) -> list[str]:
    shapes = []
    x = 0.0
    fills = (ON_TIME, f"url(#{ident}-hatch)")
    for value, fill in zip(parts, fills, strict=False):
        if not value or not largest:
            continue
        width = round(WIDTH * value / largest, 1)
        shapes.append(f'<rect x="{x}" y="{y}" width="{width}" height="{BAR}" fill="{fill}"/>')
        x += width
    if not shapes:
        # Nothing: a thin outline, so the row is seen to be empty rather than missing.
        shapes.append(
            f'<rect x="0.5" y="{y + 0.5}" width="3" height="{BAR - 1}" fill="none" '
            f'stroke="{TRACK}"/>'
        )
    return shapes


def _legend(ident: str, y: float) -> str:
    """The two shares: a solid square for on time, a hatched one for late."""
    top = y + 3
    return (
        f'<rect x="0" y="{top}" width="{BAR}" height="{BAR}" fill="{ON_TIME}"/>'
        + _text(BAR + 6, y + LINE - 2, _("on time"))
        + f'<rect x="150" y="{top}" width="{BAR}" height="{BAR}" fill="url(#{ident}-hatch)"/>'
        + _text(150 + BAR + 6, y + LINE - 2, _("late"))
    )
