"""Practice staff and processor support: queues and request pages, scoped by the selectors."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms import CharField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import can_proceed, has_transition_perm

from portal.forms.incidents import ClassifyForm
from portal.forms.staff import ACTIONS, AssignForm, MessageForm, RouteForm
from portal.forms.tasks import AskAssistanceForm
from portal.views.audited import render_page, shown_list
from portal.views.common import (
    REFUSED,
    refusal,
    staff_required,
    tell_refused,
    visible_request,
)
from requests_app import access, selectors
from requests_app.errors import StaleRequest
from requests_app.models import RequestKind, RequestState
from requests_app.models.assistance import kinds_possible
from requests_app.roles import Capability
from workflows.casework import actions as casework
from workflows.intake.forwarding import route_request

PAGE_SIZE = 50
FILTERS = ("state", "kind", "due", "assigned", "q", "order")


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    if not access.is_practice_staff(request.user):
        return redirect("staff:unrouted")  # processor support has no practice queue
    chosen = {name: request.GET.get(name, "") for name in FILTERS}
    items = selectors.filtered_queue(
        request.user,
        state=chosen["state"],
        kind=chosen["kind"],
        due=chosen["due"],
        assigned=chosen["assigned"],
        search=chosen["q"],
        order=chosen["order"] or "due",
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.state_counts(request.user)
    response = render(
        request,
        "staff/queue.html",
        {
            "page": page,
            "chosen": chosen,
            "query": urlencode({k: v for k, v in chosen.items() if v}),
            "states": [
                (s, label, counts.get(s, 0))
                for s, label in RequestState.choices
                if s != RequestState.UNROUTED
            ],
            "kinds": RequestKind.choices,
            "total": sum(counts.values()),
            "may_enter": bool(access.practices_where(request.user, Capability.WORK_REQUESTS)),
        },
    )
    return _shown_list(request, response, "queue.view", page, chosen)


@staff_required
def unrouted(request: HttpRequest) -> HttpResponse:
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    items = selectors.unrouted_queue(request.user).order_by("received_at")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(request, "staff/unrouted.html", {"page": page})
    return _shown_list(request, response, "unrouted.view", page, {})


def _shown_list(request: HttpRequest, response, event: str, page, filters: dict) -> HttpResponse:
    return shown_list(
        request,
        response,
        event=event,
        items=page.object_list,
        key=lambda item: item.reference,
        filters=filters,
        searched=access.practice_ids(request.user),
    )


def _for(form_class, item) -> dict:
    """What a form needs to know of the request (the grounds offered depend on its kind and on
    whether the identity is verified; the record of a destruction on its kind)."""
    return form_class.options_for(item)


def _action_forms(item, user, bound=None) -> list:
    """The actions this user may take now (django-fsm: the state, the conditions and the
    user's permission), each with its form (one of them maybe bound)."""
    available = [t.name for t in item.get_available_user_state_transitions(user)]
    forms = []
    for name, (form_class, label) in ACTIONS.items():
        if name not in available:
            continue
        if bound is not None and bound.prefix == name:
            form = bound
        else:
            form = form_class(
                prefix=name, initial={"version": item.version}, **_for(form_class, item)
            )
        forms.append((name, label, form))
    return forms


def _unsent(bound, shown: list) -> list:
    """What was typed into a step that is no longer offered (someone else moved the request on):
    shown once more so that no text is lost."""
    if bound is None or any(form is bound for _name, _label, form in shown):
        return []
    return [
        (field.label, value)
        for name, field in bound.fields.items()
        if name != "version"
        and isinstance(value := bound.data.get(bound.add_prefix(name), ""), str)
        and value.strip()
        and isinstance(field, CharField)
    ]


def _packages(item, user) -> list:
    """The data packages of the request's supply tasks, for the practice that releases them:
    each with whether it can be released now or why not (the task page's release flow)."""
    if not access.can(user, Capability.INSTRUCT_PROCESSOR, item.practice_id):
        return []
    tasks = selectors.tasks_visible_to(user).filter(request=item, package__isnull=False)
    return [
        {"task": task, "package": task.package, "refusal": task.package.release_refusal}
        for task in tasks.select_related("package")
    ]


def _detail(
    request: HttpRequest,
    item,
    *,
    bound=None,
    route_form=None,
    message_form=None,
    assign_form=None,
    status=200,
):
    can_route = has_transition_perm(item.route, request.user)
    user = request.user
    works_here = access.can(user, Capability.WORK_REQUESTS, item.practice_id)
    context = {
        "item": item,
        "events": item.events.select_related("actor"),
        "route_form": route_form or (RouteForm() if can_route else None),
        "actions": [],
        "unsent": [],
        "assign_form": None,
        "message_form": None,
        "conversation": item.messages.select_related("author"),
        "waits": item.waits.all(),
        "packages": _packages(item, user),
        # Not the patient's practice: the way back to processor support (staff_entry.send_back).
        "may_send_back": works_here and can_proceed(item.send_back),
        # A page shown again after a step was posted: the language switch returns to the page.
        "page_path": reverse("staff:detail", args=[item.reference]),
    }
    if works_here:
        context["actions"] = _action_forms(item, user, bound)
        context["unsent"] = _unsent(bound, context["actions"])
        if item.is_open:
            context["message_form"] = message_form or MessageForm()
    if access.can(user, Capability.ASSIGN, item.practice_id):
        context["assign_form"] = assign_form or AssignForm(
            staff=selectors.handlers_of(item.practice_id),
            initial={"version": item.version, "assignee": item.assigned_to_id},
        )
    kinds = kinds_possible(item)
    if kinds and access.can(user, Capability.INSTRUCT_PROCESSOR, item.practice_id):
        context["ask_form"] = AskAssistanceForm(kinds=kinds)
    context["tasks"] = selectors.tasks_visible_to(request.user).filter(request=item)
    if access.is_processor_support(user):  # staff/_incident_classify.html
        context["classify_form"] = ClassifyForm(initial={"practices": [item.practice_id]})
    return render_page(
        request, "staff/detail.html", context, event="request.view", item=item, status=status
    )


@staff_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _detail(request, visible_request(request, reference))


@staff_required
@require_POST
def act(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    item = visible_request(request, reference)
    if action not in ACTIONS:
        raise Http404
    form_class = ACTIONS[action][0]
    form = form_class(request.POST, prefix=action, **_for(form_class, item))
    if not form.is_valid():
        return _detail(request, item, bound=form, status=400)
    try:
        casework.act(
            item,
            action,
            actor=request.user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data.get("note", ""),
            **form.action_fields(),
        )
    except REFUSED as exc:
        return _refused(request, reference, form, exc)
    messages.success(request, _("Saved: %(step)s.") % {"step": ACTIONS[action][1]})
    return redirect("staff:detail", reference=reference)


def _refused(request: HttpRequest, reference: str, form, exc: Exception) -> HttpResponse:
    """A step the request refused: the page as it is now, the real reason said at the top and
    at the form, and everything typed kept. After someone else's change the form carries the
    new version, so sending it again is a decision made on the page as it now is."""
    item = visible_request(request, reference)
    reason = refusal(exc)
    data = request.POST.copy()
    if isinstance(exc, StaleRequest):
        data[form.add_prefix("version")] = str(item.version)
    form = type(form)(data, prefix=form.prefix, **_for(type(form), item))
    form.is_valid()
    form.add_error(None, reason)
    messages.error(request, reason)
    return _detail(request, item, bound=form, status=409 if isinstance(exc, StaleRequest) else 400)


@staff_required
@require_POST
def message(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, message_form=form, status=400)
    casework.write_to_patient(item, actor=request.user, body=form.cleaned_data["body"])
    messages.success(request, _("Your message has been sent to the patient."))
    return redirect("staff:detail", reference=reference)


@staff_required
@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    if not access.can(request.user, Capability.ASSIGN, item.practice_id):
        raise PermissionDenied
    form = AssignForm(request.POST, staff=selectors.handlers_of(item.practice_id))
    if not form.is_valid():
        return _detail(request, item, assign_form=form, status=400)
    try:
        casework.assign(
            item,
            actor=request.user,
            version=form.cleaned_data["version"],
            assignee=form.cleaned_data["assignee"],
        )
    except REFUSED as exc:
        tell_refused(request, exc)
    else:
        messages.success(request, _("The handler has been saved."))
    return redirect("staff:detail", reference=reference)


@staff_required
@require_POST
def route(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    if not has_transition_perm(item.route, request.user):
        raise PermissionDenied
    form = RouteForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, route_form=form, status=400)
    try:
        route_request(
            item, form.cleaned_data["practice"], actor=request.user, note=form.cleaned_data["note"]
        )
    except REFUSED as exc:
        tell_refused(request, exc)
        return redirect("staff:unrouted")
    messages.success(
        request,
        _("Request %(ref)s has been sent to %(practice)s.")
        % {"ref": reference, "practice": form.cleaned_data["practice"]},
    )
    return redirect("staff:unrouted")
