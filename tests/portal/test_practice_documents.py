"""The practice's own documents through the pages: a handler adds them on the request page and
releases them; the patient downloads them behind the same SMS code as the package. Bad uploads
get a clear 4xx and leave nothing; another practice, the FG, and another patient get nothing."""

import concurrent.futures
import dataclasses
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from requests_app.models import AuditRecord, PracticeDocument, RequestEvent
from requests_app.roles import Role
from tests.factories import decided, granted, make_user
from tests.live_http import Visitor
from workflows.assistance import packages
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n(Medisch dossier Jan Jansen: diabetes type 2)\n%%EOF\n"


@pytest.fixture
def item(practice, patient, handler, package_dir, providers):
    """An access request with a verified identity."""
    return decided(practice, patient, handler, kind="access", grant=False)


def upload(client, item, data=PDF, file_name="dossier.pdf", name=""):
    return client.post(
        f"/staff/requests/{item.reference}/documents/",
        {"file": SimpleUploadedFile(file_name, data, "application/pdf"), "name": name},
    )


def released_document(item, handler):
    document = packages.add_document(
        item, actor=handler, file_name="dossier.pdf", data=PDF, name="Medisch dossier"
    )
    granted(item, handler)
    packages.release_documents(item, actor=handler)
    return PracticeDocument.objects.get(pk=document.pk)


def sms_code(providers, phone) -> str:
    (sms,) = [m for m in providers.sms() if m.to == [phone]]
    return re.search(r"\b(\d{6})\b", sms.text).group(1)


# --- The handler on the request page -------------------------------------------------------
def test_a_handler_adds_checks_and_removes_a_document_on_the_request_page(
    client, item, handler, package_dir, django_capture_on_commit_callbacks
):
    client.force_login(handler)
    url = f"/staff/requests/{item.reference}/"
    page = client.get(url).content.decode()
    assert "Eigen documenten van de praktijk in het antwoord" in page
    assert 'enctype="multipart/form-data"' in page
    response = upload(client, item, name="Medisch dossier 2015–2025")
    assert response.status_code == 302 and response["Location"] == url + "#documents"
    document = PracticeDocument.objects.get()
    page = client.get(url).content.decode()
    assert "Medisch dossier 2015–2025.pdf" in page and "Nog niet vrijgegeven" in page
    # The handler's check before the release: the same bytes, logged.
    download = client.get(f"{url}documents/{document.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert AuditRecord.objects.filter(
        event_type="practice_document.download", details__by="practice"
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}documents/{document.pk}/remove/")
    assert not PracticeDocument.objects.exists() and list(package_dir.iterdir()) == []
    history = client.get(url).content.decode()
    assert "Document toegevoegd aan het antwoord" in history
    assert "Document verwijderd uit het antwoord" in history


@pytest.mark.parametrize(
    ("file_name", "data", "name", "status", "told"),
    [
        ("programma.exe", b"MZ\x90\x00", "", 415, "Alleen PDF"),
        ("dossier.pdf", b"MZ\x90\x00", "", 415, "komt niet overeen met de naam"),
        ("dossier.pdf", PDF, "p\u0430spoort", 400, "alleen Latijnse letters"),
        ("dossier.pdf", PDF, "../../etc/passwd", 400, "geen pad"),
        ("dossier.pdf", PDF, "a" * 200, 400, "te lang"),
        ("dossier.pdf", PDF, "dossier\u202efdp.exe", 400, "onzichtbare tekens"),
    ],
)
def test_a_bad_upload_is_told_clearly_and_leaves_nothing(
    client, item, handler, package_dir, file_name, data, name, status, told
):
    client.force_login(handler)
    response = upload(client, item, data, file_name, name)

    assert response.status_code == status
    assert told in response.content.decode()
    assert not PracticeDocument.objects.exists() and not list(package_dir.glob("*"))
    assert not RequestEvent.objects.filter(action="document_added").exists()


def test_a_file_over_the_limit_is_refused_with_413(client, item, handler, package_dir, settings):
    settings.PRACTICE_DOCUMENT_MAX_BYTES = 1024 * 1024
    client.force_login(handler)
    response = upload(client, item, PDF + bytes(1024 * 1024))

    assert response.status_code == 413 and "te groot" in response.content.decode()
    assert not PracticeDocument.objects.exists() and not list(package_dir.glob("*"))


def test_a_nul_byte_in_the_name_is_refused_before_anything_is_read(
    client, item, handler, package_dir
):
    client.force_login(handler)
    assert upload(client, item, name="dossier\x00.pdf").status_code == 400
    assert not PracticeDocument.objects.exists()


def test_a_large_upload_never_goes_through_a_plaintext_temporary_file(
    client, item, handler, package_dir, settings, tmp_path
):
    # Django's default would write an upload over 2.5 MB to a temporary file here, and fail.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "nowhere")
    big = PDF + b"x" * (3 * 1024 * 1024)
    client.force_login(handler)
    assert upload(client, item, big).status_code == 302
    assert b"".join(packages.open_document(PracticeDocument.objects.get())) == big


# --- Who may do what -----------------------------------------------------------------------
def test_the_fg_sees_the_list_but_not_the_contents(client, item, practice, handler, package_dir):
    document = packages.add_document(item, actor=handler, file_name="dossier.pdf", data=PDF)
    fg = make_user("fg@practice.example", Role.DPO, practice)
    client.force_login(fg)
    url = f"/staff/requests/{item.reference}/"
    page = client.get(url).content.decode()
    assert "dossier.pdf" in page and f"documents/{document.pk}/" not in page
    assert "enctype" not in page
    assert client.get(f"{url}documents/{document.pk}/").status_code == 403
    assert upload(client, item).status_code == 403
    assert client.post(f"{url}documents/{document.pk}/remove/").status_code == 403
    assert client.post(f"{url}documents/release/", {"confirm": "on"}).status_code == 403
    assert PracticeDocument.objects.count() == 1


def test_another_practice_reaches_nothing_and_its_looks_are_recorded(
    client, item, handler, other_handler, package_dir
):
    document = packages.add_document(item, actor=handler, file_name="dossier.pdf", data=PDF)
    client.force_login(other_handler)
    base = f"/staff/requests/{item.reference}/documents/"
    answers = [
        client.get(f"/staff/requests/{item.reference}/").status_code,
        upload(client, item).status_code,
        client.get(f"{base}{document.pk}/").status_code,
        client.post(f"{base}{document.pk}/remove/").status_code,
        client.get(f"{base}release/").status_code,
    ]
    assert answers == [404] * 5
    assert PracticeDocument.objects.count() == 1 and not document.released_at
    denied = AuditRecord.objects.filter(user=other_handler, outcome="denied")
    assert denied.count() == 5 and not denied.filter(patient_id__gt="").exists()


def test_a_document_of_another_request_is_not_reached_through_this_one(
    client, item, practice, patient, handler, package_dir
):
    other = decided(practice, dataclasses.replace(patient, name="Piet"), handler, kind="access")
    theirs = packages.add_document(other, actor=handler, file_name="dossier.pdf", data=PDF)
    client.force_login(handler)
    assert client.get(f"/staff/requests/{item.reference}/documents/{theirs.pk}/").status_code == 404


def test_processor_support_never_sees_them(client, item, handler, support, package_dir):
    document = packages.add_document(item, actor=handler, file_name="dossier.pdf", data=PDF)
    client.force_login(support)
    url = f"/staff/requests/{item.reference}/documents/{document.pk}/"
    assert client.get(url).status_code == 404


# --- Releasing on the request page -----------------------------------------------------------
def test_release_waits_for_the_grant_and_then_asks_for_confirmation(
    client, item, handler, patient, package_dir, django_capture_on_commit_callbacks
):
    from workflows.models import Notification

    packages.add_document(item, actor=handler, file_name="dossier.pdf", data=PDF)
    client.force_login(handler)
    url = f"/staff/requests/{item.reference}/"
    release = f"{url}documents/release/"
    page = client.get(url).content.decode()
    assert f'action="{release}"' not in page and "ingewilligd" in page  # the reason is shown
    assert client.get(release).status_code == 302
    granted(item, handler)
    assert f'action="{release}"' in client.get(url).content.decode()
    confirm = client.get(release).content.decode()
    for told in (patient.name, patient.email, patient.phone, "dossier.pdf", "14 dagen"):
        assert told in confirm, told
    sent = Notification.objects.count()
    assert client.post(release, {}).status_code == 400  # no ticked box: nothing happens
    assert not PracticeDocument.objects.get().released_at
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(release, {"confirm": "on"}).status_code == 302
    assert PracticeDocument.objects.get().downloadable
    assert Notification.objects.count() == sent + 1  # the patient hears there is news


# --- The patient ------------------------------------------------------------------------------
def test_the_patient_downloads_the_practices_documents_after_the_sms_code(
    client, item, handler, patient, providers, django_capture_on_commit_callbacks
):
    document = released_document(item, handler)
    client.force_login(account_for(patient.email))
    url = f"/track/{item.reference}/data/"
    assert url in client.get("/track/").content.decode()
    assert client.get(f"{url}documents/{document.pk}/")["Location"] == url  # no code yet
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"send": "1"})
    client.post(url, {"code": sms_code(providers, patient.phone)})
    page = client.get(url).content.decode()
    assert "Medisch dossier.pdf" in page and "Documenten van" in page
    assert "Uw gegevens downloaden" not in page  # no processor's package in this answer
    download = client.get(f"{url}documents/{document.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="Medisch dossier.pdf"'
    record = AuditRecord.objects.get(event_type="practice_document.download")
    assert record.details["by"] == "patient" and record.object_id == document.number
    assert RequestEvent.objects.filter(action="document_download", note="patient").exists()


def test_not_downloadable_before_the_release_nor_after_the_link_expired(
    client, item, handler, patient, package_dir
):
    document = packages.add_document(item, actor=handler, file_name="dossier.pdf", data=PDF)
    client.force_login(account_for(patient.email))
    url = f"/track/{item.reference}/data/"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}documents/{document.pk}/").status_code == 404
    granted(item, handler)
    packages.release_documents(item, actor=handler)
    PracticeDocument.objects.filter(pk=document.pk).update(link_expires_at=timezone.now())
    assert client.get(f"{url}documents/{document.pk}/").status_code == 410
    assert url not in client.get("/track/").content.decode()


def test_another_patient_cannot_download_them(
    client, item, practice, patient, handler, package_dir
):
    document = released_document(item, handler)
    other = dataclasses.replace(patient, email="eve@example.com")
    theirs = decided(practice, other, handler, kind="access")
    client.force_login(account_for(other.email))
    assert client.get(f"/track/{item.reference}/data/").status_code == 404
    assert client.get(f"/track/{item.reference}/data/documents/{document.pk}/").status_code == 404
    # Nor through their own request's address.
    theirs_url = f"/track/{theirs.reference}/data/documents/{document.pk}/"
    assert client.get(theirs_url).status_code == 404
    assert not AuditRecord.objects.filter(event_type="practice_document.download").exists()


# --- Two clicks at once release once -------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_parallel_releases_release_once(live_server, client, item, handler, package_dir):
    from workflows.models import Notification

    packages.add_document(item, actor=handler, file_name="dossier.pdf", data=PDF)
    granted(item, handler)
    client.force_login(handler)
    release = f"/staff/requests/{item.reference}/documents/release/"
    client.get(release)  # the confirmation page, and with it the CSRF cookie
    cookies = {name: client.cookies[name].value for name in ("sessionid", "csrftoken")}
    clicks = [Visitor(live_server.url, cookies) for _ in range(8)]
    sent = Notification.objects.count()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda v: v.post(release, {"confirm": "on"}), clicks))
    assert all(a.status_code == 302 for a in answers)
    assert RequestEvent.objects.filter(action="documents_released").count() == 1
    assert AuditRecord.objects.filter(event_type="practice_document.release").count() == 1
    assert Notification.objects.count() == sent + 1


@pytest.mark.django_db(transaction=True)
def test_parallel_releases_of_a_package_take_the_documents_along_once(
    live_server, client, platform_db, item, handler, support, package_dir
):
    from requests_app.models import DataPackage, TaskEvent
    from workflows.assistance import tasks as assistance

    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles"),
        actor=support,
    )
    package = packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    packages.record_download(package, user=handler, who="practice")
    assistance.accept(assistance.deliver(task, actor=support), actor=handler)
    document = packages.add_document(item, actor=handler, file_name="dossier.pdf", data=PDF)
    granted(item, handler)
    client.force_login(handler)
    release = f"/staff/tasks/{task.pk}/package/release/"
    assert "dossier.pdf" in client.get(release).content.decode()  # told what goes along
    cookies = {name: client.cookies[name].value for name in ("sessionid", "csrftoken")}
    clicks = [Visitor(live_server.url, cookies) for _ in range(8)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda v: v.post(release, {"confirm": "on"}), clicks))
    assert all(a.status_code == 302 for a in answers)
    assert TaskEvent.objects.filter(action="package_released").count() == 1
    assert RequestEvent.objects.filter(action="documents_released").count() == 1
    package, document = DataPackage.objects.get(), PracticeDocument.objects.get(pk=document.pk)
    assert document.released_at == package.released_at
    assert document.link_expires_at == package.link_expires_at
