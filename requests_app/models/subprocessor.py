"""The register of the processor's sub-processors (agreement Bijlage 1, art. 7): what each does,
where, under which safeguard outside the EEA, what it receives, and which practice approved it
when. Data, not code: access answers name them as recipients (GDPR art. 15(1)(c), 15(2)) and
they are told of rectification, erasure and restriction (GDPR art. 19). Each channel and
connector names the entry it uses; `check --deploy` compares the two (portal/checks.py)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.practice import Practice


class DataCategory(models.TextChoices):
    """The personal data Bijlage 1 says the platform holds."""

    NAME = "name", _("name")
    BIRTH_DATE = "birth_date", _("date of birth")
    CARE_ORGANISATION = "care_organisation", _("care organisation")
    PATIENT_NUMBER = "patient_number", _("patient number")
    BSN = "bsn", _("citizen service number (BSN)")
    POSTCODE = "postcode", _("postcode")
    EMAIL = "email", _("e-mail address")
    MOBILE = "mobile", _("mobile number")
    DEVICE_ID = "device_id", _("device id")
    CONVERSATIONS = "conversations", _("conversations")
    VIDEO_IP = "video_ip", _("IP address (video calls)")


class TransferMechanism(models.TextChoices):
    """The safeguard for data processed outside the EEA (GDPR chapter V), as the patient reads it
    (art. 15(2)). Empty for a sub-processor inside the EEA."""

    NONE = "", _("none needed: processed inside the EEA")
    DPF = "dpf", _("the EU-US Data Privacy Framework (adequacy decision, GDPR art. 45)")
    SCC = "scc", _("the EU standard contractual clauses (GDPR art. 46(2)(c))")
    DPF_SCC = (
        "dpf_scc",
        _(
            "the EU-US Data Privacy Framework (adequacy decision, GDPR art. 45), and the EU "
            "standard contractual clauses (GDPR art. 46(2)(c)) in the processor's agreement "
            "with it"
        ),
    )


class SubProcessorQuerySet(models.QuerySet):
    def approved_for(self, practice: Practice) -> "SubProcessorQuerySet":
        """Active entries the practice gave its written consent to (agreement art. 7.1, 3.7)."""
        return self.filter(active=True, approvals__practice=practice).distinct()

    def receiving(self, categories) -> list["SubProcessor"]:
        """The entries that receive at least one of `categories` (a JSON list, so in Python)."""
        wanted = set(categories)
        return [sub for sub in self if wanted & set(sub.categories)]


class SubProcessor(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    # Shown to patients in their language: each text in Dutch and in English.
    service_nl = models.CharField(
        _("what it does for the processor (Dutch)"), max_length=300, default=""
    )
    service = models.CharField(_("what it does for the processor (English)"), max_length=300)
    location_nl = models.CharField(
        _("where the data is processed (Dutch)"), max_length=200, default=""
    )
    location = models.CharField(_("where the data is processed (English)"), max_length=200)
    inside_eea = models.BooleanField(_("inside the EEA"), default=True)
    transfer_mechanism = models.CharField(
        _("safeguard for the transfer outside the EEA"),
        max_length=20,
        choices=TransferMechanism.choices,
        blank=True,
        default=TransferMechanism.NONE,
    )
    categories = models.JSONField(_("data categories received"), default=list)
    # Without an API the processor's support erases or rectifies there by hand, with a note.
    has_api = models.BooleanField(_("reachable through an API"), default=False)
    # An inactive entry stays in the register (and in old tasks) but is nobody's recipient.
    active = models.BooleanField(_("active"), default=True)
    note = models.TextField(_("note"), blank=True)

    objects = SubProcessorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("sub-processor")
        verbose_name_plural = _("sub-processors")
        constraints = [
            # Outside the EEA only with a safeguard; inside it none is claimed.
            models.CheckConstraint(
                condition=Q(inside_eea=True, transfer_mechanism="")
                | (Q(inside_eea=False) & ~Q(transfer_mechanism="")),
                name="subprocessor_transfer_safeguard",
                violation_error_message=_(
                    "A sub-processor outside the EEA needs a safeguard; one inside it has none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def category_labels(self, categories=None) -> list[str]:
        wanted = self.categories if categories is None else categories
        return [str(DataCategory(c).label) for c in wanted if c in DataCategory.values]

    def service_in(self, language: str) -> str:
        return self.service_nl if language.startswith("nl") else self.service

    def location_in(self, language: str) -> str:
        return self.location_nl if language.startswith("nl") else self.location


class SubProcessorApproval(models.Model):
    """A practice's prior written consent to a sub-processor (agreement art. 7.1; for one outside
    the EEA also art. 3.7). Signing the agreement approves those listed in its Bijlage 1."""

    practice = models.ForeignKey(
        Practice,
        on_delete=models.CASCADE,
        related_name="subprocessor_approvals",
        verbose_name=_("practice"),
    )
    subprocessor = models.ForeignKey(
        SubProcessor,
        on_delete=models.PROTECT,
        related_name="approvals",
        verbose_name=_("sub-processor"),
    )
    approved_on = models.DateField(_("approved on"))
    evidence = models.CharField(
        _("written consent"),
        max_length=300,
        help_text=_("Which document records the consent, e.g. the signed agreement's Bijlage 1."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["subprocessor__name", "practice__name"]
        verbose_name = _("sub-processor approval")
        verbose_name_plural = _("sub-processor approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "subprocessor"], name="subprocessor_approved_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subprocessor} – {self.practice} ({self.approved_on})"
