"""In the browser: processor support finds the messages that failed for good through the staff
navigation, reads the provider's answer, filters and sends one again. Screenshots (Dutch and
English, wide and narrow) go to SCREENSHOTS_DIR."""

import pytest

from tests.e2e.pages import snap, staff_page
from tests.factories import failed_message, submit

pytestmark = pytest.mark.e2e


def test_support_sends_a_failed_message_again(
    live_server,
    browser,
    shots,
    transactional_db,
    practice,
    other_practice,
    patient,
    support,
    providers,
):
    item = submit(practice, patient)
    failed = failed_message(request=item, recipient="jan@exampel.com")
    failed_message(
        practice=other_practice,
        medium="sms",
        purpose="practice_new_request",
        recipient="+31600000000",
        error="Twilio answered 400 (code 21211): The 'To' number +31600000000 is not valid.",
    )
    failed_message(
        purpose="intake_code",
        recipient="piet@exampel.com",
        scrub_after_send=True,
        error="SendGrid answered 400: b'The to email does not contain a valid address.'",
    )
    providers.reset()

    page = staff_page(browser, live_server, support)
    page.get_by_role("link", name="Mislukte berichten").click()
    assert "does not contain a valid address" in page.content()
    snap(page, shots, "failed-messages")

    page.get_by_role("button", name=f"N{failed.pk} opnieuw versturen").click()
    assert "wordt opnieuw verstuurd naar jan@exampel.com" in page.content()
    assert len(providers.emails()) == 1
    page.get_by_label("Ook berichten die al opnieuw zijn verstuurd").check()
    page.get_by_label("Kanaal").select_option("email")
    page.get_by_role("button", name="Tonen").click()
    assert "Opnieuw verstuurd als N" in page.content()
    snap(page, shots, "failed-messages-resent")
