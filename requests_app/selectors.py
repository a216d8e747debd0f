"""Reading patient data. Every query that returns requests to a person goes through here."""

import contextlib
import dataclasses
import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from requests_app import access
from requests_app.models import (
    AssistanceTask,
    DataPackage,
    GeneralTask,
    LegalOrder,
    PendingSubmission,
    Practice,
    PracticeDocument,
    Request,
    RequestState,
    TaskState,
)
from requests_app.models.assistance import OPEN_TASK_STATES
from requests_app.models.request import FINISHED_STATES, OPEN_STATES
from requests_app.references import ALPHABET as REFERENCE_ALPHABET
from requests_app.references import GROUP as REFERENCE_GROUP
from requests_app.references import normalise_reference
from requests_app.validators import canonical_email


def requests_visible_to(user) -> QuerySet[Request]:
    """The requests an account may see: its practices' requests; for processor support, the
    requests that no practice has yet (they need routing). Anyone else sees nothing."""
    scope = Q(pk__in=[])
    practices = access.practice_ids(user)
    if practices:
        scope |= Q(practice_id__in=practices)
    if access.is_processor_support(user):
        scope |= Q(state=RequestState.UNROUTED)
    return Request.objects.filter(scope).select_related("practice", "assigned_to")


def practice_queue(user) -> QuerySet[Request]:
    return requests_visible_to(user).filter(practice_id__in=access.practice_ids(user))


def unrouted_queue(user) -> QuerySet[Request]:
    return (
        requests_visible_to(user)
        .filter(state=RequestState.UNROUTED)
        .select_related("sent_back_from")
    )


QUEUE_ORDERS = {
    "due": ("response_due", "received_at"),
    "-due": ("-response_due", "-received_at"),
    "received": ("received_at",),
    "-received": ("-received_at",),
}
# "Due soon": the queue's filter and the daily digest use the same number of days.
DUE_SOON_DAYS = 7


def filtered_queue(
    user,
    *,
    state: str = "",
    kind: str = "",
    due: str = "",
    assigned: str = "",
    search: str = "",
    order: str = "due",
    today: datetime.date | None = None,
) -> QuerySet[Request]:
    """The practice queue with the queue page's filters. `due` is "overdue" or "week";
    `assigned` is "me" or "nobody"; `state` may also be "open" (the default view) or "all"."""
    today = today or timezone.localdate()
    queryset = practice_queue(user)
    if state == "open" or not state:
        queryset = queryset.exclude(state__in=FINISHED_STATES)
    elif state != "all":
        queryset = queryset.filter(state=state)
    if kind:
        queryset = queryset.filter(kind=kind)
    if due == "overdue":
        queryset = queryset.filter(state__in=OPEN_STATES, response_due__lt=today)
    elif due == "week":
        soon = today + datetime.timedelta(days=DUE_SOON_DAYS)
        queryset = queryset.filter(state__in=OPEN_STATES, response_due__range=(today, soon))
    if assigned == "me":
        queryset = queryset.filter(assigned_to=user)
    elif assigned == "nobody":
        queryset = queryset.filter(assigned_to__isnull=True)
    search = search.strip()
    if search:
        queryset = queryset.filter(queue_search(search))
    return queryset.order_by(*QUEUE_ORDERS.get(order, QUEUE_ORDERS["due"]))


# The queue page's parameters; its CSV export and its bulk steps take the same.
QUEUE_FILTERS = ("state", "kind", "due", "assigned", "q", "order")


def queue_as_chosen(user, chosen: dict[str, str]) -> QuerySet[Request]:
    """The queue as the page shows it for its parameters (`QUEUE_FILTERS`, as typed): the one
    reading of them that the page, the CSV export and the way back after a bulk step share."""
    return filtered_queue(
        user,
        state=chosen.get("state", ""),
        kind=chosen.get("kind", ""),
        due=chosen.get("due", ""),
        assigned=chosen.get("assigned", ""),
        search=chosen.get("q", ""),
        order=chosen.get("order", "") or "due",
    )


# The ways a date of birth is typed: Dutch (17-05-1980, 17/5/1980, 17.05.1980) and ISO.
BIRTH_DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d")
# Fewer characters of a reference match too many requests to be a search.
SHORTEST_REFERENCE_PART = 3


def queue_search(text: str) -> Q:
    """What the queue's one search box finds: the patient's exact e-mail address (in its
    canonical form, as stored), a date of birth, or else a reference by its start or either
    block (with or without the dash, in any case), a patient number, or a part of the name.
    An address or a date is only that, so its lookup uses its index within the practice
    (requests_app.models.request); no lookup reads encrypted data."""
    if "@" in text:
        try:
            return Q(patient_email=canonical_email(text))
        except ValidationError:
            return Q(pk__in=[])
    for pattern in BIRTH_DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return Q(patient_birth_date=datetime.datetime.strptime(text, pattern).date())
    found = Q(patient_name__icontains=text)
    if len(text) <= Request._meta.get_field("patient_number").max_length:
        found |= Q(patient_number=text)
    compact = "".join(c for c in text.upper() if c.isalnum())
    if len(compact) < SHORTEST_REFERENCE_PART or not set(compact) <= set(REFERENCE_ALPHABET):
        return found
    if len(compact) >= 2 * REFERENCE_GROUP:
        return found | Q(reference=normalise_reference(compact))
    if len(compact) > REFERENCE_GROUP:
        head, tail = compact[:REFERENCE_GROUP], compact[REFERENCE_GROUP:]
        return found | Q(reference__startswith=f"{head}-{tail}")
    return found | Q(reference__startswith=compact) | Q(reference__contains=f"-{compact}")


def state_counts(user) -> dict[str, int]:
    rows = practice_queue(user).order_by().values("state").annotate(n=Count("pk"))
    return {row["state"]: row["n"] for row in rows}


def requests_of_patient(user) -> QuerySet[Request]:
    """A signed-in patient's own requests: those of the e-mail address their account was made
    for at intake."""
    email = access.patient_email(user)
    if not email:
        return Request.objects.none()
    return Request.objects.filter(patient_email=email).select_related("practice")


def linked_identities(user) -> QuerySet:
    """The identity-broker (DigiD) links of the signed-in account, oldest first."""
    from allauth.socialaccount.models import SocialAccount

    return SocialAccount.objects.filter(user=user).order_by("date_joined")


def incidents_visible_to(user) -> QuerySet:
    """Processor support: every incident; a practice's FG and admin: those that concern one of
    their practices (from the moment it is recorded, agreement art. 5.2)."""
    from requests_app.models import Incident
    from requests_app.roles import Capability

    incidents = Incident.objects.select_related("request")
    if access.is_processor_support(user):
        return incidents.all()
    officers = access.practices_where(user, Capability.SEE_INCIDENTS)
    if not officers:
        return incidents.none()
    return incidents.filter(pk__in=incident_records_of(user).values("incident_id"))


def incident_records_of(user) -> QuerySet:
    """The records of the account's own practices in incidents (each practice sees only its
    own: never which other practices an incident concerns)."""
    from requests_app.models import IncidentPractice
    from requests_app.roles import Capability

    officers = access.practices_where(user, Capability.SEE_INCIDENTS)
    return IncidentPractice.objects.filter(practice_id__in=officers).select_related("practice")


def requests_of_api_client(client) -> QuerySet[Request]:
    """An API client (the patient app's backend) reads only the requests it submitted."""
    return Request.objects.filter(api_client=client)


def request_by_idempotency_key(client, key: str) -> Request | None:
    """The request an API client already submitted under this Idempotency-Key, if any."""
    return requests_of_api_client(client).filter(idempotency_key=key).first()


def audit_records_visible_to(user) -> QuerySet:
    """The audit log of the practices for which the account is the DPO (FG); nothing else."""
    from requests_app.models import AuditRecord
    from requests_app.roles import Capability

    practices = access.practices_where(user, Capability.READ_AUDIT_LOG)
    return (
        AuditRecord.objects.filter(practice_id_ref__in=practices)
        .exclude(object_type="legal_order", object_id__in=orders_not_told(practices))
        .order_by("-seq")
    )


def orders_not_told(practices) -> list[str]:
    """The numbers of the practices' legal orders they have not been told of (notice due, or
    forbidden by law): their trace in the log would tell what the law keeps from them."""
    return [
        f"W{pk}"
        for pk in LegalOrder.objects.filter(
            practice_id__in=practices, notified_at__isnull=True
        ).values_list("pk", flat=True)
    ]


def tasks_visible_to(user) -> QuerySet[AssistanceTask]:
    """Assistance tasks: processor support sees those of every practice, practice staff their
    own practice's. Packages and certificates are reached only through their task."""
    if access.is_processor_support(user):
        scope = Q()
    else:
        scope = Q(practice_id__in=access.practice_ids(user))
    return AssistanceTask.objects.filter(scope).select_related(
        "request", "practice", "requested_by", "assigned_to"
    )


def general_tasks_visible_to(user) -> QuerySet[GeneralTask]:
    """Help beyond one request: support sees every practice's, the practice's accounts that may
    ask the processor for it (handlers, the FG) their own practice's."""
    from requests_app.roles import Capability

    if access.is_processor_support(user):
        scope = Q()
    else:
        scope = Q(practice_id__in=access.practices_where(user, Capability.ASK_PROCESSOR))
    return GeneralTask.objects.filter(scope).select_related(
        "practice", "requested_by", "assigned_to"
    )


def legal_orders_visible_to(user) -> QuerySet[LegalOrder]:
    """Processing under a legal order (agreement art. 3.4): support sees all; the practice's
    staff their own practice's once told of it: not while support has yet to decide whether the
    law forbids the notice, nor while it does."""
    if access.is_processor_support(user):
        return LegalOrder.objects.select_related("practice")
    return LegalOrder.objects.filter(
        practice_id__in=access.practice_ids(user), notified_at__isnull=False
    ).select_related("practice")


def practices_with_charges(user) -> QuerySet[Practice]:
    """Whose statement of the processor's time the account may read (agreement art. 9)."""
    from requests_app.roles import Capability

    if access.is_processor_support(user):
        return Practice.objects.all()
    ids = access.practices_where(user, Capability.ASK_PROCESSOR) | access.practices_where(
        user, Capability.INSTRUCT_PROCESSOR
    )
    return Practice.objects.filter(pk__in=ids)


def _released_packages_of(user) -> QuerySet[DataPackage]:
    """The packages practices released for a signed-in patient's own requests."""
    return DataPackage.objects.filter(
        task__request__in=requests_of_patient(user), released_at__isnull=False
    )


def package_of_patient(user, reference: str) -> DataPackage | None:
    """The released data package of a signed-in patient's own request, or None."""
    return (
        _released_packages_of(user)
        .filter(task__request__reference=normalise_reference(reference))
        .select_related("task__request__practice")
        .order_by("-released_at")
        .first()
    )


def released_documents_of_patient(user, reference: str) -> QuerySet[PracticeDocument]:
    """The practice's documents released in the answer to a signed-in patient's own request."""
    return PracticeDocument.objects.filter(
        request__in=requests_of_patient(user),
        request__reference=normalise_reference(reference),
        released_at__isnull=False,
    ).select_related("request__practice")


def released_answer_of(item: Request) -> tuple[DataPackage | None, list[PracticeDocument]]:
    """What was released to the patient in answer to `item`, a request the caller already
    reads through its own scope (an API client's: requests_of_api_client): the processor's
    latest package, or None, and the practice's documents."""
    package = (
        DataPackage.objects.filter(task__request=item, released_at__isnull=False)
        .order_by("-released_at")
        .first()
    )
    documents = PracticeDocument.objects.filter(request=item, released_at__isnull=False)
    return package, list(documents)


def released_package_references(user) -> set[str]:
    """References of the patient's requests with an answer (the processor's package or the
    practice's documents) they can download now."""
    now = timezone.now()
    downloadable = _released_packages_of(user).filter(
        purged_at__isnull=True, link_expires_at__gt=now
    )
    documents = PracticeDocument.objects.filter(
        request__in=requests_of_patient(user),
        released_at__isnull=False,
        purged_at__isnull=True,
        link_expires_at__gt=now,
    )
    return set(downloadable.values_list("task__request__reference", flat=True)) | set(
        documents.values_list("request__reference", flat=True)
    )


def documents_visible_to(user) -> QuerySet[PracticeDocument]:
    """The practice's own documents in its answers: its staff only (processor support never
    sees them). Who may open one, rather than see it listed, is the view's check."""
    return PracticeDocument.objects.filter(
        request__practice_id__in=access.practice_ids(user)
    ).select_related("request", "uploaded_by")


# --- Web intake: public practice search, the draft, the request just stored -------------------
def practices_matching(query: str) -> QuerySet[Practice]:
    """Active practices by name, town or postcode (the start of one), for the patient's search."""
    query = query.strip()
    if len(query) < 2:
        return Practice.objects.none()
    compact = query.replace(" ", "").upper()
    postcode = f"{compact[:4]} {compact[4:]}".strip() if compact[:4].isdigit() else None
    match = Q(name__icontains=query) | Q(city__icontains=query)
    if postcode:
        match |= Q(postcode__startswith=postcode)
    return Practice.objects.filter(match, active=True).order_by("name")[:25]


def draft_by_token(token: str | None) -> PendingSubmission | None:
    """The web draft bound to the browser session (its token lives only in the session)."""
    return PendingSubmission.objects.filter(token=token).first() if token else None


def request_submitted(reference: str | None) -> Request | None:
    """The request this browser session just stored (its reference lives only in the session)."""
    return Request.objects.filter(reference=reference).first() if reference else None


# --- Staff pages --------------------------------------------------------------------------------
def handlers_of(practice_id: int | None) -> QuerySet:
    """Who a request of this practice can be assigned to: the practice's own handlers."""
    from django.contrib.auth import get_user_model

    from requests_app.roles import Capability, roles_with

    return (
        get_user_model()
        .objects.filter(
            memberships__practice=practice_id,
            memberships__role__in=roles_with(Capability.WORK_REQUESTS),
        )
        .distinct()
    )


def assignable_handlers(user) -> QuerySet:
    """Whom the account may give requests to in a bulk step: the handlers of every practice
    where it may assign (each request still only to its own practice's handlers)."""
    from django.contrib.auth import get_user_model

    from requests_app.roles import Capability, roles_with

    return (
        get_user_model()
        .objects.filter(
            memberships__practice__in=access.practices_where(user, Capability.ASSIGN),
            memberships__role__in=roles_with(Capability.WORK_REQUESTS),
        )
        .distinct()
        .order_by("first_name", "last_name", "email")
    )


def filtered_tasks(user, *, state: str = "open") -> QuerySet[AssistanceTask]:
    """The task list's filter: "open" (requested or in progress), a task state, or anything
    else for all; most urgent first."""
    tasks = tasks_visible_to(user)
    if state == "open":
        tasks = tasks.filter(state__in=OPEN_TASK_STATES)
    elif state in TaskState.values:
        tasks = tasks.filter(state=state)
    return tasks.order_by("due", "requested_at")


def filtered_audit_records(
    user,
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    user_label: str = "",
    patient: str = "",
    reference: str = "",
) -> QuerySet:
    """The audit search of the practices where the account is the DPO, with its filters."""
    records = audit_records_visible_to(user)
    if since:
        records = records.filter(at__date__gte=since)
    if until:
        records = records.filter(at__date__lte=until)
    if user_label:
        # The page names staff by name: the search finds them by it, or by the account.
        records = records.filter(
            Q(user_label__icontains=user_label)
            | Q(user__first_name__icontains=user_label)
            | Q(user__last_name__icontains=user_label)
        )
    if patient:
        records = records.filter(patient_id__in=_patient_forms(patient))
    if reference:
        # A task's records name its request as their purpose; typed without the dash too.
        wanted = normalise_reference(reference.strip().upper())
        records = records.filter(Q(object_id=wanted) | Q(purpose=wanted))
    return records


def _patient_forms(value: str) -> set[str]:
    """An address is searched in its canonical form (as stored since intake canonicalised it),
    and as typed; never case-insensitively, which would match look-alike addresses."""
    forms = {value.strip()}
    with contextlib.suppress(ValidationError):
        forms.add(canonical_email(value))
    return forms


# --- The portal's own records about one patient, for an access answer ----------------------------
@dataclasses.dataclass(frozen=True)
class PortalRecords:
    """What the portal holds about one patient at one practice: their requests, what they and
    the practice wrote, and the audit records about them (who did what with their data)."""

    requests: QuerySet[Request]
    messages: QuerySet
    audit: QuerySet


def portal_records_of_patient(practice: Practice, email: str) -> PortalRecords:
    """Scoped to one practice and one patient, who is known here by the canonical form of their
    e-mail address (requests and audit records store that form): an exact match, so a
    look-alike address or another patient of the practice never comes in."""
    from requests_app.models import AuditRecord, RequestMessage

    try:
        address = canonical_email(email)
    except ValidationError:
        address = None
    if address is None or practice is None:
        return PortalRecords(
            Request.objects.none(), RequestMessage.objects.none(), AuditRecord.objects.none()
        )
    requests = Request.objects.filter(practice=practice, patient_email=address)
    return PortalRecords(
        requests=requests.order_by("received_at"),
        messages=RequestMessage.objects.filter(request__in=requests)
        .select_related("request")
        .order_by("created_at", "id"),
        # Records made before the request reached the practice (while unrouted) name no
        # practice; they belong to it through the request's reference.
        audit=AuditRecord.objects.filter(
            Q(practice_id_ref=practice.pk)
            | Q(practice_id_ref__isnull=True, object_id__in=requests.values("reference")),
            patient_id=address,
        ).order_by("seq"),
    )


def access_records_of_request(item: Request, patient) -> QuerySet:
    """Who else did what with one of a patient's own requests (Wabvpz art. 15e, NEN 7513), newest
    first: the records about the request, its tasks, packages and documents (named by its
    reference, and naming the request's patient), and the denied looks at it by anyone (which
    name no patient: nothing was shown). Left out: the patient's own acts and the app's on their
    behalf; the portal's own automatic reads; incidents (whether to tell the patient is the
    practice's decision, GDPR art. 34); lists such as the queue, whose records name
    references, not one patient."""
    from requests_app.models import AuditAction, AuditOutcome, AuditRecord

    reference = item.reference
    named = Q(object_id=reference) | Q(purpose=reference) | Q(purpose__startswith=f"{reference}/")
    about = Q(patient_id=item.patient_email) & named
    denied = Q(outcome=AuditOutcome.DENIED, object_id=reference, patient_id="")
    return (
        AuditRecord.objects.filter(about | denied)
        .exclude(user=patient)
        .exclude(user__isnull=True, user_label="patient")
        .exclude(user_label__startswith="api:")
        .exclude(user__isnull=True, action=AuditAction.READ, outcome=AuditOutcome.SUCCESS)
        .exclude(event_type__startswith="incident.")
        .select_related("user")
        .order_by("-seq")
    )


# --- The register of sub-processors, as practice staff see it ------------------------------------
def subprocessor_register(user) -> list[tuple[Practice, list[tuple]]]:
    """For each practice of the account: every register entry, with that practice's approval
    (None when it gave none). Another practice's approvals are never shown."""
    from requests_app.models import SubProcessor, SubProcessorApproval

    entries = list(SubProcessor.objects.order_by("-active", "name"))
    practices = Practice.objects.filter(pk__in=access.practice_ids(user)).order_by("name")
    register = []
    for practice in practices:
        approvals = {
            a.subprocessor_id: a for a in SubProcessorApproval.objects.filter(practice=practice)
        }
        register.append((practice, [(entry, approvals.get(entry.pk)) for entry in entries]))
    return register


def register_practices_of(user) -> QuerySet[Practice]:
    """The practices whose register of processing the account may receive (agreement art. 3.5):
    for processor support every practice; for the FG and practice administrator their own."""
    from requests_app.roles import Capability

    if access.is_processor_support(user):
        return Practice.objects.all()
    return Practice.objects.filter(
        pk__in=access.practices_where(user, Capability.READ_PROCESSING_REGISTER)
    )


def change_answers_of(user) -> QuerySet:
    """The answers to announced changes of sub-processors that the account gives for its
    practices (FG, practice administrator); another practice's are never among them."""
    from requests_app.models import ChangeAnswer
    from requests_app.roles import Capability

    return ChangeAnswer.objects.filter(
        practice_id__in=access.practices_where(user, Capability.ANSWER_SUBPROCESSOR_CHANGES)
    ).select_related("change", "change__subprocessor", "change__replaces", "practice")


def subprocessor_changes_of(user) -> QuerySet:
    """Every announced change, for processor support only (it announces them)."""
    from requests_app.models import SubProcessorChange

    if not access.is_processor_support(user):
        return SubProcessorChange.objects.none()
    return SubProcessorChange.objects.select_related(
        "subprocessor", "replaces", "announced_by"
    ).prefetch_related("answers__practice", "answers__answered_by")


# --- Standard texts (requests_app/models/standard_text.py) -------------------------------------
def standard_text_practices_of(user) -> QuerySet[Practice]:
    """The practices whose standard texts the account reads: its own, in any practice role.
    Processor support has none: the texts are the practice's own words."""
    return Practice.objects.filter(pk__in=access.practice_ids(user))


def standard_texts_of(user) -> QuerySet:
    """The standard texts (in use) of the account's practices."""
    from requests_app.models import StandardText

    return StandardText.objects.filter(practice_id__in=access.practice_ids(user), active=True)


# --- Requests entered by practice staff (letter, telephone, desk) ------------------------------
def practices_entering_for(user) -> QuerySet[Practice]:
    """The active practices for which the account handles requests, and so may enter them."""
    from requests_app.roles import Capability

    ids = access.practices_where(user, Capability.WORK_REQUESTS)
    return Practice.objects.filter(pk__in=ids, active=True).order_by("name")


def handlers_of_practices(practice_ids) -> QuerySet:
    """Who a request entered for one of these practices may be given to: their handlers (the
    workflow checks that the handler works for the very practice chosen)."""
    from django.contrib.auth import get_user_model

    from requests_app.roles import Capability, roles_with

    return (
        get_user_model()
        .objects.filter(
            memberships__practice__in=list(practice_ids),
            memberships__role__in=roles_with(Capability.WORK_REQUESTS),
        )
        .distinct()
        .order_by("last_name", "first_name", "email")
    )
