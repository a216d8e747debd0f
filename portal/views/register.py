"""The register of sub-processors for practice staff and their FG: who processes the practice's
patients' data for the processor, where, under which safeguard, and when the practice approved
it (agreement art. 7.1, 3.7). Read-only: approvals are recorded in the admin."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from portal.views.common import staff_required
from requests_app import access, selectors


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
