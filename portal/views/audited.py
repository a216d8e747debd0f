"""Every page that shows patient data goes out through here, and only here is the showing
recorded in the NEN 7513 log (the patient's own pages too, through `shown_to_patient`): on a GET,
and just the same when a form with errors shows the page again (the patient's name and address
are on it either way). Views never record a page themselves, so a new view or a new error path
cannot show patient data unrecorded."""

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from requests_app import audit
from requests_app.models import AuditAction, Request


def _how(request: HttpRequest, response: HttpResponse) -> dict:
    """A page shown again after a POST says which form it answered and how."""
    if request.method in ("GET", "HEAD"):
        return {}
    match = request.resolver_match
    return {"after": match.view_name if match else "", "status": response.status_code}


def shown(
    request: HttpRequest,
    response: HttpResponse,
    *,
    event: str,
    item: Request | None,
    object_type: str = "",
    object_id: str = "",
    details: dict | None = None,
) -> HttpResponse:
    """Record that `response`, about to go out, shows the data of `item`'s patient."""
    audit.record(
        event,
        AuditAction.READ,
        user=request.user,
        request=item,
        object_type=object_type,
        object_id=object_id,
        details=(details or {}) | _how(request, response),
    )
    return response


def shown_to_patient(
    request: HttpRequest, response: HttpResponse, *, item: Request, page: str, **details
) -> HttpResponse:
    """Record that `response` shows a signed-in patient `page` about their own request `item`
    (also when shown again after a wrong code or an expired link)."""
    audit.record(
        "patient.view",
        AuditAction.READ,
        user=request.user,
        request=item,
        details={"page": page, "status": response.status_code, **details},
    )
    return response


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    event: str,
    item: Request | None,
    status: int = 200,
    object_type: str = "",
    object_id: str = "",
) -> HttpResponse:
    """Render a page about one request's patient, and record it."""
    response = render(request, template, context, status=status)
    return shown(
        request, response, event=event, item=item, object_type=object_type, object_id=object_id
    )


def render_practice_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    event: str,
    practice_ids: Iterable[int],
    status: int = 200,
    object_type: str = "",
    object_id: str = "",
) -> HttpResponse:
    """Render a page about something several practices share (an incident) to an account of
    some of them: recorded once in the log of each of its own practices, naming no patient, so
    no other practice's log tells that this one was concerned."""
    response = render(request, template, context, status=status)
    for practice_id in dict.fromkeys(practice_ids):
        audit.record(
            event,
            AuditAction.READ,
            user=request.user,
            object_type=object_type,
            object_id=object_id,
            practice_id=practice_id,
            details=_how(request, response),
        )
    return response


def render_task_page(
    request: HttpRequest, task, template: str, context: dict, *, status: int = 200
) -> HttpResponse:
    """A page about an assistance task shows its patient: recorded against the task's request."""
    return render_page(
        request,
        template,
        context,
        event="task.view",
        item=task.request,
        status=status,
        object_type="assistance_task",
        object_id=task.number,
    )


def shown_list(
    request: HttpRequest,
    response: HttpResponse,
    *,
    event: str,
    items: Iterable,
    key: Callable[[object], str],
    filters: dict | None = None,
    searched: Iterable[int] = (),
    action: str = AuditAction.READ,
) -> HttpResponse:
    """A list shows patients' names: one record per practice (each practice's DPO finds it in
    their own log) naming what was shown and the search used. An empty search result is still
    recorded, for every practice in `searched`. A list given out as a file (the queue's CSV) is
    recorded the same way, as an export (`action`)."""
    by_practice: dict[int | None, list[str]] = {}
    for item in items:
        by_practice.setdefault(item.practice_id, []).append(key(item))
    if not by_practice and filters is not None:
        by_practice = {pid: [] for pid in searched} or {None: []}
    for practice_id, keys in by_practice.items():
        details = {"shown": keys} | _how(request, response)
        if filters is not None:
            details["filters"] = {k: v for k, v in filters.items() if v}
        audit.record(
            event,
            action,
            user=request.user,
            object_type="list",
            practice_id=practice_id,
            details=details,
        )
    return response
