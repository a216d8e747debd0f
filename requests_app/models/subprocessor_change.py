"""A planned change of sub-processors, announced by the processor to every active practice
(agreement art. 7.1; outside the EEA also art. 3.7 and 7.3), and each practice's answer:
consent, which records its SubProcessorApproval, or an objection with its reason. The change
takes effect on its date; until then it can be withdrawn. Only requests_app.lifecycle calls the
transitions; every one leaves a ChangeEvent and an audit record."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from requests_app import access
from requests_app.models.practice import Practice
from requests_app.models.subprocessor import SubProcessor, TransferMechanism
from requests_app.roles import Capability


class ChangeKind(models.TextChoices):
    NEW = "new", _("A new sub-processor")
    REPLACEMENT = "replacement", _("A sub-processor replaces another")
    LOCATION = "location", _("A sub-processor processes in a new location")
    END = "end", _("The processor stops using a sub-processor")


# The kinds a practice's consent approves the sub-processor for (art. 7.1, 3.7).
NEEDS_CONSENT = frozenset({ChangeKind.NEW, ChangeKind.REPLACEMENT, ChangeKind.LOCATION})


class ChangeState(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    IN_EFFECT = "in_effect", _("In effect")
    WITHDRAWN = "withdrawn", _("Withdrawn")


def by_processor_support(change, user) -> bool:
    return access.is_processor_support(user)


def by_processor_or_system(change, user) -> bool:
    return user is None or access.is_processor_support(user)


def _effective_date_reached(change: "SubProcessorChange") -> bool:
    return change.effective_on <= timezone.localdate()


class SubProcessorChange(models.Model):
    kind = models.CharField(_("what changes"), max_length=20, choices=ChangeKind.choices)
    subprocessor = models.ForeignKey(
        SubProcessor,
        on_delete=models.PROTECT,
        related_name="changes",
        verbose_name=_("sub-processor"),
    )
    replaces = models.ForeignKey(
        SubProcessor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by_changes",
        verbose_name=_("replaces"),
    )
    # A new location (kind LOCATION): where, and the safeguard outside the EEA.
    location_nl = models.CharField(_("new location (Dutch)"), max_length=200, blank=True)
    location = models.CharField(_("new location (English)"), max_length=200, blank=True)
    inside_eea = models.BooleanField(_("new location inside the EEA"), default=True)
    transfer_mechanism = models.CharField(
        _("safeguard for the transfer outside the EEA"),
        max_length=20,
        choices=TransferMechanism.choices,
        blank=True,
        default=TransferMechanism.NONE,
    )
    description_nl = models.TextField(_("what changes and why (Dutch)"))
    description = models.TextField(_("what changes and why (English)"))
    effective_on = models.DateField(_("takes effect on"))
    state = FSMField(default=ChangeState.ANNOUNCED, choices=ChangeState.choices, protected=True)
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    announced_at = models.DateTimeField(_("announced at"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("took effect or withdrawn at"), null=True, blank=True)
    # The key of the form it was announced with: the same form sent twice announces once.
    creation_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-announced_at"]
        verbose_name = _("change of sub-processors")
        verbose_name_plural = _("changes of sub-processors")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="replacement", replaces__isnull=False)
                | (~Q(kind="replacement") & Q(replaces__isnull=True)),
                name="subprocessor_change_replaces",
            ),
            models.CheckConstraint(
                condition=~Q(kind="location")
                | (
                    ~Q(location="")
                    & ~Q(location_nl="")
                    & (
                        Q(inside_eea=True, transfer_mechanism="")
                        | (Q(inside_eea=False) & ~Q(transfer_mechanism=""))
                    )
                ),
                name="subprocessor_change_location",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subprocessor} ({self.effective_on})"

    @property
    def outside_eea(self) -> bool:
        """Whether the change brings processing outside the EEA (agreement art. 3.7, 7.3)."""
        if self.kind == ChangeKind.LOCATION:
            return not self.inside_eea
        return self.kind != ChangeKind.END and not self.subprocessor.inside_eea

    @property
    def needs_consent(self) -> bool:
        return self.kind in NEEDS_CONSENT

    @property
    def open_for_answers(self) -> bool:
        return self.state == ChangeState.ANNOUNCED and timezone.localdate() < self.effective_on

    def text(self, field: str, language: str) -> str:
        return getattr(self, f"{field}_nl" if language.startswith("nl") else field)

    # --- Lifecycle. Only requests_app.lifecycle.perform_change_transition calls these. --------
    @transition(
        field=state,
        source=ChangeState.ANNOUNCED,
        target=ChangeState.IN_EFFECT,
        permission=by_processor_or_system,
        conditions=[_effective_date_reached],
    )
    def take_effect(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=ChangeState.ANNOUNCED,
        target=ChangeState.WITHDRAWN,
        permission=by_processor_support,
        conditions=[lambda change: not _effective_date_reached(change)],
    )
    def withdraw(self) -> None:
        self.closed_at = timezone.now()


class AnswerState(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    CONSENTED = "consented", _("Consent")
    OBJECTED = "objected", _("Objection")


def by_practice_privacy_role(answer: "ChangeAnswer", user) -> bool:
    """The practice's FG or its administrator answers for the practice."""
    return access.can(user, Capability.ANSWER_SUBPROCESSOR_CHANGES, answer.practice_id)


def _open(answer: "ChangeAnswer") -> bool:
    return answer.change.open_for_answers


class ChangeAnswer(models.Model):
    """A practice's answer to one announcement: one row per active practice, made when the
    change is announced. Consent is final; an objection may later become consent."""

    change = models.ForeignKey(SubProcessorChange, on_delete=models.CASCADE, related_name="answers")
    practice = models.ForeignKey(
        Practice,
        on_delete=models.CASCADE,
        related_name="subprocessor_change_answers",
        verbose_name=_("practice"),
    )
    state = FSMField(default=AnswerState.PENDING, choices=AnswerState.choices, protected=True)
    reason = models.TextField(_("reason for the objection"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["practice__name"]
        verbose_name = _("answer to a change of sub-processors")
        verbose_name_plural = _("answers to changes of sub-processors")
        constraints = [
            models.UniqueConstraint(fields=["change", "practice"], name="change_answered_once"),
        ]

    def __str__(self) -> str:
        return f"{self.practice}: {self.get_state_display()}"

    # --- Lifecycle. Only requests_app.lifecycle.perform_change_transition calls these. --------
    @transition(
        field=state,
        source=[AnswerState.PENDING, AnswerState.OBJECTED],
        target=AnswerState.CONSENTED,
        permission=by_practice_privacy_role,
        conditions=[_open],
    )
    def consent(self, *, by) -> None:
        self.answered_by = by
        self.answered_at = timezone.now()

    @transition(
        field=state,
        source=AnswerState.PENDING,
        target=AnswerState.OBJECTED,
        permission=by_practice_privacy_role,
        conditions=[_open, lambda answer: bool(answer.reason.strip())],
    )
    def object(self, *, by) -> None:
        self.answered_by = by
        self.answered_at = timezone.now()


class ChangeEvent(models.Model):
    """The history of an announcement: announced, each answer, in effect or withdrawn, and the
    approvals it recorded or ended. The audit record of the same act is written with it."""

    change = models.ForeignKey(SubProcessorChange, on_delete=models.CASCADE, related_name="events")
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=50)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.change_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
