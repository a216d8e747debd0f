"""The practice DPO's view of its own practice's audit log: search and CSV export. Reading the
log is itself logged.

The records keep codes (`request.view`, `success`, account names) for machines and for the
hash chain; the page and the CSV's label columns say the same in words, in the reader's
language and in Dutch time."""

import csv
import dataclasses
import re
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.forms.audit_log import AuditSearchForm
from portal.views.common import staff_required
from requests_app import access, audit, selectors
from requests_app.models import AuditAction, AuditOutcome
from requests_app.models.assistance import TASK_ACTION_LABELS
from requests_app.models.general_task import WORK_ACTION_LABELS
from requests_app.models.practice_exit import EXIT_ACTION_LABELS
from requests_app.models.request import ACTION_LABELS
from requests_app.roles import Capability, Role
from workflows.csv_cells import safe_cell
from workflows.models import Purpose

PAGE_SIZE = 100

# The codes as the log holds them, first, so a script reading the CSV keeps working; then the
# same in words. `at` is Dutch time with its offset (ISO 8601), as on the page.
EXPORT_COLUMNS = [
    "seq",
    "at",
    "event_type",
    "action",
    "outcome",
    "user_label",
    "roles",
    "purpose",
    "source_ip",
    "patient_id",
    "patient_id_type",
    "object_type",
    "object_id",
    "source_system",
    "hash",
]
LABEL_COLUMNS = ["event_label", "outcome_label", "user_name", "subject", "purpose_label"]

# What a code means, where the timelines' own labels (ACTION_LABELS and the like) do not say.
EVENT_LABELS = {
    "request.view": gettext_lazy("Viewed the request"),
    "request.create": gettext_lazy("Request submitted"),
    "request.message": gettext_lazy("Message about the request"),
    "request.status": gettext_lazy("Status looked up in the app"),
    "api.history": gettext_lazy("History read in the app"),
    "api.messages": gettext_lazy("Messages read in the app"),
    "api.reply": gettext_lazy("Message sent from the app"),
    "api.letters": gettext_lazy("Letters listed in the app"),
    "api.letter_pdf": gettext_lazy("Letter opened in the app"),
    "api.package": gettext_lazy("Download address looked up in the app"),
    "api.withdraw": gettext_lazy("Withdrawn in the app"),
    "webhook.list": gettext_lazy("Viewed the app's webhook events"),
    "webhook.resend": gettext_lazy("Sent a webhook event to the app again"),
    "queue.view": gettext_lazy("Viewed the list of requests"),
    "queue.export": gettext_lazy("Downloaded the list of requests (CSV)"),
    "unrouted.view": gettext_lazy("Viewed the requests awaiting routing"),
    "patient.view": gettext_lazy("The patient viewed their request"),
    "patient.signin": gettext_lazy("The patient signed in"),
    "patient.broker_link": gettext_lazy("DigiD linked to the account"),
    "patient.broker_unlink": gettext_lazy("DigiD unlinked from the account"),
    "letter.view": gettext_lazy("Viewed a letter"),
    "letter.pdf": gettext_lazy("Downloaded a letter (PDF)"),
    "task.view": gettext_lazy("Viewed an assistance task"),
    "task.list": gettext_lazy("Viewed the list of assistance tasks"),
    "task.create": gettext_lazy("Processor asked for help"),
    "task.erase": gettext_lazy("Erasure run"),
    "task.certificate": gettext_lazy("Certificate of erasure issued"),
    "task.identifier_add": gettext_lazy("Extra identifier recorded"),
    "certificate.view": gettext_lazy("Viewed a certificate"),
    "package.build": gettext_lazy("Data package built"),
    "package.download": gettext_lazy("Package downloaded"),
    "package.release": gettext_lazy("Released to the patient"),
    "package.purge": gettext_lazy("Data package removed after its term"),
    "practice_document.add": gettext_lazy("Practice document added"),
    "practice_document.view": gettext_lazy("Viewed a practice document"),
    "practice_document.download": gettext_lazy("Practice document downloaded"),
    "practice_document.release": gettext_lazy("Practice documents released to the patient"),
    "practice_document.remove": gettext_lazy("Practice document removed"),
    "practice_document.purge": gettext_lazy("Practice document removed after its term"),
    "recipient.add": gettext_lazy("Recipient added (GDPR art. 19)"),
    "incident.view": gettext_lazy("Viewed an incident"),
    "incident.list": gettext_lazy("Viewed the list of incidents"),
    "incident.create": gettext_lazy("Incident recorded"),
    "incident.update": gettext_lazy("Incident updated"),
    "incident.concern": gettext_lazy("Request linked to an incident"),
    "legal_order.view": gettext_lazy("Viewed a legal order"),
    "legal_order.create": gettext_lazy("Legal order recorded"),
    "general_task.view": gettext_lazy("Viewed a question to the processor"),
    "general_task.create": gettext_lazy("Question to the processor asked"),
    "charges.view": gettext_lazy("Viewed the charges"),
    "register.export": gettext_lazy("Register of processing given out"),
    "notification.list": gettext_lazy("Viewed the messages that failed"),
    "notification.resend": gettext_lazy("Sent a failed message again"),
    "audit.search": gettext_lazy("Searched the audit log"),
    "audit.export": gettext_lazy("Downloaded the audit log"),
    "audit.remove_segment": gettext_lazy("Audit records removed after their retention"),
    "retention.purge": gettext_lazy("Removed after the retention period"),
    "practice_exit.view": gettext_lazy("Viewed the end of the contract"),
    "practice_exit.certificate": gettext_lazy("Viewed the certificate of destruction"),
    "practice_exit.download": gettext_lazy("Archive downloaded"),
    "staff.invite": gettext_lazy("Staff member invited"),
    "staff.invite_accept": gettext_lazy("Invitation accepted"),
    "staff.invite_revoke": gettext_lazy("Invitation revoked"),
    "staff.member_remove": gettext_lazy("Role removed from an account"),
    "staff.access_ended": gettext_lazy("Account closed: no roles left"),
    "practice.create": gettext_lazy("Practice added"),
    "practice.update": gettext_lazy("Practice settings changed"),
}
# A transition is recorded as `<subject>.<transition>`: its label is the timeline's.
TRANSITION_LABELS = {
    "request": ACTION_LABELS,
    "task": TASK_ACTION_LABELS,
    "general_task": WORK_ACTION_LABELS,
    "legal_order": WORK_ACTION_LABELS,
    "practice_exit": EXIT_ACTION_LABELS,
}
ACTION_WORDS = {
    AuditAction.CREATE: gettext_lazy("created"),
    AuditAction.READ: gettext_lazy("viewed"),
    AuditAction.UPDATE: gettext_lazy("changed"),
    AuditAction.DELETE: gettext_lazy("deleted"),
    AuditAction.EXECUTE: gettext_lazy("carried out"),
}
OUTCOME_WORDS = {
    AuditOutcome.SUCCESS: gettext_lazy("succeeded"),
    AuditOutcome.DENIED: gettext_lazy("refused"),
    AuditOutcome.FAILURE: gettext_lazy("failed"),
}
REFERENCE_RE = re.compile(r"^[2-9A-Z]{5}-[2-9A-Z]{5}$")


def event_label(event_type: str, action: str) -> str:
    if event_type in EVENT_LABELS:
        return str(EVENT_LABELS[event_type])
    subject, _dot, step = event_type.partition(".")
    labels = TRANSITION_LABELS.get(subject, {})
    if step in labels:
        return str(labels[step])
    # A code this list does not know yet still reads as words, with the code beside it.
    word = ACTION_WORDS.get(action, "")
    return f"{event_type.replace('_', ' ').replace('.', ': ')} ({word})" if word else event_type


def purpose_label(purpose: str) -> str:
    """Why the record was made: a request's reference (its handling), a kind of message, or
    the text the record holds (an article of the agreement)."""
    if not purpose:
        return ""
    if REFERENCE_RE.match(purpose):
        return _("Handling request %(reference)s") % {"reference": purpose}
    if purpose in Purpose.values:
        return Purpose(purpose).label
    return purpose


# What a record is about when it is not one request.
OBJECT_WORDS = {
    "incident": gettext_lazy("Incident"),
    "assistance_task": gettext_lazy("Assistance task"),
    "legal_order": gettext_lazy("Legal order"),
    "general_task": gettext_lazy("Question to the processor"),
    "practice_exit": gettext_lazy("End of the contract"),
    "audit_log": gettext_lazy("Audit log"),
    "list": gettext_lazy("List of requests"),
    "practice": gettext_lazy("Practice"),
}


def object_label(entry) -> str:
    word = OBJECT_WORDS.get(entry.object_type)
    if word is None:
        return ""
    details = entry.details if isinstance(entry.details, dict) else {}
    shown, filters = details.get("shown"), details.get("filters")
    if entry.object_type == "list" and isinstance(shown, list):
        label = _("List of requests (%(n)s shown)") % {"n": len(shown)}
        searched = filters.get("q") if isinstance(filters, dict) else None
        if searched:  # a search for a patient tells whom the user looked for
            label += ", " + _("searched for “%(text)s”") % {"text": searched}
        return label
    fields = details.get("fields")
    if entry.object_type == "practice" and isinstance(fields, list):  # which settings changed
        return _("Practice %(agb)s: %(fields)s") % {
            "agb": entry.object_id,
            "fields": ", ".join(str(f) for f in fields),
        }
    return f"{word} {entry.object_id}".strip()


@dataclasses.dataclass
class Row:
    entry: object
    what: str
    outcome: str
    who: str
    role: str
    subject: str
    reference: str
    why: str

    @property
    def refused(self) -> bool:
        return self.entry.outcome != AuditOutcome.SUCCESS


def _who(entry, patient_name: str) -> tuple[str, str]:
    """The person as the FG knows them: a staff member by name (or address), the patient as
    'the patient'; never the account name intake makes for a patient."""
    roles = [r for r in entry.roles.split(",") if r]
    named = f" ({patient_name})" if patient_name else ""
    if roles == ["patient"] or (entry.user is None and entry.user_label == "patient"):
        return _("The patient") + named, ""
    if entry.user is None and entry.user_label.startswith("api:"):
        return _("The patient, through the app") + named, ""
    if entry.user is None:
        if entry.user_label in ("", "system"):
            return _("The portal"), ""
        if entry.user_label == "anonymous":
            return _("Not signed in"), ""
        return entry.user_label, ""  # a caller without an account, e.g. the patient app
    name = entry.user.get_full_name() or entry.user.email or entry.user_label
    role = ", ".join(str(Role(r).label) for r in roles if r in Role.values)
    return name, role


def describe(user, entries) -> list[Row]:
    """The page's rows: each record in words, its request's patient named only where the
    account reads that practice's audit log (a handler elsewhere learns no names here)."""
    entries = list(entries)
    references = {reference_of(e) for e in entries} - {""}
    names = dict(
        selectors.requests_visible_to(user)
        .filter(
            reference__in=references,
            practice_id__in=access.practices_where(user, Capability.READ_AUDIT_LOG),
        )
        .values_list("reference", "patient_name")
    )
    rows = []
    for entry in entries:
        reference = reference_of(entry)
        patient = names.get(reference, "")
        who, role = _who(entry, patient)
        rows.append(
            Row(
                entry=entry,
                what=event_label(entry.event_type, entry.action),
                outcome=str(OUTCOME_WORDS.get(entry.outcome, entry.outcome)),
                who=who,
                role=role,
                subject=patient or ("" if reference else object_label(entry)),
                reference=reference,
                why=(
                    _("Handling the request")
                    if reference and entry.purpose == reference
                    else purpose_label(entry.purpose)
                ),
            )
        )
    return rows


def reference_of(entry) -> str:
    if entry.object_type == "request" and REFERENCE_RE.match(entry.object_id):
        return entry.object_id
    return entry.purpose if REFERENCE_RE.match(entry.purpose) else ""


def _records(request: HttpRequest, form: AuditSearchForm):
    if not access.practices_where(request.user, Capability.READ_AUDIT_LOG):
        raise PermissionDenied
    if not form.is_valid():
        return selectors.audit_records_visible_to(request.user)
    data = form.cleaned_data
    return selectors.filtered_audit_records(
        request.user,
        since=data["since"],
        until=data["until"],
        user_label=data["user"],
        patient=data["patient"],
        reference=data["reference"],
    )


@staff_required
def search(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    records = _records(request, form).select_related("user")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in request.GET.items() if k != "page"}
    audit.record(
        "audit.search",
        AuditAction.READ,
        user=request.user,
        object_type="audit_log",
        details={"filters": filters},
    )
    return render(
        request,
        "staff/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": describe(request.user, page.object_list),
            "query": urlencode({k: v for k, v in filters.items() if v}),
            "zone": settings.TIME_ZONE,
        },
    )


class _Echo:
    def write(self, value):
        return value


def _local(moment) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds")


@staff_required
def export(request: HttpRequest) -> StreamingHttpResponse:
    form = AuditSearchForm(request.GET or None)
    records = _records(request, form).select_related("user")
    audit.record(
        "audit.export",
        AuditAction.EXECUTE,
        user=request.user,
        object_type="audit_log",
        details={"filters": dict(request.GET.items())},
    )
    writer = csv.writer(_Echo())
    user = request.user

    def cells(entry) -> list:
        return [
            _local(entry.at) if column == "at" else getattr(entry, column)
            for column in EXPORT_COLUMNS
        ]

    def rows():
        yield writer.writerow(EXPORT_COLUMNS + LABEL_COLUMNS)
        batch = []
        for entry in records.iterator(chunk_size=2000):
            batch.append(entry)
            if len(batch) == 2000:
                yield from _written(writer, user, batch, cells)
                batch = []
        yield from _written(writer, user, batch, cells)

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response


def _written(writer, user, batch, cells):
    for row in describe(user, batch):
        subject = " ".join(part for part in (row.reference, row.subject) if part)
        labels = [row.what, row.outcome, row.who, subject, row.why]
        yield writer.writerow([safe_cell(v) for v in cells(row.entry) + labels])
