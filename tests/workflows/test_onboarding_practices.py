"""Importing practices from a CSV file: each line judged on its own, re-imports update by AGB
code, files that cannot be read are refused whole; the command runs the same checks."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from requests_app.models import AuditRecord, Practice
from tests.factories import make_practice
from workflows.onboarding import practices

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "practices.csv"
HEADER = "agb_code;name;street;postcode;city;dpo_name;dpo_email"


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *lines]).encode()


def _plan(data: bytes):
    return practices.plan_import(practices.read_csv(data))


GOOD = "12345678;Praktijk Goed;Dorpsstraat 1;1234 AB;Ergens;Anna de Vries;fg@goed.example"


def test_good_lines_are_created_with_normalised_values_and_audited():
    report = practices.import_practices(practices.read_csv(_csv(GOOD)), actor_label="test")
    assert report.counts == {"create": 1, "update": 0, "unchanged": 0, "refused": 0}
    practice = Practice.objects.get(agb_code="12345678")
    assert (practice.name, practice.postcode, practice.retention_years) == (
        "Praktijk Goed",
        "1234 AB",
        15,
    )
    record = AuditRecord.objects.get(event_type="practice.create")
    assert record.practice_id_ref == practice.pk and record.object_id == "12345678"
    assert "dpo_email" in record.details["fields"] and record.user_label == "test"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("1234567;P;Straat 1;1234 AB;Stad;Anna;fg@p.example", "agb_code"),
        ("1234567X;P;Straat 1;1234 AB;Stad;Anna;fg@p.example", "exactly 8 digits"),
        ("12345678;P;Straat 1;0123 AB;Stad;Anna;fg@p.example", "postcode"),
        # Look-alike digits (fullwidth, Arabic-Indic) are no AGB code or postcode.
        (
            "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18;P;S 1;1234 AB;X;A;fg@p.example",
            "8 digits",
        ),
        ("12345678;P;Straat 1;1\u0662\u0663\u0664 AB;Stad;Anna;fg@p.example", "postcode"),
        ("12345678;P;Straat 1;1234 AB;Stad;Anna;", "dpo_email"),
        ("12345678;P;Straat 1;1234 AB;Stad;Anna;not-an-address", "dpo_email"),
        ("12345678;P;Straat 1;1234 AB;Stad;Anna\u202e;fg@p.example", "invisible characters"),
        ("12345678;;Straat 1;1234 AB;Stad;Anna;fg@p.example", "name"),
        ("12345678;P;Straat 1;1234 AB;Stad;Anna;fg@p.example;extra", "more cells"),
    ],
)
def test_each_bad_line_is_refused_with_its_reason_and_nothing_created(line, reason):
    plan = practices.import_practices(practices.read_csv(_csv(line)))
    (row,) = plan.rows
    assert row.outcome == practices.REFUSED
    assert any(reason in r for r in row.reasons), row.reasons
    assert not Practice.objects.exists()
    assert not AuditRecord.objects.filter(event_type__startswith="practice.").exists()


def test_the_same_agb_code_twice_in_a_file_refuses_both_lines():
    plan = _plan(_csv(GOOD, GOOD.replace("Praktijk Goed", "Praktijk Dubbel")))
    assert [r.outcome for r in plan.rows] == [practices.REFUSED, practices.REFUSED]
    assert "line 3" in plan.rows[0].reasons[0] and "line 2" in plan.rows[1].reasons[0]


def test_bad_phone_and_number_columns_are_refused():
    header = HEADER + ";dpo_phone;retention_years;assistance_turnaround_days"
    plan = _plan(_csv(GOOD + ";12;x;0", header=header))
    reasons = " ".join(plan.rows[0].reasons)
    assert "dpo_phone" in reasons and "retention_years" in reasons
    assert "assistance_turnaround_days" in reasons


def test_a_reimport_updates_by_agb_code_and_never_duplicates():
    make_practice("12345678", name="Oude naam", dpo_email="fg@goed.example")
    rows = practices.read_csv(_csv(GOOD))
    plan = _plan(_csv(GOOD))
    assert plan.rows[0].outcome == practices.UPDATE
    assert "name" in plan.rows[0].fields
    practices.import_practices(rows, actor_label="test")
    assert Practice.objects.filter(agb_code="12345678").count() == 1
    assert Practice.objects.get(agb_code="12345678").name == "Praktijk Goed"
    record = AuditRecord.objects.get(event_type="practice.update")
    assert "name" in record.details["fields"] and "dpo_email" not in record.details["fields"]
    again = practices.import_practices(rows)
    assert again.rows[0].outcome == practices.UNCHANGED
    assert AuditRecord.objects.filter(event_type="practice.update").count() == 1


def test_optional_columns_left_out_keep_the_current_values():
    make_practice("12345678", standin_name="Bert", retention_years=20)
    practices.import_practices(practices.read_csv(_csv(GOOD)))
    practice = Practice.objects.get(agb_code="12345678")
    assert (practice.standin_name, practice.retention_years) == ("Bert", 20)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n \n", "empty"),
        (HEADER.encode() + b"\n", "holds no practices"),
        (b"agb;naam\n1;2", "missing columns"),
        ((HEADER + ";fax").encode() + b"\n" + GOOD.encode() + b";1", "unknown columns: fax"),
        ((HEADER + ";name").encode() + b"\n" + GOOD.encode() + b";x", "appears twice"),
        (_csv(GOOD.replace("Goed", "Gëed")).decode().encode("cp1252"), "UTF-8"),
        (_csv(GOOD).replace(b"Goed", b"Go\x00ed"), "NUL"),
        (b"x" * (practices.IMPORT_MAX_BYTES + 1), "larger than"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(data, message):
    with pytest.raises(practices.ImportRefused, match=message):
        practices.read_csv(data)


def test_bom_and_comma_or_semicolon_files_read_alike():
    semicolon = b"\xef\xbb\xbf" + _csv(GOOD)
    comma = _csv(GOOD.replace(";", ","), header=HEADER.replace(";", ","))
    assert practices.read_csv(semicolon)[0] == practices.read_csv(comma)[0]
    assert practices.read_csv(semicolon)[0]["agb_code"] == "12345678"


def test_the_report_csv_is_formula_safe():
    plan = practices.import_practices(
        practices.read_csv(_csv(GOOD.replace("Praktijk Goed", "=HYPERLINK(1)")))
    )
    text = practices.report_csv(plan)
    assert "'=HYPERLINK(1)" in text
    assert Practice.objects.get().name == "=HYPERLINK(1)"  # stored as typed; only the CSV quotes


def test_the_command_dry_run_changes_nothing_then_the_real_run_imports_the_example(capsys):
    call_command("import_practices", str(EXAMPLE), "--dry-run")
    out = capsys.readouterr().out
    assert "3 new, 0 changed, 0 unchanged, 0 refused (would be so)" in out
    assert not Practice.objects.exists()
    call_command("import_practices", str(EXAMPLE))
    assert "3 new" in capsys.readouterr().out
    assert Practice.objects.count() == 3
    assert Practice.objects.get(agb_code="01000003").retention_years == 20
    assert AuditRecord.objects.filter(event_type="practice.create").count() == 3
    call_command("import_practices", str(EXAMPLE))
    assert "0 new, 0 changed, 3 unchanged" in capsys.readouterr().out
    assert Practice.objects.count() == 3


def test_the_command_refuses_an_unreadable_file(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_practices", str(bad))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_practices", str(tmp_path / "missing.csv"))


@pytest.mark.parametrize("value", ["01234567\n", "０１２３４５６７", "0123456", "012345678"])
def test_an_agb_code_is_exactly_eight_ascii_digits(value):
    from django.core.exceptions import ValidationError

    from requests_app.validators import validate_agb_code

    with pytest.raises(ValidationError):
        validate_agb_code(value)


def test_a_practice_added_at_the_same_moment_is_a_refusal_not_a_crash():
    cleaned, errors = practices.clean_values(
        dict(zip(practices.REQUIRED_COLUMNS, GOOD.split(";"), strict=True))
    )
    assert not errors
    practices.create_practice(cleaned, actor_label="first")
    with pytest.raises(practices.PracticeExists):
        practices.create_practice(cleaned, actor_label="second")  # its check came before the first
    assert Practice.objects.count() == 1
    assert AuditRecord.objects.filter(event_type="practice.create").count() == 1


def test_a_file_of_too_many_practices_is_refused_whole(monkeypatch):
    monkeypatch.setattr(practices, "IMPORT_MAX_ROWS", 2)
    three = [GOOD.replace("12345678", f"1234567{n}") for n in range(3)]
    with pytest.raises(practices.ImportRefused, match="more than 2 practices"):
        practices.read_csv(_csv(*three))
    assert len(practices.read_csv(_csv(*three[:2]))) == 2
