"""Extra identifiers on the task page (templates/staff/_task_identifiers.html): support records
one it used in a look-up; the practice confirms or declines it before the export and the erasure
use it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.identifiers import DeclineIdentifierForm, RecordIdentifierForm
from portal.views.common import (
    REFUSED,
    REFUSED_FOR_TASK,
    bad_form,
    staff_required,
    tell_refused,
    visible_task,
)
from requests_app import access
from workflows.assistance import identifiers

REFUSED_HERE = (*REFUSED, identifiers.IdentifierRefused)


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("staff:task", args=[pk]) + "#h-identifiers")


@staff_required
@require_POST
def identifier_record(request: HttpRequest, pk: int) -> HttpResponse:
    task = visible_task(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = RecordIdentifierForm(request.POST)
    if not form.is_valid():
        return bad_form(request, form)
    try:
        identifiers.record_identifier(task, actor=request.user, **form.cleaned_data)
    except REFUSED_HERE as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
    else:
        messages.success(
            request, _("Recorded. The practice is asked to confirm it before it is used.")
        )
    return _back(pk)


@staff_required
@require_POST
def identifier_decide(request: HttpRequest, pk: int, extra: int, outcome: str) -> HttpResponse:
    task = visible_task(request, pk)
    if outcome not in ("confirm", "decline"):
        raise Http404
    found = task.extra_identifiers.filter(pk=extra).first()
    if found is None:
        raise Http404
    try:
        if outcome == "confirm":
            identifiers.confirm(found, actor=request.user)
        else:
            form = DeclineIdentifierForm(request.POST, prefix=f"x{found.pk}")
            if not form.is_valid():
                return bad_form(request, form)
            identifiers.decline(found, actor=request.user, reason=form.cleaned_data["reason"])
    except REFUSED_HERE as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
    else:
        messages.success(request, _("Saved."))
    return _back(pk)
