"""Handing a package over: the practice's review, its release to the patient, every download.

Downloads by the patient, the practice and processor support are all logged; the practice's
first one is its review, which accepting the package needs (tasks.accept).
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.models import AuditAction, DataPackage, TaskState
from requests_app.roles import Capability
from requests_app.timeline import log_event
from workflows.casework.actions import tell_patient


def release(package: DataPackage, *, actor) -> DataPackage:
    """The practice hands the accepted package to the patient: the download link starts."""
    if not access.can(actor, Capability.INSTRUCT_PROCESSOR, package.task.practice_id):
        raise PermissionDenied
    now = timezone.now()
    with transaction.atomic():
        # Fresh and locked: two clicks release once, and only an accepted task's package.
        package = (
            DataPackage.objects.select_for_update(of=("self",))
            .select_related("task__request")
            .get(pk=package.pk)
        )
        task = package.task
        if task.state != TaskState.ACCEPTED:
            raise TransitionRefused("accept the package before releasing it")
        if package.released_at is not None or package.purged_at is not None:
            raise TransitionRefused("this package was released already")
        package.released_at = now
        package.released_by = actor
        package.link_expires_at = now + datetime.timedelta(days=settings.PACKAGE_LINK_DAYS)
        package.save(update_fields=["released_at", "released_by", "link_expires_at"])
        log_event(
            task,
            "package_released",
            actor=actor,
            audit_as=("package.release", AuditAction.UPDATE),
            object_type="data_package",
        )
        tell_patient(task.request)  # "there is news": the package itself is behind sign-in
    return package


def record_download(package: DataPackage, *, user, who: str) -> None:
    """Every download is logged: by the patient, the practice or processor support. The
    practice's first one is its review, which accepting the package needs."""
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
