"""What the OpenAPI document says of each operation beyond its schemas: what each status means,
the headers that come with it, and an example of each request and response. The reference page
and the tests read these from the generated document, never from here."""

from django.utils.translation import gettext_noop as _

JSON = "application/json"
ERROR_SCHEMA = {"$ref": "#/components/schemas/Errors"}
REFERENCE = "K7QM-4XPA"
RECEIVED_AT = "2026-03-02T09:14:05.120Z"

# What each refusal means, whichever operation gives it.
REFUSALS = {
    400: _("Bad input: a field, parameter, header or the body is refused; see `errors`."),
    401: _(
        "No valid key: missing, unknown or revoked, or the client is no longer active. The "
        'answer carries `WWW-Authenticate: Bearer realm="api"`.'
    ),
    404: _(
        "No request with this reference among those this client submitted. Another client's "
        "request, or one sent on the web, gets the same answer."
    ),
    413: _("The body is larger than 64 KB."),
    415: _("The body is not JSON (`Content-Type: application/json`)."),
    429: _(
        "Over the client's quota, or too many requests for this e-mail address; "
        "`Retry-After` says after how many seconds to try again."
    ),
}
EXAMPLE_ERRORS = {
    400: {"patient.email": ["Enter a valid email address."]},
    401: {"authorization": ["A valid API key is required."]},
    404: {"reference": ["No request with this reference."]},
    413: {"body": ["The request body is too large."]},
    415: {"body": ["The request body must be JSON (application/json)."]},
    429: {"rate_limit": ["This API client has used its quota; try again later."]},
}
HEADERS = {
    401: {
        "WWW-Authenticate": {
            "description": _("How to authenticate: a bearer key."),
            "schema": {"type": "string"},
            "example": 'Bearer realm="api"',
        }
    },
    429: {
        "Retry-After": {
            "description": _("Seconds until the quota allows the call again."),
            "schema": {"type": "integer", "minimum": 1},
            "example": 42,
        }
    },
}
ANY_OTHER = {
    "description": _(
        "Any other refusal, such as 405 for a method the address does not take (with `Allow`), "
        "in the same error format."
    ),
    "content": {JSON: {"schema": ERROR_SCHEMA}},
}


def _example(summary: str, value) -> dict:
    return {"examples": {"example": {"summary": summary, "value": value}}}


def described(
    *,
    ok: int,
    ok_description: str,
    ok_example=None,
    ok_headers: dict | None = None,
    ok_content: dict | None = None,
    ok_links: dict | None = None,
    refusals: tuple[int, ...] = (),
    conflicts: dict[int, tuple[str, dict]] | None = None,
    request_example=None,
) -> dict:
    """The operation's `openapi_extra`: merged into what Ninja generates from the schemas.
    `refusals` are the usual statuses (REFUSALS); `conflicts` the operation's own, each with
    its description and an example of its errors."""
    responses: dict = {ok: {"description": ok_description}}
    if ok_example is not None:
        responses[ok]["content"] = {JSON: _example(_("A typical answer"), ok_example)}
    if ok_content is not None:
        responses[ok]["content"] = ok_content
    if ok_headers:
        responses[ok]["headers"] = ok_headers
    if ok_links:
        responses[ok]["links"] = ok_links
    own = {status: (REFUSALS[status], EXAMPLE_ERRORS[status]) for status in refusals}
    for status, (description, errors) in (own | (conflicts or {})).items():
        responses[status] = {
            "description": description,
            "content": {JSON: _example(_("The error format"), {"errors": errors})},
        }
        if status in HEADERS:
            responses[status]["headers"] = HEADERS[status]
    responses["default"] = ANY_OTHER
    extra: dict = {"responses": responses}
    if request_example is not None:
        extra["requestBody"] = {"content": {JSON: _example(_("A typical call"), request_example)}}
    return extra


def follow_up(*operation_ids: str) -> dict:
    """OpenAPI links from a stored request to the operations about it: a client (or a test
    tool) knows where to take the reference next."""
    return {
        operation_id: {
            "operationId": operation_id,
            "parameters": {"reference": "$response.body#/reference"},
        }
        for operation_id in operation_ids
    }


# --- Examples ----------------------------------------------------------------------------------
SUBMISSION = {
    "practice": "01234567",
    "kind": "access",
    "patient": {
        "name": "Jan Jansen",
        "birth_date": "1980-05-17",
        "email": "jan@example.com",
        "phone": "0612345678",
        "patient_number": "P-123",
        "bsn": "123456782",
    },
    "description": "Ik wil inzage in mijn gegevens.",
}
SUBMITTED = {"reference": REFERENCE, "state": "received", "received_at": RECEIVED_AT}
STATUS = {
    "reference": REFERENCE,
    "state": "in_review",
    "kind": "access",
    "received_at": RECEIVED_AT,
    "forwarded_at": "2026-03-02T09:14:07.480Z",
    "deadline": "2026-04-02",
    "term_paused": False,
    "duplicate_of": None,
}
HISTORY = {
    "reference": REFERENCE,
    "steps": [
        {
            "at": RECEIVED_AT,
            "event": "submit",
            "text": "We hebben uw verzoek ontvangen",
            "letter": None,
        },
        {
            "at": "2026-03-02T09:14:07.480Z",
            "event": "forward",
            "text": "Uw verzoek is doorgestuurd naar Huisartsenpraktijk De Linde",
            "letter": {"key": "receipt-812", "title": "Ontvangstbevestiging"},
        },
    ],
}
MESSAGE = {
    "id": 311,
    "sender": "practice",
    "sent_at": "2026-03-04T13:02:11.000Z",
    "body": "Wilt u aangeven over welke periode u inzage wilt?",
}
MESSAGES = {
    "reference": REFERENCE,
    "may_write": True,
    "writing_until": None,
    "open_question": {
        "message_id": 311,
        "text": MESSAGE["body"],
        "asked_at": MESSAGE["sent_at"],
        "term_paused": True,
        "reason": "Zonder periode kunnen wij het dossier niet afbakenen.",
    },
    "messages": [MESSAGE],
}
REPLY = {"body": "Graag vanaf januari 2020."}
REPLIED = {
    "reference": REFERENCE,
    "state": "in_review",
    "answered": True,
    "message": {
        "id": 312,
        "sender": "patient",
        "sent_at": "2026-03-04T18:40:00.000Z",
        "body": REPLY["body"],
    },
}
LETTERS = {
    "reference": REFERENCE,
    "letters": [
        {
            "key": "receipt-812",
            "kind": "receipt",
            "title": "Ontvangstbevestiging",
            "date": "2026-03-02",
            "pdf": f"/api/v1/requests/{REFERENCE}/letters/receipt-812",
        }
    ],
}
WITHDRAWN = {"reference": REFERENCE, "state": "withdrawn"}
PACKAGE = {
    "reference": REFERENCE,
    "download_page": f"https://portal.example/track/{REFERENCE}/data/",
    "available_until": "2026-04-20T09:00:00.000Z",
    "data_package": True,
    "documents": 1,
}
