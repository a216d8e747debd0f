"""The legal calendar: when an answer is due. The one place deadlines are computed.

- GDPR art. 12(3): one month from receipt; three months when extended (art. 12(3), 2nd sentence).
- Wkkgz complaint: six weeks; ten weeks when extended.
- WGBO destruction of a medical record (Civil Code 7:455): three months.

Months are counted per Regulation 1182/71 art. 3(2)(c): the same day-number in the later month, or
that month's last day when it has no such day (31 January + 1 month = 28/29 February). A period
that ends on a Saturday, Sunday or public holiday ends on the next working day (art. 3(4); the
Dutch Algemene termijnenwet art. 1). Public holidays are those of the Algemene termijnenwet art. 3:
the holiday library's Dutch list, plus 5 May in every year (the library has it only every fifth
year), plus the days equated by royal decree kept in `EquatedHoliday`.
"""

import calendar
import datetime
import functools

import holidays
from django.utils import timezone

from requests_app.models import EquatedHoliday, RequestKind

# Destroying the medical file: within three months of the request (Civil Code art. 7:455(1)),
# with no extension.
WGBO_DESTRUCTION = RequestKind.DESTRUCTION

# kind -> (unit, normal length, extended length)
PERIODS = {
    RequestKind.COMPLAINT: ("weeks", 6, 10),
    WGBO_DESTRUCTION: ("months", 3, 3),
}
GDPR_PERIOD = ("months", 1, 3)

# Liberation Day counts every year under the Algemene termijnenwet, not only every fifth year.
LIBERATION_DAY = (5, 5)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


@functools.lru_cache(maxsize=64)
def _statutory_holidays(year: int) -> frozenset[datetime.date]:
    days = set(holidays.country_holidays("NL", years=year))
    days.add(datetime.date(year, *LIBERATION_DAY))
    return frozenset(days)


def holidays_between(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    """All days in [start, end] on which no period may end (weekends excluded separately)."""
    days = set()
    for year in range(start.year, end.year + 1):
        days |= _statutory_holidays(year)
    days |= set(
        EquatedHoliday.objects.filter(date__range=(start, end)).values_list("date", flat=True)
    )
    return {d for d in days if start <= d <= end}


def next_working_day(day: datetime.date) -> datetime.date:
    """`day` itself when it is a working day, else the first working day after it."""
    closed = holidays_between(day, day + datetime.timedelta(days=14))
    while day.weekday() >= 5 or day in closed:
        day += datetime.timedelta(days=1)
    return day


def working_days_after(day: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `day`."""
    closed = holidays_between(day, day + datetime.timedelta(days=count * 2 + 14))
    while count > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5 and day not in closed:
            count -= 1
    return day


def local_date(moment: datetime.datetime | datetime.date) -> datetime.date:
    if isinstance(moment, datetime.datetime):
        return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()
    return moment


def response_due(
    kind: str, received: datetime.datetime | datetime.date, extended: bool = False
) -> datetime.date:
    """The last day on which the answer is in time, for a request received at `received`."""
    unit, normal, longer = PERIODS.get(kind, GDPR_PERIOD)
    length = longer if extended else normal
    start = local_date(received)
    weeks = unit == "weeks"
    end = start + datetime.timedelta(weeks=length) if weeks else add_months(start, length)
    return next_working_day(end)
