"""What the views share: the staff gate, scoped fetches that record a refused look, the messages
for steps the domain refused, and the downloads (the ZIP, a practice's document). Views import
from here, never from each other."""

from functools import wraps
from typing import NoReturn

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from requests_app import access, audit, selectors
from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.models import AuditAction, AuditOutcome
from requests_app.models.request import DecisionIncomplete
from workflows.assistance import packages
from workflows.assistance.connectors import Mismatch
from workflows.assistance.tasks import NotOpened


def staff_required(view):
    """Practice staff and processor support only; anyone else is refused (403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not (
            access.is_practice_staff(request.user) or access.is_processor_support(request.user)
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- Scoped fetches: out of scope is a 404, and the look is recorded as denied ----------------
def record_denied(request: HttpRequest, event: str, object_type: str, object_id: str) -> None:
    """A look at something out of the account's scope, logged as denied."""
    audit.record(
        event,
        AuditAction.READ,
        user=request.user,
        outcome=AuditOutcome.DENIED,
        object_type=object_type,
        object_id=object_id[:20],
    )


def not_found(request: HttpRequest, event: str, object_type: str, object_id: str) -> NoReturn:
    """A look at something out of the account's scope: logged as denied, answered with 404."""
    record_denied(request, event, object_type, object_id)
    raise Http404


def fetch_or_404(
    request: HttpRequest, scope: QuerySet, *, event: str, object_type: str, object_id: str, **lookup
):
    """The one row of `scope` (a selector's practice-scoped query) that matches `lookup`;
    anything else is recorded as a denied look and answered with 404."""
    found = scope.filter(**lookup).first()
    if found is None:
        not_found(request, event, object_type, object_id)
    return found


def visible_request(request: HttpRequest, reference: str):
    return fetch_or_404(
        request,
        selectors.requests_visible_to(request.user),
        event="request.view",
        object_type="request",
        object_id=reference,
        reference=reference,
    )


def patients_request(request: HttpRequest, reference: str):
    """The signed-in patient's own request; another's is a recorded denied look and a 404."""
    return fetch_or_404(
        request,
        selectors.requests_of_patient(request.user),
        event="patient.view",
        object_type="request",
        object_id=reference,
        reference=reference,
    )


def visible_task(request: HttpRequest, pk: int):
    return fetch_or_404(
        request,
        selectors.tasks_visible_to(request.user),
        event="task.view",
        object_type="assistance_task",
        object_id=f"T{pk}",
        pk=pk,
    )


def visible_general_task(request: HttpRequest, pk: int):
    return fetch_or_404(
        request,
        selectors.general_tasks_visible_to(request.user),
        event="general_task.view",
        object_type="general_task",
        object_id=f"G{pk}",
        pk=pk,
    )


def visible_order(request: HttpRequest, pk: int):
    return fetch_or_404(
        request,
        selectors.legal_orders_visible_to(request.user),
        event="legal_order.view",
        object_type="legal_order",
        object_id=f"W{pk}",
        pk=pk,
    )


# --- Steps the domain refused, as messages for the user -----------------------------------------
STALE = gettext_noop(
    "This request was changed by someone else in the meantime. "
    "Check the page as it is now and try again."
)
REFUSED_FOR_REQUEST = gettext_noop("This step is not possible in the request's current state.")
REFUSED_FOR_TASK = gettext_noop("This step is not possible in the task's current state.")
OPEN_FIRST = gettext_noop(
    "Open the package before you accept it: download it and check that it holds this "
    "patient's data."
)
DECISION_INCOMPLETE = gettext_noop(
    "This decision is not possible yet: verify the patient's "
    "identity first, or complete the reasons and legal ground."
)
# The errors a step may be refused with; the most specific message wins (StaleRequest and
# NotOpened are kinds of TransitionRefused).
REFUSED = (TransitionRefused, DecisionIncomplete)
_MESSAGES = {
    StaleRequest: STALE,
    NotOpened: OPEN_FIRST,
    DecisionIncomplete: DECISION_INCOMPLETE,
}


def refusal(exc: Exception, *, otherwise: str = REFUSED_FOR_REQUEST) -> str:
    """What to tell the user about a refused step; `otherwise` for a plain TransitionRefused.
    A refusal that can say exactly what is missing (`explain`) says so."""
    explain = getattr(exc, "explain", None)
    if explain is not None:
        return explain()
    for cls in type(exc).__mro__:
        if cls in _MESSAGES:
            return _(_MESSAGES[cls])
    return _(otherwise)


def bad_form(request: HttpRequest, form) -> HttpResponse:
    """A form of a block included in a page that does not validate: a 400 that says what is
    wrong; nothing is saved."""
    errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    return render(request, "400.html", {"reason": " ".join(errors)}, status=400)


def tell_refused(
    request: HttpRequest, exc: Exception, *, otherwise: str = REFUSED_FOR_REQUEST
) -> None:
    messages.error(request, refusal(exc, otherwise=otherwise))


# --- Task pages -----------------------------------------------------------------------------
def mismatch_texts(package, results) -> list[str]:
    """Where the records used disagree with the request: those of the package, and those of a
    look-up just made."""
    found = [Mismatch(**m) for m in package.mismatches] if package else []
    found += [m for result in results or [] for m in result.mismatches]
    return list(dict.fromkeys(m.text() for m in found))


def finished_since(task, since) -> str:
    """What a background job of the task did since `since`, as its timeline shows it: the job
    runs in-process when no broker is configured, and then it is done before the page returns,
    so "is being built" would be wrong."""
    event = (
        task.events.filter(at__gte=since, action__in=FINISHED)
        .order_by("-at", "-pk")
        .values_list("action", flat=True)
        .first()
    )
    return event or ""


# A background job's last event, and what the person is told then.
FINISHED = ("package_built", "package_failed", "erasure_run")


# --- Downloads ----------------------------------------------------------------------------------
def zip_response(package) -> StreamingHttpResponse:
    """A data package as a download, read from its sealed file chunk by chunk."""
    response = StreamingHttpResponse(packages.open_package(package), content_type="application/zip")
    name = f"gegevens-{package.task.request.reference}.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Content-Length"] = str(package.size)
    response["Cache-Control"] = "no-store"
    return response


def document_response(document) -> StreamingHttpResponse:
    """One of the practice's documents as a download (never shown inline), read from its
    sealed file chunk by chunk, under the name that was checked when it was added."""
    response = StreamingHttpResponse(
        packages.open_document(document), content_type=document.content_type
    )
    response["Content-Disposition"] = content_disposition_header(True, document.name)
    response["Content-Length"] = str(document.size)
    response["Cache-Control"] = "no-store"
    return response
