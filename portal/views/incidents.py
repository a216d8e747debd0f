"""Incidents: processor support records, updates and closes them; the practice's FG and
administrator read those of their practice and record what they did about the AP and the
patients. A practice sees only its own record of an incident, never the other practices."""

import uuid
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from portal.forms.incidents import (
    PRACTICE_FORMS,
    ClassifyForm,
    CloseIncidentForm,
    NewIncidentForm,
    UpdateIncidentForm,
)
from portal.views.audited import render_page, render_practice_page, shown_list
from portal.views.common import (
    REFUSED,
    bad_form,
    fetch_or_404,
    staff_required,
    tell_refused,
    visible_request,
)
from requests_app import access, selectors
from requests_app.models import Incident, IncidentState, ProcessorContact
from requests_app.roles import Capability
from workflows.casework import incidents

STATES = (IncidentState.OPEN, IncidentState.CLOSED)
REFUSED_FOR_INCIDENT = gettext_noop("This incident is closed and changes no more.")


def _sees_incidents(user) -> bool:
    officer = access.practices_where(user, Capability.SEE_INCIDENTS)
    return bool(officer) or access.is_processor_support(user)


@staff_required
def incident_list(request: HttpRequest) -> HttpResponse:
    if not _sees_incidents(request.user):
        raise PermissionDenied
    state = request.GET.get("state", IncidentState.OPEN)
    if state not in STATES:
        state = IncidentState.OPEN
    support = access.is_processor_support(request.user)
    listed = selectors.incidents_visible_to(request.user).filter(state=state)
    if support:  # how many practices each concerns, in the same query (never shown to a practice)
        listed = listed.annotate(practice_count=Count("concerned"))
    items = list(listed[:200])
    records = {}
    if not support:
        mine = selectors.incident_records_of(request.user).filter(incident__in=items)
        for row in mine:
            records.setdefault(row.incident_id, []).append(row)
    rows = [(item, records.get(item.pk, [])) for item in items]
    response = render(
        request,
        "staff/incidents.html",
        {"rows": rows, "state": state, "states": IncidentState.choices, "now": timezone.now()},
    )
    # Recorded per practice (each FG finds it in their own log): support's list under none.
    if support:
        shown = [SimpleNamespace(practice_id=None, incident=item.pk) for item in items]
    else:
        shown = [
            SimpleNamespace(practice_id=row.practice_id, incident=row.incident_id)
            for rows in records.values()
            for row in rows
        ]
    return shown_list(
        request, response, event="incident.list", items=shown, key=lambda s: str(s.incident)
    )


@staff_required
def incident_new(request: HttpRequest) -> HttpResponse:
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    if request.method != "POST":
        form = NewIncidentForm(initial={"key": uuid.uuid4(), "discovered_at": _now_minute()})
        return render(request, "staff/incident_new.html", {"form": form})
    form = NewIncidentForm(request.POST)
    if not form.is_valid():
        return render(request, "staff/incident_new.html", {"form": form}, status=400)
    fields = form.report_fields()
    incident, created = incidents.record(
        actor=request.user,
        category=fields.pop("category"),
        practices=form.chosen_practices(),
        fields=fields,
        key=form.cleaned_data["key"],
    )
    if created:
        messages.success(request, _("The incident has been recorded; the practices are told."))
    else:
        messages.info(request, _("This incident was already recorded; nothing was sent again."))
    return redirect("staff:incident", pk=incident.pk)


def _now_minute():
    return timezone.localtime().replace(second=0, microsecond=0)


def _incident(request: HttpRequest, pk: int) -> Incident:
    return fetch_or_404(
        request,
        selectors.incidents_visible_to(request.user),
        event="incident.view",
        object_type="incident",
        object_id=str(pk),
        pk=pk,
    )


def _page(request: HttpRequest, item: Incident, *, status: int = 200, **forms) -> HttpResponse:
    user = request.user
    support = access.is_processor_support(user)
    context = {
        "item": item,
        "support": support,
        "updates": item.updates.select_related("by"),
        "contacts": ProcessorContact.objects.all().in_order(),
        "now": timezone.now(),
    }
    if support:
        context["concerned"] = item.concerned.select_related("practice").order_by("practice__name")
        context["patient_text"] = item.request.description if item.request_id else ""
        if item.is_open:
            context["update_form"] = forms.get("update_form") or UpdateIncidentForm(
                incident=item, initial=_initial(item)
            )
            context["close_form"] = forms.get("close_form") or CloseIncidentForm(
                initial={"version": item.version}
            )
    else:
        bound = forms.get("step_form")
        context["records"] = [
            (row, _step_forms(row, user, bound))
            for row in selectors.incident_records_of(user).filter(incident=item)
        ]
        request_item = item.request
        context["own_request"] = bool(
            request_item is not None and access.works_for_practice(user, request_item.practice_id)
        )
        if not context["own_request"]:
            # The request is another practice's: its log must not learn who else is concerned.
            return render_practice_page(
                request,
                "staff/incident.html",
                context,
                event="incident.view",
                practice_ids=[row.practice_id for row, _forms in context["records"]],
                status=status,
                object_type="incident",
                object_id=str(item.pk),
            )
    return render_page(
        request,
        "staff/incident.html",
        context,
        event="incident.view",
        item=item.request,
        status=status,
        object_type="incident",
        object_id=str(item.pk),
    )


def _initial(item: Incident) -> dict:
    initial = {name: getattr(item, name) for name in Incident.CHANGEABLE}
    for name in ("started_at", "discovered_at"):
        if initial[name] is not None:
            initial[name] = timezone.localtime(initial[name])
    return {**initial, "version": item.version}


def _step_forms(row, user, bound) -> list:
    available = {t.name for t in row.get_available_user_ap_state_transitions(user)}
    available |= {t.name for t in row.get_available_user_patients_state_transitions(user)}
    forms = []
    for name, (form_class, label) in PRACTICE_FORMS.items():
        if name not in available:
            continue
        if (
            bound is not None
            and bound.prefix == name
            and bound.data.get(f"{name}-record") == str(row.pk)
        ):
            form = bound
        else:
            form = form_class(prefix=name, initial={"version": row.version, "record": row.pk})
        forms.append((name, label, form))
    return forms


@staff_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, _incident(request, pk))


@staff_required
@require_POST
def incident_update(request: HttpRequest, pk: int) -> HttpResponse:
    item = _incident(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = UpdateIncidentForm(request.POST, incident=item)
    if not form.is_valid():
        return _page(request, item, update_form=form, status=400)
    try:
        row, added = incidents.update(
            item,
            actor=request.user,
            version=form.cleaned_data["version"],
            text=form.cleaned_data["text"],
            changes=form.report_fields(),
            add_practices=form.cleaned_data["add_practices"],
        )
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_INCIDENT)
    else:
        if row is None and not added:
            messages.info(request, _("Nothing was changed."))
        else:
            messages.success(request, _("The update has been saved; the practices are told."))
    return redirect("staff:incident", pk=item.pk)


@staff_required
@require_POST
def incident_close(request: HttpRequest, pk: int) -> HttpResponse:
    item = _incident(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = CloseIncidentForm(request.POST)
    if not form.is_valid():
        return _page(request, item, close_form=form, status=400)
    try:
        incidents.close(
            item,
            actor=request.user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_INCIDENT)
    else:
        messages.success(request, _("The incident has been closed; the practices are told."))
    return redirect("staff:incident", pk=item.pk)


@staff_required
@require_POST
def incident_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """The practice's FG or administrator records a decision about the AP or the patients."""
    item = _incident(request, pk)
    if step not in PRACTICE_FORMS:
        raise Http404
    form = PRACTICE_FORMS[step][0](request.POST, prefix=step)
    if not form.is_valid():
        return _page(request, item, step_form=form, status=400)
    row = fetch_or_404(
        request,
        selectors.incident_records_of(request.user).filter(incident=item),
        event="incident.view",
        object_type="incident",
        object_id=str(pk),
        pk=form.cleaned_data["record"],
    )
    try:
        incidents.practice_step(
            row,
            step,
            actor=request.user,
            version=form.cleaned_data["version"],
            **form.step_fields(),
        )
    except REFUSED as exc:
        tell_refused(request, exc)
    else:
        messages.success(request, _("Saved: %(step)s.") % {"step": PRACTICE_FORMS[step][1]})
    return redirect("staff:incident", pk=item.pk)


@staff_required
@require_POST
def classify(request: HttpRequest, reference: str) -> HttpResponse:
    """Processor support classifies a request it can see as an incident (art. 1.1 e i)."""
    item = visible_request(request, reference)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = ClassifyForm(request.POST)
    if not form.is_valid():
        return bad_form(request, form)
    incident, created = incidents.classify(
        item,
        actor=request.user,
        category=form.cleaned_data["category"],
        practices=form.cleaned_data["practices"],
    )
    if created:
        messages.success(request, _("The request is now an incident; the practices are told."))
    return redirect("staff:incident", pk=incident.pk)
