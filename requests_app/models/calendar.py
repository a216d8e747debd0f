"""Days the Dutch Algemene termijnenwet equates with public holidays by royal decree (art. 3(3)).

They are published every few years in the Staatscourant; no holiday library knows them, so an
administrator keeps this table current (the known ones ship in a data migration).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EquatedHoliday(models.Model):
    date = models.DateField(_("date"), unique=True)
    description = models.CharField(_("description"), max_length=200)

    class Meta:
        ordering = ["date"]
        verbose_name = _("day equated with a public holiday")
        verbose_name_plural = _("days equated with a public holiday")

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.description}"
