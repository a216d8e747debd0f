"""Where package files are kept, read back, removed and, after their time, purged.

Files live outside any public path (PACKAGE_STORAGE_DIR), encrypted (sealed_files). The row of a
purged package stays as a record that it existed. The practice's own documents in the answer
(documents.py) are kept beside the packages and purged by the same rule.
"""

import datetime
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from requests_app import audit
from requests_app.models import AuditAction, DataPackage, PracticeDocument
from workflows.assistance.sealed_files import read_sealed


def storage_dir() -> Path:
    path = Path(settings.PACKAGE_STORAGE_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def package_path(package: DataPackage) -> Path:
    return storage_dir() / package.file_name


def open_package(package: DataPackage) -> Iterator[bytes]:
    """The package's ZIP, decrypted chunk by chunk."""
    return read_sealed(package_path(package))


def purge_packages(now: datetime.datetime | None = None) -> list[int]:
    """Remove package files PACKAGE_RETENTION_DAYS after release (or after building, when never
    released); the row stays as a record that it existed. Safe to run again."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(days=settings.PACKAGE_RETENTION_DAYS)
    expired = DataPackage.objects.filter(purged_at__isnull=True).filter(
        Q(released_at__lt=limit) | Q(released_at__isnull=True, built_at__lt=limit)
    )
    purged = []
    for package in expired.select_related("task__request"):
        package.purged_at = now
        package.save(update_fields=["purged_at"])
        remove_file(package)
        audit.record(
            "package.purge",
            AuditAction.DELETE,
            user_label="system",
            request=package.task.request,
            object_type="data_package",
            object_id=package.task.number,
        )
        purged.append(package.pk)
    purge_documents(now)
    remove_leftovers(now)
    return purged


def purge_documents(now: datetime.datetime) -> list[int]:
    """The practice's documents go by the packages' rule: PACKAGE_RETENTION_DAYS after release,
    or after they were added when never released. The row stays as a record."""
    limit = now - datetime.timedelta(days=settings.PACKAGE_RETENTION_DAYS)
    expired = PracticeDocument.objects.filter(purged_at__isnull=True).filter(
        Q(released_at__lt=limit) | Q(released_at__isnull=True, uploaded_at__lt=limit)
    )
    purged = []
    for document in expired.select_related("request"):
        document.purged_at = now
        document.save(update_fields=["purged_at"])
        (storage_dir() / document.file_name).unlink(missing_ok=True)
        audit.record(
            "practice_document.purge",
            AuditAction.DELETE,
            user_label="system",
            request=document.request,
            object_type="practice_document",
            object_id=document.number,
        )
        purged.append(document.pk)
    return purged


def remove_leftovers(now: datetime.datetime) -> None:
    """Spool folders and half-written or orphaned files a crashed build left behind (a day old,
    so a build still running is never touched)."""
    cutoff = (now - datetime.timedelta(days=1)).timestamp()
    known = set(
        DataPackage.objects.filter(purged_at__isnull=True).values_list("file_name", flat=True)
    ) | set(
        PracticeDocument.objects.filter(purged_at__isnull=True).values_list("file_name", flat=True)
    )
    for path in storage_dir().iterdir():
        if path.stat().st_mtime > cutoff or path.name in known:
            continue
        if path.is_dir() and path.name.startswith("spool-"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file():
            path.unlink(missing_ok=True)


def remove_file(package: DataPackage) -> None:
    (storage_dir() / package.file_name).unlink(missing_ok=True)


def remove_file_after_commit(package: DataPackage) -> None:
    """Inside a transaction: the file goes only if the change that drops it is committed."""
    transaction.on_commit(lambda: remove_file(package))


def remove_after_commit(file_name: str) -> None:
    """The same for any file kept here (a practice's document)."""
    transaction.on_commit(lambda: (storage_dir() / file_name).unlink(missing_ok=True))
