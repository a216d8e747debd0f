"""The platform connector reads and erases through the declared mapping, on PostgreSQL (the test
database) and on SQLite (a second connection made for the test), always within one practice."""

import datetime
import io

import pytest
from django.db import connections

from demo import platform as demo
from tests.environment import PLATFORM_SQLITE, drop_platform_tables
from workflows.assistance.connectors import Identifiers
from workflows.assistance.connectors.platform import PlatformConnector

OURS, THEIRS = "01234567", "07654321"


pytestmark = pytest.mark.django_db(databases=["default", PLATFORM_SQLITE])


@pytest.fixture(scope="session", autouse=True)
def sqlite_schema(django_db_setup, django_db_blocker):
    # SQLite cannot change its schema inside the test's transaction: made once, up front.
    with django_db_blocker.unblock():
        demo.create_schema(PLATFORM_SQLITE)


@pytest.fixture(params=["default", PLATFORM_SQLITE])
def alias(request):
    if request.param == PLATFORM_SQLITE:
        yield PLATFORM_SQLITE  # each test's rows are rolled back with its transaction
        return
    demo.create_schema("default")
    yield "default"
    drop_platform_tables("default")


def jan(alias, **extra):
    fields = {
        "practice_agb": OURS,
        "email": "Jan@Example.com",
        "mobile": "+31687654321",
        "patient_number": "P-42",
        "bsn": "111222333",
        "device_id": "dev-jan",
        "messages": 30,
        "video_calls": 2,
        "birth_date": datetime.date(1980, 5, 17),
    }
    return demo.add_patient(alias, **(fields | extra))


def counts(findings):
    return {f.category: f.count for f in findings}


def test_both_engines_are_really_used(alias):
    expected = "sqlite" if alias == PLATFORM_SQLITE else "postgresql"
    assert connections[alias].vendor == expected


@pytest.mark.parametrize(
    "given",
    [
        {"email": "jan@example.com"},
        {"email": "JAN@example.COM"},
        {"mobile": "+31687654321"},
        {"bsn": "111222333"},
        {"patient_number": "P-42", "email": "jan@example.com"},
        {"device_id": "dev-jan", "mobile": "+31687654321"},
    ],
)
def test_find_by_each_identifier(alias, given):
    jan(alias)
    findings = PlatformConnector(alias).find(Identifiers(practice_code=OURS, **given))
    found = counts(findings)
    assert found["conversations"] == 30
    assert found["video_ip"] == 2
    assert found["device_id"] == 1
    assert found["name"] == found["email"] == found["bsn"] == 1
    conv = next(f for f in findings if f.category == "conversations")
    assert conv.first <= conv.last and conv.first.year >= 2023


@pytest.mark.parametrize("given", [{"patient_number": "P-42"}, {"device_id": "dev-jan"}])
def test_a_patient_or_device_number_alone_finds_nothing(alias, given):
    """Only the request's own channels or a BSN decide whose record is used."""
    jan(alias)
    connector = PlatformConnector(alias)
    ids = Identifiers(practice_code=OURS, **given)
    assert connector.find(ids) == [] and list(connector.export(ids)) == []
    assert connector.erase(ids, frozenset()) == []
    assert demo.Message.objects.using(alias).count() == 30


def test_find_stays_within_the_practice(alias):
    jan(alias, practice_agb=THEIRS)
    connector = PlatformConnector(alias)
    assert connector.find(Identifiers(practice_code=OURS, email="jan@example.com")) == []
    assert connector.find(Identifiers(practice_code=THEIRS, email="jan@example.com"))


def test_unknown_identifiers_find_nothing(alias):
    jan(alias)
    ids = Identifiers(practice_code=OURS, email="piet@example.com", mobile="+31600000000")
    assert PlatformConnector(alias).find(ids) == []
    assert list(PlatformConnector(alias).export(ids)) == []
    assert PlatformConnector(alias).erase(ids, frozenset()) == []


def test_export_gives_every_row_with_its_category(alias, monkeypatch):
    # Small pages, so the keyset paging is exercised too.
    monkeypatch.setattr("workflows.assistance.connectors.platform.EXPORT_BATCH", 7)
    jan(alias)
    rows = list(PlatformConnector(alias).export(Identifiers(OURS, email="jan@example.com")))
    by_category = {}
    for category, row in rows:
        by_category.setdefault(category, []).append(row)
    assert len(by_category["conversations"]) == 30
    assert {r["sender"] for r in by_category["conversations"]} == {"patient", "practice"}
    assert by_category["name"] == [{"first_name": "Jan", "last_name": "Jansen"}]
    assert by_category["birth_date"] == [{"birth_date": "1980-05-17"}]
    assert by_category["video_ip"][0]["ip_address"] == "198.51.100.7"
    assert by_category["device_id"][0]["device_id"] == "dev-jan"


def test_erase_removes_everything_and_a_second_run_removes_nothing(alias):
    jan(alias)
    other = jan(
        alias,
        email="piet@example.com",
        mobile="+31611111111",
        device_id="dev-piet",
        patient_number="P-43",
        bsn="",
    )
    connector = PlatformConnector(alias)
    ids = Identifiers(OURS, email="jan@example.com")
    first = {e.category: e.removed for e in connector.erase(ids, frozenset())}
    assert first["conversations"] == 30 and first["video_ip"] == 2 and first["name"] == 1
    assert connector.find(ids) == []
    assert connector.erase(ids, frozenset()) == []
    # The other patient is untouched.
    assert (
        counts(connector.find(Identifiers(OURS, email="piet@example.com")))["conversations"] == 30
    )
    assert demo.Patient.objects.using(alias).filter(pk=other.pk).exists()


def test_erase_keeps_what_the_practice_keeps(alias):
    jan(alias)
    connector = PlatformConnector(alias)
    ids = Identifiers(OURS, patient_number="P-42", bsn="111222333")
    keep = frozenset({"conversations", "patient_number", "bsn"})
    result = {e.category: e for e in connector.erase(ids, keep)}
    assert result["conversations"].removed == 0 and result["conversations"].kept == 30
    assert result["video_ip"].removed == 2 and result["email"].removed == 1
    left = counts(connector.find(ids))
    assert left == {"conversations": 30, "patient_number": 1, "bsn": 1, "care_organisation": 1}
    again = {e.category: e for e in connector.erase(ids, keep)}
    assert all(e.removed == 0 for e in again.values())
    assert again["conversations"].kept == 30


def test_what_is_kept_under_a_patient_number_alone_is_not_reached_again(alias):
    """Once e-mail, mobile and BSN are erased, the patient number no longer decides whose rows
    these are: a second run finds and removes nothing, and does not fail."""
    jan(alias)
    connector = PlatformConnector(alias)
    ids = Identifiers(OURS, email="jan@example.com", patient_number="P-42")
    keep = frozenset({"conversations", "patient_number"})
    assert {e.category: e.kept for e in connector.erase(ids, keep)}["conversations"] == 30
    assert connector.erase(ids, keep) == [] and connector.find(ids) == []
    assert demo.Message.objects.using(alias).count() == 30


def test_seed_platform_fills_either_database(alias, practice, other_practice):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("seed_platform", patients=60, messages=500, database=alias, stdout=out)
    assert "60 patients" in out.getvalue() and "500 messages" in out.getvalue()
    patients = demo.Patient.objects.using(alias)
    assert patients.count() == 60
    assert set(patients.values_list("practice_agb", flat=True)) == {OURS, THEIRS}
    assert demo.Message.objects.using(alias).count() == 500
    # Seeded patients are found like any other, by each identifier.
    someone = patients.filter(practice_agb=OURS, bsn__isnull=False).first()
    connector = PlatformConnector(alias)
    for given in ({"email": someone.email}, {"bsn": someone.bsn}, {"mobile": someone.mobile}):
        assert connector.find(Identifiers(OURS, **given)), given


def test_seed_platform_refuses_nonsense(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("seed_platform", patients=0, messages=10)


def test_a_shared_identifier_picks_the_best_match_or_refuses(alias):
    from workflows.assistance.connectors import ConnectorError

    jan(alias)  # mobile +31687654321
    jan(
        alias,
        email="kind@example.com",
        patient_number="P-77",
        bsn="",
        device_id="dev-kind",
        messages=3,
        first_name="Kim",
    )
    connector = PlatformConnector(alias)
    # E-mail and the family's mobile: the mother's record matches both, the child's one.
    both = Identifiers(OURS, email="jan@example.com", mobile="+31687654321")
    assert counts(connector.find(both))["conversations"] == 30
    assert all(row.get("first_name") != "Kim" for _c, row in connector.export(both))
    # The mobile alone cannot say whose it is: nothing is exported or erased.
    alone = Identifiers(OURS, mobile="+31687654321")
    with pytest.raises(ConnectorError):
        connector.find(alone)
    with pytest.raises(ConnectorError):
        connector.erase(alone, frozenset())
    assert demo.Patient.objects.using(alias).count() == 2


# --- Whose record: the request's own channels decide -------------------------------------------
def victim(alias):
    return jan(
        alias,
        email="anna@example.com",
        mobile="+31611112222",
        patient_number="P-99",
        bsn="",
        device_id="dev-anna",
        first_name="Anna",
        last_name="Visser",
        birth_date=datetime.date(1975, 1, 2),
        messages=12,
    )


ATTACK = {"email": "mallory@example.com", "mobile": "+31622223333", "patient_number": "P-99"}


def test_someone_elses_patient_number_with_ones_own_channels_gets_nothing(alias):
    victim(alias)
    connector = PlatformConnector(alias)
    ids = Identifiers(OURS, **ATTACK)
    assert connector.find(ids) == []
    assert list(connector.export(ids)) == []
    assert connector.erase(ids, frozenset()) == []
    assert demo.Message.objects.using(alias).count() == 12  # the victim's, untouched


def test_with_a_record_of_ones_own_only_that_is_used_and_the_number_is_flagged(alias):
    from workflows.assistance.connectors import OTHER_RECORD, Expected, Mismatch

    victim(alias)
    jan(
        alias,
        email=ATTACK["email"],
        mobile=ATTACK["mobile"],
        patient_number="P-7",
        bsn="",
        device_id="",
        first_name="Mallory",
        last_name="Mol",
        messages=2,
    )
    connector = PlatformConnector(alias)
    ids = Identifiers(OURS, **ATTACK)
    rows = list(connector.export(ids))
    assert {r["first_name"] for c, r in rows if c == "name"} == {"Mallory"}
    assert sum(1 for c, _r in rows if c == "conversations") == 2
    expected = Expected(ids=ids, name="Anna Visser", birth_date=datetime.date(1975, 1, 2))
    found = connector.compare(ids, expected)
    assert Mismatch("platform", "patient_number", OTHER_RECORD) in found
    assert {m.field for m in found} == {"patient_number", "name", "birth_date"}
    assert "hoort bij een andere patiënt" in found[0].text()  # Dutch first


def test_a_matching_record_shows_no_mismatch(alias):
    from workflows.assistance.connectors import Expected

    jan(alias)
    ids = Identifiers(OURS, email="jan@example.com", mobile="+31687654321", patient_number="P-42")
    expected = Expected(ids=ids, name="jan  JANSEN", birth_date=datetime.date(1980, 5, 17))
    assert PlatformConnector(alias).compare(ids, expected) == []
    other = Expected(ids=ids, name="Jan Janssen", birth_date=datetime.date(1980, 5, 17))
    assert [m.field for m in PlatformConnector(alias).compare(ids, other)] == ["name"]


def test_a_whole_practice_is_exported_and_erased_through_the_mapping(alias, monkeypatch):
    """The end of the contract (agreement art. 11.2): every app user of the practice, not only
    those who filed a request; the other practice's users stay."""
    from workflows.assistance.connectors import platform

    monkeypatch.setattr(platform, "EXPORT_BATCH", 2)  # several keyset pages per table
    jan(alias)
    demo.add_patient(alias, practice_agb=OURS, email="piet@example.com", messages=3)
    demo.add_patient(alias, practice_agb=THEIRS, email="kees@example.com", messages=4)
    connector = PlatformConnector(alias)
    assert connector.practice_counts(OURS) == {
        "patients": 2,
        "device_id": 1,
        "conversations": 33,
        "video_ip": 2,
    }
    rows = list(connector.export_practice(OURS))
    tables = {table for table, _row in rows}
    assert tables == {"patients", "device_id", "conversations", "video_ip"}
    assert sum(1 for table, _ in rows if table == "conversations") == 33
    patients = [row for table, row in rows if table == "patients"]
    assert {row["email"] for row in patients} == {"jan@example.com", "piet@example.com"}
    assert {"patient", "body"} <= set(next(r for t, r in rows if t == "conversations"))
    contacts = connector.practice_contacts(OURS)
    assert {ids.email for ids in contacts} == {"jan@example.com", "piet@example.com"}

    erased = {e.category: e.removed for e in connector.erase_practice(OURS)}
    assert erased["conversations"] == 33 and erased["email"] == 2
    assert set(connector.practice_counts(OURS).values()) == {0}
    assert connector.erase_practice(OURS) == []  # again: nothing found, nothing removed
    assert connector.practice_counts(THEIRS)["conversations"] == 4
