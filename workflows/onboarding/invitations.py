"""Staff invitations: a processor administrator invites a practice's first administrator, a
practice administrator their own handlers, FG and fellow administrators. The e-mailed link holds
a random token that is stored only as its SHA-256 hash; it works once, until it expires
(STAFF_INVITATION_HOURS) or is revoked. Accepting sets a password (a new account) or, for an
address that already has an account, adds the role to that account once its owner has signed
in; the second factor follows before any other page (portal.middleware). Every step is
audit-logged."""

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import access, audit
from requests_app.errors import DomainError
from requests_app.models import (
    AuditAction,
    InvitationState,
    Membership,
    Practice,
    StaffInvitation,
)
from requests_app.roles import PRACTICE_ROLES, Role
from requests_app.validators import canonical_email, same_email
from workflows import counters
from workflows.messaging import outbox
from workflows.models import Medium, Purpose

# Practice administrators invite every practice role; the processor's administrators only a
# practice's administrator (who then builds their own team).
PRACTICE_ADMIN_INVITES = (Role.HANDLER, Role.DPO, Role.PRACTICE_ADMIN)
PROCESSOR_ADMIN_INVITES = (Role.PRACTICE_ADMIN,)
# Invitations per practice: a team is invited in one sitting, never in thousands (a stolen
# administrator's session must not turn the portal into a mailer). 3 to one address a day.
INVITE_LIMITS = [(24 * 60 * 60, 100)]
ADDRESS_LIMITS = [(24 * 60 * 60, 3)]


class InvitationRefused(DomainError):
    """The invitation cannot be made, or no longer be used; nothing was changed."""


class InvitationUnknown(InvitationRefused):
    """No invitation has this token (mistyped, cut off or made up)."""


class InvitationClosed(InvitationRefused):
    """The invitation was used, revoked or has expired."""

    def __init__(self, state: InvitationState) -> None:
        super().__init__(state.label)
        self.state = state


@dataclass(frozen=True)
class Invited:
    invitation: StaffInvitation
    link: str  # only ever in the e-mail (and here, for the caller's tests)


# The first key of the advisory lock on an address being made an account (the second is a
# hash of the address): a number of our own, so no other advisory lock shares it.
ACCOUNT_LOCK_SPACE = 1401


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def roles_invitable(user, practice_id: int) -> tuple[Role, ...]:
    """The roles `user` may invite someone to at this practice."""
    if practice_id in access.practice_ids(user, roles={Role.PRACTICE_ADMIN}):
        return PRACTICE_ADMIN_INVITES
    if access.is_processor_admin(user):
        return PROCESSOR_ADMIN_INVITES
    return ()


def invitation_link(token: str) -> str:
    return f"{settings.PORTAL_BASE_URL}/accounts/invitation/{token}/"


def invite(
    *, practice: Practice, email: str, name: str, role: str, actor, language: str = "nl"
) -> Invited:
    """Invite `email` to `role` at `practice`; an open invitation of the address at the practice
    is replaced (its link stops working). The e-mail goes out after commit."""
    if role not in PRACTICE_ROLES or role not in roles_invitable(actor, practice.pk):
        raise InvitationRefused(_("You may not invite someone to this role."))
    if not practice.active:
        raise InvitationRefused(_("This practice no longer takes part in the portal."))
    email = canonical_email(email)
    holder = existing_account(email)
    if holder and Membership.objects.filter(user=holder, practice=practice, role=role).exists():
        raise InvitationRefused(_("This address already has this role at the practice."))
    if not counters.within("staff-invite", str(practice.pk), INVITE_LIMITS) or not (
        counters.within("staff-invite-address", email, ADDRESS_LIMITS)
    ):
        raise InvitationRefused(_("Too many invitations today. Try again tomorrow."))
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        replaced = list(
            open_invitations(practice)
            .filter(email=email)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        StaffInvitation.objects.filter(pk__in=replaced).update(revoked_at=now, revoked_by=actor)
        invitation = StaffInvitation.objects.create(
            practice=practice,
            email=email,
            name=name,
            role=role,
            language=language if language in dict(settings.LANGUAGES) else "nl",
            token_hash=token_hash(token),
            invited_by=actor,
            created_at=now,
            expires_at=now + datetime.timedelta(hours=settings.STAFF_INVITATION_HOURS),
        )
        _record(
            "staff.invite",
            AuditAction.CREATE,
            invitation,
            actor,
            replaced=replaced,
            existing_account=bool(holder),
        )
        link = invitation_link(token)
        outbox.enqueue(
            [
                outbox.message(
                    purpose=Purpose.ACCOUNT_MAIL,
                    medium=Medium.EMAIL,
                    recipient=email,
                    template="staff_invitation",
                    language=invitation.language,
                    context={
                        "invitation": invitation,
                        "practice": practice.name,
                        "role": Role(role).label,
                        "link": link,
                        "hours": settings.STAFF_INVITATION_HOURS,
                        "existing_account": bool(holder),
                    },
                    scrub_after_send=True,  # the link is a key until it is used
                )
            ]
        )
    return Invited(invitation, link)


def open_invitations(practice: Practice | None = None):
    """Invitations not used, not revoked and not expired (of one practice, or all)."""
    found = StaffInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )
    return found.filter(practice=practice) if practice is not None else found


def find(token: str) -> StaffInvitation:
    """The open invitation of this token, or a refusal that says why the link does not work."""
    invitation = (
        StaffInvitation.objects.select_related("practice", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationUnknown(_("This invitation link is not valid."))
    state = invitation.state()
    if state != InvitationState.PENDING:
        raise InvitationClosed(state)
    if not still_valid(invitation):
        raise InvitationClosed(InvitationState.REVOKED)
    return invitation


def still_valid(invitation: StaffInvitation) -> bool:
    """What was true when the link was sent may not be now: the practice left the portal (its
    exit started), or whoever invited lost the right to (a leaving administrator must not let
    themselves back in through an invitation to a private address). Such a link counts as
    revoked."""
    inviter = invitation.invited_by
    return bool(
        invitation.practice.active
        and inviter is not None
        and invitation.role in roles_invitable(inviter, invitation.practice_id)
    )


def existing_account(email: str):
    """The account (not a patient's) whose address is canonically this one, or None."""
    local = email.partition("@")[0]
    candidates = (
        get_user_model()
        .objects.filter(email__istartswith=f"{local}@")
        .exclude(username__startswith=access.PATIENT_USERNAME_PREFIX)
        .order_by("pk")
    )
    return next((u for u in candidates if same_email(u.email, email)), None)


def _locked_open(token: str) -> StaffInvitation:
    """Inside a transaction: the invitation, locked, and still open (a second tab that submits
    the same link at the same moment finds it used)."""
    invitation = find(token)
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    state = invitation.state()
    if state != InvitationState.PENDING:
        raise InvitationClosed(state)
    return invitation


def needs_sign_in(invitation: StaffInvitation) -> bool:
    """An address with an account that has a password: its owner signs in to accept (the link
    alone never replaces the password of an account in use)."""
    holder = existing_account(invitation.email)
    return bool(holder and holder.has_usable_password())


def accept_with_password(token: str, *, password: str, name: str):
    """Accept for an address without a usable account: make it (or give the password-less one
    a password), add the role. Returns the account, to be signed in by the caller."""
    users = get_user_model()
    with transaction.atomic():
        invitation = _locked_open(token)
        # Two practices' links for one new address, accepted at the same moment, make one
        # account: the second waits here, then finds the account and is asked to sign in.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                    [ACCOUNT_LOCK_SPACE, invitation.email],
                )
        user = existing_account(invitation.email)
        if user is not None and user.has_usable_password():
            raise InvitationRefused(_("Sign in to your account to accept this invitation."))
        if user is not None and not user.is_active:
            raise InvitationRefused(_("This account is blocked. Ask processor support."))
        if user is None:
            if users.objects.filter(username=invitation.email).exists():
                raise InvitationRefused(_("This account is blocked. Ask processor support."))
            user = users(username=invitation.email, email=invitation.email)
        first, _sep, last = name.strip().partition(" ")
        user.first_name, user.last_name = first[:150], last[:150]
        user.set_password(password)
        user.save()
        return _accept(invitation, user)


def accept_signed_in(token: str, *, user) -> Membership:
    """Accept for the signed-in owner of the invited address: the role joins their account."""
    with transaction.atomic():
        invitation = _locked_open(token)
        if not same_email(user.email, invitation.email) or access.patient_email(user):
            raise InvitationRefused(
                _("This invitation is for another e-mail address. Sign out and open it again.")
            )
        _accept(invitation, user)
        return Membership.objects.get(user=user, practice=invitation.practice, role=invitation.role)


def _accept(invitation: StaffInvitation, user):
    if not still_valid(invitation):  # checked again under the invitation's lock
        raise InvitationClosed(InvitationState.REVOKED)
    Membership.objects.get_or_create(user=user, practice=invitation.practice, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _record("staff.invite_accept", AuditAction.UPDATE, invitation, user)
    return user


def revoke(invitation: StaffInvitation, *, actor) -> None:
    """Withdraw an open invitation: its link stops working at once."""
    with transaction.atomic():
        invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.state() != InvitationState.PENDING:
            raise InvitationClosed(invitation.state())
        invitation.revoked_at = timezone.now()
        invitation.revoked_by = actor
        invitation.save(update_fields=["revoked_at", "revoked_by"])
        _record("staff.invite_revoke", AuditAction.UPDATE, invitation, actor)


def check_password_for(password: str, *, email: str, name: str) -> None:
    """The portal's password rules (length, common, like the address or name); raises
    ValidationError."""
    from django.contrib.auth.password_validation import validate_password

    first, _sep, last = name.strip().partition(" ")
    probe = get_user_model()(username=email, email=email, first_name=first, last_name=last)
    validate_password(password, user=probe)


def _record(event: str, action: AuditAction, invitation: StaffInvitation, actor, **extra) -> None:
    audit.record(
        event,
        action,
        user=actor,
        object_type="staff_invitation",
        object_id=str(invitation.pk),
        practice_id=invitation.practice_id,
        details={"email": invitation.email, "role": invitation.role, **extra},
    )
