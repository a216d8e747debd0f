"""Onboarding practices: adding and changing a practice (by a processor administrator, or its own
settings by the practice administrator) and importing a CSV file of practices, row by row.

One rule set for every way in: `clean_values` normalises and checks a practice's values (the
model's own validators, plus telephone numbers, canonical e-mail addresses and no invisible
characters), and the web form, the import preview, the confirmed import and the command all call
it. Every change is written with its audit record (who, which practice, which fields), which the
practice's FG reads in the practice's audit log."""

import csv
import dataclasses
import hashlib
import io
import json

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import audit
from requests_app.errors import DomainError
from requests_app.models import AuditAction, Practice
from requests_app.validators import (
    canonical_email,
    hidden_characters,
    is_storable,
    normalise_phone,
)

# The columns of the import, in the order the documentation and the example file use.
# The first seven are required in the header; a missing optional column leaves the field as it is.
REQUIRED_COLUMNS = ("agb_code", "name", "street", "postcode", "city", "dpo_name", "dpo_email")
OPTIONAL_COLUMNS = (
    "dpo_phone",
    "standin_name",
    "standin_email",
    "standin_phone",
    "complaints_officer",
    "complaints_officer_email",
    "complaints_officer_phone",
    "disputes_body",
    "disputes_body_contact",
    "disputes_body_website",
    "retention_years",
    "assistance_turnaround_days",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
# What a practice administrator may change of their own practice: everything but the AGB code
# (the practice's identity, in every intake link) and whether it is active (the contract).
SETTINGS_FIELDS = tuple(c for c in COLUMNS if c != "agb_code")
ADMIN_FIELDS = COLUMNS + ("active",)

PHONE_FIELDS = frozenset({"dpo_phone", "standin_phone", "complaints_officer_phone"})
EMAIL_FIELDS = frozenset({"dpo_email", "standin_email", "complaints_officer_email"})
NUMBER_FIELDS = {"retention_years": (1, 99), "assistance_turnaround_days": (1, 60)}

IMPORT_MAX_BYTES = 1024 * 1024  # a thousand practices with every column filled fit well within it
IMPORT_MAX_ROWS = 1000  # each one written with its audit record: about 10 s at most


class ImportRefused(DomainError):
    """The file as a whole cannot be read as a practice import; nothing was changed."""


class PracticeExists(DomainError):
    """Another change added a practice with this AGB code at the same moment; nothing was
    changed."""


# --- One rule set for every way in ---------------------------------------------------------------
def clean_values(values: dict, *, instance: Practice | None = None) -> tuple[dict, dict]:
    """Normalised values and the errors per field (field -> list of messages) of the given
    fields of a practice; `instance` is the practice they would change (None: a new one).
    Only the fields in `values` are checked against the model, so a partial change is judged on
    what it changes."""
    cleaned: dict = {}
    errors: dict[str, list[str]] = {}
    for field, raw in values.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if field in NUMBER_FIELDS and value in ("", None):
            continue  # not given: the default for a new practice, unchanged for one known
        if isinstance(value, str):
            if not is_storable(value):
                errors.setdefault(field, []).append(
                    _("This contains characters that cannot be stored.")
                )
                continue
            if hidden_characters(value):
                errors.setdefault(field, []).append(
                    _(
                        "This cannot contain invisible characters or characters that change "
                        "the direction of the text."
                    )
                )
                continue
        try:
            cleaned[field] = _normalise(field, value)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.messages)
    candidate = Practice(**_fields_of(instance)) if instance is not None else Practice()
    if instance is not None:
        candidate.pk = instance.pk
        candidate._state.adding = False  # its own AGB code is no clash
    for field, value in cleaned.items():
        setattr(candidate, field, value)
    try:
        # Uniqueness is not judged here: the import matches AGB codes to practices itself (one
        # query for the file, not one per line), and the form's own check covers the form.
        candidate.full_clean(
            exclude=[f for f in ADMIN_FIELDS if f not in cleaned] + ["id"], validate_unique=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    return cleaned, errors


def _normalise(field: str, value):
    if field in NUMBER_FIELDS:
        low, high = NUMBER_FIELDS[field]
        try:
            number = int(value) if not isinstance(value, int) else value
        except ValueError as exc:
            raise ValidationError(_("Enter a whole number.")) from exc
        if not low <= number <= high:
            raise ValidationError(
                _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        return number
    if field == "active":
        return bool(value)
    if not value:
        return ""
    if field in PHONE_FIELDS:
        return normalise_phone(value)
    if field in EMAIL_FIELDS:
        return canonical_email(value)
    if field == "postcode":
        return value.upper()
    return value


def _fields_of(practice: Practice) -> dict:
    return {field: getattr(practice, field) for field in ADMIN_FIELDS}


def changed_fields(practice: Practice, cleaned: dict) -> list[str]:
    """The fields whose value `cleaned` changes, in the columns' order."""
    from requests_app.validators import normalise_postcode

    def stored(field, value):
        return normalise_postcode(value) if field == "postcode" else value

    return [
        f for f in ADMIN_FIELDS if f in cleaned and stored(f, cleaned[f]) != getattr(practice, f)
    ]


# --- Changes, each with its audit record ---------------------------------------------------------
def _record(practice: Practice, action: AuditAction, *, actor, actor_label: str, fields, via: str):
    audit.record(
        "practice.create" if action == AuditAction.CREATE else "practice.update",
        action,
        user=actor,
        user_label=actor_label,
        object_type="practice",
        object_id=practice.agb_code,
        practice_id=practice.pk,
        details={"fields": list(fields), "via": via},
    )


def create_practice(cleaned: dict, *, actor=None, actor_label: str = "", via: str = "form"):
    try:
        with transaction.atomic():
            return _create(cleaned, actor=actor, actor_label=actor_label, via=via)
    except IntegrityError as exc:  # the same AGB code added at the same moment
        raise PracticeExists(
            _("A practice with this AGB code was added at the same moment; nothing was changed.")
        ) from exc


def _create(cleaned: dict, *, actor, actor_label: str, via: str) -> Practice:
    practice = Practice(**cleaned)
    practice.save()
    _record(
        practice,
        AuditAction.CREATE,
        actor=actor,
        actor_label=actor_label,
        fields=[f for f in ADMIN_FIELDS if f in cleaned],
        via=via,
    )
    return practice


@transaction.atomic
def update_practice(
    practice: Practice, cleaned: dict, *, actor=None, actor_label: str = "", via: str = "form"
) -> list[str]:
    """Apply the changed fields of `cleaned` to the practice (locked), with one audit record
    naming them; nothing changed, nothing written. Returns the fields changed."""
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    fields = changed_fields(locked, cleaned)
    if not fields:
        return []
    for field in fields:
        setattr(locked, field, cleaned[field])
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:  # a new AGB code taken at the same moment
        raise PracticeExists(
            _("A practice with this AGB code was added at the same moment; nothing was changed.")
        ) from exc
    _record(
        locked, AuditAction.UPDATE, actor=actor, actor_label=actor_label, fields=fields, via=via
    )
    for field in fields:
        setattr(practice, field, getattr(locked, field))
    return fields


def search_practices(query: str = "") -> QuerySet:
    """The processor administrator's list: every practice, or those whose name, AGB code, town
    or postcode holds the query."""
    practices = Practice.objects.order_by("name", "agb_code")
    query = (query or "").strip()
    if query:
        compact = query.upper().replace(" ", "")
        practices = practices.filter(
            Q(name__icontains=query)
            | Q(agb_code__startswith=query)
            | Q(city__icontains=query)
            | Q(postcode__iexact=f"{compact[:4]} {compact[4:]}")
            | Q(postcode__istartswith=query)
        )
    return practices


def practice_changes(practice: Practice) -> QuerySet:
    """The recorded changes of a practice's settings, newest first."""
    from requests_app.models import AuditRecord

    return AuditRecord.objects.filter(
        practice_id_ref=practice.pk, event_type__in=("practice.create", "practice.update")
    ).order_by("-seq")


# --- The CSV import ------------------------------------------------------------------------------
def read_csv(data: bytes) -> list[dict]:
    """The rows of an uploaded import file as {column: text}, each with its line number under
    "_line". A file that cannot be read as one is refused as a whole (ImportRefused)."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ImportRefused(
            _("The file is larger than %(kb)s KB. Split it into smaller files.")
            % {"kb": IMPORT_MAX_BYTES // 1024}
        )
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            _(
                "The file is not in UTF-8. In Excel, save it as “CSV UTF-8 (comma delimited)” "
                "and upload it again."
            )
        ) from exc
    if "\x00" in text:
        raise ImportRefused(_("The file holds NUL characters: it is not a text file."))
    if not text.strip():
        raise ImportRefused(_("The file is empty."))
    first_line = text.lstrip().splitlines()[0]
    # Dutch Excel separates with ';' (the comma is the decimal sign), others with ','.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise ImportRefused(
            _("The file is not a valid CSV file (line %(line)s).") % {"line": reader.line_num}
        ) from exc
    header = [cell.strip().lower() for cell in lines[0]]
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append(_("missing columns: %(cols)s") % {"cols": ", ".join(missing)})
        if unknown:
            parts.append(_("unknown columns: %(cols)s") % {"cols": ", ".join(unknown)})
        raise ImportRefused(
            _("The first line must name the columns (%(problems)s). See the documented columns.")
            % {"problems": "; ".join(parts)}
        )
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        raise ImportRefused(
            _("A column appears twice: %(cols)s.") % {"cols": ", ".join(duplicates)}
        )
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # an empty line, as spreadsheets leave at the end
        row = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(header)}
        row["_line"] = number
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            row["_extra"] = True
        rows.append(row)
    if not rows:
        raise ImportRefused(_("The file names the columns but holds no practices."))
    if len(rows) > IMPORT_MAX_ROWS:
        raise ImportRefused(
            _("The file holds more than %(n)s practices. Split it into smaller files.")
            % {"n": IMPORT_MAX_ROWS}
        )
    return rows


CREATE, UPDATE, UNCHANGED, REFUSED = "create", "update", "unchanged", "refused"
OUTCOME_LABELS = {
    CREATE: gettext_lazy("new"),
    UPDATE: gettext_lazy("changed"),
    UNCHANGED: gettext_lazy("unchanged"),
    REFUSED: gettext_lazy("refused"),
}


@dataclasses.dataclass
class RowOutcome:
    line: int
    agb_code: str
    name: str
    outcome: str
    fields: list[str] = dataclasses.field(default_factory=list)  # created or changed
    reasons: list[str] = dataclasses.field(default_factory=list)  # why refused

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self.outcome])


@dataclasses.dataclass
class ImportPlan:
    rows: list[RowOutcome]
    cleaned: dict[int, dict] = dataclasses.field(default_factory=dict, repr=False)  # by line

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {o: self.count(o) for o in (CREATE, UPDATE, UNCHANGED, REFUSED)}

    def fingerprint(self) -> str:
        """What the preview showed, so a confirm can tell whether it still holds."""
        # Not the reasons' words, which follow the page's language.
        shown = [(r.line, r.agb_code, r.name, r.outcome, r.fields) for r in self.rows]
        return hashlib.sha256(json.dumps(shown, default=str).encode()).hexdigest()


def _label(field: str) -> str:
    if field in ADMIN_FIELDS:
        return f"{field} ({Practice._meta.get_field(field).verbose_name})"
    return field


def plan_import(rows: list[dict]) -> ImportPlan:
    """What importing these rows would do, row by row: create, update (which fields), leave
    unchanged, or refuse (why). Rows are matched to practices by AGB code."""
    agb_lines: dict[str, list[int]] = {}
    for row in rows:
        agb = (row.get("agb_code") or "").strip()
        if agb:
            agb_lines.setdefault(agb, []).append(row["_line"])
    existing = {p.agb_code: p for p in Practice.objects.filter(agb_code__in=list(agb_lines))}
    plan = ImportPlan(rows=[])
    for row in rows:
        line = row["_line"]
        agb = (row.get("agb_code") or "").strip()
        values = {c: row[c] for c in COLUMNS if c in row}
        name = (row.get("name") or "").strip()[:200]
        outcome = RowOutcome(line=line, agb_code=agb[:20], name=name, outcome=REFUSED)
        if row.get("_extra"):
            outcome.reasons.append(_("The line has more cells than the header names columns."))
        others = [n for n in agb_lines.get(agb, []) if n != line]
        if others:
            outcome.reasons.append(
                _("The same AGB code is also on line %(lines)s of the file.")
                % {"lines": ", ".join(str(n) for n in others)}
            )
        practice = existing.get(agb)
        cleaned, errors = clean_values(values, instance=practice)
        for field, messages in errors.items():
            outcome.reasons.extend(f"{_label(field)}: {message}" for message in messages)
        if not outcome.reasons:
            if practice is None:
                outcome.outcome = CREATE
                outcome.fields = [f for f in COLUMNS if f in cleaned]
            else:
                outcome.fields = changed_fields(practice, cleaned)
                outcome.outcome = UPDATE if outcome.fields else UNCHANGED
            plan.cleaned[line] = cleaned
        plan.rows.append(outcome)
    return plan


def import_practices(
    rows: list[dict], *, actor=None, actor_label: str = "", via: str = "csv import"
) -> ImportPlan:
    """Validate the rows again and carry out what the plan says, in one transaction: new
    practices created, changed ones updated (each with its audit record), refused rows left out.
    The returned plan is the report."""
    try:
        return _carry_out(rows, actor=actor, actor_label=actor_label, via=via)
    except PracticeExists as exc:
        raise ImportRefused(
            _(
                "Another import or change added one of these practices at the same moment; "
                "nothing was imported. Check the preview again."
            )
        ) from exc


def _carry_out(rows: list[dict], *, actor, actor_label: str, via: str) -> ImportPlan:
    with transaction.atomic():
        # Practices locked in AGB order: two imports at once wait, never half-apply each other.
        agbs = sorted({(r.get("agb_code") or "").strip() for r in rows} - {""})
        list(Practice.objects.select_for_update().filter(agb_code__in=agbs).order_by("agb_code"))
        plan = plan_import(rows)
        by_agb = {p.agb_code: p for p in Practice.objects.filter(agb_code__in=agbs)}
        for outcome in plan.rows:
            cleaned = plan.cleaned.get(outcome.line)
            if outcome.outcome == CREATE:
                create_practice(cleaned, actor=actor, actor_label=actor_label, via=via)
            elif outcome.outcome == UPDATE:
                update_practice(
                    by_agb[outcome.agb_code],
                    cleaned,
                    actor=actor,
                    actor_label=actor_label,
                    via=via,
                )
    return plan


def report_csv(plan: ImportPlan) -> str:
    """The import's report as CSV: line, AGB code, name, outcome, fields, reasons; every cell
    safe to open in a spreadsheet."""
    from workflows.csv_cells import safe_cell

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "agb_code", "name", "outcome", "fields", "reasons"])
    for row in plan.rows:
        cells = [row.line, row.agb_code, row.name, row.outcome, " ".join(row.fields)]
        writer.writerow([safe_cell(c) for c in [*cells, " | ".join(row.reasons)]])
    return out.getvalue()


def reword_refusals(report: ImportPlan, rows: list[dict]) -> None:
    """The reasons of the report's refused lines as the active language words them, from the
    uploaded rows judged again (a refused line changed nothing, so its reasons stand)."""
    again = {row.line: row for row in plan_import(rows).rows} if rows else {}
    for row in report.rows:
        fresh = again.get(row.line)
        if row.outcome == REFUSED and fresh is not None and fresh.outcome == REFUSED:
            row.reasons = fresh.reasons


def plan_to_session(plan: ImportPlan) -> list[dict]:
    return [dataclasses.asdict(row) for row in plan.rows]


def plan_from_session(rows: list[dict]) -> ImportPlan:
    return ImportPlan(rows=[RowOutcome(**row) for row in rows])
