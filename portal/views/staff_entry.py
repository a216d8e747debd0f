"""Practice staff enter a request that came by letter, telephone or at the desk, and send back a
request that is not for their practice."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from portal.forms.staff_entry import SendBackForm, StaffEntryForm
from portal.views.audited import render_page
from portal.views.common import REFUSED, refusal, staff_required, visible_request
from requests_app import access, selectors
from requests_app.errors import StaleRequest
from requests_app.roles import Capability
from workflows.intake.send_back import send_back as send_request_back
from workflows.intake.staff_entry import EntryRefused, enter_request


@staff_required
def new_request(request: HttpRequest) -> HttpResponse:
    practices = selectors.practices_entering_for(request.user)
    ids = list(practices.values_list("pk", flat=True))
    if not ids:
        raise PermissionDenied  # the FG, a practice admin, processor support: they do not enter
    handlers = selectors.handlers_of_practices(ids)
    form_args = {"practices": practices, "handlers": handlers}
    if request.method != "POST":
        return _entry_page(request, StaffEntryForm(**form_args))
    form = StaffEntryForm(request.POST, **form_args)
    if not form.is_valid():
        return _entry_page(request, form, status=400)
    try:
        item = enter_request(entry=form.entry(), actor=request.user)
    except EntryRefused as exc:
        form.add_error(None, exc.explain())
        return _entry_page(request, form, status=400)
    messages.success(request, _("Request %(ref)s has been entered.") % {"ref": item.reference})
    return redirect("staff:detail", reference=item.reference)


def _entry_page(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    # Only what this member of staff typed is on the page: no stored patient data to record.
    return render(request, "staff/entry_new.html", {"form": form}, status=status)


@staff_required
def send_back(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    if not access.can(request.user, Capability.WORK_REQUESTS, item.practice_id):
        raise PermissionDenied  # the FG, the practice admin: they read, they do not send back
    if request.method != "POST":
        form = SendBackForm(initial={"version": item.version})
        return _send_back_page(request, item, form)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        return _send_back_page(request, item, form, status=400)
    try:
        send_request_back(
            item,
            actor=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except REFUSED as exc:
        fresh = visible_request(request, reference)
        data = request.POST.copy()
        if isinstance(exc, StaleRequest):  # sent again, it is a choice made on the page as now
            data["version"] = str(fresh.version)
        form = SendBackForm(data)
        form.is_valid()
        form.add_error(None, refusal(exc))
        status = 409 if isinstance(exc, StaleRequest) else 400
        return _send_back_page(request, fresh, form, status=status)
    messages.success(
        request,
        _("Request %(ref)s has been sent back to processor support. It is no longer in your queue.")
        % {"ref": reference},
    )
    return redirect("staff:queue")


def _send_back_page(request: HttpRequest, item, form, status: int = 200) -> HttpResponse:
    context = {"item": item, "form": form, "possible": can_proceed(item.send_back)}
    return render_page(
        request, "staff/send_back.html", context, event="request.view", item=item, status=status
    )
