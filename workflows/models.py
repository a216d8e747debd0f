"""The outbox: every message the portal must send, written in the same transaction as its cause."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from requests_app.models import ApiClient, Practice, Request


class Purpose(models.TextChoices):
    INTAKE_CODE = "intake_code", "Intake e-mail code"
    PATIENT_RECEIPT = "patient_receipt", "Receipt to the patient"
    PRACTICE_NEW_REQUEST = "practice_new_request", "New request to the practice"
    PATIENT_UPDATE = "patient_update", "News for the patient"
    PRACTICE_UPDATE = "practice_update", "Patient answered or withdrew"
    ACCOUNT_MAIL = "account_mail", "Sign-in e-mail"
    DAILY_DIGEST = "daily_digest", "Daily deadline digest"
    ESCALATION = "escalation", "Not acknowledged in time"
    INCIDENT = "incident", "Incident report to the practice"
    PRACTICE_BATCH = "practice_batch", "Several new requests to the practice"
    ASSISTANCE = "assistance", "Assistance task between practice and processor"
    DOWNLOAD_CODE = "download_code", "Second code before a data package download"
    AUDIT_CHECKPOINT = "audit_checkpoint", "Daily checkpoint of the audit log"
    SUBPROCESSOR_CHANGE = "subprocessor_change", "Planned change of sub-processors to the practice"
    LEGAL_ORDER = "legal_order", "Notice of processing the law demands"
    PRACTICE_EXIT = "practice_exit", "The end of the contract: what is kept, the certificate"
    WEBHOOK_EVENT = "webhook_event", "Event to an API client's webhook"


class Medium(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"
    # A signed POST to an API client's webhook address (workflows.webhooks); the recipient is
    # "api_client:<pk>", so the address and secrets are read when it is sent.
    WEBHOOK = "webhook", "Webhook"


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # For messages about a practice rather than one request (a batch of new requests).
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    purpose = models.CharField(max_length=30, choices=Purpose.choices)
    medium = models.CharField(max_length=10, choices=Medium.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    # Sent with the message so a provider (or we) can recognise a repeat.
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Scheduled messages carry a key saying what they are about, so a job run twice sends once.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    # Bodies holding a secret (a sign-in code) are blanked once sent.
    scrub_after_send = models.BooleanField(default=False)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # A row that failed for good and that support sent again: the fresh row that did
    # (workflows.messaging.failures). One resend per failed row.
    resent_as = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resent_from"
    )
    # The event a webhook row carries (medium webhook); its first delivery or one sent again.
    webhook_event = models.ForeignKey(
        "WebhookEvent",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.medium} to {self.recipient} ({self.status})"

    def reaches_the_requests_practice(self) -> bool:
        """Whether a practice's message about a request is for the practice the request is at
        now, not one that sent it back (a practice-wide message, such as a flood's combined
        one, is): only such a message forwards the request or may be sent again."""
        if self.request_id is None:
            return True
        practice = self.request.practice
        if practice is None:
            return False
        if self.practice_id is not None:
            return self.practice_id == practice.pk
        # Rows from before messages named their practice: by the practice's contacts.
        emails = self.medium == Medium.EMAIL
        contacts = practice.privacy_emails() if emails else practice.privacy_phones()
        return self.recipient in contacts


class EventType(models.TextChoices):
    """What a webhook event says happened to a request the client submitted."""

    FORWARDED = "request.forwarded", "Forwarded to the practice"
    STATE_CHANGED = "request.state_changed", "State changed"
    MESSAGE = "request.message", "The practice wrote to the patient"
    DECIDED = "request.decided", "A decision was taken"
    PACKAGE_RELEASED = "request.package_released", "The answer was released to the patient"
    WITHDRAWN = "request.withdrawn", "Withdrawn"


class WebhookEvent(models.Model):
    """One event about a request, for the API client that submitted it (workflows.webhooks).

    The body is fixed when the event is written: every delivery of it, retried or sent again,
    carries the same bytes and so the same event id, by which the receiver drops duplicates.
    Its outbox rows are `deliveries`; what happened at each try is in `attempts`."""

    event_id = models.CharField(max_length=40, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="+")
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()  # the JSON sent, as signed
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Sent again once by the processor (workflows.webhooks.deliveries.resend).
    resent_at = models.DateTimeField(null=True, blank=True)
    resent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="webhook_event_client")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class AttemptOutcome(models.TextChoices):
    DELIVERED = "delivered", "Delivered"
    RETRY = "retry", "Will be tried again"
    FAILED = "failed", "Failed for good"


class WebhookAttempt(models.Model):
    """One try to deliver an event: when, how long, what the receiver answered or what went
    wrong, and what the outbox made of it. Written by delivery with the row's outcome."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="attempts")
    delivery = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()  # counted over the event's deliveries
    sent_again = models.BooleanField(default=False)  # a try of the delivery sent again
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)  # None: no answer
    error = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=10, choices=AttemptOutcome.choices)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.event_id} try {self.number}: {self.outcome}"
