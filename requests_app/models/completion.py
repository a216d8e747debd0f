"""What must be done before an erasure, rectification or restriction is carried out (GDPR art.
16, 17, 18, 19; agreement art. 6): the processor's part, or the practice's recorded reason why no
processor data are concerned, and every recipient told of the change (art. 19) or marked as
impossible or disproportionate to tell, with a reason. Request.fulfil and Request.close check
`open_work` (django-fsm conditions); the request page says what is still open."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from requests_app import access
from requests_app.models.assistance import AssistanceKind, AssistanceTask, TaskState
from requests_app.models.request import (
    OPEN_WORK_CHECKS,
    DecisionIncomplete,
    Request,
    RequestKind,
    RequestState,
)
from requests_app.models.subprocessor import SubProcessor
from requests_app.roles import Capability

# The kinds whose carrying out changes data that others may hold, and the processor's task each
# needs.
GATED_KINDS = {
    RequestKind.ERASURE: AssistanceKind.ERASE,
    RequestKind.RECTIFICATION: AssistanceKind.RECTIFY,
    RequestKind.RESTRICTION: AssistanceKind.RESTRICT,
}
# The recipients are told once the practice decided to carry the request out (in whole or part).
TELLING_STATES = [RequestState.GRANTED, RequestState.PARTIALLY_GRANTED]


class WorkNotDone(DecisionIncomplete):
    """The request cannot be carried out or closed yet: `points` say what is still open."""

    def __init__(self, points: list[str]) -> None:
        super().__init__("; ".join(str(p) for p in points))
        self.points = points

    def explain(self) -> str:
        return gettext(
            "This request cannot be marked carried out or closed yet. Still open: %(points)s."
        ) % {"points": "; ".join(str(p) for p in self.points)}


class NoProcessorData(models.Model):
    """The practice's recorded reason why the processor holds none of the data concerned (so
    no assistance task is needed), e.g. a correction that only concerns the medical file."""

    request = models.OneToOneField(
        Request, on_delete=models.CASCADE, related_name="no_processor_data"
    )
    reason = models.TextField(_("why no processor data are concerned"), max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"no processor data: {self.request_id}"


class NoticeState(models.TextChoices):
    TO_TELL = "to_tell", _("To be told")
    TOLD = "told", _("Told")
    IMPOSSIBLE = "impossible", _("Impossible or disproportionate to tell")


class NoticeMethod(models.TextChoices):
    PROCESSOR = "processor", _("by the processor, through the assistance task")
    EMAIL = "email", _("by e-mail")
    LETTER = "letter", _("by letter")
    PHONE = "phone", _("by telephone")
    OTHER = "other", _("otherwise (see the note)")


def by_handler(notice: "RecipientNotice", user) -> bool:
    return access.can(user, Capability.WORK_REQUESTS, notice.request.practice_id)


def request_decided_for_change(notice: "RecipientNotice") -> bool:
    return notice.request.state in TELLING_STATES


class RecipientNotice(models.Model):
    """One recipient to be told of a rectification, erasure or restriction (GDPR art. 19): a
    sub-processor of the register, or another recipient the practice names (a lab, a hospital).
    A register sub-processor gets its row when the practice first ticks it off."""

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="recipient_notices")
    subprocessor = models.ForeignKey(
        SubProcessor, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("recipient"), max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    state = FSMField(default=NoticeState.TO_TELL, choices=NoticeState.choices, protected=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    # Who ticked it off, when the recipient was told, how; or why telling is not possible.
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    told_on = models.DateField(_("told on"), null=True, blank=True)
    method = models.CharField(_("how"), max_length=20, choices=NoticeMethod.choices, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "subprocessor"],
                condition=Q(subprocessor__isnull=False),
                name="recipient_notice_once_per_subprocessor",
            )
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.name}"

    @property
    def settled(self) -> bool:
        return self.state != NoticeState.TO_TELL

    # --- Lifecycle. Only requests_app.lifecycle.perform_record_transition calls these. --------
    @transition(
        field=state,
        source=NoticeState.TO_TELL,
        target=NoticeState.TOLD,
        permission=by_handler,
        conditions=[request_decided_for_change],
    )
    def tell(self, *, by, told_on, how: str, note: str = "") -> None:
        if how not in NoticeMethod.values:
            raise DecisionIncomplete("say how the recipient was told")
        if told_on is None or told_on > timezone.localdate():
            raise DecisionIncomplete("say when the recipient was told (not in the future)")
        self.done_by, self.done_at = by, timezone.now()
        self.told_on, self.method, self.note = told_on, how, note.strip()

    @transition(
        field=state,
        source=NoticeState.TO_TELL,
        target=NoticeState.IMPOSSIBLE,
        permission=by_handler,
        conditions=[request_decided_for_change],
    )
    def mark_impossible(self, *, by, reason: str) -> None:
        """Art. 19 excuses telling when it proves impossible or involves disproportionate
        effort; the reason is recorded (and the patient may read it)."""
        if not reason.strip():
            raise DecisionIncomplete("say why telling this recipient is not possible")
        self.done_by, self.done_at, self.note = by, timezone.now(), reason.strip()


def register_recipients():
    """The sub-processors of the register that receive the patient's data."""
    return SubProcessor.objects.filter(active=True).exclude(categories=[])


def processor_part_done(request: Request) -> bool:
    """The processor's task for the request is accepted (an erasure with its certificate), or
    the practice recorded why no processor data are concerned."""
    if NoProcessorData.objects.filter(request=request).exists():
        return True
    tasks = AssistanceTask.objects.filter(
        request=request, kind=GATED_KINDS[request.kind], state=TaskState.ACCEPTED
    )
    if request.kind == RequestKind.ERASURE:
        tasks = tasks.filter(certificate__isnull=False)
    return tasks.exists()


def recipients_open(request: Request) -> list[str]:
    """The names of the recipients not yet ticked off, register sub-processors first."""
    notices = list(RecipientNotice.objects.filter(request=request))
    settled = {n.subprocessor_id for n in notices if n.subprocessor_id and n.settled}
    open_names = [s.name for s in register_recipients() if s.pk not in settled]
    return open_names + [n.name for n in notices if not n.subprocessor_id and not n.settled]


def open_work(request: Request) -> list[str]:
    """What still stands between the request and carrying it out or closing it (empty: none).
    A refused request carries nothing out, and other kinds have no such work."""
    if request.kind not in GATED_KINDS or request.state == RequestState.REFUSED:
        return []
    points = []
    if not processor_part_done(request):
        if request.kind == RequestKind.ERASURE:
            points.append(
                _(
                    "the processor's erasure task is not accepted with a certificate, and no "
                    "reason is recorded why no processor data are concerned"
                )
            )
        else:
            points.append(
                _(
                    "the processor's task is not accepted, and no reason is recorded why no "
                    "processor data are concerned"
                )
            )
    names = recipients_open(request)
    if names:
        points.append(
            _("recipients not yet told (GDPR art. 19): %(names)s") % {"names": ", ".join(names)}
        )
    return points


# Request.fulfil and Request.close ask this (requests_app.models.request.work_carried_out).
OPEN_WORK_CHECKS.append(open_work)
