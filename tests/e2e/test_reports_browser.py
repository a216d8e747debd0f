"""The report pages in a browser: a practice's own and the processor's over every practice, with
a year of requests, at a desk's width and a phone's, in Dutch and English (axe-core and the
390 px check through snap). Screenshots go to SCREENSHOTS_DIR when set."""

import datetime
import itertools
import random

import pytest
from django.utils import timezone

from requests_app.models import AssistanceTask, Request
from requests_app.references import new_reference
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page
from tests.factories import make_user

pytestmark = pytest.mark.e2e

KINDS = ["access", "access", "erasure", "rectification", "objection", "complaint", "portability"]
GROUNDS = ["identity", "rights_of_others", "manifestly_unfounded"]


def a_year_of_requests(practice, handler, *, n: int, seed: int) -> None:
    rng = random.Random(seed)
    now = timezone.now()
    day = datetime.timedelta(days=1)
    kinds = itertools.cycle(KINDS)
    rows = []
    for i in range(n):
        received = now - day * rng.uniform(1, 330)
        answered = received + day * rng.uniform(4, 40) if rng.random() < 0.7 else None
        refused = answered is not None and rng.random() < 0.25
        rows.append(
            Request(
                practice=practice,
                reference=new_reference(),
                kind=next(kinds),
                state=("refused" if refused else "granted") if answered else "in_review",
                patient_name="Jan Jansen",
                patient_email=f"p{seed}-{i}@example.com",
                patient_birth_date=datetime.date(1970, 1, 1),
                description="-",
                channel="web",
                received_at=received,
                forwarded_at=received + datetime.timedelta(seconds=rng.uniform(2, 90)),
                acknowledged_at=received + day * rng.uniform(0.2, 4),
                decided_at=answered,
                decision=("refused" if refused else "granted") if answered else "",
                legal_ground=rng.choice(GROUNDS) if refused else "",
                response_due=(received + day * 31).date(),
                extended_at=received + day * 10 if i % 9 == 0 else None,
            )
        )
    stored = Request.objects.bulk_create(rows)
    AssistanceTask.objects.bulk_create(
        [
            AssistanceTask(
                request=item,
                practice=practice,
                kind="supply" if i % 3 else "erase",
                instruction="-",
                requested_by=handler,
                requested_at=item.received_at + day,
                due=(item.received_at + day * 8).date(),
                state="accepted",
                delivered_at=item.received_at + day * rng.uniform(2, 11),
            )
            for i, item in enumerate(stored[:12])
        ]
    )


def test_the_practice_and_the_processor_read_their_reports(
    live_server, browser, shots, transactional_db, practice, other_practice, handler, support
):
    a_year_of_requests(practice, handler, n=80, seed=1)
    a_year_of_requests(
        other_practice, make_user("h@elders.example", Role.HANDLER, other_practice), n=30, seed=2
    )

    page = staff_page(browser, live_server, handler, height=1400)
    page.goto(live_server.url + "/staff/")
    page.get_by_role("link", name="Rapportages").click()
    page.get_by_role("heading", name="Rapportage: Huisartsenpraktijk 01234567").wait_for()
    assert page.locator("svg.chart").count() == 5
    assert "Praktijk Elders" not in page.content()
    snap(page, shots, "report-practice")
    with page.expect_download() as download:
        page.locator('a[href^="/staff/reports/months.csv"]').click()
    assert download.value.suggested_filename.endswith("-months.csv")
    page.close()

    processor = staff_page(browser, live_server, support, height=1400)
    processor.goto(live_server.url + "/staff/tasks/")
    processor.get_by_role("link", name="Rapportages").click()
    processor.get_by_role("heading", name="Rapportage over alle praktijken").wait_for()
    assert processor.get_by_role("link", name="Praktijk Elders").count() == 1
    snap(processor, shots, "report-processor")
    processor.locator("select[name=practice]").select_option(label=str(other_practice))
    processor.get_by_role("button", name="Tonen").click()
    processor.get_by_role("heading", name="Rapportage: Praktijk Elders").wait_for()
    processor.close()


def test_a_new_practice_sees_that_there_is_no_data_yet(
    live_server, browser, shots, transactional_db, practice, handler
):
    page = staff_page(browser, live_server, handler, height=1200)
    page.goto(live_server.url + "/staff/reports/")
    assert "In deze maanden zijn nog geen verzoeken ontvangen." in page.content()
    snap(page, shots, "report-empty")
