"""Practices in the processor's screens and a practice's own settings.

A processor administrator lists, searches, adds and edits practices and imports a CSV file of
them: the upload is validated row by row and shown as a preview; the rows stay on the server in
the session (the confirmation carries only a token naming them) and are validated again when the
import is confirmed; then the report, also as CSV. A practice administrator edits their own
practice's settings and contacts (not its AGB code, not whether it is active). Every change is
audit-logged by workflows.onboarding.practices."""

import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.forms.practices import (
    ImportConfirmForm,
    PracticeForm,
    PracticeImportForm,
    PracticeSearchForm,
    PracticeSettingsForm,
)
from portal.views.common import not_found, staff_required
from requests_app import access
from requests_app.models import Practice
from requests_app.roles import Role
from workflows.onboarding import practices

PAGE_SIZE = 50
SESSION_UPLOAD = "practice_import"  # the rows of the upload waiting for confirmation
SESSION_REPORT = "practice_import_report"  # the report of the last import


def _require_admin(request: HttpRequest) -> None:
    if not access.is_processor_admin(request.user):
        raise PermissionDenied


def _practice(request: HttpRequest, agb: str) -> Practice:
    found = Practice.objects.filter(agb_code=agb).first()
    if found is None:
        not_found(request, "practice.view", "practice", agb)
    return found


@require_GET
@staff_required
def practice_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = PracticeSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(practices.search_practices(query), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/practices/list.html",
        {"form": form, "page": page, "query": query},
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def practice_new(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = PracticeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            practice = practices.create_practice(form.values(), actor=request.user)
        except practices.PracticeExists as exc:
            form.add_error("agb_code", str(exc))
        else:
            messages.success(
                request, _("The practice %(name)s has been added.") % {"name": practice.name}
            )
            return redirect("staff:practice", agb=practice.agb_code)
    return render(
        request,
        "staff/practices/form.html",
        {"form": form, "practice": None},
        status=400 if form.is_bound else 200,
    )


@require_GET
@staff_required
def practice_detail(request: HttpRequest, agb: str) -> HttpResponse:
    _require_admin(request)
    practice = _practice(request, agb)
    return render(
        request,
        "staff/practices/detail.html",
        {"practice": practice, "changes": practices.practice_changes(practice)[:20]},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def practice_edit(request: HttpRequest, agb: str) -> HttpResponse:
    _require_admin(request)
    practice = _practice(request, agb)
    form = PracticeForm(request.POST if request.method == "POST" else None, instance=practice)
    if form.is_valid():
        try:
            changed = practices.update_practice(
                Practice.objects.get(pk=practice.pk), form.values(), actor=request.user
            )
        except practices.PracticeExists as exc:
            form.add_error("agb_code", str(exc))
        else:
            _tell_saved(request, changed)
            return redirect("staff:practice", agb=form.values()["agb_code"])
    return render(
        request,
        "staff/practices/form.html",
        {"form": form, "practice": Practice.objects.get(pk=practice.pk)},
        status=400 if form.is_bound else 200,
    )


def _tell_saved(request: HttpRequest, changed: list[str]) -> None:
    if changed:
        messages.success(request, _("The changes have been saved."))
    else:
        messages.info(request, _("Nothing was changed."))


# --- The CSV import ------------------------------------------------------------------------------
@staff_required
@require_http_methods(["GET", "POST"])
def practice_import(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = PracticeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > practices.IMPORT_MAX_BYTES:
                raise practices.ImportRefused(
                    _("The file is larger than %(kb)s KB. Split it into smaller files.")
                    % {"kb": practices.IMPORT_MAX_BYTES // 1024}
                )
            rows = practices.read_csv(upload.read())
        except practices.ImportRefused as exc:
            form.add_error("file", str(exc))
        else:
            request.session[SESSION_UPLOAD] = {
                "token": secrets.token_urlsafe(24),
                "rows": rows,
                "shown": "",
                "file": upload.name[:200],
            }
            return redirect("staff:practice_import_preview")
    return _import_page(request, form, status=400 if form.is_bound else 200)


def _import_page(request: HttpRequest, form, *, status: int, gone: bool = False):
    return render(
        request,
        "staff/practices/import.html",
        {
            "form": form,
            "columns": practices.COLUMNS,
            "required": practices.REQUIRED_COLUMNS,
            "gone": gone,
        },
        status=status,
    )


@require_GET
@staff_required
def practice_import_preview(request: HttpRequest) -> HttpResponse:
    """What the kept upload would do, judged now; what is shown is what a confirm must meet."""
    _require_admin(request)
    kept = request.session.get(SESSION_UPLOAD)
    if not kept:
        return _import_page(request, PracticeImportForm(), status=400, gone=True)
    plan = practices.plan_import(kept["rows"])
    kept["shown"] = plan.fingerprint()
    request.session[SESSION_UPLOAD] = kept
    return _preview(request, plan, kept["token"], kept["file"])


def _preview(request, plan, token: str, name: str, *, status: int = 200, changed=False):
    return render(
        request,
        "staff/practices/preview.html",
        {
            "plan": plan,
            "counts": plan.counts,
            "form": ImportConfirmForm(initial={"token": token}),
            "file_name": name,
            "changed_meanwhile": changed,
        },
        status=status,
    )


@require_POST
@staff_required
def practice_import_confirm(request: HttpRequest) -> HttpResponse:
    """Carries out the upload kept in the session, validated again. A token that names no
    upload of this session (tampered, used, or from another session) changes nothing; a preview
    that no longer holds (a practice changed meanwhile) is shown again, to confirm anew."""
    _require_admin(request)
    form = ImportConfirmForm(request.POST)
    kept = request.session.get(SESSION_UPLOAD)
    if (
        not form.is_valid()
        or not kept
        or not secrets.compare_digest(kept["token"], form.cleaned_data["token"])
    ):
        return _import_page(request, PracticeImportForm(), status=400, gone=True)
    plan = practices.plan_import(kept["rows"])
    if plan.fingerprint() != kept["shown"]:
        kept["shown"] = plan.fingerprint()
        request.session[SESSION_UPLOAD] = kept
        return _preview(request, plan, kept["token"], kept["file"], status=409, changed=True)
    try:
        report = practices.import_practices(kept["rows"], actor=request.user)
    except practices.ImportRefused as exc:
        messages.error(request, str(exc))
        return redirect("staff:practice_import_preview")
    del request.session[SESSION_UPLOAD]
    request.session[SESSION_REPORT] = {
        "file": kept["file"],
        "rows": practices.plan_to_session(report),
        "uploaded": kept["rows"],
    }
    return redirect("staff:practice_import_report")


def _kept_report(request: HttpRequest):
    kept = request.session.get(SESSION_REPORT)
    if not kept:
        not_found(request, "practice.import_report", "practice_import", "report")
    report = practices.plan_from_session(kept["rows"])
    # The reasons of refused lines in the page's language: the lines were left out, so judging
    # them again gives the same reasons.
    practices.reword_refusals(report, kept.get("uploaded") or [])
    return kept, report


@require_GET
@staff_required
def practice_import_report(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    kept, plan = _kept_report(request)
    return render(
        request,
        "staff/practices/report.html",
        {"plan": plan, "counts": plan.counts, "file_name": kept["file"]},
    )


@require_GET
@staff_required
def practice_import_report_csv(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    _kept, plan = _kept_report(request)
    response = HttpResponse(practices.report_csv(plan), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "practice-import.csv")
    return response


# --- A practice's own settings -------------------------------------------------------------------
def _administered(request: HttpRequest) -> set[int]:
    ids = access.practice_ids(request.user, {Role.PRACTICE_ADMIN})
    if not ids:
        raise PermissionDenied
    return ids


@require_GET
@staff_required
def own_settings_start(request: HttpRequest) -> HttpResponse:
    """The practice administrator's settings: straight to the practice, or a choice of them."""
    ids = _administered(request)
    mine = list(Practice.objects.filter(pk__in=ids).order_by("name"))
    if len(mine) == 1:
        return redirect("staff:own_settings", agb=mine[0].agb_code)
    return render(request, "staff/practices/own_pick.html", {"practices": mine})


@staff_required
@require_http_methods(["GET", "POST"])
def own_settings(request: HttpRequest, agb: str) -> HttpResponse:
    ids = _administered(request)
    practice = Practice.objects.filter(agb_code=agb, pk__in=ids).first()
    if practice is None:
        not_found(request, "practice.settings", "practice", agb)
    form = PracticeSettingsForm(
        request.POST if request.method == "POST" else None, instance=practice
    )
    if form.is_valid():
        changed = practices.update_practice(
            Practice.objects.get(pk=practice.pk),
            form.values(),
            actor=request.user,
            via="practice settings",
        )
        _tell_saved(request, changed)
        return redirect("staff:own_settings", agb=agb)
    return render(
        request,
        "staff/practices/own_settings.html",
        {"form": form, "practice": Practice.objects.get(pk=practice.pk)},
        status=400 if form.is_bound else 200,
    )
