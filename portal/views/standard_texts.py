"""The practice's standard texts: the list, writing and changing one with a preview, removing
one, adopting one of the product's defaults. The practice administrator writes them; every
member of the practice reads them (handlers pick the message texts on the request page).
Processor support has none; another practice's texts are a recorded 404."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.forms.standard_texts import StandardTextForm
from portal.views.common import fetch_or_404, staff_required
from requests_app import access, selectors
from requests_app.models import LetterSlot, TextKind
from requests_app.roles import Capability
from workflows.casework import standard_texts
from workflows.casework.letters import LETTERS


def _practice(request: HttpRequest, pk: int):
    return fetch_or_404(
        request,
        selectors.standard_text_practices_of(request.user),
        event="standard_text.view",
        object_type="practice",
        object_id=str(pk),
        pk=pk,
    )


def _text(request: HttpRequest, pk: int):
    return fetch_or_404(
        request,
        selectors.standard_texts_of(request.user).select_related("practice"),
        event="standard_text.view",
        object_type="standard_text",
        object_id=str(pk),
        pk=pk,
    )


def _manages(request: HttpRequest, practice_id: int) -> bool:
    return access.can(request.user, Capability.MANAGE_STANDARD_TEXTS, practice_id)


def _manager(request: HttpRequest, practice_id: int) -> None:
    if not _manages(request, practice_id):
        raise PermissionDenied


def _place(text) -> str:
    """Where a letter paragraph goes, in words: the letter and the place."""
    letter = LETTERS[text.letter].title if text.letter in LETTERS else _("every letter")
    return f"{LetterSlot(text.slot).label} – {letter}"


@require_GET
@staff_required
def start(request: HttpRequest) -> HttpResponse:
    """One practice: its texts; several: a choice."""
    practices = list(selectors.standard_text_practices_of(request.user).order_by("name"))
    if not practices:
        raise PermissionDenied
    if len(practices) == 1:
        return redirect("staff:standard_texts", practice=practices[0].pk)
    return render(request, "staff/standard_texts_pick.html", {"practices": practices})


@require_GET
@staff_required
def text_list(request: HttpRequest, practice: int) -> HttpResponse:
    place = _practice(request, practice)
    texts = list(selectors.standard_texts_of(request.user).filter(practice=place))
    manages = _manages(request, place.pk)
    taken = standard_texts.adopted(place)
    return render(
        request,
        "staff/standard_texts.html",
        {
            "practice": place,
            "manages": manages,
            "message_texts": [t for t in texts if t.kind == TextKind.MESSAGE],
            "letter_texts": [(t, _place(t)) for t in texts if t.kind == TextKind.LETTER],
            "defaults": [
                (key, default)
                for key, default in standard_texts.DEFAULTS.items()
                if key not in taken
            ]
            if manages
            else [],
        },
    )


def _edit_page(request: HttpRequest, context: dict, form, status: int = 200) -> HttpResponse:
    practice = context["practice"]
    data = form.cleaned_data if form.is_bound and form.is_valid() else None
    if form.is_bound:
        text_nl = form.data.get("text_nl", "")
        text_en = form.data.get("text_en", "")
    else:
        text_nl, text_en = form.initial.get("text_nl", ""), form.initial.get("text_en", "")
    shown = bool(text_nl.strip()) and (data is not None or not form.is_bound)
    context |= {
        "form": form,
        "preview": standard_texts.preview(practice, text_nl, text_en) if shown else [],
        "placeholders": standard_texts.PLACEHOLDERS.items(),
    }
    return render(request, "staff/standard_text.html", context, status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def text_new(request: HttpRequest, practice: int, kind: str) -> HttpResponse:
    place = _practice(request, practice)
    if kind not in TextKind.values:
        raise Http404
    _manager(request, place.pk)
    form = StandardTextForm(request.POST or None, kind=kind, new=True)
    context = {"practice": place, "kind": kind, "text": None}
    if request.method == "POST" and form.is_valid() and "save" in request.POST:
        try:
            text = standard_texts.write_text(
                place,
                actor=request.user,
                kind=kind,
                title=form.cleaned_data["title"],
                text_nl=form.cleaned_data["text_nl"],
                text_en=form.cleaned_data["text_en"],
                letter=form.cleaned_data.get("letter", ""),
                slot=form.cleaned_data.get("slot", ""),
            )
        except standard_texts.TextRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Saved: %(title)s.") % {"title": text.title})
            return redirect("staff:standard_text", pk=text.pk)
    status = 400 if form.is_bound and form.errors else 200
    return _edit_page(request, context, form, status)


@require_http_methods(["GET", "POST"])
@staff_required
def text_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A manager changes the text (with a preview before saving); other staff read it."""
    text = _text(request, pk)
    manages = _manages(request, text.practice_id)
    if request.method == "POST" and not manages:
        raise PermissionDenied
    initial = {"title": text.title, "text_nl": text.text_nl, "text_en": text.text_en}
    form = StandardTextForm(request.POST or None, kind=text.kind, initial=initial)
    context = {
        "practice": text.practice,
        "kind": text.kind,
        "text": text,
        "manages": manages,
        "place": _place(text) if text.kind == TextKind.LETTER else "",
    }
    if request.method == "POST" and form.is_valid() and "save" in request.POST:
        try:
            standard_texts.change_text(
                text,
                actor=request.user,
                title=form.cleaned_data["title"],
                text_nl=form.cleaned_data["text_nl"],
                text_en=form.cleaned_data["text_en"],
            )
        except standard_texts.TextRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            title = form.cleaned_data["title"]
            messages.success(request, _("Saved: %(title)s.") % {"title": title})
            return redirect("staff:standard_text", pk=text.pk)
    status = 400 if form.is_bound and form.errors else 200
    return _edit_page(request, context, form, status)


@require_POST
@staff_required
def text_remove(request: HttpRequest, pk: int) -> HttpResponse:
    text = _text(request, pk)
    _manager(request, text.practice_id)
    try:
        standard_texts.remove_text(text, actor=request.user)
    except standard_texts.TextRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed: %(title)s.") % {"title": text.title})
    return redirect("staff:standard_texts", practice=text.practice_id)


@require_POST
@staff_required
def adopt(request: HttpRequest, practice: int, key: str) -> HttpResponse:
    place = _practice(request, practice)
    _manager(request, place.pk)
    if key not in standard_texts.DEFAULTS:
        raise Http404
    try:
        text = standard_texts.adopt(place, key, actor=request.user)
    except standard_texts.TextRefused as exc:
        messages.error(request, exc.message)
        return redirect("staff:standard_texts", practice=place.pk)
    messages.success(
        request,
        _("Added to the practice's texts: %(title)s. Change it as you like.")
        % {"title": text.title},
    )
    return redirect(reverse("staff:standard_texts", args=[place.pk]) + "#messages")
