"""In the browser: a processor administrator invites a practice's first administrator; the link
from the e-mail sets a password and an authenticator app; that administrator invites a handler
from the team page, who accepts, enrols and sees the queue. Screenshots (Dutch and English,
wide and narrow) go to SCREENSHOTS_DIR."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from requests_app.roles import Role
from tests.e2e.pages import accept_and_enrol, link_in_mail, snap, staff_page
from tests.factories import make_user, submit

pytestmark = pytest.mark.e2e


def test_a_practice_gets_its_administrator_and_its_first_handler(
    live_server, browser, providers, shots, settings, transactional_db, practice, patient
):
    settings.PORTAL_BASE_URL = live_server.url
    item = submit(practice, patient)
    processor_admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)

    page = staff_page(browser, live_server, processor_admin)
    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="Team").click()
    page.wait_for_url(re.compile(r"/staff/team/invite-admin/$"))
    page.get_by_role("button", name="Uitnodiging versturen").click()
    assert page.locator(".error-summary").is_visible()
    snap(page, shots, "team-invite-admin-errors")
    page.get_by_label("AGB-code van de praktijk").fill(practice.agb_code)
    page.get_by_label("Volledige naam").fill("Bea Beheer")
    page.get_by_label("E-mailadres op het werk").fill("Bea@Practice.example")
    page.get_by_role("button", name="Uitnodiging versturen").click()
    assert "De uitnodiging is verstuurd naar bea@practice.example" in page.content()
    snap(page, shots, "team-invite-admin")
    link = link_in_mail(providers, "bea@practice.example")

    admin_page = accept_and_enrol(browser, link, "Bea Beheer", shots)
    admin_page.goto(f"{live_server.url}/staff/")
    admin_page.get_by_role("link", name="Team").click()
    assert "Team van" in admin_page.content() and "Bea Beheer" in admin_page.content()
    snap(admin_page, shots, "team-page")
    admin_page.get_by_role("link", name="Teamlid uitnodigen").click()
    snap(admin_page, shots, "team-invite")
    admin_page.get_by_label("Volledige naam").fill("Henk Handel")
    admin_page.get_by_label("E-mailadres op het werk").fill("henk@practice.example")
    admin_page.get_by_label("Behandelaar van verzoeken").check()
    admin_page.get_by_role("button", name="Uitnodiging versturen").click()
    assert "henk@practice.example" in admin_page.content()
    assert "Openstaande uitnodigingen" in admin_page.content()
    snap(admin_page, shots, "team-page-pending")

    handler_link = link_in_mail(providers, "henk@practice.example")
    handler_page = accept_and_enrol(browser, handler_link, "Henk Handel")
    handler_page.goto(f"{live_server.url}/staff/")
    assert item.reference in handler_page.content()  # the practice's queue
    snap(handler_page, shots, "team-handler-queue")

    # The link worked once.
    handler_page.goto(handler_link)
    assert "al gebruikt" in handler_page.content()
    snap(handler_page, shots, "team-invitation-used")

    stale = make_user("oud@practice.example", Role.DPO, practice)
    get_user_model().objects.filter(pk=stale.pk).update(
        last_login=timezone.now() - datetime.timedelta(days=120)
    )
    admin_page.goto(f"{live_server.url}/staff/team/review/")
    assert "oud@practice.example" in admin_page.content()
    snap(admin_page, shots, "team-review")
    admin_page.locator(
        f"a[href='/staff/team/members/{stale.memberships.get().pk}/remove/?back=review']"
    ).click()
    assert "Dit is de enige rol" in admin_page.content()
    snap(admin_page, shots, "team-remove")
    admin_page.get_by_role("button", name="Rol wegnemen").click()
    admin_page.wait_for_url(re.compile(r"/staff/team/review/$"))
    assert "oud@practice.example heeft de rol" in admin_page.content()
