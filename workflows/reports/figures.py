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

from django.contrib.postgres.fields import ArrayField
from django.core.cache import cache
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet, Value
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone, translation

from requests_app import access
from requests_app.legal import LegalGround
from requests_app.models import AssistanceTask, Practice, Request
from requests_app.models.assistance import CLOCK_STATES, OPEN_TASK_STATES, AssistanceKind
from requests_app.models.request import OPEN_STATES, RequestKind, RequestState
from requests_app.roles import Capability

# A period longer than this is a page nobody reads and a query nobody waits for.
MAX_MONTHS = 36


class Percentiles(Aggregate):
    """PostgreSQL's `percentile_cont(fractions) WITHIN GROUP (ORDER BY expression)`: several
    percentiles from one sort, the fractions passed as a query parameter (an array); NULLs (a
    step not taken yet) are left out, as by any aggregate. The result is a list, one value per
    fraction; 1.0 gives the largest."""

    function = "percentile_cont"
    # The two source expressions are the fractions and the ordering: joined into the SQL above.
    template = "%(function)s(%(expressions)s)"
    arg_joiner = ") WITHIN GROUP (ORDER BY "
    allow_distinct = False

    def __init__(self, fractions: tuple[float, ...], expression, **extra) -> None:
        if not all(0 <= f <= 1 for f in fractions):
            raise ValueError("a percentile's fraction lies between 0 and 1")
        array = ArrayField(FloatField())
        super().__init__(
            Cast(Value([float(f) for f in fractions]), array),
            expression,
            output_field=array,
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        """The embedded development database has no percentiles: they read as not known."""
        return "NULL", []


class SecondsBetween(Func):
    """Seconds from `start` to `end` as a double (date_part, not EXTRACT, which gives a slower
    numeric): what the percentiles sort. NULL while `end` is not reached."""

    template = "date_part('epoch', %(expressions)s)"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))

    def as_sqlite(self, compiler, connection, **extra):
        return "NULL", []


# Median, 95th percentile and the longest, from one sort.
SPREAD = (0.5, 0.95, 1.0)


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

    @property
    def late_share(self) -> int | None:
        return round(100 * self.late / self.answered) if self.answered else None


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
    computed_at: datetime.datetime

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
    counts = _counts(received, period)
    spread = received.aggregate(
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
        months=counts.months,
        kinds=counts.kinds,
        received=counts.received,
        forwarding=_durations(spread, "forwarding"),
        acknowledgement=_durations(spread, "acknowledgement"),
        answer=_durations(spread, "answer"),
        answered=counts.answered,
        on_time=counts.on_time,
        late=counts.answered - counts.on_time,
        extended=counts.extended,
        open_now=now["open"],
        overdue_now=now["overdue"],
        grounds=counts.grounds,
        tasks=_tasks(tasks, period, today),
        practices=_practices(period, today) if practice is None else None,
        computed_at=timezone.now(),
    )


# A report is read, not worked from: its figures may be a few minutes old (the page says when
# they were counted), so a reader who changes the months and back, or many staff of the processor
# reading at once, cost the database one count.
CACHE_SECONDS = 300


def cached_report(period: Period, practice: Practice | None) -> Report:
    """The report as counted at most CACHE_SECONDS ago (per practice, months, day, language)."""
    today = timezone.localdate()
    key = ":".join(
        [
            "report",
            str(practice.pk if practice else "all"),
            f"{period.first:%Y-%m}",
            f"{period.last:%Y-%m}",
            today.isoformat(),
            translation.get_language() or "",
        ]
    )
    found = cache.get(key)
    if found is None:
        found = build_report(period, practice, today=today)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _answered() -> Q:
    """A decision the patient received: granted (in full or in part), refused, or a complaint's
    verdict."""
    return Q(decided_at__isnull=False)


def _in_term() -> Q:
    """Answered on or before the day due: the due date in force, so after an extension or a
    paused term (GDPR art. 12(3); Wkkgz art. 17) the later day counts."""
    return Q(response_due__isnull=False, decided_at__date__lte=F("response_due"))


def _duration_aggregates(name: str, reached: str) -> dict:
    """Count, and median, 95th percentile and longest time from receipt to `reached`."""
    return {
        f"{name}_count": Count(reached),
        f"{name}_spread": Percentiles(SPREAD, SecondsBetween(reached, "received_at")),
    }


def _seconds(value: float | None) -> datetime.timedelta | None:
    return None if value is None else datetime.timedelta(seconds=value)


def _spread(count: int, spread: list[float] | None) -> Durations:
    p50, p95, longest = spread or (None, None, None)
    return Durations(count, _seconds(p50), _seconds(p95), _seconds(longest))


def _durations(values: dict, name: str) -> Durations:
    return _spread(values[f"{name}_count"], values[f"{name}_spread"])


@dataclasses.dataclass
class _Counts:
    """What one GROUP BY over the period's requests gives, folded per month, kind and ground."""

    months: list[MonthRow]
    kinds: list[tuple[str, str, int]]
    grounds: list[GroundRow]
    received: int
    answered: int
    on_time: int
    extended: int


def _counts(received: QuerySet, period: Period) -> _Counts:
    """One query for every count of the period: per month, kind, decision and ground."""
    rows = (
        received.annotate(month=TruncMonth("received_at"))
        .values("month", "kind", "decision", "legal_ground")
        .annotate(
            n=Count("pk"),
            answered=Count("pk", filter=_answered()),
            on_time=Count("pk", filter=_answered() & _in_term()),
            extended=Count("pk", filter=Q(extended_at__isnull=False)),
        )
        .order_by()
    )
    per_month: dict[datetime.date, dict[str, int]] = {m: {} for m in period.months}
    in_term: dict[datetime.date, list[int]] = {m: [0, 0] for m in period.months}
    per_kind: dict[str, int] = {}
    per_ground: dict[str, dict[str, int]] = {}
    totals = {"n": 0, "answered": 0, "on_time": 0, "extended": 0}
    for row in rows:
        month = timezone.localtime(row["month"]).date()
        if month not in per_month:
            continue
        kind, n = row["kind"], row["n"]
        per_month[month][kind] = per_month[month].get(kind, 0) + n
        per_kind[kind] = per_kind.get(kind, 0) + n
        in_term[month][0] += row["answered"]
        in_term[month][1] += row["on_time"]
        for name in totals:
            totals[name] += row[name]
        if row["decision"] in (RequestState.REFUSED, RequestState.PARTIALLY_GRANTED):
            found = per_ground.setdefault(row["legal_ground"], {})
            found[row["decision"]] = found.get(row["decision"], 0) + n
    months = [
        MonthRow(
            month=month,
            by_kind=kinds,
            total=sum(kinds.values()),
            on_time=in_term[month][1],
            late=in_term[month][0] - in_term[month][1],
        )
        for month, kinds in per_month.items()
    ]
    return _Counts(
        months=months,
        kinds=[(k, str(label), per_kind[k]) for k, label in RequestKind.choices if k in per_kind],
        grounds=_grounds(per_ground),
        received=totals["n"],
        answered=totals["answered"],
        on_time=totals["on_time"],
        extended=totals["extended"],
    )


def _grounds(counts: dict[str, dict[str, int]]) -> list[GroundRow]:
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
    took = SecondsBetween("delivered_at", "requested_at")
    rows = {
        row["kind"]: row
        for row in tasks.values("kind")
        .annotate(
            requested=Count("pk", filter=asked),
            delivered=Count("pk", filter=delivered),
            on_time=Count("pk", filter=delivered & Q(delivered_at__date__lte=F("due"))),
            open_now=Count("pk", filter=Q(state__in=OPEN_TASK_STATES)),
            overdue_now=Count("pk", filter=Q(state__in=CLOCK_STATES, due__lt=today)),
            spread=Percentiles(SPREAD, took, filter=asked),
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
                delivery=_spread(row["delivered"], row["spread"]),
            )
        )
    return result


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
            answer=Percentiles(
                (0.5,), SecondsBetween("decided_at", "received_at"), filter=in_period
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
            )
        )
    return sorted(rows, key=lambda r: (-r.overdue_now, -r.late, r.name.casefold(), r.agb_code))
