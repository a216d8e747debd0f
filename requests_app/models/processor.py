"""The processor's own contacts for incidents and data breaches (agreement Bijlage 5: a primary
contact and a stand-in for when the primary is away). Practices see them beside every incident and
in the register of processing (GDPR art. 30(2)(a)); the processor's administrators keep them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from requests_app.validators import validate_person_name


class ContactRole(models.TextChoices):
    PRIMARY = "primary", _("Primary contact")
    STANDIN = "standin", _("Stand-in when the primary contact is away")


class ProcessorContactQuerySet(models.QuerySet):
    def in_order(self) -> list["ProcessorContact"]:
        """Primary first, then the stand-in."""
        order = {ContactRole.PRIMARY: 0, ContactRole.STANDIN: 1}
        return sorted(self, key=lambda c: order.get(c.role, 9))


class ProcessorContact(models.Model):
    role = models.CharField(_("role"), max_length=20, choices=ContactRole.choices, unique=True)
    name = models.CharField(_("name"), max_length=200, validators=[validate_person_name])
    function = models.CharField(_("function"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("telephone"), max_length=20, blank=True)

    objects = ProcessorContactQuerySet.as_manager()

    class Meta:
        verbose_name = _("processor contact")
        verbose_name_plural = _("processor contacts")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"
