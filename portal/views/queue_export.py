"""The practice queue as a CSV file: the page's filters, search and order (one reading of them,
`selectors.queue_as_chosen`), every row rather than one page, headings in the reader's language,
times in Dutch local time, cells that never run as formulas. Giving it out is recorded as an
export of patient data, per practice, with the references in it and the filters used."""

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy

from portal.views.audited import shown_list
from portal.views.common import staff_required
from requests_app import access, selectors
from requests_app.models import AuditAction
from workflows.csv_cells import safe_cell

# What a privacy officer accepts in a file that leaves the portal: what it takes to work the
# list (which request, what kind, where it stands, when it came in, when the answer is due, who
# has it) and nothing about the patient. The patient's name is left out on purpose: a handler
# works the list by reference and opens the request (a look recorded per request) to see whom
# it is about; a spreadsheet of names with "erasure" or "complaint" beside them says something
# about each patient's relation with the practice, and once saved it is out of reach of the
# audit log and the retention period. Search by name still works: on the page.
COLUMNS = [
    (gettext_lazy("Reference"), lambda item: item.reference),
    (gettext_lazy("Kind"), lambda item: item.get_kind_display()),
    (gettext_lazy("State"), lambda item: item.get_state_display()),
    (gettext_lazy("Received"), lambda item: _local(item.received_at)),
    (gettext_lazy("Answer due"), lambda item: _day(item.response_due)),
    (gettext_lazy("Handler"), lambda item: item.handler_name),
]


def _day(day) -> str:
    return day.isoformat() if day else ""


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


@staff_required
def queue_export(request: HttpRequest) -> HttpResponse:
    if not access.is_practice_staff(request.user):
        return redirect("staff:unrouted")  # processor support has no practice queue
    chosen = {name: request.GET.get(name, "") for name in selectors.QUEUE_FILTERS}
    items = list(selectors.queue_as_chosen(request.user, chosen))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(heading) for heading, _cell in COLUMNS])
    for item in items:
        writer.writerow([safe_cell(cell(item)) for _heading, cell in COLUMNS])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"requests-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return shown_list(
        request,
        response,
        event="queue.export",
        items=items,
        key=lambda item: item.reference,
        filters=chosen,
        searched=access.practice_ids(request.user),
        action=AuditAction.EXECUTE,
    )
