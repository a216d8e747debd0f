"""An API client's webhook events and every try to deliver them, for the processor's support and
administrators, and sending one again (workflows.webhooks.deliveries). Events hold request
references and states only; the page is recorded per practice all the same, as it lists which
requests the app submitted."""

from types import SimpleNamespace
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from portal.forms.webhooks import DeliveryFilterForm
from portal.views.audited import shown_list
from portal.views.common import fetch_or_404, not_found, staff_required
from requests_app import access
from requests_app.models.request import person_label
from workflows.models import AttemptOutcome, EventType, WebhookEvent
from workflows.webhooks import deliveries

PAGE_SIZE = 25
FILTER_KEYS = ("state", "page")

# What an event says, in the reader's language (the model's labels are for the admin).
EVENT_WORDS = {
    EventType.FORWARDED: gettext_lazy("Forwarded to the practice"),
    EventType.STATE_CHANGED: gettext_lazy("State changed"),
    EventType.MESSAGE: gettext_lazy("Message from the practice"),
    EventType.DECIDED: gettext_lazy("Decision taken"),
    EventType.PACKAGE_RELEASED: gettext_lazy("Answer released to the patient"),
    EventType.WITHDRAWN: gettext_lazy("Withdrawn"),
}
STATE_WORDS = {
    deliveries.DELIVERED: gettext_lazy("Delivered to the app"),
    deliveries.PENDING: gettext_lazy("Waiting to be delivered"),
    deliveries.FAILED: gettext_lazy("Failed"),
}
OUTCOME_WORDS = {
    AttemptOutcome.DELIVERED: gettext_lazy("delivered to the app"),
    AttemptOutcome.RETRY: gettext_lazy("will be tried again"),
    AttemptOutcome.FAILED: gettext_lazy("failed for good"),
}


def _require_processor(request: HttpRequest) -> None:
    # Processor support and administrators; practice staff have no business with the app's log.
    if not access.is_processor_support(request.user):
        raise PermissionDenied


def _client(request: HttpRequest, client_pk: int):
    return fetch_or_404(
        request,
        deliveries.clients(),
        event="webhook.list",
        object_type="api_client",
        object_id=str(client_pk),
        pk=client_pk,
    )


def _row(event: WebhookEvent) -> SimpleNamespace:
    state = deliveries.state_of(event)
    return SimpleNamespace(
        event=event,
        practice_id=event.request.practice_id,
        what=EVENT_WORDS.get(event.type, event.type),
        state=state,
        state_words=STATE_WORDS[state],
        refusal=deliveries.resend_refusal(event),
        resent_by=person_label(event.resent_by) if event.resent_by else "",
        attempts=[
            SimpleNamespace(item=a, outcome=OUTCOME_WORDS.get(a.outcome, a.outcome))
            for a in event.attempts.all()
        ],
    )


@require_GET
@staff_required
def delivery_log(request: HttpRequest, client_pk: int) -> HttpResponse:
    _require_processor(request)
    client = _client(request, client_pk)
    form = DeliveryFilterForm(request.GET or None)
    context = {"client": client, "form": form, "rows": [], "page": None, "query": ""}
    if form.is_bound and not form.is_valid():
        return render(request, "staff/webhook_deliveries.html", context, status=400)
    state = form.cleaned_data.get("state", "") if form.is_bound else ""
    page = Paginator(deliveries.events_of(client, state=state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [_row(event) for event in page.object_list]
    filters = {"state": state} if state else {}
    context |= {"rows": rows, "page": page, "query": urlencode(filters)}
    response = render(request, "staff/webhook_deliveries.html", context)
    return shown_list(
        request,
        response,
        event="webhook.list",
        items=rows,
        key=lambda row: f"{row.event.event_id} {row.event.request.reference}",
        filters={"client": client.name, **filters},
    )


@require_POST
@staff_required
def resend(request: HttpRequest, client_pk: int, event_id: str) -> HttpResponse:
    _require_processor(request)
    client = _client(request, client_pk)
    try:
        deliveries.resend(client, event_id, actor=request.user)
    except WebhookEvent.DoesNotExist:
        not_found(request, "webhook.resend", "webhook_event", event_id[:100])
    except deliveries.ResendRefusal as exc:
        messages.error(request, str(exc.reason))
    else:
        messages.success(
            request,
            _("Event %(event)s is being sent again, with the same id, to %(url)s.")
            % {"event": event_id, "url": client.webhook_url},
        )
    # Back to the list as it was filtered: only the filter's own fields, re-encoded.
    back = QueryDict(request.POST.get("query", ""))
    kept = urlencode({k: back[k] for k in FILTER_KEYS if back.get(k)})
    target = reverse("staff:webhook_deliveries", args=[client.pk])
    return redirect(target + (f"?{kept}" if kept else ""))
