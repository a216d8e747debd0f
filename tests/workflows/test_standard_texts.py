"""A practice's standard texts: its administrator writes them, handlers fill them in for a
request; the practice's paragraphs stand around the letter's own text, which keeps every word the
law requires; placeholders are a fixed list, filled as plain text; HTML and template syntax in a
text stay letters; a letter keeps the paragraph it was sent with."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.html import strip_tags

from requests_app.legal import LegalGround
from requests_app.models import (
    AuditRecord,
    Request,
    StandardText,
    StandardTextVersion,
    TextKind,
)
from requests_app.roles import Role
from tests.factories import decided, make_user
from workflows.casework import actions as casework
from workflows.casework import letters, standard_texts

pytestmark = pytest.mark.django_db

# What a refusal must say (GDPR art. 12(4), 77, 79; UAVG art. 34, 35): docs/legal.md, "Letters".
NL_REQUIRED = [
    "wij wijzen uw verzoek af.",
    "Onze redenen: Inzage zou de privacy van een ander schaden.",
    "De wettelijke grond voor deze beslissing:",
    "Autoriteit Persoonsgegevens",
    "binnen zes weken nadat u dit antwoord heeft ontvangen",
    "geen advocaat nodig (art. 34 en 35 UAVG)",
]
EN_REQUIRED = [
    "we refuse your request.",
    "The legal ground for this decision:",
    "Autoriteit Persoonsgegevens",
    "within six weeks after you received this answer",
    "do not need a lawyer for it (UAVG art. 34 and 35)",
]
OPENING_NL = "Wij begrijpen dat dit antwoord teleurstelt, {patient_name}."
CLOSING_NL = "Bel ons gerust over {reference}: {practice_name} is er op werkdagen van 8 tot 17 uur."


@pytest.fixture
def admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


def paragraph(practice, admin, slot, text_nl, *, letter="", text_en="", title=None):
    return standard_texts.write_text(
        practice,
        actor=admin,
        kind=TextKind.LETTER,
        title=title or f"{slot} {letter}",
        text_nl=text_nl,
        text_en=text_en,
        letter=letter,
        slot=slot,
    )


def refuse(practice, patient, handler, language="nl") -> Request:
    item = decided(practice, patient, handler, kind="access", grant=False)
    Request.objects.filter(pk=item.pk).update(language=language)
    item = Request.objects.get(pk=item.pk)
    return casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason="Inzage zou de privacy van een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )


def letter_named(item, name) -> letters.Letter:
    return next(x for x in letters.letters_of(Request.objects.get(pk=item.pk)) if x.name == name)


def text_of(letter) -> str:
    return " ".join(strip_tags(letters.render_document(letter)).split())


# --- Letters -------------------------------------------------------------------------------
@pytest.mark.parametrize(("language", "required"), [("nl", NL_REQUIRED), ("en", EN_REQUIRED)])
def test_a_refusal_with_the_practices_paragraphs_keeps_every_required_word(
    practice, patient, handler, admin, providers, language, required
):
    paragraph(
        practice,
        admin,
        "opening",
        OPENING_NL,
        letter="refusal",
        text_en="We understand this answer disappoints you, {patient_name}.",
    )
    paragraph(practice, admin, "closing", CLOSING_NL)  # every letter; Dutch only
    item = refuse(practice, patient, handler, language)
    text = text_of(letter_named(item, "refusal"))
    missing = [word for word in required if word not in text]
    assert not missing, (missing, text)
    opening = (
        "Wij begrijpen dat dit antwoord teleurstelt, Jan Jansen."
        if language == "nl"
        else "We understand this answer disappoints you, Jan Jansen."
    )
    closing = (
        f"Bel ons gerust over {item.reference}: Huisartsenpraktijk 01234567 is er op werkdagen "
        "van 8 tot 17 uur."
    )
    # The opening after the salutation, the closing after the court's six weeks, before the end.
    assert text.index("Jan Jansen,") < text.index(opening) < text.index(required[0])
    assert text.index(required[-1]) < text.index(closing) < text.index("Anna de Vries")


def test_a_paragraph_for_one_letter_goes_before_one_for_every_letter(
    practice, patient, handler, admin, providers
):
    paragraph(practice, admin, "opening", "Voor elke brief.")
    paragraph(practice, admin, "opening", "Alleen bij een afwijzing.", letter="refusal")
    item = refuse(practice, patient, handler)
    assert "Alleen bij een afwijzing." in text_of(letter_named(item, "refusal"))
    assert "Voor elke brief." not in text_of(letter_named(item, "refusal"))
    assert "Voor elke brief." in text_of(letter_named(item, "receipt"))


def test_a_letter_keeps_the_paragraph_it_was_sent_with(
    practice, patient, handler, admin, providers
):
    text = paragraph(practice, admin, "closing", "Eerste versie.")
    item = refuse(practice, patient, handler)
    before = letter_named(item, "refusal")
    StandardTextVersion.objects.filter(text=text).update(at=before.event.at)
    later = timezone.now() + datetime.timedelta(seconds=1)
    changed = standard_texts.change_text(
        text, actor=admin, title=text.title, text_nl="Tweede versie."
    )
    StandardTextVersion.objects.filter(text=changed, text_nl="Tweede versie.").update(at=later)
    assert "Eerste versie." in text_of(before)
    assert "Tweede versie." not in text_of(before)
    standard_texts.remove_text(changed, actor=admin)
    assert "Eerste versie." in text_of(letter_named(item, "refusal"))
    # A new letter after the removal has no paragraph.
    fresh = refuse(practice, patient, handler)
    assert "versie." not in text_of(letter_named(fresh, "refusal"))


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert('x')</script><b>vet</b>",
        "{{ item.bsn }} {% now 'Y' %} {% include 'base.html' %}",
    ],
)
def test_html_and_template_syntax_in_a_paragraph_stay_letters(
    practice, patient, handler, admin, providers, hostile
):
    # Saved as the records hold it (the save refuses braces that are not placeholders).
    text = StandardText.objects.create(
        practice=practice, kind=TextKind.LETTER, title="x", slot="closing", text_nl=hostile
    )
    StandardTextVersion.objects.create(text=text, text_nl=hostile)
    item = refuse(practice, patient, handler)
    document = letters.render_document(letter_named(item, "refusal"))
    assert "<script>" not in document and "<b>vet</b>" not in document
    if "{{" in hostile:
        assert "{{ item.bsn }} {% now &#x27;Y&#x27; %}" in document
    else:
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;b&gt;vet&lt;/b&gt;" in document


def test_a_value_that_looks_like_a_placeholder_or_markup_is_filled_as_plain_text(
    practice, patient, handler, admin, providers
):
    paragraph(practice, admin, "opening", "Beste {patient_name}, uw kenmerk is {reference}.")
    item = refuse(practice, patient, handler)
    Request.objects.filter(pk=item.pk).update(patient_name="<i>{reference}</i>")
    document = letters.render_document(letter_named(item, "refusal"))
    assert f"Beste &lt;i&gt;{{reference}}&lt;/i&gt;, uw kenmerk is {item.reference}." in document


# --- Messages ------------------------------------------------------------------------------
def test_a_message_text_is_filled_in_for_the_request_in_the_patients_language(
    practice, patient, handler, admin, providers
):
    text = standard_texts.adopt(practice, "in_progress", actor=admin)
    item = decided(practice, patient, handler, kind="access", grant=False)
    Request.objects.filter(pk=item.pk).update(
        received_at=datetime.datetime(2026, 1, 30, 10, tzinfo=datetime.UTC),
        response_due=datetime.date(2026, 3, 2),
    )
    item = Request.objects.get(pk=item.pk)
    dutch = standard_texts.message_text(text, item)
    assert dutch.startswith(f"Wij werken aan uw verzoek ({item.reference}) van 30 januari 2026.")
    assert "uiterlijk op 2 maart 2026" in dutch
    item.language = "en"
    assert "no later than 2 March 2026" in standard_texts.message_text(text, item)
    # No English: the patient who chose English reads the Dutch.
    text = standard_texts.change_text(text, actor=admin, title=text.title, text_nl="Hallo.")
    assert standard_texts.message_text(text, item) == "Hallo."


# --- Saving: placeholders, roles, the audit log ------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("Beste {patient}", "Unknown placeholder {patient}."),
        ("Beste {{ patient_name }}", "Unknown placeholder { patient_name }."),
        ("{% if x %}ja{% endif %}", "Unknown placeholder {% if x %}."),
        ("Beste {patient_nаme}", "Unknown placeholder {patient_nаme}."),  # a Cyrillic а
        ("Een losse { accolade", "Use curly braces only around a placeholder"),
    ],
)
def test_an_unknown_placeholder_is_refused_with_what_may_be_used(practice, admin, typed, said):
    with translation.override("en"), pytest.raises(standard_texts.TextRefused) as refused:
        standard_texts.write_text(
            practice, actor=admin, kind=TextKind.MESSAGE, title="Test", text_nl=typed
        )
    assert said in refused.value.message
    assert "{patient_name}, {reference}" in refused.value.message
    assert not StandardText.objects.exists()


def test_the_english_text_is_checked_too_and_dutch_is_required(practice, admin):
    with pytest.raises(standard_texts.TextRefused) as refused:
        standard_texts.write_text(
            practice, actor=admin, kind=TextKind.MESSAGE, title="T", text_nl="Ja", text_en="{x}"
        )
    assert refused.value.field == "text_en"
    with pytest.raises(standard_texts.TextRefused) as refused:
        standard_texts.write_text(
            practice, actor=admin, kind=TextKind.MESSAGE, title="T", text_nl="  ", text_en="Yes"
        )
    assert refused.value.field == "text_nl"


def test_one_paragraph_per_place_and_one_text_per_name(practice, admin):
    paragraph(practice, admin, "opening", "Een.", title="Opening")
    with pytest.raises(standard_texts.TextRefused):
        paragraph(practice, admin, "opening", "Twee.", title="Andere opening")
    with pytest.raises(standard_texts.TextRefused):
        standard_texts.write_text(
            practice, actor=admin, kind=TextKind.MESSAGE, title="Opening", text_nl="Drie."
        )
    assert StandardText.objects.count() == 1


@pytest.mark.parametrize("role", [Role.HANDLER, Role.DPO])
def test_only_the_practice_administrator_writes_them(practice, admin, role):
    other = make_user(f"{role}@practice.example", role, practice)
    with pytest.raises(PermissionDenied):
        standard_texts.write_text(
            practice, actor=other, kind=TextKind.MESSAGE, title="T", text_nl="Ja"
        )
    text = standard_texts.adopt(practice, "clarify", actor=admin)
    with pytest.raises(PermissionDenied):
        standard_texts.change_text(text, actor=other, title="T", text_nl="Nee")
    with pytest.raises(PermissionDenied):
        standard_texts.remove_text(text, actor=other)
    assert StandardText.objects.get().text_nl.startswith("Wij willen uw verzoek")


def test_another_practices_administrator_cannot_touch_them(practice, other_practice, admin):
    theirs = make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)
    with pytest.raises(PermissionDenied):
        standard_texts.adopt(practice, "clarify", actor=theirs)
    text = standard_texts.adopt(practice, "clarify", actor=admin)
    with pytest.raises(PermissionDenied):
        standard_texts.change_text(text, actor=theirs, title="T", text_nl="Nee")


def test_every_change_is_versioned_and_audit_logged(practice, admin):
    text = standard_texts.adopt(practice, "answer_ready", actor=admin)
    standard_texts.change_text(text, actor=admin, title="Klaar", text_nl="Klaar: {reference}.")
    standard_texts.remove_text(text, actor=admin)
    records = AuditRecord.objects.filter(object_type="standard_text", object_id=str(text.pk))
    assert list(records.order_by("pk").values_list("event_type", "action")) == [
        ("standard_text.create", "C"),
        ("standard_text.change", "U"),
        ("standard_text.remove", "D"),
    ]
    assert all(r.user_id == admin.pk and r.practice_id_ref == practice.pk for r in records)
    versions = text.versions.order_by("pk")
    assert [(v.text_nl[:6], v.active) for v in versions] == [
        ("Ons an", True),
        ("Klaar:", True),
        ("Klaar:", False),
    ]


def test_a_default_is_adopted_once_and_can_be_adopted_again_after_removal(practice, admin):
    text = standard_texts.adopt(practice, "identity_at_desk", actor=admin)
    assert text.text_en.startswith("To handle your request ({reference})")
    with pytest.raises(standard_texts.TextRefused):
        standard_texts.adopt(practice, "identity_at_desk", actor=admin)
    standard_texts.remove_text(text, actor=admin)
    assert standard_texts.adopt(practice, "identity_at_desk", actor=admin).active


def test_the_defaults_use_only_known_placeholders():
    for default in standard_texts.DEFAULTS.values():
        assert standard_texts.problems(default.text_nl) == []
        assert standard_texts.problems(default.text_en) == []


def test_a_text_removed_in_the_meantime_is_neither_changed_nor_removed_again(practice, admin):
    text = standard_texts.adopt(practice, "clarify", actor=admin)
    standard_texts.remove_text(text, actor=admin)
    with pytest.raises(standard_texts.TextRefused):
        standard_texts.change_text(text, actor=admin, title="Nieuw", text_nl="Nieuw.")
    with pytest.raises(standard_texts.TextRefused):
        standard_texts.remove_text(text, actor=admin)
    assert text.versions.count() == 2
