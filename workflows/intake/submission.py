"""Taking in a patient's request: from the web form (after an e-mail code) or the app's API."""

import dataclasses
import datetime
import enum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop as _

from requests_app import selectors
from requests_app.errors import DomainError
from requests_app.lifecycle import perform_transition
from requests_app.models import (
    ApiClient,
    AuditAction,
    Channel,
    PendingSubmission,
    Practice,
    Request,
)
from requests_app.models.intake import DRAFT_TTL, CodeCheck
from requests_app.timeline import log_event
from requests_app.validators import canonical_email, has_mailbox
from workflows import counters
from workflows.casework import deadlines, duplicates, incidents, patients
from workflows.intake import forwarding
from workflows.messaging import outbox
from workflows.models import Medium, Purpose

# A patient may ask for a new code this many times for one submission.
MAX_CODES_PER_SUBMISSION = 5


@dataclasses.dataclass(frozen=True)
class PatientDetails:
    name: str
    birth_date: datetime.date
    email: str
    phone: str = ""
    patient_number: str = ""
    bsn: str = ""
    postal_address: str = ""  # for letters, when the practice answers by post

    def __post_init__(self):
        # One form for every address, however it arrived (see canonical_email).
        object.__setattr__(self, "email", canonical_email(self.email))


@dataclasses.dataclass(frozen=True)
class Submission:
    """A request as the patient gave it: the one shape both intake routes build (the web form
    and the app's API), and what the web draft keeps until its e-mail code is confirmed."""

    practice: Practice | None
    kind: str
    patient: PatientDetails
    description: str
    practice_given: str = ""  # as typed, when the patient could not find their practice
    about_processor: bool = False

    def to_draft(self) -> dict:
        """The draft's JSON. The address has its own column on the draft; a BSN never goes in
        (the draft is not encrypted, and web intake never asks for it)."""
        if self.patient.bsn:
            raise ValueError("a web draft never holds a BSN")
        return {
            "practice_id": self.practice.pk if self.practice else None,
            "practice_given": self.practice_given,
            "kind": self.kind,
            "name": self.patient.name,
            "birth_date": self.patient.birth_date.isoformat(),
            "phone": self.patient.phone,
            "patient_number": self.patient.patient_number,
            "description": self.description,
            "about_processor": self.about_processor,
        }

    @classmethod
    def from_draft(cls, data: dict, *, email: str) -> "Submission":
        return cls(
            practice=Practice.objects.filter(pk=data.get("practice_id")).first(),
            practice_given=data.get("practice_given", ""),
            kind=data["kind"],
            patient=PatientDetails(
                name=data["name"],
                birth_date=datetime.date.fromisoformat(data["birth_date"]),
                email=email,
                phone=data.get("phone", ""),
                patient_number=data.get("patient_number", ""),
            ),
            description=data["description"],
            about_processor=data.get("about_processor", False),
        )


def submit_request(
    *,
    submission: Submission,
    channel: Channel,
    language: str = "nl",
    api_client: ApiClient | None = None,
    idempotency_key: str | None = None,
    idempotency_fingerprint: str = "",
    received_at: datetime.datetime | None = None,
    entered_by=None,
) -> Request:
    """Store a request with its first event and its outbox rows, in one transaction.

    A request for an active practice is queued for forwarding at once; any other goes to
    processor support as 'unrouted'. A request the practice's staff entered (`entered_by`, with
    the moment it was received: workflows.intake.staff_entry) is forwarded at once, since the
    practice has it already, and its history names who entered it.
    """
    practice, patient = submission.practice, submission.patient
    received_at = received_at or timezone.now()
    with transaction.atomic():
        # The patient's sign-in account (harmless if unused), in the same transaction: a
        # submission that fails leaves no account behind. Without an address: no account.
        if has_mailbox(patient.email):
            patients.account_for(patient.email)
        request = Request.objects.create(
            kind=submission.kind,
            practice=practice if practice is not None and practice.active else None,
            practice_given=submission.practice_given or (str(practice) if practice else ""),
            patient_name=patient.name,
            patient_birth_date=patient.birth_date,
            patient_email=patient.email,
            patient_phone=patient.phone,
            patient_number=patient.patient_number,
            postal_address=patient.postal_address,
            bsn=patient.bsn,
            description=submission.description,
            channel=channel,
            language=language,
            api_client=api_client,
            idempotency_key=idempotency_key,
            idempotency_fingerprint=idempotency_fingerprint,
            received_at=received_at,
            about_processor=submission.about_processor,
            response_due=deadlines.response_due(submission.kind, received_at),
        )
        # Before the first audit record (see hold_match): the request it may duplicate.
        match = duplicates.hold_match(request)
        if submission.about_processor:
            incidents.open_for(request)
        routed = request.practice_id is not None
        messages = forwarding.practice_messages(request) if routed and not entered_by else []
        receipt = outbox.message(
            purpose=Purpose.PATIENT_RECEIPT,
            medium=Medium.EMAIL,
            recipient=patient.email,
            template="patient_receipt",
            language=language,
            request=request,
            # The kind: a destruction's receipt says that destruction is final, a complaint's how
            # it is handled; unrouted: support finds the practice first, so no "forwarded".
            context={
                "reference": request.reference,
                "kind": request.kind,
                "routed": request.practice_id is not None,
            },
        )
        outbox.enqueue([*messages, receipt])  # the practice's messages go out first
        # Recorded last (an unrouted hold after it), so the audit chain's lock is held only for
        # the commit.
        log_event(
            request,
            "submit",
            actor=entered_by,
            actor_label="" if entered_by else f"api:{api_client.name}" if api_client else "patient",
            from_state="",
            note=Channel(channel).label,
            audit_as=("request.create", AuditAction.CREATE),
            audit_details={"channel": channel},
        )
        if request.practice_id is None:
            request = perform_transition(request, "hold_unrouted", actor=None)
        else:
            if entered_by is not None:
                request = perform_transition(
                    request, "forward", actor=None, note=_("Entered by the practice")
                )
            # The same patient's same request while the first is open: flagged and linked.
            request = duplicates.flag(request, match=match)
    return request


def submit_from_api(
    *,
    api_client: ApiClient,
    idempotency_key: str | None,
    fingerprint: str,
    submission: Submission,
) -> tuple[Request, bool]:
    """Submit on behalf of the app; a retried call with the same key returns the first request.

    Returns (request, created). Raises IdempotencyConflict when the key was used for other data.
    """
    if idempotency_key:
        existing = selectors.request_by_idempotency_key(api_client, idempotency_key)
        if existing is not None:
            return _replayed(existing, fingerprint), False
    try:
        request = submit_request(
            submission=submission,
            api_client=api_client,
            idempotency_key=idempotency_key or None,
            idempotency_fingerprint=fingerprint,
            channel=Channel.APP,
        )
    except IntegrityError:
        # Two retries raced; the other one stored it.
        existing = idempotency_key and selectors.request_by_idempotency_key(
            api_client, idempotency_key
        )
        if not existing:
            raise
        return _replayed(existing, fingerprint), False
    return request, True


class IdempotencyConflict(DomainError):
    pass


def _replayed(existing: Request, fingerprint: str) -> Request:
    if existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyConflict(existing.reference)
    return existing


# --- Web intake: confirm the e-mail address before anything is stored -------------------------
class TooManyCodes(DomainError):
    """The address has had its share of code e-mails for now (intake and sign-in together)."""


def start_submission(*, submission: Submission, language: str) -> PendingSubmission:
    """Keep the draft and send a 6-digit code to the address the patient gave."""
    email = submission.patient.email
    if not counters.may_mail_code(email):
        raise TooManyCodes(email)
    with transaction.atomic():
        pending = PendingSubmission(email=email, payload=submission.to_draft(), language=language)
        code = pending.issue_code()
        pending.save()
        _send_code(pending, code)
    return pending


def _send_code(pending: PendingSubmission, code: str) -> None:
    code_message = outbox.message(
        purpose=Purpose.INTAKE_CODE,
        medium=Medium.EMAIL,
        recipient=pending.email,
        template="intake_code",
        language=pending.language,
        context={"code": code},
        scrub_after_send=True,
    )
    outbox.enqueue([code_message])


class ResendRefused(DomainError):
    pass


def resend_code(pending: PendingSubmission) -> None:
    """A new code for the draft; the row is locked so parallel resends count one by one."""
    with transaction.atomic():
        locked = PendingSubmission.objects.select_for_update().filter(pk=pending.pk).first()
        if locked is None or locked.codes_sent >= MAX_CODES_PER_SUBMISSION:
            raise ResendRefused
        if not counters.may_mail_code(locked.email):
            raise ResendRefused
        code = locked.issue_code()
        locked.save()
        _send_code(locked, code)


class Confirmation(enum.Enum):
    STORED = "stored"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"


def confirm_submission(
    pending: PendingSubmission, code: str
) -> tuple[Confirmation, Request | None]:
    """Check the code; when right, store the request and forget the draft."""
    with transaction.atomic():
        locked = PendingSubmission.objects.select_for_update().get(pk=pending.pk)
        result = locked.check_code(code)
        if result is not CodeCheck.OK:
            locked.save(update_fields=["attempts"])
            return Confirmation(result.value), None
        request = submit_request(
            submission=Submission.from_draft(locked.payload, email=locked.email),
            channel=Channel.WEB,
            language=locked.language,
        )
        locked.delete()
    return Confirmation.STORED, request


def purge_stale_drafts(now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = PendingSubmission.objects.filter(created_at__lt=now - DRAFT_TTL).delete()
    return deleted
