"""In the browser, as a handler: a request sent twice shows its flag with a link to the first and
both actions; the queue marks it; one is merged, another kept separate with a reason (refused
first without one). Screenshots (Dutch and English, wide and narrow) go to SCREENSHOTS_DIR."""

import dataclasses

import pytest

from requests_app.models import Request, RequestState
from tests.e2e.pages import snap, staff_page
from tests.factories import forwarded, submit

pytestmark = pytest.mark.e2e


def test_a_handler_merges_one_duplicate_and_keeps_another_separate(
    live_server, browser, providers, shots, transactional_db, practice, patient, handler
):
    handler.first_name, handler.last_name = "Anna", "de Vries"
    handler.save()
    first = forwarded(submit(practice, patient, description="Welke gegevens heeft u van mij?"))
    again = forwarded(
        submit(
            practice,
            dataclasses.replace(patient, email="JAN@example.com"),
            description="Ik stuur mijn vraag nog een keer: ik wil inzage.",
        )
    )
    other = forwarded(
        submit(
            practice,
            dataclasses.replace(patient, email="j.jansen@werk.example", name="jan jansen"),
            description="Apart van mijn eerdere vraag: welke berichten uit de app bewaart u?",
        )
    )
    page = staff_page(browser, live_server, handler)
    page.goto(f"{live_server.url}/staff/")
    assert page.locator(".marker-duplicate").count() == 2
    snap(page, shots, "duplicates-queue")

    page.goto(f"{live_server.url}/staff/requests/{again.reference}/")
    flag = page.locator(".duplicate-flag")
    assert first.reference in flag.inner_text()
    snap(page, shots, "duplicate-flagged")
    page.get_by_role("link", name="Vergelijk de twee verzoeken").click()
    snap(page, shots, "duplicate-compare")
    page.get_by_role("button", name=f"Samenvoegen met {first.reference}").click()
    assert page.url.endswith(f"/staff/requests/{first.reference}/")
    assert "Een later verzoek is met dit verzoek samengevoegd" in page.content()
    snap(page, shots, "duplicate-after-merge-first")
    page.goto(f"{live_server.url}/staff/requests/{again.reference}/")
    assert "daar komt het antwoord" in page.content()
    snap(page, shots, "duplicate-merged")
    assert Request.objects.get(pk=again.pk).state == RequestState.MERGED

    page.goto(f"{live_server.url}/staff/requests/{other.reference}/")
    page.locator(".duplicate-flag summary", has_text="Apart houden").click()
    page.locator(".duplicate-flag form[action$='/duplicate/keep/'] button").click()
    assert page.locator("#id_keep-reason_error").is_visible()
    snap(page, shots, "duplicate-keep-without-reason")
    page.get_by_label("Waarom zijn dit twee verschillende verzoeken?").fill(
        "Andere vraag: over de berichten in de app."
    )
    page.get_by_role("button", name="Apart houden").click()
    assert page.locator(".duplicate-flag").count() == 0
    assert "Andere vraag: over de berichten in de app." in page.content()
    snap(page, shots, "duplicate-kept")
