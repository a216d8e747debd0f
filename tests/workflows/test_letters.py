"""The letters a patient receives, read word for word in Dutch and English: what the law makes the
practice say (the terms, the articles, where to complain, the six weeks for the court) and who
says it. Dates are worked out by hand: a request received on Friday 30 January 2026 is due one
month later, on 28 February, a Saturday, so on Monday 2 March 2026; extended, three months after
receipt: Thursday 30 April 2026 (docs/legal.md, "Letters")."""

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils.html import strip_tags

from requests_app.legal import LegalGround
from requests_app.lifecycle import perform_transition
from requests_app.models import Request, RequestEvent
from tests.factories import decided, forwarded, submit, with_complaint_settings
from workflows.casework import actions as casework
from workflows.casework import deadlines, letters
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
RECEIVED = datetime.datetime(2026, 1, 30, 10, 0, tzinfo=AMSTERDAM)
FIRST_DUE = datetime.date(2026, 3, 2)
EXTENDED_DUE = datetime.date(2026, 4, 30)
# A complaint: six weeks, Friday 13 March 2026; four more, Friday 10 April (after Easter).
COMPLAINT_DUE = datetime.date(2026, 3, 13)
COMPLAINT_EXTENDED_DUE = datetime.date(2026, 4, 10)


def test_the_hand_worked_dates_are_the_calendars():
    assert deadlines.response_due("access", RECEIVED) == FIRST_DUE
    assert deadlines.response_due("access", RECEIVED, extended=True) == EXTENDED_DUE
    assert deadlines.response_due("complaint", RECEIVED) == COMPLAINT_DUE
    assert deadlines.response_due("complaint", RECEIVED, extended=True) == COMPLAINT_EXTENDED_DUE


@pytest.fixture
def named_handler(handler):
    handler.first_name, handler.last_name = "Petra", "de Boer"
    handler.save()
    return handler


def fresh(item) -> Request:
    return Request.objects.get(pk=item.pk)


def received_on_30_january(item, language="nl", **more) -> Request:
    """The request as if it came in on 30 January 2026 (its letters read their dates from it)."""
    Request.objects.filter(pk=item.pk).update(
        received_at=RECEIVED, response_due=FIRST_DUE, language=language, **more
    )
    return fresh(item)


def dated(item, action: str, day: datetime.date) -> None:
    RequestEvent.objects.filter(request=item, action=action).update(
        at=datetime.datetime.combine(day, datetime.time(11, 0), tzinfo=AMSTERDAM)
    )


def the_letter(item, name: str) -> letters.Letter:
    found = [letter for letter in letters.letters_of(fresh(item)) if letter.name == name]
    assert len(found) == 1, [letter.name for letter in letters.letters_of(fresh(item))]
    return found[0]


def text_of(letter: letters.Letter) -> str:
    """What the patient reads: the letter's words, without markup or line breaks."""
    return " ".join(strip_tags(letters.render_document(letter)).split())


def reads(letter: letters.Letter, *words: str) -> None:
    text = text_of(letter)
    missing = [word for word in words if word not in text]
    assert not missing, (missing, text)


# --- The frame: sender, date, reference, addressee, signatory, FG ------------------------------
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Ontvangstbevestiging",
                "Datum 2 februari 2026",
                "AGB-code 01234567",
                "Geachte Jan Jansen,",
                "Wij hebben uw verzoek (inzage) van 30 januari 2026 ontvangen.",
                "Wij beantwoorden uw verzoek uiterlijk op 2 maart 2026",
                "een maand na ontvangst (art. 12 lid 3 AVG)",
                "eenmaal met ten hoogste twee maanden verlengen",
                "Met vriendelijke groet, Huisartsenpraktijk 01234567",
                "Onze functionaris voor gegevensbescherming (FG) is Anna de Vries.",
            ],
        ),
        (
            "en",
            [
                "Confirmation of receipt",
                "Date 2 February 2026",
                "Dear Jan Jansen,",
                "We have received your request (access) of 30 January 2026.",
                "We will answer you no later than 2 March 2026",
                "one month from receipt (GDPR art. 12(3))",
                "once by at most two months",
                "Kind regards, Huisartsenpraktijk 01234567",
                "Our data protection officer (FG) is Anna de Vries.",
            ],
        ),
    ],
)
def test_the_receipt_comes_from_the_practice_with_the_first_term(
    practice, patient, providers, language, words
):
    item = received_on_30_january(forwarded(submit(practice, patient)), language)
    dated(item, "forward", datetime.date(2026, 2, 2))
    letter = the_letter(item, "receipt")
    reads(
        letter,
        *words,
        "Huisartsenpraktijk 01234567 Lindelaan 1 3511 AB Utrecht",
        item.reference,
        "fg-01234567@practice.example",
        "+31612345678",
    )
    assert letter.signatory == practice.name and letter.signatory_role == ""


# --- Refusal and partial grant: ground, AP, the court within six weeks ----------------------------
NL_COURT = [
    "Onze redenen: Inzage zou de privacy van een ander schaden.",
    "De wettelijke grond voor deze beslissing:",
    "(art. 15 lid 4 en 20 lid 4 AVG; art. 41 lid 1 onder i UAVG)",
    "Autoriteit Persoonsgegevens",
    "binnen zes weken nadat u dit antwoord heeft ontvangen",
    "geen advocaat nodig (art. 34 en 35 UAVG)",
]
EN_COURT = [
    "Our reasons: Inzage zou de privacy van een ander schaden.",
    "The legal ground for this decision:",
    "(GDPR art. 15(4) and 20(4); UAVG art. 41(1)(i))",
    "Autoriteit Persoonsgegevens",
    "district court (rechtbank)",
    "within six weeks after you received this answer",
    "do not need a lawyer for it (UAVG art. 34 and 35)",
]


@pytest.mark.parametrize(
    ("action", "name", "language", "words"),
    [
        (
            "refuse",
            "refusal",
            "nl",
            [
                "Beslissing op uw verzoek: afgewezen",
                "wij wijzen uw verzoek af.",
                *NL_COURT,
                "Behandelaar van verzoeken",
            ],
        ),
        (
            "refuse",
            "refusal",
            "en",
            [
                "Decision on your request: refused",
                "we refuse your request.",
                *EN_COURT,
                "Request handler",
            ],
        ),
        (
            "grant_partially",
            "partial_grant",
            "nl",
            ["wij willigen uw verzoek gedeeltelijk in.", *NL_COURT],
        ),
        ("grant_partially", "partial_grant", "en", ["we grant part of your request.", *EN_COURT]),
    ],
)
def test_a_refusal_names_its_ground_the_authority_and_the_six_week_court_term(
    practice, patient, named_handler, providers, action, name, language, words
):
    item = decided(practice, patient, named_handler, kind="access", grant=False)
    received_on_30_january(item, language)
    casework.act(
        fresh(item),
        action,
        actor=named_handler,
        version=fresh(item).version,
        reason="Inzage zou de privacy van een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )
    letter = the_letter(item, name)
    reads(letter, *words, "Petra de Boer")
    assert letter.signatory == "Petra de Boer"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "wij willigen uw verzoek in.",
                "Onze toelichting: U krijgt een kopie.",
                "kopie van uw gegevens",
                "art. 15 lid 3 en 20 AVG",
            ],
        ),
        (
            "en",
            [
                "we grant your request.",
                "Our explanation: U krijgt een kopie.",
                "a copy of your data",
                "GDPR art. 15(3) and 20",
            ],
        ),
    ],
)
def test_a_grant_of_access_tells_how_the_copy_comes(
    practice, patient, named_handler, providers, language, words
):
    item = decided(practice, patient, named_handler, kind="access", grant=False)
    received_on_30_january(item, language)
    casework.act(
        fresh(item),
        "grant",
        actor=named_handler,
        version=fresh(item).version,
        reason="U krijgt een kopie.",
    )
    reads(the_letter(item, "grant"), *words)


# --- Extension: the article, the longest term, why, the new date, the AP -------------------------
def extended_on_10_february(item, handler, language, reason):
    """Extended within the first term; the dates then moved to the hand-worked ones."""
    item = casework.act(item, "extend", actor=handler, version=item.version, reason=reason)
    dated(item, "extend", datetime.date(2026, 2, 10))
    Request.objects.filter(pk=item.pk).update(
        received_at=RECEIVED, original_due=FIRST_DUE, response_due=EXTENDED_DUE, language=language
    )
    return fresh(item)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Verlenging van de termijn",
                "Artikel 12 lid 3 van de Algemene verordening gegevensbescherming (AVG)",
                "met ten hoogste twee maanden",
                "Waarom wij meer tijd nodig hebben: Uw gegevens staan in drie systemen.",
                "U ontvangt ons antwoord uiterlijk op 30 april 2026.",
                "De eerste termijn liep tot 2 maart 2026.",
                "klacht indienen bij de Autoriteit Persoonsgegevens",
            ],
        ),
        (
            "en",
            [
                "Extension of the term",
                "Article 12(3) of the General Data Protection Regulation (GDPR)",
                "by at most two months",
                "Why we need more time: Uw gegevens staan in drie systemen.",
                "You will receive our answer no later than 30 April 2026.",
                "The first term ran until 2 March 2026.",
                "lodge a complaint with the Dutch Data Protection Authority",
            ],
        ),
    ],
)
def test_an_extension_states_the_article_the_reason_and_the_new_date(
    practice, patient, named_handler, providers, language, words
):
    item = forwarded(submit(practice, patient))
    extended_on_10_february(
        fresh(item), named_handler, language, "Uw gegevens staan in drie systemen."
    )
    letter = the_letter(item, "extension")
    reads(letter, *words, "Petra de Boer")
    assert letter.date == datetime.date(2026, 2, 10) < FIRST_DUE  # told within the first term


@pytest.fixture
def complaint(practice, patient, providers):
    with_complaint_settings(practice)
    return forwarded(
        submit(practice, patient, kind="complaint", description="Ik werd onheus bejegend.")
    )


@pytest.mark.parametrize(
    ("language", "words", "not_said"),
    [
        (
            "nl",
            [
                "Artikel 17 lid 2 van de Wkkgz",
                "met ten hoogste vier weken te verlengen als een zorgvuldig onderzoek van de "
                "klacht dat vraagt.",
                "U ontvangt onze beslissing uiterlijk op 10 april 2026.",
                "De eerste termijn liep tot 13 maart 2026.",
                "Mw. K. Klacht",
                "klachten@praktijk.example",
            ],
            "Autoriteit Persoonsgegevens",
        ),
        (
            "en",
            [
                "Article 17(2) of the Wkkgz",
                "by at most four weeks when a careful investigation of the complaint requires it.",
                "You will receive our decision no later than 10 April 2026.",
                "The first term ran until 13 March 2026.",
                "Mw. K. Klacht",
                "030 123 45 67",
            ],
            "Data Protection Authority",
        ),
    ],
)
def test_a_complaint_is_extended_under_the_wkkgz(complaint, handler, language, words, not_said):
    item = casework.act(
        fresh(complaint), "acknowledge", actor=handler, version=fresh(complaint).version
    )
    item = casework.act(
        item, "extend", actor=handler, version=item.version, reason="Wij horen de assistente nog."
    )
    Request.objects.filter(pk=item.pk).update(
        received_at=RECEIVED,
        original_due=COMPLAINT_DUE,
        response_due=COMPLAINT_EXTENDED_DUE,
        language=language,
    )
    letter = the_letter(item, "extension")
    reads(letter, *words)
    assert not_said not in text_of(letter)  # a complaint about care is not the AP's


def test_the_patient_is_emailed_the_statute_and_the_new_date_of_an_extension(
    practice, patient, handler, providers
):
    item = forwarded(submit(practice, patient))
    item = casework.act(
        item, "extend", actor=handler, version=item.version, reason="Geheim detail."
    )
    mail = Notification.objects.filter(request=item, purpose=Purpose.PATIENT_UPDATE).get()
    new_due = f"{item.response_due.day} "  # the day, then the Dutch month
    assert "meer tijd nodig" in mail.subject
    assert (
        "met ten hoogste twee maanden verlengd, op grond van artikel 12 lid 3 van de AVG"
        in mail.body
    )
    assert f"De nieuwe datum is {new_due}" in mail.body
    assert "Autoriteit Persoonsgegevens" in mail.body
    assert "Geheim detail" not in mail.body  # the reasons are in the letter, behind sign-in


# --- A question to the patient ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Verzoek om informatie",
                "hebben wij meer informatie van u nodig. Onze vraag: Over welke periode?",
                "staat de termijn voor ons antwoord stil",
                "Waarom wij deze informatie nodig hebben: Wij kunnen u anders niet identificeren.",
            ],
        ),
        (
            "en",
            [
                "Request for information",
                "we need more information from you. Our question: Over welke periode?",
                "the term for our answer is suspended",
                "Why we need this information: Wij kunnen u anders niet identificeren.",
            ],
        ),
    ],
)
def test_a_question_says_whether_the_term_waits(
    practice, patient, named_handler, providers, language, words
):
    item = forwarded(submit(practice, patient))
    item = casework.act(item, "acknowledge", actor=named_handler, version=item.version)
    casework.act(
        item,
        "ask_patient",
        actor=named_handler,
        version=item.version,
        note="Over welke periode?",
        stops_clock=True,
        clock_reason="Wij kunnen u anders niet identificeren.",
    )
    Request.objects.filter(pk=item.pk).update(language=language)
    letter = the_letter(item, "information")
    reads(letter, *words, "Petra de Boer")
    assert "identificeren.." not in text_of(letter)


# --- Complaints: the officer at receipt; the disputes body and the other routes at the decision
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Ontvangstbevestiging van uw klacht",
                "binnen zes weken na ontvangst (art. 17 lid 1 Wkkgz)",
                "Gratis advies van onze klachtenfunctionaris",
                "Onze klachtenfunctionaris, Mw. K. Klacht, kan u kosteloos adviseren",
                "u helpen die onder woorden te brengen en u ondersteunen bij het zoeken naar een "
                "oplossing (art. 15 Wkkgz)",
                "E-mail: klachten@praktijk.example",
                "Telefoon: 030 123 45 67",
            ],
        ),
        (
            "en",
            [
                "Confirmation of receipt of your complaint",
                "within six weeks of receipt (Wkkgz art. 17(1))",
                "Our complaints officer, Mw. K. Klacht, can advise you free of charge",
                "help you put it into words and support you in looking for a solution "
                "(Wkkgz art. 15)",
                "E-mail: klachten@praktijk.example",
                "Telephone: 030 123 45 67",
            ],
        ),
    ],
)
def test_the_complaint_receipt_names_the_complaints_officer_and_how_to_reach_them(
    complaint, named_handler, language, words
):
    item = received_on_30_january(complaint, language)
    casework.act(item, "acknowledge", actor=named_handler, version=item.version)
    letter = the_letter(item, "complaint_receipt")
    reads(letter, *words, "Petra de Boer")
    assert "receipt" not in [x.name for x in letters.letters_of(fresh(item))]  # one receipt


def decide(item, handler, **more):
    item = casework.act(fresh(item), "acknowledge", actor=handler, version=fresh(item).version)
    item = casework.act(item, "investigate", actor=handler, version=item.version)
    return casework.act(
        item,
        "decide_complaint",
        actor=handler,
        version=item.version,
        verdict="partly_founded",
        reason="De assistente had u moeten terugbellen.",
        measures="Een terugbelafspraak voor de assistentes.",
        measures_due=datetime.date(2027, 1, 15),
        **more,
    )


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Beslissing op uw klacht",
                "Onze beslissing: uw klacht is gedeeltelijk gegrond.",
                "Wij nemen deze maatregelen: Een terugbelafspraak",
                "Deze maatregelen zijn uiterlijk op 15 januari 2027 uitgevoerd "
                "(art. 17 lid 1 Wkkgz).",
                "waarbij wij zijn aangesloten: Geschilleninstantie Huisartsenzorg.",
                "Haar uitspraak is bindend, voor u en voor ons (art. 18 en 19 Wkkgz)",
                "Postbus 1, 3500 AA Utrecht",
                "https://geschillen.example",
                "U kunt de zaak ook aan de burgerlijke rechter voorleggen.",
                "Een klacht over het beroepsmatig handelen van een individuele zorgverlener die "
                "in het BIG-register staat, zoals uw huisarts, kunt u indienen bij het Regionaal "
                "Tuchtcollege voor de Gezondheidszorg (www.tuchtcollege-gezondheidszorg.nl) "
                "(art. 47 en 65 Wet BIG).",
                "U kunt uw ervaring melden bij het Landelijk Meldpunt Zorg van de Inspectie "
                "Gezondheidszorg en Jeugd (IGJ), www.landelijkmeldpuntzorg.nl.",
                "beslist niet over afzonderlijke klachten",
                "Mw. K. Klacht, kan u ook nu kosteloos adviseren (art. 15 Wkkgz)",
            ],
        ),
        (
            "en",
            [
                "Decision on your complaint",
                "Our decision: your complaint is partly founded.",
                "We will take these measures: Een terugbelafspraak",
                "These measures will have been carried out by 15 January 2027 (Wkkgz art. 17(1)).",
                "disputes body we are affiliated with: Geschilleninstantie Huisartsenzorg.",
                "Its ruling is binding, on you and on us (Wkkgz art. 18 and 19)",
                "Postbus 1, 3500 AA Utrecht",
                "https://geschillen.example",
                "You can also take the matter to the civil court.",
                "A complaint about the professional conduct of an individual care provider who is "
                "registered in the BIG register, such as your GP, can be filed with the Regional "
                "Disciplinary Board for Health Care (Regionaal Tuchtcollege voor de "
                "Gezondheidszorg, www.tuchtcollege-gezondheidszorg.nl) (Wet BIG art. 47 and 65).",
                "You can report your experience to the Landelijk Meldpunt Zorg of the Health and "
                "Youth Care Inspectorate (IGJ), www.landelijkmeldpuntzorg.nl.",
                "does not decide on individual complaints",
                "Mw. K. Klacht, can still advise you free of charge (Wkkgz art. 15)",
            ],
        ),
    ],
)
def test_the_complaint_decision_names_the_disputes_body_and_the_other_routes(
    complaint, named_handler, language, words
):
    Request.objects.filter(pk=complaint.pk).update(language=language)
    decide(complaint, named_handler)
    letter = the_letter(complaint, "complaint_decision")
    reads(letter, *words, "Petra de Boer")
    assert "Autoriteit Persoonsgegevens" not in text_of(letter)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Uw klacht gaat over de manier waarop met uw persoonsgegevens is omgegaan.",
                "klacht indienen bij de Autoriteit Persoonsgegevens",
                "naar de rechter stappen (art. 77 en 79 AVG)",
            ],
        ),
        (
            "en",
            [
                "Your complaint is about how your personal data were handled.",
                "lodge a complaint about it with the Dutch Data Protection Authority",
                "go to court (GDPR art. 77 and 79)",
            ],
        ),
    ],
)
def test_a_complaint_about_personal_data_also_names_the_authority_and_the_court(
    practice, patient, handler, providers, language, words
):
    with_complaint_settings(practice)
    item = forwarded(submit(practice, patient, kind="complaint", about_processor=True))
    Request.objects.filter(pk=item.pk).update(language=language)
    decide(item, handler)
    for name in ("complaint_receipt", "complaint_decision"):
        reads(the_letter(item, name), *words)


# --- Which letters, in which order; the registry ------------------------------------------------
def test_a_request_has_one_letter_per_step_the_law_puts_in_writing(
    practice, patient, named_handler, providers
):
    item = decided(practice, patient, named_handler, kind="access", grant=False)
    item = casework.act(item, "extend", actor=named_handler, version=item.version, reason="Drukte.")
    item = casework.act(item, "ask_patient", actor=named_handler, version=item.version, note="?")
    item = perform_transition(item, "resume", actor=named_handler)
    casework.act(item, "grant", actor=named_handler, version=item.version)
    found = letters.letters_of(fresh(item))
    assert [x.name for x in found] == ["receipt", "extension", "information", "grant"]
    assert [x.signatory for x in found] == [practice.name] + ["Petra de Boer"] * 3
    assert letters.letter_of(fresh(item), found[-1].key).event == found[-1].event
    for wrong in (
        "grant",
        f"refusal-{found[-1].event.pk}",
        "grant-x",
        f"grant-{found[0].event.pk}",
    ):
        assert letters.letter_of(fresh(item), wrong) is None


def test_a_request_not_yet_with_a_practice_has_no_letters(patient, providers):
    item = submit(None, patient, practice_given="Dokter Jansen, Zwolle")
    assert letters.letters_of(fresh(item)) == []


def test_a_new_letter_is_one_registry_entry(practice, patient, handler, providers, monkeypatch):
    """Another letter needs only an entry and a body template."""
    monkeypatch.setitem(letters.LETTERS, "noted", letters.LetterKind("Genoteerd", ("fulfil",)))
    item = decided(practice, patient, handler, kind="access")
    item = casework.act(item, "fulfil", actor=handler, version=item.version)
    assert [x.name for x in letters.letters_of(item)][-2:] == ["carried_out", "noted"]


# --- Destruction of the medical file (Civil Code art. 7:455) and the fee (GDPR art. 12(5)) -----
# Received Friday 30 January 2026: three months later is Thursday 30 April 2026, a working day.
DESTRUCTION_DUE = datetime.date(2026, 4, 30)
DESTROYED = {
    "destroyed_what": "Medisch dossier, alle regels tot en met 1 maart 2026",
    "destroyed_where": "HIS Medicom",
    "destroyed_on": datetime.date(2026, 3, 5),
}


@pytest.mark.parametrize(
    ("language", "words", "not_said"),
    [
        (
            "nl",
            [
                "uiterlijk op 30 april 2026",
                "drie maanden na ontvangst om uw medisch dossier te vernietigen "
                "(art. 7:455 lid 1 BW)",
                "Deze termijn kan niet worden verlengd.",
                "Vernietiging is definitief",
            ],
            "art. 12 lid 3 AVG",
        ),
        (
            "en",
            [
                "no later than 30 April 2026",
                "three months from receipt to destroy your medical file (Civil Code art. 7:455(1))",
                "This term cannot be extended.",
                "Destruction is final",
            ],
            "GDPR art. 12(3)",
        ),
    ],
)
def test_the_receipt_of_a_destruction_states_three_months_without_extension_and_finality(
    practice, patient, providers, language, words, not_said
):
    assert deadlines.response_due("destruction", RECEIVED) == DESTRUCTION_DUE
    item = forwarded(submit(practice, patient, kind="destruction"))
    item = received_on_30_january(item, language)
    Request.objects.filter(pk=item.pk).update(response_due=DESTRUCTION_DUE)
    receipt = the_letter(item, "receipt")
    reads(receipt, *words)
    assert not_said not in text_of(receipt)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Uw verzoek is uitgevoerd",
                "Wat is vernietigd: Medisch dossier, alle regels tot en met 1 maart 2026",
                "Waar: HIS Medicom",
                "Vernietigd op 5 maart 2026 (art. 7:455 lid 1 BW)",
                "Autoriteit Persoonsgegevens",
            ],
        ),
        (
            "en",
            [
                "Your request has been carried out",
                "What was destroyed: Medisch dossier, alle regels tot en met 1 maart 2026",
                "Where: HIS Medicom",
                "Destroyed on 5 March 2026 (Civil Code art. 7:455(1))",
            ],
        ),
    ],
)
def test_a_carried_out_destruction_says_what_was_destroyed_where_and_when(
    practice, patient, named_handler, providers, language, words
):
    item = decided(practice, patient, named_handler, kind="destruction")
    item = casework.act(item, "fulfil", actor=named_handler, version=item.version, **DESTROYED)
    Request.objects.filter(pk=item.pk).update(language=language)
    done = the_letter(item, "carried_out")
    assert done.signatory == "Petra de Boer"
    reads(done, *words)
    # The portal keeps no art. 19 notices for the medical file: the letter claims none.
    assert "art. 19" not in text_of(done)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Beslissing op uw verzoek: ingewilligd",
                "Wij hebben op uw verzoek (vernietiging van het medisch dossier) van 30 januari "
                "2026 beslist: wij willigen uw verzoek in.",
                "Wij vernietigen uw medisch dossier uiterlijk op 30 april 2026 (art. 7:455 lid 1 "
                "BW). Vernietiging is definitief.",
                "ontvangt u een brief waarin staat wat is vernietigd, waar en wanneer.",
            ],
        ),
        (
            "en",
            [
                "Decision on your request: granted",
                "We have decided on your request (destruction of the medical file) of 30 January "
                "2026: we grant your request.",
                "We will destroy your medical file no later than 30 April 2026 (Civil Code art. "
                "7:455(1)). Destruction is final.",
                "you will receive a letter saying what was destroyed, where and when.",
            ],
        ),
    ],
)
def test_a_granted_destruction_gives_the_date_and_says_it_is_final(
    practice, patient, named_handler, providers, language, words
):
    item = decided(practice, patient, named_handler, kind="destruction", grant=False)
    received_on_30_january(item, language)
    Request.objects.filter(pk=item.pk).update(response_due=DESTRUCTION_DUE)
    casework.act(fresh(item), "grant", actor=named_handler, version=fresh(item).version)
    reads(the_letter(item, "grant"), *words, "Petra de Boer")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "De wettelijke grond voor deze beslissing: Het is redelijkerwijs aannemelijk dat "
                "bewaring van het dossier van aanmerkelijk belang is voor een ander dan de "
                "patiënt (art. 7:455 lid 2 BW)",
                "binnen zes weken nadat u dit antwoord heeft ontvangen",
            ],
        ),
        (
            "en",
            [
                "The legal ground for this decision: Keeping the record is reasonably likely to "
                "be of considerable importance to someone other than the patient (Civil Code "
                "art. 7:455(2))",
                "within six weeks after you received this answer",
            ],
        ),
    ],
)
def test_a_refused_destruction_names_article_7_455_2(
    practice, patient, named_handler, providers, language, words
):
    item = decided(practice, patient, named_handler, kind="destruction", grant=False)
    received_on_30_january(item, language)
    casework.act(
        fresh(item),
        "refuse",
        actor=named_handler,
        version=fresh(item).version,
        reason="Uw dochter heeft de gegevens nodig voor haar eigen behandeling.",
        legal_ground=LegalGround.WGBO_OTHERS_INTEREST,
    )
    reads(the_letter(item, "refusal"), *words)
    assert "7:454" not in text_of(the_letter(item, "refusal"))


@pytest.mark.parametrize(
    ("kind", "language", "words"),
    [
        (
            "erasure",
            "nl",
            [
                "Wij voeren uw verzoek zonder onredelijke vertraging uit en laten de ontvangers "
                "van uw gegevens dat weten, tenzij dat onmogelijk blijkt of onevenredig veel "
                "inspanning kost (art. 19 AVG).",
            ],
        ),
        (
            "erasure",
            "en",
            [
                "We will carry out your request without undue delay and tell the recipients of "
                "your data about it, unless that proves impossible or takes disproportionate "
                "effort (GDPR art. 19).",
            ],
        ),
        (
            "objection",
            "nl",
            [
                "Wij verwerken uw gegevens niet langer voor het doel waartegen u bezwaar heeft "
                "gemaakt (art. 21 AVG).",
            ],
        ),
        (
            "objection",
            "en",
            ["We will stop processing your data for the purpose you objected to (GDPR art. 21)."],
        ),
    ],
)
def test_a_grant_says_what_follows_for_the_right(
    practice, patient, handler, providers, kind, language, words
):
    item = decided(practice, patient, handler, kind=kind, grant=False)
    received_on_30_january(item, language)
    casework.act(fresh(item), "grant", actor=handler, version=fresh(item).version)
    reads(the_letter(item, "grant"), *words)


@pytest.mark.parametrize(
    ("language", "words", "not_said"),
    [
        (
            "nl",
            [
                "Uw verzoek is uitgevoerd",
                "Wij hebben uw verzoek (inzage) van 30 januari 2026 uitgevoerd.",
                "U kunt de kopie van uw gegevens downloaden in het portaal, onder Mijn verzoeken, "
                "met een code die wij per sms naar uw mobiele nummer sturen (art. 15 lid 3 en 20 "
                "AVG).",
                "Vindt u dat uw verzoek niet goed is uitgevoerd, dan kunt u een klacht indienen "
                "bij de Autoriteit Persoonsgegevens (www.autoriteitpersoonsgegevens.nl) "
                "(art. 77 AVG).",
            ],
            "ontvangers",
        ),
        (
            "en",
            [
                "Your request has been carried out",
                "We have carried out your request (access) of 30 January 2026.",
                "You can download the copy of your data in the portal, under My requests, with a "
                "code that we send by SMS to your mobile number (GDPR art. 15(3) and 20).",
                "If you believe that your request has not been carried out properly, you may "
                "lodge a complaint with the Dutch Data Protection Authority (Autoriteit "
                "Persoonsgegevens, www.autoriteitpersoonsgegevens.nl) (GDPR art. 77).",
            ],
            "recipients",
        ),
    ],
)
def test_a_carried_out_access_says_where_the_copy_is_downloaded(
    practice, patient, named_handler, providers, language, words, not_said
):
    item = decided(practice, patient, named_handler, kind="access")
    received_on_30_january(item, language)
    casework.act(fresh(item), "fulfil", actor=named_handler, version=fresh(item).version)
    done = the_letter(item, "carried_out")
    reads(done, *words, "Petra de Boer")
    assert not_said not in text_of(done)  # recipients are told of changes, not of a copy


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "Vergoeding voor uw verzoek",
                "Wij vinden uw verzoek kennelijk ongegrond of buitensporig. Voordat wij uw "
                "verzoek behandelen, vragen wij u een vergoeding van € 12,50 te betalen "
                "(art. 12 lid 5 AVG).",
                "Waarom wij uw verzoek kennelijk ongegrond of buitensporig vinden: Derde gelijke "
                "verzoek deze maand.",
                "Hoe het bedrag volgt uit de administratieve kosten: Een half uur werk van de "
                "assistente.",
                "Wilt u niet betalen, dan kunt u uw verzoek intrekken; u betaalt dan niets.",
                "Wij moeten kunnen aantonen dat uw verzoek kennelijk ongegrond of buitensporig "
                "is (art. 12 lid 5 AVG).",
                "Autoriteit Persoonsgegevens",
                "binnen zes weken nadat u dit antwoord heeft ontvangen",
                "(art. 34 en 35 UAVG)",
            ],
        ),
        (
            "en",
            [
                "Fee for your request",
                "We consider your request manifestly unfounded or excessive. Before we handle "
                "your request, we ask you to pay a fee of € 12.50 (GDPR art. 12(5)).",
                "Why we consider your request manifestly unfounded or excessive: Derde gelijke "
                "verzoek deze maand.",
                "If you do not want to pay, you can withdraw your request; you then pay nothing.",
                "We must be able to show that your request is manifestly unfounded or excessive "
                "(GDPR art. 12(5)).",
                "Dutch Data Protection Authority",
                "within six weeks after you received this answer",
                "(UAVG art. 34 and 35)",
            ],
        ),
    ],
)
def test_a_fee_is_asked_in_a_letter_with_the_six_week_court_term(
    practice, patient, handler, providers, language, words
):
    from decimal import Decimal

    item = decided(practice, patient, handler, kind="access", grant=False)
    Request.objects.filter(pk=item.pk).update(language=language)
    item = fresh(item)
    casework.act(
        item,
        "charge_fee",
        actor=handler,
        version=item.version,
        amount=Decimal("12.50"),
        justification="Derde gelijke verzoek deze maand.",
        cost_basis="Een half uur werk van de assistente.",
    )
    reads(the_letter(item, "fee"), *words)


# --- The PDF -------------------------------------------------------------------------------------
def test_the_pdf_is_a_real_pdf_with_the_letter_in_it(practice, patient, handler, providers):
    import pypdf

    item = decided(practice, patient, handler, kind="access", grant=False)
    casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason="Zou een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )
    pdf = letters.render_pdf(the_letter(item, "refusal"))
    assert pdf.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    assert item.reference in text
    assert "binnen zes weken" in text and "Anna de Vries" in text


def test_the_letters_of_a_request_cost_the_same_few_queries_however_many_steps(
    practice, patient, named_handler, providers, django_assert_max_num_queries
):
    """One query for the steps and one for the signatories' roles, not one per letter."""
    item = decided(practice, patient, named_handler, kind="access", grant=False)
    item = casework.act(item, "grant", actor=named_handler, version=item.version)
    casework.act(item, "fulfil", actor=named_handler, version=item.version)
    item = fresh(item)
    with django_assert_max_num_queries(3):  # the steps, the roles, the practice (the sender)
        found = letters.letters_of(item)
    assert [x.name for x in found] == ["receipt", "grant", "carried_out"]
    assert [str(x.signatory_role) for x in found][1:] == ["Behandelaar van verzoeken"] * 2
