"""Every staff page that shows a patient's name or address leaves a NEN 7513 read record: a plain
GET exactly one, and every form sent with bad input that shows the page again one as well (the
insider's way to read a patient unrecorded was to post an empty form)."""

import dataclasses
import datetime

import pytest

from requests_app.lifecycle import perform_transition
from requests_app.models import AuditAction, AuditRecord, Request
from requests_app.roles import Role
from tests.factories import decided, granted, make_user, submit
from workflows.assistance import tasks as assistance
from workflows.casework import actions as casework

pytestmark = pytest.mark.django_db

NAME, EMAIL = "Wilhelmina Kwakernaak", "w.kwakernaak@example.com"


@pytest.fixture
def someone(patient):
    return dataclasses.replace(patient, name=NAME, email=EMAIL)


@pytest.fixture
def world(platform_db, package_dir, practice, someone, handler, support, providers):
    """A forwarded request, an unrouted one, an access request with a task in each state a form
    acts on, one of the practice's documents, and a draft incident."""
    forwarded = perform_transition(submit(practice, someone), "forward", actor=None)
    unrouted = submit(None, someone, practice_given="Dokter ?")
    about_processor = submit(practice, someone, about_processor=True)
    access_request = decided(practice, someone, handler, kind="access", grant=False)

    def task(state: str):
        made = assistance.request_assistance(
            access_request, actor=handler, kind="supply", instruction="Alles"
        )
        if state == "requested":
            return made
        made = assistance.start(made, actor=support)
        if state == "in_progress":
            return made
        from workflows.assistance import packages

        package = packages.build_package(made, actor=support)
        for step in made.manual_steps.all():
            assistance.tick_manual_step(step, actor=support, note="Niets")
        made = assistance.deliver(made, actor=support)
        if state == "delivered":
            return made
        packages.record_download(package, user=handler, who="practice")
        return assistance.accept(made, actor=handler)

    erasure_request = decided(practice, someone, handler, kind="erasure")
    erasing = assistance.start(
        assistance.request_assistance(
            erasure_request, actor=handler, kind="erase", instruction="Alles wissen"
        ),
        actor=support,
    )

    world = {
        "forwarded": forwarded,
        "unrouted": unrouted,
        "incident": about_processor.incident,
        "requested": task("requested"),
        "in_progress": task("in_progress"),
        "delivered": task("delivered"),
        "accepted": task("accepted"),
        "erasing": erasing,
    }
    from workflows.assistance import packages

    world["document"] = packages.add_document(
        access_request, actor=handler, file_name="dossier.pdf", data=b"%PDF-1.7\n%%EOF\n"
    )
    granted(access_request, handler)  # a package is released only after the grant
    return world


# (who, what, URL, form data): bad input on every staff form that answers with the page again.
REQ, TASK = "/staff/requests/{ref}/", "/staff/tasks/{pk}/"
BAD_POSTS = {
    "acknowledge without a version": ("handler", "forwarded", REQ + "act/acknowledge/", {}),
    "empty message": ("handler", "forwarded", REQ + "message/", {"body": ""}),
    "assign without a version": ("handler", "forwarded", REQ + "assign/", {"assignee": ""}),
    "route without a practice": ("support", "unrouted", REQ + "route/", {"practice": ""}),
    "start without a version": ("support", "requested", TASK + "act/start/", {}),
    "deliver without a version": ("support", "in_progress", TASK + "act/deliver/", {}),
    "accept without a version": ("handler", "delivered", TASK + "act/accept/", {}),
    "reject without a reason": ("handler", "delivered", TASK + "act/reject/", {"version": 0}),
    "look-up without identifiers": ("support", "in_progress", TASK + "lookup/", {}),
    "erasure without confirmation": ("support", "erasing", TASK + "erase/", {"plan": "x"}),
    "release without confirmation": ("handler", "accepted", TASK + "package/release/", {}),
    "document without a file": ("handler", "accepted", REQ + "documents/", {"name": "x"}),
    "incident with a NUL byte": (
        "support",
        "incident",
        "/staff/incidents/{pk}/update/",
        {"nature": "\x00"},
    ),
    "incident closed without a note": ("support", "incident", "/staff/incidents/{pk}/close/", {}),
    # The incident's request is the same patient's second access request: a possible duplicate.
    "keep separate without a reason": (
        "handler",
        "incident",
        REQ + "duplicate/keep/",
        {"keep-version": 0},
    ),
    "merge without a version": ("handler", "incident", REQ + "duplicate/merge/", {}),
    "AP decision without a reason": (
        "dpo",
        "incident",
        "/staff/incidents/{pk}/record/not_to_ap/",
        {},
    ),
}


def _subject(thing):
    return thing if isinstance(thing, Request) else thing.request


@pytest.mark.parametrize("case", BAD_POSTS)
def test_bad_input_never_shows_a_patient_unrecorded(client, world, handler, support, case):
    who, what, url, data = BAD_POSTS[case]
    dpo = make_user("fg@practice.example", Role.DPO, handler.memberships.get().practice)
    user = {"handler": handler, "support": support, "dpo": dpo}[who]
    thing = world[what]
    item = _subject(thing)
    client.force_login(user)
    before = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = client.post(url.format(ref=item.reference, pk=thing.pk), data)
    assert response.status_code == 400
    page = response.content.decode()
    shown = NAME in page or EMAIL in page
    read = AuditRecord.objects.filter(
        seq__gt=before, action=AuditAction.READ, user=user, patient_id=EMAIL
    )
    assert not shown or read.filter(purpose__startswith=item.reference).exists(), case
    if read.exists():  # the record says which form the page answered
        assert read.get().details["status"] == 400 and read.get().details["after"]
    assert shown or what == "incident"  # the request and task pages do show the patient


@pytest.mark.parametrize(
    "who, what, url, event",
    [
        ("handler", "forwarded", "/staff/requests/{ref}/", "request.view"),
        ("support", "unrouted", "/staff/requests/{ref}/", "request.view"),
        ("handler", "delivered", "/staff/tasks/{pk}/", "task.view"),
        ("handler", "accepted", "/staff/tasks/{pk}/package/release/", "task.view"),
        ("support", "erasing", "/staff/tasks/{pk}/erase/", "task.view"),
        ("support", "in_progress", "/staff/tasks/{pk}/", "task.view"),
        ("support", "incident", "/staff/incidents/{pk}/", "incident.view"),
    ],
)
def test_a_plain_get_writes_exactly_one_read_record(
    client, world, handler, support, who, what, url, event
):
    user = {"handler": handler, "support": support}[who]
    thing = world[what]
    item = _subject(thing)
    client.force_login(user)
    before = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = client.get(url.format(ref=item.reference, pk=thing.pk))
    assert response.status_code == 200
    (record,) = AuditRecord.objects.filter(seq__gt=before)
    assert (record.event_type, record.action, record.outcome) == (event, "R", "success")
    assert (record.user, record.patient_id, record.details) == (user, EMAIL, {})
    assert record.purpose == item.reference


def test_a_bad_form_on_a_page_of_another_practice_shows_and_records_nothing_of_the_patient(
    client, world, other_handler
):
    item = world["forwarded"]
    client.force_login(other_handler)
    response = client.post(f"/staff/requests/{item.reference}/message/", {"body": ""})
    assert response.status_code == 404 and NAME not in response.content.decode()
    assert not AuditRecord.objects.filter(user=other_handler, patient_id=EMAIL).exists()


def test_a_stale_page_posted_again_is_recorded_when_shown(client, world, handler):
    """After a refused step the handler is sent back to the page: that GET is the record."""
    item = Request.objects.get(pk=world["forwarded"].pk)
    casework.act(item, "acknowledge", actor=handler, version=item.version)
    client.force_login(handler)
    before = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = client.post(
        f"/staff/requests/{item.reference}/act/acknowledge/",
        {"acknowledge-version": item.version},
        follow=True,
    )
    assert NAME in response.content.decode()
    assert AuditRecord.objects.filter(
        seq__gt=before, event_type="request.view", user=handler
    ).exists()


# Staff routes that show no page of their own on a POST (they redirect), and routes only read.
REDIRECTING = {
    "staff:ask": ("handler", "forwarded", REQ + "assist/", {"kind": ""}),
    "staff:task_step": ("support", "in_progress", TASK + "steps/{step}/", {"note": ""}),
    "staff:package_build": ("support", "requested", TASK + "package/build/", {}),
    "staff:certificate_issue": ("support", "erasing", TASK + "certificate/issue/", {}),
    "staff:document_remove": ("handler", "document", REQ + "documents/{pk}/remove/", {}),
    # Not before the processor's package, which is on its way: the request page says so.
    "staff:documents_release": ("handler", "document", REQ + "documents/release/", {}),
}
# Forms of included blocks: bad input is a plain 400 page that shows no patient (so records none).
PLAIN_REFUSAL = {
    "staff:no_processor_data": ("handler", "erasing", REQ + "no-processor-data/", {}),
    "staff:recipient_add": ("handler", "erasing", REQ + "recipients/add/", {"name": ""}),
    "staff:recipient_done": ("handler", "erasing", REQ + "recipients/s-1/told/", {}),
    "staff:identifier_record": ("support", "erasing", TASK + "identifiers/", {}),
    "staff:identifier_decide": ("handler", "erasing", TASK + "identifiers/{extra}/decline/", {}),
    "staff:incident_new": ("support", "erasing", "/staff/incidents/new/", {"category": "x"}),
    "staff:classify": ("support", "unrouted", REQ + "incident/", {"category": "breach"}),
    "staff:instruction_act": ("support", "in_progress", TASK + "instruction/object/", {}),
    "staff:time_record": ("support", "in_progress", TASK + "time/", {"time-minutes": "-1"}),
}
# The processor's work beyond one request (questions, legal orders, charges): pages without a
# patient, so bad input is a 400 that records no patient either.
GENERAL, ORDER = "/staff/general/{pk}/", "/staff/orders/{pk}/"
NO_PATIENT = {
    "staff:general_tasks": ("handler", "GET", "/staff/general/?state=x", {}, 200),
    "staff:general_new": ("handler", "POST", "/staff/general/new/", {"kind": "x"}, 400),
    "staff:general": ("handler", "GET", GENERAL, {}, 200),
    "staff:general_act": ("support", "POST", GENERAL + "act/give_answer/", {}, 400),
    "staff:orders": ("handler", "GET", "/staff/orders/", {}, 200),
    "staff:order_new": ("support", "POST", "/staff/orders/new/", {"authority": "x"}, 400),
    "staff:order": ("support", "GET", ORDER, {}, 200),
    "staff:order_act": ("support", "POST", ORDER + "act/carry_out/", {}, 400),
    "staff:statement": ("handler", "GET", "/staff/charges/?month=x", {}, 400),
    "staff:statement_csv": ("handler", "GET", "/staff/charges/statement.csv?month=x", {}, 400),
}
READ_ONLY = {
    "staff:queue",
    "staff:unrouted",
    "staff:audit",
    "staff:audit_export",
    "staff:queue_export",  # recorded as an export (tests/portal/test_queue_export.py)
    "staff:incidents",
    "staff:incident",
    "staff:detail",
    "staff:tasks",
    "staff:task",
    "staff:package_download",
    "staff:document",
    "staff:certificate",
    "staff:certificate_json",
    "staff:subprocessors",  # the register: configuration, no patient data
    "staff:letter",
    "staff:letter_pdf",
    "staff:duplicate",
}

# The register of processing and announced changes of sub-processors: configuration and the
# practices' answers, no patient data (their own tests: test_processing_register.py,
# test_subprocessor_change_pages.py).
REGISTER_ROUTES = {
    "staff:processing_register_start",
    "staff:processing_register",
    "staff:processing_register_file",
    "staff:subprocessor_changes",
    "staff:subprocessor_change_new",
    "staff:subprocessor_change",
    "staff:subprocessor_change_withdraw",
    "staff:subprocessor_change_answer",
    "staff:subprocessor_change_answer_submit",
}
# The end of a contract: its pages show counts, digests and staff addresses, no patient's data
# (tests/portal/test_exit_pages.py tests their allowed and refused paths).
EXIT_ROUTES = {
    "staff:exits",
    "staff:exit_start",
    "staff:exit",
    "staff:exit_export",
    "staff:exit_download",
    "staff:exit_destroy",
    "staff:exit_step",
    "staff:exit_certificate",
    "staff:exit_certificate_json",
}

# The queue's bulk step: bad input shows the queue again, recorded as a list like the queue
# (tests/portal/test_queue_bulk.py::test_a_bad_bulk_form_shows_the_queue_again_recorded).
QUEUE_ROUTES = {"staff:queue_bulk"}
# Practices: their settings and the CSV import, no patient's data
# (tests/portal/test_practice_pages.py tests their allowed and refused paths).
PRACTICE_ROUTES = {
    "staff:practices",
    "staff:practice_new",
    "staff:practice_import",
    "staff:practice_import_preview",
    "staff:practice_import_confirm",
    "staff:practice_import_report",
    "staff:practice_import_report_csv",
    "staff:practice",
    "staff:practice_edit",
    "staff:own_settings_start",
    "staff:own_settings",
}
# The patient app's API clients: names, keys' hints, quotas and webhook addresses, no patient's
# data (tests/portal/test_api_client_pages.py tests their allowed and refused paths).
API_CLIENT_ROUTES = {
    "staff:api_clients",
    "staff:api_client_new",
    "staff:api_client",
    "staff:api_client_key_new",
    "staff:api_client_key_revoke",
    "staff:api_client_webhook",
    "staff:api_client_secret",
    "staff:api_client_quotas",
    "staff:api_client_deactivate",
    "staff:api_client_activate",
}

# The practice's team and invitations: staff addresses and roles, no patient's data
# (tests/portal/test_team_pages.py tests their allowed and refused paths).
TEAM_ROUTES = {
    "staff:team_start",
    "staff:team",
    "staff:team_invite",
    "staff:team_invite_admin",
    "staff:team_revoke",
    "staff:team_remove",
    "staff:team_review",
}
# The practice's standard texts: its own words with placeholders, no patient's data
# (tests/portal/test_standard_text_pages.py).
TEXT_ROUTES = {
    "staff:standard_texts_start",
    "staff:standard_texts",
    "staff:standard_text_new",
    "staff:standard_text_adopt",
    "staff:standard_text",
    "staff:standard_text_remove",
}
# Messages that failed for good: patients' addresses, recorded per practice as a list
# (tests/portal/test_failed_messages_page.py).
NOTIFICATION_ROUTES = {"staff:failed_notifications", "staff:resend_notification"}
# An API client's webhook events (references and states; the list recorded per practice) and
# sending one again: tests/portal/test_webhook_pages.py.
WEBHOOK_ROUTES = {"staff:webhook_deliveries", "staff:webhook_resend"}
# Entering a request (the form shows what the handler typed, nothing stored) and sending one
# back (its page records the read through render_page): tests/portal/test_staff_entry_pages.py.
ENTRY_ROUTES = {"staff:entry_new", "staff:send_back"}
# Reports: counts and times, no patient's data; each view recorded
# (tests/portal/test_reports.py).
REPORT_ROUTES = {
    "staff:report",
    "staff:report_csv",
    "staff:processor_report",
    "staff:processor_report_csv",
}


def test_every_staff_route_is_accounted_for():
    """A new staff route must be added to one of the lists above (and so be tested here)."""
    from django.urls import resolve

    from portal.urls import staff_urls

    names = {f"staff:{pattern.name}" for pattern in staff_urls[0]}
    posted = {
        resolve(url.format(ref="ABCDE-FGHJK", pk=1)).view_name
        for _w, _t, url, _d in BAD_POSTS.values()
    }
    accounted = set(REDIRECTING) | set(PLAIN_REFUSAL) | set(NO_PATIENT) | READ_ONLY
    own_tests = (
        QUEUE_ROUTES
        | PRACTICE_ROUTES
        | API_CLIENT_ROUTES
        | TEAM_ROUTES
        | TEXT_ROUTES
        | NOTIFICATION_ROUTES
        | WEBHOOK_ROUTES
        | REPORT_ROUTES
        | ENTRY_ROUTES
    )
    assert names == posted | accounted | REGISTER_ROUTES | EXIT_ROUTES | own_tests


@pytest.mark.parametrize("name", NO_PATIENT)
def test_the_pages_of_work_beyond_a_request_show_no_patient(
    client, world, practice, handler, support, name
):
    from workflows.assistance import general, legal_orders

    task = general.ask(practice, actor=handler, kind="dpia", subject="DPIA", question="Waar?")
    (order,) = legal_orders.record(
        [practice],
        actor=support,
        authority="Rechtbank",
        legal_basis="art. 126nd Sv",
        order_reference="R-1",
        processing="Verstrekken",
        received_on=datetime.date(2026, 3, 2),
        planned_on=datetime.date(2026, 3, 3),
    )
    legal_orders.notify(order, actor=support)
    who, method, url, data, status = NO_PATIENT[name]
    client.force_login({"handler": handler, "support": support}[who])
    before = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
    path = url.format(pk=order.pk if "orders" in url else task.pk)
    response = client.get(path) if method == "GET" else client.post(path, data)
    page = response.content.decode()
    assert response.status_code == status and NAME not in page and EMAIL not in page
    assert not AuditRecord.objects.filter(seq__gt=before, patient_id=EMAIL).exists()


@pytest.mark.parametrize("name", PLAIN_REFUSAL)
def test_the_blocks_forms_answer_bad_input_without_the_patient(
    client, world, handler, support, name
):
    from requests_app.models import ExtraIdentifier

    who, what, url, data = PLAIN_REFUSAL[name]
    user = {"handler": handler, "support": support}[who]
    thing = world[what]
    extra = ExtraIdentifier.objects.create(
        task=world["erasing"],
        kind="email",
        value="ander@example.com",
        why="Gezien",
        added_by=support,
    )
    client.force_login(user)
    before = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first()
    response = client.post(
        url.format(ref=_subject(thing).reference, pk=thing.pk, extra=extra.pk), data
    )
    page = response.content.decode()
    assert response.status_code == 400 and NAME not in page and EMAIL not in page
    assert not AuditRecord.objects.filter(seq__gt=before, patient_id=EMAIL).exists()


@pytest.mark.parametrize("name", REDIRECTING)
def test_the_other_forms_show_no_page_with_bad_input(client, world, handler, support, name):
    who, what, url, data = REDIRECTING[name]
    user = {"handler": handler, "support": support}[who]
    thing = world[what]
    step = getattr(thing, "manual_steps", None)
    client.force_login(user)
    response = client.post(
        url.format(ref=_subject(thing).reference, pk=thing.pk, step=step.first().pk if step else 0),
        data,
    )
    assert response.status_code == 302 and NAME not in response.content.decode()
