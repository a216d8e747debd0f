"""A task's results: the data package (the review download, releasing it to the patient) and the
erasure (running it, the certificate). Each irreversible step asks for a ticked confirmation
first; packages and certificates are shown only to those who may see them."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from portal.forms.task_results import ConfirmForm
from portal.views.audited import render_task_page, shown
from portal.views.common import (
    REFUSED,
    REFUSED_FOR_TASK,
    finished_since,
    mismatch_texts,
    staff_required,
    tell_refused,
    visible_task,
    zip_response,
)
from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.models import DataCategory, ErasureCertificate, IdentifierKind, Request
from requests_app.models.practice_document import pending_documents
from requests_app.roles import Capability
from workflows.assistance import erasure, packages

RELEASE_CONFIRM = gettext_noop(
    "I understand that the patient can download these data once they are released, and that "
    "this cannot be undone."
)
ERASE_CONFIRM = gettext_noop(
    "I understand that these data will be erased for good, and that this cannot be undone."
)


@staff_required
def package_download(request: HttpRequest, pk: int) -> HttpResponse:
    """For the practice's review (and support's check before delivery). Logged."""
    task = visible_task(request, pk)
    _may_see_results(request, task)
    package = getattr(task, "package", None)
    if package is None or package.purged_at is not None:
        raise Http404
    who = "support" if access.is_processor_support(request.user) else "practice"
    packages.record_download(package, user=request.user, who=who)
    return zip_response(package)


@staff_required
@require_http_methods(["GET", "POST"])
def package_release(request: HttpRequest, pk: int) -> HttpResponse:
    """Releasing is irreversible: a page says what the patient gets, and for how long, and the
    practice ticks that it understands before the package is released. Offered on the task page
    and on the request page (`from=request`): the flow goes back to where it started."""
    task = visible_task(request, pk)
    from_request = request.GET.get("from") == "request"
    back = (
        redirect(reverse("staff:detail", args=[task.request.reference]) + "#h-package")
        if from_request
        else redirect("staff:task", pk=pk)
    )
    package = getattr(task, "package", None)
    if package is None:
        raise Http404
    if not access.can(request.user, Capability.INSTRUCT_PROCESSOR, task.practice_id):
        raise PermissionDenied
    if not package.releasable:
        messages.error(request, package.release_refusal)
        return back
    form = ConfirmForm(_posted(request), label=_(RELEASE_CONFIRM))
    if form.is_valid():
        try:
            packages.release(package, actor=request.user)
        except REFUSED as exc:
            tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
        else:
            messages.success(request, _("The patient can now download the package."))
        return back
    context = {
        "task": task,
        "item": task.request,
        "package": package,
        "form": form,
        "practice_staff": True,
        "until": timezone.now() + datetime.timedelta(days=settings.PACKAGE_LINK_DAYS),
        "link_days": settings.PACKAGE_LINK_DAYS,
        "retention_days": settings.PACKAGE_RETENTION_DAYS,
        "mismatches": mismatch_texts(package, None),
        "documents_along": pending_documents(task.request),  # they go out in this release
        "action": request.get_full_path() if from_request else "",
        "back_url": back.url if from_request else "",
    }
    return render_task_page(
        request, task, "staff/confirm_release.html", context, status=400 if form.is_bound else 200
    )


@staff_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erasure is irreversible: a page says where it erases, what is kept and what else goes,
    and support ticks that it understands before the job starts. If what would be erased has
    changed since the page was shown, it is shown again instead."""
    task = visible_task(request, pk)
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    try:
        plan = erasure.plan(task, actor=request.user)
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=REFUSED_FOR_TASK)
        return redirect("staff:task", pk=pk)
    form = ConfirmForm(_posted(request), label=_(ERASE_CONFIRM), initial={"plan": plan.digest})
    status = 400 if form.is_bound else 200
    if form.is_valid():
        if form.cleaned_data["plan"] == plan.digest:
            since = timezone.now()
            erasure.schedule_run(task, actor=request.user)
            if finished_since(task, since) == "erasure_run":
                messages.success(
                    request, _("The erasure has run; the table of erasure runs shows the result.")
                )
            else:
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
    return render_task_page(request, task, "staff/confirm_erase.html", context, status=status)


def _posted(request: HttpRequest):
    """The form's data on a POST (even an empty one, so it is bound and says what is missing)."""
    return request.POST if request.method == "POST" else None


@staff_required
@require_POST
def certificate_issue(request: HttpRequest, pk: int) -> HttpResponse:
    task = visible_task(request, pk)
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
    task = visible_task(request, pk)
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


def _when(value: str):
    """A manifest's ISO time as a datetime: the page shows it in local time (Europe/Amsterdam)."""
    try:
        return datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _readable(manifest: dict) -> dict:
    """The manifest as people read it: labels for its stored values, times as datetimes. The
    manifest itself (and its digest, and the JSON download) stays as it was issued."""
    decisions = dict(Request._meta.get_field("decision").choices)
    instruction = manifest["instruction"]
    exceptions = manifest["exceptions"]
    return {
        **manifest,
        "instruction": instruction
        | {
            "at": _when(instruction["at"]),
            "decided_at": _when(instruction["decided_at"]),
            "decision": decisions.get(instruction["decision"], instruction["decision"]),
        },
        "exceptions": exceptions | {"categories": [_category(c) for c in exceptions["categories"]]},
        "extra_identifiers": [
            extra
            | {
                "kind": _label(IdentifierKind, extra["kind"]),
                "confirmed_at": _when(extra["confirmed_at"]),
            }
            for extra in manifest.get("extra_identifiers", [])
        ],
        "sources": [
            source | {"last_run_at": _when(source["last_run_at"])} for source in manifest["sources"]
        ],
        "manual_steps": [
            step | {"done_at": _when(step["done_at"])} for step in manifest["manual_steps"]
        ],
        "issued_at": _when(manifest["issued_at"]),
    }


def _label(choices, value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _category(value: str) -> str:
    return _label(DataCategory, value)


@staff_required
def certificate_page(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = _certificate(request, pk)
    response = render(
        request,
        "staff/certificate.html",
        {
            "certificate": certificate,
            "m": _readable(certificate.manifest),
            "task": certificate.task,
        },
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
