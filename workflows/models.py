"""The outbox: every message the portal must send, written in the same transaction as its cause."""

import uuid

from django.db import models
from django.utils import timezone

from requests_app.models import Practice, Request


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


class Medium(models.TextChoices):
    EMAIL = "email", "E-mail"
    SMS = "sms", "SMS"


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
