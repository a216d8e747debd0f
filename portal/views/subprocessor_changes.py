"""Planned changes of sub-processors (agreement art. 7.1, 3.7): processor support announces one
and reads the practices' answers (objections with their reasons); a practice's FG or
administrator consents or objects until the date. Another practice's answer is a 404 and the
look is recorded."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.forms.subprocessor_changes import AnnouncementForm, AnswerForm
from portal.views.common import bad_form, fetch_or_404, staff_required
from requests_app import access, selectors
from requests_app.errors import TransitionRefused
from requests_app.models import AnswerState, ChangeState
from requests_app.roles import Capability
from workflows.register import changes

# How the history names each act (requests_app.lifecycle and workflows.register.changes).
EVENT_LABELS = {
    "announced": gettext_lazy("announced to every active practice"),
    "answer_consent": gettext_lazy("consent given"),
    "answer_object": gettext_lazy("objection made"),
    "approval_recorded": gettext_lazy("approval recorded"),
    "approval_ended": gettext_lazy("approval ended (no consent to the change)"),
    "take_effect": gettext_lazy("took effect"),
    "withdraw": gettext_lazy("withdrawn"),
}


def _answering(user) -> bool:
    return bool(access.practices_where(user, Capability.ANSWER_SUBPROCESSOR_CHANGES))


@staff_required
def change_list(request: HttpRequest) -> HttpResponse:
    support = access.is_processor_support(request.user)
    if not (support or _answering(request.user)):
        raise PermissionDenied
    announced = list(selectors.subprocessor_changes_of(request.user)[:200])
    for change in announced:
        answers = list(change.answers.all())
        change.counts = {
            state: sum(1 for a in answers if a.state == state) for state in AnswerState.values
        }
    answers = list(selectors.change_answers_of(request.user).order_by("-change__announced_at"))
    return render(
        request,
        "staff/subprocessor_changes.html",
        {"announced": announced, "answers": answers, "support": support},
    )


@staff_required
def announce(request: HttpRequest) -> HttpResponse:
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "staff/subprocessor_change_new.html", {"form": form}, status=400)
        fields = {k: v for k, v in form.cleaned_data.items() if k != "effective_on"}
        try:
            change = changes.announce(
                actor=request.user, effective_on=form.cleaned_data["effective_on"], **fields
            )
        except changes.TooSoon as exc:
            form.add_error("effective_on", exc.explain())
            return render(request, "staff/subprocessor_change_new.html", {"form": form}, status=400)
        messages.success(
            request,
            _("The change has been announced to %(count)s practices.")
            % {"count": change.answers.count()},
        )
        return redirect("staff:subprocessor_change", pk=change.pk)
    return render(request, "staff/subprocessor_change_new.html", {"form": form})


def _change(request: HttpRequest, pk: int):
    return fetch_or_404(
        request,
        selectors.subprocessor_changes_of(request.user),
        event="subprocessor_change.view",
        object_type="subprocessor_change",
        object_id=str(pk),
        pk=pk,
    )


@staff_required
def change_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change(request, pk)
    answers = list(change.answers.all())
    events = list(change.events.select_related("practice"))
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)
    return render(
        request,
        "staff/subprocessor_change.html",
        {
            "change": change,
            "answers": answers,
            "objections": [a for a in answers if a.state == AnswerState.OBJECTED],
            "events": events,
            "can_withdraw": change.state == ChangeState.ANNOUNCED and change.open_for_answers,
        },
    )


@staff_required
@require_POST
def change_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    change = _change(request, pk)
    try:
        changes.withdraw(change, actor=request.user)
    except TransitionRefused:
        messages.error(request, _("Only an announced change before its date can be withdrawn."))
    else:
        messages.success(request, _("The change has been withdrawn; the practices are told."))
    return redirect("staff:subprocessor_change", pk=change.pk)


def _answer(request: HttpRequest, pk: int):
    return fetch_or_404(
        request,
        selectors.change_answers_of(request.user),
        event="subprocessor_change.answer.view",
        object_type="subprocessor_change_answer",
        object_id=str(pk),
        pk=pk,
    )


def _answer_page(request: HttpRequest, answer, form, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "staff/subprocessor_change_answer.html",
        {"answer": answer, "change": answer.change, "form": form},
        status=status,
    )


@staff_required
def answer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _answer_page(request, _answer(request, pk), AnswerForm())


@staff_required
@require_POST
def answer_submit(request: HttpRequest, pk: int) -> HttpResponse:
    answer = _answer(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        if "reason" in form.errors and form.data.get("decision") == "object":
            return _answer_page(request, answer, form, status=400)
        return bad_form(request, form)
    try:
        if form.cleaned_data["decision"] == "consent":
            changes.consent(answer, actor=request.user)
            messages.success(request, _("Your consent has been recorded."))
        else:
            changes.object_to(answer, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Your objection has been sent to the processor."))
    except TransitionRefused:
        messages.error(
            request,
            _(
                "This answer is not possible: the practice has already answered, or the change "
                "is no longer open for answers."
            ),
        )
    return redirect("staff:subprocessor_change_answer", pk=answer.pk)
