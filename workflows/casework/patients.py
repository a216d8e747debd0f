"""What the patient does after intake: sign in with a code, answer the practice, withdraw."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_noop

from requests_app import access, audit
from requests_app.lifecycle import perform_transition
from requests_app.models import AuditAction, Request, RequestMessage, RequestState, Sender
from requests_app.models.request import by_patient
from requests_app.validators import canonical_email
from workflows.casework import actions as casework


def account_for(email: str):
    """The patient's sign-in account: no password, reached by a code sent to this address
    (canonical, as intake stores it)."""
    email = canonical_email(email)
    username = access.patient_username(email)
    users = get_user_model().objects
    user = users.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = users.create_user(username=username, email=email)
        except IntegrityError:  # created by a concurrent intake
            user = users.get(username=username)
    if not user.is_active or user.email != email:  # retired by retention, now back
        user.email, user.is_active = email, True
        user.save(update_fields=["email", "is_active"])
    return user


def retire_account(email: str) -> bool:
    """When retention has erased a patient's last request: the account keeps no e-mail address
    and no identity-broker link (with its claims). The row itself stays, because the audit log
    (kept longer) refers to it. Returns whether there was an account to retire."""
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount

    user = get_user_model().objects.filter(username=access.patient_username(email)).first()
    if user is None or access.practice_ids(user) or access.processor_roles(user):
        return False
    SocialAccount.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    user.email, user.is_active = "", False
    user.set_unusable_password()
    user.save(update_fields=["email", "is_active", "password"])
    return True


def reply(request: Request, *, patient, body: str) -> RequestMessage:
    """The patient answers; a request that waited for them goes on where it was."""
    if not by_patient(request, patient):
        raise PermissionDenied
    with transaction.atomic():
        message = RequestMessage.objects.create(
            request=request, sender=Sender.PATIENT, author=patient, body=body
        )
        if request.state == RequestState.AWAITING_PATIENT:
            resumed = perform_transition(
                request, "resume", actor=None, note=gettext_noop("patient answered")
            )
            casework.end_wait(resumed)
        # After the transition: it takes the request's lock before the audit chain's, as here.
        audit.record("request.message", AuditAction.CREATE, user=patient, request=request)
        if request.practice_id:
            casework.tell_practice(request)
    return message


def withdraw(request: Request, *, patient) -> Request:
    with transaction.atomic():
        withdrawn = perform_transition(
            request, "withdraw", actor=patient, note=gettext_noop("withdrawn by the patient")
        )
        if withdrawn.practice_id:
            casework.tell_practice(withdrawn)
    return withdrawn
