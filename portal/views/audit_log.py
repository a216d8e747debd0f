"""The practice DPO's view of its own practice's audit log: search and CSV export. Reading the
log is itself logged."""

import csv

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from portal.forms.audit_log import AuditSearchForm
from portal.views.common import staff_required
from requests_app import access, audit, selectors
from requests_app.models import AuditAction
from requests_app.roles import Capability
from workflows.csv_cells import safe_cell

EXPORT_COLUMNS = [
    "seq",
    "at",
    "event_type",
    "action",
    "outcome",
    "user_label",
    "roles",
    "purpose",
    "source_ip",
    "patient_id",
    "patient_id_type",
    "object_type",
    "object_id",
    "source_system",
    "hash",
]


def _records(request: HttpRequest, form: AuditSearchForm):
    if not access.practices_where(request.user, Capability.READ_AUDIT_LOG):
        raise PermissionDenied
    if not form.is_valid():
        return selectors.audit_records_visible_to(request.user)
    data = form.cleaned_data
    return selectors.filtered_audit_records(
        request.user,
        since=data["since"],
        until=data["until"],
        user_label=data["user"],
        patient=data["patient"],
        reference=data["reference"],
    )


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    page = Paginator(_records(request, form), 100).get_page(request.GET.get("page"))
    audit.record(
        "audit.search",
        AuditAction.READ,
        user=request.user,
        object_type="audit_log",
        details={"filters": {k: v for k, v in request.GET.items() if k != "page"}},
    )
    return render(request, "staff/audit_log.html", {"form": form, "page": page})


class _Echo:
    def write(self, value):
        return value


@staff_required
def export(request: HttpRequest) -> StreamingHttpResponse:
    form = AuditSearchForm(request.GET or None)
    records = _records(request, form)
    audit.record(
        "audit.export",
        AuditAction.EXECUTE,
        user=request.user,
        object_type="audit_log",
        details={"filters": dict(request.GET.items())},
    )
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_COLUMNS)
        for entry in records.iterator(chunk_size=2000):
            yield writer.writerow([safe_cell(getattr(entry, c)) for c in EXPORT_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
