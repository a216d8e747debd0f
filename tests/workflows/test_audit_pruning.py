"""Audit records after their retention period: whole months are removed once no request they
concern is held any more, a keyed record of each removal is left, and the rest of the chain
still verifies (and a change to it is still found)."""

import dataclasses
import datetime
import re

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from requests_app import audit, audit_anchors
from requests_app.audit_anchors import Anchor
from requests_app.models import AuditAction, AuditRecord, AuditRemovedSegment, Request
from tests.audit_history import as_database_holder, last_seq, new_records_since, written_at
from tests.factories import submit
from workflows.housekeeping import audit_pruning, retention

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's"),
]
UTC = datetime.UTC
NOW = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # five years back: 2 March 2021


@dataclasses.dataclass
class History:
    gone: list[Request]  # purged since
    living: Request  # still held (closed less than 15 years ago)
    months: dict[str, list[int]]  # "2019-01": the numbers of the records written that month


@pytest.fixture
def history(practice, patient, providers):
    """Requests handled in January, February and March 2019 and in June 2021; all but one of
    February's purged since (their closing moved back past the retention period)."""
    months, gone = {}, []

    def handled(month: str, name: str, *, keep=False) -> Request:
        start = last_seq()
        item = submit(practice, dataclasses.replace(patient, email=f"{name}@example.com"))
        year, number = map(int, month.split("-"))
        seqs = new_records_since(start)
        months.setdefault(month, []).extend(seqs)
        written_at(
            {
                seq: datetime.datetime(year, number, 10, 9, tzinfo=UTC)
                + datetime.timedelta(minutes=len(months[month]) + i)
                for i, seq in enumerate(seqs)
            }
        )
        if not keep:
            gone.append(item)
        return item

    handled("2019-01", "anna")
    start = last_seq()
    audit.record("audit_log.search", AuditAction.READ, user_label="fg")  # about no request
    months["2019-01"] += new_records_since(start)
    written_at({start + 1: datetime.datetime(2019, 1, 31, 23, 59, tzinfo=UTC)})
    handled("2019-02", "bert")
    living = handled("2019-02", "carla", keep=True)
    handled("2019-03", "daan")
    handled("2021-06", "eva")
    Request.objects.filter(pk__in=[r.pk for r in gone]).update(
        state="closed", closed_at=NOW - datetime.timedelta(days=365 * 16)
    )
    Request.objects.filter(pk=living.pk).update(state="closed", closed_at=NOW)
    assert sorted(retention.purge_expired()) == sorted(r.reference for r in gone)
    return History(gone, living, months)


def span(seqs: list[int]) -> tuple[int, int, int]:
    return (min(seqs), max(seqs), len(seqs))


def test_old_months_are_removed_and_the_rest_of_the_chain_still_verifies(history, capsys):
    january, march = history.months["2019-01"], history.months["2019-03"]
    originals = AuditRecord.objects.in_bulk(field_name="seq")
    mailed = Anchor(max(january), originals[max(january)].hash)  # an FG's checkpoint e-mail

    outcome = audit_pruning.prune(NOW, removed_by="prune_audit_log by ops")

    assert [(r.first_seq, r.last_seq, r.count) for r in outcome.removed] == [
        span(january),
        span(march),
    ]
    assert not AuditRecord.objects.filter(seq__in=january + march).exists()
    for removal in AuditRemovedSegment.objects.all():
        assert removal.last_hash == originals[removal.last_seq].hash
        assert removal.prev_hash == originals[removal.first_seq].prev_hash
        assert removal.removed_by == "prune_audit_log by ops" and removal.retention_years == 5
        # The first record left after it still names the removed segment's last hash.
        assert AuditRecord.objects.get(seq=removal.last_seq + 1).prev_hash == removal.last_hash
    first = AuditRemovedSegment.objects.first()
    assert (first.first_at, first.last_at) == (
        originals[min(january)].at,
        datetime.datetime(2019, 1, 31, 23, 59, tzinfo=UTC),
    )
    assert first.period == "2019-01-10 to 2019-01-31"
    trace = AuditRecord.objects.filter(event_type="audit.remove_segment").order_by("seq")
    assert [(t.action, t.object_id, t.details["count"]) for t in trace] == [
        ("D", f"{min(january)}-{max(january)}", len(january)),
        ("D", f"{min(march)}-{max(march)}", len(march)),
    ]

    capsys.readouterr()
    call_command("verify_audit_log", anchor=[mailed])
    out = capsys.readouterr().out
    assert (
        f"#{min(january)}-#{max(january)}, {len(january)} records of 2019-01-10 to 2019-01-31"
        in out
    )
    assert "removed 2026-03-02 12:00 UTC by prune_audit_log by ops" in out
    assert "2 removed segment(s)" in out and "checkpoints matched: 1" in out

    again = audit_pruning.prune(NOW, removed_by="ops")
    assert again.removed == [] and AuditRemovedSegment.objects.count() == 2


def test_a_month_with_a_record_about_a_request_still_held_is_kept_whole(history):
    february = history.months["2019-02"]
    outcome = audit_pruning.prune(NOW, removed_by="ops")
    assert [(s.first_seq, s.last_seq, reason) for s, reason in outcome.kept] == [
        (min(february), max(february), "a request it concerns still exists")
    ]
    # Bert's records share the month with Carla's, whose request is held: none go.
    assert AuditRecord.objects.filter(seq__in=february).count() == len(february)

    history.living.delete()  # purged in its turn: now the month goes too
    outcome = audit_pruning.prune(NOW, removed_by="ops")
    assert [(r.first_seq, r.last_seq) for r in outcome.removed] == [(min(february), max(february))]
    call_command("verify_audit_log")


def test_months_younger_than_the_retention_period_are_kept(history, settings):
    recent = history.months["2021-06"]
    audit_pruning.prune(NOW, removed_by="ops")
    assert AuditRecord.objects.filter(seq__in=recent).count() == len(recent)
    assert "2021-06" not in {s.month.strftime("%Y-%m") for s, _ in audit_pruning.plan(NOW)}

    # Five years and a bit later the month ended long enough ago.
    later = datetime.datetime(2026, 7, 1, tzinfo=UTC)
    assert [(r.first_seq, r.count) for r in audit_pruning.prune(later, removed_by="ops").removed][
        -1
    ] == (min(recent), len(recent))

    # A longer retention keeps more.
    settings.AUDIT_RETENTION_YEARS = 10
    assert audit_pruning.plan(later) == []


def test_a_retention_below_five_years_is_refused(history, settings):
    settings.AUDIT_RETENTION_YEARS = 4
    errors = [e for e in checks.run_checks() if e.id.startswith("portal.")]
    assert [e.id for e in errors] == ["portal.E001"]
    assert (
        "AUDIT_RETENTION_YEARS is 4; audit records must be kept at least 5 years" in errors[0].msg
    )
    with pytest.raises(audit_pruning.PruningRefused, match="kept at least 5 years"):
        audit_pruning.prune(NOW, removed_by="ops")
    assert not AuditRemovedSegment.objects.exists()

    settings.AUDIT_RETENTION_YEARS = 5
    assert [e.id for e in checks.run_checks() if e.id.startswith("portal.")] == []


def test_a_changed_record_after_the_removal_is_still_found(history):
    audit_pruning.prune(NOW, removed_by="ops")
    february = history.months["2019-02"]
    as_database_holder(
        [
            (
                "UPDATE requests_app_auditrecord SET user_label = 'someone else' WHERE seq = %s",
                [february[1]],
            )
        ]
    )
    with pytest.raises(CommandError, match=f"record #{february[1]} was changed"):
        call_command("verify_audit_log")


def test_records_deleted_without_a_removal_record_are_missing(history):
    audit_pruning.prune(NOW, removed_by="ops")
    february = history.months["2019-02"]
    as_database_holder(
        [
            (
                "DELETE FROM requests_app_auditrecord WHERE seq BETWEEN %s AND %s",
                [february[0], february[-1]],
            )
        ]
    )
    with pytest.raises(CommandError, match=f"record #{february[0]} is missing"):
        call_command("verify_audit_log")


def test_a_made_up_removal_record_does_not_explain_deleted_records(history):
    """Someone with the database but not the key deletes the month of a living request and
    writes a removal record for it."""
    audit_pruning.prune(NOW, removed_by="ops")
    february = history.months["2019-02"]
    records = AuditRecord.objects.filter(seq__in=february).order_by("seq")
    first, last = records.first(), records.last()
    as_database_holder(
        [
            (
                "DELETE FROM requests_app_auditrecord WHERE seq BETWEEN %s AND %s",
                [first.seq, last.seq],
            ),
            (
                "INSERT INTO requests_app_auditremovedsegment (first_seq, last_seq, count,"
                " prev_hash, last_hash, first_at, last_at, retention_years, removed_at,"
                " removed_by, mac) VALUES (%s, %s, %s, %s, %s, %s, %s, 5, now(), 'ops', %s)",
                [
                    first.seq,
                    last.seq,
                    len(february),
                    first.prev_hash,
                    last.hash,
                    first.at,
                    last.at,
                    "0" * 64,
                ],
            ),
        ]
    )
    with pytest.raises(
        CommandError,
        match=re.escape(f"removed records #{first.seq}-#{last.seq} is not genuine"),
    ):
        call_command("verify_audit_log")


def test_a_record_slipped_into_a_removed_range_is_found(history):
    """The runtime role may append: a record written with a number that was removed would
    otherwise never be checked."""
    audit_pruning.prune(NOW, removed_by="ops")
    january = history.months["2019-01"]
    forged = AuditRecord.objects.order_by("seq").last()
    as_database_holder(
        [
            (
                "INSERT INTO requests_app_auditrecord (seq, at, event_type, action, outcome,"
                " user_label, roles, purpose, patient_id, patient_id_type, object_type, object_id,"
                " source_system, details, prev_hash, hash) VALUES (%s, now(), 'request.view', 'R',"
                " 'success', 'nobody', '', '', '', '', '', '', 'dsr-portal', '{}', %s, %s)",
                [january[2], forged.prev_hash, forged.hash],
            )
        ]
    )
    with pytest.raises(CommandError, match=f"record #{january[2]} lies in the removed records"):
        call_command("verify_audit_log")


def test_the_daily_checkpoint_goes_on_after_a_removal(history):
    from workflows.housekeeping import audit_checkpoints

    first = audit_checkpoints.take_checkpoint(NOW, mail=False)
    audit_pruning.prune(NOW, removed_by="ops")
    second = audit_checkpoints.take_checkpoint(NOW, mail=False)
    assert second.seq > first.seq
    assert audit_anchors.read_anchors()[0] == [first, second]
    call_command("verify_audit_log")


def test_a_broken_chain_is_not_pruned(history):
    february = history.months["2019-02"]
    as_database_holder(
        [("UPDATE requests_app_auditrecord SET user_label = 'x' WHERE seq = %s", [february[0]])]
    )
    with pytest.raises(audit_pruning.PruningRefused, match="does not check out"):
        audit_pruning.prune(NOW, removed_by="ops")
    assert not AuditRemovedSegment.objects.exists()


def test_the_command_removes_as_the_owner_and_lists_what_it_kept(history, capsys, monkeypatch):
    monkeypatch.setattr(audit_pruning.timezone, "now", lambda: NOW)  # the clock, five years on
    call_command("prune_audit_log", "--dry-run")
    out = capsys.readouterr().out
    assert out.count("would be removed") == 2 and "kept: a request it concerns" in out
    assert not AuditRemovedSegment.objects.exists()

    call_command("prune_audit_log", operator="Ops on call")
    out = capsys.readouterr().out
    assert "2 segment(s) older than 5 years removed" in out
    assert AuditRemovedSegment.objects.first().removed_by.startswith(
        "prune_audit_log by Ops on call (database role "
    )


def forge_removal(first: int, last: int, **claims) -> None:
    """What someone holding the database and the chain key could do: delete a run of records
    and write a keyed removal record for it."""
    records = list(AuditRecord.objects.filter(seq__gte=first, seq__lte=last).order_by("seq"))
    fields = {
        "first_seq": first,
        "last_seq": last,
        "count": len(records),
        "prev_hash": records[0].prev_hash,
        "last_hash": records[-1].hash,
        "first_at": records[0].at,
        "last_at": records[-1].at,
        "retention_years": 5,
        "removed_by": "ops",
    }
    removal = AuditRemovedSegment(**(fields | claims))
    removal.mac = removal.compute_mac()
    as_database_holder(
        [("DELETE FROM requests_app_auditrecord WHERE seq BETWEEN %s AND %s", [first, last])]
    )
    removal.save()


def test_recent_records_cannot_be_passed_off_as_removed_after_the_retention_period(history):
    from workflows.housekeeping import audit_checkpoints

    start = last_seq()
    for i in range(3):
        audit.record("request.view", AuditAction.READ, user_label=f"curious{i}")
        audit_checkpoints.take_checkpoint(mail=False)  # every five minutes, outside the database
    recent = new_records_since(start)

    forge_removal(recent[0], recent[1])
    with pytest.raises(CommandError, match="were removed before their retention period ended"):
        call_command("verify_audit_log")


def test_a_removal_dressed_up_as_old_is_found_by_a_checkpoint_inside_it(history):
    from workflows.housekeeping import audit_checkpoints

    start = last_seq()
    for i in range(3):
        audit.record("request.view", AuditAction.READ, user_label=f"curious{i}")
        audit_checkpoints.take_checkpoint(mail=False)
    recent = new_records_since(start)

    forge_removal(
        recent[0], recent[1], last_at=datetime.datetime(2019, 1, 1, tzinfo=UTC), removed_at=NOW
    )
    with pytest.raises(CommandError, match=f"the checkpoint #{recent[0]} taken .* vouches for"):
        call_command("verify_audit_log")
