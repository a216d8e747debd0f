"""What the API takes and gives, as typed schemas: the OpenAPI document is generated from these.
Every description is English source text marked for translation, so the reference page reads
it in Dutch (portal/api/reference.py); states, kinds and steps are enums whose every value is
described (`x-enumDescriptions`)."""

import datetime
import enum

from django.utils.translation import gettext_noop as _
from ninja import Field, Schema
from pydantic import BaseModel, StrictBool, StrictStr

from requests_app.models import RequestKind, RequestState, Sender
from workflows.casework import access_log, letters

S = RequestState
STATES = {
    S.RECEIVED: _("Stored; being forwarded to the practice."),
    S.UNROUTED: _(
        "Stored without a known practice: processor support finds the practice and forwards it."
    ),
    S.FORWARDED: _("Forwarded to the practice, not yet taken up."),
    S.IN_REVIEW: _("The practice is handling it (acknowledged)."),
    S.AWAITING_PATIENT: _(
        "The practice waits for the patient's answer to its question (see the messages)."
    ),
    S.AWAITING_FEE: _("The practice asks a fee before it handles the request (GDPR art. 12(5))."),
    S.IN_PROGRESS: _("The practice is handling it; the patient's identity is verified."),
    S.GRANTED: _("Decided: granted."),
    S.PARTIALLY_GRANTED: _("Decided: partly granted (the letter gives the legal ground)."),
    S.REFUSED: _("Decided: refused (the letter gives the legal ground)."),
    S.FULFILLED: _("Carried out."),
    S.ACKNOWLEDGED: _("A complaint the practice has acknowledged."),
    S.INVESTIGATING: _("A complaint the practice is investigating."),
    S.DECIDED: _("A complaint the practice has decided on."),
    S.CLOSED: _("Closed."),
    S.WITHDRAWN: _("Withdrawn by the patient."),
    S.MERGED: _(
        "Added to the patient's earlier open request for the same thing (see duplicate_of)."
    ),
}
KINDS = {
    RequestKind.ACCESS: _("Access to the personal data (GDPR art. 15)."),
    RequestKind.RECTIFICATION: _("Rectification of wrong or incomplete data (GDPR art. 16)."),
    RequestKind.ERASURE: _("Erasure of personal data (GDPR art. 17)."),
    RequestKind.RESTRICTION: _("Restriction of processing (GDPR art. 18)."),
    RequestKind.PORTABILITY: _("Data portability (GDPR art. 20)."),
    RequestKind.OBJECTION: _("Objection to processing (GDPR art. 21)."),
    RequestKind.DESTRUCTION: _(
        "Destruction of the medical file (Civil Code art. 7:455); final once carried out."
    ),
    RequestKind.COMPLAINT: _("A complaint, handled under the practice's Wkkgz procedure."),
}
STEPS = {
    "submit": _("The request was received."),
    "hold_unrouted": _("Processor support is finding the practice."),
    "forward": _("The request was forwarded to the practice."),
    "acknowledge": _("The practice confirmed it is handling the request."),
    "verify_identity": _("The practice checked the patient's identity."),
    "ask_patient": _("The practice asked the patient a question."),
    "resume": _("The practice continued handling the request."),
    "extend": _("The practice took more time to answer."),
    "charge_fee": _("The practice asked a fee."),
    "record_fee_paid": _("The practice received the fee."),
    "waive_fee": _("The practice waived the fee."),
    "investigate": _("The practice started investigating the complaint."),
    "grant": _("Decision: granted."),
    "grant_partially": _("Decision: partly granted."),
    "refuse": _("Decision: refused."),
    "decide_complaint": _("The practice decided on the complaint."),
    "documents_released": _("The practice made documents available to download."),
    "fulfil": _("The request was carried out."),
    "close": _("The request was closed."),
    "withdraw": _("The patient withdrew the request."),
    "merge": _("The request was added to the patient's earlier request for the same thing."),
    "duplicate_merged": _("A later request for the same thing was added to this one."),
    "duplicate_kept": _("The practice handles this request separately from an earlier one."),
    access_log.MESSAGE_FROM_PRACTICE: _("A message from the practice."),
    access_log.MESSAGE_FROM_PATIENT: _("A message from the patient."),
    access_log.DATA_RELEASED: _("The patient's data are ready to download."),
}
LETTER_KINDS = {
    "receipt": _("Confirmation of receipt."),
    "complaint_receipt": _("Confirmation of receipt of a complaint."),
    "extension": _("Extension of the term, with its reasons."),
    "information": _("Request for information: the practice's question."),
    "grant": _("Decision: granted."),
    "partial_grant": _("Decision: partly granted, with the legal ground and the remedies."),
    "refusal": _("Decision: refused, with the legal ground and the remedies."),
    "complaint_decision": _("Decision on a complaint."),
    "fee": _("The fee asked for the request (GDPR art. 12(5))."),
    "carried_out": _("The request has been carried out."),
}
SENDERS = {
    Sender.PRACTICE: _("The practice wrote it."),
    Sender.PATIENT: _("The patient wrote it (on the web or through the app)."),
}


def _documented(name: str, values: list[str], meanings: dict, description: str):
    """A string enum whose JSON schema says what each value means."""
    documented = enum.StrEnum(name, {value.upper(): value for value in values})

    def json_schema(cls, core_schema, handler):
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["description"] = description
        schema["x-enumDescriptions"] = {value: meanings[value] for value in values}
        return schema

    documented.__get_pydantic_json_schema__ = classmethod(json_schema)
    return documented


State = _documented(
    "State", RequestState.values, STATES, _("Where the request is in its lifecycle.")
)
Kind = _documented("Kind", RequestKind.values, KINDS, _("What the patient asks."))
HistoryEvent = _documented(
    "HistoryEvent", list(access_log.STEP_EVENTS), STEPS, _("What kind of step this was.")
)
LetterKind = _documented(
    "LetterKind", list(letters.LETTERS), LETTER_KINDS, _("Which letter this is.")
)
MessageSender = _documented("MessageSender", Sender.values, SENDERS, _("Who wrote the message."))

REFERENCE = _("The request's reference, as the portal gave it (e.g. K7QM-4XPA).")


# --- Errors ------------------------------------------------------------------------------------
class Errors(Schema):
    errors: dict[str, list[str]] = Field(
        description=_(
            "Per field (`patient.email`), parameter or header (`Idempotency-Key`), or part of "
            "the call (`body`, `authorization`, `rate_limit`, `reference`, `state`), the "
            "reasons it was refused, in the language of Accept-Language (Dutch by default). "
            "Nothing was stored or changed."
        )
    )


# --- Submitting --------------------------------------------------------------------------------
class Input(BaseModel):
    """What a client sends: plain pydantic, so an object is only ever a JSON object (a Ninja
    Schema would read any value's attributes)."""


class PatientIn(Input):
    name: StrictStr = Field(
        max_length=200,
        description=_("Full name; no invisible or direction-changing characters."),
    )
    birth_date: StrictStr = Field(
        json_schema_extra={"format": "date"},
        description=_("Date of birth, YYYY-MM-DD; not in the future."),
    )
    email: StrictStr = Field(
        max_length=254,
        json_schema_extra={"format": "email"},
        description=_(
            "E-mail address: the patient signs in with codes sent here and receives the "
            "portal's e-mails. Stored in its canonical form."
        ),
    )
    phone: StrictStr | None = Field(
        None,
        max_length=20,
        description=_(
            "Mobile number (Dutch or international); for the SMS code before a download."
        ),
    )
    patient_number: StrictStr | None = Field(
        None, max_length=50, description=_("The patient's number at the practice, if known.")
    )
    bsn: StrictStr | None = Field(
        None,
        max_length=9,
        description=_(
            "Citizen service number (BSN), checked with the 11-test; never shown in full."
        ),
    )


class SubmissionIn(Input):
    practice: StrictStr | None = Field(
        None,
        max_length=8,
        description=_(
            "The practice's AGB code (8 digits). Leave it out when the app does not know the "
            "practice: give practice_given instead, and processor support routes the request."
        ),
    )
    practice_given: StrictStr | None = Field(
        None,
        max_length=300,
        description=_(
            "Without an AGB code: the practice's name and town as the patient gave them."
        ),
    )
    kind: Kind
    patient: PatientIn = Field(description=_("The patient the request is about."))
    description: StrictStr = Field(
        max_length=5000,
        description=_("The request in the patient's words; no medical details."),
    )
    about_processor: StrictBool = Field(
        False,
        description=_(
            "True when the request is about how the app itself (the processor) handles the "
            "patient's data; the practice handles it like any other."
        ),
    )


class SubmittedOut(Schema):
    reference: str = Field(description=REFERENCE)
    state: State
    received_at: datetime.datetime = Field(
        description=_("When the portal received it; the legal term runs from here.")
    )


# --- Reading -----------------------------------------------------------------------------------
class StatusOut(Schema):
    reference: str = Field(description=REFERENCE)
    state: State
    kind: Kind
    received_at: datetime.datetime = Field(description=_("When the portal received it."))
    forwarded_at: datetime.datetime | None = Field(
        description=_("When it was forwarded to the practice; null before that.")
    )
    deadline: datetime.date | None = Field(
        description=_(
            "The day by which the practice answers, as the patient's page shows it: while the "
            "request is open and its term runs; null otherwise."
        )
    )
    term_paused: bool = Field(
        description=_(
            "Whether the legal term stands still while the practice waits for the patient's "
            "answer or a fee; the deadline then moves on by the days waited."
        )
    )
    duplicate_of: str | None = Field(
        description=_(
            "The reference of the same patient's earlier open request of the same kind this "
            "one is linked to as a possible duplicate, or was merged into; null otherwise, and "
            "null when that request did not come from this client."
        )
    )


class LetterRef(Schema):
    key: str = Field(description=_("The letter's key within its request."))
    title: str = Field(description=_("The letter's title, in the language asked for."))


class HistoryStep(Schema):
    at: datetime.datetime = Field(description=_("When it happened."))
    event: HistoryEvent
    text: str = Field(
        description=_("What happened, in the words the patient's page uses (Accept-Language).")
    )
    letter: LetterRef | None = Field(description=_("The letter about this step, if there is one."))


class HistoryOut(Schema):
    reference: str = Field(description=REFERENCE)
    steps: list[HistoryStep] = Field(
        description=_(
            "What happened to the request that the patient may know, oldest first: the same "
            "history the patient's own page shows, never a staff-internal step."
        )
    )


class MessageOut(Schema):
    id: int = Field(description=_("The message's number."))
    sender: MessageSender
    sent_at: datetime.datetime = Field(description=_("When it was written."))
    body: str = Field(description=_("The text."))


class QuestionOut(Schema):
    message_id: int | None = Field(description=_("The practice's message that asks it."))
    text: str = Field(description=_("The question."))
    asked_at: datetime.datetime = Field(description=_("When it was asked."))
    term_paused: bool = Field(
        description=_("Whether the legal term stands still until the patient answers.")
    )
    reason: str = Field(
        description=_("Why the practice needs the answer (when the term stands still).")
    )


class MessagesOut(Schema):
    reference: str = Field(description=REFERENCE)
    may_write: bool = Field(
        description=_(
            "Whether the patient may write to the practice now: while the request is open and "
            "for three months after its end; never before a practice has it."
        )
    )
    writing_until: datetime.date | None = Field(
        description=_("After the request's end: the last day the patient may write.")
    )
    open_question: QuestionOut | None = Field(
        description=_("The question the practice waits for the patient to answer, if any.")
    )
    messages: list[MessageOut] = Field(description=_("Both ways, oldest first."))


class ReplyIn(Input):
    body: StrictStr = Field(
        min_length=1,
        max_length=5000,
        description=_(
            "The patient's message (an answer while the practice waits for one); no medical "
            "details."
        ),
    )


class ReplyOut(Schema):
    reference: str = Field(description=REFERENCE)
    state: State
    answered: bool = Field(
        description=_(
            "True when the message answered the practice's question: the request goes on "
            "where it was."
        )
    )
    message: MessageOut


class LetterOut(Schema):
    key: str = Field(description=_("The letter's key within its request."))
    kind: LetterKind
    title: str = Field(description=_("The letter's title, in the language asked for."))
    date: datetime.date = Field(description=_("The letter's date."))
    pdf: str = Field(description=_("The API's address of the letter as a PDF."))


class LettersOut(Schema):
    reference: str = Field(description=REFERENCE)
    letters: list[LetterOut] = Field(
        description=_(
            "The letters the patient may read, oldest first, as the patient's page lists them."
        )
    )


class WithdrawnOut(Schema):
    reference: str = Field(description=REFERENCE)
    state: State


class PackageOut(Schema):
    reference: str = Field(description=REFERENCE)
    download_page: str = Field(
        json_schema_extra={"format": "uri"},
        description=_(
            "The portal's page where the patient signs in, confirms a code sent by SMS and "
            "downloads. The data themselves never pass through the API."
        ),
    )
    available_until: datetime.datetime = Field(
        description=_("Until when the download works; the file is removed later.")
    )
    data_package: bool = Field(
        description=_("Whether the processor's data package (app data) is among what was released.")
    )
    documents: int = Field(description=_("How many of the practice's own documents were released."))
