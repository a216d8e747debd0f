"""Files encrypted at rest, written and read in chunks so memory stays flat whatever their size.

Layout: a sequence of records, each a 4-byte big-endian length followed by one Fernet token
(AES-128-CBC + HMAC-SHA256) of an 8-byte record number and up to CHUNK bytes of plaintext, ending
with an empty one; the numbers make reordered or spliced records fail like changed ones.
A changed or truncated file fails to decrypt instead of yielding wrong data.
"""

import hashlib
import io
import os
import struct
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import InvalidToken

from requests_app.fields import fernet

CHUNK = 256 * 1024
MAGIC = b"SEALED2\n"


class SealedFileError(Exception):
    """The file is damaged, truncated or was sealed with another key."""


class SealedWriter(io.RawIOBase):
    """A write-only binary stream that encrypts as it goes; also counts and hashes plaintext."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tmp = path.with_suffix(path.suffix + ".part")
        self._file = open(self._tmp, "wb")  # noqa: SIM115 - closed in close()
        os.chmod(self._tmp, 0o600)
        self._file.write(MAGIC)
        self._buffer = bytearray()
        self._fernet = fernet()
        self.size = 0
        self.sha256 = hashlib.sha256()
        self._done = False
        self._records = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        data = bytes(data)
        self._buffer += data
        self.size += len(data)
        self.sha256.update(data)
        while len(self._buffer) >= CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]))
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes) -> None:
        token = self._fernet.encrypt(struct.pack(">Q", self._records) + plain)
        self._records += 1
        self._file.write(struct.pack(">I", len(token)))
        self._file.write(token)

    def close(self) -> None:
        """Flush and move the finished file into place (a half-written file never appears)."""
        if not self._done and not self._file.closed:
            if self._buffer:
                self._seal(bytes(self._buffer))
                self._buffer.clear()
            self._seal(b"")  # end marker: a file cut short at a record boundary is detected
            self._file.close()
            os.replace(self._tmp, self.path)
            self._done = True
        super().close()

    def discard(self) -> None:
        """Give up: remove the partial file."""
        self._file.close()
        self._tmp.unlink(missing_ok=True)
        self._done = True
        super().close()


def read_sealed(path: Path) -> Iterator[bytes]:
    """The plaintext of a sealed file, chunk by chunk."""
    key = fernet()
    expected = 0
    with open(path, "rb") as file:
        if file.read(len(MAGIC)) != MAGIC:
            raise SealedFileError(f"{path.name} is not a sealed file")
        while True:
            header = file.read(4)
            if len(header) < 4:
                raise SealedFileError(f"{path.name} is truncated")
            (length,) = struct.unpack(">I", header)
            token = file.read(length)
            if len(token) < length:
                raise SealedFileError(f"{path.name} is truncated")
            try:
                record = key.decrypt(token)
            except InvalidToken as exc:
                raise SealedFileError(f"{path.name} cannot be decrypted") from exc
            if len(record) < 8 or struct.unpack(">Q", record[:8])[0] != expected:
                raise SealedFileError(f"{path.name} has records out of order")
            expected += 1
            if len(record) == 8:
                return
            yield record[8:]


class SealedReader(io.RawIOBase):
    """A readable stream over a sealed file (for zipfile, csv and friends)."""

    def __init__(self, path: Path) -> None:
        self._chunks = read_sealed(path)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(target), len(self._buffer))
        target[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n
