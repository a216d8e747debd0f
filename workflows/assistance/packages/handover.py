"""Handing the answer over: the practice's review, its release to the patient, every download.

The answer is the processor's package and the practice's own documents (documents.py). One
release hands over both, at one moment with one link expiry: the package's release takes the
request's documents along; documents alone are released when no package is on its way. Nothing
is released before the practice granted the request, in full or in part (the model's rule:
DataPackage.release_refusal, documents_release_refusal). Downloads by the patient, the practice
and processor support are all logged; the practice's first one of a package is its review, which
accepting the package needs (tasks.accept).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.models import AuditAction, DataPackage, PracticeDocument, Request
from requests_app.models.practice_document import documents_release_refusal
from requests_app.roles import Capability
from requests_app.timeline import log_event
from workflows.assistance.packages.documents import released_now
from workflows.casework.actions import tell_patient


def release(package: DataPackage, *, actor) -> DataPackage:
    """The practice hands the accepted package to the patient: the download link starts."""
    if not access.can(actor, Capability.INSTRUCT_PROCESSOR, package.task.practice_id):
        raise PermissionDenied
    now = timezone.now()
    expires = now + datetime.timedelta(days=settings.PACKAGE_LINK_DAYS)
    with transaction.atomic():
        # Fresh and locked (the request, then the package): two clicks release once, and only
        # an accepted task's package of a granted request.
        item = Request.objects.select_for_update().get(pk=package.task.request_id)
        package = (
            DataPackage.objects.select_for_update(of=("self",))
            .select_related("task")
            .get(pk=package.pk)
        )
        task = package.task
        task.request = item
        if not package.releasable:
            raise TransitionRefused(package.release_refusal)
        package.released_at = now
        package.released_by = actor
        package.link_expires_at = expires
        package.save(update_fields=["released_at", "released_by", "link_expires_at"])
        log_event(
            task,
            "package_released",
            actor=actor,
            audit_as=("package.release", AuditAction.UPDATE),
            object_type="data_package",
        )
        released_now(item, actor=actor, now=now, expires=expires)
        tell_patient(item)  # "there is news": the package itself is behind sign-in
    return package


def release_documents(item: Request, *, actor) -> int:
    """The practice's documents alone, when no processor's package is on its way: the same
    release, link and purge as a package's. How many went."""
    if not access.can(actor, Capability.WORK_REQUESTS, item.practice_id):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=item.pk)
        refusal = documents_release_refusal(locked)
        if refusal:
            raise TransitionRefused(refusal)
        count = released_now(
            locked,
            actor=actor,
            now=now,
            expires=now + datetime.timedelta(days=settings.PACKAGE_LINK_DAYS),
        )
        tell_patient(locked)
    return count


def record_download(package: DataPackage | PracticeDocument, *, user, who: str) -> None:
    """Every download is logged: by the patient, the practice or processor support. The
    practice's first one of a package is its review, which accepting the package needs."""
    if isinstance(package, PracticeDocument):
        log_event(
            package.request,
            "document_download",
            actor=user,
            note=who,
            audit_as=("practice_document.download", AuditAction.READ),
            object_type="practice_document",
            object_id=package.number,
            audit_details={"by": who, "sha256": package.sha256},
        )
        return
    with transaction.atomic():
        if who == "practice":
            DataPackage.objects.filter(pk=package.pk, opened_at__isnull=True).update(
                opened_at=timezone.now(), opened_by=user
            )
        log_event(
            package.task,
            "package_download",
            actor=user,
            note=who,
            audit_as=("package.download", AuditAction.READ),
            object_type="data_package",
            audit_details={"by": who, "sha256": package.sha256},
        )
