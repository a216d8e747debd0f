from requests_app.models.api_client import ApiClient
from requests_app.models.assistance import (
    AssistanceKind,
    AssistanceTask,
    DataPackage,
    ErasureCertificate,
    ErasureRun,
    ManualStep,
    TaskEvent,
    TaskState,
)
from requests_app.models.audit import (
    AuditAction,
    AuditChainHead,
    AuditOutcome,
    AuditRecord,
    AuditRemovedSegment,
)
from requests_app.models.calendar import EquatedHoliday
from requests_app.models.completion import (
    NoProcessorData,
    NoticeMethod,
    NoticeState,
    RecipientNotice,
    WorkNotDone,
)
from requests_app.models.conversation import PatientWait, RequestMessage, Sender
from requests_app.models.identifiers import (
    ExtraIdentifier,
    IdentifierKind,
    IdentifierState,
)
from requests_app.models.incident import Incident, IncidentState
from requests_app.models.intake import PendingSubmission
from requests_app.models.practice import Membership, Practice
from requests_app.models.practice_document import PracticeDocument
from requests_app.models.practice_exit import (
    ExitReason,
    ExitState,
    PracticeExit,
    PracticeExitEvent,
    PracticeExitStep,
    StepKind,
)
from requests_app.models.processor import ContactRole, ProcessorContact
from requests_app.models.request import Channel, Request, RequestEvent, RequestKind, RequestState
from requests_app.models.signin import PatientSignInCode
from requests_app.models.subprocessor import (
    DataCategory,
    SubProcessor,
    SubProcessorApproval,
    TransferMechanism,
)

__all__ = [
    "AssistanceKind",
    "AssistanceTask",
    "DataPackage",
    "ErasureCertificate",
    "ErasureRun",
    "ManualStep",
    "TaskEvent",
    "TaskState",
    "AuditAction",
    "AuditChainHead",
    "AuditOutcome",
    "AuditRecord",
    "AuditRemovedSegment",
    "ApiClient",
    "Channel",
    "ContactRole",
    "DataCategory",
    "EquatedHoliday",
    "ExitReason",
    "ExitState",
    "ExtraIdentifier",
    "IdentifierKind",
    "IdentifierState",
    "NoProcessorData",
    "NoticeMethod",
    "NoticeState",
    "RecipientNotice",
    "WorkNotDone",
    "Incident",
    "IncidentState",
    "Membership",
    "PatientSignInCode",
    "PatientWait",
    "PendingSubmission",
    "Practice",
    "PracticeDocument",
    "PracticeExit",
    "PracticeExitEvent",
    "PracticeExitStep",
    "ProcessorContact",
    "Request",
    "RequestEvent",
    "RequestKind",
    "RequestMessage",
    "RequestState",
    "Sender",
    "StepKind",
    "SubProcessor",
    "SubProcessorApproval",
    "TransferMechanism",
]
