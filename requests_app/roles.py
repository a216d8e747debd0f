"""Who a staff account is, per practice or for the processor. The one place roles are defined."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    HANDLER = "handler", _("Request handler")
    DPO = "dpo", _("Data protection officer")
    PRACTICE_ADMIN = "practice_admin", _("Practice administrator")
    SUPPORT = "support", _("Processor support")
    PROCESSOR_ADMIN = "processor_admin", _("Processor administrator")


PRACTICE_ROLES = frozenset({Role.HANDLER, Role.DPO, Role.PRACTICE_ADMIN})
PROCESSOR_ROLES = frozenset({Role.SUPPORT, Role.PROCESSOR_ADMIN})


class Capability(models.TextChoices):
    """What a practice role allows, within its own practice. Every practice role may read the
    practice's requests; the rest is split so each account holds no more than its work needs."""

    VIEW_REQUESTS = "view_requests", _("read the practice's requests")
    WORK_REQUESTS = "work_requests", _("handle requests: steps, decisions, messages")
    ASSIGN = "assign", _("assign requests to handlers")
    INSTRUCT_PROCESSOR = (
        "instruct_processor",
        _("instruct the processor and review and release its results"),
    )
    READ_AUDIT_LOG = "read_audit_log", _("search and export the practice's audit log")
    SEE_INCIDENTS = "see_incidents", _("receive and read incident reports")
    READ_PROCESSING_REGISTER = (
        "read_processing_register",
        _("receive the processor's register of processing for the practice"),
    )
    ANSWER_SUBPROCESSOR_CHANGES = (
        "answer_subprocessor_changes",
        _("consent or object to a planned change of sub-processors"),
    )
    ASK_PROCESSOR = (
        "ask_processor",
        _("ask the processor for help beyond a request (DPIA, breach, audit); see its charges"),
    )
    MANAGE_STANDARD_TEXTS = (
        "manage_standard_texts",
        _("write the practice's standard texts for messages and letters"),
    )


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.HANDLER: frozenset(
        {C.VIEW_REQUESTS, C.WORK_REQUESTS, C.ASSIGN, C.INSTRUCT_PROCESSOR, C.ASK_PROCESSOR}
    ),
    # The FG supervises: reads, audits and receives incidents, but takes no decisions on requests
    # itself; it may ask the processor for help with a DPIA, a breach or an audit (art. 6.3, 6.4).
    Role.DPO: frozenset(
        {
            C.VIEW_REQUESTS,
            C.READ_AUDIT_LOG,
            C.SEE_INCIDENTS,
            C.READ_PROCESSING_REGISTER,
            C.ANSWER_SUBPROCESSOR_CHANGES,
            C.ASK_PROCESSOR,
        }
    ),
    Role.PRACTICE_ADMIN: frozenset(
        {
            C.VIEW_REQUESTS,
            C.ASSIGN,
            C.SEE_INCIDENTS,
            C.READ_PROCESSING_REGISTER,
            C.ANSWER_SUBPROCESSOR_CHANGES,
            C.MANAGE_STANDARD_TEXTS,
        }
    ),
}


def roles_with(capability: Capability) -> frozenset[str]:
    return frozenset(role for role, caps in ROLE_CAPABILITIES.items() if capability in caps)
