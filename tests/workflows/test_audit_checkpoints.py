"""The daily checkpoint of the audit log: appended to the store outside the database, mailed to
every practice's FG and to processor support without personal data, and refused for a chain that
does not check out."""

import datetime

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from requests_app import audit, audit_anchors
from requests_app.models import AuditAction, AuditRecord
from tests.factories import make_practice, submit
from workflows import jobs as tasks
from workflows.housekeeping import audit_checkpoints
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC)


@pytest.fixture
def recorded(practice, patient, providers):
    request = submit(practice, patient)
    providers.reset()
    return request


def test_checkpoint_is_stored_outside_the_database_and_mailed_without_personal_data(
    recorded, practice, other_practice, support, providers, patient
):
    make_practice("05555555", dpo_email=practice.dpo_email, name="Same FG")  # one mail, not two
    make_practice("06666666", dpo_email="fg@closed.example", active=False)
    last = AuditRecord.objects.order_by("seq").last()

    anchor = audit_checkpoints.take_checkpoint(NOW)

    assert (anchor.seq, anchor.hash, anchor.at) == (
        last.seq,
        last.hash,
        "2026-03-02T23:30:00+00:00",
    )
    assert audit_anchors.read_anchors() == ([anchor], [])
    mails = providers.emails()
    assert sorted(r for m in mails for r in m.to) == sorted(
        [practice.dpo_email, other_practice.dpo_email, support.email]
    )
    text = mails[0].text
    assert f"{last.seq}:{last.hash}" in text and "3 maart 2026, 00:30" in text  # Dutch, local time
    for personal in (patient.name, patient.email, patient.phone, recorded.reference):
        assert personal not in text


def test_nothing_new_means_no_new_checkpoint_and_new_records_mean_one(recorded, providers):
    first = audit_checkpoints.take_checkpoint(NOW)
    sent = len(providers.emails())
    assert audit_checkpoints.take_checkpoint(NOW + datetime.timedelta(days=1)) is None
    assert len(providers.emails()) == sent

    audit.record("test.event", AuditAction.READ, user_label="later")
    second = audit_checkpoints.take_checkpoint(NOW + datetime.timedelta(days=2))
    assert second.seq == first.seq + 1
    assert [a.seq for a in audit_anchors.read_anchors()[0]] == [first.seq, second.seq]
    call_command("verify_audit_log")  # both checkpoints match the chain


@pytest.mark.skipif(connection.vendor != "postgresql", reason="bypassing the trigger")
def test_a_rewritten_chain_is_not_vouched_for(recorded, providers):
    first = audit_checkpoints.take_checkpoint(NOW)
    audit.record("test.event", AuditAction.READ, user_label="later")
    with connection.cursor() as cursor:  # someone with the database, without the key
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE requests_app_auditrecord SET user_label = 'x' WHERE seq = %s", [first.seq + 1]
        )
        cursor.execute("SET session_replication_role = DEFAULT")
    sent = len(providers.emails())

    with pytest.raises(audit_checkpoints.AuditLogBroken, match=f"#{first.seq + 1} was changed"):
        audit_checkpoints.take_checkpoint(NOW + datetime.timedelta(days=1))
    assert audit_anchors.read_anchors()[0] == [first]
    assert len(providers.emails()) == sent


def test_the_daily_job_is_scheduled_and_takes_the_checkpoint(recorded):
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].endswith("anchor_audit_log")
    )
    assert entry["schedule"].hour == {0}
    seq = tasks.anchor_audit_log()  # the task as beat runs it, here in-process
    assert seq == AuditRecord.objects.order_by("seq").last().seq
    assert Notification.objects.filter(purpose=Purpose.AUDIT_CHECKPOINT).exists()
