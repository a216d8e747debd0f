"""Patients sign in with a 6-digit code mailed to the address of their request.

The address is taken in its canonical form and must be exactly that of a patient account made at
intake: a look-alike address (a dotless ı, another case) is another mailbox and another
account. The answer to "send me a code" is the same, and takes the same work, whether or not the
address is known: the look-up and the sending run in a job after the answer. Tries are counted
per account in the database, so parallel guesses or a fresh browser share the same five tries;
codes sent are capped per address per minute, hour and day. Staff accounts never sign in this way.
"""

import datetime
import hmac
import logging
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from requests_app import access, audit
from requests_app.errors import DomainError
from requests_app.models import AuditAction, AuditOutcome, PatientSignInCode
from requests_app.validators import canonical_email
from workflows import counters, schedule
from workflows.messaging import outbox
from workflows.models import Medium, Purpose

log = logging.getLogger(__name__)

CODE_TTL = datetime.timedelta(minutes=15)
MAX_TRIES = 5


class TooManyCodes(DomainError):
    """The address has had its share of codes for now."""


def _digest(user_id: int, code: str) -> str:
    return salted_hmac("patient-signin", f"{user_id}:{code}").hexdigest()


def patient_account(address: str):
    """The active patient account made at intake for exactly this canonical address, or None.
    Staff accounts, and any address a staff account uses, never qualify."""
    users = get_user_model().objects
    user = users.filter(username=access.patient_username(address), is_active=True).first()
    if user is None or access.patient_email(user) != address:
        return None
    if access.is_staff_address(address):
        return None
    return user


def request_code(email: str, *, language: str) -> str:
    """Accept a request for a code and schedule its sending; returns the canonical address.
    Raises ValidationError for an address that cannot be one, TooManyCodes past the caps."""
    address = canonical_email(email)
    if not counters.may_mail_code(address):  # whoever asks: the answer never says
        raise TooManyCodes(address)
    schedule.after_commit(
        "workflows.tasks.send_signin_code", address, language, what="a sign-in code"
    )
    return address


def send_code(address: str, language: str) -> bool:
    """The job: for a known patient address, a fresh code replaces any earlier one (its tries
    start again) and is mailed; for any other address nothing happens."""
    user = patient_account(address)
    if user is None:
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        PatientSignInCode.objects.update_or_create(
            user=user,
            defaults={
                "digest": _digest(user.pk, code),
                "expires_at": timezone.now() + CODE_TTL,
                "tries": 0,
            },
        )
        outbox.enqueue(
            [
                outbox.message(
                    purpose=Purpose.ACCOUNT_MAIL,
                    medium=Medium.EMAIL,
                    recipient=address,
                    template="signin_code",
                    language=language,
                    context={"code": code},
                    scrub_after_send=True,  # the code must not stay readable in the outbox
                )
            ]
        )
    return True


def check_code(address: str, code: str):
    """The patient account when `code` is the live code for `address`; else None. Every try
    counts (atomically) before the comparison; the sixth and later are refused unseen, and a
    code that worked is spent."""
    try:
        address = canonical_email(address)
    except ValidationError:
        return None
    user = patient_account(address)
    if user is None:
        return None
    candidate = "".join(ch for ch in (code or "") if ch.isdigit())
    with transaction.atomic():
        counted = PatientSignInCode.objects.filter(
            user=user, tries__lt=MAX_TRIES, expires_at__gt=timezone.now()
        ).update(tries=F("tries") + 1)
        row = PatientSignInCode.objects.filter(user=user).first() if counted else None
        if row is None or not hmac.compare_digest(row.digest, _digest(user.pk, candidate)):
            audit.record(
                "patient.signin",
                AuditAction.EXECUTE,
                user=user,
                outcome=AuditOutcome.DENIED,
                object_type="account",
                object_id=str(user.pk),
            )
            return None
        row.delete()
        audit.record(
            "patient.signin",
            AuditAction.EXECUTE,
            user=user,
            object_type="account",
            object_id=str(user.pk),
        )
    return user
