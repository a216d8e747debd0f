"""The practice's own documents in the answer to an access or portability request, on the
request page: a handler adds, checks (downloads) and removes them, and releases them when no
processor's package is on its way (otherwise they go out with the package's release). The FG
and the practice admin see the list, not the contents: like the processor's packages, these are
for the staff who prepare the answer. Processor support never sees them."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_http_methods, require_POST

from portal.forms.practice_documents import PracticeDocumentForm
from portal.forms.task_results import ConfirmForm
from portal.views.audited import render_page
from portal.views.common import (
    REFUSED,
    document_response,
    fetch_or_404,
    staff_required,
    tell_refused,
    visible_request,
)
from requests_app import access, selectors
from requests_app.models.practice_document import documents_release_refusal
from requests_app.roles import Capability
from workflows.assistance import packages
from workflows.assistance.packages.documents import panel

RELEASE_CONFIRM = gettext_noop(
    "I understand that the patient can download these documents once they are released, and "
    "that this cannot be undone."
)
NOT_NOW = gettext_noop("This is not possible in the request's current state.")


def _handler(request: HttpRequest, item) -> None:
    if not access.can(request.user, Capability.WORK_REQUESTS, item.practice_id):
        raise PermissionDenied


def _back(item) -> HttpResponse:
    return redirect(reverse("staff:detail", args=[item.reference]) + "#documents")


def _document(request: HttpRequest, item, pk: int):
    return fetch_or_404(
        request,
        selectors.documents_visible_to(request.user),
        event="practice_document.view",
        object_type="practice_document",
        object_id=f"D{pk}",
        pk=pk,
        request_id=item.pk,
    )


@staff_required
@require_POST
def upload(request: HttpRequest, reference: str) -> HttpResponse:
    item = visible_request(request, reference)
    _handler(request, item)
    form = PracticeDocumentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            document = packages.add_document(
                item,
                actor=request.user,
                file_name=file.name,
                data=file.read(),
                size=file.size,
                name=form.cleaned_data["name"],
            )
        except packages.DocumentRefused as exc:
            form.add_error(exc.field, str(exc.message))
            status = exc.status
        except REFUSED as exc:
            tell_refused(request, exc, otherwise=NOT_NOW)
            return _back(item)
        else:
            messages.success(request, _("Added to the answer: %(name)s.") % {"name": document.name})
            return _back(item)
    context = {
        "item": item,
        "practice_documents": {"panel": panel(item, request.user), "form": form},
    }
    return render_page(
        request,
        "staff/practice_documents.html",
        context,
        event="request.view",
        item=item,
        status=status,
    )


@staff_required
@require_POST
def remove(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    item = visible_request(request, reference)
    _handler(request, item)
    document = _document(request, item, pk)
    try:
        packages.remove_document(document, actor=request.user)
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=NOT_NOW)
    else:
        messages.success(request, _("Removed from the answer: %(name)s.") % {"name": document.name})
    return _back(item)


@staff_required
def download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """For the handler's check before the release. Logged."""
    item = visible_request(request, reference)
    _handler(request, item)
    document = _document(request, item, pk)
    if document.purged_at is not None:
        raise Http404
    packages.record_download(document, user=request.user, who="practice")
    return document_response(document)


@staff_required
@require_http_methods(["GET", "POST"])
def release(request: HttpRequest, reference: str) -> HttpResponse:
    """The practice's documents alone (no processor's package on its way): as irreversible as a
    package's release, so the same ticked confirmation first."""
    item = visible_request(request, reference)
    _handler(request, item)
    refusal = documents_release_refusal(item)
    if refusal:
        messages.error(request, refusal)
        return _back(item)
    form = ConfirmForm(request.POST if request.method == "POST" else None, label=_(RELEASE_CONFIRM))
    if form.is_valid():
        try:
            count = packages.release_documents(item, actor=request.user)
        except REFUSED as exc:
            tell_refused(request, exc, otherwise=NOT_NOW)
        else:
            messages.success(
                request, _("The patient can now download the documents (%(n)d).") % {"n": count}
            )
        return _back(item)
    context = {
        "item": item,
        "documents": selectors.documents_visible_to(request.user).filter(
            request=item, released_at__isnull=True, purged_at__isnull=True
        ),
        "form": form,
        "action": reverse("staff:documents_release", args=[item.reference]),
        "back_url": reverse("staff:detail", args=[item.reference]),
        "until": timezone.now() + datetime.timedelta(days=settings.PACKAGE_LINK_DAYS),
        "link_days": settings.PACKAGE_LINK_DAYS,
        "retention_days": settings.PACKAGE_RETENTION_DAYS,
    }
    return render_page(
        request,
        "staff/confirm_release_documents.html",
        context,
        event="request.view",
        item=item,
        status=400 if form.is_bound else 200,
    )
