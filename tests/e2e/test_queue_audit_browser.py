"""The practice queue with a realistic number of requests, and the FG's audit log with more
records than one page holds, at a desk's width and a phone's, in Dutch and English: nothing
scrolls sideways on a phone, a state badge stays on one line at a desk. Screenshots go to
SCREENSHOTS_DIR when set."""

import datetime
import itertools

import pytest
from django.utils import timezone

from requests_app import audit
from requests_app.models import AuditAction, Request, RequestKind, RequestState
from requests_app.references import new_reference
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page, use_language
from tests.factories import make_user

pytestmark = pytest.mark.e2e

NAMES = ["Jan Jansen", "Fatima el Amrani", "Maria van den Bosch-Verhoeven", "Piet de Vries"]
STATES = [
    RequestState.FORWARDED,
    RequestState.IN_REVIEW,
    RequestState.AWAITING_PATIENT,
    RequestState.IN_PROGRESS,
    RequestState.AWAITING_FEE,
    RequestState.ACKNOWLEDGED,
    RequestState.INVESTIGATING,
    RequestState.GRANTED,
]


def busy_practice(practice, handler, n: int = 34) -> list[Request]:
    today = timezone.localdate()
    kinds = itertools.cycle(RequestKind.values)
    states = itertools.cycle(STATES)
    names = itertools.cycle(NAMES)
    return Request.objects.bulk_create(
        [
            Request(
                practice=practice,
                reference=new_reference(),
                kind=next(kinds),
                state=next(states),
                patient_name=next(names),
                patient_email=f"patient{i}@example.com",
                patient_birth_date=datetime.date(1950 + i, 1 + i % 12, 1 + i % 28),
                description="-",
                channel="web",
                response_due=today + datetime.timedelta(days=i - 5),
                assigned_to=handler if i % 3 else None,
            )
            for i in range(n)
        ]
    )


def accessibility_violations(page) -> list[str]:
    """What axe-core finds against WCAG 2.1 A and AA on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    results = Axe().run(page, options=options)
    return [v["id"] for v in results.response["violations"]]


def document_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def badge_heights(page) -> list[float]:
    """How tall each state badge is, against one line of its own text."""
    return page.evaluate(
        """[...document.querySelectorAll('.queue .state')].map(b => {
            const s = getComputedStyle(b);
            return b.getBoundingClientRect().height / parseFloat(s.lineHeight || s.fontSize * 1.5);
        })"""
    )


def test_the_queue_fits_a_phone_and_keeps_badges_on_one_line_at_a_desk(
    live_server, browser, shots, transactional_db, practice, handler
):
    busy_practice(practice, handler)
    page = staff_page(browser, live_server, handler)
    page.goto(live_server.url + "/staff/?state=all")
    page.get_by_role("heading", level=1).wait_for()
    snap(page, shots, "queue")
    for language in ("nl", "en"):
        use_language(page, language)
        page.set_viewport_size({"width": 1280, "height": 900})
        assert document_width(page) <= 1280, language
        assert max(badge_heights(page)) < 1.9, language  # one line (with its padding)
        heights = page.evaluate(
            "[...document.querySelectorAll('.queue tbody tr')]"
            ".map(r => r.getBoundingClientRect().height)"
        )
        # Rows a screen (nine before): text stays at least 16 px, so a row is about 54 px.
        assert 900 / (sum(heights) / len(heights)) >= 14, language
        page.set_viewport_size({"width": 390, "height": 900})
        assert document_width(page) <= 390, language
        assert accessibility_violations(page) == [], language
    page.close()


def test_the_audit_log_pages_through_in_plain_words_and_fits_a_phone(
    live_server, browser, shots, transactional_db, practice, handler
):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    items = busy_practice(practice, handler, n=8)
    for i in range(210):
        audit.record("request.view", AuditAction.READ, user=handler, request=items[i % len(items)])
    page = staff_page(browser, live_server, fg)
    page.goto(live_server.url + "/staff/audit/")
    page.get_by_role("heading", level=1).wait_for()
    snap(page, shots, "audit-log")
    text = page.locator("main").inner_text()
    assert "request.view" not in text and "success" not in text
    assert "geslaagd" in text
    # 210 records, and the FG's own look at the queue on signing in.
    assert "Regels 1–100 van 211" in text
    page.get_by_role("link", name="Volgende").click()
    page.get_by_text("Regels 101–200 van 211").wait_for()
    assert "page=2" in page.url
    for language in ("nl", "en"):
        use_language(page, language)
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            assert document_width(page) <= width, (language, width)
            assert accessibility_violations(page) == [], (language, width)
    page.close()
