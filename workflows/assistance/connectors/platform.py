"""The processor's own platform database, read and erased through a declared mapping
(settings.PLATFORM_MAPPING) on a configured database connection (settings.PLATFORM_DATABASE).
Table and column names come from the mapping, values always travel as query parameters."""

import datetime
import re
import unicodedata
from collections.abc import Iterator

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy

from workflows.assistance.connectors import (
    DIFFERS,
    OTHER_RECORD,
    ConnectorError,
    Erased,
    Expected,
    Finding,
    Identifiers,
    Mismatch,
)
from workflows.assistance.connectors.platform_mapping import Columns, PlatformMapping, Rows

EXPORT_BATCH = 1000
# Identifiers that may decide whose record is used: those the request's download factors go to
# (e-mail address, mobile number), and the BSN.
ANCHORS = frozenset({"email", "mobile", "bsn"})


def _plain(name: str) -> str:
    """A name as compared: without accents, case or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", letters.casefold()))


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def _as_datetime(value) -> datetime.datetime | None:
    """SQLite hands back text for aggregates over timestamp columns."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    if isinstance(value, datetime.date):
        return datetime.datetime.combine(value, datetime.time(), tzinfo=datetime.UTC)
    parsed = datetime.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


class PlatformConnector:
    key = "platform"
    label = gettext_lazy("The app's platform")
    subprocessor = ""
    # The processor's own platform, hosted at a sub-processor: `check --deploy` holds that host
    # against the register (agreement art. 7.1) without making it a source of manual steps.
    hosted_by = "VANAD Enovation"
    practice_scoped = True
    takes_also = True  # picks one row per identifier set, each row once (patient_keys)

    def __init__(self, alias: str | None = None, mapping: PlatformMapping | None = None) -> None:
        self._alias = alias
        self._mapping = mapping

    @property
    def alias(self) -> str:
        return self._alias or settings.PLATFORM_DATABASE

    @property
    def mapping(self) -> PlatformMapping:
        return self._mapping or import_string(settings.PLATFORM_MAPPING)

    def _q(self, name: str) -> str:
        return connections[self.alias].ops.quote_name(name)

    def _query(self, sql: str, params) -> list[tuple]:
        try:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        except DatabaseError as exc:
            raise ConnectorError(f"platform database: {exc}") from exc

    # --- Which patient rows ----------------------------------------------------------------
    def patient_keys(self, ids: Identifiers) -> list:
        """The patient rows of this practice that the identifiers point to: the one chosen by
        the request's own identifiers and, for each confirmed further identifier, the one it
        chooses on its own (each row once)."""
        keys: list = []
        for each in ids.each():
            keys += [key for key in self._chosen(each) if key not in keys]
        return keys

    def _chosen(self, ids: Identifiers) -> list:
        """The one patient row of this practice that the identifiers point to.

        Only a row that the request's own channels (the e-mail address or mobile number that
        sign-in and the download's SMS code go to) or its BSN point to is taken: a patient or
        device number alone may be anybody's, and a package must never reach the requester
        with another patient's data. Identifiers can be shared (a family's mobile number), so
        of those rows the one matching the most identifiers is taken; when rows tie, nothing is
        exported or erased and support must narrow it down with the practice."""
        matches = self._matches(ids, within_practice=True)
        anchored = {key: names for key, names in matches.items() if names & ANCHORS}
        if not anchored:
            return []
        best = max(len(names) for names in anchored.values())
        top = [key for key, names in anchored.items() if len(names) == best]
        if len(top) > 1:
            raise ConnectorError(
                f"{len(top)} patient records match these identifiers equally well: "
                "ask the practice for the patient number or BSN"
            )
        return top

    def known_elsewhere(self, ids: Identifiers) -> bool:
        """Whether the identifiers also point to a patient of another practice."""
        return any(self._matches(each, within_practice=False) for each in ids.each())

    def compare(self, ids: Identifiers, expected: Expected) -> list[Mismatch]:
        """Where the row chosen for `ids` disagrees with the request: an identifier of the
        request that points to another row or that the row holds otherwise, and a name or date
        of birth that differs. Only the row of the request's own identifiers is compared: the
        rows of further identifiers were confirmed by the practice as the same patient's."""
        keys = self._chosen(ids.primary())
        if not keys:
            return []
        (key,) = keys
        found = []
        for name, rows in self._pointing(expected.ids, within_practice=True).items():
            if key in rows:
                continue
            if rows:
                found.append(Mismatch(self.key, name, OTHER_RECORD))
            elif self._holds(name, key):
                found.append(Mismatch(self.key, name, DIFFERS))
        name, born = self._name_and_birth_date(key)
        if expected.name and name and _plain(name) != _plain(expected.name):
            found.append(Mismatch(self.key, "name", DIFFERS))
        if expected.birth_date and born and str(born)[:10] != expected.birth_date.isoformat():
            found.append(Mismatch(self.key, "birth_date", DIFFERS))
        return found

    def _pointing(self, ids: Identifiers, *, within_practice: bool) -> dict[str, set]:
        """Identifier name -> the patient row keys it points to (within the practice, or at
        every other practice)."""
        m, q = self.mapping, self._q
        p = m.patients
        scope = "=" if within_practice else "<>"
        pointing: dict[str, set] = {}
        for name, value in ids.given().items():
            locator = m.identifiers.get(name)
            if locator is None:
                continue
            column = f"t.{q(locator.column)}"
            if locator.lower:
                column, value = f"LOWER({column})", value.strip().lower()
            if locator.patient:
                sql = (
                    f"SELECT DISTINCT p.{q(p.key)} FROM {q(locator.table)} t JOIN {q(p.table)} p "
                    f"ON p.{q(p.key)} = t.{q(locator.patient)} "
                    f"WHERE p.{q(p.practice)} {scope} %s AND {column} = %s"
                )
            else:
                sql = (
                    f"SELECT t.{q(p.key)} FROM {q(p.table)} t "
                    f"WHERE t.{q(p.practice)} {scope} %s AND {column} = %s"
                )
            pointing[name] = {key for (key,) in self._query(sql, [ids.practice_code, value])}
        return pointing

    def _matches(self, ids: Identifiers, *, within_practice: bool) -> dict:
        """Patient row key -> the names of the given identifiers that point to it."""
        matches: dict = {}
        for name, keys in self._pointing(ids, within_practice=within_practice).items():
            for key in keys:
                matches.setdefault(key, set()).add(name)
        return matches

    def _holds(self, name: str, key) -> bool:
        """Whether the patient row holds a value for identifier `name` at all."""
        m, q = self.mapping, self._q
        p, locator = m.patients, m.identifiers[name]
        column = q(locator.column)
        if locator.patient:
            sql = (
                f"SELECT COUNT(*) FROM {q(locator.table)} "
                f"WHERE {q(locator.patient)} = %s AND {column} IS NOT NULL"
            )
        else:
            sql = (
                f"SELECT COUNT(*) FROM {q(p.table)} WHERE {q(p.key)} = %s AND {column} IS NOT NULL"
            )
        return bool(self._query(sql, [key])[0][0])

    def _name_and_birth_date(self, key) -> tuple[str, object]:
        """The row's name (its name columns joined) and date of birth, where the mapping has
        them as columns of the patient row."""
        m, q = self.mapping, self._q
        p = m.patients
        values = []
        for category in ("name", "birth_date"):
            spec = m.categories.get(category)
            if not isinstance(spec, Columns):
                values.append(None)
                continue
            sql = f"SELECT {', '.join(q(c) for c in spec.columns)} FROM {q(p.table)} "
            sql += f"WHERE {q(p.key)} = %s"
            row = self._query(sql, [key])[0]
            parts = [str(v) for v in row if v not in (None, "")]
            values.append(" ".join(parts) or None)
        return values[0] or "", values[1]

    def _rows_from(self, spec: Rows) -> tuple[str, str]:
        """FROM clause and the column holding the patient key, for a Rows category."""
        q = self._q
        if spec.via is None:
            return f"{q(spec.table)} r", f"r.{q(spec.patient)}"
        v = spec.via
        return (
            f"{q(spec.table)} r JOIN {q(v.table)} v ON v.{q(v.key)} = r.{q(v.fk)}",
            f"v.{q(v.patient)}",
        )

    @staticmethod
    def _in(keys: list) -> str:
        return ", ".join(["%s"] * len(keys))

    # --- Connector interface -----------------------------------------------------------------
    def find(self, ids: Identifiers) -> list[Finding]:
        keys = self.patient_keys(ids)
        if not keys:
            return []
        m, q = self.mapping, self._q
        p = m.patients
        findings = []
        for category, spec in m.categories.items():
            if isinstance(spec, Columns):
                present = " OR ".join(f"{q(c)} IS NOT NULL" for c in spec.columns)
                sql = (
                    f"SELECT COUNT(*) FROM {q(p.table)} "
                    f"WHERE {q(p.key)} IN ({self._in(keys)}) AND ({present})"
                )
                count, first, last = self._query(sql, keys)[0][0], None, None
            else:
                source, patient_col = self._rows_from(spec)
                sql = (
                    f"SELECT COUNT(*), MIN(r.{q(spec.time)}), MAX(r.{q(spec.time)}) "
                    f"FROM {source} WHERE {patient_col} IN ({self._in(keys)})"
                )
                count, first, last = self._query(sql, keys)[0]
            if count:
                findings.append(
                    Finding(self.key, category, count, _as_datetime(first), _as_datetime(last))
                )
        return findings

    def export(self, ids: Identifiers) -> Iterator[tuple[str, dict]]:
        keys = self.patient_keys(ids)
        if not keys:
            return
        m, q = self.mapping, self._q
        p = m.patients
        for category, spec in m.categories.items():
            if isinstance(spec, Columns):
                cols = ", ".join(q(c) for c in spec.columns)
                sql = (
                    f"SELECT {cols} FROM {q(p.table)} WHERE {q(p.key)} IN ({self._in(keys)}) "
                    f"ORDER BY {q(p.key)}"
                )
                for row in self._query(sql, keys):
                    if any(v is not None for v in row):
                        yield (
                            category,
                            {c: _json_value(v) for c, v in zip(spec.columns, row, strict=True)},
                        )
                continue
            yield from self._export_rows(category, spec, keys)

    def _export_rows(self, category: str, spec: Rows, keys: list) -> Iterator[tuple[str, dict]]:
        """Keyset pages of EXPORT_BATCH rows: memory stays flat however many rows there are."""
        q = self._q
        source, patient_col = self._rows_from(spec)
        cols = ", ".join(f"r.{q(c)}" for c in (spec.key, *spec.columns))
        last_key = None
        while True:
            after = "" if last_key is None else f" AND r.{q(spec.key)} > %s"
            sql = (
                f"SELECT {cols} FROM {source} WHERE {patient_col} IN ({self._in(keys)}){after} "
                f"ORDER BY r.{q(spec.key)} LIMIT {EXPORT_BATCH}"
            )
            rows = self._query(sql, keys + ([] if last_key is None else [last_key]))
            for row in rows:
                yield (
                    category,
                    {c: _json_value(v) for c, v in zip(spec.columns, row[1:], strict=True)},
                )
            if len(rows) < EXPORT_BATCH:
                return
            last_key = rows[-1][0]

    def erase(self, ids: Identifiers, keep: frozenset[str]) -> list[Erased]:
        """Delete the rows of every category not kept; the patient row goes too unless something
        linked to it is kept, in which case only its columns of erased categories are blanked."""
        keys = self.patient_keys(ids)
        if not keys:
            return []
        return self._erase(self._in(keys), keys, keep)

    def _erase(self, selection: str, params: list, keep: frozenset[str]) -> list[Erased]:
        """Erase the patient rows whose keys `selection` gives (placeholders or a subquery, with
        `params`)."""
        m, q = self.mapping, self._q
        p = m.patients
        results: list[Erased] = []
        try:
            with transaction.atomic(using=self.alias), connections[self.alias].cursor() as cur:
                row_kept = False
                for category, spec in m.categories.items():
                    if not isinstance(spec, Rows):
                        continue
                    source, patient_col = self._rows_from(spec)
                    cur.execute(
                        f"SELECT COUNT(*) FROM {source} WHERE {patient_col} IN ({selection})",
                        params,
                    )
                    count = cur.fetchone()[0]
                    if category in keep:
                        row_kept = row_kept or count > 0
                        results.append(Erased(self.key, category, 0, count))
                        continue
                    if spec.via is None:
                        cur.execute(
                            f"DELETE FROM {q(spec.table)} WHERE {q(spec.patient)} IN ({selection})",
                            params,
                        )
                    else:
                        v = spec.via
                        cur.execute(
                            f"DELETE FROM {q(spec.table)} WHERE {q(v.fk)} IN (SELECT {q(v.key)} "
                            f"FROM {q(v.table)} WHERE {q(v.patient)} IN ({selection}))",
                            params,
                        )
                        cur.execute(
                            f"DELETE FROM {q(v.table)} WHERE {q(v.patient)} IN ({selection})",
                            params,
                        )
                    results.append(Erased(self.key, category, count))
                row_kept = row_kept or any(
                    c in keep
                    for c, s in m.categories.items()
                    if isinstance(s, Columns) and not s.structural
                )
                for category, spec in m.categories.items():
                    if not isinstance(spec, Columns):
                        continue
                    present = " OR ".join(f"{q(c)} IS NOT NULL" for c in spec.columns)
                    cur.execute(
                        f"SELECT COUNT(*) FROM {q(p.table)} "
                        f"WHERE {q(p.key)} IN ({selection}) AND ({present})",
                        params,
                    )
                    count = cur.fetchone()[0]
                    if category in keep or (spec.structural and row_kept):
                        results.append(Erased(self.key, category, 0, count))
                    elif row_kept:
                        blank = ", ".join(f"{q(c)} = NULL" for c in spec.columns)
                        cur.execute(
                            f"UPDATE {q(p.table)} SET {blank} WHERE {q(p.key)} IN ({selection})",
                            params,
                        )
                        results.append(Erased(self.key, category, count))
                    else:
                        results.append(Erased(self.key, category, count))
                if not row_kept:
                    cur.execute(
                        f"DELETE FROM {q(p.table)} WHERE {q(p.key)} IN ({selection})", params
                    )
        except DatabaseError as exc:
            raise ConnectorError(f"platform database: {exc}") from exc
        return [r for r in results if r.removed or r.kept]

    # --- The whole practice (agreement art. 11.2: the end of the contract) -------------------
    # The platform holds every app user of the practice, not only those who filed a request:
    # at the end of the contract all of them are returned and erased, through the same mapping.
    PATIENTS = "patients"

    def _of_practice(self) -> str:
        """The keys of every patient row of the practice (one parameter: its AGB code)."""
        p, q = self.mapping.patients, self._q
        return f"SELECT {q(p.key)} FROM {q(p.table)} WHERE {q(p.practice)} = %s"

    def practice_counts(self, practice_code: str) -> dict[str, int]:
        """How many patient rows the practice has, and rows per category held in other tables."""
        m, q = self.mapping, self._q
        p = m.patients
        sql = f"SELECT COUNT(*) FROM {q(p.table)} WHERE {q(p.practice)} = %s"
        counts = {self.PATIENTS: self._query(sql, [practice_code])[0][0]}
        for category, spec in m.categories.items():
            if isinstance(spec, Rows):
                source, patient_col = self._rows_from(spec)
                sql = (
                    f"SELECT COUNT(*) FROM {source} WHERE {patient_col} IN ({self._of_practice()})"
                )
                counts[category] = self._query(sql, [practice_code])[0][0]
        return counts

    def practice_columns(self) -> dict[str, list[str]]:
        """The columns export_practice gives, per table it names (`patients` and each category
        held in rows): each row carries the patient row's key as `patient`."""
        m = self.mapping
        columns = {self.PATIENTS: ["patient"]}
        for spec in m.categories.values():
            if isinstance(spec, Columns):
                columns[self.PATIENTS] += [
                    c for c in spec.columns if c not in columns[self.PATIENTS]
                ]
        for category, spec in m.categories.items():
            if isinstance(spec, Rows):
                columns[category] = ["patient", *spec.columns]
        return columns

    def export_practice(self, practice_code: str) -> Iterator[tuple[str, dict]]:
        """Every patient row of the practice and every row linked to one, table by table."""
        for table in self.practice_columns():
            for row in self.export_practice_table(practice_code, table):
                yield table, row

    def export_practice_table(self, practice_code: str, table: str) -> Iterator[dict]:
        """One of the tables practice_columns names, in keyset pages of EXPORT_BATCH rows."""
        m, q = self.mapping, self._q
        p = m.patients
        if table == self.PATIENTS:
            source, patient_col, key = f"{q(p.table)} r", f"r.{q(p.key)}", f"r.{q(p.key)}"
            columns = self.practice_columns()[self.PATIENTS][1:]
        else:
            spec = m.categories[table]
            source, patient_col = self._rows_from(spec)
            key, columns = f"r.{q(spec.key)}", list(spec.columns)
        cols = ", ".join([key, patient_col, *(f"r.{q(c)}" for c in columns)])
        last = None
        while True:
            after = "" if last is None else f" AND {key} > %s"
            sql = (
                f"SELECT {cols} FROM {source} WHERE {patient_col} IN ({self._of_practice()})"
                f"{after} ORDER BY {key} LIMIT {EXPORT_BATCH}"
            )
            rows = self._query(sql, [practice_code] + ([] if last is None else [last]))
            for row in rows:
                yield {"patient": row[1]} | {
                    c: _json_value(v) for c, v in zip(columns, row[2:], strict=True)
                }
            if len(rows) < EXPORT_BATCH:
                return
            last = rows[-1][0]

    def practice_contacts(self, practice_code: str) -> list[Identifiers]:
        """Each patient's e-mail address and mobile number, as identifiers for the sources that
        hold data per address or number (the e-mail and SMS providers)."""
        m, q = self.mapping, self._q
        p = m.patients
        found: dict = {}
        for name in ("email", "mobile"):
            locator = m.identifiers.get(name)
            if locator is None:
                continue
            if locator.patient:
                sql = (
                    f"SELECT p.{q(p.key)}, t.{q(locator.column)} FROM {q(locator.table)} t "
                    f"JOIN {q(p.table)} p ON p.{q(p.key)} = t.{q(locator.patient)} "
                    f"WHERE p.{q(p.practice)} = %s AND t.{q(locator.column)} IS NOT NULL"
                )
            else:
                sql = (
                    f"SELECT {q(p.key)}, {q(locator.column)} FROM {q(p.table)} "
                    f"WHERE {q(p.practice)} = %s AND {q(locator.column)} IS NOT NULL"
                )
            for key, value in self._query(sql, [practice_code]):
                found.setdefault(key, {})[name] = value
        return [
            Identifiers(practice_code=practice_code, **values)
            for _key, values in sorted(found.items(), key=lambda item: str(item[0]))
        ]

    def erase_practice(self, practice_code: str) -> list[Erased]:
        """Erase every patient of the practice, with all linked rows, in one transaction: run
        again, it finds nothing and removes nothing."""
        return self._erase(self._of_practice(), [practice_code], frozenset())
