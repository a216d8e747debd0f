"""The practice's messages to the patient and the patient's replies, read and written through
the app as on the patient's page: the same question, the same rule of who may write until when
(workflows.casework.patients.may_write) and the same business function that sends a reply."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Path, Status

from portal.api import docs
from portal.api.auth import client_of
from portal.api.common import own_request, read_own_request, recorded, router, take_quota
from portal.api.errors import ApiError
from portal.api.schemas import REFERENCE, Errors, MessagesOut, ReplyIn, ReplyOut
from portal.forms.patient import ReplyForm
from requests_app import selectors
from requests_app.models import AuditAction, RequestMessage
from workflows.casework import patients

ReferencePath = Path(..., description=REFERENCE)


def _message(message: RequestMessage) -> dict:
    return {
        "id": message.pk,
        "sender": message.sender,
        "sent_at": message.created_at,
        "body": message.body,
    }


@router.get(
    "/requests/{str:reference}/messages",
    url_name="messages",
    operation_id="listMessages",
    summary=gettext_noop("Read the messages"),
    description=gettext_noop(
        "The practice's messages to the patient and the patient's own, oldest first, as the "
        "patient's page shows them; the question the practice waits for the patient to answer; "
        "and whether (until when) the patient may still write."
    ),
    response={200: MessagesOut, 401: Errors, 404: Errors},
    openapi_extra=docs.described(
        ok=200,
        ok_description=gettext_noop("The messages."),
        ok_example=docs.MESSAGES,
        refusals=(401, 404),
    ),
)
def messages(request: HttpRequest, reference: str = ReferencePath):
    item = read_own_request(request, reference, "api.messages")
    question = patients.open_question(item)
    return {
        "reference": item.reference,
        "may_write": patients.may_write(item),
        "writing_until": patients.writing_until(item),
        "open_question": {
            "message_id": question.message_id,
            "text": question.text,
            "asked_at": question.asked_at,
            "term_paused": question.paused,
            "reason": question.reason,
        }
        if question
        else None,
        "messages": [_message(message) for message in item.messages.all()],
    }


@router.post(
    "/requests/{str:reference}/messages",
    url_name="reply",
    operation_id="sendMessage",
    summary=gettext_noop("Send the patient's message"),
    description=gettext_noop(
        "The patient writes to the practice: while the practice waits for an answer, this is "
        "the answer and the request goes on where it was; otherwise a new message, also for "
        "three months after the decision (the request stays as it is). The handler is told. "
        "Messages count against the client's quota."
    ),
    response={
        201: ReplyOut,
        400: Errors,
        401: Errors,
        404: Errors,
        409: Errors,
        413: Errors,
        415: Errors,
        429: Errors,
    },
    openapi_extra=docs.described(
        ok=201,
        ok_description=gettext_noop("Sent to the practice."),
        ok_example=docs.REPLIED,
        refusals=(400, 401, 404, 413, 415, 429),
        conflicts={
            409: (
                gettext_noop(
                    "The patient may no longer write about this request: no practice has it "
                    "yet, or it ended more than three months ago."
                ),
                {"state": ["The patient can no longer write to the practice about this request."]},
            )
        },
        request_example=docs.REPLY,
    ),
)
def reply(request: HttpRequest, payload: ReplyIn, reference: str = ReferencePath):
    item = own_request(request, reference, "api.reply")
    form = ReplyForm({"body": payload.body})
    if not form.is_valid():
        raise ApiError(400, {name: list(msgs) for name, msgs in form.errors.items()})
    if not patients.may_write(item):
        raise _closed()
    take_quota(client_of(request))
    try:
        sent = patients.reply(
            item, patient=patients.account_for(item.patient_email), body=form.cleaned_data["body"]
        )
    except patients.WritingClosed:
        raise _closed() from None
    recorded(request, item, "api.reply", AuditAction.CREATE, message=sent.message.pk)
    # An answer to the practice's question moved the request on.
    item = selectors.requests_of_api_client(client_of(request)).get(pk=item.pk)
    answer = {
        "reference": item.reference,
        "state": item.state,
        "answered": sent.answered,
        "message": _message(sent.message),
    }
    return Status(201, answer)


def _closed() -> ApiError:
    return ApiError(
        409, {"state": [_("The patient can no longer write to the practice about this request.")]}
    )
