"""Assistance tasks: the list, the task page with the steps its transitions offer, the practice's
instruction, processor support's work on it (look-up, manual steps, building the package) and
the practice's review. Every page reaches a task through selectors.tasks_visible_to (see
common.visible_task), so another practice's task is a 404."""

import dataclasses

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.tasks import (
    AskAssistanceForm,
    DeliverForm,
    LookupForm,
    ManualStepForm,
    RejectForm,
    VersionForm,
)
from portal.views.audited import render_task_page, shown_list
from portal.views.common import (
    REFUSED,
    REFUSED_FOR_TASK,
    finished_since,
    mismatch_texts,
    refusal,
    staff_required,
    tell_refused,
    visible_request,
    visible_task,
)
from requests_app import access, selectors
from requests_app.errors import TransitionRefused
from requests_app.models import AssistanceKind, DataCategory, TaskState
from requests_app.models.assistance import kinds_possible, package_opened
from requests_app.roles import Capability
from workflows.assistance import erasure, lookup, packages
from workflows.assistance import tasks as assistance
from workflows.assistance.connectors import Identifiers

PAGE_SIZE = 50


@staff_required
def task_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    items = selectors.filtered_tasks(request.user, state=state)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "staff/tasks.html",
        {"page": page, "state": state, "states": TaskState.choices},
    )
    return shown_list(
        request, response, event="task.list", items=page.object_list, key=lambda t: t.number
    )


def _steps_offered(task, user) -> set[str]:
    """The task's transitions from its state that this user may make: the page shows their
    buttons, as the request page does. A step whose condition is unmet (the work not done, the
    package not opened) is still offered: the page, or the refusal, says what is missing."""
    return {
        transition.name
        for transition in task.get_all_state_transitions()
        if transition.source == task.state and transition.has_perm(task, user)
    }


def _render(request: HttpRequest, task, *, status: int = 200, **extra) -> HttpResponse:
    support = access.is_processor_support(request.user)
    practice = access.can(request.user, Capability.INSTRUCT_PROCESSOR, task.practice_id)
    working = support and task.state == TaskState.IN_PROGRESS  # look-up, exports, manual steps
    package = getattr(task, "package", None)
    version = {"version": task.version}
    context = {
        "task": task,
        "item": task.request,
        "events": task.events.select_related("actor"),
        "steps": task.manual_steps.select_related("subprocessor", "done_by"),
        "package": package,
        "certificate": getattr(task, "certificate", None),
        "runs": task.erasure_runs.all(),
        "support": support,
        "practice_staff": practice,
        "sees_results": support or practice,
        "offered": _steps_offered(task, request.user),
        "working": working,
        "releasable": practice and package is not None and package.releasable,
        # Why not yet (the task not accepted, the request not granted): said on the page.
        "release_refusal": package.release_refusal
        if practice and package is not None and not package.released_at and not package.purged_at
        else "",
        "keep_labels": [DataCategory(c).label for c in task.keep_categories],
        "version_form": VersionForm(initial=version),
        "deliver_form": DeliverForm(initial=version),
        "reject_form": RejectForm(initial=version),
        "lookup_form": None,
        "open_points": [],
        "still_open": [],
        "needs_opening": not package_opened(task),
    }
    if working:
        ids = assistance.identifiers_for(task)
        context["lookup_form"] = LookupForm(
            initial={k: v for k, v in dataclasses.asdict(ids).items() if k != "bsn"}
        )
        if task.kind == AssistanceKind.ERASE:
            context["open_points"] = erasure.open_points(task)
    if "deliver" in context["offered"]:
        context["still_open"] = assistance.still_open(task)
    context.update(extra)
    context["mismatches"] = mismatch_texts(context["package"], context.get("results"))
    return render_task_page(request, task, "staff/task.html", context, status=status)


@staff_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, visible_task(request, pk))


@staff_required
@require_POST
def ask(request: HttpRequest, reference: str) -> HttpResponse:
    """The practice's instruction, from the request page."""
    item = visible_request(request, reference)
    if not access.can(request.user, Capability.INSTRUCT_PROCESSOR, item.practice_id):
        raise PermissionDenied
    form = AskAssistanceForm(request.POST, kinds=kinds_possible(item))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("staff:detail", reference=reference)
    try:
        task = assistance.request_assistance(item, actor=request.user, **form.cleaned_data)
    except (TransitionRefused, assistance.InstructionIncomplete):
        messages.error(request, _("This help cannot be asked for in the request's current state."))
        return redirect("staff:detail", reference=reference)
    messages.success(
        request, _("Task %(task)s has been sent to the processor.") % {"task": task.number}
    )
    return redirect("staff:task", pk=task.pk)


TRANSITIONS = {"start", "deliver", "accept", "reject"}


@staff_required
@require_POST
def task_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = visible_task(request, pk)
    if action not in TRANSITIONS:
        raise Http404
    form_class = {"deliver": DeliverForm, "reject": RejectForm}.get(action, VersionForm)
    form = form_class(request.POST)
    if not form.is_valid():
        return _render(request, task, status=400, **{f"{action}_form": form})
    version = form.cleaned_data["version"]
    number = {"task": task.number}
    try:
        if action == "start":
            assistance.start(task, actor=request.user)
            done = _("You have taken on task %(task)s.") % number
        elif action == "deliver":
            assistance.deliver(
                task, actor=request.user, note=form.cleaned_data["note"], version=version
            )
            done = _("Task %(task)s has been delivered to the practice.") % number
        elif action == "accept":
            assistance.accept(task, actor=request.user, version=version)
            done = _("You have accepted the result of task %(task)s.") % number
        else:
            assistance.reject(
                task,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                version=version,
            )
            done = (
                _("The result of task %(task)s has been rejected; processor support is told.")
                % number
            )
    except REFUSED as exc:
        if action == "deliver":
            # Said beside the form, with the note as typed: nothing of it is lost.
            form.add_error(None, refusal(exc, otherwise=REFUSED_FOR_TASK))
            return _render(request, task, status=400, deliver_form=form)
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
    else:
        messages.success(request, done)
    return redirect("staff:task", pk=pk)


@staff_required
@require_POST
def task_lookup(request: HttpRequest, pk: int) -> HttpResponse:
    task = visible_task(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _render(request, task, status=400, lookup_form=form)
    ids = Identifiers(practice_code=task.practice.agb_code, **form.cleaned_data)
    try:
        results = lookup.look_up(task, actor=request.user, identifiers=ids)
    except TransitionRefused:
        messages.error(request, _("Start the task before looking anything up."))
        return redirect("staff:task", pk=pk)
    return _render(request, task, lookup_form=form, results=results)


@staff_required
@require_POST
def task_step(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    task = visible_task(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    manual = task.manual_steps.filter(pk=step).first()
    if manual is None:
        raise Http404
    form = ManualStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what was done there."))
        return redirect("staff:task", pk=pk)
    try:
        assistance.tick_manual_step(manual, actor=request.user, note=form.cleaned_data["note"])
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
    else:
        messages.success(
            request, _("Step '%(step)s' ticked off.") % {"step": manual.subprocessor.name}
        )
    return redirect("staff:task", pk=pk)


@staff_required
@require_POST
def package_build(request: HttpRequest, pk: int) -> HttpResponse:
    task = visible_task(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    if task.kind != AssistanceKind.SUPPLY or task.state != TaskState.IN_PROGRESS:
        messages.error(request, _(REFUSED_FOR_TASK))
        return redirect("staff:task", pk=pk)
    since = timezone.now()
    try:
        packages.schedule_build(task, actor=request.user)
    except REFUSED as exc:  # e.g. an extra identifier awaits the practice's confirmation
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
        return redirect("staff:task", pk=pk)
    finished = finished_since(task, since)
    if finished == "package_built":
        messages.success(request, _("The data package has been built."))
    elif finished == "package_failed":
        messages.error(
            request,
            _("The data package could not be built; the timeline says why. Try again later."),
        )
    else:
        messages.success(
            request, _("The package is being built; the timeline shows when it is ready.")
        )
    return redirect("staff:task", pk=pk)
