"""The request page's block for the work before carrying out an erasure, rectification or
restriction: the practice's reason why no processor data are concerned, other recipients by name,
and ticking each recipient off as told or impossible to tell (GDPR art. 19). The block itself is
templates/staff/_work_gates.html; these views take its forms and return to the request page."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.recipients import (
    AddRecipientForm,
    ImpossibleForm,
    NoProcessorDataForm,
    ToldForm,
)
from portal.views.common import REFUSED, bad_form, staff_required, tell_refused, visible_request
from workflows.casework import completion

REFUSED_HERE = (*REFUSED, completion.CompletionRefused)


def _back(reference: str) -> HttpResponse:
    return redirect(reverse("staff:detail", args=[reference]) + "#h-work")


@staff_required
@require_POST
def no_processor_data(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    form = NoProcessorDataForm(request.POST)
    if not form.is_valid():
        return bad_form(request, form)
    try:
        completion.record_no_processor_data(
            item,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            version=form.cleaned_data["version"],
        )
    except REFUSED_HERE as exc:
        tell_refused(request, exc)
    else:
        messages.success(request, _("Recorded: no processor data are concerned."))
    return _back(reference)


@staff_required
@require_POST
def recipient_add(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    form = AddRecipientForm(request.POST)
    if not form.is_valid():
        return bad_form(request, form)
    try:
        completion.add_recipient(item, actor=request.user, name=form.cleaned_data["name"])
    except REFUSED_HERE as exc:
        tell_refused(request, exc)
    else:
        messages.success(request, _("The recipient has been added."))
    return _back(reference)


@staff_required
@require_POST
def recipient_done(request: HttpRequest, reference: str, key: str, outcome: str) -> HttpResponse:
    """One recipient ticked off: `told` (when, how) or `impossible` (why)."""
    item = visible_request(request, reference)
    if outcome not in ("told", "impossible"):
        raise Http404
    form = (ToldForm if outcome == "told" else ImpossibleForm)(request.POST, prefix=key)
    if not form.is_valid():
        return bad_form(request, form)
    notice = completion.notice_for(item, key)
    if notice is None:
        raise Http404
    try:
        if outcome == "told":
            completion.tell(
                notice,
                actor=request.user,
                told_on=form.cleaned_data["told_on"],
                how=form.cleaned_data["how"],
                note=form.cleaned_data["note"],
            )
        else:
            completion.mark_impossible(
                notice, actor=request.user, reason=form.cleaned_data["reason"]
            )
    except REFUSED_HERE as exc:
        tell_refused(request, exc)
    else:
        messages.success(request, _("Saved: %(name)s.") % {"name": notice.name})
    return _back(reference)
