"""What the operations share: the one router (every operation needs a client key), the client's
own request by its reference, the audit record of each call, the client's quota."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from portal.api.auth import ClientKey, client_of
from portal.api.errors import ApiError, no_such_request
from requests_app import audit, selectors
from requests_app.models import ApiClient, AuditAction, AuditOutcome, Request
from workflows import counters

router = Router(auth=ClientKey())


def label(client: ApiClient) -> str:
    """Who acted, in the audit log: the client (the patient's own account acts where the
    business function needs the patient; the patient's page leaves the app's acts out)."""
    return f"api:{client.name}"


def own_request(request: HttpRequest, reference: str, event: str) -> Request:
    """The request with this reference that the calling client submitted. Anything else (an
    unknown reference, another client's request, one from the web) is the same 404, and the
    look is recorded as denied."""
    client = client_of(request)
    item = (
        selectors.requests_of_api_client(client)
        .filter(reference=reference)
        .select_related("practice")
        .first()
    )
    if item is None:
        audit.record(
            event,
            AuditAction.READ,
            user_label=label(client),
            outcome=AuditOutcome.DENIED,
            object_type="request",
            object_id=reference[:20],
        )
        raise no_such_request()
    return item


def read_own_request(request: HttpRequest, reference: str, event: str) -> Request:
    """The client's own request (as `own_request`), with the audit record of reading it."""
    item = own_request(request, reference, event)
    recorded(request, item, event)
    return item


def recorded(
    request: HttpRequest, item: Request, event: str, action=AuditAction.READ, **details
) -> None:
    """The call's audit record: the client read (or acted on) this patient's request."""
    audit.record(event, action, user_label=label(client_of(request)), request=item, details=details)


def take_quota(client: ApiClient) -> None:
    """The client's own quota of writes (a leaked key must not flood practices or mail
    strangers); over it, a 429 with Retry-After and nothing changed."""
    wait = counters.take(
        "api-client", str(client.pk), [(60, client.per_minute), (24 * 60 * 60, client.per_day)]
    )
    if wait is not None:
        raise ApiError(
            429,
            {"rate_limit": [_("This API client has used its quota; try again later.")]},
            {"Retry-After": str(wait)},
        )
