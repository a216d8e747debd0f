"""The figures of a report: how many requests came in, of which kind and when; how fast they
were forwarded (agreement art. 6.2), acknowledged and answered; answered within the term or not
(GDPR art. 12(3), Wkkgz art. 17); what is open and overdue now; extensions; refusals by legal
ground; and the processor's assistance tasks against their turnaround (agreement art. 6.1).

Everything is counted in PostgreSQL (GROUP BY, FILTER, percentile_cont), a handful of queries a
report whatever the number of requests; nothing here reads a patient's details. The period is a
run of whole months; requests and tasks count in the month they were received or asked for,
"open" and "overdue" count as of today."""

import dataclasses
import datetime

from django.db.models import Aggregate, Count, DurationField, F, Max, Q, QuerySet, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from requests_app import access
from requests_app.legal import LegalGround
from requests_app.models import AssistanceTask, Practice, Request
from requests_app.models.assistance import CLOCK_STATES, OPEN_TASK_STATES, AssistanceKind
from requests_app.models.request import OPEN_STATES, RequestKind, RequestState
from requests_app.roles import Capability

# A period longer than this is a page nobody reads and a query nobody waits for.
MAX_MONTHS = 36


class Percentile(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`, the fraction
    passed as a query parameter; NULLs (a step not taken yet) are left out, as by any aggregate.
    On an interval it gives an interval."""

    function = "percentile_cont"
    # The two source expressions are the fraction and the ordering: joined into the SQL above.
    template = "%(function)s(%(expressions)s)"
    arg_joiner = ") WITHIN GROUP (ORDER BY "
    allow_distinct = False

    def __init__(self, fraction: float, expression, **extra) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("a percentile's fraction lies between 0 and 1")
        super().__init__(Value(float(fraction)), expression, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        """The embedded development database has no percentiles: they read as not known."""
        return "NULL", []


def _since(end: str, start: str):
    return F(end) - F(start)


# --- The period -------------------------------------------------------------------------------
def month_after(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


@dataclasses.dataclass(frozen=True)
class Period:
    """Whole months, from the first day of `first` to the end of `last` (local time)."""

    first: datetime.date
    last: datetime.date

    def __post_init__(self) -> None:
        if self.first.day != 1 or self.last.day != 1 or self.first > self.last:
            raise ValueError("a period runs from the first of a month to a later month")

    @property
    def months(self) -> list[datetime.date]:
        found, month = [], self.first
        while month <= self.last:
            found.append(month)
            month = month_after(month)
        return found

    @property
    def start(self) -> datetime.datetime:
        return _local_midnight(self.first)

    @property
    def end(self) -> datetime.datetime:
        return _local_midnight(month_after(self.last))


def _local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def last_months(count: int = 12, today: datetime.date | None = None) -> Period:
    """The `count` months up to and including this one."""
    last = (today or timezone.localdate()).replace(day=1)
    first = last
    for _ in range(count - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return Period(first, last)


# --- Who reads which practice's figures ---------------------------------------------------------
def practices_reported_to(user) -> QuerySet[Practice]:
    """The practices whose report the account may read: processor support every practice; a
    practice's staff their own (every practice role reads the practice's requests)."""
    if access.is_processor_support(user):
        return Practice.objects.all()
    return Practice.objects.filter(pk__in=access.practices_where(user, Capability.VIEW_REQUESTS))


# --- The figures --------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Durations:
    """How long a step took, over the requests (or tasks) that took it."""

    count: int
    p50: datetime.timedelta | None
    p95: datetime.timedelta | None
    max: datetime.timedelta | None


@dataclasses.dataclass(frozen=True)
class MonthRow:
    month: datetime.date
    by_kind: dict[str, int]
    total: int
    on_time: int
    late: int


@dataclasses.dataclass(frozen=True)
class GroundRow:
    ground: str
    label: str
    refused: int
    partly: int

    @property
    def total(self) -> int:
        return self.refused + self.partly


@dataclasses.dataclass(frozen=True)
class TaskRow:
    kind: str
    label: str
    requested: int
    delivered_on_time: int
    delivered_late: int
    open_now: int
    overdue_now: int
    delivery: Durations


@dataclasses.dataclass(frozen=True)
class PracticeRow:
    practice_id: int
    name: str
    agb_code: str
    received: int
    answered: int
    late: int
    open_now: int
    overdue_now: int
    answer_p50: datetime.timedelta | None


@dataclasses.dataclass(frozen=True)
class Report:
    period: Period
    practice: Practice | None  # None: every practice (the processor's report)
    today: datetime.date
    months: list[MonthRow]
    kinds: list[tuple[str, str, int]]  # (kind, label, count), every kind that occurred
    received: int
    forwarding: Durations
    acknowledgement: Durations
    answer: Durations
    answered: int
    on_time: int
    late: int
    extended: int
    open_now: int
    overdue_now: int
    grounds: list[GroundRow]
    tasks: list[TaskRow]
    practices: list[PracticeRow] | None  # per practice, in the processor's report of all

    @property
    def has_requests(self) -> bool:
        return self.received > 0

    @property
    def late_share(self) -> int | None:
        """Percentage of the answers that came after the term; None before any answer."""
        return round(100 * self.late / self.answered) if self.answered else None

    @property
    def has_tasks(self) -> bool:
        return any(row.requested or row.open_now for row in self.tasks)


def build_report(
    period: Period, practice: Practice | None, *, today: datetime.date | None = None
) -> Report:
    """The figures of one practice, or (practice None) of the processor's whole intake."""
    today = today or timezone.localdate()
    requests = Request.objects.all()
    tasks = AssistanceTask.objects.all()
    if practice is not None:
        requests = requests.filter(practice=practice)
        tasks = tasks.filter(practice=practice)
    received = requests.filter(received_at__gte=period.start, received_at__lt=period.end)
    totals = received.aggregate(
        received=Count("pk"),
        answered=Count("pk", filter=_answered()),
        on_time=Count("pk", filter=_answered() & _in_term()),
        extended=Count("pk", filter=Q(extended_at__isnull=False)),
        **_duration_aggregates("forwarding", "forwarded_at"),
        **_duration_aggregates("acknowledgement", "acknowledged_at"),
        **_duration_aggregates("answer", "decided_at"),
    )
    now = requests.filter(state__in=OPEN_STATES).aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(response_due__lt=today))
    )
    return Report(
        period=period,
        practice=practice,
        today=today,
        months=_months(received, period),
        kinds=_kinds(received),
        received=totals["received"],
        forwarding=_durations(totals, "forwarding"),
        acknowledgement=_durations(totals, "acknowledgement"),
        answer=_durations(totals, "answer"),
        answered=totals["answered"],
        on_time=totals["on_time"],
        late=totals["answered"] - totals["on_time"],
        extended=totals["extended"],
        open_now=now["open"],
        overdue_now=now["overdue"],
        grounds=_grounds(received),
        tasks=_tasks(tasks, period, today),
        practices=_practices(period, today) if practice is None else None,
    )


def _answered() -> Q:
    """A decision the patient received: granted (in full or in part), refused, or a complaint's
    verdict."""
    return Q(decided_at__isnull=False)


def _in_term() -> Q:
    """Answered on or before the day due: the due date in force, so after an extension or a
    paused term (GDPR art. 12(3); Wkkgz art. 17) the later day counts."""
    return Q(response_due__isnull=False, decided_at__date__lte=F("response_due"))


def _duration_aggregates(name: str, reached: str) -> dict:
    """Count, median, 95th percentile and longest time from receipt to the moment `reached`."""
    took = _since(reached, "received_at")
    return {
        f"{name}_count": Count(reached),
        f"{name}_p50": Percentile(0.5, took, output_field=DurationField()),
        f"{name}_p95": Percentile(0.95, took, output_field=DurationField()),
        f"{name}_max": Max(took, output_field=DurationField()),
    }


def _durations(values: dict, name: str) -> Durations:
    return Durations(
        count=values[f"{name}_count"],
        p50=values[f"{name}_p50"],
        p95=values[f"{name}_p95"],
        max=values[f"{name}_max"],
    )


def _months(received: QuerySet, period: Period) -> list[MonthRow]:
    counts: dict[datetime.date, dict[str, int]] = {m: {} for m in period.months}
    answered: dict[datetime.date, tuple[int, int]] = {}
    rows = (
        received.annotate(month=TruncMonth("received_at"))
        .values("month", "kind")
        .annotate(
            n=Count("pk"),
            answered=Count("pk", filter=_answered()),
            on_time=Count("pk", filter=_answered() & _in_term()),
        )
        .order_by()
    )
    for row in rows:
        month = timezone.localtime(row["month"]).date() if row["month"] else None
        if month not in counts:
            continue
        counts[month][row["kind"]] = row["n"]
        done, in_term = answered.get(month, (0, 0))
        answered[month] = (done + row["answered"], in_term + row["on_time"])
    result = []
    for month, by_kind in counts.items():
        done, in_term = answered.get(month, (0, 0))
        result.append(
            MonthRow(
                month=month,
                by_kind=by_kind,
                total=sum(by_kind.values()),
                on_time=in_term,
                late=done - in_term,
            )
        )
    return result


def _kinds(received: QuerySet) -> list[tuple[str, str, int]]:
    found = dict(received.values_list("kind").annotate(n=Count("pk")).order_by())
    return [(kind, str(label), found[kind]) for kind, label in RequestKind.choices if kind in found]


def _grounds(received: QuerySet) -> list[GroundRow]:
    rows = (
        received.filter(decision__in=[RequestState.REFUSED, RequestState.PARTIALLY_GRANTED])
        .values_list("legal_ground", "decision")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = {}
    for ground, decision, n in rows:
        counts.setdefault(ground, {})[decision] = n
    labels = dict(LegalGround.choices)
    result = [
        GroundRow(
            ground=ground,
            label=str(labels.get(ground, ground)),
            refused=found.get(RequestState.REFUSED, 0),
            partly=found.get(RequestState.PARTIALLY_GRANTED, 0),
        )
        for ground, found in counts.items()
    ]
    return sorted(result, key=lambda row: (-row.total, row.label))


def _tasks(tasks: QuerySet, period: Period, today: datetime.date) -> list[TaskRow]:
    asked = Q(requested_at__gte=period.start, requested_at__lt=period.end)
    delivered = asked & Q(delivered_at__isnull=False)
    took = _since("delivered_at", "requested_at")
    rows = {
        row["kind"]: row
        for row in tasks.values("kind")
        .annotate(
            requested=Count("pk", filter=asked),
            delivered=Count("pk", filter=delivered),
            on_time=Count("pk", filter=delivered & Q(delivered_at__date__lte=F("due"))),
            open_now=Count("pk", filter=Q(state__in=OPEN_TASK_STATES)),
            overdue_now=Count("pk", filter=Q(state__in=CLOCK_STATES, due__lt=today)),
            p50=Percentile(0.5, took, filter=asked, output_field=DurationField()),
            p95=Percentile(0.95, took, filter=asked, output_field=DurationField()),
            longest=_max_filtered(took, asked),
        )
        .order_by()
    }
    result = []
    for kind, label in AssistanceKind.choices:
        row = rows.get(kind)
        if row is None:
            continue
        result.append(
            TaskRow(
                kind=kind,
                label=str(label),
                requested=row["requested"],
                delivered_on_time=row["on_time"],
                delivered_late=row["delivered"] - row["on_time"],
                open_now=row["open_now"],
                overdue_now=row["overdue_now"],
                delivery=Durations(row["delivered"], row["p50"], row["p95"], row["longest"]),
            )
        )
    return result


def _max_filtered(expression, condition: Q):
    return Max(expression, filter=condition, output_field=DurationField())


def _practices(period: Period, today: datetime.date) -> list[PracticeRow]:
    """Every practice, with most overdue requests first: where the processor should look."""
    in_period = Q(received_at__gte=period.start, received_at__lt=period.end)
    answered = in_period & _answered()
    figures = {
        row["practice_id"]: row
        for row in Request.objects.filter(practice__isnull=False)
        .values("practice_id")
        .annotate(
            received=Count("pk", filter=in_period),
            answered=Count("pk", filter=answered),
            on_time=Count("pk", filter=answered & _in_term()),
            open_now=Count("pk", filter=Q(state__in=OPEN_STATES)),
            overdue_now=Count("pk", filter=Q(state__in=OPEN_STATES, response_due__lt=today)),
            answer_p50=Percentile(
                0.5,
                _since("decided_at", "received_at"),
                filter=in_period,
                output_field=DurationField(),
            ),
        )
        .order_by()
    }
    rows = []
    for pk, name, agb in Practice.objects.values_list("pk", "name", "agb_code"):
        found = figures.get(pk, {})
        rows.append(
            PracticeRow(
                practice_id=pk,
                name=name,
                agb_code=agb,
                received=found.get("received", 0),
                answered=found.get("answered", 0),
                late=found.get("answered", 0) - found.get("on_time", 0),
                open_now=found.get("open_now", 0),
                overdue_now=found.get("overdue_now", 0),
                answer_p50=found.get("answer_p50"),
            )
        )
    return sorted(rows, key=lambda r: (-r.overdue_now, -r.late, r.name.casefold(), r.agb_code))
