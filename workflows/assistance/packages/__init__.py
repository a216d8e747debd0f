"""Data packages for access and portability (GDPR art. 15 and 20, agreement art. 6.3, 11.2).

A package is one ZIP: `package.json` (documented by docs/data-package.schema.json, included),
one CSV per source and data category, and `index.html`, a page a person can read and print
that states what art. 15 requires. It is built in one pass over the sources into encrypted
spool files and then assembled into an encrypted ZIP, so memory does not grow with the data.

build: the statement and the build; archive: the spools and the ZIP; files: storage, reading
back, removal and the purge; handover: the practice's review, the release, every download;
documents: the practice's own documents that go out in the same release.
Callers use the names below.
"""

from workflows.assistance.packages.build import PackageError, build_package, schedule_build
from workflows.assistance.packages.documents import (
    DocumentRefused,
    add_document,
    open_document,
    remove_document,
)
from workflows.assistance.packages.files import (
    open_package,
    purge_packages,
    remove_file_after_commit,
)
from workflows.assistance.packages.handover import record_download, release, release_documents

__all__ = [
    "DocumentRefused",
    "PackageError",
    "add_document",
    "build_package",
    "open_document",
    "open_package",
    "purge_packages",
    "record_download",
    "release",
    "release_documents",
    "remove_document",
    "remove_file_after_commit",
    "schedule_build",
]
