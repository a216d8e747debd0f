"""Checkpoints of the audit chain kept outside the database ("anchors").

Someone who holds the database and the chain key could rewrite records and recompute every hash
after them. A checkpoint (a record's position and keyed hash, and when it was taken) that was
copied out of the database earlier catches that: the rewritten record's hash no longer matches
it. Checkpoints are appended, one JSON line each, to a file in AUDIT_ANCHOR_DIR (in production a
write-once store), and mailed to each practice's FG, who can hand one back to the check
(`verify_audit_log --anchor SEQ:HASH`).
"""

import dataclasses
import json
import os
import re
from pathlib import Path

from django.conf import settings

STORE_NAME = "audit-anchors.jsonl"
HASH = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    at: str = ""  # ISO 8601 time the checkpoint was taken; empty for one given by hand

    @property
    def label(self) -> str:
        return f"#{self.seq} taken {self.at}" if self.at else f"#{self.seq} given by hand"

    @classmethod
    def parse(cls, text: str) -> "Anchor":
        """'SEQ:HASH', as a checkpoint e-mail shows it."""
        seq, _, digest = text.strip().partition(":")
        digest = digest.strip().lower()
        seq = seq.strip()
        # ASCII digits only: "²".isdigit() is true, and int("²") fails.
        if not (seq.isascii() and seq.isdigit()) or int(seq) < 1 or not HASH.fullmatch(digest):
            raise ValueError(f"not a checkpoint (SEQ:HASH with a 64-character hex hash): {text!r}")
        return cls(int(seq), digest)

    def line(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at}, sort_keys=True)


def store_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_DIR) / STORE_NAME


def read_anchors(path: Path | None = None) -> tuple[list[Anchor], list[str]]:
    """All checkpoints in the store, in the order written, and the lines that could not be read
    (a write cut short, or tampering) for the report. A missing store holds none."""
    path = path or store_path()
    anchors, unreadable = [], []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            anchor = Anchor(int(fields["seq"]), str(fields["hash"]), str(fields.get("at", "")))
            if anchor.seq < 1 or not HASH.fullmatch(anchor.hash):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            unreadable.append(f"{path}:{number}")
            continue
        anchors.append(anchor)
    return anchors, unreadable


def append_anchor(anchor: Anchor, path: Path | None = None) -> None:
    """Append one line and make it durable before anyone is told about the checkpoint."""
    path = path or store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: a line is only ever added at the end, never over an earlier one.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (anchor.line() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
