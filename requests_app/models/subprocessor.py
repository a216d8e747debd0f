"""The processor's sub-processors and what each receives (agreement Bijlage 1, art. 7). Data,
not code: they are named in access answers and told of rectification, erasure and restriction
(GDPR art. 19)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


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


class SubProcessor(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    service = models.CharField(_("what it does for the processor"), max_length=300)
    location = models.CharField(_("where the data is processed"), max_length=200)
    inside_eea = models.BooleanField(_("inside the EEA"), default=True)
    categories = models.JSONField(_("data categories received"), default=list)
    # Without an API the processor's support erases or rectifies there by hand, with a note.
    has_api = models.BooleanField(_("reachable through an API"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sub-processor")
        verbose_name_plural = _("sub-processors")

    def __str__(self) -> str:
        return self.name

    def category_labels(self) -> list[str]:
        return [str(DataCategory(c).label) for c in self.categories if c in DataCategory.values]
