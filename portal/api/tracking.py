"""Following a request the client submitted: its status, its history as the patient reads it,
its letters (each as a PDF) and where a released answer can be downloaded. Each read is in the
audit log under the client's name; another client's request is a 404."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Path

from portal.api import docs
from portal.api.common import own_request, read_own_request, recorded, router
from portal.api.errors import ApiError
from portal.api.schemas import (
    REFERENCE,
    Errors,
    HistoryOut,
    LettersOut,
    PackageOut,
    StatusOut,
)
from requests_app import selectors
from requests_app.models import Request
from workflows.casework import access_log, letters, patients

ReferencePath = Path(..., description=REFERENCE)


def duplicate_of(item: Request) -> str | None:
    """The reference of the request this one is linked to as a possible duplicate (or was
    merged into); None when there is none. Only a request the same client submitted is named:
    another's reference (from the web form or another app) would tell this client of a request
    it did not make, and is a handle to that request."""
    first = item.duplicate_of
    if first is None or first.api_client_id is None or first.api_client_id != item.api_client_id:
        return None
    return first.reference


@router.get(
    "/requests/{str:reference}",
    url_name="status",
    operation_id="getRequestStatus",
    summary=gettext_noop("Read a request's status"),
    description=gettext_noop(
        "Where the request is now: its state, when it was received and forwarded, the deadline "
        "as the patient's page shows it, and the earlier request it may duplicate."
    ),
    response={200: StatusOut, 401: Errors, 404: Errors},
    openapi_extra=docs.described(
        ok=200,
        ok_description=gettext_noop("The request's status."),
        ok_example=docs.STATUS,
        refusals=(401, 404),
    ),
)
def status(request: HttpRequest, reference: str = ReferencePath):
    item = read_own_request(request, reference, "request.status")
    paused = patients.term_paused(item)
    return {
        "reference": item.reference,
        "state": item.state,
        "kind": item.kind,
        "received_at": item.received_at,
        "forwarded_at": item.forwarded_at,
        "deadline": item.response_due if item.is_open and not paused else None,
        "term_paused": paused,
        "duplicate_of": duplicate_of(item),
    }


@router.get(
    "/requests/{str:reference}/history",
    url_name="history",
    operation_id="getRequestHistory",
    summary=gettext_noop("Read a request's history"),
    description=gettext_noop(
        "What happened to the request, oldest first, exactly as the patient's own page tells "
        "it: its steps, the messages both ways, the release of the patient's data, and the "
        "letter about each step. Staff's internal steps are never in it."
    ),
    response={200: HistoryOut, 401: Errors, 404: Errors},
    openapi_extra=docs.described(
        ok=200,
        ok_description=gettext_noop("The history."),
        ok_example=docs.HISTORY,
        refusals=(401, 404),
    ),
)
def history(request: HttpRequest, reference: str = ReferencePath):
    item = read_own_request(request, reference, "api.history")
    steps = [
        {
            "at": step.at,
            "event": step.event,
            "text": step.text,
            "letter": {"key": step.letter_key, "title": str(step.letter_title)}
            if step.letter_key
            else None,
        }
        for step in access_log.timeline(item)
    ]
    return {"reference": item.reference, "steps": steps}


@router.get(
    "/requests/{str:reference}/letters",
    url_name="letters",
    operation_id="listLetters",
    summary=gettext_noop("List a request's letters"),
    description=gettext_noop(
        "The letters the patient may read, as the patient's page lists them: the receipt, an "
        "extension, a question, the decision and more. A request not yet with a practice has "
        "none."
    ),
    response={200: LettersOut, 401: Errors, 404: Errors},
    openapi_extra=docs.described(
        ok=200,
        ok_description=gettext_noop("The letters."),
        ok_example=docs.LETTERS,
        ok_links={
            "getLetterPdf": {
                "operationId": "getLetterPdf",
                "parameters": {
                    "reference": "$response.body#/reference",
                    "key": "$response.body#/letters/0/key",
                },
            }
        },
        refusals=(401, 404),
    ),
)
def letter_list(request: HttpRequest, reference: str = ReferencePath):
    item = read_own_request(request, reference, "api.letters")
    found = [
        {
            "key": letter.key,
            "kind": letter.name,
            "title": str(letter.title),
            "date": letter.date,
            "pdf": reverse("api:letter", args=[item.reference, letter.key]),
        }
        for letter in letters.letters_of(item)
    ]
    return {"reference": item.reference, "letters": found}


@router.get(
    "/requests/{str:reference}/letters/{str:key}",
    url_name="letter",
    operation_id="getLetterPdf",
    summary=gettext_noop("Download a letter as PDF"),
    description=gettext_noop(
        "One of the request's letters (its key from the list of letters) as the PDF the "
        "patient downloads from their page, in the patient's language."
    ),
    response={200: None, 401: Errors, 404: Errors},
    openapi_extra=docs.described(
        ok=200,
        ok_description=gettext_noop("The letter as a PDF."),
        ok_content={
            "application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}
        },
        ok_headers={
            "Content-Disposition": {
                "description": gettext_noop("The file's name: reference and kind of letter."),
                "schema": {"type": "string"},
                "example": 'attachment; filename="K7QM-4XPA-receipt.pdf"',
            }
        },
        refusals=(401,),
        conflicts={
            404: (
                gettext_noop(
                    "No request with this reference among this client's, or no letter with "
                    "this key."
                ),
                {"letter": ["No letter with this key."]},
            )
        },
    ),
)
def letter_pdf(
    request: HttpRequest,
    reference: str = ReferencePath,
    key: str = Path(..., description=gettext_noop("The letter's key, from the list of letters.")),
):
    item = own_request(request, reference, "api.letter_pdf")
    letter = letters.letter_of(item, key)
    if letter is None:
        raise ApiError(404, {"letter": [_("No letter with this key.")]})
    response = HttpResponse(letters.render_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letters.pdf_filename(letter)}"'
    recorded(request, item, "api.letter_pdf", letter=letter.key)
    return response


@router.get(
    "/requests/{str:reference}/package",
    url_name="package",
    operation_id="getPackageLink",
    summary=gettext_noop("Find where the patient downloads their data"),
    description=gettext_noop(
        "When the practice has released the answer to an access or portability request (the "
        "processor's data package, the practice's own documents): the portal's page where the "
        "patient signs in, confirms a code sent by SMS and downloads it. The data themselves "
        "never pass through the API."
    ),
    response={200: PackageOut, 401: Errors, 404: Errors, 409: Errors},
    openapi_extra=docs.described(
        ok=200,
        ok_description=gettext_noop("Where to download, and until when."),
        ok_example=docs.PACKAGE,
        refusals=(401, 404),
        conflicts={
            409: (
                gettext_noop(
                    "Nothing to download: nothing has been released to the patient for this "
                    "request (yet), or its download period has ended (the patient can ask the "
                    "practice)."
                ),
                {"package": ["Nothing has been released to the patient for this request."]},
            ),
        },
    ),
)
def package(request: HttpRequest, reference: str = ReferencePath):
    item = own_request(request, reference, "api.package")
    data_package, documents = selectors.released_answer_of(item)
    released = [part for part in (data_package, *documents) if part is not None]
    # The request is there; there is nothing (any more) to fetch for it: a conflict with its
    # state, not an unknown address (404 always means no such request of this client).
    if not released:
        raise ApiError(
            409, {"package": [_("Nothing has been released to the patient for this request.")]}
        )
    downloadable = [part for part in released if part.downloadable]
    if not downloadable:
        raise ApiError(
            409,
            {"package": [_("The download period has ended; the patient can ask the practice.")]},
        )
    recorded(request, item, "api.package")
    page = reverse("patient:package", args=[item.reference])
    return {
        "reference": item.reference,
        "download_page": settings.PORTAL_BASE_URL.rstrip("/") + page,
        "available_until": max(part.link_expires_at for part in downloadable),
        "data_package": data_package is not None and data_package.downloadable,
        "documents": sum(1 for document in documents if document.downloadable),
    }
