"""A possible duplicate of an earlier request: the two side by side, merge, or keep separate."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.duplicates import KeepSeparateForm, MergeForm
from portal.views.audited import shown
from portal.views.common import REFUSED, refusal, staff_required, visible_request
from requests_app import access, audit
from requests_app.models import AuditAction, Request
from requests_app.models.request import duplicate_of_open_request
from requests_app.roles import Capability
from workflows.casework import duplicates


def _flagged(request: HttpRequest, reference: str):
    """The request (in the account's scope, else 404) and the one it may duplicate; a request
    that is not flagged has no such page."""
    item = visible_request(request, reference)
    # Not flagged, or linked to a request that has since left the practice (sent back).
    if item.duplicate_of is None or item.duplicate_of.practice_id != item.practice_id:
        raise Http404
    return item, item.duplicate_of


def _page(request, item, first, *, merge_form=None, keep_form=None, status=200) -> HttpResponse:
    decides = access.can(request.user, Capability.WORK_REQUESTS, item.practice_id)
    open_flag = item.duplicate_flagged and item.is_open
    context = {
        "item": item,
        "first": first,
        "why": duplicates.why_linked(item, first),
        "may_decide": decides and open_flag,
        "may_merge": decides and open_flag and duplicate_of_open_request(item),
        "merge_form": merge_form or MergeForm(initial={"version": item.version}, prefix="merge"),
        "keep_form": keep_form
        or KeepSeparateForm(initial={"version": item.version}, prefix="keep"),
    }
    # The page shows the first request's patient data too: one record names both when they
    # are the same address; a first request under another address has a record of its own.
    if first.patient_email != item.patient_email:
        audit.record("request.view", AuditAction.READ, user=request.user, request=first)
    response = render(request, "staff/duplicate.html", context, status=status)
    return shown(
        request, response, event="request.view", item=item, details={"with": first.reference}
    )


@staff_required
def compare(request: HttpRequest, reference: str) -> HttpResponse:
    item, first = _flagged(request, reference)
    return _page(request, item, first)


def _refused(request, item, first, exc, **forms) -> HttpResponse:
    """Someone acted first, or the first request closed: the page as it is now, with why."""
    messages.error(request, refusal(exc))
    item = Request.objects.get(pk=item.pk)
    if item.duplicate_of is None:  # kept separate meanwhile: nothing left to decide here
        return redirect("staff:detail", reference=item.reference)
    return _page(request, item, item.duplicate_of, status=409, **forms)


@staff_required
@require_POST
def merge(request: HttpRequest, reference: str) -> HttpResponse:
    item, first = _flagged(request, reference)
    if not access.can(request.user, Capability.WORK_REQUESTS, item.practice_id):
        raise PermissionDenied
    form = MergeForm(request.POST, prefix="merge")
    if not form.is_valid():
        return _page(request, item, first, merge_form=form, status=400)
    try:
        duplicates.merge(item, actor=request.user, version=form.cleaned_data["version"])
    except REFUSED as exc:
        return _refused(request, item, first, exc)
    messages.success(
        request,
        _("Request %(ref)s has been merged into %(first)s; the patient is told.")
        % {"ref": item.reference, "first": first.reference},
    )
    return redirect("staff:detail", reference=first.reference)


@staff_required
@require_POST
def keep(request: HttpRequest, reference: str) -> HttpResponse:
    item, first = _flagged(request, reference)
    if not access.can(request.user, Capability.WORK_REQUESTS, item.practice_id):
        raise PermissionDenied
    form = KeepSeparateForm(request.POST, prefix="keep")
    if not form.is_valid():
        return _page(request, item, first, keep_form=form, status=400)
    try:
        duplicates.keep_separate(
            item,
            actor=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except REFUSED as exc:
        return _refused(request, item, first, exc, keep_form=form)
    messages.success(
        request,
        _("Request %(ref)s is handled separately from %(first)s; the patient is told.")
        % {"ref": item.reference, "first": first.reference},
    )
    return redirect("staff:detail", reference=item.reference)
