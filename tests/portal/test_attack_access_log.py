"""An attacker's review of the patient's page "Who saw my data" (/track/<ref>/access/): each test
performs one attack and asserts what must happen instead: another patient's or a look-alike
reference is a clear 4xx that shows nothing and is logged; nothing on the page names an account,
an address, a code, a record's details, a note or an incident; every showing is logged."""

import dataclasses
import functools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from requests_app import audit
from requests_app.models import AuditAction, AuditOutcome, AuditRecord, Request
from tests.factories import (
    decided,
    erased_with_certificate,
    forwarded,
    make_user,
    released_package,
    submit,
)
from workflows.assistance import tasks as assistance
from workflows.casework import actions as casework
from workflows.casework import incidents
from workflows.casework.patients import account_for, withdraw

pytestmark = pytest.mark.django_db

OTHER = "els.ander@example.com"


def url(reference: str) -> str:
    return f"/track/{reference}/access/"


def lines(page: str) -> list[str]:
    if 'class="access-log"' not in page:
        return []
    log = page.split('class="access-log"', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", log, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in items]


@pytest.fixture
def mine(practice, patient, providers):
    return forwarded(submit(practice, patient))


@pytest.fixture
def theirs(practice, patient, providers):
    other = dataclasses.replace(patient, name="Els Ander", email=OTHER, phone="+31600000001")
    return forwarded(submit(practice, other, description="Mijn eigen geheim"))


@pytest.fixture
def me(patient):
    return account_for(patient.email)


def as_patient(client, me):
    client.force_login(me)
    return client


# --- IDOR and look-alike references --------------------------------------------------------------
def test_another_patients_reference_is_a_404_that_is_logged_as_denied(client, me, mine, theirs):
    as_patient(client, me)
    for query in ({}, {"page": "1"}, {"page": "2"}):
        response = client.get(url(theirs.reference), query)
        assert response.status_code == 404
        assert "Els" not in response.content.decode()
    denied = AuditRecord.objects.filter(user=me, outcome=AuditOutcome.DENIED)
    assert denied.count() == 3 and {d.object_id for d in denied} == {theirs.reference}


@pytest.mark.parametrize(
    "mangle",
    [
        lambda r: r.lower(),
        lambda r: r.replace("-", ""),
        lambda r: r + "%20",
        lambda r: "%20" + r,
        lambda r: r + "%00",
        lambda r: r[:5] + "%00" + r[6:],
        lambda r: r + "%2F",
        lambda r: r.replace("-", "%2F"),
        lambda r: r.replace("-", "\N{NON-BREAKING HYPHEN}"),
        lambda r: r.replace("-", "\N{FULLWIDTH HYPHEN-MINUS}"),
        lambda r: "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in r),  # full width
        lambda r: r.replace("A", "\N{CYRILLIC CAPITAL LETTER A}").replace(
            "E", "\N{CYRILLIC CAPITAL LETTER IE}"
        ),
        lambda r: r[:-1],
        lambda r: r + "X",
        lambda r: r + "%",
        lambda r: "%FF%FE",
        lambda r: "x" * 5000,
    ],
    ids=[
        "lower",
        "no-hyphen",
        "trailing-space",
        "leading-space",
        "trailing-nul",
        "nul-inside",
        "encoded-slash",
        "slash-for-hyphen",
        "nb-hyphen",
        "fullwidth-hyphen",
        "fullwidth",
        "cyrillic",
        "prefix",
        "longer",
        "lone-percent",
        "bad-utf8",
        "huge",
    ],
)
def test_a_look_alike_of_another_patients_reference_shows_nothing_and_is_no_500(
    client, me, mine, theirs, mangle
):
    as_patient(client, me)
    # Make sure the confusable variants actually have the letters to confuse.
    Request.objects.filter(pk=theirs.pk).update(reference="AEBCD-EFGHA")
    response = client.get(url(mangle("AEBCD-EFGHA")))
    # A NUL or bytes that are no text are refused before any view (400); the rest is a 404.
    assert response.status_code in (400, 404)
    page = response.content.decode()
    assert "Els" not in page and "Mijn eigen geheim" not in page and "access-log" not in page
    assert "Wie heeft uw gegevens gezien" not in page


def test_a_look_alike_of_my_own_reference_is_a_clear_404_too(client, me, mine):
    as_patient(client, me)
    for mangled in (mine.reference.lower(), mine.reference + "%20", mine.reference + "%2F"):
        assert client.get(url(mangled)).status_code == 404
    assert client.get(url(mine.reference + "%00")).status_code == 400


def test_records_of_a_reference_that_extends_mine_are_not_mine(
    client, me, mine, practice, patient, theirs, handler
):
    """A reference that is a prefix of another's: "<ref>/T1" subjects of "<ref>X" (my own other
    request, or another patient's) must not land on my page."""
    second = forwarded(submit(practice, patient, kind="erasure"))
    Request.objects.filter(pk=mine.pk).update(reference="ABCDE-1234")
    Request.objects.filter(pk=second.pk).update(reference="ABCDE-12345")
    Request.objects.filter(pk=theirs.pk).update(reference="ABCDE-1234X")
    mine, second, theirs = (Request.objects.get(pk=r.pk) for r in (mine, second, theirs))
    for other in (second, theirs):
        audit.record("request.view", AuditAction.READ, user=handler, request=other)
        audit.record(
            "task.lookup",
            AuditAction.READ,
            user=handler,
            request=other,
            object_type="assistance_task",
            object_id="T1",
            purpose=f"{other.reference}/T1",
        )
        audit.record(
            "request.view",
            AuditAction.READ,
            user=handler,
            outcome=AuditOutcome.DENIED,
            object_type="request",
            object_id=other.reference,
        )
    as_patient(client, me)
    page = client.get(url(mine.reference)).content.decode()
    assert [line for line in lines(page) if "bekeek" in line or "Iemand" in line] == []
    assert "opzocht" not in page and "zocht" not in " ".join(lines(page))


@pytest.mark.parametrize(
    "number", ["0", "-1", "99999999999999999999", "x", "\x00", "1.5", "1e3", "9" * 5000, " ", "²"]
)
def test_a_page_number_that_is_no_page_is_a_404_never_a_500(client, me, mine, number):
    as_patient(client, me)
    response = client.get(url(mine.reference), {"page": number})
    # A NUL is refused before the view (400), anything else that is no page is a 404.
    assert response.status_code == (400 if number == "\x00" else 404)


def test_a_page_number_after_a_nul_in_the_query_string_is_no_500(client, me, mine):
    as_patient(client, me)
    response = client.get(url(mine.reference) + "?page=%00")
    assert response.status_code == 400
    response = client.get(url(mine.reference) + "?page=%ED%A0%80")
    assert response.status_code == 400


# --- Who may open the page ---------------------------------------------------------------------
def test_an_unauthenticated_visitor_is_sent_to_sign_in_and_sees_nothing(client, mine):
    response = client.get(url(mine.reference))
    assert response.status_code == 302 and "/track/" not in response["Location"].split("next")[0]
    assert mine.reference not in response.content.decode()


def test_staff_of_the_practice_get_a_404_not_the_patients_page(client, mine, handler, support):
    for staff in (handler, support):
        client.force_login(staff)
        response = client.get(url(mine.reference))
        assert response.status_code == 404


def test_a_staff_member_who_is_also_a_patient_of_the_address_gets_no_page(
    client, practice, patient, providers
):
    """An account of the practice whose e-mail is the patient's: it is staff, not the patient."""
    item = forwarded(submit(practice, patient))
    staff = make_user(patient.email, "handler", practice)
    client.force_login(staff)
    assert client.get(url(item.reference)).status_code == 404


def test_the_apps_api_key_opens_no_patient_page(client, mine, api_key):
    response = client.get(url(mine.reference), headers={"Authorization": f"Bearer {api_key}"})
    assert response.status_code == 302


def test_a_withdrawn_request_still_shows_its_log_with_the_withdrawal(client, me, mine, handler):
    client.force_login(handler)
    client.get(f"/staff/requests/{mine.reference}/")
    withdraw(Request.objects.get(pk=mine.pk), patient=me)
    as_patient(client, me)
    response = client.get(url(mine.reference))
    assert response.status_code == 200
    page = response.content.decode()
    assert "U heeft uw verzoek ingetrokken" in page
    assert any("bekeek uw verzoek" in line for line in lines(page))


def test_after_the_processor_erased_the_data_the_page_still_tells_who_did_it(
    client, me, practice, patient, handler, support, providers, platform_db
):
    item = decided(practice, patient, handler, kind="erasure")
    erased_with_certificate(item, handler, support)
    as_patient(client, me)
    response = client.get(url(item.reference))
    assert response.status_code == 200
    assert any("wiste uw gegevens" in line for line in lines(response.content.decode()))


def test_other_methods_than_reading_are_refused_and_change_nothing(client, me, mine):
    as_patient(client, me)
    before = AuditRecord.objects.count()
    for method in (client.post, client.put, client.delete, client.patch):
        assert method(url(mine.reference)).status_code == 405
    assert AuditRecord.objects.count() == before
    assert client.head(url(mine.reference)).status_code == 200


def test_a_request_erased_by_retention_is_a_404_and_its_old_log_shows_nowhere(
    client, me, practice, patient, handler, providers
):
    import datetime

    from django.utils import timezone

    from workflows.housekeeping.retention import purge_expired

    old = decided(practice, patient, handler, kind="access", grant=True)
    client.force_login(handler)
    client.get(f"/staff/requests/{old.reference}/")
    current = forwarded(submit(practice, patient))  # the account lives on with this one
    later = timezone.now() + datetime.timedelta(days=366 * 30)
    assert purge_expired(later) == [old.reference]
    as_patient(client, me)
    assert client.get(url(old.reference)).status_code == 404
    page = client.get(url(current.reference)).content.decode()
    assert old.reference not in page
    assert [line for line in lines(page) if "bekeek" in line] == []


# --- What must never reach the patient --------------------------------------------------------
def test_no_account_address_code_detail_or_note_reaches_the_page(
    client, me, practice, patient, handler, support, providers, platform_db, package_dir
):
    handler.first_name, handler.last_name = "Karin", "Smit"
    handler.save()
    item = forwarded(submit(practice, patient))
    item = casework.act(item, "acknowledge", actor=handler, version=item.version)
    item = casework.act(item, "verify_identity", actor=handler, version=item.version, how="ID")
    released_package(item, handler, support)
    task = item.tasks.first()
    audit.record(
        "request.view",
        AuditAction.READ,
        user=handler,
        request=item,
        details={"ip": "203.0.113.77", "user_agent": "EvilBrowser/9.9", "note": "Intern-geheim"},
    )
    as_patient(client, me)
    page = client.get(url(item.reference)).content.decode()
    for secret in (
        handler.email,
        handler.username,
        support.email,
        support.username,
        me.username,
        "203.0.113.77",
        "127.0.0.1",
        "EvilBrowser",
        "Intern-geheim",
        "request.view",
        "package.build",
        "task.",
        "practice_admin",
        "processor_admin",
        '"handler"',
        "sha256",
    ):
        assert secret not in page, secret
    assert task.number not in " ".join(lines(page))
    assert any("Karin Smit" in line for line in lines(page))


def test_a_staff_name_with_markup_is_shown_as_text(client, me, mine, handler):
    handler.first_name, handler.last_name = '<script>alert("x")</script>', "<b>Smit</b>"
    handler.save()
    client.force_login(handler)
    client.get(f"/staff/requests/{mine.reference}/")
    casework.write_to_patient(mine, actor=handler, body="<img src=x onerror=alert(1)>")
    as_patient(client, me)
    page = client.get(url(mine.reference)).content.decode()
    assert "<script>alert" not in page and "<b>Smit" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_a_staff_name_that_is_blank_or_an_address_never_shows_the_account(
    client, me, mine, handler
):
    handler.first_name, handler.last_name = "   ", ""
    handler.save()
    client.force_login(handler)
    client.get(f"/staff/requests/{mine.reference}/")
    as_patient(client, me)
    page = client.get(url(mine.reference)).content.decode()
    assert handler.username not in page and handler.email not in page
    assert "Een medewerker" in lines(page)[0]


def test_another_patient_who_tried_my_page_is_not_named(client, me, mine, theirs):
    intruder = account_for(OTHER)
    intruder.first_name, intruder.last_name = "Els", "Ander"
    intruder.save()
    client.force_login(intruder)
    for path in (url(mine.reference), f"/track/{mine.reference}/letters/receipt-1/"):
        client.get(path)
    as_patient(client, me)
    page = client.get(url(mine.reference)).content.decode()
    assert "Els" not in page and OTHER not in page and intruder.username not in page
    assert any("Iemand zonder toegang" in line for line in lines(page))
    # The other patient's own request, its reference and text, are nowhere.
    assert theirs.reference not in page and "Mijn eigen geheim" not in page


def test_an_incident_about_the_request_does_not_reach_the_patient(
    client, me, mine, practice, handler, support
):
    """Agreement art. 5.7: whether and how to tell the patient is the practice's decision."""
    dpo = make_user("fg@practice.example", "dpo", practice)
    as_patient(client, me)
    before = lines(client.get(url(mine.reference)).content.decode())
    incident, _created = incidents.classify(mine, actor=support, category="breach", practices=[])
    incidents.update(
        incident, actor=support, version=incident.version, text="Lek bij leverancier", changes={}
    )
    for staff in (support, dpo):
        client.force_login(staff)
        client.get(f"/staff/incidents/{incident.pk}/")
    as_patient(client, me)
    page = client.get(url(mine.reference)).content.decode()
    assert lines(page) == before
    for word in ("ncident", "Lek bij", "datalek", "breach", str(incident.pk) + " "):
        assert word not in page


def test_a_processor_task_note_and_instruction_do_not_reach_the_page(
    client, me, practice, patient, handler, support, providers
):
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.request_assistance(
        item, actor=handler, kind="erase", instruction="Interne instructie X"
    )
    task = assistance.start(task, actor=support)
    as_patient(client, me)
    page = client.get(url(item.reference)).content.decode()
    assert "Interne instructie X" not in page and task.number not in " ".join(lines(page))


# --- Every showing is logged ---------------------------------------------------------------------
def test_every_showing_and_every_page_is_logged(client, me, mine, handler):
    for n in range(30):
        audit.record(
            "request.view" if n % 2 else "letter.view", AuditAction.READ, user=handler, request=mine
        )
    as_patient(client, me)
    client.get(url(mine.reference))
    client.get(url(mine.reference), {"page": "2"})
    shown = AuditRecord.objects.filter(user=me, event_type="patient.view").order_by("seq")
    assert [(r.outcome, r.details.get("number")) for r in shown] == [
        (AuditOutcome.SUCCESS, 1),
        (AuditOutcome.SUCCESS, 2),
    ]
    assert all(r.patient_id == mine.patient_email for r in shown)


def test_a_refused_look_is_logged_as_denied_for_staff_and_patients(
    client, me, mine, theirs, handler
):
    client.force_login(handler)
    client.get(url(theirs.reference))
    as_patient(client, me)
    client.get(url(theirs.reference))
    denied = AuditRecord.objects.filter(outcome=AuditOutcome.DENIED, object_id=theirs.reference)
    assert {r.user for r in denied} == {handler, me}


# --- Performance ---------------------------------------------------------------------------------
def test_five_thousand_records_render_paged_in_a_few_queries(
    client, me, mine, handler, support, django_assert_max_num_queries
):
    users = [handler, support] + [
        make_user(f"h{n}@practice.example", "handler", mine.practice, mfa=False) for n in range(8)
    ]
    for n, user in enumerate(users):  # ten people in turn: no line joins the one before it
        user.first_name, user.last_name = f"Mede{n}", "Werker"
        user.save()
    rows = AuditRecord.objects.filter(object_id=mine.reference).order_by("-seq").first()
    seq, prev = rows.seq, rows.hash
    records = []
    for n in range(5000):
        seq += 1
        user = users[n % len(users)]
        records.append(
            AuditRecord(
                seq=seq,
                event_type="request.view" if n % 3 else "letter.view",
                action=AuditAction.READ,
                user=user,
                user_label=user.username,
                roles="handler",
                purpose=mine.reference,
                patient_id=mine.patient_email,
                patient_id_type="email",
                object_type="request",
                object_id=mine.reference,
                practice_id_ref=mine.practice_id,
                prev_hash=prev,
                hash=f"{seq:064d}",
            )
        )
        prev = f"{seq:064d}"
    AuditRecord.objects.bulk_create(records)
    from requests_app.models import AuditChainHead

    AuditChainHead.objects.update(seq=seq, hash=prev)
    as_patient(client, me)
    with CaptureQueriesContext(connection) as first:
        response = client.get(url(mine.reference))
    assert response.status_code == 200 and len(lines(response.content.decode())) == 25
    with django_assert_max_num_queries(len(first.captured_queries)):
        last = client.get(url(mine.reference), {"page": "201"})
    assert last.status_code == 200
    assert len(first.captured_queries) <= 25
    # No query fetched the whole log: every read of audit records is counted or limited.
    for query in first.captured_queries:
        sql = query["sql"]
        if 'FROM "requests_app_auditrecord"' in sql and sql.startswith("SELECT"):
            assert "COUNT(" in sql or "LIMIT" in sql, sql


# --- Naming: the role must be the one the look was made in ----------------------------------------
def test_processor_support_who_also_works_for_another_practice_is_named_as_support(
    client, me, practice, other_practice, patient, providers
):
    """Someone of the processor's support who is also a handler at another practice looks at
    the request while it waits to be routed: the patient must not read that a handler of their
    own practice looked (that would be false, and hide the processor's look)."""
    from requests_app.lifecycle import perform_transition
    from requests_app.models import Membership

    dual = make_user("piet@processor.example", "support")
    Membership.objects.create(user=dual, role="handler", practice=other_practice)
    dual.first_name, dual.last_name = "Piet", "Dubbel"
    dual.save()
    item = submit(None, patient, practice_given="Dokter Onbekend")
    client.force_login(dual)
    assert client.get(f"/staff/requests/{item.reference}/").status_code == 200
    perform_transition(Request.objects.get(pk=item.pk), "route", actor=dual, practice=practice)
    as_patient(client, me)
    page = client.get(url(item.reference)).content.decode()
    [look] = [line for line in lines(page) if "Piet Dubbel bekeek uw verzoek" in line]
    assert "Medewerker ondersteuning van" in look
    assert "Behandelaar" not in look


def test_a_refused_act_without_an_account_is_not_shown_as_done(client, me, mine):
    """A refused attempt without a signed-in account (a download link tried by someone) must
    read as refused, not as something the system did."""
    audit.record(
        "package.download",
        AuditAction.READ,
        user=None,
        user_label="anonymous",
        outcome=AuditOutcome.DENIED,
        request=mine,
    )
    as_patient(client, me)
    [newest, *_rest] = lines(client.get(url(mine.reference)).content.decode())
    assert "downloadde de export van uw gegevens" not in newest or "geweigerd" in newest
    assert "Het systeem (automatisch)" not in newest


def test_a_long_history_costs_no_query_per_step(client, me, mine, handler):
    """The history is not paged: each step, message and letter must not cost a query."""
    as_patient(client, me)
    with CaptureQueriesContext(connection) as short:
        client.get(url(mine.reference))
    item = casework.act(mine, "acknowledge", actor=handler, version=mine.version)
    item = casework.act(item, "verify_identity", actor=handler, version=item.version, how="ID")
    for n in range(10):
        casework.write_to_patient(item, actor=handler, body=f"Bericht {n}")
    with CaptureQueriesContext(connection) as long:
        response = client.get(url(item.reference))
    assert response.status_code == 200
    assert response.content.decode().count("Bericht van uw praktijk") == 10
    assert len(long.captured_queries) <= len(short.captured_queries) + 2
    assert "no-store" in response["Cache-Control"]


def test_a_patient_whose_only_request_was_erased_has_no_session_left(
    client, me, practice, patient, handler, providers
):
    import datetime

    from django.utils import timezone

    from workflows.housekeeping.retention import purge_expired

    old = decided(practice, patient, handler, kind="access", grant=True)
    as_patient(client, me)
    assert client.get(url(old.reference)).status_code == 200
    purge_expired(timezone.now() + datetime.timedelta(days=366 * 30))
    # The account was retired with its last request: the open session reads nothing.
    response = client.get(url(old.reference))
    assert response.status_code == 302 and old.reference not in response.content.decode()


def test_someone_who_left_the_practice_is_named_in_the_role_they_had_there(
    client, me, mine, practice, other_practice
):
    """An administrator of the patient's practice who is also the FG of another practice looks,
    then leaves the patient's practice: the look was the administrator's, not an FG's of the
    patient's practice."""
    from requests_app.models import Membership

    admin = make_user("beheer@practice.example", "practice_admin", practice)
    Membership.objects.create(user=admin, role="dpo", practice=other_practice)
    admin.first_name, admin.last_name = "Bea", "Beheer"
    admin.save()
    audit.record("request.view", AuditAction.READ, user=admin, request=mine)
    Membership.objects.filter(user=admin, practice=practice).delete()
    as_patient(client, me)
    page = client.get(url(mine.reference)).content.decode()
    [look] = [line for line in lines(page) if "Bea" in line]
    assert f"Praktijkbeheerder, {practice.name}" in look
    assert "Functionaris" not in look


def test_the_404_does_not_tell_whether_someone_elses_reference_exists(client, me, mine, theirs):
    as_patient(client, me)
    taken = client.get(url(theirs.reference))
    free = client.get(url("ZZZZZ-ZZZZZ"))
    assert taken.status_code == free.status_code == 404
    # The 404 page has the layout, whose sign-out form carries a freshly masked CSRF token.
    unmask = functools.partial(re.sub, r'name="csrfmiddlewaretoken" value="[^"]+"', "")
    body = taken.content.decode().replace(theirs.reference, "ZZZZZ-ZZZZZ")
    assert unmask(body) == unmask(free.content.decode())
