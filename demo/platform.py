"""A realistic stand-in for the processor's platform database (patients, devices,
conversations, messages, video calls), so the platform connector can be shown and tested on
SQLite and PostgreSQL. The portal never owns these tables: they are created on demand in the
database named by settings.PLATFORM_DATABASE (by `seed_platform`), outside the migrations."""

import datetime
import random

from django.apps.registry import Apps
from django.db import connections, models, transaction
from django.db.models.functions import Lower

_apps = Apps()


class _Meta:
    apps = _apps
    app_label = "platform_demo"


class Patient(models.Model):
    practice_agb = models.CharField(max_length=8)
    patient_number = models.CharField(max_length=50, null=True)
    first_name = models.CharField(max_length=100, null=True)
    last_name = models.CharField(max_length=100, null=True)
    birth_date = models.DateField(null=True)
    bsn = models.CharField(max_length=9, null=True)
    postcode = models.CharField(max_length=7, null=True)
    email = models.CharField(max_length=254, null=True)
    mobile = models.CharField(max_length=20, null=True)
    created_at = models.DateTimeField()

    class Meta(_Meta):
        db_table = "platform_patient"
        indexes = [
            models.Index(fields=["practice_agb", "patient_number"], name="platform_pat_number"),
            # The connector compares e-mail addresses case-insensitively.
            models.Index(Lower("email"), name="platform_pat_email"),
            models.Index(fields=["mobile"], name="platform_pat_mobile"),
            models.Index(fields=["bsn"], name="platform_pat_bsn"),
        ]


class Device(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, db_column="patient_id")
    device_id = models.CharField(max_length=200, db_index=True)
    platform = models.CharField(max_length=10)
    registered_at = models.DateTimeField()

    class Meta(_Meta):
        db_table = "platform_device"


class Conversation(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, db_column="patient_id")
    subject = models.CharField(max_length=200)
    started_at = models.DateTimeField()

    class Meta(_Meta):
        db_table = "platform_conversation"


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, db_column="conversation_id"
    )
    sender = models.CharField(max_length=10)  # "patient" or "practice"
    body = models.TextField()
    sent_at = models.DateTimeField()

    class Meta(_Meta):
        db_table = "platform_message"


class VideoCall(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, db_column="patient_id")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    ip_address = models.CharField(max_length=45)

    class Meta(_Meta):
        db_table = "platform_video_call"


MODELS = [Patient, Device, Conversation, Message, VideoCall]


def create_schema(alias: str) -> bool:
    """Create the demo tables where missing; True if anything was created."""
    connection = connections[alias]
    existing = set(connection.introspection.table_names())
    missing = [m for m in MODELS if m._meta.db_table not in existing]
    if missing:
        with connection.schema_editor() as editor:
            for model in missing:
                editor.create_model(model)
    return bool(missing)


def clear(alias: str) -> None:
    with transaction.atomic(using=alias):
        for model in reversed(MODELS):
            model.objects.using(alias).all().delete()


# fmt: off
FIRST = [
    "Anna", "Bram", "Chantal", "Daan", "Emma", "Fatima", "Gijs", "Hanna", "Iris", "Joris",
    "Khadija", "Lars", "Mila", "Noah", "Olga", "Pieter", "Quinten", "Roos", "Sem", "Tess",
]
LAST = [
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser", "Smit",
    "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "Yilmaz",
    "El Amrani", "Dekker", "Brouwer",
]
SUBJECTS = [
    "Herhaalrecept", "Uitslag bloedonderzoek", "Vraag over medicatie", "Afspraak",
    "Verwijzing", "Klachten na vaccinatie", "Wondcontrole",
]
PATIENT_LINES = [
    "Goedemorgen, ik heb een vraag over mijn medicijnen.",
    "Kan ik een herhaalrecept aanvragen?", "De klachten zijn nog niet over.",
    "Dank u wel voor de snelle reactie.",
]
WORDS = [
    "pijn", "koorts", "hoofdpijn", "recept", "apotheek", "afspraak", "morgen", "vanmiddag",
    "uitslag", "bloed", "controle", "medicijnen", "dosering", "bijwerkingen", "huid", "wond",
    "verband", "rug", "knie", "slapen", "moe", "hoest", "keel", "oor", "vaccinatie", "griep",
    "corona", "verwijzing", "fysiotherapeut", "ziekenhuis", "specialist", "week", "maand",
    "dank", "graag", "vraag", "klacht", "beter", "slechter", "sinds", "gisteren", "vanochtend",
    "telefonisch", "spreekuur",
]
PRACTICE_LINES = [
    "Het recept staat klaar bij de apotheek.", "De uitslag is goed, er is geen actie nodig.",
    "Wilt u een afspraak maken op het spreekuur?", "Beterschap!",
]
# fmt: on


def valid_bsn(seed: int) -> str:
    """A number that passes the BSN eleven-test (demo data only)."""
    n = 100_000_000 + seed * 7 % 800_000_000
    while True:
        digits = [int(d) for d in f"{n:09d}"]
        total = sum(d * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - digits[8]
        if total % 11 == 0:
            return f"{n:09d}"
        n += 1


def patient_row(i: int, agb: str, start: datetime.datetime, rng: random.Random) -> Patient:
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    return Patient(
        practice_agb=agb,
        patient_number=f"P{i + 1:07d}",
        first_name=first,
        last_name=last,
        birth_date=datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30_000)),
        bsn=valid_bsn(i + 1) if i % 3 == 0 else None,  # the BSN is optional (Bijlage 1)
        postcode=f"{1000 + i % 8999}{'ABCDEFGH'[i % 8]}{'JKLMNPRS'[i // 8 % 8]}",
        email=f"{first}.{last.replace(' ', '')}.{i + 1}@example.nl".lower(),
        mobile=f"+316{10_000_000 + i:08d}",
        created_at=start + datetime.timedelta(minutes=i),
    )


def seed(
    alias: str,
    *,
    patients: int,
    messages: int,
    practice_codes: list[str],
    seed_value: int = 7,
    batch: int = 5000,
) -> dict[str, int]:
    """Fill the demo platform with `patients` patients spread over the practices and `messages`
    messages over their conversations. Deterministic for a given seed. Returns the row counts."""
    rng = random.Random(seed_value)
    start = datetime.datetime(2022, 1, 3, 8, 0, tzinfo=datetime.UTC)
    create_schema(alias)
    clear(alias)
    counts = dict.fromkeys(["patients", "devices", "conversations", "messages", "video_calls"], 0)
    conversations: list[tuple[int, datetime.datetime]] = []
    db = Patient.objects.using(alias)
    for low in range(0, patients, batch):
        rows = [
            patient_row(i, practice_codes[i % len(practice_codes)], start, rng)
            for i in range(low, min(low + batch, patients))
        ]
        db.bulk_create(rows)  # fills in the ids (RETURNING on both databases)
        devices, convs, calls = [], [], []
        for p in rows:
            devices.append(
                Device(
                    patient_id=p.id,
                    device_id=f"dev-{p.id:08d}-{rng.randrange(16**6):06x}",
                    platform=rng.choice(["ios", "android"]),
                    registered_at=p.created_at,
                )
            )
            for _ in range(1 + p.id % 3):
                started = p.created_at + datetime.timedelta(days=rng.randrange(1, 1000))
                convs.append(
                    Conversation(
                        patient_id=p.id,
                        subject=rng.choice(SUBJECTS),
                        started_at=started,
                    )
                )
            if p.id % 10 == 0:
                began = p.created_at + datetime.timedelta(days=rng.randrange(1, 900))
                calls.append(
                    VideoCall(
                        patient_id=p.id,
                        started_at=began,
                        ended_at=began + datetime.timedelta(minutes=10),
                        ip_address=f"192.0.2.{p.id % 250 + 1}",
                    )
                )
        Device.objects.using(alias).bulk_create(devices)
        Conversation.objects.using(alias).bulk_create(convs)
        VideoCall.objects.using(alias).bulk_create(calls)
        conversations += [(c.id, c.started_at) for c in convs]
        counts["patients"] += len(rows)
        counts["devices"] += len(devices)
        counts["conversations"] += len(convs)
        counts["video_calls"] += len(calls)
    counts["messages"] = add_messages(alias, conversations, messages, rng, batch)
    return counts


def add_messages(
    alias: str,
    conversations: list[tuple[int, datetime.datetime]],
    count: int,
    rng: random.Random,
    batch: int = 5000,
) -> int:
    """`count` messages spread at random over the given conversations."""
    if not conversations:
        return 0
    made = 0
    while made < count:
        rows = []
        for n in range(made, min(made + batch, count)):
            conv_id, started = conversations[rng.randrange(len(conversations))]
            from_patient = n % 2 == 0
            # Varied text, so packages compress like real conversations, not like one line.
            words = " ".join(rng.choices(WORDS, k=rng.randrange(4, 30))) + "."
            rows.append(
                Message(
                    conversation_id=conv_id,
                    sender="patient" if from_patient else "practice",
                    body=f"{rng.choice(PATIENT_LINES if from_patient else PRACTICE_LINES)} {words}",
                    sent_at=started + datetime.timedelta(minutes=rng.randrange(60 * 24 * 30)),
                )
            )
        Message.objects.using(alias).bulk_create(rows)
        made += len(rows)
    return made


def add_patient(
    alias: str,
    *,
    practice_agb: str,
    email: str,
    mobile: str = "",
    first_name: str = "Jan",
    last_name: str = "Jansen",
    birth_date: datetime.date | None = None,
    patient_number: str = "",
    bsn: str = "",
    device_id: str = "",
    messages: int = 0,
    video_calls: int = 0,
) -> Patient:
    """One known patient, e.g. the demo request's patient or the benchmark's heavy user."""
    create_schema(alias)
    now = datetime.datetime(2023, 3, 1, 9, 0, tzinfo=datetime.UTC)
    patient = Patient.objects.using(alias).create(
        practice_agb=practice_agb,
        patient_number=patient_number or None,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        bsn=bsn or None,
        postcode="3511AB",
        email=email.lower(),
        mobile=mobile or None,
        created_at=now,
    )
    if device_id:
        Device.objects.using(alias).create(
            patient=patient, device_id=device_id, platform="ios", registered_at=now
        )
    if messages:
        conv = Conversation.objects.using(alias).create(
            patient=patient, subject="Herhaalrecept", started_at=now
        )
        add_messages(alias, [(conv.id, now)], messages, random.Random(patient.id))
    for n in range(video_calls):
        began = now + datetime.timedelta(days=n + 1)
        VideoCall.objects.using(alias).create(
            patient=patient,
            started_at=began,
            ended_at=began + datetime.timedelta(minutes=12),
            ip_address="198.51.100.7",
        )
    return patient
