"""The practice's team: the practice administrator sees who has access, invites and removes
members and revokes invitations; the processor's administrator invites a practice's first
administrator; both review accounts not used for 90 days. The invitee opens the e-mailed link,
sets a password (or signs in to an account they have) and sets up the second factor next.
Another practice's members and invitations answer 404; other roles 403."""

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.forms.team import AcceptForm, InviteAdminForm, InviteForm
from portal.views.common import not_found, staff_required
from requests_app import access
from requests_app.models import InvitationState, Practice, StaffInvitation
from requests_app.roles import Role
from workflows.onboarding import invitations, team

# Practices without an administrator listed on the processor's invitation page (the rest counted).
ADMINLESS_SHOWN = 50


def _managed_practice(request: HttpRequest, pk: int) -> Practice:
    """A practice whose team the user manages; another practice is a recorded 404."""
    managed = team.managed_practice_ids(request.user)
    if not managed:
        raise PermissionDenied
    practice = Practice.objects.filter(pk=pk, pk__in=managed).first()
    if practice is None:
        not_found(request, "team.view", "practice", str(pk))
    return practice


@require_GET
@staff_required
def team_start(request: HttpRequest) -> HttpResponse:
    """The administrator's own practice; the processor's administrator invites instead."""
    managed = Practice.objects.filter(pk__in=team.managed_practice_ids(request.user))
    mine = list(managed.order_by("name"))
    if len(mine) == 1:
        return redirect("staff:team", pk=mine[0].pk)
    if mine:
        return render(request, "staff/team_pick.html", {"practices": mine})
    if access.is_processor_admin(request.user):
        return redirect("staff:team_invite_admin")
    raise PermissionDenied


@require_GET
@staff_required
def team_page(request: HttpRequest, pk: int) -> HttpResponse:
    practice = _managed_practice(request, pk)
    members = team.team_of(practice)
    admins = sum(1 for m in members for ms in m.memberships if ms.role == Role.PRACTICE_ADMIN)
    return render(
        request,
        "staff/team.html",
        {
            "practice": practice,
            "members": members,
            "last_admin": admins <= 1,
            "pending": invitations.open_invitations(practice).select_related("invited_by"),
            "admin_role": Role.PRACTICE_ADMIN,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    practice = _managed_practice(request, pk)
    roles = invitations.roles_invitable(request.user, practice.pk)
    form = InviteForm(request.POST if request.method == "POST" else None, roles=roles)
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitations.invite(
                practice=practice,
                email=data["email"],
                name=data["name"],
                role=data["role"],
                language=data["language"],
                actor=request.user,
            )
        except invitations.InvitationRefused as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request,
                _("The invitation has been sent to %(email)s.") % {"email": data["email"]},
            )
            return redirect("staff:team", pk=practice.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "staff/team_invite.html", {"practice": practice, "form": form}, status=status
    )


@staff_required
@require_http_methods(["GET", "POST"])
def invite_admin(request: HttpRequest) -> HttpResponse:
    """The processor's administrator invites a practice's (first) administrator."""
    if not access.is_processor_admin(request.user):
        raise PermissionDenied
    form = InviteAdminForm(
        request.POST if request.method == "POST" else None,
        initial={"agb": request.GET.get("agb", "")[:8]},
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitations.invite(
                practice=data["agb"],
                email=data["email"],
                name=data["name"],
                role=Role.PRACTICE_ADMIN,
                language=data["language"],
                actor=request.user,
            )
        except invitations.InvitationRefused as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request,
                _("The invitation has been sent to %(email)s.") % {"email": data["email"]},
            )
            return redirect("staff:team_invite_admin")
    pending = (
        invitations.open_invitations()
        .filter(role=Role.PRACTICE_ADMIN)
        .select_related("practice", "invited_by")
    )
    status = 400 if form.is_bound and not form.is_valid() else 200
    without = team.practices_without_administrator()
    return render(
        request,
        "staff/team_invite_admin.html",
        {
            "form": form,
            "pending": pending,
            "without": without[:ADMINLESS_SHOWN],
            "without_count": without.count(),
        },
        status=status,
    )


def _back(request: HttpRequest, practice_id: int | None) -> HttpResponse:
    if request.POST.get("back") == "review" or practice_id is None:
        return redirect("staff:team_review")
    if practice_id in team.managed_practice_ids(request.user):
        return redirect("staff:team", pk=practice_id)
    return redirect("staff:team_invite_admin")


@require_POST
@staff_required
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    managed = team.managed_practice_ids(request.user)
    if not managed and not access.is_processor_admin(request.user):
        raise PermissionDenied
    found = StaffInvitation.objects.filter(pk=pk)
    if not access.is_processor_admin(request.user):
        found = found.filter(practice_id__in=managed)
    invitation = found.first()
    if invitation is None:
        not_found(request, "staff.invite_revoke", "staff_invitation", str(pk))
    try:
        invitations.revoke(invitation, actor=request.user)
    except invitations.InvitationRefused:
        messages.error(request, _("This invitation was no longer open."))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s has been revoked; its link no longer works.")
            % {"email": invitation.email},
        )
    return _back(request, invitation.practice_id)


@staff_required
@require_http_methods(["GET", "POST"])
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what removing the role does, and the button; POST: remove it."""
    scope = team.memberships_managed_by(request.user)
    if not (team.managed_practice_ids(request.user) or access.is_processor_admin(request.user)):
        raise PermissionDenied
    membership = scope.filter(pk=pk).first()
    if membership is None:
        not_found(request, "staff.member_remove", "membership", str(pk))
    who = membership.user.get_full_name().strip() or membership.user.email
    if request.method == "GET":
        back = "review" if request.GET.get("back") == "review" else "team"
        return render(
            request,
            "staff/team_remove.html",
            {
                "membership": membership,
                "who": who,
                "last_role": membership.user.memberships.count() == 1,
                "back": back,
                "back_url": reverse("staff:team_review")
                if back == "review" or membership.practice_id is None
                else reverse("staff:team", args=[membership.practice_id]),
            },
        )
    try:
        ended = team.remove_membership(membership, actor=request.user)
        request.user._membership_cache = None  # read the roles again
    except team.LastAdministrator as exc:
        messages.error(request, str(exc))
    else:
        if ended and membership.user_id == request.user.pk:
            logout(request)  # their own last role: the session was ended with it
            return redirect("intake:start")
        messages.success(
            request,
            _("%(who)s no longer has the role %(role)s.")
            % {"who": who, "role": membership.get_role_display()},
        )
    return _back(request, membership.practice_id)


@require_GET
@staff_required
def review(request: HttpRequest) -> HttpResponse:
    """Accounts not used for 90 days: of the administrator's practices, or all of them for the
    processor's administrator."""
    if access.is_processor_admin(request.user):
        stale = team.stale_memberships()
    elif managed := team.managed_practice_ids(request.user):
        stale = team.stale_memberships(managed)
    else:
        raise PermissionDenied
    return render(
        request,
        "staff/team_review.html",
        {"stale": stale, "days": team.ACCESS_REVIEW_STALE_DAYS},
    )


# --- The invitee ------------------------------------------------------------------------------


def _closed(request: HttpRequest, exc: invitations.InvitationRefused) -> HttpResponse:
    if isinstance(exc, invitations.InvitationClosed):
        reason = {
            InvitationState.ACCEPTED: _("This invitation has been used already."),
            InvitationState.REVOKED: _("This invitation has been revoked."),
            InvitationState.EXPIRED: _("This invitation has expired."),
        }[exc.state]
        status, used = 410, exc.state == InvitationState.ACCEPTED
    else:
        reason, status, used = _("This invitation link is not valid."), 404, False
    return render(
        request, "staff/invitation_closed.html", {"reason": reason, "used": used}, status=status
    )


@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation e-mail. A new account: name and password, then the second
    factor. An existing account: sign in as it, then accept."""
    try:
        invitation = invitations.find(token)
    except invitations.InvitationRefused as exc:
        return _closed(request, exc)
    if invitations.needs_sign_in(invitation):
        return _accept_existing(request, token, invitation)
    if request.user.is_authenticated:
        return render(
            request,
            "staff/invitation_accept.html",
            {"invitation": invitation, "other_account": True},
            status=403,
        )
    form = AcceptForm(
        request.POST if request.method == "POST" else None,
        email=invitation.email,
        initial={"name": invitation.name},
    )
    if form.is_valid():
        try:
            user = invitations.accept_with_password(
                token, password=form.cleaned_data["password1"], name=form.cleaned_data["name"]
            )
        except invitations.InvitationClosed as exc:
            return _closed(request, exc)
        except invitations.InvitationRefused as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        return _sign_in(request, user)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "staff/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=status,
    )


def _sign_in(request: HttpRequest, user) -> HttpResponse:
    """Signed in with the password just chosen; the second factor is set up next (the
    middleware allows nothing else)."""
    from allauth.account.internal.flows.login import perform_password_login, record_authentication
    from allauth.account.models import Login

    login = Login(user=user, redirect_url=reverse("mfa_activate_totp"), email=user.email)
    response = perform_password_login(request, {"email": user.email}, login)
    # The password was typed in this very request: the set-up of the authenticator, next, need
    # not ask for it again.
    record_authentication(request, user, method="password", reauthenticated=True)
    return response


def _accept_existing(request: HttpRequest, token: str, invitation) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(
            request,
            "staff/invitation_accept.html",
            {
                "invitation": invitation,
                "sign_in": f"{reverse('account_login')}?next={request.path}",
            },
        )
    if request.method == "POST":
        try:
            invitations.accept_signed_in(token, user=request.user)
        except invitations.InvitationClosed as exc:
            return _closed(request, exc)
        except invitations.InvitationRefused as exc:
            return render(
                request,
                "staff/invitation_accept.html",
                {"invitation": invitation, "other_account": True, "reason": str(exc)},
                status=403,
            )
        messages.success(
            request,
            _("You now have the role %(role)s at %(practice)s.")
            % {"role": invitation.get_role_display(), "practice": invitation.practice.name},
        )
        return redirect("staff:queue")
    mine = invitations.existing_account(invitation.email)
    return render(
        request,
        "staff/invitation_accept.html",
        {
            "invitation": invitation,
            "existing": True,
            "other_account": mine is None or mine.pk != request.user.pk,
        },
        status=200 if mine is not None and mine.pk == request.user.pk else 403,
    )
