"""Incidents: processor support drafts and reports them; the practice's FG reads its own."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.incidents import IncidentForm
from portal.views.audited import render_page, shown_list
from portal.views.common import staff_required
from requests_app import access, selectors
from requests_app.errors import TransitionRefused
from requests_app.models import Incident, IncidentState
from requests_app.roles import Capability
from workflows.casework import incidents


@staff_required
def incident_list(request: HttpRequest) -> HttpResponse:
    officer = access.practices_where(request.user, Capability.SEE_INCIDENTS)
    if not (officer or access.is_processor_support(request.user)):
        raise PermissionDenied
    items = list(selectors.incidents_visible_to(request.user)[:200])
    response = render(request, "staff/incidents.html", {"items": items})
    return shown_list(
        request, response, event="incident.list", items=items, key=lambda i: str(i.pk)
    )


def _incident(request: HttpRequest, pk: int) -> Incident:
    item = selectors.incidents_visible_to(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


def _page(request: HttpRequest, item: Incident, form, *, status: int = 200) -> HttpResponse:
    return render_page(
        request,
        "staff/incident.html",
        {"item": item, "form": form},
        event="incident.view",
        item=item.request,
        status=status,
        object_type="incident",
        object_id=str(item.pk),
    )


@staff_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _incident(request, pk)
    editable = item.state == IncidentState.DRAFT and access.is_processor_support(request.user)
    return _page(request, item, IncidentForm(instance=item) if editable else None)


@staff_required
@require_POST
def incident_save(request: HttpRequest, pk: int) -> HttpResponse:
    item = _incident(request, pk)
    if item.state != IncidentState.DRAFT:
        messages.error(request, _("This incident has been reported and can no longer be changed."))
        return redirect("staff:incident", pk=item.pk)
    form = IncidentForm(request.POST, instance=item)
    if not (form.is_valid() and access.is_processor_support(request.user)):
        return _page(request, item, form, status=400)
    fields = {name: form.cleaned_data[name] for name in Incident.REPORT_FIELDS}
    if "report" in request.POST:
        try:
            incidents.report(item, actor=request.user, **fields)
        except TransitionRefused:
            messages.error(
                request,
                _("Fill in all four parts before reporting; the request must have a practice."),
            )
            incidents.save_draft(item, actor=request.user, **fields)
        else:
            messages.success(request, _("The incident has been reported to the practice."))
    else:
        incidents.save_draft(item, actor=request.user, **fields)
        messages.success(request, _("The draft has been saved."))
    return redirect("staff:incident", pk=item.pk)
