"""The processor's time on a practice's tasks and what it costs (agreement art. 9): work inherent
in the service is in the fees (9.1), further help is charged at the rates of Bijlage 3 (9.2),
and work that stems from the processor's own shortcoming is free (9.3)."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.assistance import AssistanceTask
from requests_app.models.general_task import GeneralTask
from requests_app.models.practice import Practice

# One entry is one stretch of work on one day: more than twelve hours is a typing error.
MAX_MINUTES = 12 * 60
MAX_RATE = Decimal("1000.00")
CENT = Decimal("0.01")


class HourlyRate(models.Model):
    """A Bijlage 3 function and its hourly rate in euros excluding VAT, from a date on: a new
    rate is a new row, so the costs already recorded keep the rate they were recorded at."""

    function = models.CharField(_("function"), max_length=100)
    rate = models.DecimalField(
        _("hourly rate (EUR, excl. VAT)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_RATE)],
    )
    valid_from = models.DateField(_("valid from"))

    class Meta:
        ordering = ["function", "-valid_from"]
        verbose_name = _("hourly rate (Bijlage 3)")
        verbose_name_plural = _("hourly rates (Bijlage 3)")
        constraints = [
            models.UniqueConstraint(fields=["function", "valid_from"], name="rate_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.function}: € {self.rate} ({self.valid_from:%Y-%m-%d})"


def rates_on(day: datetime.date) -> dict[str, Decimal]:
    """Each function's rate valid on `day`."""
    valid: dict[str, Decimal] = {}
    for function, rate in (
        HourlyRate.objects.filter(valid_from__lte=day)
        .order_by("function", "-valid_from")
        .values_list("function", "rate")
    ):
        valid.setdefault(function, rate)
    return valid


class ChargeBasis(models.TextChoices):
    INCLUDED = "included", _("Included in the fees (agreement art. 9.1)")
    CHARGEABLE = "chargeable", _("Chargeable at the Bijlage 3 rates (agreement art. 9.2)")
    SHORTCOMING = "shortcoming", _("Free: stems from a shortcoming of the processor (art. 9.3)")


class TimeEntry(models.Model):
    """Time support spent on one task of one practice: an assistance task or a general one."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="time_entries")
    task = models.ForeignKey(
        AssistanceTask,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    general_task = models.ForeignKey(
        GeneralTask,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="time_entries",
    )
    day = models.DateField(_("date"))
    minutes = models.PositiveIntegerField(
        _("minutes"), validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)]
    )
    function = models.CharField(_("function (Bijlage 3)"), max_length=100)
    hourly_rate = models.DecimalField(
        _("hourly rate (EUR, excl. VAT)"), max_digits=7, decimal_places=2
    )
    basis = models.CharField(_("chargeable?"), max_length=20, choices=ChargeBasis.choices)
    note = models.TextField(_("what was done"), max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    # The key of the form it was recorded with: the same form sent twice charges once.
    creation_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["day", "pk"]
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(task__isnull=False, general_task__isnull=True)
                | Q(task__isnull=True, general_task__isnull=False),
                name="time_entry_on_one_task",
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_MINUTES),
                name="time_entry_minutes_in_range",
            ),
        ]
        indexes = [models.Index(fields=["practice", "day"])]

    def __str__(self) -> str:
        return f"{self.day}: {self.minutes} min {self.function}"

    @property
    def chargeable(self) -> bool:
        return self.basis == ChargeBasis.CHARGEABLE

    @property
    def cost(self) -> Decimal:
        """In euros excluding VAT; nothing unless chargeable (art. 9.1, 9.3)."""
        if not self.chargeable:
            return Decimal("0.00")
        return (self.hourly_rate * self.minutes / 60).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def task_number(self) -> str:
        return self.task.number if self.task_id else self.general_task.number
