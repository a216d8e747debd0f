"""Requests that reach a practice by letter, by telephone or at the desk, entered by its staff.

They take intake's one path (`submission.submit_request`): the same record, lifecycle, deadline
and first history row, which names the member of staff who entered it and how it came in. The
legal term runs from the day the practice received it (GDPR art. 12(3)), which may lie in the
past but not in the future. A patient without an e-mail address is keyed by an address that is
never mailed (requests_app.validators.no_mailbox_address) and answered by post: the practice
prints the letters the portal writes from the request's history. A patient at the desk may have
their identity verified at once (GDPR art. 12(6)); on the telephone or by letter it is verified
as for any other request.
"""

import dataclasses
import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import access
from requests_app.errors import DomainError
from requests_app.models import Channel, Request, RequestKind
from requests_app.models.request import STAFF_CHANNELS
from requests_app.roles import Capability
from requests_app.validators import has_mailbox, no_mailbox_address
from workflows.casework import actions
from workflows.intake.submission import PatientDetails, Submission, submit_request

# Older than this, a date of receipt is a typing error (2025 for 2026), not a late entry: even
# an extended term (three months) would have run out long ago.
MAX_RECEIPT_AGE = datetime.timedelta(days=183)
# The moment of day a past date of receipt is stored at (only the day counts for the term).
RECEIPT_HOUR = 12


class EntryRefused(DomainError):
    """The entry cannot be stored as given; the message says why (nothing was stored)."""

    def explain(self) -> str:
        return str(self.args[0])


@dataclasses.dataclass(frozen=True)
class Entry:
    """What the member of staff entered."""

    submission: Submission
    channel: str
    received_on: datetime.date
    identity_how: str = ""  # at the desk only: how the patient showed who they are
    assignee: object = None  # a handler of the practice, or nobody


def receipt_problem(received_on: datetime.date, today: datetime.date | None = None) -> str:
    """Why a date of receipt cannot be right, or ""."""
    today = today or timezone.localdate()
    if received_on > today:
        return str(_("The date of receipt cannot be in the future."))
    if today - received_on > MAX_RECEIPT_AGE:
        return str(_("The date of receipt is more than six months ago: check the year."))
    return ""


def received_moment(received_on: datetime.date) -> datetime.datetime:
    """Today: now. An earlier day: that day at noon, Dutch time (the term counts in days)."""
    if received_on == timezone.localdate():
        return timezone.now()
    naive = datetime.datetime.combine(received_on, datetime.time(RECEIPT_HOUR))
    return timezone.make_aware(naive)


def patient_without_email(patient: PatientDetails) -> PatientDetails:
    """The patient's details keyed by an address that is never mailed (answered by post)."""
    return dataclasses.replace(patient, email=no_mailbox_address())


def enter_request(*, entry: Entry, actor) -> Request:
    """Store a request a member of staff entered for their practice; raises PermissionDenied
    (not a handler of that practice, or an assignee who is not) or EntryRefused, with nothing
    stored."""
    submission = entry.submission
    practice = submission.practice
    if practice is None or not practice.active:
        raise EntryRefused(_("Choose your practice."))
    if not access.can(actor, Capability.WORK_REQUESTS, practice.pk):
        raise PermissionDenied("only the practice's handlers enter requests")
    if entry.assignee is not None and not access.can(
        entry.assignee, Capability.WORK_REQUESTS, practice.pk
    ):
        raise PermissionDenied("the handler does not work for this practice")
    if entry.channel not in STAFF_CHANNELS:
        raise EntryRefused(
            _("Say how the request came in: by letter, by telephone or at the desk.")
        )
    problem = receipt_problem(entry.received_on)
    if problem:
        raise EntryRefused(problem)
    identity = entry.identity_how.strip()
    if identity and (entry.channel != Channel.DESK or submission.kind == RequestKind.COMPLAINT):
        raise EntryRefused(
            _("The identity can be recorded at entry only for a request made at the desk.")
        )
    if not submission.patient.postal_address.strip() and not has_mailbox(submission.patient.email):
        raise EntryRefused(_("Without an e-mail address, enter the postal address for letters."))
    with transaction.atomic():
        request = submit_request(
            submission=submission,
            channel=entry.channel,
            received_at=received_moment(entry.received_on),
            entered_by=actor,
        )
        if entry.assignee is not None:
            request = actions.assign(
                request, actor=actor, version=request.version, assignee=entry.assignee
            )
        if identity:
            # The patient stood at the desk with their ID: taken on and verified at once.
            request = actions.act(request, "acknowledge", actor=actor, version=request.version)
            request = actions.act(
                request, "verify_identity", actor=actor, version=request.version, how=identity
            )
    return request
