"""Rewriting the audit log as someone who holds the database: with only the database (no key),
and with the database and the chain key. The keyed chain catches the first, the checkpoints kept
outside the database catch the second."""

import hashlib
import hmac
import re
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

from requests_app import audit, audit_anchors
from requests_app.audit_anchors import Anchor
from requests_app.models import AuditAction, AuditChainHead, AuditRecord
from requests_app.models.audit import chain_key

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
    ),
]


@pytest.fixture
def chain(db):
    for i in range(10):
        audit.record("test.event", AuditAction.READ, user_label=f"tester{i}")
    return list(AuditRecord.objects.order_by("seq"))


def checkpoint(record: AuditRecord) -> Anchor:
    anchor = Anchor(record.seq, record.hash, "2026-01-05T00:30:00+00:00")
    audit_anchors.append_anchor(anchor)
    return anchor


def plain_sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def hmac_with_the_key(payload: bytes) -> str:
    return hmac.new(chain_key(), payload, hashlib.sha256).hexdigest()


def as_database_holder(statements: list[tuple[str, list]]) -> None:
    """What the database's owner or administrator can do: switch the trigger off and write."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        for sql, params in statements:
            cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = DEFAULT")


def rewrite(from_seq: int, digest, *, label: str = "someone else") -> None:
    """Change record `from_seq`, recompute every hash after it with `digest` and move the
    head, the way the issue's attacker did."""
    records = list(AuditRecord.objects.order_by("seq"))
    previous = records[from_seq - 2].hash if from_seq > 1 else audit.GENESIS
    statements = []
    for entry in records[from_seq - 1 :]:
        if entry.seq == from_seq:
            entry.user_label = label
        entry.prev_hash = previous
        entry.hash = previous = digest(entry.canonical())
        statements.append(
            (
                "UPDATE requests_app_auditrecord SET user_label = %s, prev_hash = %s, hash = %s"
                " WHERE id = %s",
                [entry.user_label, entry.prev_hash, entry.hash, entry.pk],
            )
        )
    statements.append(("UPDATE requests_app_auditchainhead SET hash = %s WHERE id = 1", [previous]))
    as_database_holder(statements)


def cut_tail(after_seq: int) -> None:
    """Delete every record after `after_seq` and point the head at the new end."""
    last = AuditRecord.objects.get(seq=after_seq)
    as_database_holder(
        [
            ("DELETE FROM requests_app_auditrecord WHERE seq > %s", [after_seq]),
            (
                "UPDATE requests_app_auditchainhead SET seq = %s, hash = %s WHERE id = 1",
                [last.seq, last.hash],
            ),
        ]
    )


def test_records_carry_a_keyed_hash_not_a_plain_sha256(chain):
    entry = chain[3]
    assert entry.hash == hmac_with_the_key(entry.canonical())
    assert entry.hash != plain_sha256(entry.canonical())


def test_a_rewrite_without_the_key_is_found_although_the_chain_links_up(chain):
    rewrite(4, plain_sha256)
    # Every link and the head agree, as they did for the attacker ...
    records = list(AuditRecord.objects.order_by("seq"))
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:], strict=False))
    assert AuditChainHead.objects.get().hash == records[-1].hash
    # ... but without the key the hashes are not the chain's.
    with pytest.raises(CommandError, match="record #4 was changed"):
        call_command("verify_audit_log")


def test_a_rewrite_under_a_guessed_key_is_found(chain):
    guess = b"insecure-development-key-do-not-use-in-production"
    rewrite(4, lambda payload: hmac.new(guess, payload, hashlib.sha256).hexdigest())
    with pytest.raises(CommandError, match="record #4 was changed"):
        call_command("verify_audit_log")


def test_intact_chain_matches_every_checkpoint(chain, capsys):
    checkpoint(chain[2])
    checkpoint(chain[6])
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "intact: 10 records" in out and "checkpoints matched: 2" in out


def test_a_rewrite_with_the_key_before_a_checkpoint_is_found(chain):
    anchor = checkpoint(chain[6])  # record #7, taken before the rewrite
    audit.record("test.event", AuditAction.READ, user_label="later")
    rewrite(5, hmac_with_the_key)
    with pytest.raises(
        CommandError, match=re.escape(f"record #7 differs from the checkpoint {anchor.label}")
    ):
        call_command("verify_audit_log")


def test_a_practice_checkpoint_catches_a_rewrite_with_no_store_left(chain):
    mailed = f"{chain[6].seq}:{chain[6].hash}"  # as the FG's checkpoint e-mail shows it
    rewrite(2, hmac_with_the_key)
    call_command("verify_audit_log")  # no store left: the rewrite goes unnoticed ...
    with pytest.raises(
        CommandError, match="record #7 differs from the checkpoint #7 given by hand"
    ):
        call_command("verify_audit_log", anchor=[Anchor.parse(mailed)])  # ... but not this


def test_removing_the_tail_below_the_last_checkpoint_is_found(chain):
    checkpoint(chain[8])  # record #9
    cut_tail(6)
    with pytest.raises(CommandError, match="vouches for record #9 but the chain ends at #6"):
        call_command("verify_audit_log")


def test_a_moved_head_is_found(chain):
    as_database_holder(
        [("UPDATE requests_app_auditchainhead SET hash = %s WHERE id = 1", [chain[2].hash])]
    )
    with pytest.raises(CommandError, match="head does not name record #10"):
        call_command("verify_audit_log")


def test_a_malformed_checkpoint_on_the_command_line_is_refused(chain):
    with pytest.raises(CommandError, match="not a checkpoint"):
        call_command("verify_audit_log", "--anchor", "7:not-a-hash")


KEYED = ("requests_app", "0020_audit_keyed_chain")


def migrate_to(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.fixture
def before_keying(chain, monkeypatch):
    """The log as it stood before the chain was keyed: plain SHA-256 hashes."""
    graph = MigrationExecutor(connection).loader.graph
    previous = next(p for p in graph.node_map[KEYED].parents if p.key[0] == KEYED[0]).key
    migrate_to(previous)
    yield
    monkeypatch.setenv("AUDIT_REKEY_ACCEPT_BROKEN_CHAIN", "1")
    # Back where the other tests expect it, whatever happened: every later migration too.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_existing_plain_records_are_keyed_by_the_migration(before_keying):
    records = list(AuditRecord.objects.order_by("seq"))
    assert all(r.hash == plain_sha256(r.canonical()) for r in records)
    with pytest.raises(CommandError, match="was changed"):
        call_command("verify_audit_log")

    migrate_to(KEYED)
    call_command("verify_audit_log")
    keyed = AuditRecord.objects.order_by("seq").last()
    assert (keyed.seq, keyed.event_type) == (len(records) + 1, "audit.chain_keyed")
    assert keyed.details == {"records": len(records), "chain_before": "intact"}


def test_the_migration_refuses_to_key_a_chain_that_was_already_rewritten(
    before_keying, monkeypatch
):
    as_database_holder([("UPDATE requests_app_auditrecord SET user_label = 'x' WHERE seq = 3", [])])
    with pytest.raises(RuntimeError, match="record #3 was changed"):
        migrate_to(KEYED)
    fourth = AuditRecord.objects.get(seq=4)
    assert fourth.hash == plain_sha256(fourth.canonical())  # nothing was re-hashed

    # The operator has kept the evidence and goes on: the break is written into the log.
    monkeypatch.setenv("AUDIT_REKEY_ACCEPT_BROKEN_CHAIN", "1")
    migrate_to(KEYED)
    note = AuditRecord.objects.order_by("seq").last()
    assert note.details["chain_before"] == "record #3 was changed, replaced or moved"


def test_a_head_moved_back_is_found(chain):
    as_database_holder(
        [
            (
                "UPDATE requests_app_auditchainhead SET seq = %s, hash = %s WHERE id = 1",
                [chain[4].seq, chain[4].hash],
            )
        ]
    )
    with pytest.raises(CommandError, match="head points back to #5"):
        call_command("verify_audit_log")


def test_records_appended_while_the_chain_is_checked_are_no_break(chain):
    """The web process keeps writing while the daily check walks the chain."""
    done = threading.Event()

    def keep_writing():
        try:
            for i in range(150):
                audit.record("test.event", AuditAction.READ, user_label=f"meanwhile{i}")
        finally:
            connections.close_all()
            done.set()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    reports = []
    while not done.is_set():
        reports.append(audit.verify_chain(batch=7))
    writer.join()
    assert len(reports) > 1
    assert [r.problem for r in reports if not r.intact] == []
