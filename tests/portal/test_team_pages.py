"""The team pages and the invitation link, through the web: a password, then the second factor
before any other page; links that no longer work change nothing; a practice administrator
reaches only their own practice's team; a removed role ends access at the next click."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from requests_app.models import AuditRecord, Membership, StaffInvitation
from requests_app.roles import Role
from tests.factories import make_user, submit, totp_code
from workflows.models import Notification
from workflows.onboarding import invitations

pytestmark = pytest.mark.django_db

PASSWORD = "een-lang-wachtwoord-42"


@pytest.fixture
def admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


@pytest.fixture
def other_admin(other_practice):
    return make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)


@pytest.fixture
def processor_admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


def invite(practice, actor, email="nieuw@practice.example", role=Role.HANDLER):
    invited = invitations.invite(
        practice=practice, email=email, name="Nina Nieuw", role=role, actor=actor
    )
    return invited.link.removeprefix("http://127.0.0.1:8000")


def sign_in(client, user) -> None:
    """A real sign-in: password, then the authenticator's code."""
    client.post("/accounts/login/", {"login": user.email, "password": "a-long-test-password"})
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302, response.content.decode()[:500]


def test_the_invitee_sets_a_password_and_must_enrol_before_anything_else(client, practice, admin):
    path = invite(practice, admin)
    mail = Notification.objects.get(recipient="nieuw@practice.example")
    assert path in mail.body
    page = client.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert f"U bent uitgenodigd als Behandelaar van verzoeken voor {practice.name}." in text
    assert 'value="Nina Nieuw"' in text
    short = client.post(path, {"name": "Nina Nieuw", "password1": "kort", "password2": "kort"})
    assert short.status_code == 400 and not Membership.objects.filter(user__email__startswith="n")
    response = client.post(
        path, {"name": "Nina Nieuw", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    user = get_user_model().objects.get(email="nieuw@practice.example")
    assert Membership.objects.filter(user=user, practice=practice, role=Role.HANDLER).exists()
    # Signed in, but no page but the set-up of the second factor.
    for other in ("/staff/", "/staff/tasks/", "/staff/orders/", "/track/", "/staff/team/"):
        refused = client.get(other)
        assert refused.status_code == 302, other
        assert refused["Location"] == "/accounts/2fa/totp/activate/", other
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200  # no second password prompt right after choosing one
    secret = re.search(r'<code class="digest">([A-Z2-7]+)</code>', setup.content.decode())[1]
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert done.status_code == 302
    assert client.get("/staff/").status_code == 200
    # The link worked once.
    again = client.get(path)
    assert again.status_code == 410 and "al gebruikt" in again.content.decode()


def test_used_expired_revoked_and_tampered_links_change_nothing(client, practice, admin):
    used = invite(practice, admin, "a@practice.example")
    client.post(used, {"name": "Anna A", "password1": PASSWORD, "password2": PASSWORD})
    client.logout()
    expired = invite(practice, admin, "b@practice.example")
    StaffInvitation.objects.filter(email="b@practice.example").update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    revoked = invite(practice, admin, "c@practice.example")
    invitations.revoke(StaffInvitation.objects.get(email="c@practice.example"), actor=admin)
    before = (get_user_model().objects.count(), Membership.objects.count())
    form = {"name": "Kwaad Aardig", "password1": PASSWORD, "password2": PASSWORD}
    for path, status, words in (
        (used, 410, "al gebruikt"),
        (expired, 410, "verlopen"),
        (revoked, 410, "ingetrokken"),
        (revoked[:-2] + "x/", 404, "niet geldig"),
        ("/accounts/invitation/" + "A" * 43 + "/", 404, "niet geldig"),
    ):
        for response in (client.get(path), client.post(path, form)):
            assert response.status_code == status, path
            assert words in response.content.decode()
            assert "Er is niets gewijzigd" in response.content.decode()
    assert (get_user_model().objects.count(), Membership.objects.count()) == before
    assert client.get("/accounts/invitation/abc%00def/").status_code == 400


def test_an_existing_account_signs_in_and_accepts(client, practice, other_practice, other_admin):
    handler = make_user("handler@practice.example", Role.HANDLER, practice)
    path = invite(other_practice, other_admin, "Handler@Practice.EXAMPLE")
    page = client.get(path)
    assert page.status_code == 200
    assert f"/accounts/login/?next={path}" in page.content.decode()
    # Choosing a password through the link is refused for an account in use.
    client.post(path, {"name": "Kwaad Aardig", "password1": PASSWORD, "password2": PASSWORD})
    handler.refresh_from_db()
    assert handler.check_password("a-long-test-password")
    client.force_login(other_admin)  # someone else's session: refused, nothing changed
    assert client.post(path).status_code == 403
    client.force_login(handler)
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert set(handler.memberships.values_list("practice_id", flat=True)) == {
        practice.pk,
        other_practice.pk,
    }
    assert get_user_model().objects.filter(email__iexact=handler.email).count() == 1


def test_the_practice_administrator_sees_their_team(client, practice, admin, handler):
    invite(practice, admin, "open@practice.example", Role.DPO)
    client.force_login(admin)
    start = client.get("/staff/team/")
    assert start.status_code == 302 and start["Location"] == f"/staff/team/practice/{practice.pk}/"
    page = client.get(start["Location"]).content.decode()
    assert handler.email in page and admin.email in page
    assert "Behandelaar" in page and "ingesteld" in page and "nooit" in page
    assert "open@practice.example" in page and "Verloopt" in page
    assert "de laatste beheerder" in page  # no remove button for the last administrator
    assert 'href="/staff/team/"' in client.get("/staff/").content.decode()


def test_inviting_through_the_form(client, practice, admin):
    client.force_login(admin)
    form = {"name": "Fleur FG", "email": "FG@Practice.example", "role": "dpo", "language": "nl"}
    response = client.post(f"/staff/team/practice/{practice.pk}/invite/", form)
    assert response.status_code == 302
    invitation = StaffInvitation.objects.get()
    assert (invitation.email, invitation.role) == ("fg@practice.example", "dpo")
    # Look-alike letters, a processor role, a NUL byte: refused, nothing stored.
    for bad in (
        form | {"email": "f\u0261@practice.example"},
        form | {"role": "support"},
        form | {"name": "Fleur\u202eFG"},
    ):
        assert client.post(f"/staff/team/practice/{practice.pk}/invite/", bad).status_code == 400
    assert StaffInvitation.objects.count() == 1


def test_another_practice_is_out_of_reach(client, practice, other_practice, admin, other_admin):
    theirs = invitations.invite(
        practice=other_practice, email="x@elders.example", name="X Y", role="dpo", actor=other_admin
    ).invitation
    their_member = other_admin.memberships.get()
    client.force_login(admin)
    assert client.get(f"/staff/team/practice/{other_practice.pk}/").status_code == 404
    assert client.get(f"/staff/team/practice/{other_practice.pk}/invite/").status_code == 404
    form = {"name": "X Y", "email": "z@elders.example", "role": "handler", "language": "nl"}
    assert client.post(f"/staff/team/practice/{other_practice.pk}/invite/", form).status_code == 404
    assert client.post(f"/staff/team/invitations/{theirs.pk}/revoke/").status_code == 404
    assert client.post(f"/staff/team/members/{their_member.pk}/remove/").status_code == 404
    assert StaffInvitation.objects.get(pk=theirs.pk).is_pending
    assert Membership.objects.filter(pk=their_member.pk).exists()
    assert AuditRecord.objects.filter(event_type="team.view", outcome="denied").exists()


def test_other_roles_are_refused(client, practice, handler, support):
    for user in (handler, support):
        client.force_login(user)
        for path in (
            "/staff/team/",
            f"/staff/team/practice/{practice.pk}/",
            "/staff/team/review/",
            "/staff/team/invite-admin/",
        ):
            assert client.get(path).status_code == 403, (user.email, path)
        assert 'href="/staff/team/"' not in client.get("/staff/tasks/").content.decode()


def test_the_processor_administrator_invites_a_first_administrator(
    client, practice, other_practice, processor_admin
):
    make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)
    client.force_login(processor_admin)
    assert client.get("/staff/team/").status_code == 302
    page = client.get("/staff/team/invite-admin/")
    assert page.status_code == 200
    # The practices still to onboard: this one, not the one with an administrator.
    text = page.content.decode()
    assert f'href="/staff/team/invite-admin/?agb={practice.agb_code}"' in text
    assert f"?agb={other_practice.agb_code}" not in text
    assert "1 actieve praktijk heeft nog geen beheerder." in text
    prefilled = client.get(f"/staff/team/invite-admin/?agb={practice.agb_code}").content.decode()
    assert f'value="{practice.agb_code}"' in prefilled
    form = {"agb": practice.agb_code, "name": "Bea Beheer", "email": "bea@practice.example"}
    form |= {"role": "practice_admin", "language": "nl"}
    assert client.post("/staff/team/invite-admin/", form | {"agb": "99999999"}).status_code == 400
    assert client.post("/staff/team/invite-admin/", form | {"role": "handler"}).status_code == 400
    assert not StaffInvitation.objects.exists()
    assert client.post("/staff/team/invite-admin/", form).status_code == 302
    invitation = StaffInvitation.objects.get()
    assert (invitation.practice, invitation.role) == (practice, Role.PRACTICE_ADMIN)
    listed = client.get("/staff/team/invite-admin/").content.decode()
    assert "bea@practice.example" in listed and "uitnodiging staat open" in listed
    assert client.post(f"/staff/team/invitations/{invitation.pk}/revoke/").status_code == 302
    assert not StaffInvitation.objects.get().is_pending


def test_the_last_administrator_is_kept(client, practice, admin):
    client.force_login(admin)
    mine = admin.memberships.get()
    response = client.post(f"/staff/team/members/{mine.pk}/remove/", follow=True)
    assert "laatste beheerder" in response.content.decode()
    assert Membership.objects.filter(pk=mine.pk).exists()


def test_removal_ends_a_live_session_at_the_next_request(practice, admin):
    handler = make_user("weg@practice.example", Role.HANDLER, practice)
    leaving, admin_client = Client(), Client()
    sign_in(leaving, handler)
    assert leaving.get("/staff/").status_code == 200
    admin_client.force_login(admin)
    membership = handler.memberships.get()
    confirm = admin_client.get(f"/staff/team/members/{membership.pk}/remove/")
    assert confirm.status_code == 200
    assert "Dit is de enige rol van deze medewerker" in confirm.content.decode()
    assert leaving.get("/staff/").status_code == 200  # nothing happens before the button
    assert admin_client.post(f"/staff/team/members/{membership.pk}/remove/").status_code == 302
    response = leaving.get("/staff/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert AuditRecord.objects.filter(event_type="staff.member_remove").exists()
    # Signing in again does not work: the password went with the last role.
    leaving.post("/accounts/login/", {"login": handler.email, "password": "a-long-test-password"})
    assert leaving.get("/staff/").status_code == 302


def test_removal_from_one_practice_keeps_the_other(practice, other_practice, admin, patient):
    both = make_user("beide@practice.example", Role.HANDLER, practice)
    Membership.objects.create(user=both, practice=other_practice, role=Role.HANDLER)
    here = submit(practice, patient)
    there = submit(other_practice, patient)
    session = Client()
    sign_in(session, both)
    assert session.get(f"/staff/requests/{here.reference}/").status_code == 200
    membership = both.memberships.get(practice=practice)
    invitations_client = Client()
    invitations_client.force_login(admin)
    invitations_client.post(f"/staff/team/members/{membership.pk}/remove/")
    assert session.get(f"/staff/requests/{here.reference}/").status_code == 404
    assert session.get(f"/staff/requests/{there.reference}/").status_code == 200


def test_the_review_lists_stale_accounts_only(
    client, practice, other_practice, admin, processor_admin
):
    now = timezone.now()
    users = get_user_model().objects
    old = make_user("oud@practice.example", Role.HANDLER, practice)
    fresh = make_user("vers@practice.example", Role.DPO, practice)
    elsewhere = make_user("oud@elders.example", Role.HANDLER, other_practice)
    users.filter(pk__in=[old.pk, elsewhere.pk]).update(
        last_login=now - datetime.timedelta(days=100)
    )
    users.filter(pk=fresh.pk).update(last_login=now - datetime.timedelta(days=3))
    client.force_login(admin)
    page = client.get("/staff/team/review/").content.decode()
    assert old.email in page and fresh.email not in page and elsewhere.email not in page
    client.force_login(processor_admin)
    page = client.get("/staff/team/review/").content.decode()
    assert old.email in page and elsewhere.email in page and fresh.email not in page
    membership = elsewhere.memberships.get()
    response = client.post(f"/staff/team/members/{membership.pk}/remove/", {"back": "review"})
    assert response["Location"] == "/staff/team/review/"
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_an_existing_account_comes_back_to_the_invitation_after_signing_in(
    client, practice, other_practice, other_admin
):
    handler = make_user("handler@practice.example", Role.HANDLER, practice)
    path = invite(other_practice, other_admin, handler.email)
    client.post(
        f"/accounts/login/?next={path}",
        {"login": handler.email, "password": "a-long-test-password", "next": path},
    )
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302 and response["Location"] == path
    page = client.get(path).content.decode()
    assert "De rol wordt toegevoegd aan uw account handler@practice.example." in page
    assert client.post(path)["Location"] == "/staff/"
    assert handler.memberships.filter(practice=other_practice, role=Role.HANDLER).exists()
    assert AuditRecord.objects.filter(event_type="staff.invite_accept", user=handler).exists()
