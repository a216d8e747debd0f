"""What a patient reads about one of their own requests: who at the practice or the processor
viewed, exported or changed their data, when and in what role (Wabvpz art. 15e, NEN 7513), and
what happened to the request (its history in patient words).

The audit records come from `requests_app.selectors.access_records_of_request`. People are named
with their name and their role at that moment, never by account or e-mail address (the same
names the patient's letters already carry); codes become plain words. Denied looks by people
without access name nobody: they may be another patient, and nothing was shown to them.
"""

import dataclasses
import datetime

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app.models import (
    AuditAction,
    AuditOutcome,
    Membership,
    Request,
    RequestMessage,
    TaskEvent,
)
from requests_app.roles import PRACTICE_ROLES, PROCESSOR_ROLES, Role
from workflows.casework import letters as letter_kinds

# What someone did, by the record's event type: completes "<name> ...".
DONE = {
    "request.view": gettext_lazy("viewed your request"),
    "letter.view": gettext_lazy("viewed a letter about your request"),
    "letter.pdf": gettext_lazy("downloaded a letter about your request"),
    "request.message": gettext_lazy("wrote you a message"),
    "request.assign": gettext_lazy("assigned your request to a handler"),
    "request.forward": gettext_lazy("forwarded your request to your practice"),
    "request.hold_unrouted": gettext_lazy("set your request aside to find your practice"),
    "request.route": gettext_lazy("sent your request to your practice"),
    "request.acknowledge": gettext_lazy("confirmed that your practice is handling your request"),
    "request.verify_identity": gettext_lazy("recorded that your identity was checked"),
    "request.ask_patient": gettext_lazy("asked you a question"),
    "request.resume": gettext_lazy("continued handling your request"),
    "request.grant": gettext_lazy("decided on your request"),
    "request.grant_partially": gettext_lazy("decided on your request"),
    "request.refuse": gettext_lazy("decided on your request"),
    "request.decide_complaint": gettext_lazy("decided on your complaint"),
    "request.fulfil": gettext_lazy("recorded that your request was carried out"),
    "request.close": gettext_lazy("closed your request"),
    "request.extend": gettext_lazy("extended the time to answer your request"),
    "request.charge_fee": gettext_lazy("asked a fee for your request"),
    "request.record_fee_paid": gettext_lazy("recorded that you paid the fee"),
    "request.waive_fee": gettext_lazy("waived the fee for your request"),
    "request.investigate": gettext_lazy("started investigating your complaint"),
    "recipient.add": gettext_lazy("recorded who else received your data"),
    "task.create": gettext_lazy("asked %(processor)s for help with your request"),
    "task.view": gettext_lazy("viewed the request for help to %(processor)s"),
    "task.lookup": gettext_lazy("looked up your data in the app's systems"),
    "package.build": gettext_lazy("exported your data from the app's systems"),
    "package.download": gettext_lazy("downloaded the export of your data"),
    "package.release": gettext_lazy("made your data available to you"),
    "package.purge": gettext_lazy("deleted the export of your data after its download period"),
    "task.erase": gettext_lazy("erased your data in the app's systems"),
    "task.certificate": gettext_lazy("made the proof of erasure"),
    "certificate.view": gettext_lazy("viewed the proof of erasure"),
    "task.manual_step": gettext_lazy("carried out a step by hand for your request"),
    "task.identifier_add": gettext_lazy("recorded another way the app knows you"),
    "task.time": gettext_lazy("recorded time spent on your request"),
    "task.start": gettext_lazy("started on the request for help with your request"),
    "task.deliver": gettext_lazy("handed the result of the request for help to your practice"),
    "task.accept": gettext_lazy("accepted the result of the request for help"),
    "task.reject": gettext_lazy("sent the result of the request for help back"),
    "practice_document.view": gettext_lazy("viewed a document for your answer"),
    "practice_document.add": gettext_lazy("added a document to your answer"),
    "practice_document.remove": gettext_lazy("removed a document from your answer"),
    "practice_document.release": gettext_lazy("made documents available to you"),
    "practice_document.download": gettext_lazy("downloaded a document of your answer"),
    "practice_document.purge": gettext_lazy("deleted documents after their download period"),
}
# A step on the request for help to the processor (task.<transition>).
TASK_STEP = gettext_lazy("changed the request for help to %(processor)s")
# Anything else, by its kind of act.
BY_ACTION = {
    AuditAction.READ: gettext_lazy("viewed your data"),
    AuditAction.CREATE: gettext_lazy("recorded something about your request"),
    AuditAction.UPDATE: gettext_lazy("changed something in your request"),
    AuditAction.DELETE: gettext_lazy("deleted data about your request"),
    AuditAction.EXECUTE: gettext_lazy("processed your data"),
}
ROLE_AT_PRACTICE = {
    Role.HANDLER: gettext_lazy("Handler of privacy requests, %(practice)s"),
    Role.DPO: gettext_lazy("Data protection officer, %(practice)s"),
    Role.PRACTICE_ADMIN: gettext_lazy("Practice administrator, %(practice)s"),
}
ROLE_AT_PROCESSOR = {
    Role.SUPPORT: gettext_lazy("Support staff of %(processor)s"),
    Role.PROCESSOR_ADMIN: gettext_lazy("Administrator at %(processor)s"),
}
# A role is named by the one that says most about the access.
ROLE_ORDER = [Role.HANDLER, Role.DPO, Role.PRACTICE_ADMIN, Role.SUPPORT, Role.PROCESSOR_ADMIN]


@dataclasses.dataclass(frozen=True)
class Access:
    """One line of the access log as the patient reads it."""

    at: datetime.datetime
    who: str
    role: str
    what: str
    denied: bool = False
    system: bool = False
    times: int = 1  # the same act, by the same person, in the same minute


def _what(record) -> str:
    text = DONE.get(record.event_type)
    if text is None and record.event_type.startswith("task."):
        text = TASK_STEP
    if text is None:
        text = BY_ACTION.get(record.action, BY_ACTION[AuditAction.READ])
    return str(text) % {"processor": settings.PROCESSOR_NAME}


def _current_roles(records) -> dict[tuple[int, int | None], set[str]]:
    """The roles the people on this page hold now, per practice (None: the processor), in one
    query: a record's own list of roles joins those of every practice the person works for."""
    users = {r.user_id for r in records if r.user_id}
    held: dict[tuple[int, int | None], set[str]] = {}
    for user_id, practice_id, role in Membership.objects.filter(user_id__in=users).values_list(
        "user_id", "practice_id", "role"
    ):
        held.setdefault((user_id, practice_id), set()).add(role)
    return held


def _role(record, item: Request, held) -> str:
    at_the_time = {r for r in record.roles.split(",") if r}
    practice_id = record.practice_id_ref or item.practice_id
    processor = at_the_time & PROCESSOR_ROLES
    # The role at this practice; one no longer held here is still named as it was then, less
    # the roles the person holds at other practices (those were theirs, not this one's). Not
    # so for someone then also at the processor: the look was the processor's.
    elsewhere = set().union(
        *(
            roles
            for (user_id, other), roles in held.items()
            if user_id == record.user_id and other not in (practice_id, None)
        )
    )
    then = at_the_time - elsewhere or at_the_time
    here = PRACTICE_ROLES & (
        at_the_time & held.get((record.user_id, practice_id), set())
        or (set() if processor else then)
    )
    practice = item.practice.name if item.practice else ""
    for role in ROLE_ORDER:
        if role in here and practice:
            return str(ROLE_AT_PRACTICE[role]) % {"practice": practice}
        if role in processor:
            return str(ROLE_AT_PROCESSOR[role]) % {"processor": settings.PROCESSOR_NAME}
    return ""


def _entry(record, item: Request, held) -> Access:
    denied = record.outcome == AuditOutcome.DENIED
    if denied and not (record.patient_id and record.user_id):
        # Someone without access to the request (or without an account): nothing was shown,
        # and who tried may be another patient, whose name is not ours to give.
        return Access(
            record.at,
            _("Someone without access"),
            "",
            _("tried to open your request; this was refused and nothing was shown"),
            denied=True,
        )
    if record.user_id is None:
        return Access(record.at, _("The system (automatic)"), "", _what(record), system=True)
    role = _role(record, item, held)
    name = record.user.get_full_name().strip()
    what = _what(record)
    if denied:
        what = _("%(what)s (refused)") % {"what": what}
    return Access(record.at, name or _("A member of staff"), role, what, denied=denied)


def access_lines(records, item: Request) -> list[Access]:
    """One page of `access_records_of_request` as the patient reads it. The same act by the same
    person within one minute (five steps ticked off in a row) is one line that says how often."""
    records = list(records)
    held = _current_roles(records)
    found: list[Access] = []
    for record in records:
        line = _entry(record, item, held)
        last = found[-1] if found else None
        if last is not None and _same(last, line):
            found[-1] = dataclasses.replace(last, times=last.times + 1)
        else:
            found.append(line)
    return found


def _same(a: Access, b: Access) -> bool:
    minute = datetime.timedelta(minutes=1)
    return (a.who, a.role, a.what, a.denied) == (b.who, b.role, b.what, b.denied) and (
        abs(a.at - b.at) < minute
    )


# --- The request's history, in patient words ----------------------------------------------------
HAPPENED = {
    "submit": gettext_lazy("We received your request"),
    "hold_unrouted": gettext_lazy("We are looking for your practice"),
    "forward": gettext_lazy("Your request was forwarded to %(practice)s"),
    "acknowledge": gettext_lazy("Your practice confirmed it is handling your request"),
    "verify_identity": gettext_lazy("Your practice checked your identity"),
    "ask_patient": gettext_lazy("Your practice asked you a question"),
    "resume": gettext_lazy("Your practice continued handling your request"),
    "extend": gettext_lazy("Your practice took more time to answer"),
    "charge_fee": gettext_lazy("Your practice asked a fee"),
    "record_fee_paid": gettext_lazy("Your practice received the fee"),
    "waive_fee": gettext_lazy("Your practice waived the fee"),
    "investigate": gettext_lazy("Your practice started investigating your complaint"),
    "grant": gettext_lazy("Decision: your request was granted"),
    "grant_partially": gettext_lazy("Decision: your request was partly granted"),
    "refuse": gettext_lazy("Decision: your request was refused"),
    "decide_complaint": gettext_lazy("Your practice decided on your complaint"),
    "documents_released": gettext_lazy("Your practice made documents available to download"),
    "fulfil": gettext_lazy("Your request was carried out"),
    "close": gettext_lazy("Your request was closed"),
    "withdraw": gettext_lazy("You withdrew your request"),
    "merge": gettext_lazy("Your request was added to your earlier request for the same thing"),
    "duplicate_merged": gettext_lazy("Your later request for the same thing was added to this one"),
    "duplicate_kept": gettext_lazy(
        "Your practice handles this request separately from your earlier one"
    ),
}
PACKAGE_RELEASED = gettext_lazy("Your data are ready to download")
FROM_PRACTICE = gettext_lazy("Message from your practice")
FROM_PATIENT = gettext_lazy("You sent a message")
# The steps that are no event of the request's own history, by their name in a Step.
MESSAGE_FROM_PRACTICE = "message_from_practice"
MESSAGE_FROM_PATIENT = "message_from_patient"
DATA_RELEASED = "package_released"
# Every name a Step's `event` may have (the app's API documents them).
STEP_EVENTS = (*HAPPENED, MESSAGE_FROM_PRACTICE, MESSAGE_FROM_PATIENT, DATA_RELEASED)


@dataclasses.dataclass(frozen=True)
class Step:
    """One line of the request's history: what happened, and the letter about it, if any.
    `event` names the kind of step for a program (one of STEP_EVENTS); `text` is for people."""

    at: datetime.datetime
    text: str
    letter_key: str = ""
    letter_title: str | Promise = ""
    event: str = ""


def timeline(item: Request) -> list[Step]:
    """What happened to the request that the patient may know, oldest first: its steps, the
    messages both ways, the release of their data, and the letter of each step."""
    practice = item.practice.name if item.practice else ""
    letters = {letter.event.pk: letter for letter in letter_kinds.letters_of(item)}
    steps = []
    for event in item.events.filter(action__in=list(HAPPENED)):
        letter = letters.get(event.pk)
        steps.append(
            Step(
                event.at,
                str(HAPPENED[event.action]) % {"practice": practice},
                letter.key if letter else "",
                letter.title if letter else "",
                event=event.action,
            )
        )
    for message in RequestMessage.objects.filter(request=item):
        if message.sender == "patient":
            steps.append(Step(message.created_at, str(FROM_PATIENT), event=MESSAGE_FROM_PATIENT))
        else:
            steps.append(Step(message.created_at, str(FROM_PRACTICE), event=MESSAGE_FROM_PRACTICE))
    for event in TaskEvent.objects.filter(task__request=item, action="package_released"):
        steps.append(Step(event.at, str(PACKAGE_RELEASED), event=DATA_RELEASED))
    return sorted(steps, key=lambda step: step.at)
