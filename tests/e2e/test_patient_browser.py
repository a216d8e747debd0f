"""A patient follows a request in the browser: signs in with an e-mailed code, reads the
practice's question and answers it; the practice sees the answer. Screenshots go to
SCREENSHOTS_DIR when set."""

import pytest

from requests_app.models import Request, RequestState
from tests.e2e.pages import patient_page, staff_page
from tests.factories import submit
from workflows.casework import actions as casework

pytestmark = pytest.mark.e2e


def test_patient_answers_a_question_from_the_practice(
    live_server, browser, providers, shots, transactional_db, practice, handler, patient
):
    item = submit(practice, patient)
    item = casework.act(
        Request.objects.get(pk=item.pk),
        "acknowledge",
        actor=handler,
        version=Request.objects.get(pk=item.pk).version,
    )
    casework.act(
        item,
        "ask_patient",
        actor=handler,
        version=item.version,
        note="Over welke periode wilt u inzage?",
    )
    providers.reset()

    page = patient_page(browser, live_server, providers, patient.email)

    page.get_by_text("Over welke periode wilt u inzage?").wait_for()
    page.locator("textarea[name=body]").fill("Alles van 2025, graag.")
    page.locator(f"form[action='/track/{item.reference}/reply/'] button").click()
    page.get_by_text("Alles van 2025, graag.").wait_for()
    page.screenshot(path=str(shots / "patient-track.png"), full_page=True)

    answered = Request.objects.get(pk=item.pk)
    assert answered.state == RequestState.IN_REVIEW
    assert answered.messages.last().body == "Alles van 2025, graag."

    staff = staff_page(browser, live_server, handler, height=900)
    staff.goto(live_server.url + f"/staff/requests/{item.reference}/")
    staff.get_by_text("Alles van 2025, graag.").wait_for()
    staff.screenshot(path=str(shots / "staff-detail.png"), full_page=True)
