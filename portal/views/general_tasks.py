"""General assistance (agreement art. 6.3, 6.4): the lists for the practice and support, the
practice's question, and the task page with its steps, the objection block and the time. Every
page reaches a task through selectors.general_tasks_visible_to: another practice's is a 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.general_tasks import AnswerForm, AskForm, ReopenForm
from portal.forms.instructions import VersionForm
from portal.views.common import (
    REFUSED,
    REFUSED_FOR_TASK,
    bad_form,
    staff_required,
    tell_refused,
    visible_general_task,
)
from requests_app import access, audit
from requests_app.models import AuditAction, GeneralState, Practice
from requests_app.models.general_task import GENERAL_OPEN_STATES
from requests_app.roles import Capability
from requests_app.selectors import general_tasks_visible_to
from workflows.assistance import general
from workflows.assistance.instructions import InstructionIncomplete

PAGE_SIZE = 50


def _askable(user):
    return Practice.objects.filter(pk__in=access.practices_where(user, Capability.ASK_PROCESSOR))


@staff_required
def general_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    tasks = general_tasks_visible_to(request.user)
    if state == "open":
        tasks = tasks.filter(state__in=GENERAL_OPEN_STATES)
    elif state in GeneralState.values:
        tasks = tasks.filter(state=state)
    page = Paginator(tasks.order_by("due", "requested_at"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "staff/general_tasks.html",
        {
            "page": page,
            "state": state,
            "states": GeneralState.choices,
            "may_ask": _askable(request.user).exists(),
        },
    )


@staff_required
def general_new(request: HttpRequest) -> HttpResponse:
    practices = _askable(request.user)
    if not practices.exists():
        raise PermissionDenied
    form = AskForm(request.POST or None, practices=practices)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            task = general.ask(
                data["practice"],
                actor=request.user,
                kind=data["kind"],
                subject=data["subject"],
                question=data["question"],
                key=data["key"],
            )
            messages.success(
                request,
                _("Question %(task)s has been sent to the processor.") % {"task": task.number},
            )
            return redirect("staff:general", pk=task.pk)
        return render(request, "staff/general_new.html", {"form": form}, status=400)
    return render(request, "staff/general_new.html", {"form": form})


def _steps_offered(task, user) -> set[str]:
    return {
        t.name
        for t in task.get_all_state_transitions()
        if t.source == task.state and t.has_perm(task, user)
    }


@staff_required
def general_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = visible_general_task(request, pk)
    audit.record(
        "general_task.view",
        AuditAction.READ,
        user=request.user,
        object_type="general_task",
        object_id=task.number,
        practice_id=task.practice_id,
    )
    version = {"version": task.version}
    return render(
        request,
        "staff/general_task.html",
        {
            "task": task,
            "events": task.events.select_related("actor"),
            "offered": _steps_offered(task, request.user),
            "version_form": VersionForm(initial=version),
            "answer_form": AnswerForm(initial=version),
            "reopen_form": ReopenForm(initial=version),
        },
    )


FORMS = {
    "start": VersionForm,
    "give_answer": AnswerForm,
    "close": VersionForm,
    "reopen": ReopenForm,
}


@staff_required
@require_POST
def general_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    task = visible_general_task(request, pk)
    if action not in FORMS:
        raise Http404
    form = FORMS[action](request.POST)
    if not form.is_valid():
        return bad_form(request, form)
    data = form.cleaned_data
    try:
        if action == "start":
            general.start(task, actor=request.user, version=data["version"])
        elif action == "give_answer":
            general.answer(task, actor=request.user, text=data["text"], version=data["version"])
        elif action == "close":
            general.close(task, actor=request.user, version=data["version"])
        else:
            general.reopen(task, actor=request.user, reason=data["reason"], version=data["version"])
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
    except InstructionIncomplete:
        messages.error(request, _("Say what the step needs."))
    else:
        messages.success(request, _("Saved."))
    return redirect("staff:general", pk=pk)
