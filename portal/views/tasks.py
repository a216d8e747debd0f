"""Assistance tasks: the practice's instruction, processor support's work on it (look-up,
package, erasure, manual steps) and the practice's review. Every page reaches a task through
selectors.tasks_visible_to, so another practice's task is a 404."""

import dataclasses
import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from portal.forms.tasks import (
    AskAssistanceForm,
    ConfirmForm,
    DeliverForm,
    LookupForm,
    ManualStepForm,
    RejectForm,
    VersionForm,
)
from portal.views.audited import render_page, shown, shown_list
from portal.views.staff import STALE, _visible, not_found, staff_required
from requests_app import access, selectors
from requests_app.lifecycle import StaleRequest, TransitionRefused
from requests_app.models import (
    AssistanceKind,
    DataCategory,
    ErasureCertificate,
    TaskState,
)
from requests_app.models.assistance import kinds_possible, package_opened
from requests_app.roles import Capability
from workflows.assistance import erasure, lookup, packages
from workflows.assistance import tasks as assistance
from workflows.assistance.connectors import Identifiers, Mismatch

PAGE_SIZE = 50
RELEASE_CONFIRM = gettext_noop(
    "I understand that the patient can download these data once they are released, and that "
    "this cannot be undone."
)
ERASE_CONFIRM = gettext_noop(
    "I understand that these data will be erased for good, and that this cannot be undone."
)
OPEN_FIRST = gettext_noop(
    "Open the package before you accept it: download it and check that it holds this "
    "patient's data."
)


def _task(request: HttpRequest, pk: int):
    task = selectors.tasks_visible_to(request.user).filter(pk=pk).first()
    if task is None:
        not_found(request, "task.view", "assistance_task", f"T{pk}")
    return task


@staff_required
def task_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    items = selectors.tasks_visible_to(request.user)
    if state == "open":
        items = items.filter(state__in=[TaskState.REQUESTED, TaskState.IN_PROGRESS])
    elif state in TaskState.values:
        items = items.filter(state=state)
    page = Paginator(items.order_by("due", "requested_at"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    response = render(
        request,
        "staff/tasks.html",
        {"page": page, "state": state, "states": TaskState.choices},
    )
    return shown_list(
        request, response, event="task.list", items=page.object_list, key=lambda t: t.number
    )


def _render(request: HttpRequest, task, *, status: int = 200, **extra) -> HttpResponse:
    support = access.is_processor_support(request.user)
    practice = access.can(request.user, Capability.INSTRUCT_PROCESSOR, task.practice_id)
    version = {"version": task.version}
    context = {
        "task": task,
        "item": task.request,
        "events": task.events.select_related("actor"),
        "steps": task.manual_steps.select_related("subprocessor", "done_by"),
        "package": getattr(task, "package", None),
        "certificate": getattr(task, "certificate", None),
        "runs": task.erasure_runs.all(),
        "support": support,
        "practice_staff": practice,
        "sees_results": support or practice,
        "keep_labels": [DataCategory(c).label for c in task.keep_categories],
        "version_form": VersionForm(initial=version),
        "deliver_form": DeliverForm(initial=version),
        "reject_form": RejectForm(initial=version),
        "lookup_form": None,
        "open_points": [],
        "needs_opening": not package_opened(task),
    }
    if support and task.state == TaskState.IN_PROGRESS:
        ids = assistance.identifiers_for(task)
        context["lookup_form"] = LookupForm(
            initial={k: v for k, v in dataclasses.asdict(ids).items() if k != "bsn"}
        )
        if task.kind == AssistanceKind.ERASE:
            context["open_points"] = erasure.open_points(task)
    context.update(extra)
    context["mismatches"] = _mismatch_texts(context["package"], context.get("results"))
    return _task_page(request, task, "staff/task.html", context, status=status)


def _mismatch_texts(package, results) -> list[str]:
    """Where the records used disagree with the request: those of the package, and those of a
    look-up just made."""
    found = [Mismatch(**m) for m in package.mismatches] if package else []
    found += [m for result in results or [] for m in result.mismatches]
    return list(dict.fromkeys(m.text() for m in found))


def _task_page(request: HttpRequest, task, template: str, context: dict, *, status=200):
    """A page about a task shows its patient: recorded against the task's request."""
    return render_page(
        request,
        template,
        context,
        event="task.view",
        item=task.request,
        status=status,
        object_type="assistance_task",
        object_id=task.number,
    )


@staff_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(request, _task(request, pk))


@staff_required
@require_POST
def ask(request: HttpRequest, reference: str) -> HttpResponse:
    """The practice's instruction, from the request page."""
    item = _visible(request, reference)
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
    task = _task(request, pk)
    if action not in TRANSITIONS:
        raise Http404
    form_class = {"deliver": DeliverForm, "reject": RejectForm}.get(action, VersionForm)
    form = form_class(request.POST)
    if not form.is_valid():
        return _render(request, task, status=400, **{f"{action}_form": form})
    version = form.cleaned_data["version"]
    try:
        if action == "start":
            assistance.start(task, actor=request.user)
        elif action == "deliver":
            assistance.deliver(
                task, actor=request.user, note=form.cleaned_data["note"], expected_version=version
            )
        elif action == "accept":
            assistance.accept(task, actor=request.user, expected_version=version)
        else:
            assistance.reject(
                task,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=version,
            )
    except StaleRequest:
        messages.error(request, _(STALE))
    except assistance.NotOpened:
        messages.error(request, _(OPEN_FIRST))
    except TransitionRefused:
        messages.error(request, _("This step is not possible in the task's current state."))
    else:
        messages.success(request, _("Saved."))
    return redirect("staff:task", pk=pk)


@staff_required
@require_POST
def task_lookup(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
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
    task = _task(request, pk)
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
    except TransitionRefused:
        messages.error(request, _("This step is not possible in the task's current state."))
    return redirect("staff:task", pk=pk)


def _in_background(
    request: HttpRequest, pk: int, kind: str, schedule_job, started: str
) -> HttpResponse:
    """Exports run as background jobs, after this request's transaction."""
    task = _task(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    if task.kind != kind or task.state != TaskState.IN_PROGRESS:
        messages.error(request, _("This step is not possible in the task's current state."))
    else:
        schedule_job(task, actor=request.user)
        messages.success(request, started)
    return redirect("staff:task", pk=pk)


@staff_required
@require_POST
def package_build(request: HttpRequest, pk: int) -> HttpResponse:
    started = _("The package is being built; the timeline shows when it is ready.")
    return _in_background(request, pk, AssistanceKind.SUPPLY, packages.schedule_build, started)


@staff_required
def package_download(request: HttpRequest, pk: int) -> HttpResponse:
    """For the practice's review (and support's check before delivery). Logged."""
    task = _task(request, pk)
    _may_see_results(request, task)
    package = getattr(task, "package", None)
    if package is None or package.purged_at is not None:
        raise Http404
    who = "support" if access.is_processor_support(request.user) else "practice"
    packages.record_download(package, user=request.user, who=who)
    return zip_response(package)


def zip_response(package) -> StreamingHttpResponse:
    response = StreamingHttpResponse(packages.open_package(package), content_type="application/zip")
    name = f"gegevens-{package.task.request.reference}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "no-store"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def package_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Releasing is irreversible: a page says what the patient gets, and for how long, and the
    practice ticks that it understands before the package is released."""
    task = _task(request, pk)
    package = getattr(task, "package", None)
    if package is None:
        raise Http404
    if not access.can(request.user, Capability.INSTRUCT_PROCESSOR, task.practice_id):
        raise PermissionDenied
    if task.state != TaskState.ACCEPTED or package.released_at or package.purged_at:
        messages.error(request, _("This step is not possible in the task's current state."))
        return redirect("staff:task", pk=pk)
    form = ConfirmForm(_posted(request), label=_(RELEASE_CONFIRM))
    if form.is_valid():
        try:
            packages.release(package, actor=request.user)
        except TransitionRefused:
            messages.error(request, _("This step is not possible in the task's current state."))
        else:
            messages.success(request, _("The patient can now download the package."))
        return redirect("staff:task", pk=pk)
    context = {
        "task": task,
        "item": task.request,
        "package": package,
        "form": form,
        "practice_staff": True,
        "until": timezone.now() + datetime.timedelta(days=settings.PACKAGE_LINK_DAYS),
        "link_days": settings.PACKAGE_LINK_DAYS,
        "retention_days": settings.PACKAGE_RETENTION_DAYS,
        "mismatches": _mismatch_texts(package, None),
    }
    return _task_page(
        request, task, "staff/confirm_release.html", context, status=400 if form.is_bound else 200
    )


@staff_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erasure is irreversible: a page says where it erases, what is kept and what else goes,
    and support ticks that it understands before the job starts. If what would be erased has
    changed since the page was shown, it is shown again instead."""
    task = _task(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    try:
        plan = erasure.plan(task, actor=request.user)
    except TransitionRefused:
        messages.error(request, _("This step is not possible in the task's current state."))
        return redirect("staff:task", pk=pk)
    form = ConfirmForm(_posted(request), label=_(ERASE_CONFIRM), initial={"plan": plan.digest})
    status = 400 if form.is_bound else 200
    if form.is_valid():
        if form.cleaned_data["plan"] == plan.digest:
            erasure.schedule_run(task, actor=request.user)
            messages.success(request, _("Erasure is running; the timeline shows the result."))
            return redirect("staff:task", pk=pk)
        form = ConfirmForm(label=_(ERASE_CONFIRM), initial={"plan": plan.digest})
        status = 409
        messages.error(
            request,
            _("What would be erased has changed since the page was shown. Check it again."),
        )
    context = {
        "task": task,
        "item": task.request,
        "plan": plan,
        "form": form,
        "support": True,
        "keep_labels": [DataCategory(c).label for c in task.keep_categories],
        "mismatches": list(dict.fromkeys(m.text() for m in plan.mismatches)),
    }
    return _task_page(request, task, "staff/confirm_erase.html", context, status=status)


def _posted(request: HttpRequest):
    """The form's data on a POST (even an empty one, so it is bound and says what is missing)."""
    return request.POST if request.method == "POST" else None


@staff_required
@require_POST
def certificate_issue(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    try:
        erasure.issue_certificate(task, actor=request.user)
    except TransitionRefused as exc:
        messages.error(request, _("No certificate yet: %(why)s") % {"why": exc})
    else:
        messages.success(request, _("The certificate of erasure has been issued."))
    return redirect("staff:task", pk=pk)


def _may_see_results(request: HttpRequest, task) -> None:
    """Packages and certificates hold the patient's data: for processor support and for the
    practice staff who instruct the processor (not every role that may read the request)."""
    user = request.user
    if not (
        access.is_processor_support(user)
        or access.can(user, Capability.INSTRUCT_PROCESSOR, task.practice_id)
    ):
        raise PermissionDenied


def _certificate(request: HttpRequest, pk: int) -> ErasureCertificate:
    task = _task(request, pk)
    _may_see_results(request, task)
    certificate = getattr(task, "certificate", None)
    if certificate is None:
        raise Http404
    return certificate


def _certificate_shown(request: HttpRequest, certificate, response) -> HttpResponse:
    task = certificate.task
    return shown(
        request,
        response,
        event="certificate.view",
        item=task.request,
        object_type="erasure_certificate",
        object_id=task.number,
    )


@staff_required
def certificate_page(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate(request, pk)
    response = render(
        request,
        "staff/certificate.html",
        {"certificate": certificate, "m": certificate.manifest, "task": certificate.task},
    )
    return _certificate_shown(request, certificate, response)


@staff_required
def certificate_json(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate(request, pk)
    response = JsonResponse(
        {"manifest": certificate.manifest, "sha256": certificate.digest},
        json_dumps_params={"indent": 2, "ensure_ascii": False, "sort_keys": True},
    )
    name = f"certificaat-{certificate.task.request.reference}-{certificate.task.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _certificate_shown(request, certificate, response)
