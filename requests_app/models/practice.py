"""The controllers (GP practices) and the staff accounts that act for them or for the processor."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from requests_app.roles import PRACTICE_ROLES, PROCESSOR_ROLES, Role
from requests_app.validators import (
    normalise_postcode,
    validate_agb_code,
    validate_person_name,
    validate_postcode,
)


class Practice(models.Model):
    """A GP practice: the controller (verwerkingsverantwoordelijke) under the agreement."""

    name = models.CharField(_("name"), max_length=200)
    agb_code = models.CharField(
        _("AGB code"), max_length=8, unique=True, validators=[validate_agb_code]
    )
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=7, validators=[validate_postcode])
    city = models.CharField(_("city"), max_length=100)
    # Bijlage 5 of the agreement: the privacy contact (FG/DPO) and a stand-in.
    dpo_name = models.CharField(
        _("privacy contact (FG) name"), max_length=200, validators=[validate_person_name]
    )
    dpo_email = models.EmailField(_("privacy contact (FG) e-mail"))
    dpo_phone = models.CharField(_("privacy contact (FG) mobile"), max_length=20, blank=True)
    standin_name = models.CharField(
        _("stand-in name"), max_length=200, blank=True, validators=[validate_person_name]
    )
    standin_email = models.EmailField(_("stand-in e-mail"), blank=True)
    standin_phone = models.CharField(_("stand-in mobile"), max_length=20, blank=True)
    # Wkkgz: the complaints officer advises the patient free of charge from the receipt on
    # (art. 15); the disputes body, whose ruling binds, is named in every decision (art. 18-19).
    # The complaint letters print these, so a complaint needs a name and a way to reach each.
    complaints_officer = models.CharField(
        _("complaints officer (klachtenfunctionaris)"), max_length=300, blank=True
    )
    complaints_officer_email = models.EmailField(_("complaints officer e-mail"), blank=True)
    complaints_officer_phone = models.CharField(
        _("complaints officer telephone"), max_length=20, blank=True
    )
    disputes_body = models.CharField(
        _("disputes body (geschilleninstantie)"), max_length=300, blank=True
    )
    disputes_body_contact = models.CharField(
        _("disputes body address or telephone"), max_length=300, blank=True
    )
    disputes_body_website = models.URLField(_("disputes body website"), blank=True)
    # Bijlage 1 of the agreement: 15 years after the request was closed.
    retention_years = models.PositiveSmallIntegerField(
        _("keep closed requests (years)"), default=15
    )
    # Agreement art. 6.1: how long the processor has for an assistance task (working days).
    assistance_turnaround_days = models.PositiveSmallIntegerField(
        _("processor turnaround for assistance (working days)"), default=5
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("practice")
        verbose_name_plural = _("practices")
        indexes = [models.Index(fields=["city"]), models.Index(fields=["postcode"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"

    def save(self, *args, **kwargs):
        self.postcode = normalise_postcode(self.postcode)
        super().save(*args, **kwargs)

    def privacy_emails(self) -> list[str]:
        return [e for e in (self.dpo_email, self.standin_email) if e]

    def privacy_phones(self) -> list[str]:
        return [p for p in (self.dpo_phone, self.standin_phone) if p]

    @property
    def complaint_settings_complete(self) -> bool:
        """What the complaint letters must state: the complaints officer with a way to reach
        them, and the disputes body with its address, telephone or website."""
        return bool(
            self.complaints_officer
            and (self.complaints_officer_email or self.complaints_officer_phone)
            and self.disputes_body
            and (self.disputes_body_contact or self.disputes_body_website)
        )


class Membership(models.Model):
    """A named account's role: at a practice, or (practice empty) at the processor."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "practice", "role"], name="membership_unique_role"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(practice__isnull=True),
                name="membership_unique_processor_role",
            ),
            # Practice roles need a practice; processor roles must not have one.
            models.CheckConstraint(
                condition=(
                    Q(practice__isnull=False, role__in=sorted(PRACTICE_ROLES))
                    | Q(practice__isnull=True, role__in=sorted(PROCESSOR_ROLES))
                ),
                name="membership_role_matches_practice",
            ),
        ]

    def __str__(self) -> str:
        where = self.practice or _("processor")
        return f"{self.user} – {self.get_role_display()} – {where}"
