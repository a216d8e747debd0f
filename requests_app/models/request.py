"""A patient's data-subject request or complaint, its lifecycle and its event history."""

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, FSMField, transition

from requests_app import access, fees
from requests_app.errors import DomainError
from requests_app.fields import EncryptedTextField, lookup_digest
from requests_app.legal import GROUNDS_BY_KIND, ComplaintVerdict, LegalGround
from requests_app.models.api_client import ApiClient
from requests_app.models.practice import Practice
from requests_app.references import new_reference
from requests_app.roles import Capability
from requests_app.validators import (
    has_mailbox,
    mask_bsn,
    validate_person_name,
    validate_text_direction,
)


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access")
    RECTIFICATION = "rectification", _("Rectification")
    ERASURE = "erasure", _("Erasure")
    RESTRICTION = "restriction", _("Restriction of processing")
    PORTABILITY = "portability", _("Data portability")
    OBJECTION = "objection", _("Objection")
    # The patient's right to have their medical file destroyed (WGBO, Civil Code art. 7:455).
    DESTRUCTION = "destruction", _("Destruction of the medical file")
    COMPLAINT = "complaint", _("Complaint")


class RequestState(models.TextChoices):
    RECEIVED = "received", _("Received")
    UNROUTED = "unrouted", _("Awaiting routing")
    FORWARDED = "forwarded", _("Forwarded to the practice")
    IN_REVIEW = "in_review", _("In review")
    AWAITING_PATIENT = "awaiting_patient", _("Waiting for the patient")
    # A fee was asked for a manifestly unfounded or excessive request (GDPR art. 12(5)).
    AWAITING_FEE = "awaiting_fee", _("Waiting for the fee")
    IN_PROGRESS = "in_progress", _("In progress (identity verified)")
    GRANTED = "granted", _("Granted")
    PARTIALLY_GRANTED = "partially_granted", _("Partially granted")
    REFUSED = "refused", _("Refused")
    FULFILLED = "fulfilled", _("Fulfilled")
    # Complaints (Wkkgz) have their own steps.
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    DECIDED = "decided", _("Decided")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # The same patient's same request, while the first was open: merged into that first one.
    MERGED = "merged", _("Merged into an earlier request")


S = RequestState
# Before an answer: the deadline runs, the patient may withdraw, the practice may extend.
OPEN_STATES = [
    S.RECEIVED,
    S.UNROUTED,
    S.FORWARDED,
    S.IN_REVIEW,
    S.AWAITING_PATIENT,
    S.AWAITING_FEE,
    S.IN_PROGRESS,
    S.ACKNOWLEDGED,
    S.INVESTIGATING,
]
# States the practice works in (after forwarding, before the decision).
PRACTICE_OPEN_STATES = [
    S.FORWARDED,
    S.IN_REVIEW,
    S.AWAITING_PATIENT,
    S.AWAITING_FEE,
    S.IN_PROGRESS,
    S.ACKNOWLEDGED,
    S.INVESTIGATING,
]
FINISHED_STATES = [S.CLOSED, S.WITHDRAWN, S.MERGED]
# A possible duplicate can be merged from the moment a practice has it until its decision.
MERGEABLE_STATES = [S.RECEIVED, *PRACTICE_OPEN_STATES]
# From which a practice may send a request back as not its own: before any decision, and not
# while it waits for the patient or a fee (it goes on first, so no waiting period stays open).
SEND_BACK_STATES = [S.FORWARDED, S.IN_REVIEW, S.IN_PROGRESS, S.ACKNOWLEDGED, S.INVESTIGATING]
# Which states each kind of request passes through (used to draw the diagrams).
INTAKE_STATES = [
    S.RECEIVED,
    S.UNROUTED,
    S.FORWARDED,
    S.AWAITING_PATIENT,
    S.CLOSED,
    S.WITHDRAWN,
    S.MERGED,
]
DATA_REQUEST_STATES = [
    *INTAKE_STATES,
    S.IN_REVIEW,
    S.IN_PROGRESS,
    S.AWAITING_FEE,
    S.GRANTED,
    S.PARTIALLY_GRANTED,
    S.REFUSED,
    S.FULFILLED,
]
COMPLAINT_STATES = [*INTAKE_STATES, S.ACKNOWLEDGED, S.INVESTIGATING, S.DECIDED]


ROLE_WORDS = {True: gettext_noop("processor support"), False: gettext_noop("practice staff member")}


def person_label(user, *, untranslated: bool = False) -> str:
    """How a staff member is named on a page: the full name, else a neutral word for the role;
    never the e-mail address (the same person reads the same everywhere). `untranslated` gives
    the role word as its msgid, for a history note that is translated when it is shown."""
    name = user.get_full_name().strip()
    if name:
        return name
    word = ROLE_WORDS[access.is_processor_support(user)]
    return word if untranslated else gettext(word)


class DecisionIncomplete(DomainError):
    """A decision lacks what the law requires it to state."""


class IdentityNotVerified(DecisionIncomplete):
    """A decision on other grounds than an unproven identity, before the identity is verified
    (GDPR art. 12(6)): the handler is told exactly that, not that fields are missing."""

    def explain(self) -> str:
        return str(
            _(
                "Verify the identity first: until then a request can only be refused because "
                "the identity could not be established (GDPR art. 12(6))."
            )
        )


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    APP = "app", _("Patient app")
    # Entered by the practice's staff for a patient who wrote, phoned or came to the desk.
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Telephone")
    DESK = "desk", _("At the desk")


# The channels through which a request reaches the practice itself, entered by its staff.
STAFF_CHANNELS = (Channel.LETTER, Channel.PHONE, Channel.DESK)


# --- Who may make each transition (django-fsm permission callables) ---------------------------
def by_system(request: "Request", user) -> bool:
    """Transitions the portal itself makes; no person may trigger them."""
    return user is None


def by_practice_staff(request: "Request", user) -> bool:
    """Practice staff whose role handles requests (not the FG or the practice admin)."""
    return access.can(user, Capability.WORK_REQUESTS, request.practice_id)


def by_processor_support(request: "Request", user) -> bool:
    return access.is_processor_support(user)


def by_patient(request: "Request", user) -> bool:
    """The patient, signed in with a code sent to the request's e-mail address."""
    return access.is_patient_of(user, request.patient_email)


def by_patient_or_for_them(request: "Request", user) -> bool:
    """The patient; for a request the practice entered (a letter, a call, the desk), also its
    handler, who records a withdrawal the patient made the same way."""
    if by_patient(request, user):
        return True
    return request.channel in STAFF_CHANNELS and by_practice_staff(request, user)


def by_practice_staff_or_system(request: "Request", user) -> bool:
    return user is None or by_practice_staff(request, user)


def is_complaint(request: "Request") -> bool:
    return request.kind == RequestKind.COMPLAINT


def is_data_request(request: "Request") -> bool:
    return request.kind != RequestKind.COMPLAINT


def identity_verified(request: "Request") -> bool:
    return request.identity_verified_at is not None


def may_extend(request: "Request") -> bool:
    """Once only, and only before the first deadline has passed (GDPR art. 12(3)). The three
    months for destroying the medical file (Civil Code art. 7:455(1)) cannot be extended."""
    return (
        request.kind != RequestKind.DESTRUCTION
        and request.extended_at is None
        and request.response_due is not None
        and timezone.localdate() <= request.response_due
    )


# What still stands between a request and carrying it out, each a function returning the open
# points. The modules that hold that work register theirs (models/completion.py: the processor's
# part and the art. 19 recipients), so this module imports none of them: no circle.
OPEN_WORK_CHECKS: list[Callable[["Request"], list]] = []


def work_carried_out(request: "Request") -> bool:
    """An erasure, rectification or restriction: the processor's part and the recipients to be
    told (GDPR art. 19) are done. Other kinds, and refused requests, have no such work."""
    return not any(check(request) for check in OPEN_WORK_CHECKS)


def duplicate_of_open_request(request: "Request") -> bool:
    """Flagged as the same patient's same request as another of its practice, which is still
    open: only then can it be merged into that one (workflows.casework.duplicates)."""
    first = request.duplicate_of
    return (
        first is not None
        and first.is_open
        and first.practice_id == request.practice_id
        and first.kind == request.kind
    )


def complaint_settings_complete(request: "Request") -> bool:
    practice = request.practice
    return bool(practice and practice.complaint_settings_complete)


def receipt_possible(request: "Request") -> bool:
    """A complaint's receipt names the complaints officer and how to reach them (Wkkgz art. 15)."""
    return is_data_request(request) or complaint_settings_complete(request)


class Request(models.Model):
    reference = models.CharField(_("reference"), max_length=11, unique=True, editable=False)
    kind = models.CharField(_("kind of request"), max_length=20, choices=RequestKind.choices)
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    # What the patient typed when their practice was not in our list; support routes on it.
    practice_given = models.CharField(
        _("practice as given"), max_length=300, blank=True, validators=[validate_person_name]
    )

    patient_name = models.CharField(_("name"), max_length=200, validators=[validate_person_name])
    patient_birth_date = models.DateField(_("date of birth"))
    # A patient without an e-mail address (a request entered by the practice) has a key address
    # in the reserved .invalid domain instead (validators.no_mailbox_address): never mailed.
    patient_email = models.EmailField(_("e-mail address"))
    # Where the practice posts its letters to a patient without an e-mail address.
    postal_address = models.TextField(
        _("postal address"), max_length=300, blank=True, validators=[validate_text_direction]
    )
    patient_phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    patient_number = models.CharField(_("patient number"), max_length=50, blank=True)
    # Only ever supplied by the app; never asked for on the web form (data minimisation).
    bsn = EncryptedTextField(_("BSN"), blank=True)  # stored encrypted, shown masked
    # Keyed hash of the BSN: a patient signed in through an identity broker (DigiD) finds the
    # requests made with their BSN.
    bsn_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    description = models.TextField(_("description"), max_length=5000)
    # The patient says it is about the app's (the processor's) own handling: also an incident.
    about_processor = models.BooleanField(_("about the app's own processing"), default=False)
    language = models.CharField(max_length=5, default="nl")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    api_client = models.ForeignKey(
        ApiClient, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)

    # Receipt starts the legal clock (GDPR art. 12(3)): set once, never overwritten.
    received_at = models.DateTimeField(_("received"), default=timezone.now, editable=False)
    forwarded_at = models.DateTimeField(_("forwarded"), null=True, blank=True, editable=False)
    state = FSMField(
        _("state"), default=RequestState.RECEIVED, choices=RequestState.choices, protected=True
    )
    # Optimistic locking: every change raises it; a form sends the version it was made from.
    version = models.PositiveIntegerField(default=0, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name=_("handler"),
    )

    # The legal clock (workflows.casework.deadlines computes the dates).
    response_due = models.DateField(_("answer due"), null=True, blank=True)
    original_due = models.DateField(_("first deadline"), null=True, blank=True)
    extended_at = models.DateTimeField(_("extended"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    # Where an 'awaiting patient' step returns to.
    resume_state = models.CharField(max_length=20, blank=True)

    identity_verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    identity_method = models.CharField(_("how identity was verified"), max_length=300, blank=True)

    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision = models.CharField(
        _("decision"),
        max_length=20,
        blank=True,
        choices=[
            (S.GRANTED, S.GRANTED.label),
            (S.PARTIALLY_GRANTED, S.PARTIALLY_GRANTED.label),
            (S.REFUSED, S.REFUSED.label),
            (S.DECIDED, S.DECIDED.label),
        ],
    )
    decision_reason = models.TextField(_("reasons"), blank=True)
    legal_ground = models.CharField(
        _("legal ground"), max_length=30, choices=LegalGround.choices, blank=True
    )
    manifestly_unfounded = models.BooleanField(
        _("manifestly unfounded or excessive"), default=False
    )
    verdict = models.CharField(
        _("verdict"), max_length=20, choices=ComplaintVerdict.choices, blank=True
    )
    measures = models.TextField(_("measures"), blank=True)
    measures_due = models.DateField(_("measures done by"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    # What the practice destroyed and where, recorded when it carries out a destruction request
    # (Civil Code art. 7:455): the practice's proof that it did.
    destroyed_what = models.TextField(_("what was destroyed"), blank=True)
    destroyed_where = models.TextField(_("where it was destroyed"), blank=True)
    destroyed_on = models.DateField(_("destroyed on"), null=True, blank=True)
    # A fee for a manifestly unfounded or excessive request (GDPR art. 12(5)); the practice
    # bears the burden of proof, so the justification is kept and shown with the amount.
    fee_amount = models.DecimalField(
        _("fee"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    fee_justification = models.TextField(
        _("why the request is manifestly unfounded or excessive"), blank=True
    )
    fee_cost_basis = models.TextField(_("how the fee follows the administrative costs"), blank=True)
    fee_asked_at = models.DateTimeField(_("fee asked"), null=True, blank=True)
    fee_paid_at = models.DateTimeField(_("fee paid"), null=True, blank=True)
    fee_waived_at = models.DateTimeField(_("fee waived"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # A possible duplicate: an open request of the same patient (canonical e-mail address, or
    # name and date of birth), of the same kind, at the same practice, received earlier. Set at
    # intake or routing (workflows.casework.duplicates); cleared when the handler keeps the two
    # apart, kept (and the state 'merged') when merged.
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("possible duplicate of"),
    )
    duplicate_kept_reason = models.TextField(_("why kept separate"), blank=True)
    # A practice that was not the patient's sent the request back to processor support, with
    # its reason (shown in the unrouted queue until support routes it again).
    sent_back_from = models.ForeignKey(
        Practice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_back_reason = models.TextField(_("why it was sent back"), blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        indexes = [
            models.Index(fields=["practice", "state", "received_at"]),
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["practice", "response_due"]),
            models.Index(fields=["practice", "received_at"]),
            # The queue's search (selectors.queue_search) looks these up within a practice; a
            # reference's start is found through the index Django gives a unique text column.
            models.Index(fields=["practice", "patient_email"]),
            models.Index(fields=["practice", "patient_birth_date"]),
            models.Index(fields=["practice", "patient_number"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="request_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs):
        self.bsn_digest = lookup_digest(self.bsn) if self.bsn else ""
        if not self.reference:
            self.reference = new_reference()
            while Request.objects.filter(reference=self.reference).exists():
                self.reference = new_reference()
        super().save(*args, **kwargs)

    @property
    def bsn_masked(self) -> str:
        return mask_bsn(self.bsn)

    @property
    def has_mailbox(self) -> bool:
        """Whether the patient gave an e-mail address: else every answer goes by post."""
        return has_mailbox(self.patient_email)

    @property
    def entered_by_staff(self) -> bool:
        return self.channel in STAFF_CHANNELS

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def duplicate_flagged(self) -> bool:
        """Flagged as a possible duplicate, and not yet merged or kept separate."""
        return self.duplicate_of_id is not None and self.state != S.MERGED

    @property
    def days_left(self) -> int | None:
        """Calendar days until the answer is due (negative: overdue); None once answered."""
        if self.response_due is None or not self.is_open:
            return None
        return (self.response_due - timezone.localdate()).days

    @property
    def handler_name(self) -> str:
        # Only the practice's own staff are assigned: the role word needs no look-up per row.
        if self.assigned_to is None:
            return ""
        return self.assigned_to.get_full_name().strip() or gettext(ROLE_WORDS[False])

    @property
    def days_overdue(self) -> int:
        left = self.days_left
        return -left if left is not None and left < 0 else 0

    # --- Lifecycle. Only requests_app.lifecycle.perform_transition calls these. ---------------
    @transition(field=state, source=S.RECEIVED, target=S.UNROUTED, permission=by_system)
    def hold_unrouted(self) -> None:
        """No active practice to send it to: processor support must route it by hand."""

    @transition(
        field=state,
        source=S.RECEIVED,
        target=S.FORWARDED,
        permission=by_system,
        conditions=[lambda r: r.practice_id is not None],
    )
    def forward(self) -> None:
        """The practice has been notified (art. 6.2): its clock of 'without delay' stops here."""
        self.forwarded_at = timezone.now()

    @transition(field=state, source=S.UNROUTED, target=S.RECEIVED, permission=by_processor_support)
    def route(self, practice: Practice) -> None:
        self.practice = practice

    @transition(
        field=state, source=SEND_BACK_STATES, target=S.UNROUTED, permission=by_practice_staff
    )
    def send_back(self, reason: str) -> None:
        """Not this practice's patient: back to processor support, which routes it again. What
        the practice did belongs to it alone (its handler, acknowledgement, the identity it
        verified); the clock runs on from receipt by the processor (docs/legal.md)."""
        if not reason.strip():
            raise DecisionIncomplete("say why the request is sent back")
        self.sent_back_from = self.practice
        self.sent_back_reason = reason.strip()
        self.practice = None
        self.assigned_to = None
        self.acknowledged_at = None
        self.identity_verified_at = None
        self.identity_method = ""
        self.duplicate_of = None  # a link within the practice it leaves

    @transition(
        field=state,
        source=S.FORWARDED,
        target=GET_STATE(
            lambda r, *a, **k: S.ACKNOWLEDGED if is_complaint(r) else S.IN_REVIEW,
            states=[S.ACKNOWLEDGED, S.IN_REVIEW],
        ),
        permission=by_practice_staff,
        conditions=[receipt_possible],
    )
    def acknowledge(self) -> None:
        """A practice handler has taken the request on."""
        self.acknowledged_at = timezone.now()

    @transition(
        field=state,
        source=S.IN_REVIEW,
        target=S.IN_PROGRESS,
        permission=by_practice_staff,
        conditions=[is_data_request],
    )
    def verify_identity(self, how: str) -> None:
        """GDPR art. 12(6): no decision before the practice is sure who is asking."""
        if not how.strip():
            raise DecisionIncomplete("say how the identity was verified")
        self.identity_verified_at = timezone.now()
        self.identity_method = how.strip()

    @transition(
        field=state,
        source=[S.IN_REVIEW, S.IN_PROGRESS, S.INVESTIGATING],
        target=S.AWAITING_PATIENT,
        permission=by_practice_staff,
    )
    def ask_patient(self) -> None:
        self.resume_state = self.state

    @transition(
        field=state,
        source=S.AWAITING_PATIENT,
        target=GET_STATE(
            lambda r, *a, **k: r.resume_state, states=[S.IN_REVIEW, S.IN_PROGRESS, S.INVESTIGATING]
        ),
        permission=by_practice_staff_or_system,
    )
    def resume(self) -> None:
        """The patient answered (or the practice goes on without the answer)."""

    @transition(
        field=state,
        source=S.IN_PROGRESS,
        target=S.GRANTED,
        permission=by_practice_staff,
        conditions=[is_data_request, identity_verified],
    )
    def grant(self, reason: str = "") -> None:
        self._record_decision(S.GRANTED, reason, "")

    @transition(
        field=state,
        source=S.IN_PROGRESS,
        target=S.PARTIALLY_GRANTED,
        permission=by_practice_staff,
        conditions=[is_data_request, identity_verified],
    )
    def grant_partially(self, reason: str, legal_ground: str) -> None:
        self._require_grounds(reason, legal_ground)
        self._record_decision(S.PARTIALLY_GRANTED, reason, legal_ground)

    @transition(
        field=state,
        source=[S.IN_REVIEW, S.IN_PROGRESS, S.AWAITING_FEE],
        target=S.REFUSED,
        permission=by_practice_staff,
        conditions=[is_data_request],
    )
    def refuse(self, reason: str, legal_ground: str) -> None:
        """A refusal states its reasons and ground (art. 12(4)). Before the identity is verified
        the only possible ground is that it could not be."""
        self._require_grounds(reason, legal_ground)
        if not identity_verified(self) and legal_ground != LegalGround.IDENTITY:
            raise IdentityNotVerified("verify the identity before deciding on other grounds")
        self.manifestly_unfounded = legal_ground == LegalGround.MANIFESTLY_UNFOUNDED
        self._record_decision(S.REFUSED, reason, legal_ground)

    @transition(
        field=state,
        source=[S.GRANTED, S.PARTIALLY_GRANTED],
        target=S.FULFILLED,
        permission=by_practice_staff,
        conditions=[work_carried_out],
    )
    def fulfil(
        self, destroyed_what: str = "", destroyed_where: str = "", destroyed_on=None
    ) -> None:
        """Carried out. A destruction is carried out only with the record of what was destroyed,
        where and when."""
        if self.kind == RequestKind.DESTRUCTION:
            self._record_destruction(destroyed_what, destroyed_where, destroyed_on)
        self.fulfilled_at = timezone.now()

    @transition(
        field=state,
        source=S.IN_PROGRESS,
        target=S.AWAITING_FEE,
        permission=by_practice_staff,
        conditions=[is_data_request, identity_verified],
    )
    def charge_fee(self, amount, justification: str, cost_basis: str) -> None:
        """GDPR art. 12(5): for a manifestly unfounded or excessive request the practice may ask
        a reasonable fee based on its administrative costs, and must show both."""
        problem = fees.problem(amount, justification, cost_basis)
        if problem:
            raise DecisionIncomplete(problem)
        self.fee_amount = fees.as_amount(amount)
        self.fee_justification, self.fee_cost_basis = justification.strip(), cost_basis.strip()
        self.fee_asked_at = timezone.now()
        self.fee_paid_at = self.fee_waived_at = None

    @transition(
        field=state, source=S.AWAITING_FEE, target=S.IN_PROGRESS, permission=by_practice_staff
    )
    def record_fee_paid(self) -> None:
        self.fee_paid_at = timezone.now()

    @transition(
        field=state, source=S.AWAITING_FEE, target=S.IN_PROGRESS, permission=by_practice_staff
    )
    def waive_fee(self) -> None:
        """The practice goes on without the fee; the fee asked stays on record."""
        self.fee_waived_at = timezone.now()

    @transition(
        field=state,
        source=S.ACKNOWLEDGED,
        target=S.INVESTIGATING,
        permission=by_practice_staff,
        conditions=[is_complaint],
    )
    def investigate(self) -> None:
        pass

    @transition(
        field=state,
        source=S.INVESTIGATING,
        target=S.DECIDED,
        permission=by_practice_staff,
        conditions=[is_complaint, complaint_settings_complete],
    )
    def decide_complaint(
        self, verdict: str, reason: str, measures: str = "", measures_due=None
    ) -> None:
        """Wkkgz art. 17: a written, reasoned decision; measures with the date they will be done."""
        if verdict not in ComplaintVerdict.values or not reason.strip():
            raise DecisionIncomplete("a verdict and its reasons are required")
        if measures.strip() and measures_due is None:
            raise DecisionIncomplete("say when the measures will be done")
        self.verdict = verdict
        self.measures = measures.strip()
        self.measures_due = measures_due
        self._record_decision(S.DECIDED, reason, "")

    @transition(
        field=state,
        source=[S.FULFILLED, S.REFUSED, S.DECIDED],
        target=S.CLOSED,
        permission=by_practice_staff,
        conditions=[work_carried_out],
    )
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state, source=OPEN_STATES, target=S.WITHDRAWN, permission=by_patient_or_for_them
    )
    def withdraw(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=MERGEABLE_STATES,
        target=S.MERGED,
        permission=by_practice_staff,
        conditions=[duplicate_of_open_request],
    )
    def merge(self) -> None:
        """The same patient's same request while the first is open: it ends here, and the first
        (with the deadline from its own, earlier receipt) answers both."""
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=PRACTICE_OPEN_STATES,
        target=GET_STATE(lambda r, *a, **k: r.state, states=PRACTICE_OPEN_STATES),
        permission=by_practice_staff,
        conditions=[may_extend],
    )
    def extend(self, reason: str, new_due) -> None:
        """GDPR art. 12(3): two more months (Wkkgz: four more weeks), once, with reasons that
        the patient is told within the first period."""
        if not reason.strip():
            raise DecisionIncomplete("give the reasons for the extension")
        self.original_due = self.original_due or self.response_due
        self.response_due = new_due
        self.extended_at = timezone.now()
        self.extension_reason = reason.strip()

    def _require_grounds(self, reason: str, legal_ground: str) -> None:
        if not reason.strip() or legal_ground not in GROUNDS_BY_KIND.get(self.kind, ()):
            raise DecisionIncomplete(
                "a reasoned decision with a legal ground that applies to this kind is required"
            )

    def _record_destruction(self, what: str, where: str, on) -> None:
        if not what.strip() or not where.strip() or on is None:
            raise DecisionIncomplete("record what was destroyed, where and on which day")
        if on > timezone.localdate():
            raise DecisionIncomplete("the day of destruction cannot be in the future")
        self.destroyed_what, self.destroyed_where = what.strip(), where.strip()
        self.destroyed_on = on

    def _record_decision(self, decision: str, reason: str, legal_ground: str) -> None:
        self.decision = decision
        self.decided_at = timezone.now()
        self.decision_reason = reason.strip()
        self.legal_ground = legal_ground


class RequestEvent(models.Model):
    """One line of a request's history: who did what, when, from which state to which."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=50)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.from_state}->{self.to_state}"

    @property
    def actor_display(self) -> str:
        # A patient's own step carries their account too: they read as "patient", never as staff.
        if self.actor is not None and self.actor_label not in ACTOR_LABELS:
            return person_label(self.actor)
        return str(ACTOR_LABELS.get(self.actor_label, self.actor_label))

    @property
    def note_display(self) -> str:
        """The note as read on the page; an assignment recorded before names were kept there
        held the account's e-mail address: it reads as the person's name."""
        if self.action == "assign" and "@" in self.note:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(username=self.note).first()
            return person_label(user) if user else ""
        return self.note

    @property
    def changes_state(self) -> bool:
        return bool(self.from_state) and self.from_state != self.to_state

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))

    @property
    def to_state_label(self) -> str:
        return RequestState(self.to_state).label if self.to_state in RequestState.values else ""

    @property
    def from_state_label(self) -> str:
        return RequestState(self.from_state).label if self.from_state in RequestState.values else ""

    @property
    def names_its_state(self) -> bool:
        """The event's own name is the state it led to ("Refused"): said once, not twice."""
        return str(self.action_label) == str(self.to_state_label)


ACTION_LABELS = {
    "submit": _("Submitted"),
    "hold_unrouted": _("Held for routing"),
    "forward": _("Forwarded to the practice"),
    "route": _("Routed to a practice"),
    "send_back": _("Sent back to processor support"),
    "acknowledge": _("Acknowledged"),
    "verify_identity": _("Identity verified"),
    "ask_patient": _("Asked the patient"),
    "resume": _("Continued"),
    "grant": _("Granted"),
    "grant_partially": _("Partially granted"),
    "refuse": _("Refused"),
    "fulfil": _("Carried out"),
    "charge_fee": _("Fee asked"),
    "record_fee_paid": _("Fee paid"),
    "waive_fee": _("Fee waived"),
    "investigate": _("Investigation started"),
    "decide_complaint": _("Complaint decided"),
    "close": _("Closed"),
    "withdraw": _("Withdrawn by the patient"),
    "patient_message": _("Message from the patient"),
    "extend": _("Deadline extended"),
    "assign": _("Handler assigned"),
    "incident_reported": _("Incident reported to the practice"),
    "assistance_requested": _("Processor asked for help"),
    "no_processor_data": _("Recorded: no processor data concerned"),
    "recipient_added": _("Recipient added (GDPR art. 19)"),
    "recipient_tell": _("Recipient told (GDPR art. 19)"),
    "recipient_mark_impossible": _("Recipient cannot be told (GDPR art. 19)"),
    "duplicate_flagged": _("Flagged as a possible duplicate"),
    "duplicate_received": _("A possible duplicate of this request arrived"),
    "merge": _("Merged into an earlier request"),
    "duplicate_merged": _("A later request was merged into this one"),
    "duplicate_kept": _("Kept separate from a possible duplicate"),
    "duplicate_unlinked": _("No longer a possible duplicate: the other request left the practice"),
}

ACTOR_LABELS = {"system": _("portal"), "patient": _("patient")}
