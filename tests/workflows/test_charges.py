"""Time and its cost (agreement art. 9.1-9.3, Bijlage 3): the seeded rates, the rate stored on
the entry, the chargeable basis, the monthly statement and its CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from requests_app.models import AuditRecord, ChargeBasis, HourlyRate, TimeEntry
from requests_app.models.charges import rates_on
from requests_app.roles import Role
from tests.factories import decided, make_user
from workflows.assistance import charges, general
from workflows.assistance import tasks as assistance
from workflows.assistance.instructions import InstructionIncomplete

pytestmark = pytest.mark.django_db

BIJLAGE_3 = {
    "Medior projectleider": Decimal("80"),
    "Senior projectmanager": Decimal("110"),
    "Mobile software engineer": Decimal("100"),
    ".Net software engineer": Decimal("90"),
    "Software architect": Decimal("120"),
    "Applicatiebeheer": Decimal("90"),
    "Security consultant": Decimal("120"),
    "UX / Visual designer": Decimal("95"),
}
DAY = datetime.date(2026, 3, 10)


@pytest.fixture
def question(practice, handler):
    return general.ask(practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?")


@pytest.fixture
def task(practice, patient, handler):
    item = decided(practice, patient, handler, kind="erasure")
    return assistance.request_assistance(item, actor=handler, kind="erase", instruction="Wis")


def log(task, support, **extra):
    fields = {
        "day": DAY,
        "minutes": 90,
        "function": "Security consultant",
        "basis": ChargeBasis.CHARGEABLE,
        "note": "Logbestanden nagelopen",
    }
    return charges.record_time(task, actor=support, **(fields | extra))


def test_the_bijlage_3_rates_are_seeded():
    assert rates_on(DAY) == BIJLAGE_3


def test_a_rate_change_does_not_rewrite_past_costs(question, support):
    before = log(question, support)
    HourlyRate.objects.create(
        function="Security consultant", rate=Decimal("130"), valid_from=datetime.date(2026, 4, 1)
    )
    after = log(question, support, day=datetime.date(2026, 4, 2))
    before.refresh_from_db()
    assert before.hourly_rate == Decimal("120") and before.cost == Decimal("180.00")
    assert after.hourly_rate == Decimal("130") and after.cost == Decimal("195.00")


def test_included_and_shortcoming_work_costs_nothing(task, support):
    included = log(task, support, basis=ChargeBasis.INCLUDED)
    free = log(task, support, basis=ChargeBasis.SHORTCOMING)
    assert included.cost == free.cost == Decimal("0.00")
    summary = charges.time_on(task)
    assert summary.minutes == 180 and summary.cost == Decimal("0.00")
    assert task.events.filter(action="time").count() == 2
    assert AuditRecord.objects.filter(event_type="task.time", object_id=task.number).count() == 2


@pytest.mark.parametrize(
    "bad",
    [
        {"minutes": -5},
        {"minutes": 0},
        {"minutes": 100000},
        {"function": "Astronaut"},
        {"basis": "gratis"},
        {"note": " "},
        {"day": datetime.date(2999, 1, 1)},
    ],
)
def test_bad_time_changes_nothing(question, support, bad):
    with pytest.raises(InstructionIncomplete):
        log(question, support, **bad)
    assert not TimeEntry.objects.exists()


def test_only_support_records_time(question, handler):
    with pytest.raises(PermissionDenied):
        log(question, handler)


def test_the_monthly_statement_lists_chargeable_time_of_one_practice(
    practice, other_practice, question, task, support
):
    log(question, support, note='=HYPERLINK("http://x")')
    log(task, support, minutes=30, function="Applicatiebeheer")
    log(task, support, basis=ChargeBasis.SHORTCOMING, minutes=45)
    log(question, support, day=datetime.date(2026, 2, 27))  # another month
    elsewhere = general.ask(
        other_practice,
        actor=make_user("h@elders.example", Role.HANDLER, other_practice),
        kind="other",
        subject="x",
        question="y",
    )
    log(elsewhere, support)
    found = charges.statement(practice, datetime.date(2026, 3, 1))
    assert found.chargeable.minutes == 120 and found.chargeable.cost == Decimal("225.00")
    assert found.not_charged_minutes == 45
    rows = list(csv.reader(io.StringIO(charges.statement_csv(found))))
    assert rows[0][:4] == ["date", "task", "function", "minutes"]
    assert rows[1][1] == question.number and rows[1][6].startswith("'=")
    assert rows[-1] == ["total", "", "", "120", "", "225.00", ""]
