"""Messages that failed for good, for processor support: what the provider answered, to which
address, about what; and sending one again (workflows.messaging.failures). The message's text is
never shown. The list names patients' addresses, so each page shown is recorded per practice."""

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

from portal.forms.notifications import FailedFilterForm
from portal.views.audited import shown_list
from portal.views.common import not_found, staff_required
from requests_app import access
from workflows.messaging import failures
from workflows.models import Notification, Purpose, Status

PAGE_SIZE = 50
FILTER_KEYS = ("medium", "purpose", "practice", "resent", "page")

# What a message was about, in the reader's language (the model's labels are for the admin).
PURPOSE_WORDS = {
    Purpose.INTAKE_CODE: gettext_lazy("Code to confirm a request"),
    Purpose.PATIENT_RECEIPT: gettext_lazy("Receipt to the patient"),
    Purpose.PRACTICE_NEW_REQUEST: gettext_lazy("New request to the practice"),
    Purpose.PATIENT_UPDATE: gettext_lazy("News for the patient"),
    Purpose.PRACTICE_UPDATE: gettext_lazy("Patient answered or withdrew"),
    Purpose.ACCOUNT_MAIL: gettext_lazy("Sign-in e-mail"),
    Purpose.DAILY_DIGEST: gettext_lazy("Daily deadline digest"),
    Purpose.ESCALATION: gettext_lazy("Escalation"),
    Purpose.INCIDENT: gettext_lazy("Incident report to the practice"),
    Purpose.PRACTICE_BATCH: gettext_lazy("Several new requests to the practice"),
    Purpose.ASSISTANCE: gettext_lazy("Assistance task"),
    Purpose.DOWNLOAD_CODE: gettext_lazy("Code before a download"),
    Purpose.AUDIT_CHECKPOINT: gettext_lazy("Checkpoint of the audit log"),
    Purpose.SUBPROCESSOR_CHANGE: gettext_lazy("Change of sub-processors"),
    Purpose.LEGAL_ORDER: gettext_lazy("Notice of a legal order"),
    Purpose.PRACTICE_EXIT: gettext_lazy("End of the contract"),
}

STATUS_WORDS = {
    Status.PENDING: gettext_lazy("waiting to be sent"),
    Status.SENDING: gettext_lazy("being sent"),
    Status.SENT: gettext_lazy("sent"),
    Status.FAILED: gettext_lazy("failed again"),
}


def _require_support(request: HttpRequest) -> None:
    if not access.is_processor_support(request.user):
        raise PermissionDenied


def _row(notification: Notification) -> SimpleNamespace:
    practice = failures.practice_of(notification)
    return SimpleNamespace(
        item=notification,
        practice=practice,
        practice_id=practice.pk if practice else None,
        purpose=PURPOSE_WORDS.get(notification.purpose, notification.get_purpose_display()),
        refusal=failures.resend_refusal(notification),
        resent_state=(
            STATUS_WORDS.get(notification.resent_as.status, "") if notification.resent_as else ""
        ),
    )


@require_GET
@staff_required
def failed_list(request: HttpRequest) -> HttpResponse:
    _require_support(request)
    form = FailedFilterForm(request.GET or None, purpose_labels=PURPOSE_WORDS)
    data = form.cleaned_data if form.is_valid() else {}
    practice = data.get("practice")
    rows = failures.failed_notifications(
        medium=data.get("medium", ""),
        purpose=data.get("purpose", ""),
        practice_id=practice.pk if practice else None,
        include_resent=data.get("resent", False),
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [_row(n) for n in page.object_list]
    filters = {k: v for k, v in request.GET.items() if k != "page" and v}
    response = render(
        request,
        "staff/failed_notifications.html",
        {"form": form, "page": page, "rows": shown, "query": urlencode(filters)},
    )
    return shown_list(
        request,
        response,
        event="notification.list",
        items=shown,
        key=lambda row: f"N{row.item.pk}",
        filters=filters,
    )


@require_POST
@staff_required
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    _require_support(request)
    try:
        fresh = failures.resend(pk, actor=request.user)
    except Notification.DoesNotExist:
        not_found(request, "notification.resend", "notification", str(pk))
    except failures.ResendRefusal as exc:
        messages.error(request, str(exc.reason))
    else:
        messages.success(
            request,
            _("Message N%(old)s is being sent again to %(to)s (as N%(new)s).")
            % {"old": pk, "to": fresh.recipient, "new": fresh.pk},
        )
    # Back to the list as it was filtered: only the filter's own fields, re-encoded.
    back = QueryDict(request.POST.get("query", ""))
    kept = urlencode({k: back[k] for k in FILTER_KEYS if back.get(k)})
    return redirect(reverse("staff:failed_notifications") + (f"?{kept}" if kept else ""))
