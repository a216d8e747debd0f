"""The practice's exit archive (agreement art. 11.2: returned "in a commonly used, structured and
documented format, electronically"): one AES-256 encrypted ZIP that 7-Zip and other common tools
open with the passphrase, holding every section of the registry (sections.py) as CSV, JSON and a
readable HTML page, index.html linking them all, the format's documentation and manifest.json.

The manifest names each file with its size, SHA-256 and record count, and the state of the data
it was made from (records and a digest per table); it lies inside the archive and beside it, with
the archive's own checksum (`<archive>.sha256`, for `sha256sum -c`). docs/practice-archive.md
documents the format. The passphrase is made here and shown once: it is never stored.
"""

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyzipper
from django.conf import settings
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from requests_app.models import Practice
from workflows.assistance.sealed_files import SealedReader, SealedWriter
from workflows.csv_cells import safe_cell
from workflows.practice_exit import sections

FORMAT = "practice-archive"
FORMAT_VERSION = "1.0"
MANIFEST = "manifest.json"
DOCS = settings.BASE_DIR / "docs" / "practice-archive.md"
SCHEMA = settings.BASE_DIR / "docs" / "practice-archive-manifest.schema.json"
# Unambiguous letters and digits (no 0/O, 1/l/I): 32 symbols, 5 bits each.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PASSPHRASE_GROUPS, GROUP_LENGTH = 6, 5  # 30 symbols, about 150 bits


class ArchiveRefused(Exception):
    """The archive cannot be written (or does not prove what it must): nothing was changed."""


@dataclasses.dataclass(frozen=True)
class Export:
    directory: Path
    archive: Path
    manifest: dict
    digest: str  # SHA-256 of manifest.json's bytes
    archive_sha256: str
    passphrase: str  # shown once, never stored


def new_passphrase() -> str:
    groups = (
        "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH))
        for _ in range(PASSPHRASE_GROUPS)
    )
    return "-".join(groups)


def canonical(row: dict) -> bytes:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str).encode()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_name(practice: Practice, when) -> str:
    return f"practice-{practice.agb_code}-{when:%Y%m%d-%H%M%S}.zip"


class _Spool:
    """One table's rows, encrypted at rest, read back three times (CSV, JSON, HTML)."""

    def __init__(self, directory: Path, index: int) -> None:
        self.writer = SealedWriter(directory / f"{index}.jsonl")
        self.count = 0
        self.digest = hashlib.sha256()

    def add(self, row: dict) -> None:
        line = canonical(row)
        self.writer.write(line + b"\n")
        self.digest.update(line + b"\n")
        self.count += 1

    def rows(self) -> Iterator[dict]:
        reader = io.BufferedReader(SealedReader(self.writer.path))
        for line in io.TextIOWrapper(reader, encoding="utf-8"):
            yield json.loads(line)


def state_of(tables: Iterable[tuple[sections.Section, sections.Table]]) -> dict:
    """Records and a digest of the rows per checked table: what the destruction holds the data
    against, so nothing is destroyed that the practice did not get."""
    state = {}
    for section, table in tables:
        if not section.checked:
            continue
        digest, count = hashlib.sha256(), 0
        for row in table.rows:
            digest.update(canonical(row) + b"\n")
            count += 1
        state[table.name] = {"records": count, "sha256": digest.hexdigest()}
    return state


def current_state(practice: Practice) -> dict:
    return state_of(sections.tables(practice, checked_only=True))


class _Member:
    """A ZIP member being written: counts its bytes and hashes them for the manifest."""

    def __init__(self, archive, path: str) -> None:
        self.path = path
        self._raw = archive.open(path, "w")
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self._raw.write(data)
        self.size += len(data)
        self.sha256.update(data)

    def close(self) -> dict:
        self._raw.close()
        return {"path": self.path, "size": self.size, "sha256": self.sha256.hexdigest()}


class _Text:
    """A text writer over a member (csv needs one)."""

    def __init__(self, member: _Member) -> None:
        self.member = member

    def write(self, text: str) -> int:
        self.member.write(text.encode("utf-8"))
        return len(text)


def _write_csv(archive, name: str, columns: list[str], rows: Iterable[dict]) -> dict:
    member = _Member(archive, f"csv/{name}.csv")
    writer = csv.writer(_Text(member), lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
        count += 1
    return member.close() | {"records": count}


def _cell(value):
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else safe_cell(value)


def _write_json(archive, table: sections.Table, rows: Iterable[dict]) -> dict:
    member = _Member(archive, f"json/{table.name}.json")
    head = {"table": table.name, "title": table.title, "columns": table.columns}
    member.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "records": [')
    count = 0
    for row in rows:
        member.write((b"," if count else b"") + b"\n  " + canonical(row))
        count += 1
    member.write(b"\n]}\n")
    return member.close() | {"records": count}


def _write_html(archive, table: sections.Table, rows: Iterable[dict], practice) -> dict:
    member = _Member(archive, f"html/{table.name}.html")
    context = {"table": table, "practice": practice}
    member.write(render_to_string("exits/archive_table_head.html", context).encode())
    count = 0
    for row in rows:
        cells = "".join(f"<td>{_html_cell(row.get(c))}</td>" for c in table.columns)
        member.write(f"<tr>{cells}</tr>\n".encode())
        count += 1
    member.write(render_to_string("exits/archive_table_foot.html", context).encode())
    return member.close() | {"records": count}


def _html_cell(value) -> str:
    from django.utils.html import escape

    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else escape(str(value))


def _write_bytes(archive, path: str, data: bytes) -> dict:
    member = _Member(archive, path)
    member.write(data)
    return member.close()


@contextlib.contextmanager
def _snapshot():
    """One consistent view of the portal's tables for the whole export (PostgreSQL: a
    repeatable-read transaction; inside an outer transaction, as in tests, that one's view)."""
    outer = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def check_target(directory: Path) -> Path:
    """The directory an export may be written into: new or empty, and not a link (what is
    written must land where it was named, not in the place a link points to)."""
    directory = Path(directory)
    if directory.is_symlink():
        raise ArchiveRefused(f"{directory} is a link: name the directory itself")
    directory = directory.resolve()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ArchiveRefused(f"{directory} is not an empty directory: choose a new one")
    return directory


def write_archive(practice: Practice, directory: Path, *, exit_number: str) -> Export:
    """Write the archive, its manifest and its checksum into `directory` (new or empty)."""
    directory = check_target(directory)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = timezone.now()
    name = archive_name(practice, created)
    passphrase = new_passphrase()
    files, state, tables = [], {}, []
    with tempfile.TemporaryDirectory(prefix="exit-spool-") as tmp:
        with _snapshot():
            for index, (section, table) in enumerate(sections.tables(practice)):
                spool = _Spool(Path(tmp), index)
                for row in table.rows:
                    spool.add(row)
                spool.writer.close()
                tables.append((section, table, spool))
                if section.checked:
                    state[table.name] = {
                        "records": spool.count,
                        "sha256": spool.digest.hexdigest(),
                    }
        partial = directory / (name + ".part")
        with pyzipper.AESZipFile(
            partial, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
        ) as archive:
            archive.setpassword(passphrase.encode())
            archive.setencryption(pyzipper.WZ_AES, nbits=256)
            listing = []
            for section, table, spool in tables:
                entry = {"table": table.name, "section": section.key, "title": table.title}
                entry["records"] = spool.count
                listing.append(entry)
                files.append(_write_csv(archive, table.name, table.columns, spool.rows()))
                files.append(_write_json(archive, table, spool.rows()))
                files.append(_write_html(archive, table, spool.rows(), practice))
            page = render_to_string(
                "exits/archive_index.html",
                {"practice": practice, "tables": listing, "created": created},
            )
            files.append(_write_bytes(archive, "index.html", page.encode()))
            files.append(_write_bytes(archive, "docs/practice-archive.md", DOCS.read_bytes()))
            files.append(_write_bytes(archive, "docs/manifest.schema.json", SCHEMA.read_bytes()))
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "practice": {"agb_code": practice.agb_code, "name": practice.name},
                "exit": exit_number,
                "created_at": created.isoformat(timespec="seconds"),
                "archive": name,
                "encryption": "AES-256 (WinZip AE-2), passphrase handed over separately",
                "tables": listing,
                "files": files,
                "state": state,
            }
            manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode() + b"\n"
            archive.writestr(MANIFEST, manifest_bytes)
    final = directory / name
    partial.replace(final)
    (directory / MANIFEST).write_bytes(manifest_bytes)
    archive_sha256 = sha256_file(final)
    (directory / f"{name}.sha256").write_text(f"{archive_sha256}  {name}\n")
    return Export(
        directory=directory,
        archive=final,
        manifest=manifest,
        digest=hashlib.sha256(manifest_bytes).hexdigest(),
        archive_sha256=archive_sha256,
        passphrase=passphrase,
    )


def read_manifest(archive: Path, passphrase: str) -> bytes:
    """manifest.json from inside the archive (needs the passphrase)."""
    with pyzipper.AESZipFile(archive) as opened:
        opened.setpassword(passphrase.encode())
        return opened.read(MANIFEST)


def member_names(archive: Path) -> set[str]:
    """The archive's file names: readable without the passphrase (only contents are encrypted)."""
    with pyzipper.AESZipFile(archive) as opened:
        return set(opened.namelist())


def verify(practice: Practice, directory: Path, *, digest: str, archive_sha256: str) -> dict:
    """The manifest beside the archive in `directory`, once it proves to be the export recorded
    for this practice: the manifest's digest is the recorded one, the archive's checksum holds,
    and the archive lists exactly the manifest's files. ArchiveRefused says what is wrong."""
    directory = Path(directory)
    if directory.is_symlink():
        raise ArchiveRefused(f"{directory} is a link: name the export's own directory")
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ArchiveRefused(f"no {MANIFEST} in {directory}: this is not an exit archive")
    data = manifest_path.read_bytes()
    try:
        manifest = json.loads(data)
    except ValueError:
        raise ArchiveRefused(f"{MANIFEST} is not JSON: the archive is damaged") from None
    agb = (manifest.get("practice") or {}).get("agb_code") if isinstance(manifest, dict) else None
    if agb != practice.agb_code:
        raise ArchiveRefused(f"this archive belongs to practice {agb}, not to {practice.agb_code}")
    if not digest:
        raise ArchiveRefused("no export is recorded for this practice: export first")
    if hashlib.sha256(data).hexdigest() != digest:
        raise ArchiveRefused(
            f"{MANIFEST} is not the one recorded at the export (changed, or an older export): "
            "use the latest export's directory"
        )
    archive = directory / str(manifest.get("archive", ""))
    if not manifest.get("archive") or not archive.is_file():
        raise ArchiveRefused(f"the archive {manifest.get('archive')} is missing from {directory}")
    # The export wrote these three and nothing else: anything more was put there by someone.
    expected = {MANIFEST, archive.name, f"{archive.name}.sha256"}
    extra = sorted(p.name for p in directory.iterdir() if p.name not in expected)
    linked = sorted(p.name for p in directory.iterdir() if p.is_symlink())
    if extra or linked:
        named = ", ".join(extra + linked)
        raise ArchiveRefused(
            f"{directory} holds more than the export wrote, or links ({named}): name the "
            "export's own directory, unchanged"
        )
    actual = sha256_file(archive)
    checksum = directory / f"{archive.name}.sha256"
    written = checksum.read_text().split()[0] if checksum.is_file() else ""
    if actual != archive_sha256 or written != archive_sha256:
        raise ArchiveRefused(f"the archive's checksum does not verify: {archive.name} was altered")
    try:
        names = member_names(archive)
    except (OSError, pyzipper.BadZipFile) as exc:
        raise ArchiveRefused(f"the archive cannot be read: {exc}") from None
    if names != {f["path"] for f in manifest["files"]} | {MANIFEST}:
        raise ArchiveRefused("the archive does not hold exactly the files its manifest lists")
    return manifest
