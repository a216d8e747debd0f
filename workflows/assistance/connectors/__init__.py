"""Where the processor holds a patient's data, behind one small interface.

A connector is given a patient's identifiers and answers three questions: what do you hold
(`find`: counts and date ranges per data category, nothing else), give it to me (`export`: rows
one at a time, so a package never needs everything in memory) and remove it (`erase`: counts per
category, safe to run again). Which connectors run is configuration (settings.DATA_CONNECTORS),
not code in views.
"""

import dataclasses
import datetime
import functools
from collections.abc import Iterator
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclasses.dataclass(frozen=True)
class Identifiers:
    """What identifies the patient, always within one practice (its AGB code)."""

    practice_code: str
    email: str = ""
    mobile: str = ""  # E.164, e.g. +31612345678
    patient_number: str = ""
    bsn: str = ""
    device_id: str = ""
    # Further (name, value) pairs under which the practice confirmed the patient's data are held
    # too (another e-mail address or mobile number): an export or erasure covers them as well.
    also: tuple[tuple[str, str], ...] = ()

    def given(self) -> dict[str, str]:
        """The identifiers that have a value (the practice code and `also` excepted)."""
        return {
            name: value
            for name, value in dataclasses.asdict(self).items()
            if value and name not in ("practice_code", "also")
        }

    def primary(self) -> "Identifiers":
        """The request's own identifiers, without `also`."""
        return dataclasses.replace(self, also=())

    def each(self) -> list["Identifiers"]:
        """The request's own identifiers, then each further one on its own (a further address
        never combines with the request's number to pick a record)."""
        return [self.primary()] + [
            Identifiers(practice_code=self.practice_code, **{name: value})
            for name, value in self.also
        ]


@dataclasses.dataclass(frozen=True)
class Finding:
    """What one source holds of one data category: how much, and from when to when."""

    source: str  # the connector's key
    category: str  # a requests_app.models.DataCategory value
    count: int
    first: datetime.datetime | None = None
    last: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True)
class Erased:
    """What one erasure run removed (or, by the practice's exception, kept) of a category."""

    source: str
    category: str
    removed: int
    kept: int = 0


@dataclasses.dataclass(frozen=True)
class Expected:
    """What the request says about the patient, to hold the record a source chose against."""

    ids: Identifiers
    name: str = ""
    birth_date: datetime.date | None = None


# Where a chosen record and the request disagree.
OTHER_RECORD = "other_record"  # the request's identifier points at another patient's record
DIFFERS = "differs"  # the record holds another value than the request

WHAT = {
    "email": gettext_lazy("the e-mail address"),
    "mobile": gettext_lazy("the mobile number"),
    "patient_number": gettext_lazy("the patient number"),
    "bsn": gettext_lazy("the BSN"),
    "device_id": gettext_lazy("the device id"),
    "name": gettext_lazy("the name"),
    "birth_date": gettext_lazy("the date of birth"),
}


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """One disagreement between the request and the record a source chose for it."""

    source: str  # the connector's key
    field: str  # a key of WHAT
    problem: str  # OTHER_RECORD or DIFFERS

    def text(self) -> str:
        try:
            source = str(connector_by_key(self.source).label)
        except KeyError:  # no longer configured
            source = self.source
        values = {"source": source, "what": WHAT.get(self.field, self.field)}
        if self.problem == OTHER_RECORD:
            return (
                _(
                    "%(source)s: %(what)s on the request belongs to another patient than the "
                    "record used."
                )
                % values
            )
        return _("%(source)s: %(what)s on the request differs from the record used.") % values


class ConnectorError(Exception):
    """The source could not be reached or refused. `removed` says what an erasure had removed,
    per category, before it failed (so a certificate counts it)."""

    def __init__(self, message: str, *, removed: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.removed = removed or {}


class Connector(Protocol):
    key: str  # stable, stored with findings and erasure runs
    label: str  # shown to people
    subprocessor: str  # the SubProcessor.name it stands for; "" for the processor's own platform
    # Optional: the SubProcessor.name that hosts the source (the platform's hosting company).
    # False when the source cannot tell one practice's data from another's (an SMS account or an
    # e-mail provider serves the whole app): then it is only exported or erased for a patient
    # who is known at no other practice.
    practice_scoped: bool

    def find(self, ids: Identifiers) -> list[Finding]: ...

    def export(self, ids: Identifiers) -> Iterator[tuple[str, dict]]:
        """(category, row) pairs; a row holds only JSON-serialisable values."""
        ...

    def erase(self, ids: Identifiers, keep: frozenset[str]) -> list[Erased]:
        """Remove what is held, except the categories in `keep`. Running it twice removes
        nothing the second time and does not fail."""
        ...

    # Optional, for a source that picks one patient record among several (the platform):
    # def compare(self, ids: Identifiers, expected: Expected) -> list[Mismatch]: where the record
    # chosen for `ids` disagrees with the request.


def configured_connectors() -> list[Connector]:
    return [_connector(path) for path in settings.DATA_CONNECTORS]


def connector_by_key(key: str) -> Connector:
    for connector in configured_connectors():
        if connector.key == key:
            return connector
    raise KeyError(key)


@functools.lru_cache(maxsize=16)
def _connector(path: str) -> Connector:
    return import_string(path)()
