"""The portal's own records about the patient, for the access answer: what the practice holds
through the portal besides the app's data (GDPR art. 15). Their requests at this practice, what
they and the practice wrote, the messages the portal sent them, the decisions, and who did what
with their data (the NEN 7513 audit records about them; Wabvpz art. 15e).

Read through the practice-scoped selector (requests_app.selectors.portal_records_of_patient), in
the active language. People at the practice or the processor are named by their role and
organisation, not by name: that is what the patient needs to check the access (docs/legal.md).
"""

import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app.models import AssistanceTask, AuditAction, AuditOutcome
from requests_app.roles import PRACTICE_ROLES, PROCESSOR_ROLES, Role
from requests_app.selectors import portal_records_of_patient
from workflows.models import Medium, Notification, Purpose

# The outbox's purposes that reach the patient, as the patient reads them.
TO_PATIENT = {
    Purpose.INTAKE_CODE: gettext_lazy("code to confirm your e-mail address"),
    Purpose.PATIENT_RECEIPT: gettext_lazy("confirmation that your request was received"),
    Purpose.PATIENT_UPDATE: gettext_lazy("news about your request"),
    Purpose.ACCOUNT_MAIL: gettext_lazy("sign-in code"),
    Purpose.DOWNLOAD_CODE: gettext_lazy("code before downloading your data"),
}
MEDIA = {Medium.EMAIL: gettext_lazy("e-mail"), Medium.SMS: gettext_lazy("SMS")}
# The data category a message's address belongs to (for the recipients of art. 15(1)(c)).
MEDIUM_CATEGORY = {Medium.EMAIL: "email", Medium.SMS: "mobile"}
ACTIONS = {
    AuditAction.CREATE: gettext_lazy("recorded"),
    AuditAction.READ: gettext_lazy("viewed"),
    AuditAction.UPDATE: gettext_lazy("changed"),
    AuditAction.DELETE: gettext_lazy("deleted"),
    AuditAction.EXECUTE: gettext_lazy("processed"),
}
OBJECTS = {
    "request": gettext_lazy("request %(id)s"),
    "assistance_task": gettext_lazy("task for the app's supplier %(id)s"),
    "data_package": gettext_lazy("data package %(id)s"),
    "erasure_certificate": gettext_lazy("erasure certificate %(id)s"),
}
OUTCOMES = {
    AuditOutcome.SUCCESS: gettext_lazy("done"),
    AuditOutcome.DENIED: gettext_lazy("refused"),
    AuditOutcome.FAILURE: gettext_lazy("failed"),
}


def _when(value: datetime.datetime | datetime.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _who(record, practice_name: str) -> str:
    """Role and organisation, never the person's name or account."""
    roles = [r for r in record.roles.split(",") if r]
    if "patient" in roles or record.user_label == "patient":
        return _("you")
    if record.user_label.startswith("api:"):
        return _("the app, on your behalf")
    at_practice = [Role(r).label for r in roles if r in PRACTICE_ROLES]
    if at_practice:
        return _("%(role)s at %(practice)s") % {
            "role": ", ".join(str(r) for r in at_practice),
            "practice": practice_name,
        }
    at_processor = [Role(r).label for r in roles if r in PROCESSOR_ROLES]
    if at_processor:
        return _("%(role)s at the app's supplier (processor)") % {
            "role": ", ".join(str(r) for r in at_processor)
        }
    if record.user_id is None and record.user_label in ("system", "migration"):
        return _("the portal itself (automatic)")
    return _("someone who was not signed in")


def _what(record) -> str:
    text = OBJECTS.get(record.object_type)
    return str(text) % {"id": record.object_id} if text else record.object_id


def collect(task: AssistanceTask) -> dict:
    """The section as plain JSON values, labels in the active language."""
    practice = task.practice
    records = portal_records_of_patient(practice, task.request.patient_email)
    requests = list(records.requests)
    notifications = Notification.objects.filter(
        request__in=records.requests, purpose__in=list(TO_PATIENT)
    ).select_related("request")
    return {
        "description": _(
            "What %(practice)s holds about you through this privacy portal: your requests, the "
            "messages, the decisions, and who did what with your data (the access log)."
        )
        % {"practice": practice.name},
        "retention": _(
            "Your requests and messages are kept for %(years)s years after a request is closed; "
            "the access log for at least %(audit)s years (NEN 7513)."
        )
        % {"years": practice.retention_years, "audit": settings.AUDIT_RETENTION_YEARS},
        "requests": [
            {
                "reference": r.reference,
                "kind": r.kind,
                "kind_label": str(r.get_kind_display()),
                "received_at": _when(r.received_at),
                "state": r.state,
                "state_label": str(r.get_state_display()),
                "answer_due": _when(r.response_due),
                "extended_at": _when(r.extended_at),
                "extension_reason": r.extension_reason,
                "decision": r.decision,
                "decision_label": str(r.get_decision_display()) if r.decision else "",
                "decided_at": _when(r.decided_at),
                "legal_ground": r.legal_ground,
                "legal_ground_label": str(r.get_legal_ground_display()) if r.legal_ground else "",
                "decision_reason": r.decision_reason,
                "verdict_label": str(r.get_verdict_display()) if r.verdict else "",
                "fulfilled_at": _when(r.fulfilled_at),
                "closed_at": _when(r.closed_at),
            }
            for r in requests
        ],
        "messages": [
            {
                "request": m.request.reference,
                "at": _when(m.created_at),
                "sender": m.sender,
                "sender_label": _("you") if m.sender == "patient" else practice.name,
                "body": m.body,
            }
            for m in records.messages
        ],
        "notifications": [
            {
                "request": n.request.reference,
                "at": _when(n.sent_at or n.created_at),
                "medium": n.medium,
                "medium_label": str(MEDIA.get(n.medium, n.medium)),
                "purpose": n.purpose,
                "purpose_label": str(TO_PATIENT[n.purpose]),
                "to": n.recipient,
                "subject": n.subject,
                # A message that holds a code is blanked once sent; one not sent (yet) still
                # holds it, and the practice opens the package before the patient does.
                "body": "" if n.scrub_after_send else n.body,
                "sent": n.sent_at is not None,
            }
            for n in notifications
        ],
        "access_log": [
            {
                "at": _when(a.at),
                "event_type": a.event_type,
                "action": a.action,
                "action_label": str(ACTIONS.get(a.action, a.action)),
                "by": _who(a, practice.name),
                "about": _what(a),
                "outcome": a.outcome,
                "outcome_label": str(OUTCOMES.get(a.outcome, a.outcome)),
            }
            for a in records.audit.select_related(None)
        ],
    }


def categories_sent(section: dict) -> set[str]:
    """The data categories that left the portal in messages it sent the patient (the e-mail
    address to the e-mail channel, the number to the SMS channel)."""
    return {MEDIUM_CATEGORY[n["medium"]] for n in section["notifications"] if n["sent"]}
