"""The package's ZIP: rows spooled per source and category, then written out three ways.

`package.json` (streamed, described by docs/data-package.schema.json, which goes in too), one
CSV per source and category, and `index.html`, a page a person can read and print, rendered
from templates/packages/. Rows are read back from the spools one at a time, so memory does not
grow with the data.
"""

import contextlib
import csv
import datetime
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.template.loader import get_template, render_to_string

from requests_app.models import DataCategory
from workflows.assistance.packages.labels import cell, heading
from workflows.assistance.sealed_files import SealedReader, SealedWriter
from workflows.csv_cells import safe_cell

SCHEMA_FILE = settings.BASE_DIR / "docs" / "data-package.schema.json"

Key = tuple[str, str]  # (source, category)


class Spools:
    """One encrypted JSON-lines spool per (source, category), in export order."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.writers: dict[Key, SealedWriter] = {}
        self.counts: dict[Key, int] = {}
        self.fields: dict[Key, list[str]] = {}

    def add(self, source: str, category: str, row: dict) -> None:
        key = (source, category)
        if key not in self.writers:
            self.writers[key] = SealedWriter(self.directory / f"{len(self.writers)}.jsonl")
            self.counts[key] = 0
            self.fields[key] = []
        # Every field any row has becomes a column (rows of one source may differ).
        self.fields[key] += [name for name in row if name not in self.fields[key]]
        line = json.dumps(row, ensure_ascii=False).encode("utf-8", errors="replace")
        self.writers[key].write(line + b"\n")
        self.counts[key] += 1

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def rows(self, key: Key) -> Iterator[dict]:
        reader = io.BufferedReader(SealedReader(self.writers[key].path))
        for line in io.TextIOWrapper(reader, encoding="utf-8"):
            yield json.loads(line)


def write_zip(sink, statement: dict, spools: Spools, connectors: dict) -> None:
    """The whole package into `sink` (a file-like object), in the active language."""
    labels = {c.value: str(c.label) for c in DataCategory}
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with _text_member(archive, "package.json") as out:
            _write_json(out, statement, spools, connectors, labels)
        for key in spools.writers:
            with _text_member(archive, f"csv/{key[0]}-{key[1]}.csv", newline="") as out:
                _write_csv(out, spools, key)
        with _text_member(archive, "index.html") as out:
            _write_page(out, statement, spools, connectors, labels)
        archive.write(SCHEMA_FILE, "data-package.schema.json")


@contextlib.contextmanager
def _text_member(archive: zipfile.ZipFile, name: str, newline: str | None = None):
    """One member of the ZIP, written as UTF-8 text."""
    with archive.open(name, "w") as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline=newline)
        yield out
        out.flush()
        out.detach()  # the member is closed by archive.open, not by the wrapper


def _write_json(out, statement: dict, spools: Spools, connectors: dict, labels: dict) -> None:
    """The statement, then each source's categories and rows, streamed."""
    head = json.dumps(statement, ensure_ascii=False, indent=1)
    out.write(head[: head.rindex("}")].rstrip() + ',\n "sources": [')
    by_source: dict[str, list[Key]] = {}
    for key in spools.writers:
        by_source.setdefault(key[0], []).append(key)
    for s_index, (source, keys) in enumerate(by_source.items()):
        connector = connectors[source]
        out.write(("," if s_index else "") + "\n  ")
        meta = {"key": source, "label": str(connector.label)}
        meta["subprocessor"] = connector.subprocessor
        out.write(json.dumps(meta, ensure_ascii=False)[:-1] + ', "categories": [')
        for c_index, key in enumerate(keys):
            category = {"category": key[1], "label": labels.get(key[1], key[1])}
            category["count"] = spools.counts[key]
            out.write(("," if c_index else "") + "\n   ")
            out.write(json.dumps(category, ensure_ascii=False)[:-1] + ', "records": [')
            for r_index, row in enumerate(spools.rows(key)):
                out.write(("," if r_index else "") + "\n    ")
                out.write(json.dumps(row, ensure_ascii=False))
            out.write("]}")
        out.write("]}")
    out.write("\n ]\n}\n")


def _write_csv(out, spools: Spools, key: Key) -> None:
    table = csv.DictWriter(out, fieldnames=spools.fields[key], extrasaction="ignore")
    table.writeheader()
    for row in spools.rows(key):
        table.writerow({name: safe_cell(value) for name, value in row.items()})


def _with_times(section: dict) -> dict:
    """The portal records with their ISO times as datetimes, so the page shows them in the
    reader's language and time zone."""

    def rows(items: list[dict]) -> list[dict]:
        return [
            {
                k: datetime.datetime.fromisoformat(v)
                if (k == "at" or k.endswith("_at")) and isinstance(v, str) and v
                else v
                for k, v in item.items()
            }
            for item in items
        ]

    return {k: rows(v) if isinstance(v, list) else v for k, v in section.items()}


def _write_page(out, statement: dict, spools: Spools, connectors: dict, labels: dict) -> None:
    """The readable page: the statement, then a table per source and category, a row at a time
    (one template per row, so a big table is never held whole)."""
    sections = [
        {
            "source": str(connectors[key[0]].label),
            "category": labels.get(key[1], key[1]),
            "count": spools.counts[key],
            "anchor": f"{key[0]}-{key[1]}",
        }
        for key in spools.writers
    ]
    generated = datetime.datetime.fromisoformat(statement["generated_at"])
    page = {"s": statement, "sections": sections, "generated": generated}
    if "portal_records" in statement:
        page["s"] = statement | {"portal_records": _with_times(statement["portal_records"])}
    out.write(render_to_string("packages/head.html", page))
    row_template = get_template("packages/row.html")
    for key, section in zip(spools.writers, sections, strict=True):
        fields = spools.fields[key]
        headings = [heading(name) for name in fields]
        out.write(render_to_string("packages/section_start.html", section | {"headings": headings}))
        for row in spools.rows(key):
            # Times and coded values in words (the CSV keeps them); the template escapes it.
            cells = [cell(name, row.get(name)) for name in fields]
            out.write(row_template.render({"cells": zip(headings, cells, strict=True)}))
        out.write(render_to_string("packages/section_end.html"))
    out.write(render_to_string("packages/foot.html", {"s": page["s"]}))
