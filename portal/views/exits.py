"""The end of a practice's contract in the processor's screens (agreement art. 10.6, 11.2): the
practices with their exit state, starting an exit, the export (in the request: the passphrase is
shown on that one response and stored nowhere, which a background job could not do), the logged
download, the destruction after the typed AGB code, the manual steps, and the certificate, which
the practice's FG may read too."""

import datetime
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.forms.exits import DestroyForm, ManualStepForm, StartExitForm
from portal.views.common import not_found, staff_required
from requests_app import access, audit
from requests_app.errors import DomainError
from requests_app.models import (
    AuditAction,
    ExitState,
    Practice,
    PracticeExit,
    PracticeExitStep,
    StepKind,
)
from requests_app.roles import Role
from workflows.practice_exit import archive, destruction, exits


def _require_support(request: HttpRequest) -> None:
    if not access.is_processor_support(request.user):
        raise PermissionDenied


def _require_admin(request: HttpRequest) -> None:
    if not access.is_processor_admin(request.user):
        raise PermissionDenied


def _exit(request: HttpRequest, pk: int) -> PracticeExit:
    found = PracticeExit.objects.select_related("practice").filter(pk=pk).first()
    if found is None:
        not_found(request, "practice_exit.view", "practice_exit", str(pk))
    return found


@require_GET
@staff_required
def exit_list(request: HttpRequest) -> HttpResponse:
    _require_support(request)
    practices = Practice.objects.order_by("name").prefetch_related("exits")
    rows = [(practice, practice.exits.all()[:1]) for practice in practices]
    return render(
        request,
        "staff/exits.html",
        {
            "rows": [(p, found[0] if found else None) for p, found in rows],
            "admin": access.is_processor_admin(request.user),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def exit_start(request: HttpRequest, agb: str) -> HttpResponse:
    _require_admin(request)
    practice = Practice.objects.filter(agb_code=agb).first()
    if practice is None:
        not_found(request, "practice_exit.start", "practice", agb)
    form = StartExitForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            record = exits.start_exit(
                practice,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                reference=form.cleaned_data["reference"],
                dated=form.cleaned_data["dated"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("staff:exits")
        messages.success(request, _("The exit has been started. Export the archive next."))
        return redirect("staff:exit", pk=record.pk)
    status = 400 if form.is_bound else 200
    return render(
        request, "staff/exit_start.html", {"practice": practice, "form": form}, status=status
    )


def _detail(request: HttpRequest, record: PracticeExit, **extra) -> HttpResponse:
    status = extra.pop("status", 200)
    steps = list(record.steps.select_related("subprocessor", "done_by"))
    context = {
        "manual_open": [s for s in steps if s.kind == StepKind.MANUAL and s.done_at is None],
        "exit": record,
        "practice": record.practice,
        "admin": access.is_processor_admin(request.user),
        "steps": [(step, destruction.step_label(step), _counts(step.removed)) for step in steps],
        "kept": destruction.kept_texts(record),
        "events": record.events.all(),
        "stored": exits.stored_archive(record) is not None,
        "destroy_form": DestroyForm(practice=record.practice),
        "step_form": ManualStepForm(),
        "states": ExitState,
        "manual": StepKind.MANUAL,
    } | extra
    return render(request, "staff/exit.html", context, status=status)


@require_GET
@staff_required
def exit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_support(request)
    return _detail(request, _exit(request, pk))


@require_POST
@staff_required
def exit_export(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    record = _exit(request, pk)
    try:
        result = exits.export_in_store(record, actor=request.user)
    except (DomainError, archive.ArchiveRefused) as exc:
        messages.error(request, str(exc))
        return redirect("staff:exit", pk=pk)
    record = PracticeExit.objects.get(pk=pk)
    response = _detail(request, record, passphrase=result.passphrase)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@staff_required
def exit_download(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    record = _exit(request, pk)
    path = exits.stored_archive(record)
    if path is None:
        not_found(request, "practice_exit.download", "practice_exit", record.number)
    exits.record_download(record, actor=request.user)
    response = FileResponse(open(path, "rb"), content_type="application/zip")  # noqa: SIM115
    response["Content-Disposition"] = content_disposition_header(True, path.name)
    return response


@require_POST
@staff_required
def exit_destroy(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    record = _exit(request, pk)
    form = DestroyForm(request.POST, practice=record.practice)
    if not form.is_valid():
        return _detail(request, record, destroy_form=form, status=400)
    directory = Path(record.archive_name).parent if record.archive_name else None
    try:
        record = destruction.destroy(record, directory, actor=request.user)
    except (destruction.DestructionRefused, DomainError) as exc:
        messages.error(request, _("Refused, nothing was changed: %(why)s") % {"why": exc})
        return redirect("staff:exit", pk=pk)
    if record.state == ExitState.CERTIFIED:
        messages.success(request, _("Everything has been destroyed; the certificate is issued."))
        return redirect("staff:exit_certificate", pk=pk)
    messages.error(
        request,
        _(
            "Not finished: a step failed or manual steps are open. Destroy again when they are "
            "done; nothing is removed twice."
        ),
    )
    return redirect("staff:exit", pk=pk)


@require_POST
@staff_required
def exit_step(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    _require_support(request)
    record = _exit(request, pk)
    found = PracticeExitStep.objects.filter(exit=record, pk=step).first()
    if found is None:
        not_found(request, "practice_exit.step", "practice_exit_step", str(step))
    form = ManualStepForm(request.POST)
    if not form.is_valid():
        return _detail(request, record, step_form=form, open_step=found.pk, status=400)
    try:
        destruction.tick_manual_step(found, actor=request.user, note=form.cleaned_data["note"])
    except (DomainError, destruction.DestructionRefused) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The manual step has been ticked off."))
    return redirect("staff:exit", pk=pk)


def _counts(counts: dict) -> list[tuple[str, int]]:
    """What a step removed, leaving out what it found none of."""
    return [(what, n) for what, n in sorted(counts.items()) if n]


def _when(text: str) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text) if text else None


def _certified(request: HttpRequest, pk: int) -> PracticeExit:
    """Processor support, and the FG of the practice itself; anyone else finds nothing."""
    record = PracticeExit.objects.select_related("practice").filter(pk=pk).first()
    user = request.user
    fg = record is not None and record.practice_id in access.practice_ids(user, {Role.DPO})
    if record is None or not record.certificate or not (access.is_processor_support(user) or fg):
        not_found(request, "practice_exit.certificate", "practice_exit", str(pk))
    audit.record(
        "practice_exit.certificate",
        AuditAction.READ,
        user=user,
        object_type="practice_exit",
        object_id=record.number,
        practice_id=record.practice_id,
    )
    return record


@require_GET
@staff_required
def exit_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    record = _certified(request, pk)
    c = record.certificate
    places = [
        step
        | {
            "where": str(destruction.STEP_LABELS.get(step["step"], step["where"])),
            "counts": _counts(step["removed"]),
            "kept_counts": _counts(step["kept"]),
            "done_at": _when(step["done_at"]),
        }
        for step in c["removed"]
    ]
    when = {
        "started": _when(c["started"]["at"]),
        "exported": _when(c["export"]["at"]),
        "destroying": _when(c["destruction"]["started_at"]),
        "destroyed": _when(c["destruction"]["finished_at"]),
        "issued": _when(c["issued_at"]),
        "dated": datetime.date.fromisoformat(c["reason"]["dated"]),
    }
    manual = [step | {"done_at": _when(step["done_at"])} for step in c["manual_steps"]]
    kept = [destruction.kept_text(item) for item in record.certificate["kept"]]
    return render(
        request,
        "staff/exit_certificate.html",
        {
            "exit": record,
            "c": record.certificate,
            "places": places,
            "when": when,
            "manual": manual,
            "kept": kept,
            "support": access.is_processor_support(request.user),
        },
    )


@require_GET
@staff_required
def exit_certificate_json(request: HttpRequest, pk: int) -> HttpResponse:
    record = _certified(request, pk)
    response = JsonResponse(
        {"certificate": record.certificate, "sha256": record.certificate_digest},
        json_dumps_params={"indent": 2, "ensure_ascii": False, "sort_keys": True},
    )
    name = f"certificaat-vernietiging-{record.practice.agb_code}-{record.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
