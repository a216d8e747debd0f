"""Erasure (agreement art. 6.1): per source, with exceptions and a certificate."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from demo import platform as demo
from requests_app.errors import TransitionRefused
from requests_app.models import AssistanceKind, AuditRecord, DataPackage, TaskState
from tests.factories import decided, granted
from tests.workflows.helpers import deliver_and_accept, started
from workflows.assistance import erasure, packages
from workflows.assistance import tasks as assistance
from workflows.assistance.connectors import Identifiers
from workflows.assistance.connectors.platform import PlatformConnector

pytestmark = pytest.mark.django_db


def test_erasure_keeps_the_exceptions_and_is_safe_to_repeat(erase_task, support, practice):
    first = erasure.run_erasure(erase_task, actor=support)
    removed = {r.category: r.removed for r in first}
    kept = {r.category: r.kept for r in first}
    assert removed["email"] == 1 and removed["video_ip"] == 1 and removed["device_id"] == 1
    assert kept["conversations"] == 40 and removed["conversations"] == 0
    again = erasure.run_erasure(erase_task, actor=support)
    assert sum(r.removed for r in again) == 0 and not any(r.error for r in again)
    # Piet, at the same practice, is untouched.
    piet = PlatformConnector().find(Identifiers(practice.agb_code, email="piet@example.com"))
    assert {f.category: f.count for f in piet}["conversations"] == 5
    assert AuditRecord.objects.filter(event_type="task.erase").count() == 2


def test_certificate_after_every_source_and_step(erase_task, support, handler):
    with pytest.raises(TransitionRefused):
        erasure.issue_certificate(erase_task, actor=support)  # nothing has run yet
    erasure.run_erasure(erase_task, actor=support)
    assert erasure.open_points(erase_task)  # manual steps still open
    for step in erase_task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Verwijderd via het dashboard")
    erasure.run_erasure(erase_task, actor=support)  # a second run changes no totals
    certificate = erasure.issue_certificate(erase_task, actor=support)
    m = certificate.manifest
    assert certificate.digest == erasure.manifest_digest(m) and len(certificate.digest) == 64
    platform = {c["category"]: c for c in m["sources"][0]["categories"]}
    assert platform["email"]["removed"] == 1 and platform["conversations"]["kept"] == 40
    assert m["exceptions"]["categories"] == ["conversations"]
    assert m["instruction"]["by"] == handler.email and m["instruction"]["decision"] == "granted"
    assert m["executed_by"] == [support.email] and len(m["manual_steps"]) >= 1
    erasure.run_erasure(erase_task, actor=support)  # a run after the certificate ...
    with pytest.raises(TransitionRefused):
        assistance.deliver(erase_task, actor=support)  # ... needs a new certificate first
    erasure.issue_certificate(erase_task, actor=support)
    task = assistance.deliver(erase_task, actor=support)
    assert task.state == TaskState.DELIVERED
    with pytest.raises(PermissionDenied):
        erasure.run_erasure(erase_task, actor=handler)


def test_a_failing_source_is_recorded_and_blocks_the_certificate(erase_task, support, settings):
    settings.DATA_CONNECTORS = [
        "workflows.assistance.connectors.platform.PlatformConnector",
        "workflows.assistance.connectors.sendgrid_contacts.SendGridContactsConnector",
    ]
    settings.SENDGRID_API_KEY = "SG.x"
    settings.SENDGRID_API_HOST = "http://127.0.0.1:9"  # nothing listens there
    runs = erasure.run_erasure(erase_task, actor=support)
    assert any(r.source == "sendgrid" and r.error for r in runs)
    assert any(r.source == "platform" and r.removed for r in runs)  # the others went on
    assert any("SendGrid" in p for p in erasure.open_points(erase_task))


def test_retention_purge_removes_the_package_file_with_its_request(
    supply_task, support, package_dir, django_capture_on_commit_callbacks
):
    from requests_app.models import Request
    from workflows.housekeeping import retention

    package = packages.build_package(supply_task, actor=support)
    Request.objects.filter(pk=supply_task.request_id).update(
        state="closed", closed_at=timezone.now() - datetime.timedelta(days=365 * 16)
    )
    # Work still under way holds a request back (retention.still_worked_on): this one ended.
    type(supply_task).objects.filter(pk=supply_task.pk).update(state="accepted")
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge_expired() == [supply_task.request.reference]
    assert not (package_dir / package.file_name).exists()
    assert not DataPackage.objects.exists()


def test_an_app_wide_source_is_left_alone_for_a_patient_of_two_practices(
    erase_task, support, with_twilio, patient, other_practice, platform_db
):
    with_twilio.add_sms(to=patient.phone, from_="+3197010000000", body="Uw uitslag is binnen")
    demo.add_patient(
        platform_db,
        practice_agb=other_practice.agb_code,
        email="jan@elders.example",
        mobile=patient.phone,
    )
    runs = erasure.run_erasure(erase_task, actor=support)
    twilio = [r for r in runs if r.source == "twilio"]
    assert len(twilio) == 1 and "andere praktijk" in twilio[0].skipped and not twilio[0].removed
    assert len(with_twilio.sms_messages()) == 1  # the other practice's SMS is still there
    for step in erase_task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Gedaan")
    manifest = erasure.issue_certificate(erase_task, actor=support).manifest
    assert [s["skipped"] for s in manifest["sources"] if s["key"] == "twilio"][0]


def test_an_app_wide_source_is_erased_for_a_patient_of_this_practice_only(
    erase_task, support, with_twilio, patient
):
    with_twilio.add_sms(to=patient.phone, from_="+3197010000000", body="Uw uitslag is binnen")
    with_twilio.add_sms(to="+31600000001", from_="+3197010000000", body="Iemand anders")
    runs = erasure.run_erasure(erase_task, actor=support)
    assert sum(r.removed for r in runs if r.source == "twilio") == 1
    assert [m["to"] for m in with_twilio.sms_messages()] == ["+31600000001"]


def test_what_a_failing_source_removed_before_it_failed_is_counted(
    erase_task, support, with_twilio, patient
):
    for n in range(3):
        with_twilio.add_sms(to=patient.phone, from_="+3197010000000", body=f"Bericht {n}")
    with_twilio.fail_next(1, 503, method="DELETE")  # the first delete fails: 0 removed
    first = erasure.run_erasure(erase_task, actor=support)
    assert any(r.error for r in first if r.source == "twilio")
    erasure.run_erasure(erase_task, actor=support)
    for step in erase_task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Gedaan")
    manifest = erasure.issue_certificate(erase_task, actor=support).manifest
    (twilio,) = [s for s in manifest["sources"] if s["key"] == "twilio"]
    assert twilio["categories"] == [{"category": "mobile", "removed": 3, "kept": 0}]
    assert with_twilio.sms_messages() == []


def test_erasure_also_removes_earlier_data_packages_of_the_patient(
    supply_task,
    support,
    handler,
    practice,
    patient,
    package_dir,
    django_capture_on_commit_callbacks,
):
    package = packages.build_package(supply_task, actor=support)
    deliver_and_accept(supply_task, handler, support)
    granted(supply_task.request, handler)  # the decision comes before the release
    packages.release(package, actor=handler)
    item = decided(practice, patient, handler, kind="erasure")
    task = started(item, handler, support, AssistanceKind.ERASE)
    with django_capture_on_commit_callbacks(execute=True):  # files go after commit
        erasure.run_erasure(task, actor=support)
    package.refresh_from_db()
    assert package.purged_at and not package.downloadable
    assert not (package_dir / package.file_name).exists()
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Gedaan")
    manifest = erasure.issue_certificate(task, actor=support).manifest
    assert manifest["data_packages_removed"] == [supply_task.number]


def test_a_family_members_package_on_the_same_address_is_not_erased(
    supply_task, support, handler, practice, patient
):
    import dataclasses

    package = packages.build_package(supply_task, actor=support)
    child = dataclasses.replace(patient, name="Kim Jansen", birth_date=datetime.date(2015, 3, 1))
    item = decided(practice, child, handler, kind="erasure")
    task = started(item, handler, support, AssistanceKind.ERASE)
    erasure.run_erasure(task, actor=support)
    package.refresh_from_db()
    assert package.purged_at is None
