"""The processor's time on a practice's tasks and its cost (agreement art. 9, Bijlage 3).
Support records each stretch of work with the Bijlage 3 function and whether it is chargeable;
the rate valid on its date is stored with it, so a later rate change rewrites no past cost. The
practice sees time and cost per task and a monthly statement of the chargeable time."""

import csv
import dataclasses
import datetime
import io
import uuid
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from requests_app import access
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    ChargeBasis,
    GeneralTask,
    Practice,
    TimeEntry,
)
from requests_app.models.charges import MAX_MINUTES, rates_on
from requests_app.roles import Capability
from requests_app.timeline import log_event
from workflows.assistance.instructions import InstructionIncomplete
from workflows.csv_cells import safe_cell

ARTICLES = {
    ChargeBasis.INCLUDED: "9.1",
    ChargeBasis.CHARGEABLE: "9.2",
    ChargeBasis.SHORTCOMING: "9.3",
}


def record_time(
    task: AssistanceTask | GeneralTask,
    *,
    actor,
    day: datetime.date,
    minutes: int,
    function: str,
    basis: str,
    note: str,
    key: uuid.UUID | None = None,
) -> TimeEntry:
    """Record a stretch of support's work on the task. The same form sent twice (its `key`)
    gives the entry already recorded: the practice is charged once."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if not 1 <= minutes <= MAX_MINUTES:
        raise InstructionIncomplete(f"between 1 and {MAX_MINUTES} minutes")
    if day > timezone.localdate():
        raise InstructionIncomplete("time is recorded once worked, not ahead")
    if basis not in ChargeBasis.values:
        raise InstructionIncomplete("unknown basis")
    if not note.strip():
        raise InstructionIncomplete("say what was done")
    rate = rates_on(day).get(function)
    if rate is None:
        raise InstructionIncomplete("no Bijlage 3 rate for this function on that day")
    general = isinstance(task, GeneralTask)
    if key is not None:
        found = TimeEntry.objects.filter(creation_key=key).first()
        if found is not None:
            return found
    try:
        return _create_entry(task, general, actor, day, minutes, function, rate, basis, note, key)
    except IntegrityError:
        found = TimeEntry.objects.filter(creation_key=key).first() if key else None
        if found is None:
            raise
        return found


def _create_entry(task, general, actor, day, minutes, function, rate, basis, note, key):
    with transaction.atomic():
        entry = TimeEntry.objects.create(
            practice_id=task.practice_id,
            task=None if general else task,
            general_task=task if general else None,
            day=day,
            minutes=minutes,
            function=function,
            hourly_rate=rate,
            basis=basis,
            note=note.strip(),
            recorded_by=actor,
            creation_key=key,
        )
        log_event(
            task,
            "time",
            actor=actor,
            # The article, not the label: the timeline note is kept in no one language.
            note=f"{minutes} min, {function} (art. {ARTICLES[basis]})",
            audit_as=("task.time" if not general else "general_task.time", AuditAction.CREATE),
            audit_details={"minutes": minutes, "function": function, "basis": basis},
        )
    return entry


@dataclasses.dataclass(frozen=True)
class TimeSummary:
    entries: list[TimeEntry]
    minutes: int
    chargeable_minutes: int
    cost: Decimal


def summarise(entries) -> TimeSummary:
    entries = list(entries)
    return TimeSummary(
        entries=entries,
        minutes=sum(e.minutes for e in entries),
        chargeable_minutes=sum(e.minutes for e in entries if e.chargeable),
        cost=sum((e.cost for e in entries), Decimal("0.00")),
    )


def time_on(task: AssistanceTask | GeneralTask) -> TimeSummary:
    return summarise(task.time_entries.select_related("recorded_by"))


def sees_charges(user, practice_id: int) -> bool:
    """Support, and the practice's accounts that instruct the processor or ask it for help."""
    return (
        access.is_processor_support(user)
        or access.can(user, Capability.ASK_PROCESSOR, practice_id)
        or access.can(user, Capability.INSTRUCT_PROCESSOR, practice_id)
    )


@dataclasses.dataclass(frozen=True)
class Statement:
    practice: Practice
    month: datetime.date  # its first day
    chargeable: TimeSummary
    not_charged_minutes: int


def statement(practice: Practice, month: datetime.date) -> Statement:
    """The month's time on the practice's tasks: the chargeable entries (art. 9.2) in full,
    the rest (art. 9.1, 9.3) as a total of minutes."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    entries = TimeEntry.objects.filter(
        practice=practice, day__gte=first, day__lt=following
    ).select_related("task", "general_task")
    chargeable = [e for e in entries if e.chargeable]
    return Statement(
        practice=practice,
        month=first,
        chargeable=summarise(chargeable),
        not_charged_minutes=sum(e.minutes for e in entries if not e.chargeable),
    )


CSV_HEADER = [
    "date",
    "task",
    "function",
    "minutes",
    "hourly_rate_eur_excl_vat",
    "amount_eur_excl_vat",
    "note",
]


def statement_csv(found: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in found.chargeable.entries:
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    e.day.isoformat(),
                    e.task_number,
                    e.function,
                    e.minutes,
                    f"{e.hourly_rate:.2f}",
                    f"{e.cost:.2f}",
                    e.note,
                )
            ]
        )
    writer.writerow(
        ["total", "", "", found.chargeable.minutes, "", f"{found.chargeable.cost:.2f}", ""]
    )
    return out.getvalue()
