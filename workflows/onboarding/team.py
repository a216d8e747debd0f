"""A practice's team: who has access (roles, last sign-in, second factor), removing a role (the
practice's last administrator stays), and the yearly access review of accounts not used for
ACCESS_REVIEW_STALE_DAYS. Access is read from the memberships on every request, so a removed
role is gone at the next click; an account left without any role also loses its sessions, its
password and its authenticators at once (a new invitation starts it afresh)."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import access, audit
from requests_app.errors import DomainError
from requests_app.models import AuditAction, Membership, Practice
from requests_app.roles import Role
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose

ACCESS_REVIEW_STALE_DAYS = 90


class LastAdministrator(DomainError):
    """The practice's (or the processor's) last administrator cannot be removed."""


@dataclass
class TeamMember:
    user: object
    memberships: list = field(default_factory=list)
    second_factor: bool = False

    @property
    def name(self) -> str:
        return self.user.get_full_name().strip()


def managed_practice_ids(user) -> set[int]:
    """The practices whose team `user` manages: those where they are the administrator."""
    return access.practice_ids(user, roles={Role.PRACTICE_ADMIN})


def team_of(practice: Practice) -> list[TeamMember]:
    """Everyone with a role at the practice, by name, with their roles there."""
    from allauth.mfa.models import Authenticator

    rows = (
        Membership.objects.filter(practice=practice)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email", "role")
    )
    members: dict[int, TeamMember] = {}
    for membership in rows:
        members.setdefault(membership.user_id, TeamMember(membership.user)).memberships.append(
            membership
        )
    enrolled = set(
        Authenticator.objects.filter(
            user_id__in=members,
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
        ).values_list("user_id", flat=True)
    )
    for user_id, member in members.items():
        member.second_factor = user_id in enrolled
    return list(members.values())


def practices_without_administrator() -> QuerySet:
    """Active practices nobody administers yet, with whether an invitation is open (`invited`):
    the processor's list of practices still to onboard."""
    from django.db.models import Exists, OuterRef

    from requests_app.models import StaffInvitation

    open_invitation = StaffInvitation.objects.filter(
        practice=OuterRef("pk"),
        role=Role.PRACTICE_ADMIN,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )
    return (
        Practice.objects.filter(active=True)
        .exclude(memberships__role=Role.PRACTICE_ADMIN)
        .annotate(invited=Exists(open_invitation))
        .order_by("invited", "name")
    )


def memberships_managed_by(user) -> QuerySet:
    """The roles `user` may remove: all of them for the processor's administrators, those of
    their own practices for a practice administrator, none for anyone else."""
    found = Membership.objects.select_related("user", "practice")
    if access.is_processor_admin(user):
        return found
    return found.filter(practice_id__in=managed_practice_ids(user))


def remove_membership(membership: Membership, *, actor) -> bool:
    """Take the role away. Returns whether the account was left without any role (and so lost
    its sessions, password and authenticators)."""
    with transaction.atomic():
        # Lock the administrators of this practice (or the processor's) so that two removals
        # at once cannot leave none.
        if membership.role in (Role.PRACTICE_ADMIN, Role.PROCESSOR_ADMIN):
            admins = list(
                Membership.objects.select_for_update()
                .filter(practice_id=membership.practice_id, role=membership.role)
                .values_list("pk", flat=True)
            )
            if membership.pk in admins and len(admins) <= 1:
                raise LastAdministrator(
                    _("This is the last administrator: invite another administrator first.")
                )
        deleted, _kinds = Membership.objects.filter(pk=membership.pk).delete()
        if not deleted:
            return False  # removed in the meantime
        user = membership.user
        audit.record(
            "staff.member_remove",
            AuditAction.DELETE,
            user=actor,
            object_type="membership",
            object_id=str(membership.pk),
            practice_id=membership.practice_id,
            details={"email": user.email, "role": membership.role, "account": user.pk},
        )
        if user.memberships.exists() or user.is_staff or user.is_superuser:
            return False
        ended = end_access(user)
        audit.record(
            "staff.access_ended",
            AuditAction.UPDATE,
            user=actor,
            object_type="account",
            object_id=str(user.pk),
            practice_id=membership.practice_id,
            details={"email": user.email, "sessions_ended": ended},
        )
        return True


def end_access(user) -> int:
    """An account without roles: its sessions end, its password and authenticators go. Returns
    how many sessions were ended."""
    from allauth.mfa.models import Authenticator

    user.set_unusable_password()
    user.save(update_fields=["password"])
    Authenticator.objects.filter(user=user).delete()
    return end_sessions(user)


def end_sessions(user) -> int:
    """Delete the account's live sessions. Sessions last 15 minutes without a request, so the
    live ones are few; each is decoded to find its account. (The new unusable password alone
    would end them too: Django checks each session against a hash of the password.)"""
    mine = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(pk__in=mine).delete()
    return len(mine)


def stale_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=ACCESS_REVIEW_STALE_DAYS)


def stale_memberships(practice_ids: set[int] | None = None, *, now=None) -> QuerySet:
    """Roles of accounts not signed in for ACCESS_REVIEW_STALE_DAYS (or never, since an account
    made that long ago); of the given practices, or all (processor roles too) when None."""
    cutoff = stale_cutoff(now)
    found = (
        Membership.objects.filter(
            Q(user__last_login__lt=cutoff)
            | Q(user__last_login__isnull=True, user__date_joined__lt=cutoff)
        )
        .select_related("user", "practice")
        .order_by("practice__name", "user__last_login", "user__email")
    )
    if practice_ids is not None:
        found = found.filter(practice_id__in=practice_ids)
    return found


def send_access_review_reminders(today: datetime.date | None = None) -> list[Notification]:
    """Once a year, from ACCESS_REVIEW_MONTH on, to each practice administrator: review who has
    access. Keyed by year, practice and account, so a job run again sends nothing again."""
    today = today or timezone.localdate()
    if today.month < settings.ACCESS_REVIEW_MONTH:
        return []
    admins = (
        Membership.objects.filter(
            role=Role.PRACTICE_ADMIN, user__is_active=True, practice__active=True
        )
        .exclude(user__email="")
        .select_related("practice", "user")
    )
    stale = dict.fromkeys(admins.values_list("practice_id", flat=True), 0)
    for practice_id in stale_memberships(set(stale)).values_list("practice_id", flat=True):
        stale[practice_id] += 1
    rows = []
    for membership in admins:
        message = outbox.message(
            purpose=Purpose.ACCOUNT_MAIL,
            medium=Medium.EMAIL,
            recipient=membership.user.email,
            template="access_review",
            language=STAFF_LANGUAGE,
            context={
                "practice": membership.practice.name,
                "stale": stale[membership.practice_id],
                "days": ACCESS_REVIEW_STALE_DAYS,
                "year": today.year,
            },
        )
        message.practice = membership.practice
        message.dedupe_key = (
            f"access-review:{today.year}:{membership.practice_id}:{membership.user_id}"
        )
        rows.append(message)
    return outbox.enqueue_once(rows)
