"""In the browser: processor support announces a new sub-processor, the practice's FG objects with
a reason, support reads the objection; the FG downloads the practice's register of processing.
Screenshots (Dutch and English, 1280 and 390 px) go to SCREENSHOTS_DIR."""

import datetime
import json

import pytest
from django.utils import timezone

from requests_app.models import AnswerState, ChangeAnswer, SubProcessorApproval
from requests_app.roles import Role
from tests.e2e.pages import snap, staff_page
from tests.factories import approve, make_user

pytestmark = pytest.mark.e2e


def test_support_announces_the_fg_objects_and_downloads_the_register(
    live_server,
    browser,
    shots,
    transactional_db,
    migration_data,
    practice,
    other_practice,
    support,
    tmp_path,
):
    approve(practice, "SendGrid", "VANAD Enovation")
    fg = make_user("fg@practice.example", Role.DPO, practice)
    date = timezone.localdate() + datetime.timedelta(days=35)

    processor = staff_page(browser, live_server, support, height=1400)
    processor.goto(live_server.url + "/staff/subprocessor-changes/new/")
    snap(processor, shots, "subprocessor-change-new")
    processor.get_by_label("Een nieuwe subverwerker").check()
    processor.get_by_label("Subverwerker", exact=True).select_option(label="Twilio")
    processor.get_by_label("wat verandert en waarom (Nederlands)").fill(
        "Twilio verstuurt voortaan de sms-codes voor het inloggen."
    )
    processor.get_by_label("wat verandert en waarom (Engels)").fill(
        "Twilio will send the sign-in codes by SMS."
    )
    processor.get_by_label("gaat in op").fill(date.isoformat())
    processor.get_by_role("button", name="Aankondigen aan alle praktijken").click()
    processor.get_by_text("De wijziging is aangekondigd aan 2 praktijken.").wait_for()

    practice_page = staff_page(browser, live_server, fg, height=1200)
    practice_page.goto(live_server.url + "/staff/subprocessor-changes/")
    snap(practice_page, shots, "subprocessor-changes-practice")
    practice_page.get_by_role("link", name="Een nieuwe subverwerker: Twilio").click()
    snap(practice_page, shots, "subprocessor-change-answer")
    practice_page.get_by_role("button", name="Bezwaar maken").click()  # without a reason
    practice_page.get_by_text("Geef de reden van het bezwaar.").first.wait_for()
    snap(practice_page, shots, "subprocessor-change-answer-error")
    practice_page.get_by_label("Reden van het bezwaar").fill(
        "Wij willen geen verwerking van mobiele nummers buiten de EER."
    )
    practice_page.get_by_role("button", name="Bezwaar maken").click()
    practice_page.get_by_text("Uw bezwaar is aan de verwerker doorgegeven.").wait_for()
    answer = ChangeAnswer.objects.get(practice=practice)
    assert answer.state == AnswerState.OBJECTED
    assert not SubProcessorApproval.objects.filter(practice=practice, subprocessor__name="Twilio")

    processor.goto(live_server.url + f"/staff/subprocessor-changes/{answer.change_id}/")
    processor.get_by_role("cell", name="Wij willen geen verwerking van mobiele nummers").wait_for()
    assert practice.name in processor.get_by_role("table").first.inner_text()
    snap(processor, shots, "subprocessor-change-support")

    practice_page.get_by_role("link", name="Register van verwerkingen").click()
    practice_page.get_by_role("heading", name=f"Register van verwerkingen voor {practice.name}")
    snap(practice_page, shots, "processing-register")
    with practice_page.expect_download() as download:
        practice_page.get_by_role("link", name="Downloaden als JSON").click()
    target = tmp_path / "register.json"
    download.value.save_as(target)
    document = json.loads(target.read_text())
    assert [s["name"] for s in document["subprocessors"]] == ["SendGrid", "VANAD Enovation"]
    assert document["controller"]["name"] == practice.name
