"""Submitting a request: the web form's rules (portal/forms/api.py) and intake's one path
(workflows.intake.submission), with an Idempotency-Key for retries, the client's quota and the
limit per e-mail address. Without a practice code the request goes to processor support's
unrouted queue, as the web form's "my practice is not listed" does."""

import hashlib
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Header, Status

from portal.api import docs
from portal.api.auth import client_of
from portal.api.body import parse
from portal.api.common import router, take_quota
from portal.api.errors import UNSTORABLE, ApiError
from portal.api.schemas import Errors, SubmissionIn, SubmittedOut
from portal.forms.api import ApiIntakeForm
from requests_app import selectors
from workflows import counters
from workflows.intake import submission as intake

PATIENT_FIELDS = ("name", "birth_date", "email", "phone", "patient_number", "bsn")
IDEMPOTENCY_KEY_MAX = 200


def _field(name: str) -> str:
    return f"patient.{name}" if name in PATIENT_FIELDS else name


@router.post(
    "/requests",
    url_name="create",
    operation_id="submitRequest",
    summary=gettext_noop("Submit a request"),
    description=gettext_noop(
        "Stores the patient's request and forwards it to the practice at once (with only a "
        "reference and a sign-in link); the patient gets a receipt by e-mail. Without `practice` "
        "(the app does not know the practice), give `practice_given`: the request waits for "
        "processor support, who finds the practice. A retry with the same `Idempotency-Key` "
        "and the same body returns the first request (`Idempotent-Replayed: true`) and does "
        "not count against the quota. Submissions count against the client's quota and the "
        "limit per e-mail address."
    ),
    response={
        201: SubmittedOut,
        400: Errors,
        401: Errors,
        409: Errors,
        413: Errors,
        415: Errors,
        429: Errors,
    },
    openapi_extra=docs.described(
        ok=201,
        ok_description=gettext_noop("Stored (or, for a retry, stored before)."),
        ok_example=docs.SUBMITTED,
        ok_headers={
            "Idempotent-Replayed": {
                "description": gettext_noop(
                    "`true` when this answers a retry: the request was stored by an earlier "
                    "call with the same Idempotency-Key."
                ),
                "schema": {"type": "string", "enum": ["true"]},
            }
        },
        ok_links=docs.follow_up(
            "getRequestStatus",
            "getRequestHistory",
            "listMessages",
            "sendMessage",
            "listLetters",
            "withdrawRequest",
            "getPackageLink",
        ),
        refusals=(400, 401, 413, 415, 429),
        conflicts={
            409: (
                gettext_noop("The Idempotency-Key was used before for a different request."),
                {"Idempotency-Key": ["This key was already used for a different request."]},
            )
        },
        request_example=docs.SUBMISSION,
    ),
)
def submit(
    request: HttpRequest,
    response: HttpResponse,
    payload: SubmissionIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX,
        description=gettext_noop(
            "Any unique string per submission (a UUID). A retry with the same key returns the "
            "first request instead of storing a second."
        ),
    ),
):
    client = client_of(request)
    key = (idempotency_key or "").strip()
    if not key.isprintable():
        raise ApiError(400, {"Idempotency-Key": [str(UNSTORABLE)]})
    data = payload.model_dump(exclude_none=True)
    form = ApiIntakeForm({**data.pop("patient"), **data})
    if not form.is_valid():
        raise ApiError(400, {_field(name): list(msgs) for name, msgs in form.errors.items()})
    submission = form.submission()
    replay = key and selectors.request_by_idempotency_key(client, key) is not None
    if not replay:
        take_quota(client)
        if not counters.allow(
            "intake-email",
            submission.patient.email,
            limit=settings.INTAKE_LIMIT_PER_EMAIL,
            window_seconds=60 * 60,
        ):
            raise ApiError(
                429,
                {"rate_limit": [_("Too many requests for this e-mail address; try again later.")]},
                {"Retry-After": "3600"},
            )
    # The body as the client sent it: a retry must send the same.
    raw = json.dumps(parse(request.body), sort_keys=True)
    try:
        item, created = intake.submit_from_api(
            api_client=client,
            idempotency_key=key or None,
            fingerprint=hashlib.sha256(raw.encode()).hexdigest(),
            submission=submission,
        )
    except intake.IdempotencyConflict:
        raise ApiError(
            409, {"Idempotency-Key": [_("This key was already used for a different request.")]}
        ) from None
    if not created:
        response["Idempotent-Replayed"] = "true"
    answer = {"reference": item.reference, "state": item.state, "received_at": item.received_at}
    return Status(201, answer)
