"""The patient's own pages after signing in with a code: status, messages, answer or write,
withdraw."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.forms.patient import DownloadCodeForm, ReplyForm, WithdrawForm
from portal.views.audited import shown_to_patient
from portal.views.common import document_response, patients_request, zip_response
from requests_app import access, audit, selectors
from requests_app.errors import TransitionRefused
from requests_app.models import AuditAction, RequestState
from workflows.assistance import download_codes, packages
from workflows.casework import patients

S = RequestState
CODE_LOGIN = "patient_signin"
# What a patient reads for each state: plain words, nothing about internal steps.
PATIENT_STATE = {
    S.RECEIVED: gettext_lazy("Received; being forwarded to your practice"),
    S.UNROUTED: gettext_lazy("Received; we are finding your practice"),
    S.FORWARDED: gettext_lazy("With your practice"),
    S.IN_REVIEW: gettext_lazy("Your practice is handling it"),
    S.IN_PROGRESS: gettext_lazy("Your practice is handling it"),
    S.ACKNOWLEDGED: gettext_lazy("Your practice is handling it"),
    S.INVESTIGATING: gettext_lazy("Your practice is handling it"),
    S.AWAITING_PATIENT: gettext_lazy("Your practice is waiting for your answer"),
    S.AWAITING_FEE: gettext_lazy("Your practice asks a fee before it handles your request"),
    S.GRANTED: gettext_lazy("Your practice has granted your request"),
    S.PARTIALLY_GRANTED: gettext_lazy("Your practice has partly granted your request"),
    S.REFUSED: gettext_lazy("Your practice has refused your request"),
    S.DECIDED: gettext_lazy("Your practice has decided on your complaint"),
    S.FULFILLED: gettext_lazy("Carried out"),
    S.CLOSED: gettext_lazy("Closed"),
    S.WITHDRAWN: gettext_lazy("Withdrawn by you"),
    S.MERGED: gettext_lazy("Added to your earlier request for the same thing"),
}


def _card(item) -> dict:
    """What the patient reads about one request: its state in plain words, the practice's open
    question and whether the term stands still, and whether (until when) they may write."""
    return {
        "item": item,
        "state_label": PATIENT_STATE[item.state],
        "question": patients.open_question(item),
        "paused": patients.term_paused(item),
        "may_write": patients.may_write(item),
        "writing_until": patients.writing_until(item),
        # Refused or partly granted: only those decisions carry a legal ground.
        "decided_against": bool(item.legal_ground) and item.state != S.WITHDRAWN,
    }


@login_required(login_url=CODE_LOGIN)
def track(request: HttpRequest) -> HttpResponse:
    items = list(selectors.requests_of_patient(request.user).prefetch_related("messages"))
    for item in items:
        audit.record("patient.view", AuditAction.READ, user=request.user, request=item)
    return render(
        request,
        "patient/track.html",
        {
            "items": [_card(item) for item in items],
            "ready": selectors.released_package_references(request.user),
            "broker_linked": selectors.linked_identities(request.user).exists(),
            "reply_form": ReplyForm(),
            "withdraw_form": WithdrawForm(),
        },
    )


@login_required(login_url=CODE_LOGIN)
@require_POST
def reply(request: HttpRequest, reference: str) -> HttpResponse:
    item = patients_request(request, reference)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please write a message of at most 5000 characters."))
        return redirect("patient:track")
    try:
        sent = patients.reply(item, patient=request.user, body=form.cleaned_data["body"])
    except patients.WritingClosed:
        messages.error(request, _("You can no longer write to your practice about this request."))
    else:
        if sent.answered:
            messages.success(request, _("Your answer has been sent to your practice."))
        else:
            messages.success(request, _("Your message has been sent to your practice."))
    return redirect("patient:track")


@login_required(login_url=CODE_LOGIN)
@require_POST
def withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    item = patients_request(request, reference)
    if not WithdrawForm(request.POST).is_valid():
        messages.error(request, _("Tick the box to confirm that you withdraw the request."))
        return redirect("patient:track")
    try:
        patients.withdraw(item, patient=request.user)
    except TransitionRefused:
        messages.error(request, _("This request can no longer be withdrawn."))
    else:
        messages.success(
            request, _("Your request %(ref)s has been withdrawn.") % {"ref": reference}
        )
    return redirect("patient:track")


def _answer(request: HttpRequest, reference: str):
    """What was released in answer to the patient's own request: the processor's package (or
    None) and the practice's documents; 404 when nothing was, or for anyone else's request."""
    package = selectors.package_of_patient(request.user, reference)
    documents = list(selectors.released_documents_of_patient(request.user, reference))
    if package is None and not documents:
        raise Http404
    item = package.task.request if package is not None else documents[0].request
    return item, package, documents


def _shown(request: HttpRequest, page: str, item, context: dict, *, status: int = 200):
    """A patient page about one of their requests, recorded like every showing of the patient's
    data, also when it is shown again after a wrong code or an expired link."""
    response = render(request, f"patient/{page}.html", context, status=status)
    if item is None:
        return response
    return shown_to_patient(request, response, item=item, page=page)


def _answer_context(item, package, documents) -> dict:
    return {
        "item": item,
        "package": package,
        "documents": documents,
        # One page, one code, one expiry: the link works while anything released still can.
        "downloadable": any(part.downloadable for part in [package, *documents] if part),
    }


@login_required(login_url=CODE_LOGIN)
def data_package(request: HttpRequest, reference: str) -> HttpResponse:
    """Download page: an SMS code first (second factor), then the processor's package and the
    practice's documents, each while its link lasts."""
    item, package, documents = _answer(request, reference)
    context = _answer_context(item, package, documents) | {
        "form": DownloadCodeForm(),
        "code_sent": download_codes.code_sent(request.session, item),
        "passed": download_codes.passed(request.session, item),
    }
    if request.method == "POST" and context["downloadable"]:
        if "send" in request.POST:
            try:
                download_codes.send_code(request.session, item, request.user.pk)
            except download_codes.CodeRefused:
                messages.error(
                    request,
                    _(
                        "We cannot send another code. "
                        "Please try again later or contact your practice."
                    ),
                )
            else:
                messages.success(request, _("We have sent a code by SMS to your mobile number."))
            return redirect("patient:package", reference=reference)
        form = DownloadCodeForm(request.POST)
        context["form"] = form
        if form.is_valid():
            try:
                ok = download_codes.check_code(
                    request.session, item, form.cleaned_data["code"], request.user.pk
                )
            except download_codes.CodeRefused:
                messages.error(request, _("This code no longer works. Ask for a new code."))
                return redirect("patient:package", reference=reference)
            if ok:
                return redirect("patient:package", reference=reference)
            form.add_error("code", _("This code is not right. Check the SMS and try again."))
        return _shown(request, "package", item, context, status=400)
    return _shown(request, "package", item, context)


@login_required(login_url=CODE_LOGIN)
def data_package_download(request: HttpRequest, reference: str, pk: int | None = None):
    """The one way out for the patient's answer: the processor's package (no `pk`) or one of
    the practice's documents, each only while its link lasts and after the SMS code, and each
    download recorded (packages.record_download)."""
    item, package, documents = _answer(request, reference)
    if pk is None:
        part = package
    else:
        part = next((document for document in documents if document.pk == pk), None)
    if part is None:
        raise Http404
    if not part.downloadable:
        return _shown(
            request, "package", item, _answer_context(item, package, documents), status=410
        )
    if not download_codes.passed(request.session, item):
        return redirect("patient:package", reference=reference)
    packages.record_download(part, user=request.user, who="patient")
    return zip_response(part) if pk is None else document_response(part)


def _link_page(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    # It shows part of the request's mobile number.
    return _shown(request, "link", context["phone_request"], context, status=status)


@login_required(login_url=CODE_LOGIN)
def broker_link(request: HttpRequest) -> HttpResponse:
    """Link an identity broker (DigiD) to the account, after an SMS code to the request's mobile
    number; see and remove linked identities."""
    if not access.patient_email(request.user):
        raise Http404
    context = {
        "linked": selectors.linked_identities(request.user),
        "phone_request": download_codes.link_phone_request(request.user),
        "form": DownloadCodeForm(),
        "code_sent": download_codes.link_code_sent(request.session),
        "passed": download_codes.link_passed(request.session),
    }
    if request.method != "POST":
        return _link_page(request, context)
    if "send" in request.POST:
        try:
            download_codes.send_link_code(request.session, request.user)
        except download_codes.CodeRefused:
            messages.error(
                request,
                _("We cannot send another code. Please try again later or contact your practice."),
            )
        else:
            messages.success(request, _("We have sent a code by SMS to your mobile number."))
        return redirect("patient:link")
    form = DownloadCodeForm(request.POST)
    context["form"] = form
    if form.is_valid():
        try:
            ok = download_codes.check_link_code(
                request.session, form.cleaned_data["code"], request.user.pk
            )
        except download_codes.CodeRefused:
            messages.error(request, _("This code no longer works. Ask for a new code."))
            return redirect("patient:link")
        if ok:
            messages.success(request, _("The code is right. You can now link your sign-in."))
            return redirect("patient:link")
        form.add_error("code", _("This code is not right. Check the SMS and try again."))
    return _link_page(request, context, status=400)


@login_required(login_url=CODE_LOGIN)
@require_POST
def broker_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    linked = get_object_or_404(selectors.linked_identities(request.user), pk=pk)
    linked.delete()
    audit.record(
        "patient.broker_unlink",
        AuditAction.DELETE,
        user=request.user,
        object_type="account",
        object_id=str(request.user.pk),
    )
    messages.success(request, _("The link has been removed. You sign in with codes again."))
    return redirect("patient:link")
