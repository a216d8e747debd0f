"""The letters a patient receives about a request, read from its history.

Each step the law wants put in writing (a receipt, an extension, a question, a decision) leaves a
RequestEvent; the letter is that event seen by the patient: dated on the day of the step, sent
by the practice, signed by the member of staff who took it (the receipt by the practice itself),
with the practice's FG as contact. Nothing is stored twice: the letter is drawn from the request
and its history whenever it is shown, as a page or as a PDF.

A new letter is one entry in LETTERS and one body template, templates/letters/body/<name>.html,
which receives `item` (the request) and `letter` (a Letter). The practice may add its own
paragraphs before and after the body (standard texts); the body is always printed whole.
"""

import dataclasses
import datetime
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from requests_app.models import Membership, Request, RequestEvent, RequestKind
from requests_app.roles import Role
from workflows.casework import standard_texts

LETTER_CSS = Path(settings.BASE_DIR) / "static" / "css" / "letter.css"


def _data_request(item: Request) -> bool:
    return item.kind != RequestKind.COMPLAINT


def _complaint(item: Request) -> bool:
    return item.kind == RequestKind.COMPLAINT


def _always(item: Request) -> bool:
    return True


def _receipt_facts(item: Request, event: RequestEvent) -> dict:
    """The first deadline, as the receipt states it (before any extension or waiting)."""
    return {"due": item.original_due or item.response_due}


def _extension_facts(item: Request, event: RequestEvent) -> dict:
    """The date the extension set. A later wait that stopped the clock may have moved the
    deadline since; the wait recorded the deadline as it stood when it began."""
    later_wait = item.waits.filter(started_at__gt=event.at).order_by("started_at").first()
    new_due = later_wait.due_before if later_wait and later_wait.due_before else item.response_due
    return {"new_due": new_due, "first_due": item.original_due}


def _question_facts(item: Request, event: RequestEvent) -> dict:
    """The question, and whether the deadline waits for the answer (the waiting period begun
    with the question, in the same transaction)."""
    wait = item.waits.filter(started_at__gte=event.at).order_by("started_at").first()
    return {
        "question": event.note,
        "wait": wait,
        "due": (wait.due_before if wait else None) or item.response_due,
    }


@dataclasses.dataclass(frozen=True)
class LetterKind:
    """What makes a letter: the steps (event actions) that write it, for which requests."""

    title: str | Promise
    actions: tuple[str, ...]
    applies: Callable[[Request], bool] = _always
    # The receipt comes from the practice as such: no member of staff took a step yet.
    signed_by_practice: bool = False
    # More that the body needs, worked out from the request and the event.
    facts: Callable[[Request, RequestEvent], dict] | None = None


# The registry. The name is the body template's and appears in the letter's address.
LETTERS: dict[str, LetterKind] = {
    "receipt": LetterKind(
        _("Confirmation of receipt"),
        ("forward",),
        _data_request,
        signed_by_practice=True,
        facts=_receipt_facts,
    ),
    "complaint_receipt": LetterKind(
        _("Confirmation of receipt of your complaint"),
        ("acknowledge",),
        _complaint,
        facts=_receipt_facts,
    ),
    "extension": LetterKind(_("Extension of the term"), ("extend",), facts=_extension_facts),
    "information": LetterKind(
        _("Request for information"), ("ask_patient",), facts=_question_facts
    ),
    "grant": LetterKind(_("Decision on your request: granted"), ("grant",)),
    "partial_grant": LetterKind(
        _("Decision on your request: partly granted"), ("grant_partially",)
    ),
    "refusal": LetterKind(_("Decision on your request: refused"), ("refuse",)),
    "complaint_decision": LetterKind(_("Decision on your complaint"), ("decide_complaint",)),
    # GDPR art. 12(5): the fee is asked, with its reasons, before any work (templates/letters/body).
    "fee": LetterKind(_("Fee for your request"), ("charge_fee",), _data_request),
    # What was done and whom the practice told (art. 19); a destruction's record (art. 7:455).
    "carried_out": LetterKind(_("Your request has been carried out"), ("fulfil",), _data_request),
}


@dataclasses.dataclass(frozen=True)
class Letter:
    name: str
    kind: LetterKind
    item: Request
    event: RequestEvent
    signatory: str
    signatory_role: str | Promise
    facts: dict

    @property
    def key(self) -> str:
        """The letter's name within its request (in its address): kind and event."""
        return f"{self.name}-{self.event.pk}"

    @property
    def title(self) -> str | Promise:
        return self.kind.title

    @property
    def date(self) -> datetime.date:
        return timezone.localdate(self.event.at)

    @property
    def body_template(self) -> str:
        return f"letters/body/{self.name}.html"

    @property
    def language(self) -> str:
        """The patient's language as given with the request; Dutch otherwise."""
        known = {code for code, _name in settings.LANGUAGES}
        return self.item.language if self.item.language in known else settings.LANGUAGE_CODE

    @property
    def practice(self):
        return self.item.practice

    @property
    def practice_paragraphs(self) -> dict:
        """The practice's own paragraphs (opening, closing) as they stood on the letter's day:
        around the body, never instead of it (workflows.casework.standard_texts)."""
        return standard_texts.letter_paragraphs(self.item, self.name, self.event.at, self.language)


def _roles_at(item: Request, events) -> dict[int, set[str]]:
    """The practice roles of the staff who took these steps: one query for all the letters."""
    actors = {event.actor_id for event in events if event.actor_id}
    roles: dict[int, set[str]] = {}
    for user_id, role in Membership.objects.filter(
        user_id__in=actors, practice_id=item.practice_id
    ).values_list("user_id", "role"):
        roles.setdefault(user_id, set()).add(role)
    return roles


def _signatory(
    item: Request, event: RequestEvent, kind: LetterKind, roles: dict[int, set[str]]
) -> tuple[str, object]:
    """Who signs: the member of staff who took the step, with their role at the practice."""
    if kind.signed_by_practice or event.actor is None:
        return item.practice.name, ""
    user = event.actor
    held = roles.get(user.pk, set())
    role = Role.HANDLER if Role.HANDLER in held else min(held, default="")
    return user.get_full_name() or user.email, Role(role).label if role else ""


def _letters_by_action() -> dict[str, list[tuple[str, LetterKind]]]:
    found: dict[str, list[tuple[str, LetterKind]]] = {}
    for name, kind in LETTERS.items():
        for action in kind.actions:
            found.setdefault(action, []).append((name, kind))
    return found


def _letters_of_event(item: Request, event: RequestEvent, by_action, roles) -> list[Letter]:
    letters = []
    for name, kind in by_action.get(event.action, []):
        if not kind.applies(item):
            continue
        signatory, role = _signatory(item, event, kind, roles)
        facts = kind.facts(item, event) if kind.facts else {}
        letters.append(Letter(name, kind, item, event, signatory, role, facts))
    return letters


def _written_by_this_practice(item: Request):
    """The request's history since it came to its practice: the letters of a practice that sent
    it back were not this practice's (they would show its name as sender) and are not its own
    to show (workflows/intake/send_back.py)."""
    last = item.events.filter(action="send_back").order_by("-at", "-pk").first()
    return item.events.filter(pk__gt=last.pk) if last else item.events.all()


def letters_of(item: Request) -> list[Letter]:
    """The letters of a request, oldest first. A request without a practice has none: there is
    no sender yet."""
    if item.practice_id is None:
        return []
    by_action = _letters_by_action()
    # One query: the steps that write letters and any send-back, which ends the letters before.
    found = list(item.events.filter(action__in=[*by_action, "send_back"]).select_related("actor"))
    backs = [i for i, event in enumerate(found) if event.action == "send_back"]
    events = found[backs[-1] + 1 :] if backs else found
    roles = _roles_at(item, events)
    return [
        letter for event in events for letter in _letters_of_event(item, event, by_action, roles)
    ]


# A history row's number (bigint) has at most 19 digits.
MAX_KEY_DIGITS = 19


def letter_of(item: Request, key: str) -> Letter | None:
    """The request's letter with this key (see Letter.key), or None."""
    name, _sep, number = key.rpartition("-")
    # ASCII digits only: str.isdigit() also accepts "²", which int() cannot read; and no more
    # than a row's number has (int() refuses thousands of digits with a ValueError).
    digits = number.isascii() and number.isdigit() and len(number) <= MAX_KEY_DIGITS
    if item.practice_id is None or name not in LETTERS or not digits:
        return None
    event = _written_by_this_practice(item).filter(pk=int(number)).select_related("actor").first()
    if event is None:
        return None
    found = _letters_of_event(item, event, _letters_by_action(), _roles_at(item, [event]))
    return next((letter for letter in found if letter.name == name), None)


def render_document(letter: Letter) -> str:
    """The letter as a standalone HTML document in its language (what the PDF is made of)."""
    with translation.override(letter.language):
        return render_to_string(
            "letters/document.html",
            {"letter": letter, "item": letter.item, "portal_url": settings.PORTAL_BASE_URL},
        )


def render_pdf(letter: Letter) -> bytes:
    """The letter as a PDF. Everything it needs is in the document and the letter's style
    sheet: fetching anything else (a file, an address) is refused."""
    import weasyprint  # slow to import, and only letters need it

    no_fetching = weasyprint.urls.URLFetcher(allowed_protocols=())
    return weasyprint.HTML(string=render_document(letter), url_fetcher=no_fetching).write_pdf(
        stylesheets=[weasyprint.CSS(string=LETTER_CSS.read_text(), url_fetcher=no_fetching)]
    )


def pdf_filename(letter: Letter) -> str:
    return f"{letter.item.reference}-{letter.name.replace('_', '-')}.pdf"
