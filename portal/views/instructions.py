"""Support's objection to an instruction and the practice's answer (agreement art. 3.3), on an
assistance task's page and on a general task's page alike. A form that does not validate is a
400 that changes nothing; a step the task's state refuses is said on its page."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.instructions import FORMS, PREFIXES
from portal.views.common import (
    REFUSED,
    REFUSED_FOR_TASK,
    bad_form,
    staff_required,
    tell_refused,
    visible_general_task,
    visible_task,
)
from workflows.assistance import instructions

PAGES = {"tasks": ("staff:task", visible_task), "general": ("staff:general", visible_general_task)}


@staff_required
@require_POST
def act(request: HttpRequest, kind: str, pk: int, action: str) -> HttpResponse:
    if kind not in PAGES or action not in FORMS:
        raise Http404
    page, fetch = PAGES[kind]
    task = fetch(request, pk)
    form = FORMS[action](request.POST, prefix=PREFIXES[action])
    if not form.is_valid():
        return bad_form(request, form)
    data = form.cleaned_data
    try:
        if action == "object":
            instructions.object_to(
                task, actor=request.user, reason=data["reason"], version=data["version"]
            )
        elif action == "confirm_instruction":
            instructions.confirm(
                task, actor=request.user, note=data["note"], version=data["version"]
            )
        elif action == "change_instruction":
            instructions.change(
                task, actor=request.user, instruction=data["instruction"], version=data["version"]
            )
        else:
            instructions.withdraw(
                task, actor=request.user, note=data["note"], version=data["version"]
            )
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
    except instructions.InstructionIncomplete:
        messages.error(request, _("Say what the step needs: a reason or the new instruction."))
    else:
        messages.success(request, _("Saved."))
    return redirect(page, pk=pk)
