"""A patient opens, from their list of requests, the page of who saw their data: the handler's
look, support's export and a refused look by someone else, and the request's history; it fits a
phone without sideways scrolling. Screenshots go to SCREENSHOTS_DIR when set."""

import dataclasses

import pytest
from django.test import Client

from requests_app.models import Request
from tests.e2e.pages import patient_page, snap
from tests.factories import forwarded, released_package, submit
from workflows.casework import actions as casework
from workflows.casework.patients import account_for

pytestmark = pytest.mark.e2e


def test_patient_reads_who_saw_their_data(
    live_server,
    browser,
    providers,
    shots,
    transactional_db,
    practice,
    handler,
    support,
    patient,
    platform_db,
    package_dir,
):
    for user, first, last in ((handler, "Karin", "Smit"), (support, "Piet", "de Helper")):
        user.first_name, user.last_name = first, last
        user.save()
    item = forwarded(submit(practice, patient))
    item = casework.act(item, "acknowledge", actor=handler, version=item.version)
    casework.write_to_patient(item, actor=handler, body="Wij zoeken uw gegevens op.")
    item = Request.objects.get(pk=item.pk)
    item = casework.act(item, "verify_identity", actor=handler, version=item.version, how="ID")
    released_package(item, handler, support)
    staff = Client()
    staff.force_login(handler)
    assert staff.get(f"/staff/requests/{item.reference}/").status_code == 200
    someone = Client()
    someone.force_login(account_for(dataclasses.replace(patient, email="els@example.com").email))
    assert someone.get(f"/track/{item.reference}/access/").status_code == 404
    providers.reset()

    page = patient_page(browser, live_server, providers, patient.email)
    page.set_viewport_size({"width": 390, "height": 900})
    page.screenshot(path=str(shots / "patient-access-link-on-track-nl-390.png"))
    page.get_by_role("link", name="Verloop, en wie uw gegevens zag").click()
    page.get_by_role("heading", name="Wie uw gegevens zag").wait_for()
    text = page.locator("main").inner_text()
    assert "Karin Smit bekeek uw verzoek" in text
    assert "Piet de Helper exporteerde uw gegevens" in text
    assert "Iemand zonder toegang probeerde uw verzoek te openen" in text
    assert handler.email not in text and support.email not in text

    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    from axe_playwright_python.sync_playwright import Axe

    assert Axe().run(page).violations_count == 0
    snap(page, shots, "patient-access-log")
