from requests_app.models.api_client import ApiClient, ApiKey
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
from requests_app.models.charges import ChargeBasis, HourlyRate, TimeEntry
from requests_app.models.completion import (
    NoProcessorData,
    NoticeMethod,
    NoticeState,
    RecipientNotice,
    WorkNotDone,
)
from requests_app.models.conversation import PatientWait, RequestMessage, Sender
from requests_app.models.general_task import (
    GeneralKind,
    GeneralState,
    GeneralTask,
    GeneralTaskEvent,
)
from requests_app.models.identifiers import (
    ExtraIdentifier,
    IdentifierKind,
    IdentifierState,
)
from requests_app.models.incident import (
    ApState,
    Incident,
    IncidentCategory,
    IncidentPractice,
    IncidentState,
    IncidentUpdate,
    PatientsState,
)
from requests_app.models.intake import PendingSubmission
from requests_app.models.invitation import InvitationState, StaffInvitation
from requests_app.models.legal_order import LegalOrder, LegalOrderEvent, OrderState
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
from requests_app.models.register import (
    ActivitySource,
    MeasureKind,
    ProcessingActivity,
    RetentionRule,
    SecurityMeasure,
)
from requests_app.models.request import Channel, Request, RequestEvent, RequestKind, RequestState
from requests_app.models.signin import PatientSignInCode
from requests_app.models.standard_text import (
    LetterSlot,
    StandardText,
    StandardTextVersion,
    TextKind,
)
from requests_app.models.subprocessor import (
    DataCategory,
    SubProcessor,
    SubProcessorApproval,
    TransferMechanism,
)
from requests_app.models.subprocessor_change import (
    AnswerState,
    ChangeAnswer,
    ChangeEvent,
    ChangeKind,
    ChangeState,
    SubProcessorChange,
)

__all__ = [
    "InvitationState",
    "StaffInvitation",
    "ActivitySource",
    "AnswerState",
    "ChangeAnswer",
    "ChangeEvent",
    "ChangeKind",
    "ChangeState",
    "MeasureKind",
    "ProcessingActivity",
    "RetentionRule",
    "SecurityMeasure",
    "SubProcessorChange",
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
    "ApiKey",
    "Channel",
    "ChargeBasis",
    "GeneralKind",
    "GeneralState",
    "GeneralTask",
    "GeneralTaskEvent",
    "HourlyRate",
    "LegalOrder",
    "LegalOrderEvent",
    "OrderState",
    "TimeEntry",
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
    "ApState",
    "Incident",
    "IncidentCategory",
    "IncidentPractice",
    "IncidentState",
    "IncidentUpdate",
    "PatientsState",
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
    "StandardText",
    "StandardTextVersion",
    "StepKind",
    "LetterSlot",
    "TextKind",
    "SubProcessor",
    "SubProcessorApproval",
    "TransferMechanism",
]
