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
from requests_app.models.audit import AuditAction, AuditChainHead, AuditOutcome, AuditRecord
from requests_app.models.calendar import EquatedHoliday
from requests_app.models.conversation import PatientWait, RequestMessage, Sender
from requests_app.models.incident import Incident, IncidentState
from requests_app.models.intake import PendingSubmission
from requests_app.models.practice import Membership, Practice
from requests_app.models.practice_document import PracticeDocument
from requests_app.models.request import Channel, Request, RequestEvent, RequestKind, RequestState
from requests_app.models.signin import PatientSignInCode
from requests_app.models.subprocessor import DataCategory, SubProcessor

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
    "ApiClient",
    "Channel",
    "DataCategory",
    "EquatedHoliday",
    "Incident",
    "IncidentState",
    "Membership",
    "PatientSignInCode",
    "PatientWait",
    "PendingSubmission",
    "Practice",
    "PracticeDocument",
    "Request",
    "RequestEvent",
    "RequestKind",
    "RequestMessage",
    "RequestState",
    "Sender",
    "SubProcessor",
]
