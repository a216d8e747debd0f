"""The API's reference page in the browser without JavaScript: it reads at 1280 and 390 px, in
Dutch and English, with no sideways scrolling and no axe-core violations, and an example of a
refusal opens without script."""

import pytest

from tests.e2e.pages import snap

pytestmark = pytest.mark.e2e


def test_the_api_reference_reads_without_javascript_and_passes_axe(
    live_server, browser, shots, transactional_db
):
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="nl-NL"
    )
    page = context.new_page()
    page.goto(live_server.url + "/api/v1/reference")
    assert page.get_by_role("heading", level=1).inner_text() == "API-naslag: de patiënt-app"
    example = page.locator("details").first
    example.locator("summary").click()
    assert example.get_attribute("open") is not None
    assert example.locator("pre").is_visible()
    snap(page, shots, "api-reference", scripts=False)
    context.close()
