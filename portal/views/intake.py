"""The patient's web intake: find the practice, describe the request, confirm the e-mail code."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import ratelimit
from portal.forms.intake import KIND_EXPLANATIONS, CodeForm, PracticeSearchForm, WebIntakeForm
from requests_app import selectors
from requests_app.models import PendingSubmission, Practice, RequestKind
from workflows import counters
from workflows.intake import submission as intake

SESSION_PENDING = "intake_pending_token"
SESSION_DONE = "intake_reference"


def start(request: HttpRequest) -> HttpResponse:
    searched = "q" in request.GET
    form = PracticeSearchForm(request.GET if searched else None)
    practices = selectors.practices_matching(form.cleaned_data["q"]) if form.is_valid() else []
    return render(
        request,
        "intake/start.html",
        {"form": form, "practices": practices, "searched": searched and form.is_valid()},
        # An empty or too short search is refused with its reason, not answered with nothing.
        status=400 if searched and not form.is_valid() else 200,
    )


def details(request: HttpRequest, agb_code: str | None = None) -> HttpResponse:
    practice = None
    if agb_code is not None:
        practice = get_object_or_404(Practice, agb_code=agb_code, active=True)
    form = WebIntakeForm(request.POST or None, practice=practice)
    if request.method == "POST" and form.is_valid() and _within_limits(request, form):
        try:
            pending = intake.start_submission(
                submission=form.submission(), language=translation.get_language() or "nl"
            )
        except intake.TooManyCodes:
            form.add_error(
                "email",
                _(
                    "Too many codes were sent to this e-mail address. "
                    "Please try again in an hour, or contact your practice."
                ),
            )
        else:
            request.session[SESSION_PENDING] = pending.token
            return redirect("intake:confirm")
    kinds = [
        (value, label, KIND_EXPLANATIONS[value]) for value, label in form.fields["kind"].choices
    ]
    return render(
        request,
        "intake/details.html",
        {
            "form": form,
            "practice": practice,
            "kinds": kinds,
            "complaint": form["kind"].value() == RequestKind.COMPLAINT,
        },
    )


def _within_limits(request: HttpRequest, form) -> bool:
    """Flood protection: at most a few submissions an hour per IP and per e-mail address."""
    hour = 60 * 60
    by_ip = counters.allow(
        "intake-ip",
        ratelimit.client_ip(request),
        limit=settings.INTAKE_LIMIT_PER_IP,
        window_seconds=hour,
    )
    by_email = counters.allow(
        "intake-email",
        form.cleaned_data["email"],
        limit=settings.INTAKE_LIMIT_PER_EMAIL,
        window_seconds=hour,
    )
    if by_ip and by_email:
        return True
    form.add_error(
        None,
        _(
            "Too many requests were sent from here or for this e-mail address. "
            "Please try again in an hour, or contact your practice."
        ),
    )
    return False


def _pending(request: HttpRequest) -> PendingSubmission | None:
    return selectors.draft_by_token(request.session.get(SESSION_PENDING))


def confirm(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Your session has ended. Please start again."))
        return redirect("intake:start")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result, stored = intake.confirm_submission(pending, form.cleaned_data["code"])
        if stored is not None:
            del request.session[SESSION_PENDING]
            request.session[SESSION_DONE] = stored.reference
            return redirect("intake:done")
        pending.refresh_from_db()
        errors = {
            intake.Confirmation.WRONG: _("This code is not right. You can try %(n)d more times.")
            % {"n": pending.attempts_left},
            intake.Confirmation.EXPIRED: _("This code has expired. Ask for a new code below."),
            intake.Confirmation.LOCKED: _("Too many wrong tries. Ask for a new code below."),
        }
        form.add_error("code", errors[result])
    return render(request, "intake/confirm.html", {"form": form, "pending": pending})


@require_POST
def resend(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return redirect("intake:start")
    try:
        intake.resend_code(pending)
    except intake.ResendRefused:
        messages.error(
            request, _("No more codes can be sent for this request. Please start again.")
        )
    else:
        messages.success(request, _("A new code has been sent. The previous code no longer works."))
    return redirect("intake:confirm")


def done(request: HttpRequest) -> HttpResponse:
    stored = selectors.request_submitted(request.session.get(SESSION_DONE))
    if stored is None:
        return redirect("intake:start")
    return render(
        request,
        "intake/done.html",
        {
            "reference": stored.reference,
            "routed": stored.practice_id is not None,
            "complaint": stored.kind == RequestKind.COMPLAINT,
        },
    )
