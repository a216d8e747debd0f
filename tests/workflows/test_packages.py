"""Data packages (agreement art. 6.1): built, encrypted, reviewed, released, purged."""

import csv
import datetime
import io
import json

import jsonschema
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from demo import platform as demo
from requests_app.errors import TransitionRefused
from requests_app.models import AssistanceKind, AssistanceTask, AuditRecord, DataPackage
from requests_app.models.assistance import WAIT_FOR_GRANT
from tests.factories import decided, granted
from tests.workflows.helpers import deliver_and_accept, started, unzip
from workflows.assistance import packages
from workflows.assistance import tasks as assistance
from workflows.assistance.sealed_files import SealedFileError

pytestmark = pytest.mark.django_db


def test_package_matches_the_schema_and_holds_every_row(supply_task, support):
    package = packages.build_package(supply_task, actor=support)
    archive = unzip(package)
    names = set(archive.namelist())
    assert {"package.json", "index.html", "data-package.schema.json"} <= names
    document = json.loads(archive.read("package.json"))
    schema = json.loads((settings.BASE_DIR / "docs" / "data-package.schema.json").read_text())
    jsonschema.validate(document, schema)
    (platform,) = document["sources"]
    by_category = {c["category"]: c for c in platform["categories"]}
    assert by_category["conversations"]["count"] == 40
    assert len(by_category["conversations"]["records"]) == 40
    assert by_category["email"]["records"] == [{"email": "jan@example.com"}]
    assert all("piet" not in json.dumps(c) for c in platform["categories"])
    assert package.counts == {"platform": {c: v["count"] for c, v in by_category.items()}}
    # CSV per category, same rows.
    rows = list(
        csv.DictReader(io.StringIO(archive.read("csv/platform-conversations.csv").decode()))
    )
    assert len(rows) == 40 and set(rows[0]) == {"conversation_id", "sender", "body", "sent_at"}
    # The readable page states what art. 15 asks.
    page = archive.read("index.html").decode()
    for needed in ("Waarom", "Wie ontvangt", "Hoe lang", "Waar komen", "Uw rechten"):
        assert needed in page
    assert "Autoriteit Persoonsgegevens" in page
    assert AuditRecord.objects.filter(event_type="package.build").exists()


def test_the_package_is_encrypted_at_rest(supply_task, support, package_dir):
    package = packages.build_package(supply_task, actor=support)
    stored = (package_dir / package.file_name).read_bytes()
    assert b"jan@example.com" not in stored and b"PK\x03\x04" not in stored
    # Cut short or tampered with: refused, not half-read.
    (package_dir / package.file_name).write_bytes(stored[:-20])
    with pytest.raises(SealedFileError):
        b"".join(packages.open_package(package))


def test_rebuilding_replaces_the_old_file(
    supply_task, support, package_dir, django_capture_on_commit_callbacks
):
    first = packages.build_package(supply_task, actor=support)
    with django_capture_on_commit_callbacks(execute=True):
        second = packages.build_package(supply_task, actor=support)
    assert not (package_dir / first.file_name).exists()
    assert DataPackage.objects.get().pk == second.pk


def test_only_support_builds_and_only_while_in_progress(supply_task, handler, support):
    with pytest.raises(PermissionDenied):
        packages.build_package(supply_task, actor=handler)
    assert not DataPackage.objects.exists()


def test_release_starts_a_link_that_expires(supply_task, handler, support, other_handler):
    package = packages.build_package(supply_task, actor=support)
    with pytest.raises(TransitionRefused):  # not yet accepted
        packages.release(package, actor=handler)
    deliver_and_accept(supply_task, handler, support)
    granted(supply_task.request, handler)
    with pytest.raises(PermissionDenied):
        packages.release(package, actor=other_handler)
    package = packages.release(package, actor=handler)
    assert package.downloadable
    assert package.link_expires_at == package.released_at + datetime.timedelta(days=14)
    package.link_expires_at = timezone.now() - datetime.timedelta(seconds=1)
    assert not package.downloadable
    with pytest.raises(TransitionRefused):
        packages.release(package, actor=handler)


# --- Released only after the practice's decision to give the data ---------------------------
def test_an_accepted_package_waits_for_the_grant_and_says_so(supply_task, handler, support):
    package = packages.build_package(supply_task, actor=support)
    deliver_and_accept(supply_task, handler, support)
    package = DataPackage.objects.get(pk=package.pk)
    assert not package.releasable and package.release_refusal == str(WAIT_FOR_GRANT)
    with pytest.raises(TransitionRefused):
        packages.release(package, actor=handler)
    assert DataPackage.objects.get(pk=package.pk).released_at is None


def test_a_partial_grant_allows_the_release(supply_task, handler, support):
    from requests_app.lifecycle import perform_transition

    package = packages.build_package(supply_task, actor=support)
    deliver_and_accept(supply_task, handler, support)
    perform_transition(
        supply_task.request,
        "grant_partially",
        actor=handler,
        reason="Aantekeningen over een ander blijven achter",
        legal_ground="rights_of_others",
    )
    assert packages.release(package, actor=handler).downloadable


def test_a_refused_request_never_gets_its_package(supply_task, handler, support):
    from requests_app.lifecycle import perform_transition

    package = packages.build_package(supply_task, actor=support)
    deliver_and_accept(supply_task, handler, support)
    perform_transition(
        supply_task.request,
        "refuse",
        actor=handler,
        reason="Kennelijk ongegrond",
        legal_ground="manifestly_unfounded",
    )
    with pytest.raises(TransitionRefused):
        packages.release(package, actor=handler)
    assert not DataPackage.objects.get(pk=package.pk).releasable


def test_files_are_removed_after_the_retention_days(supply_task, handler, support, package_dir):
    package = packages.build_package(supply_task, actor=support)
    deliver_and_accept(supply_task, handler, support)
    granted(supply_task.request, handler)
    packages.release(package, actor=handler)
    assert packages.purge_packages() == []
    later = timezone.now() + datetime.timedelta(days=31)
    assert packages.purge_packages(later) == [package.pk]
    assert not (package_dir / package.file_name).exists()
    package.refresh_from_db()
    assert package.purged_at and not package.downloadable
    assert packages.purge_packages(later) == []  # safe to run again


def test_a_package_says_which_app_wide_source_it_left_out(
    supply_task, support, with_twilio, patient, other_practice, platform_db
):
    demo.add_patient(
        platform_db, practice_agb=other_practice.agb_code, email=patient.email, messages=2
    )
    archive = unzip(packages.build_package(supply_task, actor=support))
    document = json.loads(archive.read("package.json"))
    assert [s["key"] for s in document["sources"]] == ["platform"]
    assert document["sources_not_included"][0]["key"] == "twilio"
    assert "andere praktijk" in document["sources_not_included"][0]["reason"]
    assert "Twilio" in archive.read("index.html").decode()


def test_csv_and_page_show_every_field_and_odd_text_does_not_stop_the_build(
    supply_task, support, list_source
):
    list_source.rows = [
        ("email", {"kind": "contact", "email": "jan@example.com"}),
        ("email", {"kind": "bounce", "email": "jan@example.com", "reason": "550 unknown"}),
        ("mobile", {"body": "half an emoji \ud83d"}),
    ]
    archive = unzip(packages.build_package(supply_task, actor=support))
    table = archive.read("csv/list-email.csv").decode()
    assert table.splitlines()[0] == "kind,email,reason" and "550 unknown" in table
    assert "550 unknown" in archive.read("index.html").decode()
    assert "half an emoji" in archive.read("csv/list-mobile.csv").decode()


def test_a_released_package_is_never_replaced_by_a_build_that_was_running(
    supply_task, support, handler, list_source, package_dir
):
    first = packages.build_package(supply_task, actor=support)
    list_source.rows = [("email", {"email": "jan@example.com"}), ("email", {"email": "x"})]

    def practice_moves_on():
        deliver_and_accept(AssistanceTask.objects.get(pk=supply_task.pk), handler, support)
        granted(supply_task.request, handler)
        packages.release(DataPackage.objects.get(pk=first.pk), actor=handler)

    list_source.during_export = practice_moves_on
    with pytest.raises(TransitionRefused):
        packages.build_package(supply_task, actor=support)
    kept = DataPackage.objects.get()
    assert kept.pk == first.pk and kept.released_at and (package_dir / first.file_name).exists()
    assert len(list(package_dir.glob("*.sealed"))) == 1  # the late build left no file


def test_sealed_files_refuse_reordered_records(tmp_path):
    import os
    import struct

    from workflows.assistance.sealed_files import SealedWriter, read_sealed

    plain = os.urandom(700_000)  # three records of up to 256 KiB
    writer = SealedWriter(tmp_path / "x.sealed")
    writer.write(plain)
    writer.close()
    assert b"".join(read_sealed(tmp_path / "x.sealed")) == plain
    data = (tmp_path / "x.sealed").read_bytes()
    header, records, at = data[:8], [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        records.append(data[at : at + 4 + length])
        at += 4 + length
    records[0], records[1] = records[1], records[0]
    (tmp_path / "y.sealed").write_bytes(header + b"".join(records))
    with pytest.raises(SealedFileError):
        b"".join(read_sealed(tmp_path / "y.sealed"))


def test_csv_cells_never_run_as_formulas(supply_task, support, list_source):
    list_source.rows = [("conversations", {"body": '=HYPERLINK("http://x")', "n": 1})]
    archive = unzip(packages.build_package(supply_task, actor=support))
    assert "'=HYPERLINK" in archive.read("csv/list-conversations.csv").decode()
    document = json.loads(archive.read("package.json"))
    listed = [s for s in document["sources"] if s["key"] == "list"][0]
    assert listed["categories"][0]["records"][0]["body"].startswith("=HYPERLINK")  # JSON as is


def test_the_purge_clears_what_a_crashed_build_left(supply_task, support, package_dir):
    import os

    package = packages.build_package(supply_task, actor=support)
    old = (timezone.now() - datetime.timedelta(days=2)).timestamp()
    (package_dir / "spool-crashed").mkdir()
    (package_dir / "spool-crashed" / "0.jsonl").write_bytes(b"x")
    (package_dir / "9-dead.zip.sealed.part").write_bytes(b"x")
    fresh = package_dir / "10-running.zip.sealed.part"
    fresh.write_bytes(b"x")
    for path in (package_dir / "spool-crashed", package_dir / "9-dead.zip.sealed.part"):
        os.utime(path, (old, old))
    os.utime(package_dir / package.file_name, (old, old))
    packages.purge_packages()
    assert sorted(p.name for p in package_dir.iterdir()) == sorted([package.file_name, fresh.name])


def test_sub_processors_no_connector_covers_become_manual_steps(
    erase_task, practice, patient, handler, support, settings
):
    from requests_app.models import SubProcessor

    # Only the platform is configured: SendGrid and the SMS provider are worked by hand.
    names = set(erase_task.manual_steps.values_list("subprocessor__name", flat=True))
    assert names == set(SubProcessor.objects.filter(active=True).values_list("name", flat=True))
    settings.DATA_CONNECTORS = [
        "workflows.assistance.connectors.platform.PlatformConnector",
        "workflows.assistance.connectors.sendgrid_contacts.SendGridContactsConnector",
    ]
    item = decided(practice, patient, handler, kind="erasure")
    covered = started(item, handler, support, AssistanceKind.ERASE)
    assert "SendGrid" not in set(covered.manual_steps.values_list("subprocessor__name", flat=True))


def test_a_look_up_leaves_app_wide_sources_out_for_a_patient_of_two_practices(
    erase_task, support, with_twilio, patient, other_practice, platform_db
):
    from workflows.assistance import lookup

    with_twilio.add_sms(to=patient.phone, from_="+3197010000000", body="Praktijk Elders")
    ids = assistance.identifiers_for(erase_task)
    (twilio,) = [
        r for r in lookup.look_up(erase_task, actor=support, identifiers=ids) if r.key == "twilio"
    ]
    assert twilio.findings  # known at this practice only: searched
    demo.add_patient(
        platform_db,
        practice_agb=other_practice.agb_code,
        email="x@example.com",
        mobile=patient.phone,
    )
    (twilio,) = [
        r for r in lookup.look_up(erase_task, actor=support, identifiers=ids) if r.key == "twilio"
    ]
    assert not twilio.findings and "andere praktijk" in twilio.error
