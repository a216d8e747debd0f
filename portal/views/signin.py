"""Signing in without a password: patients by a code mailed to their request's address, staff
asking for a password-reset link. Both answer the same way, in the same time, whether or not
the address is known: the look-up and the sending run in a job after the answer."""

import functools

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from portal.forms.intake import CodeForm
from portal.forms.signin import AddressForm
from requests_app import access
from workflows.accounts import patient_signin, staff_accounts
from workflows.assistance import download_codes

SESSION_ADDRESS = "signin_address"


def request_code(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            address = patient_signin.request_code(
                form.cleaned_data["email"], language=translation.get_language() or "nl"
            )
        except patient_signin.TooManyCodes:
            form.add_error(
                None,
                _(
                    "Too many codes were asked for this e-mail address. "
                    "Please wait a while and try again."
                ),
            )
            return render(request, "account/request_login_code.html", {"form": form}, status=429)
        request.session[SESSION_ADDRESS] = address
        return redirect("patient_signin_confirm")
    status = 400 if request.method == "POST" else 200
    return render(request, "account/request_login_code.html", {"form": form}, status=status)


def confirm_code(request: HttpRequest) -> HttpResponse:
    address = request.session.get(SESSION_ADDRESS)
    if not address:
        return redirect("patient_signin")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = patient_signin.check_code(address, form.cleaned_data["code"])
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            # A fresh session: no second factor is carried over from before.
            request.session[download_codes.BROKER_SESSION_KEY] = ""
            # The same words as allauth's sign-ins (templates/account/messages/logged_in.txt).
            messages.success(request, _("You are signed in."))
            return redirect("patient:track")
        form.add_error(
            "code",
            _(
                "This code is not right, has expired or was tried too often. "
                "Check the e-mail or ask for a new code."
            ),
        )
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "account/confirm_login_code.html",
        {"form": form, "address": address},
        status=status,
    )


def password_reset(request: HttpRequest) -> HttpResponse:
    """Staff: a reset link, sent by a job (see the module's docstring)."""
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if staff_accounts.request_password_reset(
            form.cleaned_data["email"], language=translation.get_language() or "nl"
        ):
            return redirect("account_reset_password_done")
        form.add_error(None, _("Too many links were asked for. Please try again later."))
        return render(request, "account/password_reset.html", {"form": form}, status=429)
    status = 400 if request.method == "POST" else 200
    return render(request, "account/password_reset.html", {"form": form}, status=status)


def not_for_patients(view):
    """Password pages are for staff: a patient account never gets a password (it would outlive
    the patient securing their mailbox, and skip the per-account code tries)."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if access.patient_email(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return guarded
