"""Every page a patient, a handler, an FG, a practice administrator and processor support can
reach, found by following the links of the menu and the pages, in Dutch and English at 1280 and
390 px: each passes axe-core's WCAG 2.1 AA rules, fits a phone, and no link leads to an error.
Pages of one kind (request pages, task pages, letters) are visited once. Screenshots go to
SCREENSHOTS_DIR when set."""

import datetime
import re

import pytest
from django.utils import timezone

from demo import platform as demo
from requests_app.models import ChangeKind, SubProcessor
from requests_app.roles import Role
from tests.e2e.pages import assert_accessible, patient_page, shoot, staff_page
from tests.factories import (
    decided,
    erased_with_certificate,
    forwarded,
    make_user,
    released_package,
    submit,
)
from workflows.assistance import general, legal_orders
from workflows.assistance import tasks as assistance
from workflows.casework import actions as casework
from workflows.register import changes

pytestmark = pytest.mark.e2e

# Files, not pages; and leaving the portal (the identity broker, the admin).
NOT_PAGES = re.compile(
    r"(\.csv|\.json|/pdf/|/download/|/archive/|/documents/\d+/$|^/admin/|^/i18n/|/link/|logout)"
)
# Enough for every kind of page a role has, within about two minutes per role.
LIMIT = 24


def kind_of(href: str) -> str:
    """One page per kind: a segment with a digit, or a reference, names a record; a page with a
    query (search results, a filter) is one more kind."""
    path, query = href.split("?")[0], "?" if "?" in href else ""
    record = re.compile(r".*\d.*|[A-Z0-9]{5}-[A-Z0-9]{5}")
    return "/".join("N" if record.fullmatch(part) else part for part in path.split("/")) + query


def visit_every_page(page, base: str, shots, role: str, start: list[str]) -> list[str]:
    """Follows the links of the menu and the main part, breadth first, from `start`; returns the
    kinds of page visited. Fails with every problem found, not only the first."""
    queue, seen, problems = list(start), set(), []
    while queue and len(seen) < LIMIT:
        path = queue.pop(0)
        if kind_of(path) in seen:
            continue
        seen.add(kind_of(path))
        response = page.goto(base + path)
        if response.status != 200:
            problems.append(f"{path} answered {response.status}")
            continue
        name = re.sub(r"[^a-z0-9]+", "-", f"every-{role}-{kind_of(path)}".lower()).strip("-")
        problems += shoot(page, shots, name)
        links = page.eval_on_selector_all(
            "header a[href], main a[href]", "links => links.map(a => a.getAttribute('href'))"
        )
        queue += [
            href
            for href in links
            if href.startswith("/") and not NOT_PAGES.search(href) and href not in queue
        ]
    assert_accessible(problems)
    return sorted(seen)


@pytest.fixture
def world(transactional_db, migration_data, platform_db, package_dir, practice, patient, handler):
    """A request in each stage a page shows differently, a question to and an order of the
    processor, an incident and an announced change of sub-processors."""
    support = make_user("support-every@processor.example", Role.SUPPORT)
    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=patient.email, messages=3)
    forwarded(submit(practice, patient, description="Welke gegevens heeft u over mij?"))
    asked = forwarded(submit(practice, patient))
    asked = casework.act(asked, "acknowledge", actor=handler, version=asked.version)
    casework.act(asked, "ask_patient", actor=handler, version=asked.version, note="Welke periode?")
    access = decided(practice, patient, handler, kind="access", grant=False)
    released_package(access, handler, support)
    erased_with_certificate(decided(practice, patient, handler, kind="erasure"), handler, support)
    rectify = decided(practice, patient, handler, kind="rectification")
    assistance.request_assistance(rectify, actor=handler, kind="rectify", instruction="Adres")
    submit(None, patient, practice_given="Dokter ?")
    submit(practice, patient, about_processor=True)  # opens an incident
    general.ask(practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?")
    (order,) = legal_orders.record(
        [practice],
        actor=support,
        authority="Officier van justitie",
        legal_basis="art. 126nd Sv",
        order_reference="OvJ-1",
        processing="Inloggegevens verstrekken",
        received_on=timezone.localdate(),
        planned_on=timezone.localdate() + datetime.timedelta(days=3),
    )
    legal_orders.notify(order, actor=support)
    changes.announce(
        actor=support,
        kind=ChangeKind.NEW,
        subprocessor=SubProcessor.objects.create(
            name="Mailgun", service="e-mail", location="Duitsland", categories=["email"]
        ),
        description_nl="Mailgun verstuurt e-mail.",
        description="Mailgun sends e-mail.",
        effective_on=changes.earliest_effective_date(),
    )
    return {"support": support}


def test_every_page_of_the_patient(live_server, browser, providers, shots, world, patient):
    anonymous = browser.new_page(locale="nl-NL")
    seen = visit_every_page(anonymous, live_server.url, shots, "public", ["/", "/?q=Utrecht"])
    assert {"/", "/request/N/", "/request/other/", "/track/", "/accounts/login/"} <= set(seen)
    page = patient_page(browser, live_server, providers, patient.email)
    seen = visit_every_page(page, live_server.url, shots, "patient", ["/track/"])
    assert "/track/" in seen and any("/letters/" in kind for kind in seen)


def test_every_page_of_a_handler(live_server, browser, shots, world, handler):
    page = staff_page(browser, live_server, handler)
    seen = visit_every_page(page, live_server.url, shots, "handler", ["/staff/"])
    assert {"/staff/", "/staff/requests/N/", "/staff/tasks/", "/staff/tasks/N/"} <= set(seen)


def test_every_page_of_the_fg(live_server, browser, shots, world, practice):
    fg = make_user("fg-every@practice.example", Role.DPO, practice)
    page = staff_page(browser, live_server, fg)
    seen = visit_every_page(page, live_server.url, shots, "fg", ["/staff/"])
    assert {"/staff/audit/", "/staff/incidents/", "/staff/subprocessor-changes/"} <= set(seen)


def test_every_page_of_a_practice_administrator(live_server, browser, shots, world, practice):
    admin = make_user("admin-every@practice.example", Role.PRACTICE_ADMIN, practice)
    page = staff_page(browser, live_server, admin)
    seen = visit_every_page(page, live_server.url, shots, "practice-admin", ["/staff/"])
    assert {"/staff/", "/staff/requests/N/", "/staff/register/"} <= set(seen)


def test_every_page_of_processor_support(live_server, browser, shots, world):
    page = staff_page(browser, live_server, world["support"])
    seen = visit_every_page(page, live_server.url, shots, "support", ["/staff/unrouted/"])
    assert {"/staff/unrouted/", "/staff/exits/", "/staff/tasks/N/", "/staff/orders/"} <= set(seen)
