"""What a practice's exit archive holds: a registry of per-practice sections (agreement art.
11.2: everything the processor holds for the practice, in a documented format).

Each section gives one or more tables (name, columns with their meaning, rows). A model added
later plugs in with one `model_section(...)` entry in SECTIONS, or one line in EXCLUDED saying why
it is left out on purpose; tests/workflows/test_practice_exit.py fails for a model with a foreign
key to Practice or Request (directly or through another such model) that is in neither.
docs/practice-archive.md documents every table and column (a test holds the two together).
"""

import dataclasses
import datetime
import decimal
from collections.abc import Callable, Iterable, Iterator

from django.db.models import Case, F, Model, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from requests_app import selectors
from requests_app.models import (
    AssistanceTask,
    AuditRecord,
    ChangeAnswer,
    ChangeEvent,
    DataPackage,
    ErasureCertificate,
    ErasureRun,
    ExtraIdentifier,
    GeneralTask,
    GeneralTaskEvent,
    Incident,
    IncidentPractice,
    IncidentUpdate,
    LegalOrder,
    LegalOrderEvent,
    ManualStep,
    Membership,
    NoProcessorData,
    PatientWait,
    Practice,
    PracticeDocument,
    PracticeExit,
    PracticeExitEvent,
    PracticeExitStep,
    RecipientNotice,
    Request,
    RequestEvent,
    RequestMessage,
    StaffInvitation,
    StandardText,
    StandardTextVersion,
    SubProcessorApproval,
    TaskEvent,
    TimeEntry,
)
from workflows.assistance.connectors import ConnectorError, configured_connectors
from workflows.models import Notification, Purpose, WebhookAttempt, WebhookEvent


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    path: str = ""  # the ORM path it is read from (default: the name)


@dataclasses.dataclass(frozen=True)
class Table:
    name: str  # the file name, without extension
    title: str
    columns: list[str]
    rows: Iterable[dict]


@dataclasses.dataclass(frozen=True)
class Section:
    key: str
    title: object  # a lazy translation
    models: tuple[type[Model], ...]  # the models whose rows it returns
    tables: Callable[[Practice], Iterator[Table]]
    # Static columns per table, for docs/practice-archive.md ({} when they come from elsewhere).
    columns: dict[str, list[Column]] = dataclasses.field(default_factory=dict)
    # Whether the destruction holds its rows against the export (the audit log grows with the
    # exit's own records and is not destroyed; the outbox sends by itself; the providers' logs
    # are live services).
    checked: bool = True


def json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def _rows(queryset: QuerySet, columns: list[Column]) -> Iterator[dict]:
    paths = [c.path or c.name for c in columns]
    for values in queryset.order_by("pk").values_list(*paths).iterator(chunk_size=2000):
        yield {c.name: json_value(v) for c, v in zip(columns, values, strict=True)}


def model_section(
    key: str,
    title,
    model: type[Model],
    scope: Callable[[Practice], QuerySet],
    columns: list[Column],
    *,
    checked: bool = True,
) -> Section:
    """A section of one model's rows of the practice, one table named `key`."""

    def tables(practice: Practice) -> Iterator[Table]:
        yield Table(key, str(title), [c.name for c in columns], _rows(scope(practice), columns))

    return Section(key, title, (model,), tables, {key: columns}, checked)


C = Column
WHO = "e-mail address of the account"
OBJECTION = [
    C("objection", "the processor's objection to the instruction (agreement art. 3.3)"),
    C("objected_at", "objected"),
    C("objection_answer", "the practice's answer to the objection"),
    C("objection_answered_at", "answered"),
]
WORK_EVENT = [
    C("at", "when"),
    C("actor", "who", "actor_label"),
    C("action", "what was done"),
    C("from_state", "state before"),
    C("to_state", "state after"),
    C("note", "note"),
    C("details", "details (JSON)"),
]


def incidents_of(practice: Practice) -> QuerySet:
    """The incidents that concern the practice, or came from one of its requests."""
    concerned = IncidentPractice.objects.filter(practice=practice).values("incident")
    return Incident.objects.filter(Q(pk__in=concerned) | Q(request__practice=practice))


def banned_orders(practice: Practice) -> QuerySet:
    """The practice's legal orders whose notice the law still forbids (agreement art. 3.4)."""
    return LegalOrder.objects.filter(practice=practice, notice_forbidden=True, ban_lifted_at=None)


def shown_orders(practice: Practice) -> QuerySet:
    """The practice's legal orders it may know of: the archive must not tell it of the others."""
    return LegalOrder.objects.filter(practice=practice).exclude(pk__in=banned_orders(practice))


SECTIONS: list[Section] = [
    model_section(
        "practice",
        _("The practice's settings and contacts"),
        Practice,
        lambda p: Practice.objects.filter(pk=p.pk),
        [
            C("name", "the practice's name"),
            C("agb_code", "AGB code"),
            C("street", "street and number"),
            C("postcode", "postcode"),
            C("city", "city"),
            C("dpo_name", "privacy contact (FG)"),
            C("dpo_email", "FG e-mail"),
            C("dpo_phone", "FG mobile"),
            C("standin_name", "stand-in of the FG"),
            C("standin_email", "stand-in e-mail"),
            C("standin_phone", "stand-in mobile"),
            C("complaints_officer", "complaints officer (Wkkgz)"),
            C("complaints_officer_email", "complaints officer e-mail"),
            C("complaints_officer_phone", "complaints officer telephone"),
            C("disputes_body", "disputes body (Wkkgz)"),
            C("disputes_body_contact", "disputes body address or telephone"),
            C("disputes_body_website", "disputes body website"),
            C("retention_years", "years closed requests are kept (Bijlage 1)"),
            C("assistance_turnaround_days", "processor's turnaround for assistance, working days"),
            C("active", "whether the practice receives requests (no longer once its exit started)"),
        ],
    ),
    model_section(
        "staff",
        _("The practice's staff accounts and roles"),
        Membership,
        lambda p: Membership.objects.filter(practice=p),
        [
            C("email", WHO, "user__email"),
            C("first_name", "first name", "user__first_name"),
            C("last_name", "last name", "user__last_name"),
            C("role", "handler, dpo (FG) or practice_admin"),
            C("active", "whether the account can sign in", "user__is_active"),
        ],
    ),
    model_section(
        "requests",
        _("Requests and complaints"),
        Request,
        lambda p: Request.objects.filter(practice=p),
        [
            C("reference", "the request's reference"),
            C(
                "kind",
                "access, rectification, erasure, restriction, portability, objection, "
                "destruction or complaint",
            ),
            C("channel", "web or app"),
            C("state", "the request's state at the export"),
            C("patient_name", "the patient's name"),
            C("patient_birth_date", "date of birth"),
            C("patient_email", "e-mail address"),
            C("patient_phone", "mobile number"),
            C("patient_number", "patient number"),
            C("bsn", "citizen service number (only from the app)"),
            C("description", "what the patient wrote"),
            C("about_processor", "about the app's own processing (also an incident)"),
            C("language", "the patient's language"),
            C("practice_given", "the practice as the patient typed it"),
            C("received_at", "receipt (starts the legal period)"),
            C("forwarded_at", "forwarded to the practice"),
            C("acknowledged_at", "taken on by the practice"),
            C("handler", WHO + " of the handler", "assigned_to__email"),
            C("response_due", "answer due"),
            C("original_due", "first deadline, before an extension"),
            C("extended_at", "extended"),
            C("extension_reason", "reasons for the extension"),
            C("identity_verified_at", "identity verified"),
            C("identity_method", "how the identity was verified"),
            C("closed_at", "closed, withdrawn or merged"),
            C(
                "duplicate_of",
                "the earlier request it was linked to as a possible duplicate, or merged into",
                "duplicate_of__reference",
            ),
            C("duplicate_kept_reason", "why the practice kept it apart from a possible duplicate"),
        ],
    ),
    model_section(
        "decisions",
        _("Decisions on requests"),
        Request,
        lambda p: Request.objects.filter(practice=p).exclude(decided_at=None),
        [
            C("reference", "the request's reference"),
            C("decision", "granted, partially_granted, refused or decided (complaint)"),
            C("decided_at", "when"),
            C("decision_reason", "the reasons"),
            C("legal_ground", "the legal ground of a (partial) refusal"),
            C("manifestly_unfounded", "refused as manifestly unfounded or excessive"),
            C("verdict", "a complaint's verdict"),
            C("measures", "measures the practice takes"),
            C("measures_due", "measures done by"),
            C("fee_amount", "fee asked (GDPR art. 12(5)), euro"),
            C("fee_justification", "why the fee"),
            C("fee_cost_basis", "how the fee follows the costs"),
            C("fee_asked_at", "fee asked"),
            C("fee_paid_at", "fee paid"),
            C("fee_waived_at", "fee waived"),
            C("fulfilled_at", "carried out"),
            C("destroyed_what", "what was destroyed (Civil Code 7:455)"),
            C("destroyed_where", "where"),
            C("destroyed_on", "on which day"),
        ],
    ),
    model_section(
        "request_events",
        _("History of the requests"),
        RequestEvent,
        lambda p: RequestEvent.objects.filter(request__practice=p),
        [
            C("request", "the request's reference", "request__reference"),
            C("at", "when"),
            C("actor", "who: account, or system/patient", "actor_label"),
            C("action", "what was done"),
            C("from_state", "state before"),
            C("to_state", "state after"),
            C("note", "note"),
        ],
    ),
    model_section(
        "messages",
        _("Messages between the practice and the patient"),
        RequestMessage,
        lambda p: RequestMessage.objects.filter(request__practice=p),
        [
            C("request", "the request's reference", "request__reference"),
            C("created_at", "when"),
            C("sender", "practice or patient"),
            C("author", WHO + " (practice messages)", "author__email"),
            C("body", "the message"),
        ],
    ),
    model_section(
        "patient_waits",
        _("Periods of waiting for the patient"),
        PatientWait,
        lambda p: PatientWait.objects.filter(request__practice=p),
        [
            C("request", "the request's reference", "request__reference"),
            C("started_at", "waiting from"),
            C("ended_at", "waiting until"),
            C("stops_clock", "whether it stopped the legal period"),
            C("clock_reason", "why"),
            C("due_before", "answer due before the wait"),
            C("due_after", "answer due after the wait"),
        ],
    ),
    model_section(
        "no_processor_data",
        _("Recorded: no processor data concerned"),
        NoProcessorData,
        lambda p: NoProcessorData.objects.filter(request__practice=p),
        [
            C("request", "the request's reference", "request__reference"),
            C("reason", "why no processor data are concerned"),
            C("recorded_by", WHO, "recorded_by__email"),
            C("recorded_at", "when"),
        ],
    ),
    model_section(
        "recipient_notices",
        _("Recipients told of a change (GDPR art. 19)"),
        RecipientNotice,
        lambda p: RecipientNotice.objects.filter(request__practice=p),
        [
            C("request", "the request's reference", "request__reference"),
            C("name", "the recipient"),
            C("state", "to_tell, told or impossible"),
            C("told_on", "told on"),
            C("method", "how"),
            C("note", "note, or why telling is impossible"),
            C("done_by", WHO, "done_by__email"),
            C("done_at", "ticked off"),
        ],
    ),
    model_section(
        "assistance_tasks",
        _("Assistance tasks for the processor"),
        AssistanceTask,
        lambda p: AssistanceTask.objects.filter(practice=p),
        [
            C("task", "the task's number (T + id)", "pk"),
            C("request", "the request's reference", "request__reference"),
            C("kind", "supply, erase, rectify or restrict"),
            C(
                "state",
                "requested, in_progress, delivered, accepted, rejected, objected (awaiting the "
                "practice's answer to an objection) or withdrawn",
            ),
            C("instruction", "the practice's instruction (as changed after an objection)"),
            C("requested_by", WHO, "requested_by__email"),
            C("requested_at", "asked"),
            C("due", "due"),
            C("keep_categories", "categories kept on an erasure"),
            C("keep_reason", "why they are kept"),
            C("started_at", "taken on"),
            C("delivered_at", "delivered"),
            C("delivery_note", "what was done"),
            C("decided_at", "accepted or rejected"),
            C("rejection_reason", "why rejected"),
            *OBJECTION,
        ],
    ),
    model_section(
        "task_events",
        _("History of the assistance tasks"),
        TaskEvent,
        lambda p: TaskEvent.objects.filter(task__practice=p),
        [
            C("task", "the task's number (T + id)", "task_id"),
            C("at", "when"),
            C("actor", "who", "actor_label"),
            C("action", "what was done"),
            C("from_state", "state before"),
            C("to_state", "state after"),
            C("note", "note"),
            C("details", "details (JSON)"),
        ],
    ),
    model_section(
        "manual_steps",
        _("Manual steps at sub-processors without an API"),
        ManualStep,
        lambda p: ManualStep.objects.filter(task__practice=p),
        [
            C("task", "the task's number (T + id)", "task_id"),
            C("subprocessor", "the sub-processor", "subprocessor__name"),
            C("done_at", "done"),
            C("done_by", WHO, "done_by__email"),
            C("note", "what was done, where"),
        ],
    ),
    model_section(
        "extra_identifiers",
        _("Extra identifiers of patients"),
        ExtraIdentifier,
        lambda p: ExtraIdentifier.objects.filter(task__practice=p),
        [
            C("task", "the task's number (T + id)", "task_id"),
            C("kind", "email or mobile"),
            C("value", "the identifier"),
            C("why", "why it is the same patient"),
            C("state", "proposed, confirmed or declined"),
            C("decided_at", "decided"),
            C("decline_reason", "why declined"),
        ],
    ),
    model_section(
        "erasure_runs",
        _("Erasure runs"),
        ErasureRun,
        lambda p: ErasureRun.objects.filter(task__practice=p),
        [
            C("task", "the task's number (T + id)", "task_id"),
            C("at", "when"),
            C("source", "where (connector key)"),
            C("category", "data category"),
            C("removed", "rows removed"),
            C("kept", "rows kept"),
            C("error", "the source's failure"),
            C("skipped", "why the source was left out"),
        ],
    ),
    model_section(
        "erasure_certificates",
        _("Certificates of erasure"),
        ErasureCertificate,
        lambda p: ErasureCertificate.objects.filter(task__practice=p),
        [
            C("task", "the task's number (T + id)", "task_id"),
            C("issued_at", "issued"),
            C("digest", "SHA-256 of the manifest"),
            C("manifest", "the certificate's manifest (JSON)"),
        ],
    ),
    model_section(
        "data_packages",
        _("Data packages (manifests, not the files)"),
        DataPackage,
        lambda p: DataPackage.objects.filter(task__practice=p),
        [
            C("task", "the task's number (T + id)", "task_id"),
            C("built_at", "built"),
            C("size", "bytes of the ZIP"),
            C("sha256", "SHA-256 of the ZIP"),
            C("counts", "rows per source and category (JSON)"),
            C("mismatches", "where the records disagreed with the request (JSON)"),
            C("opened_at", "opened by the practice"),
            C("released_at", "released to the patient"),
            C("link_expires_at", "download link expired"),
            C("purged_at", "file removed"),
        ],
    ),
    model_section(
        "practice_documents",
        _("The practice's documents in answers (the list)"),
        PracticeDocument,
        lambda p: PracticeDocument.objects.filter(request__practice=p),
        [
            C("request", "the request's reference", "request__reference"),
            C("document", "the document's number (D + id)", "pk"),
            C("name", "name as the patient saw it"),
            C("content_type", "file type"),
            C("size", "bytes"),
            C("sha256", "SHA-256 of the file"),
            C("uploaded_at", "added"),
            C("released_at", "released"),
            C("purged_at", "file removed"),
        ],
    ),
    model_section(
        "incidents",
        _("Incidents concerning the practice"),
        Incident,
        lambda p: incidents_of(p).annotate(
            own_request=Case(
                When(request__practice=p, then=F("request__reference")), default=Value("")
            )
        ),
        [
            C("incident", "the incident's number (INC- + id)", "pk"),
            C("request", "the reference of the practice's request it came from", "own_request"),
            C("category", "complaint, authorities, breach or unlawful (agreement art. 1.1 e)"),
            C("state", "open or closed"),
            C("nature", "nature of the incident"),
            C("personal_data", "personal data (possibly) affected"),
            C("consequences", "observed and likely consequences"),
            C("measures", "measures taken or planned"),
            C("started_at", "started"),
            C("discovered_at", "discovered"),
            C("created_at", "recorded"),
            C("closed_at", "closed"),
            C("closing_note", "why it was closed"),
        ],
    ),
    model_section(
        "incident_records",
        _("The practice's own record of each incident (GDPR art. 33, 34)"),
        IncidentPractice,
        lambda p: IncidentPractice.objects.filter(practice=p),
        [
            C("incident", "the incident's number (INC- + id)", "incident_id"),
            C("told_at", "when the processor told the practice (its 72 hours start)"),
            C("told_to", "the addresses told"),
            C("ap_state", "pending, reported or not_reported (Autoriteit Persoonsgegevens)"),
            C("ap_reported_at", "reported to the AP"),
            C("ap_reference", "the AP's reference"),
            C("ap_reason", "why not reported to the AP"),
            C("ap_by", WHO, "ap_by__email"),
            C("patients_state", "pending, told or not_told"),
            C("patients_told_at", "patients told"),
            C("patients_how", "how the patients were told"),
            C("patients_reason", "why the patients were not told"),
            C("patients_by", WHO, "patients_by__email"),
        ],
    ),
    model_section(
        "incident_updates",
        _("Updates of the incidents"),
        IncidentUpdate,
        lambda p: IncidentUpdate.objects.filter(incident__in=incidents_of(p)),
        [
            C("incident", "the incident's number (INC- + id)", "incident_id"),
            C("at", "when"),
            C("by", WHO, "by__email"),
            C("text", "the update"),
            C("changes", "the fields it changed, from and to (JSON)"),
        ],
    ),
    model_section(
        "legal_orders",
        _("Processing the law demanded (agreement art. 3.4)"),
        LegalOrder,
        lambda p: shown_orders(p),
        [
            C("order", "the order's number (W + id)", "pk"),
            C("authority", "the authority"),
            C("legal_basis", "the statutory provision, or court or administrative order"),
            C("order_reference", "its reference"),
            C("processing", "what processing it demands"),
            C("received_on", "received"),
            C("planned_on", "planned processing date"),
            C("state", "recorded, notified, notice_forbidden or carried_out"),
            C("recorded_at", "recorded"),
            C("notified_at", "the practice notified"),
            C("notice_forbidden", "whether the law forbade the notice for a time"),
            C("forbidden_ground", "the ground for the ban on notice"),
            C("ban_lifted_at", "the ban lifted"),
            C("contest_note", "how the practice could contest it"),
            C("limitation_note", "how it was kept to what is strictly needed"),
            C("carried_out_at", "carried out"),
        ],
    ),
    model_section(
        "legal_order_events",
        _("History of the legal orders"),
        LegalOrderEvent,
        lambda p: LegalOrderEvent.objects.filter(order__in=shown_orders(p)),
        [
            C("order", "the order's number (W + id)", "order_id"),
            *WORK_EVENT,
        ],
    ),
    model_section(
        "general_tasks",
        _("Questions to the processor (DPIA, breach, audit, information)"),
        GeneralTask,
        lambda p: GeneralTask.objects.filter(practice=p),
        [
            C("task", "the question's number (G + id)", "pk"),
            C("kind", "dpia, breach, audit, information or other"),
            C("subject", "subject"),
            C("instruction", "the practice's question (its instruction)"),
            C(
                "state",
                "requested, in_progress, answered, closed, objected (awaiting the practice's "
                "answer to an objection) or withdrawn",
            ),
            C("requested_by", WHO, "requested_by__email"),
            C("requested_at", "asked"),
            C("due", "due"),
            C("assigned_to", WHO + " of processor support", "assigned_to__email"),
            C("started_at", "taken on"),
            C("answer", "the processor's answer"),
            C("answered_at", "answered"),
            C("closed_at", "closed by the practice"),
            C("reopen_reason", "why the practice reopened it"),
            *OBJECTION,
        ],
    ),
    model_section(
        "general_task_events",
        _("History of the questions to the processor"),
        GeneralTaskEvent,
        lambda p: GeneralTaskEvent.objects.filter(task__practice=p),
        [
            C("task", "the question's number (G + id)", "task_id"),
            *WORK_EVENT,
        ],
    ),
    model_section(
        "time_entries",
        _("The processor's time on the practice's tasks (agreement art. 9)"),
        TimeEntry,
        lambda p: TimeEntry.objects.filter(practice=p),
        [
            C("task", "the assistance task's number (T + id), or empty", "task_id"),
            C("general_task", "the question's number (G + id), or empty", "general_task_id"),
            C("day", "the day of the work"),
            C("minutes", "minutes"),
            C("function", "the function (Bijlage 3)"),
            C("hourly_rate", "its hourly rate on that day, euro excluding VAT"),
            C("basis", "included (art. 9.1), chargeable (art. 9.2) or shortcoming (art. 9.3)"),
            C("note", "what was done"),
            C("recorded_by", WHO, "recorded_by__email"),
            C("recorded_at", "recorded"),
        ],
    ),
    model_section(
        "subprocessor_approvals",
        _("Sub-processors approved by the practice"),
        SubProcessorApproval,
        lambda p: SubProcessorApproval.objects.filter(practice=p),
        [
            C("subprocessor", "the sub-processor", "subprocessor__name"),
            C("approved_on", "approved on"),
            C("evidence", "the written consent"),
            C("recorded_at", "recorded"),
        ],
    ),
    model_section(
        "subprocessor_change_answers",
        _("The practice's answers to announced changes of sub-processors"),
        ChangeAnswer,
        lambda p: ChangeAnswer.objects.filter(practice=p),
        [
            C("change", "the announcement's number", "change_id"),
            C("kind", "new, replacement, location or end", "change__kind"),
            C("subprocessor", "the sub-processor", "change__subprocessor__name"),
            C("replaces", "the sub-processor it replaces", "change__replaces__name"),
            C("description_nl", "what changes and why (Dutch)", "change__description_nl"),
            C("description", "what changes and why (English)", "change__description"),
            C("effective_on", "takes effect on", "change__effective_on"),
            C("change_state", "announced, in_effect or withdrawn", "change__state"),
            C("state", "pending, consented or objected"),
            C("reason", "the reason for an objection"),
            C("answered_by", WHO, "answered_by__email"),
            C("answered_at", "answered"),
        ],
    ),
    model_section(
        "subprocessor_change_events",
        _("History of the answers to changes of sub-processors"),
        ChangeEvent,
        lambda p: ChangeEvent.objects.filter(practice=p),
        [
            C("change", "the announcement's number", "change_id"),
            C("at", "when"),
            C("actor", "who", "actor_label"),
            C("action", "what was done"),
            C("from_state", "state before"),
            C("to_state", "state after"),
            C("note", "note"),
        ],
    ),
    model_section(
        "notifications",
        _("Messages sent about the practice's requests"),
        Notification,
        lambda p: Notification.objects.filter(Q(request__practice=p) | Q(practice=p)).exclude(
            purpose=Purpose.PRACTICE_EXIT
        ),
        [
            C("request", "the request's reference", "request__reference"),
            C("purpose", "why it was sent"),
            C("medium", "email, sms or webhook (an event to the app's backend)"),
            C("recipient", "to whom"),
            C("subject", "subject"),
            C("status", "pending, sending, sent or failed"),
            C("created_at", "written"),
            C("sent_at", "sent"),
        ],
        checked=False,  # the outbox sends on its own after the export; a new one has its cause
    ),
    model_section(
        "audit_records",
        _("The practice's audit log (NEN 7513)"),
        AuditRecord,
        # Not the trace of a legal order the practice may not yet know of (agreement art. 3.4).
        lambda p: AuditRecord.objects.filter(practice_id_ref=p.pk).exclude(
            object_type="legal_order", object_id__in=selectors.orders_not_told([p.pk])
        ),
        [
            C("seq", "position in the chain"),
            C("at", "when"),
            C("event_type", "what happened"),
            C("action", "C create, R read, U update, D delete, E execute"),
            C("outcome", "success, denied or failure"),
            C("user", "who", "user_label"),
            C("roles", "the account's roles"),
            C("purpose", "purpose (the request or task)"),
            C("source_ip", "from where"),
            C("patient_id", "whose data (identifier)"),
            C("patient_id_type", "the identifier's type"),
            C("object_type", "which object"),
            C("object_id", "its id"),
            C("details", "details (JSON)"),
            C("hash", "the record's keyed hash in the chain"),
        ],
        checked=False,
    ),
]


# --- The app's platform and the sub-processors, through their connectors -------------------
def platform_connector():
    return next((c for c in configured_connectors() if hasattr(c, "export_practice")), None)


def unscoped_connectors() -> list:
    """The configured sources that hold data per address or number (e-mail, SMS providers)."""
    return [c for c in configured_connectors() if not c.practice_scoped]


def own_contacts(practice: Practice) -> tuple[list[tuple[str, object]], int]:
    """The practice's patients' addresses and numbers that no other practice's patient uses, each
    with a label (the platform's patient key or the request's reference), and how many were left
    out because they are also known at another practice: a source that cannot tell practices
    apart is touched only for the former."""
    from workflows.assistance.connectors import Identifiers

    platform = platform_connector()
    found: list[tuple[str, Identifiers]] = []
    if platform is not None:
        for ids in platform.practice_contacts(practice.agb_code):
            found.append(("platform", ids))
    for ref, email, phone in Request.objects.filter(practice=practice).values_list(
        "reference", "patient_email", "patient_phone"
    ):
        found.append((ref, Identifiers(practice.agb_code, email=email, mobile=phone)))
    own, shared, seen = [], 0, set()
    for label, ids in found:
        for name, value in ids.given().items():
            if (name, value) in seen:
                continue
            seen.add((name, value))
            single = Identifiers(practice.agb_code, **{name: value})
            elsewhere = (
                Request.objects.exclude(practice=practice)
                .filter(
                    **({"patient_email": value} if name == "email" else {"patient_phone": value})
                )
                .exists()
            )
            try:
                elsewhere = elsewhere or (platform is not None and platform.known_elsewhere(single))
            except ConnectorError:
                elsewhere = True  # cannot tell: do not touch another practice's data
            if elsewhere:
                shared += 1
            else:
                own.append((label, single))
    return own, shared


def _platform_tables(practice: Practice) -> Iterator[Table]:
    connector = platform_connector()
    if connector is None:
        return
    for name, columns in connector.practice_columns().items():
        yield Table(
            f"platform_{name}",
            f"{connector.label}: {name}",
            columns,
            connector.export_practice_table(practice.agb_code, name),
        )


def _provider_tables(practice: Practice) -> Iterator[Table]:
    connectors = unscoped_connectors()
    if not connectors:
        return
    own, _shared = own_contacts(practice)
    for connector in connectors:

        def rows(connector=connector):
            for label, ids in own:
                for category, row in connector.export(ids):
                    yield {"patient": label, "category": category, "record": row}

        yield Table(
            f"provider_{connector.key}",
            str(connector.label),
            ["patient", "category", "record"],
            rows(),
        )


PLATFORM_COLUMNS = {
    "patient": "the platform's key of the patient row; every platform table names it",
}

SECTIONS += [
    Section(
        "platform", _("The app's platform: all the practice's app users"), (), _platform_tables
    ),
    Section(
        "providers",
        _("Sub-processors (e-mail, SMS) for the practice's patients"),
        (),
        _provider_tables,
        checked=False,
    ),
]

# Models with a foreign key to Practice or Request (directly or through another such model) that
# are left out of the archive on purpose, and why.
EXCLUDED: dict[type[Model], str] = {
    PracticeExit: "the exit's own record (counts and digests, no patient data): kept as proof",
    PracticeExitStep: "a step of the exit's own record: kept as proof",
    PracticeExitEvent: "the exit's own history: kept as proof",
    StaffInvitation: (
        "an invitation of a staff member (address, role, a token's hash; open 72 hours), not the "
        "practice's data: the accounts themselves are in 'staff'; removed at the accounts step"
    ),
    StandardText: (
        "the practice's own wording for messages and letters, no personal data (placeholders "
        "are filled only when a message is written); removed with the portal's data"
    ),
    StandardTextVersion: "earlier wording of a standard text: as StandardText",
    WebhookEvent: (
        "the processor's log of events sent to its own app's backend about requests the app "
        "submitted: a reference and a state, both in the request's history ('request_events'); "
        "the outbox rows that carried them are in 'notifications'. Removed with the requests"
    ),
    WebhookAttempt: (
        "each try of a webhook event (when, the receiver's HTTP status, how long): the "
        "processor's operational log, no patient data. Removed with the requests"
    ),
}


def covered_models() -> set[type[Model]]:
    return {model for section in SECTIONS for model in section.models}


def tables(practice: Practice, *, checked_only: bool = False) -> Iterator[tuple[Section, Table]]:
    for section in SECTIONS:
        if section.checked or not checked_only:
            for table in section.tables(practice):
                yield section, table
