"""The practice's own documents in the answer (GDPR art. 15(3)): checked before anything is
stored, sealed at rest, removable until released, released with the processor's package (or on
their own after the grant), purged by the packages' rule."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_transition
from requests_app.models import AuditRecord, DataPackage, PracticeDocument, RequestEvent
from requests_app.models.assistance import WAIT_FOR_GRANT
from requests_app.roles import Role
from tests.factories import decided, granted, make_user
from tests.workflows.helpers import deliver_and_accept, started
from workflows.assistance import packages
from workflows.assistance.packages import documents
from workflows.assistance.sealed_files import SealedFileError

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj << /Title (Medisch dossier Jan Jansen) >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(20)
JPEG = b"\xff\xd8\xff\xe0" + bytes(20)
TIFF = b"II*\x00" + bytes(20)
HL7 = b"MSH|^~\\&|HIS|PRAKTIJK|||20250101||ORU^R01|1|P|2.5\rPID|1||42||Jansen^Jan\r"
XML = b'<?xml version="1.0"?><dossier><naam>Jan Jansen</naam></dossier>'
CSV = "datum,omschrijving\n2024-03-01,Consult huisarts – griep\n".encode()


@pytest.fixture
def access_request(practice, patient, handler):
    """An access request whose patient's identity the practice has verified."""
    return decided(practice, patient, handler, kind="access", grant=False)


def add(item, handler, data=PDF, file_name="dossier.pdf", name=""):
    return packages.add_document(item, actor=handler, file_name=file_name, data=data, name=name)


def stored_files(package_dir):
    return sorted(p.name for p in package_dir.iterdir()) if package_dir.exists() else []


# --- Adding: what is stored, and how ---------------------------------------------------------
def test_a_document_is_sealed_at_rest_and_reads_back_whole(access_request, handler, package_dir):
    document = add(access_request, handler, name="Medisch dossier 2015–2025")
    assert document.name == "Medisch dossier 2015–2025.pdf"  # the content's extension added
    assert document.content_type == "application/pdf" and document.size == len(PDF)
    stored = (package_dir / document.file_name).read_bytes()
    assert b"Jan Jansen" not in stored and not stored.startswith(b"%PDF")
    assert b"".join(packages.open_document(document)) == PDF
    import hashlib

    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    # Changed on disk: refused, not half-read.
    (package_dir / document.file_name).write_bytes(stored[:-10])
    with pytest.raises(SealedFileError):
        b"".join(packages.open_document(document))


def test_adding_leaves_a_history_row_and_an_audit_record(access_request, handler, package_dir):
    document = add(access_request, handler)
    event = RequestEvent.objects.get(request=access_request, action="document_added")
    assert event.actor == handler and event.note == "dossier.pdf"
    record = AuditRecord.objects.get(event_type="practice_document.add")
    assert record.action == "C" and record.object_id == document.number
    assert record.details["sha256"] == document.sha256
    assert "dossier" not in str(record.details)  # the name stays on the purgeable timeline


@pytest.mark.parametrize(
    ("file_name", "data", "content_type"),
    [
        ("scan.png", PNG, "image/png"),
        ("foto.JPG", JPEG, "image/jpeg"),
        ("brief.tiff", TIFF, "image/tiff"),
        ("uitslag.hl7", HL7, "text/plain; charset=utf-8"),
        ("dossier.xml", XML, "application/xml"),
        ("journaal.csv", CSV, "text/csv; charset=utf-8"),
        ("notitie.txt", "Één regel\r\n".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_the_allowed_types_are_taken(
    access_request, handler, package_dir, file_name, data, content_type
):
    assert add(access_request, handler, data, file_name).content_type == content_type


@pytest.mark.parametrize(
    ("file_name", "data", "status"),
    [
        ("programma.exe", b"MZ\x90\x00", 415),  # not an allowed type
        ("pagina.html", b"<html><script>alert(1)</script>", 415),
        ("tekening.svg", b"<svg onload='alert(1)'/>", 415),
        ("dossier.pdf", b"MZ\x90\x00 pretending", 415),  # a program named as a PDF
        ("dossier.pdf", PNG, 415),  # an image named as a PDF
        ("notitie.txt", PDF + b"\x00\x01binary", 415),  # binary named as text
        ("notitie.txt", b"\xff\xfe not utf-8", 415),
        ("uitslag.hl7", b"PID|1||42\r", 415),  # no HL7 message header
        ("dossier.xml", b"just text", 415),
        ("dossier", PDF, 415),  # no extension
        ("leeg.pdf", b"", 400),
    ],
)
def test_content_is_judged_by_its_bytes_and_nothing_is_stored(
    access_request, handler, package_dir, file_name, data, status
):
    with pytest.raises(documents.DocumentRefused) as refused:
        add(access_request, handler, data, file_name)
    assert refused.value.status == status
    assert not PracticeDocument.objects.exists() and stored_files(package_dir) == []


@pytest.mark.parametrize(
    "name",
    [
        "p\u0430spoort.pdf",  # a Cyrillic "а" among Latin letters
        "\uff44ossier.pdf",  # a full-width letter
        "dossier\u202efdp.exe.pdf",  # a right-to-left override
        "dos\u200bsier.pdf",  # a zero-width space
        "dossier\x00.pdf",
        "../../etc/passwd.pdf",
        "map\\dossier.pdf",
        "C:dossier.pdf",
        ".verborgen.pdf",
        "a" * 117 + ".pdf",  # 121 characters
        "dossier<script>.pdf",
    ],
)
def test_names_that_could_mislead_are_refused_and_nothing_is_stored(
    access_request, handler, package_dir, name
):
    with pytest.raises(documents.DocumentRefused) as refused:
        add(access_request, handler, name=name)
    assert refused.value.status == 400 and refused.value.field == "name"
    with pytest.raises(documents.DocumentRefused):
        add(access_request, handler, file_name=name)  # the file's own name: the same rules
    assert not PracticeDocument.objects.exists() and stored_files(package_dir) == []


def test_a_typed_name_stands_in_for_an_odd_export_name(access_request, handler, package_dir):
    document = add(access_request, handler, file_name="export~%8812.PDF", name="Dossier")
    assert document.name == "Dossier.pdf"
    with pytest.raises(documents.DocumentRefused):
        add(access_request, handler, file_name="export~%8812.PDF")


def test_a_plain_dutch_name_is_kept_as_written(access_request, handler, package_dir):
    name = "Verwijsbrief ’s-Hertogenbosch (café-overleg) [2024] & co #2.pdf"
    assert add(access_request, handler, name=name).name == name


def test_size_and_number_are_limited(access_request, handler, package_dir, settings):
    settings.PRACTICE_DOCUMENT_MAX_BYTES = 1024
    with pytest.raises(documents.DocumentRefused) as refused:
        add(access_request, handler, PDF + bytes(1024))
    assert refused.value.status == 413
    settings.PRACTICE_DOCUMENT_MAX_COUNT = 2
    add(access_request, handler)
    add(access_request, handler)
    with pytest.raises(documents.DocumentRefused):
        add(access_request, handler)
    assert PracticeDocument.objects.count() == 2 and len(stored_files(package_dir)) == 2


def test_only_the_practices_handlers_add_documents(
    access_request, practice, handler, other_handler, package_dir
):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    admin = make_user("admin@practice.example", Role.PRACTICE_ADMIN, practice)
    for someone in (fg, admin, other_handler):
        with pytest.raises(PermissionDenied):
            add(access_request, someone)
    assert stored_files(package_dir) == []


def test_documents_belong_to_verified_access_and_portability_requests_only(
    practice, patient, handler, package_dir
):
    from tests.factories import submit

    unverified = submit(practice, patient, kind="access")
    erasure = decided(practice, patient, handler, kind="erasure")
    for item in (unverified, erasure):
        with pytest.raises(TransitionRefused):
            add(item, handler)
    assert add(decided(practice, patient, handler, kind="portability"), handler)
    assert len(stored_files(package_dir)) == 1  # the refused ones left no file


# --- Removing: before the release only -----------------------------------------------------
def test_a_document_is_removed_before_the_release_only(
    access_request,
    handler,
    package_dir,
    django_capture_on_commit_callbacks,
):
    first, second = add(access_request, handler), add(access_request, handler, PNG, "scan.png")
    with django_capture_on_commit_callbacks(execute=True):
        packages.remove_document(first, actor=handler)
    assert not PracticeDocument.objects.filter(pk=first.pk).exists()
    assert not (package_dir / first.file_name).exists()
    event = RequestEvent.objects.get(action="document_removed")
    assert event.note == "dossier.pdf" and event.actor == handler
    assert AuditRecord.objects.filter(event_type="practice_document.remove", action="D").exists()
    granted(access_request, handler)
    packages.release_documents(access_request, actor=handler)
    with pytest.raises(TransitionRefused):
        packages.remove_document(PracticeDocument.objects.get(pk=second.pk), actor=handler)
    assert (package_dir / second.file_name).exists()


# --- Releasing: after the grant, in one release with the package -----------------------------
def test_documents_alone_are_released_only_after_the_grant(access_request, handler, package_dir):
    document = add(access_request, handler)
    with pytest.raises(TransitionRefused, match=str(WAIT_FOR_GRANT)[:30]):
        packages.release_documents(access_request, actor=handler)
    assert not PracticeDocument.objects.get(pk=document.pk).released_at
    granted(access_request, handler)
    assert packages.release_documents(access_request, actor=handler) == 1
    document.refresh_from_db()
    assert document.downloadable and document.released_by == handler
    assert document.link_expires_at == document.released_at + datetime.timedelta(days=14)
    assert RequestEvent.objects.filter(action="documents_released").count() == 1
    with pytest.raises(TransitionRefused):  # released once
        packages.release_documents(access_request, actor=handler)


def test_a_partial_grant_releases_and_a_refusal_never_does(practice, patient, handler, package_dir):
    partly = decided(practice, patient, handler, kind="access", grant=False)
    add(partly, handler)
    perform_transition(
        partly,
        "grant_partially",
        actor=handler,
        reason="Aantekeningen over een ander blijven achter",
        legal_ground="rights_of_others",
    )
    assert packages.release_documents(partly, actor=handler) == 1
    refused = decided(practice, patient, handler, kind="access", grant=False)
    add(refused, handler)
    perform_transition(
        refused,
        "refuse",
        actor=handler,
        reason="Kennelijk ongegrond",
        legal_ground="manifestly_unfounded",
    )
    with pytest.raises(TransitionRefused):
        packages.release_documents(refused, actor=handler)


def test_with_a_package_on_its_way_both_go_out_in_its_release(
    in_platform, package_dir, access_request, handler, support
):
    task = started(access_request, handler, support, "supply")
    document = add(access_request, handler)
    package = packages.build_package(task, actor=support)
    granted(access_request, handler)
    with pytest.raises(TransitionRefused, match=task.number):  # not alone: with the package
        packages.release_documents(access_request, actor=handler)
    deliver_and_accept(task, handler, support)
    package = packages.release(DataPackage.objects.get(pk=package.pk), actor=handler)
    document.refresh_from_db()
    assert document.released_at == package.released_at
    assert document.link_expires_at == package.link_expires_at
    assert RequestEvent.objects.filter(action="documents_released").count() == 1


# --- Purged with the packages ------------------------------------------------------------------
def test_documents_are_purged_by_the_packages_rule(
    access_request, practice, patient, handler, package_dir
):
    import dataclasses

    released = add(access_request, handler)
    other = dataclasses.replace(patient, email="piet@example.com")
    unreleased = add(decided(practice, other, handler, kind="access", grant=False), handler)
    granted(access_request, handler)
    packages.release_documents(access_request, actor=handler)
    # Two days old and still kept: the sweep of half-written files leaves them alone.
    packages.purge_packages(timezone.now() + datetime.timedelta(days=2))
    assert len(stored_files(package_dir)) == 2
    packages.purge_packages(timezone.now() + datetime.timedelta(days=31))
    for document in (released, unreleased):
        document.refresh_from_db()
        assert document.purged_at and not document.downloadable
    assert stored_files(package_dir) == []
    assert AuditRecord.objects.filter(event_type="practice_document.purge").count() == 2
