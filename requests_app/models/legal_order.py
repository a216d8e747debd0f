"""Processing the law forces on the processor (agreement art. 3.4): a statutory provision, or a
court or administrative order based on one. The processor tells the practice before processing,
unless that law forbids the notice for important reasons of public interest; it lets the practice
contest the order where possible and keeps the processing to what is strictly necessary.

One row per practice concerned (an order about several practices is recorded once for each), so
each practice's notice, visibility and export stand on their own."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from requests_app import access
from requests_app.models.general_task import WorkEvent
from requests_app.models.practice import Practice


class OrderState(models.TextChoices):
    RECORDED = "recorded", _("Recorded: notice to the practice due")
    NOTIFIED = "notified", _("Practice notified")
    NOTICE_FORBIDDEN = "notice_forbidden", _("Notice forbidden by law")
    CARRIED_OUT = "carried_out", _("Carried out")


def by_support(order: "LegalOrder", user) -> bool:
    return access.is_processor_support(user)


def ban_in_force(order: "LegalOrder") -> bool:
    return order.notice_forbidden and order.ban_lifted_at is None


class LegalOrder(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="legal_orders")
    authority = models.CharField(_("authority"), max_length=200)
    legal_basis = models.CharField(
        _("statutory provision, or court or administrative order"), max_length=300
    )
    order_reference = models.CharField(_("its reference"), max_length=100)
    processing = models.TextField(_("what processing it demands"), max_length=5000)
    received_on = models.DateField(_("received"))
    planned_on = models.DateField(_("planned processing date"))
    state = FSMField(
        _("state"), default=OrderState.RECORDED, choices=OrderState.choices, protected=True
    )
    version = models.PositiveIntegerField(default=0, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    notified_at = models.DateTimeField(_("practice notified"), null=True, blank=True)
    notice_forbidden = models.BooleanField(_("notice forbidden by law"), default=False)
    forbidden_ground = models.TextField(_("ground for the ban on notice"), blank=True)
    ban_lifted_at = models.DateTimeField(_("ban lifted"), null=True, blank=True)
    contest_note = models.TextField(_("how the practice could contest it"), blank=True)
    limitation_note = models.TextField(_("how it was kept to what is strictly needed"), blank=True)
    carried_out_at = models.DateTimeField(_("carried out"), null=True, blank=True)
    # The key of the form it was recorded with, shared by the rows of that form (one per
    # practice): the same form sent twice records one order for each practice.
    creation_key = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("legal order")
        verbose_name_plural = _("legal orders")
        constraints = [
            models.UniqueConstraint(
                fields=["creation_key", "practice"], name="legal_order_once_per_form"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"W{self.pk}"

    @property
    def shown_to_practice(self) -> bool:
        return not ban_in_force(self)

    # --- Lifecycle. Only requests_app.lifecycle.perform_order_transition calls these. ---------
    @transition(
        field=state, source=OrderState.RECORDED, target=OrderState.NOTIFIED, permission=by_support
    )
    def notify(self) -> None:
        self.notified_at = timezone.now()

    @transition(
        field=state,
        source=OrderState.RECORDED,
        target=OrderState.NOTICE_FORBIDDEN,
        permission=by_support,
    )
    def forbid_notice(self, *, ground: str) -> None:
        if not ground.strip():
            raise ValueError("the ban on notice needs its ground")
        self.notice_forbidden = True
        self.forbidden_ground = ground.strip()

    @transition(
        field=state,
        source=[OrderState.NOTICE_FORBIDDEN, OrderState.CARRIED_OUT],
        target=RETURN_VALUE(OrderState.NOTIFIED, OrderState.CARRIED_OUT),
        permission=by_support,
        conditions=[ban_in_force],
    )
    def lift_ban(self) -> str:
        self.ban_lifted_at = self.notified_at = timezone.now()
        return (
            OrderState.CARRIED_OUT if self.state == OrderState.CARRIED_OUT else OrderState.NOTIFIED
        )

    @transition(
        field=state,
        source=[OrderState.NOTIFIED, OrderState.NOTICE_FORBIDDEN],
        target=OrderState.CARRIED_OUT,
        permission=by_support,
    )
    def carry_out(self, *, contest_note: str, limitation_note: str) -> None:
        if not (contest_note.strip() and limitation_note.strip()):
            raise ValueError("say how the practice could contest it and how it was limited")
        self.contest_note = contest_note.strip()
        self.limitation_note = limitation_note.strip()
        self.carried_out_at = timezone.now()


class LegalOrderEvent(WorkEvent):
    order = models.ForeignKey(LegalOrder, on_delete=models.CASCADE, related_name="events")

    class Meta(WorkEvent.Meta):
        pass

    @property
    def to_state_label(self) -> str:
        return OrderState(self.to_state).label if self.to_state in OrderState.values else ""
