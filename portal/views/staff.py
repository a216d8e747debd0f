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
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_fsm import can_proceed, has_transition_perm

from portal.forms.incidents import ClassifyForm
from portal.forms.queue import BulkForm
from portal.forms.staff import ACTIONS, AssignForm, MessageForm, RouteForm
from portal.forms.standard_texts import PickTextForm
from portal.forms.tasks import AskAssistanceForm
from portal.views.audited import render_page, shown_list
from portal.views.common import (
    REFUSED,
    fetch_or_404,
    not_found,
    record_denied,
    refusal,
    staff_required,
    tell_refused,
    visible_request,
)
from requests_app import access, selectors
from requests_app.errors import StaleRequest
from requests_app.models import RequestKind, RequestState, TextKind
from requests_app.models.assistance import kinds_possible
from requests_app.models.request import person_label
from requests_app.roles import Capability
from workflows.casework import actions as casework
from workflows.casework import bulk, standard_texts
from workflows.intake.forwarding import route_request

PAGE_SIZE = 50
FILTERS = selectors.QUEUE_FILTERS


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    if not access.is_practice_staff(request.user):
        return redirect("staff:unrouted")  # processor support has no practice queue
    chosen = {name: request.GET.get(name, "") for name in FILTERS}
    return _queue_page(request, chosen, request.GET.get("page"))


def _queue_page(
    request: HttpRequest, chosen: dict, page_number, *, bulk_form=None, picked=(), status=200
) -> HttpResponse:
    """The queue for the chosen filters; after a bulk step that could not start (no step or no
    handler chosen), with its errors and the ticks as they were."""
    items = selectors.queue_as_chosen(request.user, chosen)
    page = Paginator(items, PAGE_SIZE).get_page(page_number)
    counts = selectors.state_counts(request.user)
    if bulk_form is None and (steps := bulk.steps_allowed(request.user)):
        bulk_form = BulkForm(staff=selectors.assignable_handlers(request.user), actions=steps)
    query = urlencode({k: v for k, v in chosen.items() if v})
    response = render(
        request,
        "staff/queue.html",
        {
            "page": page,
            "chosen": chosen,
            "query": query,
            "states": [
                (s, label, counts.get(s, 0))
                for s, label in RequestState.choices
                if s != RequestState.UNROUTED
            ],
            "kinds": RequestKind.choices,
            "total": sum(counts.values()),
            "bulk_form": bulk_form,
            "picked": set(picked),
            "export_url": reverse("staff:queue_export") + (f"?{query}" if query else ""),
            "may_enter": bool(access.practices_where(request.user, Capability.WORK_REQUESTS)),
        },
        status=status,
    )
    return _shown_list(request, response, "queue.view", page, chosen)


@staff_required
@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    """Acknowledge or assign the ticked requests (workflows.casework.bulk). Another practice's
    reference, or one that does not exist, refuses the whole step with a 404 and changes
    nothing (the look is recorded as denied); more than MAX_ITEMS is a 400."""
    user = request.user
    steps = bulk.steps_allowed(user)
    posted = request.POST.get("action", "")
    if not steps or (posted in bulk.NEEDS and posted not in steps):
        raise PermissionDenied
    picked = list(dict.fromkeys(request.POST.getlist("pick")))
    if len(picked) > bulk.MAX_ITEMS:
        reason = _("At most %(n)s requests can be changed in one step.") % {"n": bulk.MAX_ITEMS}
        return render(request, "400.html", {"reason": reason}, status=400)
    versions = {}
    for reference in picked:
        version = request.POST.get(f"v-{reference}", "")
        if version and not (version.isascii() and version.isdigit() and len(version) < 10):
            reason = _("The form was not sent as the page made it.")
            return render(request, "400.html", {"reason": reason}, status=400)
        versions[reference] = int(version) if version else None
    found = {
        item.reference: item for item in selectors.practice_queue(user).filter(reference__in=picked)
    }
    unknown = [reference for reference in picked if reference not in found]
    if unknown:
        for reference in unknown[:-1]:
            record_denied(request, "request.view", "request", reference)
        not_found(request, "request.view", "request", unknown[-1])
    chosen = {name: request.POST.get(name, "") for name in FILTERS}
    form = BulkForm(request.POST, staff=selectors.assignable_handlers(user), actions=steps)
    if not picked:
        form.add_error(None, _("Tick the requests the step is for."))
    if not form.is_valid():
        page_number = request.POST.get("page")
        return _queue_page(request, chosen, page_number, bulk_form=form, picked=picked, status=400)
    ticked = [bulk.Ticked(found[reference], versions[reference]) for reference in picked]
    step = form.cleaned_data["action"]
    if step == "acknowledge":
        outcomes = bulk.acknowledge_many(ticked, actor=user)
    else:
        outcomes = bulk.assign_many(ticked, actor=user, assignee=form.cleaned_data["assignee"])
    _tell_outcomes(request, step, outcomes, form.cleaned_data.get("assignee"))
    back = {k: v for k, v in chosen.items() if v}
    if request.POST.get("page", "").isdigit():
        back["page"] = request.POST["page"]
    return redirect(reverse("staff:queue") + (f"?{urlencode(back)}" if back else ""))


def _tell_outcomes(request: HttpRequest, step: str, outcomes: list, assignee) -> None:
    """One line for what was done; one per reason, naming each request left as it was."""
    done = sum(1 for outcome in outcomes if outcome.done)
    if done and step == "acknowledge":
        text = ngettext("%(n)s request acknowledged.", "%(n)s requests acknowledged.", done)
        messages.success(request, text % {"n": done})
    elif done:
        text = ngettext(
            "%(n)s request assigned to %(name)s.", "%(n)s requests assigned to %(name)s.", done
        )
        messages.success(request, text % {"n": done, "name": person_label(assignee)})
    left: dict[str, list[str]] = {}
    for outcome in outcomes:
        if not outcome.done:
            left.setdefault(outcome.reason, []).append(outcome.reference)
    for reason, references in left.items():
        messages.error(
            request,
            _("Left as it was, %(reason)s: %(references)s.")
            % {"reason": reason, "references": ", ".join(references)},
        )


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


def history_for(user, item) -> list:
    """The request's history as this account may read it: practice staff see who did what, and
    the notes, only from the moment the request came to their practice. What happened while it
    was at a practice that sent it back (that practice's staff, addresses and reason) is that
    practice's business; processor support, which routed it, sees everything."""
    events = list(item.events.select_related("actor"))
    if access.is_processor_support(user):
        return events
    last_send_back = max((i for i, e in enumerate(events) if e.action == "send_back"), default=-1)
    for event in events[: last_send_back + 1]:
        # The patient's (or the app's) own steps, such as the submission, stay as they are.
        patients = event.actor_label == "patient" or event.actor_label.startswith("api:")
        event.elsewhere = not patients
    return events


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
        "events": history_for(user, item),
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
            context["pick_form"] = _pick_form(request, item)
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


def _message_texts(request: HttpRequest, item):
    return selectors.standard_texts_of(request.user).filter(
        practice_id=item.practice_id, kind=TextKind.MESSAGE
    )


def _pick_form(request: HttpRequest, item) -> PickTextForm | None:
    """The practice's message texts to pick from (none: no choice shown)."""
    texts = list(_message_texts(request, item))
    if not texts:
        return None
    return PickTextForm(request.GET if "text" in request.GET else None, texts=texts)


def _picked_text(request: HttpRequest, item) -> MessageForm | None:
    """`?text=<pk>`: the message box holds that text of the practice, filled in for this
    request. Another practice's text (or no such text) is a recorded 404."""
    pk = request.GET["text"]
    text = fetch_or_404(
        request,
        _message_texts(request, item),
        event="standard_text.view",
        object_type="standard_text",
        object_id=pk,
        pk=int(pk) if pk.isascii() and pk.isdigit() else 0,
    )
    form = MessageForm(initial={"body": standard_texts.message_text(text, item)})
    form.fields["body"].widget.attrs["rows"] = 8  # room to read the whole text before sending
    return form


@staff_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    message_form = None
    if "text" in request.GET and access.can(
        request.user, Capability.WORK_REQUESTS, item.practice_id
    ):
        message_form = _picked_text(request, item)
    return _detail(request, item, message_form=message_form)


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
