"""A practice's standard texts: writing them (the practice administrator), filling them in for a
request (a handler's message, a letter's paragraphs), previews, and the product's defaults.

Placeholders are a fixed list (`PLACEHOLDERS`), written `{patient_name}`. Filling replaces those
names, in one pass, by plain text; nothing else in a text means anything: it never goes through
the template engine, and what a letter shows is escaped after filling. So `{{ }}`, `{% %}` and
`<script>` in a text stay letters on the page. Saving refuses an unknown placeholder, and curly
braces anywhere but around a known one, with a message that lists what may be used.
"""

import dataclasses
import datetime
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone, translation
from django.utils.functional import Promise
from django.utils.html import linebreaks
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from requests_app import access, audit
from requests_app.errors import DomainError
from requests_app.models import (
    AuditAction,
    LetterSlot,
    Practice,
    Request,
    RequestKind,
    StandardText,
    StandardTextVersion,
    TextKind,
)
from requests_app.roles import Capability

# The placeholders a text may use, and what each becomes.
PLACEHOLDERS: dict[str, Promise] = {
    "patient_name": gettext_lazy("the patient's name"),
    "reference": gettext_lazy("the request's reference"),
    "request_kind": gettext_lazy("the kind of request, e.g. access"),
    "received_date": gettext_lazy("the day the request was received"),
    "due_date": gettext_lazy("the day the answer is due"),
    "practice_name": gettext_lazy("the practice's name"),
}
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Anything between curly braces, to name what is not a placeholder.
BRACED = re.compile(r"\{([^{}]*)\}")
DATE_FORMAT = "j F Y"


class TextRefused(DomainError):
    """A standard text that cannot be saved as it is; `message` says why."""

    def __init__(self, message: str, field: str = "text_nl"):
        super().__init__(message)
        self.message = message
        self.field = field


def placeholder_list() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def problems(text: str) -> list[str]:
    """What is wrong with a text's placeholders ([] when nothing)."""
    found = []
    for match in BRACED.finditer(text):
        if match.group(1) not in PLACEHOLDERS:
            found.append(
                _("Unknown placeholder %(found)s. You can use: %(allowed)s.")
                % {"found": match.group(0), "allowed": placeholder_list()}
            )
    rest = PLACEHOLDER.sub("", BRACED.sub("", text))
    if "{" in rest or "}" in rest:
        found.append(
            _("Use curly braces only around a placeholder, like {patient_name}. You can use: %s.")
            % placeholder_list()
        )
    return list(dict.fromkeys(found))


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its placeholders replaced by plain text, in one pass (a value that itself
    looks like a placeholder stays as it is)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def as_paragraphs(text: str) -> SafeString:
    """A filled text as HTML paragraphs: escaped first, so nothing in it is markup."""
    return SafeString(linebreaks(text, autoescape=True))


def language_of(item: Request) -> str:
    """The patient's language as given with the request; Dutch otherwise."""
    known = {code for code, _name in settings.LANGUAGES}
    return item.language if item.language in known else settings.LANGUAGE_CODE


def _day(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localdate(value)
    return dateformat.format(value, DATE_FORMAT)


def values_for(item: Request, language: str) -> dict[str, str]:
    with translation.override(language):
        return {
            "patient_name": item.patient_name,
            "reference": item.reference,
            "request_kind": str(item.get_kind_display()).lower(),
            "received_date": _day(item.received_at),
            "due_date": _day(item.response_due),
            "practice_name": item.practice.name if item.practice_id else "",
        }


def sample_values(practice: Practice, language: str) -> dict[str, str]:
    """What a preview fills in: made-up values, the practice's own name."""
    today = timezone.localdate()
    with translation.override(language):
        return {
            "patient_name": "J. de Vries",
            "reference": "K7M3Q-9XH4T",
            "request_kind": str(RequestKind.ACCESS.label).lower(),
            "received_date": _day(today),
            "due_date": _day(today + datetime.timedelta(days=30)),
            "practice_name": practice.name,
        }


# --- Using them -----------------------------------------------------------------------------
def message_text(text: StandardText, item: Request) -> str:
    """A message text filled in for this request, in the patient's language (plain text: the
    message box and the patient's page escape it)."""
    language = language_of(item)
    return fill(text.text_in(language), values_for(item, language))


def letter_paragraphs(
    item: Request, letter: str, at: datetime.datetime, language: str
) -> dict[str, SafeString]:
    """The practice's paragraphs of a letter, by place (opening, closing), as they stood at `at`
    (the letter's step): a paragraph for this letter before one for every letter."""
    if item.practice_id is None:
        return {}
    found: dict[str, SafeString] = {}
    values = None
    for slot in LetterSlot.values:
        for scope in (letter, ""):
            version = (
                StandardTextVersion.objects.filter(
                    text__practice_id=item.practice_id,
                    text__kind=TextKind.LETTER,
                    text__letter=scope,
                    text__slot=slot,
                    at__lte=at,
                )
                .order_by("-at", "-pk")
                .first()
            )
            if version is not None and version.active:
                values = values or values_for(item, language)
                found[slot] = as_paragraphs(fill(version.text_in(language), values))
                break
    return found


def preview(practice: Practice, text_nl: str, text_en: str) -> list[tuple[str, str, SafeString]]:
    """The text in each language with sample values: (language, name, HTML). English shows
    the Dutch when there is no English, as a patient who chose English would read it."""
    shown = []
    for code, name in settings.LANGUAGES:
        text = text_en if code == "en" and text_en.strip() else text_nl
        shown.append((code, name, as_paragraphs(fill(text, sample_values(practice, code)))))
    return shown


# --- Writing them ---------------------------------------------------------------------------
def _may_manage(actor, practice_id: int) -> None:
    if not access.can(actor, Capability.MANAGE_STANDARD_TEXTS, practice_id):
        raise PermissionDenied


def _check(practice_id: int, title: str, text_nl: str, text_en: str, pk=None) -> None:
    if not text_nl.strip():
        raise TextRefused(_("Write the text in Dutch: it is what patients read by default."))
    for field, text in (("text_nl", text_nl), ("text_en", text_en)):
        found = problems(text)
        if found:
            raise TextRefused(" ".join(found), field)
    same = StandardText.objects.filter(practice_id=practice_id, title=title, active=True)
    if same.exclude(pk=pk).exists():
        raise TextRefused(_("The practice already has a text with this name."), "title")


def _record(text: StandardText, actor, event: str, action: AuditAction) -> None:
    StandardTextVersion.objects.create(
        text=text, text_nl=text.text_nl, text_en=text.text_en, active=text.active, by=actor
    )
    audit.record(
        event,
        action,
        user=actor,
        object_type="standard_text",
        object_id=str(text.pk),
        practice_id=text.practice_id,
        details={
            "title": text.title,
            "kind": text.kind,
            "letter": text.letter,
            "slot": text.slot,
        },
    )


def write_text(
    practice: Practice,
    *,
    actor,
    kind: str,
    title: str,
    text_nl: str,
    text_en: str = "",
    letter: str = "",
    slot: str = "",
    origin: str = "",
) -> StandardText:
    _may_manage(actor, practice.pk)
    _check(practice.pk, title, text_nl, text_en)
    if kind == TextKind.LETTER:
        if slot not in LetterSlot.values:
            raise TextRefused(_("Choose where in the letter the paragraph goes."), "slot")
        taken = StandardText.objects.filter(
            practice=practice, kind=TextKind.LETTER, letter=letter, slot=slot, active=True
        )
        if taken.exists():
            raise TextRefused(
                _(
                    "This letter already has a paragraph in this place: change that one, "
                    "or remove it first."
                ),
                "slot",
            )
    else:
        letter = slot = ""
    try:
        with transaction.atomic():
            text = StandardText.objects.create(
                practice=practice,
                kind=kind,
                title=title,
                letter=letter,
                slot=slot,
                text_nl=text_nl,
                text_en=text_en,
                origin=origin,
                changed_by=actor,
            )
            _record(text, actor, "standard_text.create", AuditAction.CREATE)
    except IntegrityError:  # the same name or place, saved a moment ago by someone else
        raise TextRefused(
            _("The practice already has a text with this name or place."), "title"
        ) from None
    return text


def _locked(text: StandardText) -> StandardText:
    """The text, locked; one removed in the meantime is refused."""
    found = StandardText.objects.select_for_update().filter(pk=text.pk, active=True).first()
    if found is None:
        raise TextRefused(_("This text was removed in the meantime."))
    return found


def change_text(
    text: StandardText, *, actor, title: str, text_nl: str, text_en: str = ""
) -> StandardText:
    _may_manage(actor, text.practice_id)
    _check(text.practice_id, title, text_nl, text_en, pk=text.pk)
    try:
        with transaction.atomic():
            text = _locked(text)
            text.title, text.text_nl, text.text_en = title, text_nl, text_en
            text.changed_at, text.changed_by = timezone.now(), actor
            text.save()
            _record(text, actor, "standard_text.change", AuditAction.UPDATE)
    except IntegrityError:  # the same name, saved a moment ago by someone else
        raise TextRefused(_("The practice already has a text with this name."), "title") from None
    return text


def remove_text(text: StandardText, *, actor) -> None:
    """Out of the lists and out of letters from now on; letters already sent keep it."""
    _may_manage(actor, text.practice_id)
    with transaction.atomic():
        text = _locked(text)
        text.active = False
        text.changed_at, text.changed_by = timezone.now(), actor
        text.save()
        _record(text, actor, "standard_text.remove", AuditAction.DELETE)


# --- The product's defaults -----------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class DefaultText:
    """A message text the product ships; a practice adopts it as its own with one click."""

    title: Promise
    text_nl: str
    text_en: str


DEFAULTS: dict[str, DefaultText] = {
    "identity_at_desk": DefaultText(
        gettext_lazy("Confirm your identity at the desk"),
        "Om uw verzoek ({reference}) te kunnen behandelen, moeten wij zeker weten dat wij uw "
        "gegevens aan u geven en aan niemand anders. Wilt u tijdens openingstijden langskomen "
        "bij de balie van {practice_name}, met een geldig identiteitsbewijs (paspoort, "
        "identiteitskaart of rijbewijs)? Wij bekijken het alleen en maken er geen kopie van.",
        "To handle your request ({reference}) we must be sure that we give your data to you and "
        "to no one else. Could you come to the desk of {practice_name} during opening hours, "
        "with a valid identity document (passport, identity card or driving licence)? We only "
        "look at it and do not copy it.",
    ),
    "in_progress": DefaultText(
        gettext_lazy("We are working on your request"),
        "Wij werken aan uw verzoek ({reference}) van {received_date}. U krijgt ons antwoord "
        "uiterlijk op {due_date}. Heeft u in de tussentijd een vraag, stuur ons dan een "
        "bericht via dit portaal.",
        "We are working on your request ({reference}) of {received_date}. You will have our "
        "answer no later than {due_date}. If you have a question in the meantime, send us a "
        "message through this portal.",
    ),
    "clarify": DefaultText(
        gettext_lazy("Which data or period do you mean?"),
        "Wij willen uw verzoek ({reference}) zo goed mogelijk behandelen. Kunt u ons laten weten "
        "om welke gegevens of welke periode het gaat? Dan kunnen wij u sneller en gerichter "
        "antwoorden.",
        "We want to handle your request ({reference}) as well as we can. Could you let us know "
        "which data or which period you mean? We can then answer you sooner and more precisely.",
    ),
    "answer_ready": DefaultText(
        gettext_lazy("Our answer is ready"),
        "Ons antwoord op uw verzoek ({reference}) staat klaar. U vindt het in dit portaal onder "
        "Mijn verzoeken, met de brief waarin wij onze beslissing uitleggen.",
        "Our answer to your request ({reference}) is ready. You will find it in this portal "
        "under My requests, with the letter in which we explain our decision.",
    ),
}


def adopted(practice: Practice) -> set[str]:
    """The defaults the practice has made its own (and not removed)."""
    return set(
        StandardText.objects.filter(practice=practice, active=True)
        .exclude(origin="")
        .values_list("origin", flat=True)
    )


def adopt(practice: Practice, key: str, *, actor) -> StandardText:
    """A default message text, as the practice's own (to change as it likes)."""
    default = DEFAULTS.get(key)
    if default is None:
        raise TextRefused(_("There is no such standard text."))
    if key in adopted(practice):
        raise TextRefused(_("The practice already uses this text."))
    return write_text(
        practice,
        actor=actor,
        kind=TextKind.MESSAGE,
        title=str(default.title),
        text_nl=default.text_nl,
        text_en=default.text_en,
        origin=key,
    )
