"""The practice's own documents in its answer to an access or portability request.

The practice is the controller: the copy it owes the patient (GDPR art. 15(3), art. 20) covers
what it holds itself, such as the medical file exported from its information system, not only
what the processor holds for it. Its handlers attach such files to the answer; they are stored
encrypted beside the data packages and go to the patient in the same release, behind the same
download page and code, with the same link expiry and purge as the processor's package.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models.assistance import (
    GRANTED_STATES,
    READY_STATES,
    WAIT_FOR_GRANT,
    AssistanceKind,
    AssistanceTask,
    TaskState,
)
from requests_app.models.request import ACTION_LABELS, Request, RequestKind

# The kinds of request whose answer is a copy of the data.
DOCUMENT_KINDS = (RequestKind.ACCESS, RequestKind.PORTABILITY)
# How the request's timeline names what happens to them (kept beside the model they are about).
ACTION_LABELS.update(
    {
        "document_added": _("Document added to the answer"),
        "document_removed": _("Document removed from the answer"),
        "documents_released": _("Practice's documents released to the patient"),
        "document_download": _("Practice's document downloaded"),
    }
)


class PracticeDocument(models.Model):
    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="practice_documents"
    )
    # As the patient sees it; checked on upload (workflows.assistance.packages.documents).
    name = models.CharField(_("name"), max_length=120)
    content_type = models.CharField(max_length=100)
    file_name = models.CharField(max_length=200, unique=True)  # inside PACKAGE_STORAGE_DIR
    size = models.PositiveBigIntegerField()  # of the plaintext
    sha256 = models.CharField(max_length=64)  # of the plaintext
    uploaded_at = models.DateTimeField(_("added"), default=timezone.now, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    released_at = models.DateTimeField(_("released to the patient"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    link_expires_at = models.DateTimeField(_("download link expires"), null=True, blank=True)
    purged_at = models.DateTimeField(_("file removed"), null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("practice document")
        verbose_name_plural = _("practice documents")

    def __str__(self) -> str:
        return f"{self.request.reference}/D{self.pk}"

    @property
    def number(self) -> str:
        return f"D{self.pk}"

    @property
    def pending(self) -> bool:
        """Not yet released and still kept: it may be removed, and goes out with the release."""
        return self.released_at is None and self.purged_at is None

    @property
    def downloadable(self) -> bool:
        """The same rule as for the processor's package (DataPackage.downloadable)."""
        return (
            self.released_at is not None
            and self.purged_at is None
            and self.link_expires_at is not None
            and timezone.now() < self.link_expires_at
        )


def documents_may_change(request: Request) -> bool:
    """Documents are added to an access or portability answer once the patient's identity is
    verified (as the processor is asked to supply data then), and until the answer is given."""
    return (
        request.kind in DOCUMENT_KINDS
        and request.practice_id is not None
        and request.state in READY_STATES[AssistanceKind.SUPPLY]
    )


def pending_documents(request: Request) -> models.QuerySet[PracticeDocument]:
    return PracticeDocument.objects.filter(
        request=request, released_at__isnull=True, purged_at__isnull=True
    )


def waiting_supply_task(request: Request) -> AssistanceTask | None:
    """The processor's supply task whose package has not gone out yet (and was not refused by
    the practice): the practice's documents go out with that package, in one release."""
    return (
        AssistanceTask.objects.filter(request=request, kind=AssistanceKind.SUPPLY)
        .exclude(state=TaskState.REJECTED)
        .filter(
            Q(package__isnull=True)
            | Q(package__released_at__isnull=True, package__purged_at__isnull=True)
        )
        .order_by("pk")
        .first()
    )


def documents_release_refusal(request: Request) -> str:
    """Why the practice's documents cannot be released on their own now ("" when they can).
    The rule of the guarded release (workflows.assistance.packages.handover)."""
    if request.state not in GRANTED_STATES:
        return str(WAIT_FOR_GRANT)
    if not pending_documents(request).exists():
        return str(_("There are no documents waiting to be released."))
    task = waiting_supply_task(request)
    if task is not None:
        return str(
            _(
                "These documents go to the patient together with the processor's data "
                "package of task %(task)s: release that package when it has been accepted."
            )
            % {"task": task.number}
        )
    return ""
