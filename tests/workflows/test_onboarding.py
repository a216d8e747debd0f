"""Staff invitations and the practice's team, as services: the token kept only as a hash, one
use, expiry, one account per canonical address, the last administrator kept, the yearly review
reminder sent once."""

import datetime
import hashlib

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from requests_app.models import AuditRecord, InvitationState, Membership, StaffInvitation
from requests_app.roles import Role
from tests.factories import make_user
from workflows.models import Notification, Purpose
from workflows.onboarding import invitations, team

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


@pytest.fixture
def processor_admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


def token_of(invited) -> str:
    return invited.link.rstrip("/").rsplit("/", 1)[1]


def test_the_invitation_mail_holds_the_link_and_the_table_only_its_hash(practice, admin):
    invited = invitations.invite(
        practice=practice,
        email="Nieuw@Practice.example",
        name="Nina Nieuw",
        role=Role.HANDLER,
        actor=admin,
    )
    token = token_of(invited)
    row = StaffInvitation.objects.get()
    assert row.email == "nieuw@practice.example"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(StaffInvitation.objects.values()))
    mail = Notification.objects.get(purpose=Purpose.ACCOUNT_MAIL)
    assert mail.recipient == "nieuw@practice.example" and mail.scrub_after_send
    assert invited.link in mail.body
    assert mail.subject == f"Uitnodiging: privacyverzoeken van {practice.name}"
    assert "Geachte Nina Nieuw" in mail.body and "72 uur" in mail.body
    assert row.expires_at - row.created_at == datetime.timedelta(hours=72)
    assert AuditRecord.objects.filter(event_type="staff.invite", practice_id_ref=practice.pk)


def test_the_expiry_is_configurable(practice, admin, settings):
    settings.STAFF_INVITATION_HOURS = 24
    invitations.invite(practice=practice, email="a@b.example", name="A B", role="dpo", actor=admin)
    row = StaffInvitation.objects.get()
    assert row.expires_at - row.created_at == datetime.timedelta(hours=24)
    assert "24 uur" in Notification.objects.get().body


def test_accepting_makes_the_account_and_the_role_once(practice, admin):
    invited = invitations.invite(
        practice=practice,
        email="n@practice.example",
        name="Nina Nieuw",
        role="handler",
        actor=admin,
    )
    user = invitations.accept_with_password(
        token_of(invited), password="een-lang-wachtwoord-42", name="Nina Nieuw"
    )
    assert user.check_password("een-lang-wachtwoord-42") and user.get_full_name() == "Nina Nieuw"
    assert Membership.objects.filter(user=user, practice=practice, role=Role.HANDLER).exists()
    assert StaffInvitation.objects.get().state() == InvitationState.ACCEPTED
    with pytest.raises(invitations.InvitationClosed) as refused:
        invitations.accept_with_password(token_of(invited), password="x" * 20, name="Kwaad Aardig")
    assert refused.value.state == InvitationState.ACCEPTED
    assert get_user_model().objects.filter(email="n@practice.example").count() == 1
    assert AuditRecord.objects.filter(event_type="staff.invite_accept", user=user).exists()


def test_an_expired_revoked_or_tampered_link_changes_nothing(practice, admin):
    expired = invitations.invite(
        practice=practice, email="e@practice.example", name="Eva E", role="handler", actor=admin
    )
    StaffInvitation.objects.filter(pk=expired.invitation.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    revoked = invitations.invite(
        practice=practice, email="r@practice.example", name="Rik R", role="dpo", actor=admin
    )
    invitations.revoke(revoked.invitation, actor=admin)
    for invited, state in ((expired, "expired"), (revoked, "revoked")):
        with pytest.raises(invitations.InvitationClosed) as refused:
            invitations.accept_with_password(
                token_of(invited), password="een-lang-wachtwoord-42", name="Iemand Anders"
            )
        assert refused.value.state == state
    token = token_of(revoked)
    with pytest.raises(invitations.InvitationUnknown):  # one letter changed (never to itself)
        invitations.find(token[:-1] + ("B" if token.endswith("A") else "A"))
    with pytest.raises(invitations.InvitationUnknown):
        invitations.find("")
    assert not Membership.objects.exclude(user=admin).exists()
    assert get_user_model().objects.count() == 1
    assert AuditRecord.objects.filter(event_type="staff.invite_revoke").count() == 1


def test_a_new_invitation_of_the_address_replaces_the_open_one(practice, admin):
    first = invitations.invite(
        practice=practice, email="n@practice.example", name="Nina N", role="handler", actor=admin
    )
    invitations.invite(
        practice=practice, email="N@PRACTICE.example", name="Nina N", role="dpo", actor=admin
    )
    with pytest.raises(invitations.InvitationClosed):
        invitations.find(token_of(first))
    assert list(invitations.open_invitations(practice).values_list("role", flat=True)) == ["dpo"]


def test_an_existing_account_gets_the_role_not_a_second_account(practice, other_practice):
    elders = make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)
    handler = make_user("handler@practice.example", Role.HANDLER, practice)
    # The same mailbox written with capitals and a full-width domain: one account.
    invited = invitations.invite(
        practice=other_practice,
        email="HANDLER@ｐｒａｃｔｉｃｅ.example",
        name="Hans Handler",
        role="handler",
        actor=elders,
    )
    assert invited.invitation.email == "handler@practice.example"
    assert invitations.needs_sign_in(invited.invitation)
    with pytest.raises(invitations.InvitationRefused):  # the link alone never sets its password
        invitations.accept_with_password(
            token_of(invited), password="een-lang-wachtwoord-42", name="Kwaad Aardig"
        )
    assert handler.memberships.count() == 1  # nothing yet: only after acceptance
    invitations.accept_signed_in(token_of(invited), user=handler)
    assert set(handler.memberships.values_list("practice_id", flat=True)) == {
        practice.pk,
        other_practice.pk,
    }
    assert get_user_model().objects.filter(email__iexact="handler@practice.example").count() == 1


def test_another_signed_in_account_cannot_take_the_invitation(practice, admin):
    invited = invitations.invite(
        practice=practice, email="n@practice.example", name="Nina N", role="handler", actor=admin
    )
    with pytest.raises(invitations.InvitationRefused):
        invitations.accept_signed_in(token_of(invited), user=admin)
    assert invitations.find(token_of(invited)).is_pending


def test_look_alike_letters_are_refused_not_made_a_second_account(practice, admin):
    from requests_app.validators import canonical_email

    for look_alike in ("h\u0430ndler@practice.example", "\u212aees@practice.example"):
        with pytest.raises(ValidationError):
            canonical_email(look_alike)
        with pytest.raises(ValidationError):
            invitations.invite(
                practice=practice, email=look_alike, name="Kim K", role="handler", actor=admin
            )
    assert not StaffInvitation.objects.exists()


def test_who_may_invite_whom(practice, other_practice, admin, processor_admin, handler):
    assert invitations.roles_invitable(admin, practice.pk) == invitations.PRACTICE_ADMIN_INVITES
    assert invitations.roles_invitable(admin, other_practice.pk) == ()
    assert invitations.roles_invitable(processor_admin, other_practice.pk) == (Role.PRACTICE_ADMIN,)
    assert invitations.roles_invitable(handler, practice.pk) == ()
    for actor, where, role in (
        (admin, other_practice, "handler"),
        (processor_admin, practice, "handler"),
        (handler, practice, "handler"),
        (admin, practice, "support"),
    ):
        with pytest.raises(invitations.InvitationRefused):
            invitations.invite(
                practice=where, email="x@y.example", name="X Y", role=role, actor=actor
            )
    assert not StaffInvitation.objects.exists()


def test_the_last_administrator_stays(practice, admin):
    with pytest.raises(team.LastAdministrator):
        team.remove_membership(admin.memberships.get(), actor=admin)
    second = make_user("tweede@practice.example", Role.PRACTICE_ADMIN, practice)
    team.remove_membership(admin.memberships.get(), actor=second)
    with pytest.raises(team.LastAdministrator):
        team.remove_membership(second.memberships.get(), actor=second)
    assert list(Membership.objects.values_list("user__email", flat=True)) == [second.email]


def test_an_account_left_without_roles_loses_password_and_authenticators(practice, admin, handler):
    from allauth.mfa.models import Authenticator

    assert team.remove_membership(handler.memberships.get(), actor=admin) is True
    handler.refresh_from_db()
    assert not handler.has_usable_password()
    assert not Authenticator.objects.filter(user=handler).exists()
    assert AuditRecord.objects.filter(event_type="staff.member_remove").count() == 1
    assert AuditRecord.objects.filter(event_type="staff.access_ended").count() == 1
    # A new invitation starts the same account afresh: a password, then the second factor.
    invited = invitations.invite(
        practice=practice, email=handler.email, name="Hans Handler", role="handler", actor=admin
    )
    assert not invitations.needs_sign_in(invited.invitation)
    again = invitations.accept_with_password(
        token_of(invited), password="een-lang-wachtwoord-42", name="Hans Handler"
    )
    assert again.pk == handler.pk


def test_the_review_lists_only_accounts_unused_for_90_days(practice, other_practice, admin):
    now = timezone.now()
    old = make_user("oud@practice.example", Role.HANDLER, practice)
    fresh = make_user("vers@practice.example", Role.DPO, practice)
    never_new = make_user("nooit@practice.example", Role.HANDLER, practice)
    never_old = make_user("nooit-oud@practice.example", Role.HANDLER, practice)
    elsewhere = make_user("oud@elders.example", Role.HANDLER, other_practice)
    users = get_user_model().objects
    users.filter(pk__in=[old.pk, elsewhere.pk]).update(last_login=now - datetime.timedelta(days=91))
    users.filter(pk__in=[fresh.pk, admin.pk]).update(last_login=now - datetime.timedelta(days=89))
    users.filter(pk=never_old.pk).update(date_joined=now - datetime.timedelta(days=120))
    mine = {m.user.email for m in team.stale_memberships({practice.pk})}
    assert mine == {old.email, never_old.email}
    assert never_new.email not in mine
    assert {m.user.email for m in team.stale_memberships()} == {
        old.email,
        never_old.email,
        elsewhere.email,
    }


def test_the_yearly_reminder_goes_once_to_each_practice_administrator(
    practice, other_practice, admin, settings
):
    settings.ACCESS_REVIEW_MONTH = 3
    elders = make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)
    make_user("handler@practice.example", Role.HANDLER, practice)
    assert team.send_access_review_reminders(datetime.date(2027, 2, 28)) == []
    sent = team.send_access_review_reminders(datetime.date(2027, 3, 1))
    assert sorted(n.recipient for n in sent) == sorted([admin.email, elders.email])
    assert team.send_access_review_reminders(datetime.date(2027, 3, 1)) == []
    assert team.send_access_review_reminders(datetime.date(2027, 11, 2)) == []
    mail = Notification.objects.get(recipient=admin.email)
    assert mail.subject == f"Jaarlijkse controle van toegang 2027: {practice.name}"
    assert "/staff/team/review/" in mail.body
    assert len(team.send_access_review_reminders(datetime.date(2028, 3, 1))) == 2


def test_the_reminder_job_is_on_the_beat_schedule_and_runs_twice_safely(admin, settings):
    from workflows import jobs

    assert any(
        entry["task"] == "workflows.tasks.remind_access_review"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )
    settings.ACCESS_REVIEW_MONTH = 1
    assert jobs.remind_access_review() == 1
    assert jobs.remind_access_review() == 0
    assert Notification.objects.filter(recipient=admin.email).count() == 1


def test_an_invitation_of_someone_who_already_has_the_role_is_refused(practice, admin, handler):
    with pytest.raises(invitations.InvitationRefused):
        invitations.invite(
            practice=practice, email=handler.email, name="Hans H", role="handler", actor=admin
        )


def test_the_invitation_can_be_in_english(practice, admin):
    invitations.invite(
        practice=practice,
        email="e@practice.example",
        name="Emma English",
        role="dpo",
        actor=admin,
        language="en",
    )
    mail = Notification.objects.get()
    assert mail.subject == f"Invitation: privacy requests of {practice.name}"
    assert "Dear Emma English," in mail.body and "expires after 72 hours" in mail.body


def test_invitations_to_one_address_are_capped(practice, admin):
    for _n in range(3):
        invitations.invite(
            practice=practice, email="n@practice.example", name="Nina N", role="dpo", actor=admin
        )
    with pytest.raises(invitations.InvitationRefused):
        invitations.invite(
            practice=practice, email="n@practice.example", name="Nina N", role="dpo", actor=admin
        )
    assert StaffInvitation.objects.count() == 3
    assert invitations.open_invitations(practice).count() == 1
