"""In the browser, as a handler: the request page taken on (only the identity refusal offered), a
refusal sent with a wrong ground (the reason said, the text kept), and a granted request whose
package is released from the page. Screenshots (Dutch and English, wide and narrow) go to
SCREENSHOTS_DIR."""

import pytest

from requests_app.legal import LegalGround
from tests.e2e.pages import WIDTHS, snap, staff_page, use_language
from tests.factories import forwarded, granted, submit
from workflows.casework import actions as casework

pytestmark = pytest.mark.e2e


def fits(page) -> None:
    """Every width without sideways scrolling."""
    for language in ("nl", "en"):
        use_language(page, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
    use_language(page, "nl")


def test_a_handler_works_a_request_from_its_page(
    live_server, browser, providers, shots, transactional_db, practice, patient, handler
):
    handler.first_name, handler.last_name = "Anna", "de Vries"
    handler.save()
    item = forwarded(submit(practice, patient))
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    snap(page, shots, "request-forwarded")
    page.get_by_text("Bevestigen: ik behandel dit verzoek").first.click()
    page.get_by_role("button", name="Bevestigen: ik behandel dit verzoek").click()
    assert "Anna de Vries" in page.locator(".facts").first.inner_text()
    page.locator("summary", has_text="Afwijzen").click()
    options = page.locator("#id_refuse-legal_ground option").all_inner_texts()
    assert options[0] == "— kies —" and len(options) == 2
    page.get_by_label("Redenen (zichtbaar voor de patiënt)").fill("Geen identiteitsbewijs.")
    page.locator("form[action$='/act/refuse/'] button").click()
    assert page.locator("#id_refuse-legal_ground_error").is_visible()
    assert "Geen identiteitsbewijs." in page.locator("#id_refuse-reason").input_value()
    snap(page, shots, "request-refuse-unchosen")
    fits(page)


def test_the_package_is_released_from_the_request_page(
    live_server,
    browser,
    providers,
    shots,
    transactional_db,
    platform_db,
    package_dir,
    practice,
    patient,
    handler,
    support,
):
    from demo import platform as demo
    from tests.factories import decided
    from workflows.assistance import packages
    from workflows.assistance import tasks as assistance

    demo.add_patient(platform_db, practice_agb=practice.agb_code, email=patient.email)
    item = decided(practice, patient, handler, kind="access", grant=False)
    casework.write_to_patient(item, actor=handler, body="Wij verzamelen uw gegevens.")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles"),
        actor=support,
    )
    package = packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    task = assistance.deliver(task, actor=support)
    packages.record_download(package, user=handler, who="practice")
    assistance.accept(task, actor=handler)
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    snap(page, shots, "request-package-waits-for-grant")
    granted(item, handler)
    page.reload()
    snap(page, shots, "request-package-ready")
    fits(page)
    page.locator("#h-package ~ ul button").click()
    page.get_by_label("Ik begrijp dat de patiënt deze gegevens kan downloaden", exact=False).check()
    page.get_by_role("button", name="Nu vrijgeven").click()
    assert page.url.endswith(f"/staff/requests/{item.reference}/#h-package")
    snap(page, shots, "request-package-released")


def test_a_refused_request_reads_plainly(
    live_server, browser, providers, shots, transactional_db, practice, patient, handler
):
    item = forwarded(submit(practice, patient))
    item = casework.act(item, "acknowledge", actor=handler, version=item.version)
    item = casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason="Geen identiteitsbewijs getoond.",
        legal_ground=LegalGround.IDENTITY,
    )
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/requests/{item.reference}/")
    history = page.locator(".timeline").inner_text()
    assert "Afgewezen → Afgewezen" not in history and "handler@" not in history
    snap(page, shots, "request-refused")
