"""The runtime database role, tried the way an attacker holding the web process's database
credentials would: signed in as that role, change, remove or empty the audit log, switch its
trigger off or drop it. All refused; appending and reading work, and so does the portal."""

import datetime
import secrets

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from psycopg import errors, sql

from requests_app import audit
from requests_app.models import AuditAction, AuditRecord, AuditRemovedSegment, Request
from tests.factories import submit
from workflows.housekeeping import audit_pruning

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles"),
]
AUDIT = "requests_app_auditrecord"


def drop_role(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            role = sql.Identifier(name).as_string(connection.connection)
            cursor.execute(f"DROP OWNED BY {role}")  # its grants in this database
            cursor.execute(f"DROP ROLE {role}")


@pytest.fixture
def app_role(transactional_db, monkeypatch):
    """A runtime role of this test database's own (roles are shared by the whole server)."""
    name = f"app_{connection.settings_dict['NAME']}"[:63]
    password = secrets.token_urlsafe(16)
    monkeypatch.setenv("TEST_APP_ROLE_PASSWORD", password)
    call_command("provision_db_roles", app_role=name, password_env="TEST_APP_ROLE_PASSWORD")
    yield name, password
    drop_role(name)


@pytest.fixture
def attacker(app_role):
    """A separate sign-in with the runtime role's own credentials."""
    name, password = app_role
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        dbname=params["NAME"],
        user=name,
        password=password,
        autocommit=True,
    ) as conn:
        yield conn


@pytest.fixture
def records(practice, patient, providers):
    submit(practice, patient)
    return list(AuditRecord.objects.order_by("seq"))


DENIED = "permission denied"  # the privilege is missing (not merely the trigger refusing)
NOT_OWNER = "must be owner"


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("UPDATE requests_app_auditrecord SET user_label = 'someone else'", DENIED),
        ("DELETE FROM requests_app_auditrecord", DENIED),
        ("TRUNCATE requests_app_auditrecord", DENIED),
        ("TRUNCATE requests_app_auditrecord CASCADE", DENIED),
        (
            "ALTER TABLE requests_app_auditrecord DISABLE TRIGGER audit_record_append_only",
            NOT_OWNER,
        ),
        ("ALTER TABLE requests_app_auditrecord DISABLE TRIGGER ALL", NOT_OWNER),
        ("DROP TRIGGER audit_record_append_only ON requests_app_auditrecord", NOT_OWNER),
        ("DROP TABLE requests_app_auditrecord", NOT_OWNER),
        ("DROP FUNCTION audit_record_is_append_only() CASCADE", NOT_OWNER),
        (
            "CREATE TRIGGER t BEFORE INSERT ON requests_app_auditrecord FOR EACH ROW"
            " EXECUTE FUNCTION audit_record_is_append_only()",
            DENIED,
        ),
        ("SET session_replication_role = replica", DENIED),
    ],
)
def test_the_runtime_role_cannot_change_the_audit_log(attacker, records, statement, refusal):
    with pytest.raises(errors.InsufficientPrivilege, match=refusal):
        attacker.execute(statement)
    assert list(AuditRecord.objects.order_by("seq")) == records
    assert [r.user_label for r in AuditRecord.objects.order_by("seq")] == [
        r.user_label for r in records
    ]
    call_command("verify_audit_log")


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM requests_app_auditrecord",
        "DELETE FROM requests_app_auditrecord WHERE seq = 1",
        "UPDATE requests_app_auditrecord SET user_label = 'someone else' WHERE seq = 1",
        "INSERT INTO requests_app_auditremovedsegment (first_seq, last_seq, count, prev_hash,"
        " last_hash, first_at, last_at, retention_years, removed_at, removed_by, mac)"
        " VALUES (1, 1, 1, '', '', now(), now(), 5, now(), 'me', '')",
        "DELETE FROM requests_app_auditremovedsegment",
        "UPDATE requests_app_auditremovedsegment SET removed_by = 'me'",
    ],
)
def test_the_runtime_role_cannot_use_the_pruning_path(attacker, records, statement):
    """Declaring a segment, as prune_audit_log does for the trigger, gains it nothing: it holds
    no DELETE on the audit log, and may only read the record of what was removed."""
    attacker.execute("SELECT set_config('portal.audit_remove_segment', '1-1000000', false)")
    with pytest.raises(errors.InsufficientPrivilege, match=DENIED):
        attacker.execute(statement)
    assert list(AuditRecord.objects.order_by("seq")) == records
    removals = attacker.execute("SELECT count(*) FROM requests_app_auditremovedsegment")
    assert removals.fetchone() == (0,)
    call_command("verify_audit_log")


def test_the_prune_command_refuses_the_runtime_role_even_for_an_old_segment(
    app_role, records, monkeypatch
):
    name, _password = app_role
    Request.objects.all().delete()  # purged: its log is no longer that of a living request
    later = timezone.now() + datetime.timedelta(days=366 * 7)  # the records are old by then
    monkeypatch.setattr(audit_pruning.timezone, "now", lambda: later)
    role = sql.Identifier(name).as_string(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role}")
    try:
        with pytest.raises(CommandError, match=f"{name} is not the owner of the audit log"):
            call_command("prune_audit_log")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert list(AuditRecord.objects.order_by("seq")) == records
    assert not AuditRemovedSegment.objects.exists()

    call_command("prune_audit_log")  # the owner may
    assert not AuditRecord.objects.filter(seq__in=[r.seq for r in records]).exists()
    call_command("verify_audit_log")


def test_even_the_owner_deletes_only_the_segment_it_declared(records):
    """The trigger lets through only the declared range, and never an update."""
    declare = "SELECT set_config('portal.audit_remove_segment', %s, true)"
    attempts = [
        (None, "DELETE FROM requests_app_auditrecord WHERE seq = 1"),
        ("1-1", "DELETE FROM requests_app_auditrecord WHERE seq = 2"),
        ("1-1", "DELETE FROM requests_app_auditrecord"),
        ("1-2", "UPDATE requests_app_auditrecord SET user_label = 'x' WHERE seq = 1"),
        ("1-1; 2-9", "DELETE FROM requests_app_auditrecord WHERE seq = 2"),
    ]
    for declared, statement in attempts:
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            if declared:
                cursor.execute(declare, [declared])
            cursor.execute(statement)
    assert list(AuditRecord.objects.order_by("seq")) == records


def test_the_runtime_role_may_read_and_append_but_a_forged_record_is_found(attacker, records):
    count, last_hash = attacker.execute(
        "SELECT count(*), max(hash) FILTER (WHERE seq = %s) FROM requests_app_auditrecord",
        [len(records)],
    ).fetchone()
    assert (count, last_hash) == (len(records), records[-1].hash)
    # Without the chain key its own record cannot carry a valid hash.
    attacker.execute(
        "INSERT INTO requests_app_auditrecord (seq, at, event_type, action, outcome, user_label,"
        " roles, purpose, patient_id, patient_id_type, object_type, object_id, source_system,"
        " details, prev_hash, hash) VALUES (%s, now(), 'request.view', 'R', 'success', 'nobody',"
        " '', '', '', '', '', '', 'dsr-portal', '{}', %s, %s)",
        [len(records) + 1, records[-1].hash, "f" * 64],
    )
    attacker.execute("UPDATE requests_app_auditchainhead SET seq = seq + 1")
    with pytest.raises(CommandError, match=f"record #{len(records) + 1} was changed"):
        call_command("verify_audit_log")


def test_the_portal_works_as_the_runtime_role(app_role, practice, patient, providers):
    name, _password = app_role
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {sql.Identifier(name).as_string(connection.connection)}")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == name
        request = submit(practice, patient)  # request, events, outbox, audit, head
        entry = audit.record("request.view", AuditAction.READ, request=request, user_label="t")
        call_command("verify_audit_log")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditRecord.objects.order_by("seq").last() == entry
    assert Request.objects.filter(pk=request.pk).exists()


def test_provisioning_twice_changes_nothing_and_later_tables_get_the_same_grants(
    app_role, attacker
):
    name, _password = app_role
    call_command("provision_db_roles", app_role=name)
    call_command("provision_db_roles", app_role=name, check=True)
    with connection.cursor() as cursor:  # what a later migration does, as the owner
        cursor.execute("CREATE TABLE later_table (id bigint GENERATED BY DEFAULT AS IDENTITY)")
    try:
        attacker.execute("INSERT INTO later_table DEFAULT VALUES")
        assert attacker.execute("SELECT count(*) FROM later_table").fetchone() == (1,)
        call_command("provision_db_roles", app_role=name, check=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE later_table")


def test_a_hand_granted_excess_is_reported_and_removed_by_running_it_again(app_role, attacker):
    name, _password = app_role
    role = sql.Identifier(name).as_string(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT UPDATE, TRUNCATE ON {AUDIT} TO {role}")
    with pytest.raises(CommandError, match=f"{name} may TRUNCATE, UPDATE {AUDIT}"):
        call_command("provision_db_roles", app_role=name, check=True)

    call_command("provision_db_roles", app_role=name)
    call_command("provision_db_roles", app_role=name, check=True)
    with pytest.raises(errors.InsufficientPrivilege):
        attacker.execute(f"TRUNCATE {AUDIT}")


def test_the_owner_or_an_owning_role_is_refused_as_runtime_role(transactional_db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="cannot be the runtime role|must be another one"):
        call_command("provision_db_roles", app_role=owner)

    name = f"own_{connection.settings_dict['NAME']}"[:63]
    role = sql.Identifier(name).as_string(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role}")
        cursor.execute(
            f"CREATE TABLE owned_table (id int); ALTER TABLE owned_table OWNER TO {role}"
        )
    try:
        with pytest.raises(CommandError, match="owns database objects"):
            call_command("provision_db_roles", app_role=name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE owned_table")
        drop_role(name)


def test_a_member_of_the_owner_is_refused(transactional_db):
    """A role that may act as the tables' owner could switch the trigger off."""
    name = f"member_{connection.settings_dict['NAME']}"[:63]
    # The test database's owner is a superuser; an ordinary owner role stands in for it.
    stand_in = f"owner_{connection.settings_dict['NAME']}"[:63]
    quoted = {n: sql.Identifier(n).as_string(connection.connection) for n in (name, stand_in)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = sql.Identifier(cursor.fetchone()[0]).as_string(connection.connection)
        cursor.execute(f"CREATE ROLE {quoted[name]} LOGIN")
        cursor.execute(f"CREATE ROLE {quoted[stand_in]}")
        cursor.execute(f"ALTER TABLE {AUDIT} OWNER TO {quoted[stand_in]}")
        cursor.execute(f"GRANT {quoted[stand_in]} TO {quoted[name]}")
    try:
        with pytest.raises(CommandError, match=f"{name} is a member of {stand_in}"):
            call_command("provision_db_roles", app_role=name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {AUDIT} OWNER TO {owner}")
        drop_role(name)
        drop_role(stand_in)


def test_an_administrative_role_is_refused_not_demoted(transactional_db):
    name = f"admin_{connection.settings_dict['NAME']}"[:63]
    role = sql.Identifier(name).as_string(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN CREATEDB")
    try:
        with pytest.raises(
            CommandError, match="has CREATEDB; the runtime role must be an ordinary"
        ):
            call_command("provision_db_roles", app_role=name)
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolcreatedb FROM pg_roles WHERE rolname = %s", [name])
            assert cursor.fetchone() == (True,)
    finally:
        drop_role(name)


def test_the_review_finds_the_trigger_switched_off(app_role):
    name, _password = app_role
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE requests_app_auditrecord DISABLE TRIGGER audit_record_append_only"
        )
    try:
        with pytest.raises(CommandError, match="append-only trigger .* is missing or disabled"):
            call_command("provision_db_roles", app_role=name, check=True)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE requests_app_auditrecord ENABLE TRIGGER audit_record_append_only"
            )
    call_command("provision_db_roles", app_role=name, check=True)
