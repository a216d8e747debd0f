"""The NEN 7513 audit log: what is recorded, that the database keeps it append-only, and that
`verify_audit_log` finds a changed, a deleted and a reordered record."""

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from requests_app import audit
from requests_app.models import AuditAction, AuditRecord, Request
from requests_app.roles import Role
from tests.factories import make_user, submit
from workflows.casework import actions as casework

pytestmark = pytest.mark.django_db(transaction=True)
needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


def last(event_type: str) -> AuditRecord:
    return AuditRecord.objects.filter(event_type=event_type).last()


@pytest.fixture
def mine(practice, patient, providers):
    return submit(practice, patient)


def test_intake_transitions_views_and_messages_are_recorded(client, mine, handler, patient):
    created = last("request.create")
    assert (created.action, created.object_id, created.patient_id, created.patient_id_type) == (
        "C",
        mine.reference,
        patient.email,
        "email",
    )
    forwarded = last("request.forward")
    assert forwarded.action == "U" and forwarded.user_label == "system"

    client.force_login(handler)
    client.get(f"/staff/requests/{mine.reference}/", REMOTE_ADDR="10.1.2.3")
    viewed = last("request.view")
    assert (viewed.action, viewed.user, viewed.roles, viewed.purpose, viewed.source_ip) == (
        "R",
        handler,
        "handler",
        mine.reference,
        "10.1.2.3",
    )
    assert viewed.practice_id_ref == mine.practice_id

    client.get("/staff/", {"q": "jansen"})
    listed = last("queue.view")
    assert listed.details["shown"] == [mine.reference]
    assert listed.details["filters"] == {"q": "jansen"}

    item = Request.objects.get(pk=mine.pk)
    casework.act(item, "acknowledge", actor=handler, version=item.version)
    changed = last("request.acknowledge")
    assert changed.details == {"from": "forwarded", "to": "in_review"}
    casework.write_to_patient(item, actor=handler, body="Wij nemen contact op.")
    assert last("request.message").action == "C"


def test_refused_look_at_another_practice_is_recorded(client, mine, other_handler):
    client.force_login(other_handler)
    assert client.get(f"/staff/requests/{mine.reference}/").status_code == 404
    denied = last("request.view")
    assert (denied.outcome, denied.user, denied.object_id) == (
        "denied",
        other_handler,
        mine.reference,
    )
    assert denied.patient_id == ""  # nothing about the patient leaks into the denied record


def test_every_record_is_chained_to_the_one_before(mine):
    records = list(AuditRecord.objects.order_by("seq"))
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    for before, after in zip(records, records[1:], strict=False):
        assert after.prev_hash == before.hash
    call_command("verify_audit_log")


@needs_postgres
def test_database_refuses_to_change_or_delete_an_audit_record(mine):
    entry = AuditRecord.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=entry.pk).update(user_label="someone else")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=entry.pk).delete()
    assert AuditRecord.objects.get(pk=entry.pk).user_label == entry.user_label


@pytest.fixture
def chain(mine):
    for i in range(4):
        audit.record("test.event", AuditAction.READ, user_label=f"tester{i}")
    return AuditRecord.objects.order_by("seq")


def _tamper(sql: str, params: list) -> None:
    """What only someone with database superuser rights could do: bypass the trigger."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


@needs_postgres
def test_verify_finds_a_changed_record(chain):
    victim = chain[2]
    _tamper(
        "UPDATE requests_app_auditrecord SET user_label = %s WHERE id = %s", ["innocent", victim.pk]
    )
    with pytest.raises(CommandError, match=f"record #{victim.seq} was changed"):
        call_command("verify_audit_log")


@needs_postgres
def test_verify_finds_a_deleted_record(chain):
    victim = chain[2]
    _tamper("DELETE FROM requests_app_auditrecord WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match=f"record #{victim.seq} is missing"):
        call_command("verify_audit_log")


@needs_postgres
def test_verify_finds_a_deleted_last_record(chain):
    victim = chain.last()
    _tamper("DELETE FROM requests_app_auditrecord WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match="records at the end are missing"):
        call_command("verify_audit_log")


@needs_postgres
def test_verify_finds_reordered_records(chain):
    first, second = chain[2], chain[3]
    # Swap their positions: each row keeps a valid hash of its own, but the chain breaks.
    _tamper(
        "UPDATE requests_app_auditrecord SET seq = seq + 1000000 WHERE id IN (%s, %s)",
        [first.pk, second.pk],
    )
    _tamper("UPDATE requests_app_auditrecord SET seq = %s WHERE id = %s", [second.seq, first.pk])
    _tamper("UPDATE requests_app_auditrecord SET seq = %s WHERE id = %s", [first.seq, second.pk])
    with pytest.raises(CommandError, match="does not follow|was changed"):
        call_command("verify_audit_log")


def test_intact_chain_is_reported(mine, capsys):
    call_command("verify_audit_log")
    assert "intact" in capsys.readouterr().out


def test_dpo_searches_and_exports_only_own_practice_and_reading_is_logged(
    client, mine, practice, other_practice, patient, providers
):
    theirs = submit(other_practice, patient)
    dpo = make_user("fg@practice.example", Role.DPO, practice)
    client.force_login(dpo)
    page = client.get("/staff/audit/", {"reference": mine.reference})
    assert page.status_code == 200
    assert mine.reference in page.content.decode()
    assert last("audit.search").user == dpo

    export = client.get("/staff/audit/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][0] == "seq"
    objects = {row[12] for row in rows[1:]}
    assert mine.reference in objects and theirs.reference not in objects
    assert last("audit.export").action == AuditAction.EXECUTE


def test_handlers_cannot_read_the_audit_log(client, handler):
    client.force_login(handler)
    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/staff/audit/export.csv").status_code == 403


def test_record_without_a_web_request_has_no_source_ip(db):
    entry = audit.record("system.check", AuditAction.EXECUTE, user_label="system")
    assert entry.source_ip is None and entry.hash == entry.compute_hash()


def test_dpo_finds_a_colleagues_name_search_in_the_log(client, mine, handler, practice):
    client.force_login(handler)
    client.get("/staff/", {"q": "Jansen"})
    dpo = make_user("fg@practice.example", Role.DPO, practice)
    client.force_login(dpo)
    page = client.get("/staff/audit/", {"user": handler.email}).content.decode()
    assert "Lijst met verzoeken bekeken" in page and "gezocht naar “Jansen”" in page


@pytest.mark.parametrize("given", ["²:" + "a" * 64, "１:" + "a" * 64, "0:" + "a" * 64, "1:xyz"])
def test_an_odd_checkpoint_given_by_hand_is_refused_plainly(given):
    """`verify_audit_log --anchor` parses what an operator types: never a crash."""
    from requests_app.audit_anchors import Anchor

    with pytest.raises(ValueError, match="not a checkpoint"):
        Anchor.parse(given)
    assert Anchor.parse("12:" + "A" * 64).seq == 12
