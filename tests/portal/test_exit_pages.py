"""The end-of-contract screens: only a processor administrator starts, exports, downloads and
destroys; support ticks off manual steps; the practice's own FG reads the certificate."""

import datetime
import io
import zipfile

import pytest
from django.urls import reverse

from demo import platform as demo
from requests_app.models import AuditOutcome, AuditRecord, ExitState, PracticeExit, Request
from requests_app.roles import Role
from tests.factories import make_user, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


@pytest.fixture
def leaving(platform_db, package_dir, settings, tmp_path, practice, other_practice, patient):
    settings.EXIT_ARCHIVE_DIR = tmp_path / "exits"
    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=patient.email, messages=3)
    submit(practice, patient)
    submit(
        other_practice,
        patient.__class__(
            name="Piet", birth_date=datetime.date(1970, 1, 1), email="piet@example.com", phone=""
        ),
    )
    return practice


def _start(client, practice, **data):
    fields = {"reason": "agreement_ended", "reference": "Opzegging 12", "dated": "2026-10-01"}
    return client.post(reverse("staff:exit_start", args=[practice.agb_code]), fields | data)


def test_support_and_practice_staff_cannot_start_export_or_destroy(
    client, leaving, support, handler, admin
):
    for who in (support, handler):
        client.force_login(who)
        assert client.get(reverse("staff:exit_start", args=[leaving.agb_code])).status_code == 403
        assert _start(client, leaving).status_code == 403
    assert not PracticeExit.objects.exists()
    client.force_login(handler)
    assert client.get(reverse("staff:exits")).status_code == 403
    client.force_login(admin)
    record_url = _start(client, leaving).url
    record = PracticeExit.objects.get()
    for who in (support, handler):
        client.force_login(who)
        assert client.post(reverse("staff:exit_export", args=[record.pk])).status_code == 403
        destroy = client.post(
            reverse("staff:exit_destroy", args=[record.pk]), {"agb": leaving.agb_code}
        )
        assert destroy.status_code == 403
    client.force_login(support)
    assert client.get(record_url).status_code == 200  # support follows it, for the manual steps
    assert PracticeExit.objects.get().state == ExitState.STARTED


def test_a_start_without_its_reason_is_refused_and_changes_nothing(client, leaving, admin):
    client.force_login(admin)
    response = _start(client, leaving, reference="", dated="2999-01-01")
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "De datum kan niet in de toekomst liggen." in page
    assert not PracticeExit.objects.exists()


def test_the_administrator_exports_downloads_and_destroys_in_the_screens(
    client, leaving, other_practice, admin, patient
):
    client.force_login(admin)
    listing = client.get(reverse("staff:exits")).content.decode()
    assert leaving.name in listing and "Beëindiging starten" in listing
    record = PracticeExit.objects.get(
        pk=int(_start(client, leaving).url.rstrip("/").split("/")[-1])
    )

    page = client.post(reverse("staff:exit_export", args=[record.pk]))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    text = page.content.decode()
    passphrase = text.split('id="passphrase">')[1].split("<")[0]
    assert len(passphrase) == 35
    record = PracticeExit.objects.get(pk=record.pk)
    assert record.state == ExitState.EXPORTED
    stored = str(PracticeExit.objects.filter(pk=record.pk).values().get())
    assert passphrase not in stored  # shown once, kept nowhere
    assert passphrase not in client.get(reverse("staff:exit", args=[record.pk])).content.decode()

    download = client.get(reverse("staff:exit_download", args=[record.pk]))
    body = b"".join(download.streaming_content)
    assert download.status_code == 200 and zipfile.is_zipfile(io.BytesIO(body))
    assert AuditRecord.objects.filter(
        event_type="practice_exit.download", practice_id_ref=leaving.pk, user=admin
    ).exists()

    wrong = client.post(
        reverse("staff:exit_destroy", args=[record.pk]), {"agb": other_practice.agb_code}
    )
    assert wrong.status_code == 400
    assert "Dit is niet de AGB-code van deze praktijk." in wrong.content.decode()
    assert Request.objects.filter(practice=leaving).count() == 1

    done = client.post(reverse("staff:exit_destroy", args=[record.pk]), {"agb": leaving.agb_code})
    assert done.url == reverse("staff:exit_certificate", args=[record.pk])
    assert not Request.objects.filter(practice=leaving).exists()
    assert Request.objects.filter(practice=other_practice).count() == 1
    certificate = client.get(done.url).content.decode()
    assert "Verklaring van vernietiging" in certificate
    assert PracticeExit.objects.get(pk=record.pk).manifest_digest in certificate


def test_the_certificate_is_for_the_practice_own_fg_and_no_one_else(
    client, leaving, other_practice, admin, handler, other_handler
):
    client.force_login(admin)
    record = PracticeExit.objects.get(
        pk=int(_start(client, leaving).url.rstrip("/").split("/")[-1])
    )
    client.post(reverse("staff:exit_export", args=[record.pk]))
    client.post(reverse("staff:exit_destroy", args=[record.pk]), {"agb": leaving.agb_code})
    url = reverse("staff:exit_certificate", args=[record.pk])

    fg = make_user("fg@practice.example", Role.DPO, leaving)
    client.force_login(fg)
    assert client.get(url).status_code == 200
    assert client.get(reverse("staff:exit_certificate_json", args=[record.pk])).status_code == 200

    assert not handler.__class__.objects.get(pk=handler.pk).is_active  # no role left
    for who in (make_user("fg@elders.example", Role.DPO, other_practice), other_handler):
        client.force_login(who)
        assert client.get(url).status_code == 404
        assert AuditRecord.objects.filter(
            event_type="practice_exit.certificate", user=who, outcome=AuditOutcome.DENIED
        ).exists()


def test_support_ticks_off_a_manual_step_with_a_note_and_practice_staff_cannot(
    client, leaving, admin, support, other_handler
):
    from requests_app.models import SubProcessor
    from tests.factories import approve

    SubProcessor.objects.create(
        name="AWS", service="push notifications", location="Frankfurt", categories=["device_id"]
    )
    approve(leaving, "AWS")
    client.force_login(admin)
    record = PracticeExit.objects.get(
        pk=int(_start(client, leaving).url.rstrip("/").split("/")[-1])
    )
    client.post(reverse("staff:exit_export", args=[record.pk]))
    client.post(reverse("staff:exit_destroy", args=[record.pk]), {"agb": leaving.agb_code})
    step = record.steps.get(subprocessor__name="AWS")
    url = reverse("staff:exit_step", args=[record.pk, step.pk])

    client.force_login(other_handler)
    assert client.post(url, {"note": "Tokens verwijderd"}).status_code == 403
    client.force_login(support)
    blank = client.post(url, {"note": "  "})
    assert blank.status_code == 400 and "error-summary" in blank.content.decode()
    assert client.post(url, {"note": "Tokens verwijderd"}).status_code == 302
    step.refresh_from_db()
    assert step.done_at is not None and step.done_by == support
    assert PracticeExit.objects.get(pk=record.pk).state == ExitState.DESTROYING  # admin goes on
    other = client.post(reverse("staff:exit_step", args=[record.pk, 99999]), {"note": "x"})
    assert other.status_code == 404
