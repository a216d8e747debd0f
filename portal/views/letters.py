"""Letters to the patient, as a page and as a PDF: for the signed-in patient of the request, and
for staff of its practice. Which letters a request has, and what they say, is
workflows.casework.letters; every showing is recorded through portal.views.audited."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.views.audited import shown, shown_to_patient
from portal.views.common import fetch_or_404, not_found, patients_request, staff_required
from requests_app import selectors
from requests_app.models import Request
from workflows.casework import letters

CODE_LOGIN = "patient_signin"


def _letter(request: HttpRequest, item: Request, key: str, event: str) -> letters.Letter:
    """The request's letter `key`; no such letter is a denied look, like another request."""
    letter = letters.letter_of(item, key)
    if letter is None:
        not_found(request, event, "request", item.reference)
    return letter


def _page(
    request: HttpRequest, letter: letters.Letter, *, back_url: str, back_label: str, pdf_url: str
) -> HttpResponse:
    return render(
        request,
        "letters/page.html",
        {
            "letter": letter,
            "item": letter.item,
            "back_url": back_url,
            "back_label": back_label,
            "pdf_url": pdf_url,
            "portal_url": settings.PORTAL_BASE_URL,
        },
    )


def _pdf(letter: letters.Letter) -> HttpResponse:
    response = HttpResponse(letters.render_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letters.pdf_filename(letter)}"'
    return response


# --- The patient -------------------------------------------------------------------------------
def _patients_letter(request: HttpRequest, reference: str, key: str) -> letters.Letter:
    item = patients_request(request, reference)
    return _letter(request, item, key, "patient.view")


@login_required(login_url=CODE_LOGIN)
def patient_letter(request: HttpRequest, reference: str, key: str) -> HttpResponse:
    letter = _patients_letter(request, reference, key)
    response = _page(
        request,
        letter,
        back_url=reverse("patient:track"),
        back_label=_("Back to my requests"),
        pdf_url=reverse("patient:letter_pdf", args=[reference, key]),
    )
    return shown_to_patient(request, response, item=letter.item, page="letter", letter=key)


@login_required(login_url=CODE_LOGIN)
def patient_letter_pdf(request: HttpRequest, reference: str, key: str) -> HttpResponse:
    letter = _patients_letter(request, reference, key)
    return shown_to_patient(request, _pdf(letter), item=letter.item, page="letter_pdf", letter=key)


# --- Staff of the request's practice ------------------------------------------------------------
def _practice_letter(request: HttpRequest, reference: str, key: str) -> letters.Letter:
    # The practice's own requests only: processor support routes requests but sends no letters.
    item = fetch_or_404(
        request,
        selectors.practice_queue(request.user),
        event="request.view",
        object_type="request",
        object_id=reference,
        reference=reference,
    )
    return _letter(request, item, key, "request.view")


@staff_required
def staff_letter(request: HttpRequest, reference: str, key: str) -> HttpResponse:
    letter = _practice_letter(request, reference, key)
    response = _page(
        request,
        letter,
        back_url=reverse("staff:detail", args=[reference]),
        back_label=_("Back to the request"),
        pdf_url=reverse("staff:letter_pdf", args=[reference, key]),
    )
    return shown(
        request,
        response,
        event="letter.view",
        item=letter.item,
        details={"letter": key},
    )


@staff_required
def staff_letter_pdf(request: HttpRequest, reference: str, key: str) -> HttpResponse:
    letter = _practice_letter(request, reference, key)
    return shown(
        request,
        _pdf(letter),
        event="letter.pdf",
        item=letter.item,
        details={"letter": key},
    )
