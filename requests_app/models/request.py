"""A patient's data-subject request or complaint, its lifecycle and its event history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from requests_app import access
from requests_app.models.api_client import ApiClient
from requests_app.models.practice import Practice
from requests_app.references import new_reference
from requests_app.validators import mask_bsn


class RequestKind(models.TextChoices):
    ACCESS = "access", _("Access")
    RECTIFICATION = "rectification", _("Rectification")
    ERASURE = "erasure", _("Erasure")
    RESTRICTION = "restriction", _("Restriction of processing")
    PORTABILITY = "portability", _("Data portability")
    OBJECTION = "objection", _("Objection")
    COMPLAINT = "complaint", _("Complaint")


class RequestState(models.TextChoices):
    RECEIVED = "received", _("Received")
    UNROUTED = "unrouted", _("Awaiting routing")
    FORWARDED = "forwarded", _("Forwarded to the practice")
    IN_REVIEW = "in_review", _("In review")


class Channel(models.TextChoices):
    WEB = "web", _("Website")
    APP = "app", _("Patient app")


# --- Who may make each transition (django-fsm permission callables) ---------------------------
def by_system(request: "Request", user) -> bool:
    """Transitions the portal itself makes; no person may trigger them."""
    return user is None


def by_practice_staff(request: "Request", user) -> bool:
    return access.works_for_practice(user, request.practice_id)


def by_processor_support(request: "Request", user) -> bool:
    return access.is_processor_support(user)


class Request(models.Model):
    reference = models.CharField(_("reference"), max_length=11, unique=True, editable=False)
    kind = models.CharField(_("kind of request"), max_length=20, choices=RequestKind.choices)
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    # What the patient typed when their practice was not in our list; support routes on it.
    practice_given = models.CharField(_("practice as given"), max_length=300, blank=True)

    patient_name = models.CharField(_("name"), max_length=200)
    patient_birth_date = models.DateField(_("date of birth"))
    patient_email = models.EmailField(_("e-mail address"))
    patient_phone = models.CharField(_("mobile number"), max_length=20, blank=True)
    patient_number = models.CharField(_("patient number"), max_length=50, blank=True)
    # Only ever supplied by the app; never asked for on the web form (data minimisation).
    bsn = models.CharField(_("BSN"), max_length=9, blank=True)
    description = models.TextField(_("description"), max_length=5000)
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

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        indexes = [
            models.Index(fields=["practice", "state", "received_at"]),
            models.Index(fields=["state", "received_at"]),
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
        if not self.reference:
            self.reference = new_reference()
            while Request.objects.filter(reference=self.reference).exists():
                self.reference = new_reference()
        super().save(*args, **kwargs)

    @property
    def bsn_masked(self) -> str:
        return mask_bsn(self.bsn)

    # --- Lifecycle (issue 2 part; the practice's full lifecycle builds on this) ---------------
    @transition(
        field=state,
        source=RequestState.RECEIVED,
        target=RequestState.UNROUTED,
        permission=by_system,
    )
    def hold_unrouted(self) -> None:
        """No active practice to send it to: processor support must route it by hand."""

    @transition(
        field=state,
        source=RequestState.RECEIVED,
        target=RequestState.FORWARDED,
        permission=by_system,
        conditions=[lambda r: r.practice_id is not None],
    )
    def forward(self) -> None:
        """The practice has been notified (art. 6.2): its clock of 'without delay' stops here."""
        self.forwarded_at = timezone.now()

    @transition(
        field=state,
        source=RequestState.UNROUTED,
        target=RequestState.RECEIVED,
        permission=by_processor_support,
    )
    def route(self, practice: Practice) -> None:
        self.practice = practice

    @transition(
        field=state,
        source=RequestState.FORWARDED,
        target=RequestState.IN_REVIEW,
        permission=by_practice_staff,
    )
    def acknowledge(self) -> None:
        """A practice handler has taken note of the request."""


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
    def to_state_label(self) -> str:
        return RequestState(self.to_state).label if self.to_state in RequestState.values else ""
