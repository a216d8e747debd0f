"""Where the platform keeps each data category of Bijlage 1: a declared mapping of tables and
columns, read by the platform connector. DEMO_MAPPING describes the demo platform schema in
demo.platform; a real platform gets its own mapping
(settings.PLATFORM_MAPPING) without any change to the connector."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class PatientTable:
    table: str
    key: str  # primary key column
    practice: str  # the practice's AGB code: every query is scoped by it


@dataclasses.dataclass(frozen=True)
class Locator:
    """Where an identifier is looked up. `patient` is the column pointing to the patient row when
    the identifier lives in another table (e.g. devices)."""

    table: str
    column: str
    patient: str = ""
    lower: bool = False  # compare case-insensitively (e-mail addresses)


@dataclasses.dataclass(frozen=True)
class Columns:
    """A category held in columns of the patient row itself."""

    columns: tuple[str, ...]
    # Needed to keep the row linked to its practice: never blanked, only removed with the row.
    structural: bool = False


@dataclasses.dataclass(frozen=True)
class Via:
    """A table between the rows and the patient, e.g. messages -> conversations -> patient."""

    table: str
    key: str
    fk: str  # column in the row table pointing at `table`
    patient: str  # column in `table` pointing at the patient


@dataclasses.dataclass(frozen=True)
class Rows:
    """A category held as rows of another table, each linked to the patient (directly or via)."""

    table: str
    key: str
    columns: tuple[str, ...]
    time: str  # for date ranges and ordering
    patient: str = ""
    via: Via | None = None


@dataclasses.dataclass(frozen=True)
class PlatformMapping:
    patients: PatientTable
    identifiers: dict[str, Locator]
    categories: dict[str, Columns | Rows]


DEMO_MAPPING = PlatformMapping(
    patients=PatientTable("platform_patient", key="id", practice="practice_agb"),
    identifiers={
        "email": Locator("platform_patient", "email", lower=True),
        "mobile": Locator("platform_patient", "mobile"),
        "patient_number": Locator("platform_patient", "patient_number"),
        "bsn": Locator("platform_patient", "bsn"),
        "device_id": Locator("platform_device", "device_id", patient="patient_id"),
    },
    categories={
        "name": Columns(("first_name", "last_name")),
        "birth_date": Columns(("birth_date",)),
        "care_organisation": Columns(("practice_agb",), structural=True),
        "patient_number": Columns(("patient_number",)),
        "bsn": Columns(("bsn",)),
        "postcode": Columns(("postcode",)),
        "email": Columns(("email",)),
        "mobile": Columns(("mobile",)),
        "device_id": Rows(
            "platform_device",
            key="id",
            columns=("device_id", "platform", "registered_at"),
            time="registered_at",
            patient="patient_id",
        ),
        "conversations": Rows(
            "platform_message",
            key="id",
            columns=("conversation_id", "sender", "body", "sent_at"),
            time="sent_at",
            via=Via("platform_conversation", key="id", fk="conversation_id", patient="patient_id"),
        ),
        "video_ip": Rows(
            "platform_video_call",
            key="id",
            columns=("started_at", "ended_at", "ip_address"),
            time="started_at",
            patient="patient_id",
        ),
    },
)
