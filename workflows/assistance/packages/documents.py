"""The practice's own documents in the answer (GDPR art. 15(3) and 20): adding and removing them.

A handler adds what the practice holds itself (the medical file exported from its information
system as PDF, scans, HL7 or XML messages, CSV or text exports). Every upload is checked before
anything is stored: its size, a name that reads as it is stored, and its content, judged by its
first bytes rather than by its name. Accepted files are sealed like the packages
(sealed_files: encrypted, numbered records) beside them in PACKAGE_STORAGE_DIR, under a random
name. They go to the patient in the package's release (handover) and are purged with the
packages (files). Nothing here scans for viruses: the files come from the practice's own
systems, and the patient gets them as downloads, never shown inline.

The content check is a handful of signatures and a strict UTF-8 reading written here: a generic
file-type library would recognise hundreds of formats only to refuse them, and cannot judge text.
"""

import dataclasses
import secrets
import unicodedata
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from requests_app import access, selectors
from requests_app.errors import DomainError, TransitionRefused
from requests_app.models import AuditAction, PracticeDocument, Request
from requests_app.models.practice_document import (
    DOCUMENT_KINDS,
    documents_may_change,
    documents_release_refusal,
)
from requests_app.roles import Capability
from requests_app.timeline import log_event
from requests_app.validators import hidden_characters
from workflows.assistance.packages.files import remove_after_commit, storage_dir
from workflows.assistance.sealed_files import SealedWriter, read_sealed

MAX_NAME = 120
# Besides letters, digits and spaces, the punctuation a file's name needs; nothing a file system
# or a download header treats specially (/ \ : * ? " < > | ; %).
NAME_PUNCTUATION = frozenset("-\u2013_.,()[]'\u2019&+#")  # with the en dash and the apostrophe ’
PDF, PNG, JPEG, TIFF = "application/pdf", "image/png", "image/jpeg", "image/tiff"
TEXT, CSV, XML = "text/plain; charset=utf-8", "text/csv; charset=utf-8", "application/xml"
# What each allowed extension must hold.
TYPES = {
    "pdf": PDF,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "tif": TIFF,
    "tiff": TIFF,
    "txt": TEXT,
    "csv": CSV,
    "hl7": TEXT,
    "xml": XML,
}
SIGNATURES = {
    PDF: (b"%PDF-",),
    PNG: (b"\x89PNG\r\n\x1a\n",),
    JPEG: (b"\xff\xd8\xff",),
    TIFF: (b"II*\x00", b"MM\x00*"),
}
TYPE_LABELS = {
    PDF: "PDF",
    PNG: _("PNG image"),
    JPEG: _("JPEG image"),
    TIFF: _("TIFF image"),
    TEXT: _("text"),
    CSV: "CSV",
    XML: "XML",
}
# Control characters a text export may hold: tab, line feed, carriage return (HL7's segment end).
TEXT_CONTROLS = frozenset("\t\n\r")


class DocumentRefused(DomainError):
    """An upload that is not stored; `status` is the HTTP answer (400, 413 or 415), `field` the
    form's field it is about (the file, or the name typed for the patient)."""

    def __init__(self, message, status: int = 400, field: str = "file") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def clean_name(raw: str) -> str:
    """The name the patient will see, as given, or a refusal: no path, no invisible or
    direction-changing characters, no letters of other scripts that look like Latin ones (a
    Cyrillic "а" in "pаspoort.pdf"), no compatibility forms (full-width letters, ligatures), and
    not too long. Django keeps only the last part of an uploaded file's own name; a name typed
    in the form is checked whole."""
    name = unicodedata.normalize("NFC", raw.strip())
    if any(ch in "/\\:\x00" for ch in name):
        raise DocumentRefused(_("The name cannot contain a path (/, \\ or :)."))
    if not name or name.startswith("."):
        raise DocumentRefused(_("Give the document a name that does not start with a dot."))
    if len(name) > MAX_NAME:
        raise DocumentRefused(
            _("The name is too long: at most %(max)d characters.") % {"max": MAX_NAME}
        )
    if hidden_characters(name) or any(not ch.isprintable() for ch in name):
        raise DocumentRefused(
            _(
                "The name cannot contain invisible characters or characters that change the "
                "direction of the text."
            )
        )
    if unicodedata.normalize("NFKC", name) != name or not all(_plain(ch) for ch in name):
        raise DocumentRefused(
            _(
                "The name may hold only Latin letters, digits, spaces "
                "and - – _ . , ( ) [ ] ' ’ & + #."
            )
        )
    return name


def _plain(ch: str) -> bool:
    if ch == " " or ch in NAME_PUNCTUATION or ch in "0123456789":
        return True
    if unicodedata.category(ch).startswith("M"):  # a combining accent, as in a decomposed é
        return True
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def content_type_of(name: str, data: bytes) -> str:
    """The type the content really has, if the name's extension allows it; else a refusal."""
    extension = _extension(name)
    expected = TYPES.get(extension)
    if expected is None:
        raise DocumentRefused(
            _("Only PDF, images (PNG, JPEG, TIFF), text, CSV, XML and HL7 files can be added."),
            status=415,
        )
    if expected in SIGNATURES:
        if not data.startswith(SIGNATURES[expected]):
            raise DocumentRefused(_("The content of the file does not match its name."), 415)
        return expected
    text = _text(data)
    if text is None:
        raise DocumentRefused(
            _("This file is not plain text (UTF-8), as its name says it is."), status=415
        )
    start = text.lstrip("\ufeff \t\r\n")
    if (extension == "xml" and not start.startswith("<")) or (
        extension == "hl7" and not start.startswith("MSH")
    ):
        raise DocumentRefused(_("The content of the file does not match its name."), 415)
    return expected


def _text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(unicodedata.category(ch) == "Cc" and ch not in TEXT_CONTROLS for ch in text):
        return None  # NUL and other control bytes: a binary file named as text
    return text


def check_upload(*, file_name: str, size: int, data: bytes, name: str = "") -> tuple[str, str]:
    """The name and content type an upload would be stored with, or a refusal. `name` is the
    name typed for the patient, if any; else the file's own name is used. The type is judged by
    the extension of the file's own name (as it was exported) and the content."""
    if size > settings.PRACTICE_DOCUMENT_MAX_BYTES:
        raise DocumentRefused(
            _("The file is too large: at most %(mb)d MB.")
            % {"mb": settings.PRACTICE_DOCUMENT_MAX_BYTES // (1024 * 1024)},
            status=413,
        )
    if not size:
        raise DocumentRefused(_("The file is empty."))
    if not name.strip():  # the file's own name is shown: it must pass as a typed one would
        return clean_name(file_name), content_type_of(file_name, data)
    # Else only its extension counts (an export's odd name need not be fixed by hand first).
    content_type = content_type_of(file_name, data)
    try:
        shown = clean_name(name)
        # The name the patient sees ends as the content is: "Dossier" becomes "Dossier.pdf".
        if TYPES.get(_extension(shown)) != content_type:
            shown = clean_name(f"{shown}.{_extension(file_name)}")
    except DocumentRefused as exc:
        exc.field = "name"
        raise
    return shown, content_type


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@dataclasses.dataclass(frozen=True)
class Panel:
    """What the request page shows of the practice's documents to one staff member."""

    documents: list[PracticeDocument]
    may_change: bool  # add and remove (a handler, while the answer is being prepared)
    may_open: bool  # download to check (a handler; the FG and the admin see the list only)
    may_release: bool  # the documents alone, when no package is on its way
    release_refusal: str  # why not, when there is something to release
    max_mb: int
    max_count: int


def panel(item: Request, user) -> Panel | None:
    """None for kinds of request whose answer is no copy of data."""
    if item.kind not in DOCUMENT_KINDS or item.practice_id is None:
        return None
    documents = list(selectors.documents_visible_to(user).filter(request=item))
    handler = access.can(user, Capability.WORK_REQUESTS, item.practice_id)
    refusal = documents_release_refusal(item) if handler else ""
    pending = any(d.pending for d in documents)
    return Panel(
        documents=documents,
        may_change=handler and documents_may_change(item),
        may_open=handler,
        may_release=handler and pending and not refusal,
        release_refusal=refusal if pending else "",
        max_mb=settings.PRACTICE_DOCUMENT_MAX_BYTES // (1024 * 1024),
        max_count=settings.PRACTICE_DOCUMENT_MAX_COUNT,
    )


def _may_change(item: Request, actor) -> None:
    if not access.can(actor, Capability.WORK_REQUESTS, item.practice_id):
        raise PermissionDenied


def add_document(
    item: Request, *, actor, file_name: str, data: bytes, name: str = "", size: int = 0
) -> PracticeDocument:
    """Check, seal and record one of the practice's documents for the answer to `item`. `size`
    is the size sent, when more was sent than kept (portal.uploads keeps none of a file that
    is too large)."""
    _may_change(item, actor)
    shown, content_type = check_upload(
        file_name=file_name, size=max(size, len(data)), data=data, name=name
    )
    stored = f"document-{secrets.token_hex(16)}.sealed"
    path = storage_dir() / stored
    writer = SealedWriter(path)
    try:
        writer.write(data)
        writer.close()
        with transaction.atomic():
            locked = Request.objects.select_for_update().get(pk=item.pk)
            if not documents_may_change(locked):
                raise TransitionRefused("documents cannot be added in this state")
            kept = PracticeDocument.objects.filter(request=locked, purged_at__isnull=True)
            if kept.count() >= settings.PRACTICE_DOCUMENT_MAX_COUNT:
                raise DocumentRefused(
                    _("At most %(n)d documents can be added to one request.")
                    % {"n": settings.PRACTICE_DOCUMENT_MAX_COUNT}
                )
            document = PracticeDocument.objects.create(
                request=locked,
                name=shown,
                content_type=content_type,
                file_name=stored,
                size=writer.size,
                sha256=writer.sha256.hexdigest(),
                uploaded_by=actor,
            )
            _log(
                locked,
                document,
                "document_added",
                ("practice_document.add", AuditAction.CREATE),
                actor,
            )
    except BaseException:
        if not writer.closed:
            writer.discard()
        path.unlink(missing_ok=True)
        raise
    return document


def remove_document(document: PracticeDocument, *, actor) -> None:
    """A document goes before the release only; after it the patient may have a copy."""
    _may_change(document.request, actor)
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=document.request_id)
        current = PracticeDocument.objects.filter(pk=document.pk).first()
        if current is None or not current.pending or not documents_may_change(locked):
            raise TransitionRefused("only a document not yet released can be removed")
        _log(
            locked,
            current,
            "document_removed",
            ("practice_document.remove", AuditAction.DELETE),
            actor,
        )
        current.delete()
        remove_after_commit(current.file_name)


def _log(item: Request, document: PracticeDocument, action: str, audit_as, actor) -> None:
    log_event(
        item,
        action,
        actor=actor,
        note=document.name,
        audit_as=audit_as,
        object_type="practice_document",
        object_id=document.number,
        # The name stays on the request's timeline, which is purged with the request; the
        # audit log outlives it and keeps only what identifies the file.
        audit_details={
            "type": document.content_type,
            "size": document.size,
            "sha256": document.sha256,
        },
    )


def open_document(document: PracticeDocument) -> Iterator[bytes]:
    """The document's content, decrypted chunk by chunk."""
    return read_sealed(storage_dir() / document.file_name)


def released_now(item: Request, *, actor, now, expires) -> int:
    """Inside the release's transaction: the request's pending documents go out with it, at the
    same moment and with the same link expiry. How many went."""
    names = list(
        PracticeDocument.objects.filter(
            request=item, released_at__isnull=True, purged_at__isnull=True
        ).values_list("name", flat=True)
    )
    if names:
        PracticeDocument.objects.filter(
            request=item, released_at__isnull=True, purged_at__isnull=True
        ).update(released_at=now, released_by=actor, link_expires_at=expires)
        log_event(
            item,
            "documents_released",
            actor=actor,
            note=", ".join(names),
            audit_as=("practice_document.release", AuditAction.UPDATE),
            object_type="practice_document",
            audit_details={"documents": len(names)},
        )
    return len(names)
