"""The patient's page about one of their own requests: what happened to it, and who at the
practice or the processor viewed, exported or changed their data (Wabvpz art. 15e, NEN 7513).
What it says is workflows.casework.access_log; the showing is recorded like every patient page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portal.views.audited import shown_to_patient
from portal.views.common import patients_request
from requests_app import selectors
from workflows.casework import access_log as log

CODE_LOGIN = "patient_signin"
# A page a patient reads on a phone without endless scrolling; the rest is on the next pages.
PER_PAGE = 25


# A page to read: any other method is a 405 that neither shows nor records anything.
@require_safe
@login_required(login_url=CODE_LOGIN)
def access_log(request: HttpRequest, reference: str) -> HttpResponse:
    item = patients_request(request, reference)
    paginator = Paginator(selectors.access_records_of_request(item, request.user), PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404 from None
    context = {
        "item": item,
        "steps": log.timeline(item),
        "page": page,
        "lines": log.access_lines(page.object_list, item),
        "processor": settings.PROCESSOR_NAME,
    }
    response = render(request, "patient/access_log.html", context)
    return shown_to_patient(request, response, item=item, page="access_log", number=page.number)
