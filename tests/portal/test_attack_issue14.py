"""An attacker's view of issue 14: invitations and the team, a practice's own settings, requests
sent back to support, duplicates, the queue's bulk step and export. Another practice's ids are a
404 and change nothing; a request that left a practice takes none of its data along; a leaver
keeps no way back in."""

import concurrent.futures
import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from requests_app.models import Membership, Practice, Request, RequestState, StaffInvitation
from requests_app.roles import Role
from tests.factories import forwarded, make_user, queue_refs, submit
from tests.live_http import Visitor
from workflows.intake.forwarding import route_request
from workflows.intake.send_back import send_back
from workflows.onboarding import invitations, team

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "een-lang-wachtwoord-42"
FORM = {"name": "Mallory Mol", "password1": PASSWORD, "password2": PASSWORD}


def body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def fresh(item):
    return type(item).objects.get(pk=item.pk)


@pytest.fixture
def admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


@pytest.fixture
def second_admin(practice):
    return make_user("tweede@practice.example", Role.PRACTICE_ADMIN, practice)


def link_of(invited) -> str:
    return "/" + invited.link.split("/", 3)[3]


# --- Invitations and the team ------------------------------------------------------------------
def test_a_removed_administrators_open_invitation_lets_nobody_in(practice, admin, second_admin):
    """A leaving administrator invites a private address as administrator, is removed, and
    comes back in through the link."""
    invited = invitations.invite(
        practice=practice,
        email="prive@mail.example",
        name="Mallory Mol",
        role=Role.PRACTICE_ADMIN,
        actor=admin,
    )
    team.remove_membership(admin.memberships.get(), actor=second_admin)
    response = Client().post(link_of(invited), FORM)
    assert response.status_code in (404, 410)
    assert not Membership.objects.filter(user__email="prive@mail.example").exists()


def test_an_invitation_of_a_practice_that_left_adds_nobody(practice, admin):
    invited = invitations.invite(
        practice=practice,
        email="laat@practice.example",
        name="Laat Komer",
        role="handler",
        actor=admin,
    )
    # The exit has started: the practice receives no requests any more (exits.start_exit).
    Practice.objects.filter(pk=practice.pk).update(active=False)
    response = Client().post(link_of(invited), FORM)
    assert response.status_code in (404, 410)
    assert not Membership.objects.filter(user__email="laat@practice.example").exists()


def test_a_practice_administrator_cannot_invite_a_processor_role_or_elsewhere(
    client, practice, other_practice, admin
):
    client.force_login(admin)
    form = {"name": "X Y", "email": "x@practice.example", "language": "nl"}
    for role in ("processor_admin", "support", "PRACTICE_ADMIN", "practice_admin\x00", "handler "):
        response = client.post(f"/staff/team/practice/{practice.pk}/invite/", form | {"role": role})
        assert response.status_code == 400, role
    assert client.get("/staff/team/invite-admin/").status_code == 403
    post = {"practice": other_practice.pk, "email": "x@practice.example", "name": "X Y"}
    assert client.post("/staff/team/invite-admin/", post).status_code == 403
    assert client.post(f"/staff/team/practice/{other_practice.pk}/invite/", form).status_code == 404
    for bad in ("0", "-1", "99999999999999999999", "1%00"):
        assert client.get(f"/staff/team/practice/{bad}/").status_code in (400, 404), bad
    assert not StaffInvitation.objects.exists()
    with pytest.raises(invitations.InvitationRefused):
        invitations.invite(
            practice=other_practice, email="x@e.example", name="X", role="handler", actor=admin
        )
    with pytest.raises(invitations.InvitationRefused):
        invitations.invite(
            practice=practice, email="x@e.example", name="X", role="processor_admin", actor=admin
        )


def test_accepting_while_signed_in_as_someone_else_changes_nothing(practice, admin, handler):
    invited = invitations.invite(
        practice=practice, email="handler@practice.example", name="H", role="dpo", actor=admin
    )
    browser = Client()
    browser.force_login(admin)  # the administrator opens the link meant for the handler
    assert browser.post(link_of(invited)).status_code == 403
    assert browser.post(link_of(invited), FORM).status_code in (400, 403)
    assert not Membership.objects.filter(role="dpo").exists()
    assert fresh(invited.invitation).accepted_at is None


def test_a_used_link_does_not_reopen_after_the_role_is_removed(practice, admin):
    invited = invitations.invite(
        practice=practice,
        email="kort@practice.example",
        name="Kort Verblijf",
        role="handler",
        actor=admin,
    )
    assert Client().post(link_of(invited), FORM).status_code == 302
    team.remove_membership(Membership.objects.get(user__email="kort@practice.example"), actor=admin)
    for method in ("get", "post"):
        response = getattr(Client(), method)(
            link_of(invited), *([FORM] if method == "post" else [])
        )
        assert response.status_code == 410
    assert not Membership.objects.filter(user__email="kort@practice.example").exists()


def test_a_removed_members_live_session_ends(client, practice, admin, handler):
    item = forwarded(submit(practice, _patient()))
    client.force_login(handler)
    assert client.get(f"/staff/requests/{item.reference}/").status_code == 200
    team.remove_membership(handler.memberships.get(), actor=admin)
    for path in ("/staff/", f"/staff/requests/{item.reference}/", "/staff/export.csv"):
        response = client.get(path)
        assert response.status_code in (302, 403, 404), path
        assert item.reference not in response.content.decode()


# --- A practice administrator's own settings ---------------------------------------------------
def test_a_practice_administrator_cannot_change_the_agb_code_or_active(
    client, practice, other_practice, admin
):
    client.force_login(admin)
    page = client.get(f"/staff/settings/{practice.agb_code}/")
    assert page.status_code == 200
    data = {
        "name": practice.name,
        "street": practice.street,
        "postcode": practice.postcode,
        "city": practice.city,
        "dpo_name": practice.dpo_name,
        "dpo_email": practice.dpo_email,
        "dpo_phone": practice.dpo_phone,
        "standin_name": practice.standin_name,
        "standin_email": practice.standin_email,
        "agb_code": "99999999",
        "active": "",
    }
    client.post(f"/staff/settings/{practice.agb_code}/", data)
    mine = fresh(practice)
    assert (mine.agb_code, mine.active) == (practice.agb_code, True)
    # Another practice's AGB code, look-alike digits and a NUL byte: 404 or 400, no change.
    before = fresh(other_practice)
    for agb in (other_practice.agb_code, "０７６５４３２１", other_practice.agb_code + "%00"):
        response = client.post(f"/staff/settings/{agb}/", data | {"name": "Overgenomen"})
        assert response.status_code in (400, 404), agb
    for path in ("/staff/practices/", f"/staff/practices/{other_practice.agb_code}/edit/"):
        assert client.get(path).status_code in (403, 404), path
    assert fresh(other_practice).name == before.name
    assert not Membership.objects.filter(user=admin, role=Role.PROCESSOR_ADMIN).exists()


# --- Sent back to support: the old practice keeps nothing --------------------------------------
def _patient():
    import datetime

    from workflows.intake.submission import PatientDetails

    return PatientDetails(
        name="Jan Jansen",
        birth_date=datetime.date(1980, 5, 17),
        email="jan@example.com",
        phone="+31687654321",
    )


def test_after_send_back_the_old_practice_reads_nothing(
    client, practice, other_practice, handler, other_handler, support, providers
):
    item = forwarded(submit(practice, _patient(), description="Geheime omschrijving 4711"))
    send_back(item, actor=handler, version=fresh(item).version, reason="Niet van ons")
    route_request(fresh(item), other_practice, actor=support)
    client.force_login(handler)
    base = f"/staff/requests/{item.reference}/"
    for path in (
        base,
        f"{base}duplicate/",
        f"{base}letters/receipt/",
        f"{base}letters/receipt/pdf/",
        f"{base}send-back/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
    export = client.get("/staff/export.csv", {"state": "all"})
    assert export.status_code == 200
    text = body(export)
    assert item.reference not in text and "4711" not in text
    queue = client.get("/staff/", {"q": item.reference, "state": "all"})
    assert queue_refs(queue) == []
    bulk = client.post("/staff/bulk/", {"refs": [item.reference], "action": "acknowledge"})
    assert bulk.status_code in (400, 404)
    assert fresh(item).practice_id == other_practice.pk


def test_a_sent_back_duplicate_shows_the_new_practice_nothing_of_the_old(
    client, practice, other_practice, handler, other_handler, support, providers
):
    import dataclasses

    first = forwarded(submit(practice, _patient(), description="Eerste omschrijving 1234"))
    again = forwarded(
        submit(
            practice,
            dataclasses.replace(_patient(), email="Jan@Example.com"),
            description="Nog eens.",
        )
    )
    assert fresh(again).duplicate_of_id == first.pk
    send_back(fresh(again), actor=handler, version=fresh(again).version, reason="Niet van ons")
    route_request(fresh(again), other_practice, actor=support)
    client.force_login(other_handler)
    compare = client.get(f"/staff/requests/{again.reference}/duplicate/")
    detail = client.get(f"/staff/requests/{again.reference}/").content.decode()
    assert "1234" not in compare.content.decode()  # the old practice's request, described
    assert compare.status_code == 404
    assert first.reference not in detail  # nor in the history of its time at the old practice
    assert fresh(again).duplicate_of_id is None


def test_the_old_practice_does_not_see_a_first_request_that_moved_away(
    client, practice, other_practice, handler, support, providers
):
    import dataclasses

    first = forwarded(submit(practice, _patient(), description="Verhuisd verzoek 9876"))
    again = forwarded(
        submit(
            practice,
            dataclasses.replace(_patient(), email="Jan@Example.com"),
            description="Nog eens.",
        )
    )
    send_back(fresh(first), actor=handler, version=fresh(first).version, reason="Niet van ons")
    route_request(fresh(first), other_practice, actor=support)
    client.force_login(handler)
    compare = client.get(f"/staff/requests/{again.reference}/duplicate/")
    assert "9876" not in compare.content.decode()
    assert compare.status_code == 404


def test_merging_another_practices_duplicate_or_into_a_moved_first_is_refused(
    client, practice, other_practice, handler, other_handler, support, providers
):
    import dataclasses

    first = forwarded(submit(practice, _patient()))
    again = forwarded(
        submit(
            practice,
            dataclasses.replace(_patient(), email="Jan@Example.com"),
            description="Nog eens.",
        )
    )
    url = f"/staff/requests/{again.reference}/duplicate/"
    client.force_login(other_handler)
    for action in ("merge", "keep"):
        data = {"merge-version": again.version, "keep-version": again.version, "keep-reason": "x"}
        assert client.post(f"{url}{action}/", data).status_code == 404
    assert fresh(again).duplicate_flagged
    # The first moves to another practice: merging into it is refused, nothing changes.
    send_back(fresh(first), actor=handler, version=fresh(first).version, reason="Niet van ons")
    route_request(fresh(first), other_practice, actor=support)
    client.force_login(handler)
    response = client.post(f"{url}merge/", {"merge-version": fresh(again).version})
    assert response.status_code in (400, 403, 404, 409)
    assert fresh(again).state != RequestState.MERGED


# --- The queue's bulk step and export ----------------------------------------------------------
def test_bulk_with_another_practices_reference_mixed_in_changes_nothing(
    client, practice, other_practice, handler, other_handler, providers
):
    mine = forwarded(submit(practice, _patient()))
    theirs = forwarded(submit(other_practice, _patient()))
    client.force_login(handler)
    for action in ("acknowledge", "assign"):
        response = client.post(
            "/staff/bulk/",
            {
                "pick": [mine.reference, theirs.reference],
                f"v-{mine.reference}": mine.version,
                f"v-{theirs.reference}": theirs.version,
                "action": action,
                "assignee": handler.pk,
            },
        )
        assert response.status_code == 404, action
    for item in (mine, theirs):
        assert (fresh(item).state, fresh(item).assigned_to_id) == (RequestState.FORWARDED, None)
    # A NUL byte or a look-alike dash in a reference: refused, nothing changed.
    for ref in (mine.reference + "\x00", mine.reference.replace("-", "\u2010")):
        response = client.post("/staff/bulk/", {"pick": [ref], "action": "acknowledge"})
        assert response.status_code in (400, 404), ref
    assert fresh(mine).version == mine.version


def test_bulk_assigns_no_handler_of_another_practice(
    client, practice, other_practice, other_handler, providers
):
    """Someone who handles for two practices assigns a request of one to a handler of the
    other, who has no access to it."""
    both = make_user("beide@practice.example", Role.HANDLER, practice)
    Membership.objects.create(user=both, role=Role.HANDLER, practice=other_practice)
    mine = forwarded(submit(practice, _patient()))
    client.force_login(both)
    client.post(
        "/staff/bulk/",
        {
            "pick": [mine.reference],
            f"v-{mine.reference}": mine.version,
            "action": "assign",
            "assignee": other_handler.pk,
        },
    )
    assert fresh(mine).assigned_to_id != other_handler.pk


def test_the_export_disarms_formula_cells(client, practice, handler, providers):
    import dataclasses

    evil = dataclasses.replace(_patient(), name='=HYPERLINK("http://x.example","a")')
    forwarded(submit(practice, evil, description="+cmd|' /C calc'!A0"))
    client.force_login(handler)
    response = client.get("/staff/export.csv", {"state": "all"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(body(response))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_nobody_becomes_two_accounts_through_case_or_width(practice, admin):
    invited = invitations.invite(
        practice=practice, email="Nieuw@Practice.example", name="Nina", role="handler", actor=admin
    )
    assert Client().post(link_of(invited), FORM).status_code == 302
    with pytest.raises(invitations.InvitationRefused):
        invitations.invite(
            practice=practice, email="NIEUW@practice.example", name="N", role="handler", actor=admin
        )
    assert get_user_model().objects.filter(email__iexact="nieuw@practice.example").count() == 1
    assert Request.objects.count() == 0


# --- Resending a failed message ----------------------------------------------------------------
def test_resending_the_old_practices_message_does_not_forward_the_moved_request(
    client, practice, other_practice, handler, support, providers
):
    from tests.factories import failed_message
    from workflows.models import Notification, Status

    item = forwarded(submit(practice, _patient()))
    # The practice's SMS of the new request failed for good; its e-mail had arrived.
    # (As intake writes it: naming the practice it told.)
    old = failed_message(
        request=item,
        practice=practice,
        purpose="practice_new_request",
        medium="sms",
        recipient=practice.dpo_phone,
    )
    send_back(fresh(item), actor=handler, version=fresh(item).version, reason="Niet van ons")
    providers.fail_next(20, status=503)  # the new practice's messages do not get there yet
    route_request(fresh(item), other_practice, actor=support)
    providers._failures.clear()
    moved = fresh(item)
    assert moved.state == RequestState.RECEIVED and moved.practice_id == other_practice.pk
    client.force_login(support)
    client.post(f"/staff/notifications/failed/{old.pk}/resend/")
    after = fresh(item)
    notes = list(after.events.values_list("note", flat=True))
    assert not any(practice.dpo_phone in note for note in notes[3:]), notes
    # Nobody at the new practice has been told: its clock of 'without delay' does not stop.
    assert after.state == RequestState.RECEIVED
    # Not sent again to the old practice (its first SMS, from intake, was sent long before).
    assert not Notification.objects.filter(dedupe_key=f"resend:{old.pk}").exists()
    assert Notification.objects.get(pk=old.pk).status == Status.FAILED


def test_support_alone_resends_and_never_a_secret(client, practice, admin, handler, support):
    from tests.factories import failed_message

    theirs = failed_message(practice=practice, purpose="practice_new_request")
    code = failed_message(purpose="account_mail", scrub_after_send=True)
    for user in (admin, handler):
        client.force_login(user)
        assert client.get("/staff/notifications/failed/").status_code in (403, 404)
        response = client.post(f"/staff/notifications/failed/{theirs.pk}/resend/")
        assert response.status_code in (403, 404)
    client.force_login(support)
    response = client.post(f"/staff/notifications/failed/{code.pk}/resend/")
    assert response.status_code in (302, 400, 409)
    assert fresh(code).resent_as_id is None and fresh(theirs).resent_as_id is None
    for bad in ("0", "99999999999999999999"):
        assert client.post(f"/staff/notifications/failed/{bad}/resend/").status_code == 404


# --- Standard texts and reports of another practice --------------------------------------------
def test_another_practices_standard_text_is_out_of_reach(
    client, practice, other_practice, admin, handler, providers
):
    from workflows.casework import standard_texts

    other_admin = make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)
    theirs = standard_texts.write_text(
        other_practice, actor=other_admin, kind="message", title="Elders", text_nl="Geheim 5150"
    )
    client.force_login(admin)
    for path in (
        f"/staff/texts/{other_practice.pk}/",
        f"/staff/texts/{other_practice.pk}/new/message/",
        f"/staff/texts/edit/{theirs.pk}/",
    ):
        assert client.get(path).status_code == 404, path
    changed = {"title": "Weg", "text_nl": "Overschreven", "text_en": "", "save": "1"}
    assert client.post(f"/staff/texts/edit/{theirs.pk}/", changed).status_code == 404
    assert client.post(f"/staff/texts/edit/{theirs.pk}/remove/").status_code == 404
    assert fresh(theirs).text_nl == "Geheim 5150"
    item = forwarded(submit(practice, _patient()))
    client.force_login(handler)
    page = client.get(f"/staff/requests/{item.reference}/", {"text": theirs.pk})
    assert page.status_code in (200, 400, 404) and "5150" not in page.content.decode()


def test_a_placeholder_value_is_never_markup_or_a_placeholder(
    client, practice, admin, handler, providers
):
    import dataclasses

    from workflows.casework import standard_texts

    with pytest.raises(standard_texts.TextRefused):
        standard_texts.write_text(
            practice, actor=admin, kind="message", title="T", text_nl="{{ settings.SECRET_KEY }}"
        )
    text = standard_texts.write_text(
        practice, actor=admin, kind="message", title="Groet", text_nl="Beste {patient_name},"
    )
    evil = dataclasses.replace(_patient(), name="<script>alert(1)</script> {reference}")
    item = forwarded(submit(practice, evil))
    client.force_login(handler)
    page = client.get(f"/staff/requests/{item.reference}/", {"text": text.pk}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {reference}" in page


def test_reports_never_count_another_practice(client, practice, other_practice, handler):
    client.force_login(handler)
    for query in (
        {"practice": other_practice.pk},
        {"practice": "99999999999999999999"},
        {"practice": f"{other_practice.pk}\x00"},
        {"practice": "٣"},
    ):
        response = client.get("/staff/reports/", query)
        assert response.status_code in (400, 404), query
        assert other_practice.name not in response.content.decode(), query
        csv_response = client.get("/staff/reports/kinds.csv", query)
        assert csv_response.status_code in (400, 404), query
    for path in ("/staff/reports/processor/", "/staff/reports/processor/practices.csv"):
        assert client.get(path).status_code in (403, 404), path


# --- Races: one link, two links, two merges, two resends ---------------------------------------
def test_one_link_used_at_once_in_six_tabs_makes_one_account(live_server, practice, admin):
    invited = invitations.invite(
        practice=practice, email="snel@practice.example", name="Snel", role="handler", actor=admin
    )
    tabs = [Visitor(live_server.url) for _ in range(6)]
    for tab in tabs:
        tab.get(link_of(invited))
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        codes = list(pool.map(lambda tab: tab.post(link_of(invited), FORM).status_code, tabs))
    assert codes.count(302) == 1 and all(c in (302, 400, 403, 409, 410) for c in codes), codes
    assert get_user_model().objects.filter(email="snel@practice.example").count() == 1
    assert Membership.objects.filter(user__email="snel@practice.example").count() == 1


def test_two_practices_links_for_one_address_at_once_make_one_account(
    live_server, practice, other_practice, admin
):
    """Each practice invites the same new address; the invitee (or a thief of both mails)
    opens both links at once, a few times over."""
    other_admin = make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)
    codes = []
    for round_ in range(4):
        email = f"twee{round_}@mail.example"
        links = [
            link_of(invitations.invite(practice=p, email=email, name="T", role="dpo", actor=a))
            for p, a in ((practice, admin), (other_practice, other_admin))
        ] * 3
        tabs = [Visitor(live_server.url) for _ in links]
        for tab, path in zip(tabs, links, strict=True):
            tab.get(path)
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            codes += pool.map(
                lambda pair: pair[0].post(pair[1], FORM).status_code, zip(tabs, links, strict=True)
            )
        assert get_user_model().objects.filter(email__iexact=email).count() == 1
    assert all(c < 500 for c in codes), codes


def test_two_merges_at_once_merge_once_and_tell_once(
    live_server, client, practice, handler, providers
):
    import dataclasses

    from workflows.models import Notification

    first = forwarded(submit(practice, _patient()))
    again = forwarded(
        submit(practice, dataclasses.replace(_patient(), email="Jan@Example.com"), description="2")
    )
    mails = Notification.objects.filter(request=again, medium="email")
    before = mails.count()
    client.force_login(handler)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    clicks = [Visitor(live_server.url, cookies) for _ in range(4)]
    url = f"/staff/requests/{again.reference}/duplicate/merge/"
    for click in clicks:
        click.get(f"/staff/requests/{again.reference}/duplicate/")
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(
            pool.map(lambda c: c.post(url, {"merge-version": again.version}).status_code, clicks)
        )
    assert codes.count(302) == 1 and all(c in (302, 409) for c in codes), codes
    assert fresh(again).state == RequestState.MERGED and fresh(first).is_open
    assert mails.count() == before + 1  # the patient is told once


def test_two_resends_at_once_send_once(live_server, client, practice, support, providers):
    from tests.factories import failed_message
    from workflows.models import Notification

    old = failed_message(
        practice=practice, purpose="practice_new_request", recipient=practice.dpo_email
    )
    client.force_login(support)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    clicks = [Visitor(live_server.url, cookies) for _ in range(4)]
    for click in clicks:
        click.get("/staff/notifications/failed/")
    url = f"/staff/notifications/failed/{old.pk}/resend/"
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(lambda c: c.post(url, {}).status_code, clicks))
    assert all(c < 500 for c in codes), codes
    assert Notification.objects.filter(dedupe_key=f"resend:{old.pk}").count() == 1


# --- Entering a request for another practice; a formula in a practice's name -------------------
def test_a_handler_cannot_enter_a_request_for_another_practice(
    client, practice, other_practice, handler, other_handler
):
    client.force_login(handler)
    form = {
        "practice": other_practice.pk,
        "channel": "letter",
        "kind": "access",
        "description": "Ingevoerd voor een ander",
        "name": "Jan Jansen",
        "email": "jan@example.com",
        "received_on": "2026-11-01",
        "assignee": other_handler.pk,
    }
    assert client.post("/staff/requests/new/", form).status_code == 400
    form |= {"practice": practice.pk}
    assert client.post("/staff/requests/new/", form).status_code == 400
    assert not Request.objects.exists()


def test_a_formula_in_a_practice_name_stays_text_in_the_processor_report(
    client, practice, admin, support
):
    Practice.objects.filter(pk=practice.pk).update(name='=HYPERLINK("http://x.example","k")')
    client.force_login(support)
    response = client.get("/staff/reports/processor/practices.csv")
    assert response.status_code == 200
    for row in csv.reader(io.StringIO(body(response))):
        for cell in row:
            assert not cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@")), cell


def test_the_access_review_and_team_show_only_the_own_practice(
    client, practice, other_practice, admin
):
    make_user("vergeten@elders.example", Role.HANDLER, other_practice)
    client.force_login(admin)
    for path in ("/staff/team/review/", f"/staff/team/practice/{practice.pk}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "vergeten@elders.example" not in response.content.decode(), path


def test_support_routes_nothing_to_a_practice_that_left(
    client, practice, other_practice, handler, support, providers
):
    item = forwarded(submit(practice, _patient()))
    send_back(fresh(item), actor=handler, version=fresh(item).version, reason="Niet van ons")
    Practice.objects.filter(pk=other_practice.pk).update(active=False)
    client.force_login(support)
    response = client.post(
        f"/staff/requests/{item.reference}/route/", {"practice": other_practice.pk, "note": ""}
    )
    assert response.status_code == 400
    assert fresh(item).state == RequestState.UNROUTED and fresh(item).practice_id is None


def test_the_new_practice_reads_nothing_of_the_old_practices_contacts(
    client, practice, other_practice, handler, other_handler, support, providers
):
    item = forwarded(submit(practice, _patient()))
    send_back(fresh(item), actor=handler, version=fresh(item).version, reason="Niet van ons")
    route_request(fresh(item), other_practice, actor=support)
    client.force_login(other_handler)
    page = client.get(f"/staff/requests/{item.reference}/").content.decode()
    assert handler.email not in page
    assert practice.dpo_email not in page  # "E-mail → fg-01234567@..." of the first forwarding


# --- The practice import; a patient's session; the report without a practice -------------------
IMPORT_HEADER = "agb_code;name;street;postcode;city;dpo_name;dpo_email"


def _upload(client, data: bytes):
    upload = io.BytesIO(data)
    upload.name = "praktijken.csv"
    return client.post("/staff/practices/import/", {"file": upload})


def test_the_import_report_disarms_formulas_and_refuses_look_alikes(client, practice):
    processor_admin = make_user("admin@processor.example", Role.PROCESSOR_ADMIN)
    client.force_login(processor_admin)
    lines = [
        IMPORT_HEADER,
        '=HYPERLINK("http://x.example");=1+1;@SUM(A1);-2+3;+4;Anna;fg@a.example',
        "١٢٣٤٥٦٧٨;Praktijk Oost;Straat 1;1234AB;Stad;Anna;fg@b.example",
        "１２３４５６７８;Praktijk West;Straat 1;1234AB;Stad;Anna;fg@c.example",
        f"{practice.agb_code};Overname;Straat 1;1234AB;Stad;Anna;fg@evil.example",
    ]
    response = _upload(client, "\n".join(lines).encode())
    assert response.status_code == 302
    client.get("/staff/practices/import/preview/")
    token = client.session["practice_import"]["token"]
    client.post("/staff/practices/import/confirm/", {"token": token})
    assert not Practice.objects.exclude(pk=practice.pk).exists()  # look-alike digits refused
    download = client.get("/staff/practices/import/report.csv")
    assert download.status_code == 200
    for row in csv.reader(io.StringIO(body(download)), delimiter=";"):
        for cell in row:
            assert not cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@")), cell
    for row in csv.reader(io.StringIO(body(download))):
        for cell in row:
            assert not cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@")), cell
    # A NUL byte or a file that is not text: a clear 4xx (or a refused line), never a 500.
    for data in (
        IMPORT_HEADER.encode() + b"\n1234\x005678;X;S;1234AB;C;A;a@b.example",
        b"\xff\xfe\x00",
    ):
        response = _upload(client, data)
        assert response.status_code in (200, 302, 400), data
    assert Practice.objects.count() == 1


def test_a_signed_in_patient_cannot_take_a_staff_invitation(practice, admin):
    patient = get_user_model().objects.create_user(
        username="patient-jan@example.com", email="jan@example.com"
    )
    invited = invitations.invite(
        practice=practice, email="jan@example.com", name="Jan", role="handler", actor=admin
    )
    browser = Client()
    browser.force_login(patient)
    assert browser.post(link_of(invited)).status_code in (400, 403)
    assert not Membership.objects.filter(user=patient).exists()
    assert fresh(invited.invitation).accepted_at is None


def test_a_practice_report_without_a_practice_is_not_everyones(
    client, practice, other_practice, handler
):
    client.force_login(handler)
    for query in ({"first": "2026-01"}, {"practice": "", "last": "2026-11"}):
        response = client.get("/staff/reports/", query)
        assert response.status_code in (200, 400), query
        assert other_practice.name not in response.content.decode(), query
        assert client.get("/staff/reports/practices.csv", query).status_code in (400, 404)
