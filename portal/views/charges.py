"""The processor's time (agreement art. 9, Bijlage 3): support records an entry on a task's
page; the practice reads the monthly statement of chargeable time, as a page and a CSV."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.charges import StatementForm, TimeEntryForm
from portal.views.common import (
    bad_form,
    not_found,
    staff_required,
    visible_general_task,
    visible_task,
)
from requests_app import access, audit, selectors
from requests_app.models import AuditAction
from workflows.assistance import charges
from workflows.assistance.instructions import InstructionIncomplete

PAGES = {"tasks": ("staff:task", visible_task), "general": ("staff:general", visible_general_task)}


@staff_required
@require_POST
def record(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    if kind not in PAGES:
        raise Http404
    page, fetch = PAGES[kind]
    task = fetch(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = TimeEntryForm(request.POST)
    if not form.is_valid():
        return bad_form(request, form)
    try:
        charges.record_time(task, actor=request.user, **form.cleaned_data)
    except InstructionIncomplete:
        return render(
            request, "400.html", {"reason": _("The time entry is incomplete.")}, status=400
        )
    messages.success(request, _("The time has been recorded."))
    return redirect(page, pk=pk)


def _chosen(request: HttpRequest):
    """The statement asked for: the practice and month of the query, or the first practice and
    this month; None with the bound form when the query is not valid."""
    practices = selectors.practices_with_charges(request.user)
    if not practices.exists():
        raise PermissionDenied
    if "month" in request.GET or "practice" in request.GET:
        asked = request.GET.get("practice", "")
        if asked.isascii() and asked.isdigit() and not practices.filter(pk=int(asked)).exists():
            not_found(request, "charges.view", "statement", asked)
        form = StatementForm(request.GET, practices=practices)
        if not form.is_valid():
            return None, form
        practice, month = form.cleaned_data["practice"], form.cleaned_data["month"]
    else:
        practice, month = practices.first(), timezone.localdate().replace(day=1)
        form = StatementForm(initial={"practice": practice, "month": month}, practices=practices)
    audit.record(
        "charges.view",
        AuditAction.READ,
        user=request.user,
        object_type="statement",
        object_id=f"{month:%Y-%m}",
        practice_id=practice.pk,
    )
    return charges.statement(practice, month), form


@staff_required
def statement(request: HttpRequest) -> HttpResponse:
    found, form = _chosen(request)
    if found is None:
        return render(request, "staff/statement.html", {"form": form}, status=400)
    return render(request, "staff/statement.html", {"form": form, "statement": found})


@staff_required
def statement_csv(request: HttpRequest) -> HttpResponse:
    found, form = _chosen(request)
    if found is None:
        return bad_form(request, form)
    name = f"statement-{found.practice.agb_code}-{found.month:%Y-%m}.csv"
    response = HttpResponse(charges.statement_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
