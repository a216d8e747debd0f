"""Attacks on retention: the removal of old audit segments and the purge of ended requests.

Tried as someone holding the runtime role's credentials, as someone holding the tables' owner's
credentials but not the chain key, and as a careless operator. Each test states the attack; a
passing test documents the defence."""

import dataclasses
import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from psycopg import errors

from requests_app import audit
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    AuditRecord,
    AuditRemovedSegment,
    Incident,
    Request,
    RequestState,
)
from tests.audit_history import as_database_holder, last_seq, new_records_since, written_at
from tests.factories import decided, released_package, submit
from tests.runtime_role import runtime_role, signed_in_as
from workflows.accounts import patient_signin
from workflows.assistance import tasks as assistance
from workflows.assistance.packages.files import package_path
from workflows.housekeeping import audit_pruning, retention

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles and triggers"),
]
UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
AUDIT = AuditRecord._meta.db_table
DECLARE = "SELECT set_config('portal.audit_remove_segment', '1-1000000', false)"


@pytest.fixture
def attacker(monkeypatch):
    with runtime_role(monkeypatch) as (name, password), signed_in_as(name, password) as conn:
        yield conn


@pytest.fixture
def records(practice, patient, providers):
    submit(practice, patient)
    return list(AuditRecord.objects.order_by("seq").values_list("seq", "hash"))


def unchanged(records) -> bool:
    return list(AuditRecord.objects.order_by("seq").values_list("seq", "hash")) == records


def owner_executes(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def written_in(month: str, seqs: list[int], day: int = 10) -> None:
    year, number = map(int, month.split("-"))
    written_at(
        {
            seq: datetime.datetime(year, number, day, 9, tzinfo=UTC) + datetime.timedelta(minutes=i)
            for i, seq in enumerate(seqs)
        }
    )


def handled_in(month: str, practice, patient, **kwargs) -> tuple[Request, list[int]]:
    start = last_seq()
    item = submit(practice, patient, **kwargs)
    seqs = new_records_since(start)
    written_in(month, seqs)
    return item, seqs


# --- The runtime role -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "SET session_replication_role = replica",
        "ALTER TABLE requests_app_auditrecord DISABLE TRIGGER USER",
        "TRUNCATE auth_user CASCADE",  # would empty the audit log by its foreign key
        "TRUNCATE requests_app_auditremovedsegment",
        "ALTER TABLE requests_app_auditrecord ADD CONSTRAINT c"
        " FOREIGN KEY (user_id) REFERENCES auth_user (id) ON DELETE CASCADE",
        "CREATE FUNCTION public.f() RETURNS void SECURITY DEFINER LANGUAGE sql AS"
        " 'DELETE FROM requests_app_auditrecord'",
    ],
)
def test_the_runtime_role_cannot_become_the_owner_or_reach_around_the_trigger(
    attacker, records, statement
):
    attacker.execute(DECLARE)
    with pytest.raises((errors.InsufficientPrivilege, errors.WrongObjectType)):
        attacker.execute(statement)
    assert unchanged(records)
    call_command("verify_audit_log")


def test_deleting_an_account_the_audit_log_names_is_refused(attacker, records, handler):
    """Audit records name their user; deleting that user must not take the records along."""
    audit.record("request.view", AuditAction.READ, user=handler)
    records = list(AuditRecord.objects.order_by("seq").values_list("seq", "hash"))
    attacker.execute(DECLARE)
    with pytest.raises(errors.ForeignKeyViolation):
        attacker.execute("DELETE FROM auth_user WHERE id = %s", [handler.pk])
    assert unchanged(records)


def test_no_foreign_key_of_the_audit_log_acts_on_delete_or_update():
    """A referential action runs as the table's owner: an ON DELETE CASCADE from the audit log to
    a table the runtime role may delete from would be the owner deleting audit records."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, confdeltype, confupdtype FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid = %s::regclass",
            [AUDIT],
        )
        actions = cursor.fetchall()
    assert actions and all(d in "ar" and u in "ar" for _name, d, u in actions), actions


def test_a_cascade_a_later_migration_adds_still_does_not_let_the_runtime_role_delete(
    attacker, records
):
    """Should a migration ever add ON DELETE CASCADE to the audit log (Django's db_on_delete),
    the cascade runs as the owner; the trigger must still refuse a delete the runtime role set off,
    even with the segment declared."""
    someone = get_user_model().objects.create(username="someone", email="someone@example.com")
    audit.record("request.view", AuditAction.READ, user=someone)
    records = list(AuditRecord.objects.order_by("seq").values_list("seq", "hash"))
    owner_executes(
        f"ALTER TABLE {AUDIT} ADD CONSTRAINT careless FOREIGN KEY (user_id)"  # noqa: S608
        " REFERENCES auth_user (id) ON DELETE CASCADE"
    )
    try:
        attacker.execute(DECLARE)
        with pytest.raises(errors.InsufficientPrivilege, match="append-only"):
            attacker.execute("DELETE FROM auth_user WHERE id = %s", [someone.pk])
    finally:
        owner_executes(f"ALTER TABLE {AUDIT} DROP CONSTRAINT careless")  # noqa: S608
    assert unchanged(records)


def test_a_record_the_runtime_role_slips_into_a_removed_range_is_found(
    attacker, practice, patient, providers
):
    item, seqs = handled_in("2019-01", practice, patient)
    item.delete()
    assert audit_pruning.prune(NOW, removed_by="ops").removed
    head = AuditRecord.objects.order_by("seq").last()
    attacker.execute(
        f"INSERT INTO {AUDIT} (seq, at, event_type, action, outcome, user_label, roles,"  # noqa: S608
        " purpose, patient_id, patient_id_type, object_type, object_id, source_system, details,"
        " prev_hash, hash) VALUES (%s, now(), 'request.view', 'R', 'success', 'nobody', '', '',"
        " '', '', '', '', 'dsr-portal', '{}', %s, %s)",
        [seqs[1], head.prev_hash, head.hash],
    )
    with pytest.raises(CommandError, match=f"record #{seqs[1]} lies in the removed records"):
        call_command("verify_audit_log")


# --- The owner, without the chain key ---------------------------------------------------------


def test_the_owner_cannot_stretch_a_genuine_removal_over_the_records_after_it(
    practice, patient, providers
):
    gone, january = handled_in("2019-01", practice, patient)
    other = dataclasses.replace(patient, email="piet@example.com")
    _kept, february = handled_in("2019-02", practice, other)
    gone.delete()
    audit_pruning.prune(NOW, removed_by="ops")
    removal = AuditRemovedSegment.objects.get()
    assert (removal.first_seq, removal.last_seq) == (january[0], january[-1])
    as_database_holder(
        [
            (f"DELETE FROM {AUDIT} WHERE seq BETWEEN %s AND %s", [february[0], february[1]]),  # noqa: S608
            (
                "UPDATE requests_app_auditremovedsegment SET last_seq = %s, count = %s",
                [february[1], removal.count + 2],
            ),
        ]
    )
    with pytest.raises(CommandError, match="is not genuine"):
        call_command("verify_audit_log")
    # Put back, the removal record alone leaves the deleted records missing.
    as_database_holder(
        [
            (
                "UPDATE requests_app_auditremovedsegment SET last_seq = %s, count = %s",
                [removal.last_seq, removal.count],
            )
        ]
    )
    with pytest.raises(CommandError, match=f"record #{february[0]} is missing"):
        call_command("verify_audit_log")


def test_the_owner_cannot_drop_a_removal_record_unnoticed(practice, patient, providers):
    gone, january = handled_in("2019-01", practice, patient)
    gone.delete()
    audit_pruning.prune(NOW, removed_by="ops")
    as_database_holder([("DELETE FROM requests_app_auditremovedsegment", [])])
    with pytest.raises(CommandError, match=f"record #{january[0]} is missing"):
        call_command("verify_audit_log")


# --- Clocks, months and settings --------------------------------------------------------------


def test_months_with_no_records_between_them_and_the_very_first_record(
    practice, patient, providers
):
    """January and March 2019, nothing in February: two removals back to back, the first from
    record #1 on; what is left (the removals' own records) verifies."""
    first, january = handled_in("2019-01", practice, patient)
    second, march = handled_in("2019-03", practice, patient)
    assert january[0] == 1
    Request.objects.all().delete()
    outcome = audit_pruning.prune(NOW, removed_by="ops")
    assert [(r.first_seq, r.last_seq) for r in outcome.removed] == [
        (january[0], january[-1]),
        (march[0], march[-1]),
    ]
    assert not AuditRecord.objects.filter(seq__lte=march[-1]).exists()
    call_command("verify_audit_log")
    assert audit_pruning.prune(NOW, removed_by="ops").removed == []


def test_the_month_is_the_utc_month_and_the_cutoff_is_to_the_minute(practice, patient, providers):
    """A record written 28 February 2021 23:30 UTC (1 March 00:30 in Amsterdam) is five years
    old only from 28 February 2026 23:30 UTC; its month goes once that month has wholly aged."""
    item, seqs = handled_in("2021-02", practice, patient)
    written_at({seqs[-1]: datetime.datetime(2021, 2, 28, 23, 30, tzinfo=UTC)})
    item.delete()
    just_before = datetime.datetime(2026, 2, 28, 23, 10, tzinfo=UTC)  # 1 March in Amsterdam
    assert audit_pruning.prune(just_before, removed_by="ops").removed == []
    after = datetime.datetime(2026, 3, 1, 0, 10, tzinfo=UTC)
    assert [r.last_seq for r in audit_pruning.prune(after, removed_by="ops").removed] == [seqs[-1]]
    call_command("verify_audit_log")


def test_a_record_stamped_years_early_by_a_wrong_clock_takes_no_neighbour_along(
    practice, patient, providers
):
    """A worker whose clock was reset writes a record dated 2019 between records of 2024: it
    joins their month, so nothing of 2024 is removed in 2026."""
    _old, january = handled_in("2019-01", practice, patient)
    _recent, recent = handled_in("2024-06", practice, patient)
    written_at({recent[1]: datetime.datetime(2019, 1, 11, tzinfo=UTC)})
    Request.objects.all().delete()
    audit_pruning.prune(NOW, removed_by="ops")
    assert AuditRecord.objects.filter(seq__in=recent).count() == len(recent)
    assert not AuditRecord.objects.filter(seq__in=january).exists()
    call_command("verify_audit_log")


def test_a_huge_retention_keeps_everything_rather_than_crash(
    settings, practice, patient, providers
):
    item, _seqs = handled_in("2019-01", practice, patient)
    item.delete()
    settings.AUDIT_RETENTION_YEARS = 3000  # a typo for 30
    assert audit_pruning.plan(NOW) == []
    assert audit_pruning.prune(NOW, removed_by="ops").removed == []
    settings.AUDIT_RETENTION_YEARS = -5
    with pytest.raises(audit_pruning.PruningRefused, match="kept at least 5 years"):
        audit_pruning.prune(NOW, removed_by="ops")
    assert not AuditRemovedSegment.objects.exists()


@pytest.mark.parametrize("value", ["five", "5.5", ""])
def test_a_retention_that_is_no_number_stops_the_portal_from_starting(value):
    env = os.environ | {"AUDIT_RETENTION_YEARS": value, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    run = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        cwd=django_settings.BASE_DIR,
        timeout=60,
        check=False,
    )
    assert run.returncode != 0 and "AUDIT_RETENTION_YEARS" in run.stderr


# --- What a segment concerns ------------------------------------------------------------------


def rewritten(seqs: list[int], **fields) -> None:
    """Records as an older version of the portal wrote them: the same records with other
    values, chained with the key; the records after them are linked up again."""
    before = AuditRecord.objects.filter(seq=seqs[0] - 1).first()
    previous = before.hash if before else audit.GENESIS
    statements = []
    for entry in AuditRecord.objects.filter(seq__in=seqs).order_by("seq"):
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.prev_hash = previous
        entry.hash = previous = entry.compute_hash()
        assignments = ", ".join(f"{name} = %s" for name in fields)
        statements.append(
            (
                f"UPDATE {AUDIT} SET {assignments}, prev_hash = %s, hash = %s WHERE seq = %s",  # noqa: S608
                [*fields.values(), entry.prev_hash, entry.hash, entry.seq],
            )
        )
    as_database_holder(statements)
    following = AuditRecord.objects.filter(seq=seqs[-1] + 1).first()
    if following is not None:
        written_at({following.seq: following.at})
    else:
        as_database_holder(
            [("UPDATE requests_app_auditchainhead SET hash = %s WHERE id = 1", [previous])]
        )


def test_a_month_of_sign_ins_by_a_patient_who_still_has_a_request_is_kept(
    practice, patient, providers
):
    """The patient's first request (January 2019) is gone; their sign-ins of February 2019 name
    the account, not the address. They have a request again: the log of their sign-ins is
    theirs too, and stays."""
    first, _january = handled_in("2019-01", practice, patient)
    start = last_seq()
    patient_signin.check_code(patient.email, "000000")
    patient_signin.check_code(patient.email, "111111")
    signins = new_records_since(start)
    written_in("2019-02", signins)
    first.delete()
    handled_in("2024-06", practice, patient)
    assert {r.event_type for r in AuditRecord.objects.filter(seq__in=signins)} == {"patient.signin"}
    reasons = {s.month.strftime("%Y-%m"): reason for s, reason in audit_pruning.plan(NOW)}
    assert reasons["2019-02"] == "a patient in it still has a request"
    audit_pruning.prune(NOW, removed_by="ops")
    assert AuditRecord.objects.filter(seq__in=signins).count() == len(signins)
    call_command("verify_audit_log")


def test_an_address_written_before_addresses_were_canonical_still_finds_the_patient(
    practice, patient, providers
):
    """Records older than migration 0017 name the address as the patient typed it; the requests
    since hold the canonical form."""
    old, seqs = handled_in("2019-01", practice, patient)
    old.delete()
    rewritten(seqs, patient_id="Jan@Example.COM", object_id="", purpose="")
    handled_in("2024-06", practice, patient)  # the same patient, still held
    reasons = {s.month.strftime("%Y-%m"): reason for s, reason in audit_pruning.plan(NOW)}
    assert reasons["2019-01"] == "a patient in it still has a request"
    call_command("verify_audit_log")


# --- The purge of ended requests --------------------------------------------------------------


def test_a_granted_request_whose_erasure_is_still_being_carried_out_is_not_purged(
    practice, patient, providers, handler
):
    practice.retention_years = 1  # a practice keeps requests a short time
    practice.save()
    item = decided(practice, patient, handler)
    task = assistance.request_assistance(
        item, actor=handler, kind="erase", instruction="Alles wissen"
    )
    Request.objects.filter(pk=item.pk).update(decided_at=NOW - datetime.timedelta(days=3 * 365))
    assert retention.purge_expired(NOW) == []
    assert AssistanceTask.objects.filter(pk=task.pk).exists()

    AssistanceTask.objects.filter(pk=task.pk).update(state="rejected")  # the work has ended
    assert retention.purge_expired(NOW) == [item.reference]


def test_a_request_with_an_incident_not_yet_closed_is_not_purged(practice, patient, providers):
    item = submit(practice, patient)
    Request.objects.filter(pk=item.pk).update(
        state=RequestState.CLOSED, closed_at=NOW - datetime.timedelta(days=16 * 366)
    )
    Incident.objects.create(request=item, nature="Verkeerde brief verstuurd")
    assert retention.purge_expired(NOW) == []
    Incident.objects.filter(request=item).update(state="closed")
    assert retention.purge_expired(NOW) == [item.reference]


def test_a_purged_request_leaves_no_package_file_and_its_log_stays_verifiable(
    platform_db, package_dir, practice, patient, providers, handler, support
):
    item = decided(practice, patient, handler, kind="access")
    package = released_package(item, handler, support)
    assert package_path(package).exists()
    Request.objects.filter(pk=item.pk).update(
        state=RequestState.FULFILLED, fulfilled_at=NOW - datetime.timedelta(days=16 * 366)
    )
    assert retention.purge_expired(NOW) == [item.reference]
    assert not package_path(package).exists()
    assert list(package_dir.iterdir()) == []
    call_command("verify_audit_log")
