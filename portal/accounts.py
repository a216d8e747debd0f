"""Sign-in: staff accounts are made by administrators (no sign-up); patients sign in with a
code sent to the e-mail address of their request. allauth's e-mails go through our outbox."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render, resolve_url

from requests_app import access, audit
from requests_app.fields import lookup_digest
from requests_app.models import AuditAction, AuditOutcome
from requests_app.validators import canonical_email
from workflows.assistance import download_codes
from workflows.assistance.download_codes import BROKER_SESSION_KEY
from workflows.messaging import outbox
from workflows.models import Medium, Notification, Purpose

log = logging.getLogger(__name__)


def user_display(user) -> str:
    """How allauth names a user: their e-mail address, never the internal user name."""
    return getattr(user, "email", "") or ""


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        rendered = self.render_mail(template_prefix, email, {"email": email, **context})
        outbox.enqueue(
            [
                Notification(
                    purpose=Purpose.ACCOUNT_MAIL,
                    medium=Medium.EMAIL,
                    recipient=email,
                    subject=rendered.subject[:200],
                    body=rendered.body,
                    scrub_after_send=True,
                )
            ]
        )

    def authenticate(self, request, **credentials):
        """Passwords are for staff: a patient account that somehow got one does not sign in
        with it (patients sign in by code, counted per account, or through the broker)."""
        user = super().authenticate(request, **credentials)
        if user is not None and access.patient_email(user):
            log.warning("refused a password sign-in to a patient account")
            return None
        return user

    def login(self, request, user) -> None:
        super().login(request, user)
        # After login (which may start a fresh session): the BSN the broker vouched for, which
        # replaces the SMS code for the requests that carry it ("" for any other sign-in).
        request.session[BROKER_SESSION_KEY] = getattr(request, "broker_bsn_digest", "")

    def get_login_redirect_url(self, request) -> str:
        user = request.user
        if access.is_practice_staff(user) or access.is_processor_support(user):
            return resolve_url("staff:queue")
        return resolve_url("patient:track")


# --- Patients through an identity broker (DigiD) -----------------------------------------------


class BrokerRefused(Exception):
    pass


def _address_wholly_of(digest: str) -> str:
    """The latest address whose every request carries this BSN, or "". A BSN typed next to
    someone else's address (the API takes both as given) must not open that address's account:
    one request of the address without this BSN, and the broker does not sign in to it."""
    from requests_app.models import Request

    candidates = (
        Request.objects.filter(bsn_digest=digest)
        .order_by("-received_at")
        .values_list("patient_email", flat=True)
    )
    for address in dict.fromkeys(candidates):
        if not Request.objects.filter(patient_email=address).exclude(bsn_digest=digest).exists():
            return address
    return ""


def patient_for_broker_claims(claims: dict):
    """The patient account for what the broker vouches for: their BSN (preferred) or a verified
    e-mail address, but only when it matches a request; staff accounts never."""
    from requests_app.models import Request
    from workflows.casework.patients import account_for

    email = ""
    bsn = str(claims.get(settings.OIDC_BSN_CLAIM) or "").strip()
    if bsn:
        email = _address_wholly_of(lookup_digest(bsn))
    if not email and claims.get("email") and claims.get("email_verified") is True:
        try:
            candidate = canonical_email(str(claims["email"]))
        except ValidationError:
            candidate = ""
        if candidate and Request.objects.filter(patient_email=candidate).exists():
            email = candidate
    if not email:
        raise BrokerRefused("no request for this person")
    if access.is_staff_address(email):
        raise BrokerRefused("staff accounts do not sign in through the broker")
    return account_for(email)


def link_refusal(request, sociallogin, claims: dict) -> str:
    """Why this broker identity may not be linked to the signed-in account, or "" when it may:
    only a patient, only after the SMS code (whoever holds just the mailbox must not link their
    own DigiD), only an identity not linked elsewhere, and where the patient's requests hold a
    BSN, only the broker's matching BSN."""
    from requests_app import selectors

    user = request.user
    if not access.patient_email(user):
        return "not a patient account"
    if sociallogin.is_existing and sociallogin.user != user:
        return "identity linked to another account"
    if not download_codes.link_passed(request.session):
        return "no SMS code"
    known = set(
        selectors.requests_of_patient(user)
        .exclude(bsn_digest="")
        .values_list("bsn_digest", flat=True)
    )
    if known:
        bsn = str(claims.get(settings.OIDC_BSN_CLAIM) or "").strip()
        if not bsn or lookup_digest(bsn) not in known:
            return "BSN does not match the request"
    return ""


class PatientBrokerAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False  # the account exists already: made at intake

    def get_connect_redirect_url(self, request, socialaccount) -> str:
        return resolve_url("patient:track")

    def pre_social_login(self, request, sociallogin) -> None:
        claims = {}
        for part in ("id_token", "userinfo"):
            claims.update(sociallogin.account.extra_data.get(part) or {})
        claims = claims or dict(sociallogin.account.extra_data)
        # Keep only the broker's subject: its claims (the BSN) would sit unencrypted in
        # SocialAccount.extra_data, outside every retention rule.
        sociallogin.account.extra_data = {"sub": sociallogin.account.uid}
        if sociallogin.account.pk:
            sociallogin.account.save(update_fields=["extra_data"])
        sociallogin.email_addresses = []
        refused = ImmediateHttpResponse(render(request, "account/broker_refused.html", status=403))
        if sociallogin.state.get("process") == "connect":
            # A patient signed in by e-mail code links the broker (e.g. DigiD) to their account,
            # so that next time the broker alone signs them in. Staff never link one.
            reason = link_refusal(request, sociallogin, claims)
            audit.record(
                "patient.broker_link",
                AuditAction.EXECUTE,
                user=request.user,
                outcome=AuditOutcome.DENIED if reason else AuditOutcome.SUCCESS,
                object_type="account",
                object_id=str(request.user.pk),
                details={"reason": reason} if reason else {},
            )
            if reason:
                log.info("broker link refused: %s", reason)
                raise refused
            return  # allauth's connect flow links it to request.user
        if sociallogin.is_existing and access.patient_email(sociallogin.user):
            user = sociallogin.user  # linked before: by BSN, or by the patient themselves
        else:
            try:
                user = patient_for_broker_claims(claims)
            except BrokerRefused as exc:
                log.info("broker sign-in refused: %s", exc)
                raise refused from exc
        # Read by StaffAccountAdapter.login: the broker replaces the SMS code only for requests
        # that carry the BSN it vouches for.
        bsn = str(claims.get(settings.OIDC_BSN_CLAIM) or "").strip()
        request.broker_bsn_digest = lookup_digest(bsn) if bsn else ""
        if not sociallogin.is_existing:
            # Linked without taking over the broker's e-mail claims (cleared above): the
            # account's address stays the one of the request.
            sociallogin.user = user
            sociallogin.save(request, connect=True)
