"""The legal calendar against dates worked out by hand (weekday and holiday of each noted)."""

import datetime

import pytest

from requests_app.models import EquatedHoliday
from workflows.casework.deadlines import WGBO_DESTRUCTION, response_due, working_days_after

D = datetime.date
GDPR = "access"
COMPLAINT = "complaint"

CASES = [
    # kind, received, extended, due, why
    (GDPR, D(2025, 1, 15), False, D(2025, 2, 17), "15 Feb is a Saturday"),
    (GDPR, D(2025, 1, 31), False, D(2025, 2, 28), "no 31 Feb: last day, a Friday"),
    (GDPR, D(2028, 1, 31), False, D(2028, 2, 29), "leap year: 29 Feb, a Tuesday"),
    (GDPR, D(2027, 1, 30), False, D(2027, 3, 1), "28 Feb 2027 is a Sunday"),
    (GDPR, D(2025, 3, 18), False, D(2025, 4, 22), "Good Friday, weekend, Easter Monday"),
    (GDPR, D(2025, 3, 26), False, D(2025, 4, 28), "King's Day on Sat 26 Apr (27th a Sunday)"),
    (GDPR, D(2025, 4, 5), False, D(2025, 5, 6), "Liberation Day, a Monday"),
    (GDPR, D(2025, 4, 29), False, D(2025, 6, 2), "Ascension, decree day 30 May, weekend"),
    (GDPR, D(2025, 5, 9), False, D(2025, 6, 10), "Whit Monday"),
    (GDPR, D(2025, 11, 25), False, D(2025, 12, 29), "Christmas Thu, Boxing Day Fri, weekend"),
    (GDPR, D(2025, 12, 1), False, D(2026, 1, 5), "New Year Thu, decree day 2 Jan, weekend"),
    (GDPR, D(2026, 3, 3), False, D(2026, 4, 7), "Good Friday 3 Apr .. Easter Monday"),
    (GDPR, D(2026, 3, 27), False, D(2026, 4, 28), "King's Day, a Monday"),
    (GDPR, D(2026, 4, 5), False, D(2026, 5, 6), "5 May in a non-jubilee year"),
    (GDPR, D(2026, 4, 14), False, D(2026, 5, 18), "Ascension, decree day 15 May, weekend"),
    (GDPR, D(2026, 4, 25), False, D(2026, 5, 26), "Whit Monday"),
    (GDPR, D(2026, 11, 25), False, D(2026, 12, 28), "Christmas Fri, Boxing Day Sat"),
    (GDPR, D(2026, 6, 10), False, D(2026, 7, 10), "plain Friday"),
    (GDPR, D(2027, 2, 26), False, D(2027, 3, 30), "Good Friday 26 Mar .. Easter Monday"),
    (GDPR, D(2027, 3, 27), False, D(2027, 4, 28), "King's Day, a Tuesday"),
    (GDPR, D(2027, 4, 5), False, D(2027, 5, 10), "5 May Wed, Ascension Thu, decree Fri"),
    (GDPR, D(2027, 4, 17), False, D(2027, 5, 18), "Whit Monday"),
    (GDPR, D(2027, 11, 25), False, D(2027, 12, 27), "Christmas Sat, Boxing Day Sun"),
    (GDPR, D(2027, 12, 1), False, D(2028, 1, 3), "New Year on a Saturday"),
    (GDPR, D(2028, 3, 14), False, D(2028, 4, 18), "Good Friday 14 Apr .. Easter Monday"),
    (GDPR, D(2028, 3, 27), False, D(2028, 5, 1), "King's Day Thu, decree day 28 Apr, weekend"),
    (GDPR, D(2028, 4, 5), False, D(2028, 5, 8), "5 May Fri, weekend"),
    (GDPR, D(2028, 4, 25), False, D(2028, 5, 29), "Ascension, decree day 26 May, weekend"),
    (GDPR, D(2028, 5, 5), False, D(2028, 6, 6), "Whit Monday"),
    (GDPR, D(2028, 11, 25), False, D(2028, 12, 27), "Christmas Mon, Boxing Day Tue"),
    (GDPR, D(2026, 1, 15), False, D(2026, 2, 16), "15 Feb 2026 is a Sunday"),
    ("erasure", D(2025, 11, 30), True, D(2026, 3, 2), "extended: 3 months, 28 Feb a Saturday"),
    ("portability", D(2027, 11, 30), True, D(2028, 2, 29), "extended into a leap February"),
    (COMPLAINT, D(2025, 11, 13), False, D(2025, 12, 29), "6 weeks lands on Christmas"),
    (COMPLAINT, D(2026, 3, 23), False, D(2026, 5, 4), "6 weeks, plain Monday"),
    (COMPLAINT, D(2026, 3, 24), False, D(2026, 5, 6), "6 weeks lands on 5 May"),
    (COMPLAINT, D(2026, 3, 5), True, D(2026, 5, 18), "10 weeks lands on Ascension"),
    (WGBO_DESTRUCTION, D(2027, 2, 26), False, D(2027, 5, 26), "3 months, plain Wednesday"),
    (WGBO_DESTRUCTION, D(2028, 2, 27), False, D(2028, 5, 29), "3 months, a Saturday"),
    (WGBO_DESTRUCTION, D(2026, 1, 27), False, D(2026, 4, 28), "3 months lands on King's Day"),
    (WGBO_DESTRUCTION, D(2026, 2, 5), False, D(2026, 5, 6), "3 months lands on 5 May 2026"),
    (WGBO_DESTRUCTION, D(2026, 11, 30), False, D(2027, 3, 1), "no 30 Feb: 28 Feb, a Sunday"),
    ("destruction", D(2026, 3, 4), False, D(2026, 6, 4), "the kind itself: plain Thursday"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "received", "extended", "due", "why"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[4]}" for c in CASES],
)
def test_response_due_matches_the_hand_worked_date(kind, received, extended, due, why):
    assert response_due(kind, received, extended) == due


@pytest.mark.django_db
def test_receipt_just_after_midnight_in_amsterdam_counts_from_that_day():
    received = datetime.datetime(2025, 1, 31, 23, 30, tzinfo=datetime.UTC)  # 1 Feb 00:30 local
    assert response_due(GDPR, received) == D(2025, 3, 3)  # 1 Mar is a Saturday


@pytest.mark.django_db
def test_a_decree_day_added_by_an_administrator_moves_the_deadline():
    assert response_due(GDPR, D(2029, 6, 15)) == D(2029, 7, 16)  # 15 Jul 2029 is a Sunday
    EquatedHoliday.objects.create(date=D(2029, 7, 16), description="test decree day")
    assert response_due(GDPR, D(2029, 6, 15)) == D(2029, 7, 17)


@pytest.mark.django_db
def test_two_working_days_skip_weekends_and_holidays():
    assert working_days_after(D(2026, 4, 2), 2) == D(2026, 4, 8)  # Good Fri, weekend, Easter Mon
    assert working_days_after(D(2026, 6, 10), 2) == D(2026, 6, 12)
