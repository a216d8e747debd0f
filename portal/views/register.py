"""The registers for the practice: its sub-processors and its approvals (agreement art. 7.1,
3.7), and the processor's register of processing activities for it (GDPR art. 30(2); agreement
art. 3.5), as a printable page, a JSON file and a CSV file. The FG and the practice
administrator receive their own practice's register; processor support picks any practice.
Every copy is audit-logged; another practice's register is a 404 and the look is recorded."""

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET

from portal.forms.register import PracticeChoiceForm
from portal.views.common import fetch_or_404, staff_required
from requests_app import access, selectors
from requests_app.roles import Capability
from workflows.register import processing


@require_GET
@staff_required
def subprocessors(request: HttpRequest) -> HttpResponse:
    if not access.is_practice_staff(request.user):
        raise PermissionDenied  # the processor keeps the register in the admin
    return render(
        request,
        "staff/subprocessors.html",
        {
            "register": selectors.subprocessor_register(request.user),
            "language": translation.get_language(),
        },
    )


@require_GET
@staff_required
def processing_register_start(request: HttpRequest) -> HttpResponse:
    """Support picks a practice; a practice's FG or administrator goes to its own register."""
    practices = selectors.register_practices_of(request.user)
    if access.is_processor_support(request.user):
        form = PracticeChoiceForm(request.GET or None)
        if form.is_valid():
            return redirect("staff:processing_register", pk=form.cleaned_data["practice"].pk)
        return render(request, "staff/processing_register_pick.html", {"form": form})
    mine = list(practices.order_by("name"))
    if not mine:
        raise PermissionDenied
    if len(mine) == 1:
        return redirect("staff:processing_register", pk=mine[0].pk)
    return render(request, "staff/processing_register_pick.html", {"practices": mine})


def _practice(request: HttpRequest, pk: int):
    if not (
        access.is_processor_support(request.user)
        or access.practices_where(request.user, Capability.READ_PROCESSING_REGISTER)
    ):
        raise PermissionDenied
    return fetch_or_404(
        request,
        selectors.register_practices_of(request.user),
        event="register.export",
        object_type="processing_register",
        object_id=str(pk),
        pk=pk,
    )


@require_GET
@staff_required
def processing_register(request: HttpRequest, pk: int) -> HttpResponse:
    practice = _practice(request, pk)
    language = translation.get_language()
    document = processing.build(practice)
    processing.record_export(practice, actor=request.user, fmt="page", language=language)
    return render(
        request,
        "staff/processing_register.html",
        {"practice": practice, "register": processing.localised(document, language)},
    )


@require_GET
@staff_required
def processing_register_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    # Whose register first: a look at another practice's is recorded whatever the format asked.
    practice = _practice(request, pk)
    if fmt not in ("json", "csv"):
        raise Http404
    language = translation.get_language()
    document = processing.build(practice)
    processing.record_export(practice, actor=request.user, fmt=fmt, language=language)
    if fmt == "json":
        body = json.dumps(document, ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    else:
        body = processing.csv_text(document, language)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    name = f"register-of-processing-{practice.agb_code}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
