"""What the practice and the patient write to each other about a request, and the periods in
which the practice waited for the patient."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.request import Request


class Sender(models.TextChoices):
    PRACTICE = "practice", _("Practice")
    PATIENT = "patient", _("Patient")


class RequestMessage(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.sender} {self.created_at:%Y-%m-%d}"


class PatientWait(models.Model):
    """A period of waiting for the patient. Whether it stops the legal clock is the practice's
    documented choice (only when the question was needed and asked without undue delay)."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="waits")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    stops_clock = models.BooleanField(_("stops the clock"), default=False)
    clock_reason = models.TextField(_("why the clock stops"), blank=True)
    due_before = models.DateField(null=True, blank=True)
    due_after = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"wait {self.request_id} from {self.started_at:%Y-%m-%d}"
