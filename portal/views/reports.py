"""Reports: how a practice handles its requests (for every role at the practice), and, for
processor support, every practice at once or any one of them; each chart and table also as CSV.
The figures hold no patient's details; reading one is still recorded in the audit log."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from portal.forms.reports import ReportForm
from portal.views.common import bad_form, not_found, staff_required
from requests_app import access, audit
from requests_app.models import AuditAction
from workflows.reports import charts, downloads
from workflows.reports.figures import cached_report, practices_reported_to

MAX_ID = 2**31 - 1  # beyond a practice's key: no such practice (and no query that overflows)


def _chosen(request: HttpRequest, *, processor: bool):
    """The report asked for, or (None, the bound form) when the query is not valid. A practice
    outside the account's reach is a recorded denied look and a 404."""
    if processor:
        if not access.is_processor_support(request.user):
            raise PermissionDenied
        practices = practices_reported_to(request.user)
    else:
        practices = practices_reported_to(request.user)
        if access.is_processor_support(request.user) or not practices.exists():
            raise PermissionDenied
    if request.GET:
        asked = request.GET.get("practice", "")
        if (
            asked.isascii()
            and asked.isdigit()
            and (int(asked) > MAX_ID or not practices.filter(pk=int(asked)).exists())
        ):
            not_found(request, "report.view", "report", asked)
        form = ReportForm(request.GET, practices=practices, every_practice=processor)
        if not form.is_valid():
            return None, form
        practice, period = form.cleaned_data["practice"], form.period()
    else:
        form = ReportForm(practices=practices, every_practice=processor)
        practice, period = form.initial.get("practice"), form.period()
    audit.record(
        "report.view",
        AuditAction.READ,
        user=request.user,
        object_type="report",
        object_id=f"{period.first:%Y-%m}/{period.last:%Y-%m}",
        practice_id=practice.pk if practice else None,
    )
    return cached_report(period, practice), form


def _page(request: HttpRequest, *, processor: bool) -> HttpResponse:
    report, form = _chosen(request, processor=processor)
    context = {"form": form, "processor": processor}
    if report is None:
        return render(request, "staff/report.html", context, status=400)
    name = "staff:processor_report_csv" if processor else "staff:report_csv"
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    context.update(
        report=report,
        charts={chart.name: chart for chart in charts.report_charts(report)},
        month_rows=[
            {
                "month": row.month,
                "total": row.total,
                "cells": [row.by_kind.get(kind, 0) for kind, _label, _n in report.kinds],
            }
            for row in report.months
        ],
        csv={table: reverse(name, args=[table]) + query for table in downloads.TABLES},
    )
    return render(request, "staff/report.html", context)


def _csv(request: HttpRequest, table: str, *, processor: bool) -> HttpResponse:
    if table not in downloads.TABLES:
        raise Http404
    report, form = _chosen(request, processor=processor)
    if report is None:
        return bad_form(request, form)
    if table == "practices" and report.practices is None:
        raise Http404
    response = HttpResponse(
        downloads.csv_text(report, table), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{downloads.file_name(report, table)}"'
    return response


@staff_required
def practice_report(request: HttpRequest) -> HttpResponse:
    return _page(request, processor=False)


@staff_required
def practice_report_csv(request: HttpRequest, table: str) -> HttpResponse:
    return _csv(request, table, processor=False)


@staff_required
def processor_report(request: HttpRequest) -> HttpResponse:
    return _page(request, processor=True)


@staff_required
def processor_report_csv(request: HttpRequest, table: str) -> HttpResponse:
    return _csv(request, table, processor=True)
