"""The end of the contract (agreement art. 10.6, 11.1, 11.2): a practice's data returned in one
encrypted, documented archive and then destroyed everywhere, with a certificate."""

import datetime
import hashlib
import io
import json
import re

import jsonschema
import pytest
import pyzipper
from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import models
from django.urls import reverse

from demo import platform as demo
from requests_app.models import (
    AuditRecord,
    ChangeAnswer,
    ChangeKind,
    ExitReason,
    ExitState,
    HourlyRate,
    Incident,
    IncidentCategory,
    IncidentUpdate,
    LegalOrder,
    Membership,
    Practice,
    PracticeExit,
    Request,
    SubProcessor,
    SubProcessorApproval,
)
from requests_app.roles import Role
from tests.factories import a_register, approve, decided, make_user, released_package, submit
from workflows.assistance import charges, general, legal_orders
from workflows.assistance import tasks as assistance
from workflows.assistance.connectors.platform import PlatformConnector
from workflows.casework import incidents
from workflows.models import Notification, Purpose
from workflows.practice_exit import archive, destruction, exits, sections
from workflows.practice_exit.destruction import PORTAL_MODELS
from workflows.register import changes

ALL_CONNECTORS = [
    "workflows.assistance.connectors.platform.PlatformConnector",
    "workflows.assistance.connectors.twilio_sms.TwilioSmsConnector",
    "workflows.assistance.connectors.sendgrid_contacts.SendGridContactsConnector",
]
ADMIN = "admin@processor.example"


@pytest.fixture
def admin(db):
    return make_user(ADMIN, Role.PROCESSOR_ADMIN)


@pytest.fixture
def exit_dirs(settings, tmp_path):
    settings.EXIT_ARCHIVE_DIR = tmp_path / "exits"
    return tmp_path


@pytest.fixture
def seeded(
    platform_db,
    providers,
    package_dir,
    exit_dirs,
    settings,
    practice,
    other_practice,
    patient,
    handler,
    other_handler,
    support,
):
    """Two practices with requests, a released package, an incident, approvals; the platform
    seeded for both; SendGrid and Twilio holding data of patients of each."""
    settings.DATA_CONNECTORS = ALL_CONNECTORS
    call_command(
        "seed_platform", patients=30, messages=200, database="default", stdout=io.StringIO()
    )
    demo.add_patient(
        "default",
        practice_agb=practice.agb_code,
        email=patient.email,
        mobile=patient.phone,
        birth_date=patient.birth_date,
        messages=5,
    )
    a_register()
    for p in (practice, other_practice):
        approve(p, "VANAD Enovation", "SendGrid")
    item = decided(practice, patient, handler, kind="access", grant=False)
    released_package(item, handler, support)
    submit(practice, patient, kind="complaint", about_processor=True)
    theirs = demo.Patient.objects.filter(practice_agb=other_practice.agb_code).first()
    ours = (
        demo.Patient.objects.filter(practice_agb=practice.agb_code)
        .exclude(email=patient.email)
        .first()
    )
    their_item = decided(
        other_practice,
        patient.__class__(
            name="Piet Elders",
            birth_date=datetime.date(1970, 1, 1),
            email=theirs.email,
            phone=theirs.mobile,
        ),
        other_handler,
        kind="access",
        grant=False,
    )
    assistance.request_assistance(
        their_item, actor=other_handler, kind="supply", instruction="Alles"
    )
    work = the_processors_work(
        support, {practice: handler, other_practice: other_handler}, item.tasks.get()
    )
    for email in (patient.email, ours.email, theirs.email):
        providers.add_contact(email, "Jan", "Test")
        providers.add_suppression("bounces", email)
    for number in (patient.phone, ours.mobile, theirs.mobile):
        providers.add_sms(number, "+3197010000000", "Uw code is 123456")
    return {"theirs": theirs, "ours": ours} | work


FUNCTION = "Functionaris voor de exit-test"


def the_processors_work(support, handlers: dict, our_task) -> dict:
    """For each practice: an incident of its own with an update, a legal order, a question with
    time on it, time on an assistance task and an answer to an announced change; and one
    incident that concerns both practices."""
    today = datetime.date.today()
    HourlyRate.objects.get_or_create(
        function=FUNCTION, valid_from=datetime.date(2000, 1, 1), defaults={"rate": 100}
    )
    shared, _new = incidents.record(
        actor=support,
        category=IncidentCategory.BREACH,
        practices=list(handlers),
        fields={"nature": "Verkeerd geadresseerde e-mails"},
    )
    incidents.update(shared, actor=support, version=None, text="Oorzaak gevonden", changes={})
    change = changes.announce(
        actor=support,
        kind=ChangeKind.NEW,
        subprocessor=SubProcessor.objects.create(
            name="Mailgun", service="e-mail", location="Duitsland", categories=["email"]
        ),
        description_nl="Mailgun verstuurt e-mail.",
        description="Mailgun sends e-mail.",
        effective_on=changes.earliest_effective_date(),
    )
    own = {}
    for practice, handler in handlers.items():
        incident, _new = incidents.record(
            actor=support,
            category=IncidentCategory.UNLAWFUL,
            practices=[practice],
            fields={"nature": f"Onbevoegde inzage bij {practice.name}"},
        )
        incidents.update(incident, actor=support, version=None, text="Bijgewerkt", changes={})
        own[practice.pk] = incident
        legal_orders.record(
            [practice],
            actor=support,
            authority="Rechtbank",
            legal_basis="Art. 126nd Sv",
            order_reference=f"Bevel {practice.agb_code}",
            processing="Gegevens verstrekken",
            received_on=today,
            planned_on=today,
        )
        question = general.ask(
            practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?"
        )
        task = our_task if practice == our_task.practice else practice.tasks.get()
        for on in (question, task):
            charges.record_time(
                on,
                actor=support,
                day=today,
                minutes=30,
                function=FUNCTION,
                basis="chargeable",
                note="Uitgezocht",
            )
        manager = make_user(
            f"beheer-{practice.agb_code}@example.com", Role.PRACTICE_ADMIN, practice
        )
        changes.object_to(
            ChangeAnswer.objects.get(change=change, practice=practice),
            actor=manager,
            reason="Liever niet",
        )
    return {"shared": shared, "own": own}


def portal_counts(practice: Practice) -> dict[str, int]:
    counts = {
        name: model.objects.filter(**{path: practice}).count()
        for name, (model, path) in PORTAL_MODELS.items()
    }
    counts["incidents"] = sections.incidents_of(practice).count()
    counts["incident_updates"] = IncidentUpdate.objects.filter(
        incident__in=sections.incidents_of(practice)
    ).count()
    counts["notifications"] = Notification.objects.filter(request__practice=practice).count()
    counts["memberships"] = Membership.objects.filter(practice=practice).count()
    return counts


def platform_counts(practice: Practice) -> dict[str, int]:
    return PlatformConnector("default").practice_counts(practice.agb_code)


def export(practice, out, **extra) -> dict:
    stdout = io.StringIO()
    options = {
        "reason": "written_request",
        "reference": "Brief 2026-11",
        "dated": datetime.date(2026, 11, 1),
    }
    call_command(
        "export_practice", practice.agb_code, out=out, by=ADMIN, stdout=stdout, **(options | extra)
    )
    text = stdout.getvalue()
    return {
        "digest": re.search(r"Manifest SHA-256: (\w+)", text).group(1),
        "passphrase": re.search(r"Passphrase \(shown once, not stored\): (\S+)", text).group(1),
    }


def destroy(practice, directory) -> str:
    stdout = io.StringIO()
    call_command("destroy_practice", practice.agb_code, archive=directory, by=ADMIN, stdout=stdout)
    return stdout.getvalue()


# --- The registry covers every model of the practice -----------------------------------------
def _linked_models() -> set[type[models.Model]]:
    """Models with a foreign key to Practice or Request, directly or through one another."""
    linked = {Practice, Request}
    grew = True
    while grew:
        grew = False
        for model in apps.get_models():
            if model in linked:
                continue
            targets = {
                f.related_model
                for f in model._meta.get_fields()
                if f.many_to_one or f.one_to_one and f.concrete
            }
            if targets & linked:
                linked.add(model)
                grew = True
    return linked


def test_every_model_of_a_practice_is_in_a_section_or_excluded_with_a_reason():
    missing = [
        m._meta.label
        for m in _linked_models()
        if m not in sections.covered_models() and not sections.EXCLUDED.get(m, "").strip()
    ]
    assert missing == []


def test_the_format_page_documents_every_table_and_column():
    page = (django_settings.BASE_DIR / "docs" / "practice-archive.md").read_text()
    for section in sections.SECTIONS:
        for table, columns in section.columns.items():
            assert f"`{table}`" in page, table
            for column in columns:
                assert f"`{column.name}`" in page, (table, column.name)
    for table, columns in PlatformConnector().practice_columns().items():
        assert f"`platform_{table}`" in page
        assert all(f"`{c}`" in page for c in columns)


# --- A whole practice exported and destroyed; the other practice untouched --------------------
def test_a_practice_is_exported_and_destroyed_while_another_stays_untouched(
    seeded, practice, other_practice, patient, admin, providers, package_dir, tmp_path
):
    ours_before, theirs_before = portal_counts(practice), portal_counts(other_practice)
    platform_before = platform_counts(practice)
    theirs_platform = platform_counts(other_practice)
    assert ours_before["requests"] == 2 and ours_before["data_packages"] == 1
    # An incident of its own, the shared one and the request about the app's own processing.
    assert ours_before["incidents"] == 3 and platform_before["patients"] == 16
    assert ours_before["incident_updates"] == 2 and theirs_before["incidents"] == 2
    for name in ("legal_orders", "general_tasks", "subprocessor_change_answers"):
        assert ours_before[name] == theirs_before[name] == 1, name
    assert ours_before["time_entries"] == theirs_before["time_entries"] == 2
    assert ours_before["subprocessor_change_events"] == 1
    files_before = list(package_dir.iterdir())
    assert files_before

    out = tmp_path / "archive"
    printed = export(practice, out)
    record = PracticeExit.objects.get(practice=practice)
    assert record.state == ExitState.EXPORTED and record.manifest_digest == printed["digest"]
    manifest = json.loads((out / "manifest.json").read_text())
    counts = {t["table"]: t["records"] for t in manifest["tables"]}
    assert counts["requests"] == 2 and counts["platform_patients"] == 16
    assert counts["platform_conversations"] == platform_before["conversations"]
    assert counts["provider_sendgrid"] >= 2 and counts["provider_twilio"] == 2
    for name in [*PORTAL_MODELS, "incidents", "incident_updates"]:
        assert counts[name] == ours_before[name], name
    assert counts["incidents"] == 3 and counts["incident_updates"] == 2
    assert counts["time_entries"] == 2 and counts["general_task_events"] >= 2

    text = destroy(practice, out)
    digest = re.search(r"Certificate SHA-256: (\w+)", text).group(1)
    record = PracticeExit.objects.get(pk=record.pk)
    assert record.state == ExitState.CERTIFIED and record.certificate_digest == digest

    assert all(n == 0 for name, n in portal_counts(practice).items() if name != "memberships")
    assert Membership.objects.filter(practice=practice).exclude(role=Role.DPO).count() == 0
    assert not SubProcessorApproval.objects.filter(practice=practice).exists()
    assert all(n == 0 for n in platform_counts(practice).values())
    assert portal_counts(other_practice) == theirs_before
    # The shared incident stays for the other practice, with only its record; ours is gone.
    shared = seeded["shared"]
    assert list(shared.concerned.values_list("practice", flat=True)) == [other_practice.pk]
    assert shared.updates.count() == 1
    assert not Incident.objects.filter(pk=seeded["own"][practice.pk].pk).exists()
    assert Incident.objects.filter(pk=seeded["own"][other_practice.pk].pk).exists()
    assert not IncidentUpdate.objects.filter(incident=seeded["own"][practice.pk].pk).exists()
    assert platform_counts(other_practice) == theirs_platform
    assert list(package_dir.iterdir()) == []
    assert not (out / manifest["archive"]).exists()  # the processor's copy is gone too
    # The providers: our patients' data gone, theirs kept.
    theirs = seeded["theirs"]
    assert {c["email"] for c in providers.contacts()} == {theirs.email}
    assert {m["to"] for m in providers.sms_messages()} == {theirs.mobile}
    practice.refresh_from_db()
    assert practice.active is False

    # The certificate: what was removed where, with counts, what is kept and why.
    cert = record.certificate
    removed = {step["step"]: step["removed"] for step in cert["removed"]}
    assert removed["platform"]["conversations"] == platform_before["conversations"]
    assert removed["portal"]["requests"] == 2 and removed["portal"]["incidents"] == 2
    assert removed["portal"]["incidents_shared_kept"] == 1
    assert removed["portal"]["incident_records"] == 3
    assert removed["portal"]["legal_orders"] == removed["portal"]["general_tasks"] == 1
    assert removed["portal"]["time_entries"] == 2
    assert removed["files"]["files"] == len(files_before)
    assert removed["twilio"]["mobile"] == 2
    assert cert["export"]["manifest_sha256"] == printed["digest"]
    assert cert["practice"]["agb_code"] == practice.agb_code
    assert cert["reason"]["reference"] == "Brief 2026-11"
    kept = {item["key"]: item for item in cert["kept"]}
    assert kept["audit_log"]["count"] > 0
    years = django_settings.AUDIT_RETENTION_YEARS
    assert kept["audit_log"]["until"].startswith(str(datetime.date.today().year + years))
    assert str(years) in kept["audit_log"]["text"]
    assert destruction.manifest_digest(cert) == digest
    # The FG and stand-in heard at once what is kept, and then got the certificate.
    mails = Notification.objects.filter(purpose=Purpose.PRACTICE_EXIT, practice=practice)
    assert set(mails.values_list("recipient", flat=True)) == set(practice.privacy_emails())
    assert mails.count() == 4 and mails.filter(body__contains=digest).count() == 2
    # The audit log stays (append-only), with the exit's own records.
    assert AuditRecord.objects.filter(
        practice_id_ref=practice.pk, event_type="practice_exit.certify"
    ).exists()

    # Run again: nothing more to do, nothing removed twice.
    with pytest.raises(CommandError, match="no exit in progress"):
        destroy(practice, out)


def test_the_manifest_restores_from_the_archive_and_every_checksum_holds(
    seeded, practice, admin, tmp_path
):
    out = tmp_path / "archive"
    printed = export(practice, out)
    beside = (out / "manifest.json").read_bytes()
    assert hashlib.sha256(beside).hexdigest() == printed["digest"]
    manifest = json.loads(beside)
    schema = django_settings.BASE_DIR / "docs" / "practice-archive-manifest.schema.json"
    jsonschema.validate(manifest, json.loads(schema.read_text()))
    with pyzipper.AESZipFile(out / manifest["archive"]) as opened:
        with pytest.raises(RuntimeError):
            opened.read("index.html")  # no passphrase, no content
        opened.setpassword(printed["passphrase"].encode())
        assert opened.read("manifest.json") == beside
        for entry in manifest["files"]:
            data = opened.read(entry["path"])
            assert len(data) == entry["size"], entry["path"]
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
            if entry["path"].startswith("json/"):
                assert len(json.loads(data)["records"]) == entry["records"]
            if entry["path"].startswith("csv/"):
                assert data.decode().count("\r\n") >= entry["records"] + 1
        assert "html/requests.html" in opened.read("index.html").decode()
    checksum = (out / f"{manifest['archive']}.sha256").read_text().split()[0]
    assert checksum == archive.sha256_file(out / manifest["archive"])


def test_export_refuses_a_directory_that_is_not_empty(seeded, practice, admin, tmp_path):
    out = tmp_path / "used"
    out.mkdir()
    (out / "something.txt").write_text("x")
    with pytest.raises(CommandError, match="not an empty directory"):
        export(practice, out)
    # Checked before the start: the practice keeps receiving requests, no exit is open.
    assert not PracticeExit.objects.filter(practice=practice).exists()
    assert Practice.objects.get(pk=practice.pk).active


# --- Destruction refused: nothing changed -------------------------------------------------
def _refused(practice, directory, message, counts_before):
    with pytest.raises(CommandError, match=message):
        destroy(practice, directory)
    assert PracticeExit.objects.get(practice=practice).state == ExitState.EXPORTED
    assert portal_counts(practice) == counts_before
    assert platform_counts(practice)["patients"] > 0


def test_destruction_is_refused_without_the_right_archive_or_after_new_data(
    seeded, practice, other_practice, patient, admin, tmp_path
):
    out = tmp_path / "ours"
    export(practice, out)
    manifest = json.loads((out / "manifest.json").read_text())
    before = portal_counts(practice)
    _refused(practice, tmp_path / "nowhere", "no manifest.json", before)

    theirs = tmp_path / "theirs"
    export(other_practice, theirs)
    _refused(practice, theirs, "belongs to practice 07654321", before)

    zipped = out / manifest["archive"]
    original = zipped.read_bytes()
    zipped.write_bytes(original[:-10] + b"0123456789")
    _refused(practice, out, "checksum does not verify", before)
    zipped.write_bytes(original)

    (out / "manifest.json").write_text(json.dumps(manifest | {"created_at": "x"}))
    _refused(practice, out, "not the one recorded", before)
    (out / "manifest.json").write_bytes(
        json.dumps(manifest, ensure_ascii=False, indent=1).encode() + b"\n"
    )

    submit(practice, patient)
    _refused(practice, out, "sinds de export veranderd", portal_counts(practice))

    # An earlier export's directory no longer counts once a newer one is recorded.
    newer = tmp_path / "newer"
    export(practice, newer)
    _refused(practice, out, "not the one recorded", portal_counts(practice))


def test_only_a_processor_administrator_starts_or_destroys(
    seeded, practice, support, handler, admin, tmp_path
):
    for who in (support, handler):
        with pytest.raises(PermissionDenied):
            exits.start_exit(
                practice,
                actor=who,
                reason=ExitReason.AGREEMENT_ENDED,
                reference="Opzegging",
                dated=datetime.date(2026, 10, 1),
            )
    record = exits.start_exit(
        practice,
        actor=admin,
        reason=ExitReason.AGREEMENT_ENDED,
        reference="Opzegging",
        dated=datetime.date(2026, 10, 1),
    )
    with pytest.raises(PermissionDenied):
        exits.export(record, tmp_path / "a", actor=support)
    with pytest.raises(destruction.DestructionRefused, match="Exporteer eerst het archief"):
        destruction.destroy(record, tmp_path / "a", actor=admin)
    exits.export(record, tmp_path / "a", actor=admin)
    with pytest.raises(PermissionDenied):
        destruction.destroy(record, tmp_path / "a", actor=support)
    with pytest.raises(CommandError, match="not an active processor administrator"):
        call_command(
            "destroy_practice", practice.agb_code, archive=tmp_path / "a", by=support.email
        )
    assert PracticeExit.objects.get(pk=record.pk).state == ExitState.EXPORTED


# --- Resumed after a fault ----------------------------------------------------------------
def test_a_fault_at_a_provider_stops_the_run_and_the_next_run_goes_on(
    seeded, practice, admin, providers, tmp_path
):
    out = tmp_path / "archive"
    export(practice, out)
    platform_before = platform_counts(practice)
    providers.fail_next(1, 503, method="DELETE")
    with pytest.raises(CommandError, match="Not finished"):
        destroy(practice, out)
    record = PracticeExit.objects.get(practice=practice)
    assert record.state == ExitState.DESTROYING
    failed = record.steps.exclude(error="").get()
    assert failed.done_at is None and failed.attempts == 1
    # Nothing after the failed step ran: the platform and the portal are still whole.
    assert platform_counts(practice) == platform_before
    assert Request.objects.filter(practice=practice).count() == 2

    text = destroy(practice, out)  # the archive check is not repeated: the data are half gone
    assert "Certificate SHA-256" in text
    record = PracticeExit.objects.get(pk=record.pk)
    steps = {s["step"]: s for s in record.certificate["removed"]}
    assert steps[failed.key]["attempts"] == 2
    assert steps["twilio"]["removed"]["mobile"] == 2  # each message counted once
    assert steps["platform"]["attempts"] == 1


def test_manual_steps_hold_the_certificate_until_support_ticks_them_off(
    seeded, practice, admin, support, tmp_path
):
    push = SubProcessor.objects.create(
        name="AWS",
        service="push notifications",
        location="Ierland",
        categories=["device_id"],
    )
    approve(practice, "AWS")
    out = tmp_path / "archive"
    export(practice, out)
    with pytest.raises(CommandError, match="Not finished"):
        destroy(practice, out)
    record = PracticeExit.objects.get(practice=practice)
    step = record.steps.get(subprocessor=push)
    assert record.state == ExitState.DESTROYING and step.done_at is None
    with pytest.raises(PermissionDenied):
        destruction.tick_manual_step(
            step, actor=admin.__class__.objects.get(email="handler@practice.example"), note="x"
        )
    with pytest.raises(destruction.DestructionRefused):
        destruction.tick_manual_step(step, actor=support, note=" ")
    destruction.tick_manual_step(step, actor=support, note="Apparaat-tokens verwijderd in AWS SNS")
    destroy(practice, out)
    record = PracticeExit.objects.get(pk=record.pk)
    assert record.state == ExitState.CERTIFIED
    assert record.certificate["manual_steps"] == [
        {
            "subprocessor": "AWS",
            "done_at": step.done_at.isoformat(timespec="seconds")
            if step.done_at
            else record.certificate["manual_steps"][0]["done_at"],
            "done_by": support.email,
            "note": "Apparaat-tokens verwijderd in AWS SNS",
        }
    ]


def test_retention_is_bijlage_1s_fifteen_years_unless_the_practice_asks_otherwise(db):
    from workflows.assistance.packages.build import APP_RETENTION_YEARS
    from workflows.housekeeping.retention import DEFAULT_RETENTION_YEARS

    fresh = Practice.objects.create(
        name="Nieuw",
        agb_code="01111111",
        street="Laan 1",
        postcode="1234AB",
        city="Ede",
        dpo_name="Fien",
        dpo_email="fg@nieuw.example",
    )
    assert fresh.retention_years == 15
    assert DEFAULT_RETENTION_YEARS == APP_RETENTION_YEARS == 15


# --- Starting the exit stops new intake --------------------------------------------------------
def test_once_the_exit_started_patients_cannot_choose_the_practice_and_the_api_refuses_it(
    client, practice, other_practice, admin, api_key
):
    from tests.payloads import URL, body

    def api(agb):
        return client.post(
            URL,
            json.dumps(body(practice=agb)),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {api_key}",
        )

    assert f"/request/{practice.agb_code}/" in client.get("/", {"q": "Utrecht"}).content.decode()
    exits.start_exit(
        practice,
        actor=admin,
        reason=ExitReason.AGREEMENT_ENDED,
        reference="Opzegging",
        dated=datetime.date(2026, 10, 1),
    )
    practice.refresh_from_db()
    assert practice.active is False
    search = client.get("/", {"q": "Utrecht"}).content.decode()
    assert f"/request/{practice.agb_code}/" not in search
    assert client.get(f"/request/{practice.agb_code}/").status_code == 404
    refused = api(practice.agb_code)
    assert refused.status_code == 400
    assert refused.json()["errors"]["practice"] == [
        "Deze praktijk ontvangt geen verzoeken meer via dit portaal."
    ]
    assert not Request.objects.exists()
    assert api(other_practice.agb_code).status_code == 201  # the other practice still receives

    client.force_login(admin)
    page = client.get(reverse("staff:exit", args=[practice.exits.get().pk])).content.decode()
    assert "Gestopt sinds de start van de exit" in page


# --- A legal order under a ban on notice ------------------------------------------------------
def test_an_order_under_a_ban_on_notice_is_not_returned_and_holds_up_the_destruction(
    seeded, practice, support, admin, tmp_path
):
    today = datetime.date.today()
    (order,) = legal_orders.record(
        [practice],
        actor=support,
        authority="Officier van justitie",
        legal_basis="Art. 126ng Sv",
        order_reference="Geheim 1",
        processing="Gegevens bewaren",
        received_on=today,
        planned_on=today,
    )
    legal_orders.forbid_notice(order, actor=support, ground="Lopend onderzoek")
    out = tmp_path / "archive"
    export(practice, out)
    manifest = json.loads((out / "manifest.json").read_text())
    counts = {t["table"]: t["records"] for t in manifest["tables"]}
    assert counts["legal_orders"] == 1  # the order of the_processors_work, not this one
    before = portal_counts(practice)
    _refused(practice, out, "verbod op kennisgeving", before)
    assert LegalOrder.objects.filter(pk=order.pk).exists()

    legal_orders.lift_ban(LegalOrder.objects.get(pk=order.pk), actor=support)
    _refused(practice, out, "sinds de export veranderd", portal_counts(practice))
    newer = tmp_path / "newer"
    export(practice, newer)
    assert "Certificate SHA-256" in destroy(practice, newer)
    assert not LegalOrder.objects.filter(practice=practice).exists()
