"""Incidents: processor support drafts and reports them; the practice's FG reads its own."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.views.staff import staff_required
from requests_app import access, audit, selectors
from requests_app.lifecycle import TransitionRefused
from requests_app.models import AuditAction, Incident
from requests_app.roles import Capability
from workflows import incidents


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = list(Incident.REPORT_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in Incident.REPORT_FIELDS}


@staff_required
def incident_list(request: HttpRequest) -> HttpResponse:
    officer = access.practices_where(request.user, Capability.SEE_INCIDENTS)
    if not (officer or access.is_processor_support(request.user)):
        raise PermissionDenied
    items = selectors.incidents_visible_to(request.user)[:200]
    audit.record(
        "incident.list",
        AuditAction.READ,
        user=request.user,
        object_type="list",
        details={"shown": [str(i.pk) for i in items]},
    )
    return render(request, "staff/incidents.html", {"items": items})


def _incident(request: HttpRequest, pk: int) -> Incident:
    item = selectors.incidents_visible_to(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


@staff_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _incident(request, pk)
    audit.record(
        "incident.view",
        AuditAction.READ,
        user=request.user,
        request=item.request,
        object_type="incident",
        object_id=str(item.pk),
    )
    editable = item.state == "draft" and access.is_processor_support(request.user)
    return render(
        request,
        "staff/incident.html",
        {
            "item": item,
            "form": IncidentForm(instance=item) if editable else None,
        },
    )


@staff_required
@require_POST
def incident_save(request: HttpRequest, pk: int) -> HttpResponse:
    item = _incident(request, pk)
    if item.state != "draft":
        messages.error(request, _("This incident has been reported and can no longer be changed."))
        return redirect("staff:incident", pk=item.pk)
    form = IncidentForm(request.POST, instance=item)
    if not (form.is_valid() and access.is_processor_support(request.user)):
        return render(request, "staff/incident.html", {"item": item, "form": form}, status=400)
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
