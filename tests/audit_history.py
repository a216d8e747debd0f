"""An audit log written years ago, for tests of what happens after the retention period.

Records are written now, through the portal, and then given the times at which they stand in
for having been written: the chain is re-keyed from the first moved record on, as it would have
been written then (with the chain key; the trigger is bypassed the way only the database's owner
can). Nothing is mocked: the chain verifies afterwards exactly as a real one would."""

import datetime

from django.db import connection

from requests_app import audit
from requests_app.models import AuditRecord

AUDIT = AuditRecord._meta.db_table


def as_database_holder(statements: list[tuple[str, list]]) -> None:
    """What the database's owner or administrator can do: switch the triggers off and write."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            for sql, params in statements:
                cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def written_at(times: dict[int, datetime.datetime]) -> None:
    """Give records (by number) the times they were written; every hash from the first of them
    on is recomputed, and the head follows."""
    records = list(AuditRecord.objects.filter(seq__gte=min(times)).order_by("seq"))
    before = AuditRecord.objects.filter(seq=min(times) - 1).first()
    previous = before.hash if before else audit.GENESIS
    statements = []
    for entry in records:
        entry.at = times.get(entry.seq, entry.at)
        entry.prev_hash = previous
        entry.hash = previous = entry.compute_hash()
        statements.append(
            (
                f"UPDATE {AUDIT} SET at = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                [entry.at, entry.prev_hash, entry.hash, entry.pk],
            )
        )
    statements.append(("UPDATE requests_app_auditchainhead SET hash = %s WHERE id = 1", [previous]))
    as_database_holder(statements)


def new_records_since(seq: int) -> list[int]:
    return list(AuditRecord.objects.filter(seq__gt=seq).values_list("seq", flat=True))


def last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
