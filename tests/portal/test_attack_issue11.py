"""Attacks on what issue 11 added: letters (page and PDF), the practice's documents, the art. 19
recipients and the "no processor data" reason, extra look-up identifiers, the art. 12(5) fee,
the register page and the portal's own records in the access answer. Each test performs one
attack and asserts what the attacker gets: nothing, a clear 4xx, and no change."""

import concurrent.futures
import dataclasses
import http.server
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from demo import platform as demo
from requests_app.legal import LegalGround
from requests_app.models import (
    AssistanceTask,
    AuditRecord,
    ExtraIdentifier,
    PracticeDocument,
    RecipientNotice,
    Request,
    RequestEvent,
    TaskEvent,
)
from requests_app.models.completion import register_recipients
from requests_app.roles import Role
from tests.factories import a_register, decided, make_user
from tests.live_http import Visitor
from workflows.assistance import packages
from workflows.assistance import tasks as assistance
from workflows.assistance.packages import portal_records
from workflows.casework import actions as casework
from workflows.casework import letters
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n(Medisch dossier)\n%%EOF\n"
SECOND = "jan.werk@example.com"


@pytest.fixture(autouse=True)
def register(db):
    a_register()


def fresh(item) -> Request:
    return Request.objects.get(pk=item.pk)


def today() -> str:
    return timezone.localdate().isoformat()


def told_data(key: str) -> dict:
    return {f"{key}-told_on": today(), f"{key}-how": "email"}


# --- A server that counts every fetch: the PDF must never ask it anything --------------------
class _Counting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (the standard library's name)
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def trap():
    _Counting.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Counting.hits
    server.shutdown()


def payload(url: str) -> str:
    """HTML that makes a careless renderer fetch a local file and addresses."""
    return (
        f'<img src="file:///etc/passwd"><img src="{url}/img">'
        f'<link rel="stylesheet" href="{url}/css">'
        f'<p style="background:url({url}/style)">x</p>'
        f"<style>@import url({url}/import);</style><script>alert(1)</script>"
    )


# --- Letters ---------------------------------------------------------------------------------
def test_html_in_a_refusal_reaches_the_letter_and_its_pdf_as_text_and_fetches_nothing(
    client, practice, patient, handler, providers, trap
):
    url, hits = trap
    item = decided(practice, patient, handler, kind="access", grant=False)
    item = casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason=payload(url),
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )
    letter = next(x for x in letters.letters_of(item) if x.name == "refusal")
    client.force_login(account_for(patient.email))
    page = client.get(f"/track/{item.reference}/letters/{letter.key}/").content.decode()
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in page
    assert "<script>alert(1)" not in page and '<img src="file' not in page
    pdf = client.get(f"/track/{item.reference}/letters/{letter.key}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    client.force_login(handler)
    staff_pdf = client.get(f"/staff/requests/{item.reference}/letters/{letter.key}/pdf/")
    assert staff_pdf.status_code == 200
    assert hits == []


def test_html_in_the_fee_and_the_destruction_record_is_text_in_the_pdf(
    client, practice, patient, handler, providers, trap
):
    url, hits = trap
    item = decided(practice, patient, handler, kind="access", grant=False)
    item = casework.act(
        item,
        "charge_fee",
        actor=handler,
        version=item.version,
        amount="15.00",
        justification=payload(url),
        cost_basis=payload(url),
    )
    fee = next(x for x in letters.letters_of(item) if x.name == "fee")
    client.force_login(handler)
    assert client.get(f"/staff/requests/{item.reference}/letters/{fee.key}/pdf/").status_code == 200
    page = client.get(f"/staff/requests/{item.reference}/letters/{fee.key}/").content.decode()
    assert "&lt;link rel=&quot;stylesheet&quot;" in page and f'href="{url}' not in page
    assert hits == []


def test_a_letter_key_whose_event_is_another_request_of_the_same_patient_is_not_found(
    client, practice, patient, handler, providers
):
    first = decided(practice, patient, handler, kind="access")
    second = decided(practice, patient, handler, kind="erasure")
    theirs = next(x for x in letters.letters_of(second) if x.name == "grant")
    client.force_login(account_for(patient.email))
    for path in (
        f"/track/{first.reference}/letters/{theirs.key}/",
        f"/staff/requests/{first.reference}/letters/{theirs.key}/",
    ):
        client.force_login(handler if path.startswith("/staff") else account_for(patient.email))
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("number", ["²", "١٢", "１", "99999999999999999999999", "0", "-1", "1e3"])
def test_odd_numbers_in_a_letter_key_are_a_404_never_a_500(
    client, practice, patient, handler, providers, number
):
    """str.isdigit() is true for "²" and other digits int() cannot read, or reads as another
    event's number ("１" is 1)."""
    item = decided(practice, patient, handler, kind="access")
    client.raise_request_exception = False
    client.force_login(account_for(patient.email))
    for suffix in ("", "pdf/"):
        response = client.get(f"/track/{item.reference}/letters/grant-{number}/{suffix}")
        assert response.status_code == 404, (number, suffix)
    client.force_login(handler)
    response = client.get(f"/staff/requests/{item.reference}/letters/grant-{number}/")
    assert response.status_code == 404


# --- Recipients (art. 19) and the reason why no processor data are concerned ---------------------
@pytest.fixture
def rectification(practice, patient, handler):
    return decided(practice, patient, handler, kind="rectification")


@pytest.mark.parametrize("role", [Role.DPO, Role.PRACTICE_ADMIN])
def test_the_fg_and_the_practice_admin_cannot_tick_a_recipient_nor_leave_a_row(
    client, practice, rectification, role
):
    client.raise_request_exception = False
    client.force_login(make_user(f"{role}@practice.example", role, practice))
    sub = register_recipients().first()
    key = f"s-{sub.pk}"
    base = f"/staff/requests/{rectification.reference}/recipients/"
    assert client.post(f"{base}{key}/told/", told_data(key)).status_code == 403
    assert client.post(f"{base}{key}/impossible/", {f"{key}-reason": "Weg"}).status_code == 403
    assert client.post(f"{base}add/", {"name": "Lab Noord"}).status_code == 403
    reason = {"version": rectification.version, "reason": "Alleen het dossier"}
    assert (
        client.post(
            f"/staff/requests/{rectification.reference}/no-processor-data/", reason
        ).status_code
        == 403
    )
    assert not RecipientNotice.objects.exists()  # not even an untouched row
    assert fresh(rectification).version == rectification.version


def test_ticking_a_register_recipient_where_none_is_due_leaves_no_row(
    client, practice, patient, handler
):
    """An access request has no recipients to tell; an erasure not yet decided neither."""
    sub = register_recipients().first()
    key = f"s-{sub.pk}"
    client.force_login(handler)
    for item in (
        decided(practice, patient, handler, kind="access"),
        decided(practice, patient, handler, kind="erasure", grant=False),
    ):
        url = f"/staff/requests/{item.reference}/recipients/{key}/told/"
        assert client.post(url, told_data(key)).status_code == 302
    assert not RecipientNotice.objects.exists()


def test_another_practice_cannot_tick_add_or_give_a_reason(client, rectification, other_handler):
    sub = register_recipients().first()
    key = f"s-{sub.pk}"
    base = f"/staff/requests/{rectification.reference}/"
    client.force_login(other_handler)
    for url, data in (
        (f"{base}recipients/{key}/told/", told_data(key)),
        (f"{base}recipients/add/", {"name": "Lab Noord"}),
        (f"{base}no-processor-data/", {"version": rectification.version, "reason": "x"}),
    ):
        assert client.post(url, data).status_code == 404
    assert not RecipientNotice.objects.exists()
    assert AuditRecord.objects.filter(user=other_handler, outcome="denied").count() == 3


@pytest.mark.parametrize("key", ["s-²", "n-١", "s-99999999999999999999999", "x-1", "s-", "-"])
def test_odd_recipient_keys_are_a_404_never_a_500(client, handler, rectification, key):
    client.raise_request_exception = False
    client.force_login(handler)
    url = f"/staff/requests/{rectification.reference}/recipients/{key}/told/"
    assert client.post(url, told_data(key)).status_code == 404
    assert not RecipientNotice.objects.exists()


def test_a_recipient_of_another_request_cannot_be_ticked_through_this_one(
    client, practice, patient, handler
):
    mine = decided(practice, patient, handler, kind="rectification")
    other = dataclasses.replace(patient, email="piet@example.com", name="Piet Pietersen")
    theirs = decided(practice, other, handler, kind="erasure")
    client.force_login(handler)
    client.post(f"/staff/requests/{theirs.reference}/recipients/add/", {"name": "Lab Noord"})
    notice = RecipientNotice.objects.get()
    key = f"n-{notice.pk}"
    url = f"/staff/requests/{mine.reference}/recipients/{key}/told/"
    assert client.post(url, told_data(key)).status_code == 404
    assert RecipientNotice.objects.get().state == "to_tell"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("recipients/add/", {"name": "Lab\x00Noord"}),
        ("recipients/add/", {"name": "Lab \u202eNoord"}),
        ("recipients/add/", {"name": "L" * 201}),
        ("recipients/{key}/told/", {"{key}-told_on": "2026-02-30", "{key}-how": "email"}),
        ("recipients/{key}/told/", {"{key}-told_on": "{today}", "{key}-how": "pigeon"}),
        ("recipients/{key}/told/", {"{key}-told_on": "{today}", "{key}-how": "email\x00"}),
        ("recipients/{key}/impossible/", {"{key}-reason": "Onbekend\u202eadres"}),
        ("recipients/{key}/impossible/", {"{key}-reason": "x" * 2001}),
        ("no-processor-data/", {"version": "{version}", "reason": "Alleen \u202edossier"}),
        ("no-processor-data/", {"version": "1e3", "reason": "Alleen dossier"}),
        ("no-processor-data/", {"version": "{version}", "reason": "\x00"}),
    ],
)
def test_bad_input_in_the_recipients_forms_is_a_400_and_changes_nothing(
    client, handler, rectification, path, data
):
    """Text the patient reads in the letter (the reason telling was impossible, the reason
    recorded) refuses characters that turn it around, like other free text."""
    key = f"s-{register_recipients().first().pk}"
    fill = {"key": key, "today": today(), "version": rectification.version}
    client.force_login(handler)
    response = client.post(
        f"/staff/requests/{rectification.reference}/{path.format(**fill)}",
        {k.format(**fill): str(v).format(**fill) for k, v in data.items()},
    )
    assert response.status_code == 400
    assert not RecipientNotice.objects.exists()
    assert fresh(rectification).version == rectification.version


def test_posts_without_a_csrf_token_are_refused(client, handler, rectification):
    key = f"s-{register_recipients().first().pk}"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(handler)
    base = f"/staff/requests/{rectification.reference}/"
    for url, data in (
        (f"{base}recipients/{key}/told/", told_data(key)),
        (f"{base}recipients/add/", {"name": "Lab Noord"}),
        (f"{base}no-processor-data/", {"version": rectification.version, "reason": "x"}),
        (f"{base}documents/", {"name": "x"}),
    ):
        assert strict.post(url, data).status_code == 403, url
    assert not RecipientNotice.objects.exists()


def test_the_handler_cannot_tick_through_a_get(client, handler, rectification):
    key = f"s-{register_recipients().first().pk}"
    client.force_login(handler)
    url = f"/staff/requests/{rectification.reference}/recipients/{key}/told/"
    assert client.get(url, told_data(key)).status_code == 405
    assert not RecipientNotice.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_ticks_of_one_recipient_tell_it_once(
    live_server, client, practice, patient, handler, providers
):
    a_register()
    item = decided(practice, patient, handler, kind="rectification")
    key = f"s-{register_recipients().first().pk}"
    client.force_login(handler)
    client.get(f"/staff/requests/{item.reference}/")
    cookies = {name: client.cookies[name].value for name in ("sessionid", "csrftoken")}
    url = f"/staff/requests/{item.reference}/recipients/{key}/told/"
    clicks = [Visitor(live_server.url, cookies) for _ in range(6)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda v: v.post(url, told_data(key)), clicks))
    assert all(a.status_code == 302 for a in answers), [a.status_code for a in answers]
    assert RecipientNotice.objects.filter(request=item).count() == 1
    assert RecipientNotice.objects.get(request=item).state == "told"
    assert RequestEvent.objects.filter(request=item, action="recipient_tell").count() == 1


# --- Extra identifiers -------------------------------------------------------------------------
@pytest.fixture
def erasing(platform_db, practice, patient, handler, support):
    """An erasure task in progress; the platform holds the patient under a second address too."""
    for email in (patient.email, SECOND):
        demo.add_patient(
            platform_db, practice_agb=practice.agb_code, email=email, birth_date=patient.birth_date
        )
    item = decided(practice, patient, handler, kind="erasure")
    return assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )


def look_up(client, task, **identifiers):
    return client.post(f"/staff/tasks/{task.pk}/lookup/", identifiers)


def record(client, task, value, kind="email", why="Zelfde naam en geboortedatum"):
    return client.post(
        f"/staff/tasks/{task.pk}/identifiers/", {"kind": kind, "value": value, "why": why}
    )


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


@pytest.mark.parametrize(
    "value",
    [
        "piet@example.com",  # never looked up on this task
        "jan.werk@exampl\u0435.com",  # a Cyrillic e in the domain: another domain
        "jan.werk\u200b@example.com",  # a zero-width space
        "JAN@EXAMPLE.COM",  # the request's own address, differently written
    ],
)
def test_support_cannot_record_an_identifier_the_look_up_did_not_use(
    client, erasing, support, value
):
    client.force_login(support)
    look_up(client, erasing, email=SECOND)
    response = record(client, erasing, value)
    assert response.status_code in (302, 400)
    assert not ExtraIdentifier.objects.exists()


def test_an_identifier_looked_up_in_another_task_cannot_be_recorded_on_this_one(
    client, erasing, practice, patient, handler, support
):
    other = dataclasses.replace(patient, email="piet@example.com", name="Piet Pietersen")
    item = decided(practice, other, handler, kind="erasure")
    theirs = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    client.force_login(support)
    look_up(client, theirs, email=SECOND)
    record(client, erasing, SECOND)
    assert not ExtraIdentifier.objects.exists()


def test_a_differently_written_number_is_the_one_looked_up(client, erasing, support):
    """Canonical forms: 06 12 34 56 78 is +31612345678, recorded once in that form."""
    client.force_login(support)
    look_up(client, erasing, mobile="+31612345678")
    assert record(client, erasing, "06 12 34 56 78", kind="mobile").status_code == 302
    assert record(client, erasing, "+31 6 1234 5678", kind="mobile").status_code == 302
    assert list(ExtraIdentifier.objects.values_list("value", flat=True)) == ["+31612345678"]


def proposed(client, task, support) -> ExtraIdentifier:
    client.force_login(support)
    look_up(client, task, email=SECOND)
    record(client, task, SECOND)
    return ExtraIdentifier.objects.get(task=task)


@pytest.mark.parametrize("role", [Role.DPO, Role.PRACTICE_ADMIN])
def test_only_a_handler_of_the_practice_confirms_an_identifier(
    client, erasing, practice, support, other_handler, role
):
    extra = proposed(client, erasing, support)
    url = f"/staff/tasks/{erasing.pk}/identifiers/{extra.pk}/confirm/"
    for outsider, status in (
        (make_user(f"{role}@practice.example", role, practice), 403),
        (other_handler, 404),
        (support, 403),
    ):
        client.force_login(outsider)
        assert client.post(url).status_code == status, outsider
    assert ExtraIdentifier.objects.get(pk=extra.pk).state == "proposed"


def test_an_identifier_of_another_task_cannot_be_decided_through_this_one(
    client, erasing, practice, patient, handler, support
):
    extra = proposed(client, erasing, support)
    other = dataclasses.replace(patient, email="piet@example.com", name="Piet Pietersen")
    item = decided(practice, other, handler, kind="erasure")
    theirs = assistance.request_assistance(item, actor=handler, kind="erase", instruction="x")
    client.force_login(handler)
    for outcome in ("confirm", "decline"):
        url = f"/staff/tasks/{theirs.pk}/identifiers/{extra.pk}/{outcome}/"
        assert client.post(url, {f"x{extra.pk}-reason": "Nee"}).status_code == 404
    assert (
        client.get(f"/staff/tasks/{erasing.pk}/identifiers/{extra.pk}/confirm/").status_code == 405
    )
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(handler)
    assert (
        strict.post(f"/staff/tasks/{erasing.pk}/identifiers/{extra.pk}/confirm/").status_code == 403
    )
    assert ExtraIdentifier.objects.get(pk=extra.pk).state == "proposed"


def test_the_practice_cannot_confirm_after_the_task_was_delivered(
    client, platform_db, practice, patient, handler, support
):
    """Confirming after the fact would pass for an instruction the processor never had."""
    item = decided(practice, patient, handler, kind="rectification")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="rectify", instruction="Naam"),
        actor=support,
    )
    extra = proposed(client, task, support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Gedaan")
    assistance.deliver(task, actor=support, note="Naam gecorrigeerd")
    client.force_login(handler)
    response = client.post(f"/staff/tasks/{task.pk}/identifiers/{extra.pk}/confirm/")
    assert response.status_code == 302
    assert ExtraIdentifier.objects.get(pk=extra.pk).state == "proposed"
    assert (
        not AssistanceTask.objects.get(pk=task.pk)
        .extra_identifiers.filter(state="confirmed")
        .exists()
    )


@pytest.mark.parametrize("why", ["Zelfde\x00naam", "Zelfde \u202enaam", "x" * 2001, "   "])
def test_bad_reasons_for_an_identifier_are_refused_and_store_nothing(client, erasing, support, why):
    client.force_login(support)
    look_up(client, erasing, email=SECOND)
    assert record(client, erasing, SECOND, why=why).status_code in (302, 400)
    assert not ExtraIdentifier.objects.exists()


def test_the_practice_is_warned_when_the_record_under_an_identifier_is_someone_else(
    client, platform_db, practice, patient, handler, support
):
    """Support may look up any address on a task; a careless or malicious "same patient" would
    pull another patient's data into the package or the erasure once the practice confirms."""
    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=patient.email)
    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        email="piet@example.com",
        first_name="Piet",
        last_name="Pietersen",
        birth_date=patient.birth_date.replace(year=1950),
    )
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    client.cookies["django_language"] = "en"
    client.force_login(support)
    looked = client.post(f"/staff/tasks/{task.pk}/lookup/", {"email": "piet@example.com"})
    assert "differs from the record used" in looked.content.decode()  # support is warned
    record(client, task, "piet@example.com", why="Zelfde patient")
    client.force_login(handler)
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert "piet@example.com" in page
    assert "The record found under it differs from the request" in page
    assert "differs from the record used" in page


@pytest.mark.django_db(transaction=True)
def test_parallel_confirmations_confirm_once(
    live_server, client, platform_db, practice, patient, handler, support, providers
):
    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=SECOND)
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    extra = proposed(client, task, support)
    client.force_login(handler)
    client.get(f"/staff/tasks/{task.pk}/")
    cookies = {name: client.cookies[name].value for name in ("sessionid", "csrftoken")}
    url = f"/staff/tasks/{task.pk}/identifiers/{extra.pk}/confirm/"
    clicks = [Visitor(live_server.url, cookies) for _ in range(6)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda v: v.post(url, {}), clicks))
    assert all(a.status_code == 302 for a in answers), [a.status_code for a in answers]
    assert TaskEvent.objects.filter(task=task, action="identifier_confirm").count() == 1
    assert AuditRecord.objects.filter(event_type="identifier.confirm").count() == 1


# --- The fee -----------------------------------------------------------------------------------
FEE = {
    "charge_fee-amount": "15,00",
    "charge_fee-justification": "Vierde identieke verzoek in twee maanden.",
    "charge_fee-cost_basis": "Een half uur werk tegen 30 euro per uur.",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "Infinity"),
        ("amount", "-Infinity"),
        ("amount", "sNaN"),
        ("amount", "-0,00"),
        ("amount", "1E3"),
        ("amount", "0x10"),
        ("amount", "15,00\x00"),
        ("justification", "Vierde \u202everzoek"),
        ("cost_basis", "\u2066Een half uur\u2069"),
    ],
)
def test_odd_fees_are_a_400_and_change_nothing(
    client, practice, patient, handler, providers, field, value
):
    item = decided(practice, patient, handler, kind="access", grant=False)
    client.force_login(handler)
    data = {"charge_fee-version": item.version, **FEE, f"charge_fee-{field}": value}
    response = client.post(f"/staff/requests/{item.reference}/act/charge_fee/", data)
    assert response.status_code == 400
    after = fresh(item)
    assert (after.state, after.version, after.fee_amount) == ("in_progress", item.version, None)


@pytest.mark.parametrize("role", [Role.DPO, Role.PRACTICE_ADMIN, Role.SUPPORT])
def test_only_a_handler_asks_a_fee_or_records_it_paid(
    client, practice, patient, handler, providers, role
):
    item = decided(practice, patient, handler, kind="access", grant=False)
    outsider = make_user(f"{role}@x.example", role, None if role == Role.SUPPORT else practice)
    client.force_login(outsider)
    data = {"charge_fee-version": item.version, **FEE}
    assert client.post(f"/staff/requests/{item.reference}/act/charge_fee/", data).status_code in (
        403,
        404,
    )
    assert fresh(item).fee_amount is None


@pytest.mark.django_db(transaction=True)
def test_parallel_fee_requests_ask_one_fee(
    live_server, client, practice, patient, handler, providers
):
    from workflows.models import Notification

    item = decided(practice, patient, handler, kind="access", grant=False)
    client.force_login(handler)
    client.get(f"/staff/requests/{item.reference}/")
    cookies = {name: client.cookies[name].value for name in ("sessionid", "csrftoken")}
    url = f"/staff/requests/{item.reference}/act/charge_fee/"
    sent = Notification.objects.count()
    clicks = [Visitor(live_server.url, cookies) for _ in range(6)]
    data = {"charge_fee-version": item.version, **FEE}
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda v: v.post(url, data), clicks))
    assert all(a.status_code in (302, 409) for a in answers), [a.status_code for a in answers]
    assert RequestEvent.objects.filter(request=item, action="charge_fee").count() == 1
    assert len([x for x in letters.letters_of(fresh(item)) if x.name == "fee"]) == 1
    assert Notification.objects.count() == sent + 1


# --- The practice's documents ------------------------------------------------------------------
@pytest.fixture
def access(practice, patient, handler, package_dir, providers):
    return decided(practice, patient, handler, kind="access", grant=False)


def upload(client, item, name="", file_name="dossier.pdf", data=PDF):
    return client.post(
        f"/staff/requests/{item.reference}/documents/",
        {"file": SimpleUploadedFile(file_name, data, "application/pdf"), "name": name},
    )


def test_a_document_is_reached_only_through_its_own_request(
    client, access, practice, patient, handler
):
    document = packages.add_document(access, actor=handler, file_name="dossier.pdf", data=PDF)
    other = dataclasses.replace(patient, email="piet@example.com", name="Piet Pietersen")
    theirs = decided(practice, other, handler, kind="access", grant=False)
    client.force_login(handler)
    base = f"/staff/requests/{theirs.reference}/documents/{document.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "remove/").status_code == 404
    assert PracticeDocument.objects.get(pk=document.pk).pending
    assert not AuditRecord.objects.filter(event_type="practice_document.download").exists()


@pytest.mark.parametrize("role", [Role.DPO, Role.PRACTICE_ADMIN])
def test_the_fg_and_the_admin_neither_add_open_nor_remove(client, access, practice, handler, role):
    document = packages.add_document(access, actor=handler, file_name="dossier.pdf", data=PDF)
    client.force_login(make_user(f"{role}@practice.example", role, practice))
    base = f"/staff/requests/{access.reference}/documents/"
    assert upload(client, access).status_code == 403
    assert client.get(f"{base}{document.pk}/").status_code == 403
    assert client.post(f"{base}{document.pk}/remove/").status_code == 403
    assert client.post(f"{base}release/", {"confirm": "on"}).status_code == 403
    assert PracticeDocument.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("Medisch d\u043essier", "dossier.pdf"),  # a Cyrillic o in the name
        ("Medisch \u202edossier", "dossier.pdf"),
        ("", "d\u043essier.pdf"),
        ("", "dossier\u202efdp.exe"),
        ("", "../../etc/passwd.pdf"),
        ("x" * 121, "dossier.pdf"),
    ],
)
def test_look_alike_and_hidden_characters_in_document_names_are_refused(
    client, access, handler, name, file_name
):
    client.force_login(handler)
    response = upload(client, access, name=name, file_name=file_name)
    if "../" in file_name:  # Django keeps only the last part: stored as "passwd.pdf"
        assert response.status_code == 302
        assert PracticeDocument.objects.get().name == "passwd.pdf"
        return
    assert response.status_code in (400, 415)
    assert not PracticeDocument.objects.exists()


# --- The portal's own records in the access answer ---------------------------------------------
def test_the_portal_records_hold_no_other_patient_and_name_no_member_of_staff(
    client, practice, other_practice, patient, handler, other_handler, support, providers
):
    handler.first_name, handler.last_name = "Henk", "Huisman"
    handler.save()
    mine = decided(practice, patient, handler, kind="access")
    look_alike = dataclasses.replace(patient, email="jan@exampl\u0435.com", name="Jan Nep")
    neighbour = dataclasses.replace(patient, email="buurman@example.com", name="Buur Man")
    elsewhere = dataclasses.replace(patient, name="Jan Elders")
    strangers = [
        decided(practice, look_alike, handler, kind="erasure"),
        decided(practice, neighbour, handler, kind="erasure"),
        decided(other_practice, elsewhere, other_handler, kind="erasure"),
    ]
    client.force_login(handler)
    for item in (mine, *strangers):  # staff look at each, leaving audit records
        client.get(f"/staff/requests/{item.reference}/")
    task = assistance.request_assistance(mine, actor=handler, kind="supply", instruction="Alles")
    section = portal_records.collect(task)
    text = repr(section)
    assert [r["reference"] for r in section["requests"]] == [mine.reference]
    for item in strangers:
        assert item.reference not in text
    for word in ("Henk", "Huisman", handler.email, support.email, "Jan Nep", "Buur Man"):
        assert word not in text, word
    # Who looked is there, by role and organisation (docs/legal.md).
    assert any(practice.name in a["by"] for a in section["access_log"])


def test_a_code_not_yet_sent_is_not_copied_into_the_access_answer(
    practice, patient, handler, providers
):
    """A code message is blanked once sent; one still waiting (or that failed) holds the
    code, and the package is opened by the practice before the patient gets it."""
    from workflows.models import Medium, Notification, Purpose

    item = decided(practice, patient, handler, kind="access")
    Notification.objects.create(
        request=item,
        medium=Medium.SMS,
        purpose=Purpose.DOWNLOAD_CODE,
        recipient=patient.phone,
        body="Uw code is 482913",
        scrub_after_send=True,
    )
    task = assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles")
    section = portal_records.collect(task)
    assert section["notifications"] and "482913" not in repr(section)


# --- The register page ----------------------------------------------------------------------------
def test_the_register_page_is_for_signed_in_staff_and_read_only(
    client, patient, handler, providers
):
    assert client.get("/staff/subprocessors/").status_code == 302
    client.force_login(account_for(patient.email))
    assert client.get("/staff/subprocessors/").status_code in (403, 404)
    client.force_login(handler)
    assert client.get("/staff/subprocessors/").status_code == 200
    assert client.post("/staff/subprocessors/", {}).status_code == 405
