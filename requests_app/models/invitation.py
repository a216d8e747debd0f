"""An invitation to join a practice's team: who, in which role, until when, and what became of it.
The link's token is kept only as its SHA-256 hash, so the table gives no working link away."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.practice import Practice
from requests_app.roles import Role


class InvitationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")


class StaffInvitation(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))  # canonical (validators.canonical_email)
    name = models.CharField(_("name"), max_length=150)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    language = models.CharField(_("language of the e-mail"), max_length=5, default="nl")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")
        indexes = [models.Index(fields=["practice", "email"])]

    def __str__(self) -> str:
        return f"{self.email} – {self.get_role_display()} – {self.practice}"

    def state(self, now=None) -> InvitationState:
        if self.accepted_at:
            return InvitationState.ACCEPTED
        if self.revoked_at:
            return InvitationState.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return InvitationState.EXPIRED
        return InvitationState.PENDING

    @property
    def is_pending(self) -> bool:
        return self.state() == InvitationState.PENDING
