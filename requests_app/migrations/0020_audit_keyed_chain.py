"""Key the audit chain: every existing record's hash becomes an HMAC-SHA256 under AUDIT_CHAIN_KEY.

Sound because the rewrite is allowed only over a chain that checks out: the plain SHA-256 chain
is verified first, in the same transaction, and the migration stops if any record was changed,
removed or moved (AUDIT_REKEY_ACCEPT_BROKEN_CHAIN=1 proceeds anyway after the operator has kept
the evidence, and the break is then written into the log itself). Nobody can write in between:
the head and the table are locked while the trigger is off, and the trigger is on again before
commit. From then on nothing without the key can produce a valid record. The re-keying is itself
recorded. Stop the web process and the workers while this runs: a record written afterwards by
the previous release (unkeyed) would show as changed.

The canonical form is frozen here, as it was when these records were written.
"""

import hashlib
import hmac
import json
import os

from django.db import migrations
from django.utils import timezone

from requests_app.models.audit import chain_key

GENESIS = "0" * 64
TABLE = "requests_app_auditrecord"
TRIGGER = "audit_record_append_only"


def canonical(entry) -> bytes:
    fields = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "event_type": entry.event_type,
        "action": entry.action,
        "outcome": entry.outcome,
        "user_id": entry.user_id,
        "user_label": entry.user_label,
        "roles": entry.roles,
        "purpose": entry.purpose,
        "source_ip": entry.source_ip,
        "patient_id": entry.patient_id,
        "patient_id_type": entry.patient_id_type,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "practice": entry.practice_id_ref,
        "source_system": entry.source_system,
        "details": entry.details,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()


def plain(entry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def keyed(entry) -> str:
    return hmac.new(chain_key(), canonical(entry), hashlib.sha256).hexdigest()


def first_break(records, digest) -> str:
    previous, expected = GENESIS, 1
    for entry in records:
        if entry.seq != expected:
            return f"record #{expected} is missing"
        if entry.prev_hash != previous or digest(entry) != entry.hash:
            return f"record #{entry.seq} was changed, replaced or moved"
        previous, expected = entry.hash, expected + 1
    return ""


def rehash(apps, schema_editor, old, new, event: str) -> None:
    Record = apps.get_model("requests_app", "AuditRecord")
    Head = apps.get_model("requests_app", "AuditChainHead")
    if not Record.objects.exists():
        return
    postgres = schema_editor.connection.vendor == "postgresql"
    # Nobody appends mid-rewrite: the head first, as writers take it, then the table.
    Head.objects.select_for_update().get_or_create(pk=1)
    if postgres:
        schema_editor.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    records = Record.objects.order_by("seq")
    problem = first_break(records.iterator(chunk_size=2000), old)
    if problem and os.environ.get("AUDIT_REKEY_ACCEPT_BROKEN_CHAIN") != "1":
        raise RuntimeError(
            f"The audit log is broken ({problem}); re-hashing it would hide that. Keep the "
            "evidence (export the table), then set AUDIT_REKEY_ACCEPT_BROKEN_CHAIN=1 to go on."
        )
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    previous, batch, last_seq = GENESIS, [], 0
    for entry in records.iterator(chunk_size=2000):
        entry.prev_hash = previous
        entry.hash = previous = new(entry)
        last_seq = entry.seq
        batch.append(entry)
        if len(batch) == 1000:
            Record.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
    Record.objects.bulk_update(batch, ["prev_hash", "hash"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")
    note = Record(
        seq=last_seq + 1,
        at=timezone.now(),
        event_type=event,
        action="E",
        outcome="success",
        user_label="migration",
        details={"records": last_seq, "chain_before": problem or "intact"},
        prev_hash=previous,
    )
    note.hash = new(note)
    note.save()
    Head.objects.update_or_create(pk=1, defaults={"seq": note.seq, "hash": note.hash})


def key_the_chain(apps, schema_editor):
    rehash(apps, schema_editor, plain, keyed, "audit.chain_keyed")


def unkey_the_chain(apps, schema_editor):
    rehash(apps, schema_editor, keyed, plain, "audit.chain_unkeyed")


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0019_package_opened_and_match")]
    operations = [migrations.RunPython(key_the_chain, unkey_the_chain)]
