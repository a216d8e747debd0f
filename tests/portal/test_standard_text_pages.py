"""The standard texts' pages: the practice administrator writes a text with a preview and adopts a
ready-made one; a handler picks a message text on the request page and the box holds it filled in;
the patient reads the practice's paragraph in the letter, on the page and in the PDF. Other roles
are refused, another practice's texts are a recorded 404, bad input a 400 with nothing saved."""

import io
import re

import pytest

from requests_app.legal import LegalGround
from requests_app.models import (
    AuditOutcome,
    AuditRecord,
    Request,
    RequestMessage,
    StandardText,
    TextKind,
)
from requests_app.roles import Role
from tests.factories import decided, make_user
from workflows.casework import actions as casework
from workflows.casework import letters, standard_texts
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


@pytest.fixture
def other_admin(other_practice):
    return make_user("beheer@elders.example", Role.PRACTICE_ADMIN, other_practice)


@pytest.fixture
def in_progress(practice, patient, handler, providers):
    return decided(practice, patient, handler, kind="access", grant=False)


def page(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_administrator_previews_and_saves_a_message_text(client, practice, admin):
    client.force_login(admin)
    listing = page(client.get(f"/staff/texts/{practice.pk}/"))
    assert "Standaardteksten" in listing and "Nog geen berichtteksten." in listing
    url = f"/staff/texts/{practice.pk}/new/message/"
    typed = {
        "title": "Balie",
        "text_nl": "Beste {patient_name}, kom langs bij {practice_name}.",
        "text_en": "",
        "preview": "1",
    }
    preview = page(client.post(url, typed))
    assert "Voorbeeld met voorbeeldgegevens" in preview
    assert "Beste J. de Vries, kom langs bij Huisartsenpraktijk 01234567." in preview
    assert not StandardText.objects.exists()  # a preview saves nothing
    response = client.post(url, typed | {"save": "1"})
    text = StandardText.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/texts/edit/{text.pk}/"
    assert "Balie" in page(client.get(f"/staff/texts/{practice.pk}/"))
    assert AuditRecord.objects.filter(event_type="standard_text.create", user=admin).count() == 1


def test_the_administrator_adopts_a_ready_made_text_with_one_click(client, practice, admin):
    client.force_login(admin)
    listing = page(client.get(f"/staff/texts/{practice.pk}/"))
    assert "Kant-en-klare berichtteksten" in listing and "Ons antwoord staat klaar" in listing
    response = client.post(f"/staff/texts/{practice.pk}/adopt/answer_ready/")
    assert response.status_code == 302
    text = StandardText.objects.get()
    assert text.title == "Ons antwoord staat klaar" and text.text_en.startswith("Our answer")
    assert client.post(f"/staff/texts/{practice.pk}/adopt/no_such_text/").status_code == 404
    assert StandardText.objects.count() == 1


def test_an_unknown_placeholder_is_a_400_that_says_what_may_be_used(client, practice, admin):
    client.force_login(admin)
    response = client.post(
        f"/staff/texts/{practice.pk}/new/message/",
        {"title": "X", "text_nl": "Beste {{ naam }} <script>x</script>", "save": "1"},
    )
    assert response.status_code == 400
    assert "Onbekende invulplek { naam }. U kunt gebruiken: {patient_name}" in page(response)
    assert "<script>x</script>" not in response.content.decode()
    assert not StandardText.objects.exists()


def test_a_letter_paragraph_is_previewed_around_the_letters_own_text(client, practice, admin):
    client.force_login(admin)
    response = client.post(
        f"/staff/texts/{practice.pk}/new/letter/",
        {
            "letter": "refusal",
            "slot": "closing",
            "title": "Slot",
            "text_nl": "Bel ons over {reference}. <b>Echt</b>",
            "text_en": "Call us about {reference}.",
            "preview": "1",
        },
    )
    shown = page(response)
    assert "[de eigen tekst van de brief, zoals de wet die voorschrijft]" in shown
    assert "Bel ons over K7M3Q-9XH4T. &lt;b&gt;Echt&lt;/b&gt;" in shown
    assert "Call us about K7M3Q-9XH4T." in shown


def test_a_handler_picks_a_text_and_the_message_box_holds_it_filled_in(
    client, practice, admin, handler, in_progress
):
    text = standard_texts.adopt(practice, "in_progress", actor=admin)
    Request.objects.filter(pk=in_progress.pk).update(patient_name="Jan <b>Jansen</b>")
    client.force_login(handler)
    detail = page(client.get(f"/staff/requests/{in_progress.reference}/"))
    assert "Deze tekst gebruiken" in detail and "Wij werken aan uw verzoek</option>" in detail
    picked = page(client.get(f"/staff/requests/{in_progress.reference}/?text={text.pk}"))
    assert f"Wij werken aan uw verzoek ({in_progress.reference}) van " in picked
    assert "De standaardtekst is ingevuld voor deze patiënt" in picked
    body = standard_texts.message_text(text, Request.objects.get(pk=in_progress.pk))
    client.post(f"/staff/requests/{in_progress.reference}/message/", {"body": body})
    assert RequestMessage.objects.get(request=in_progress).body == body


def test_the_patient_reads_the_practices_paragraph_in_the_letter_page_and_pdf(
    client, practice, patient, admin, handler, in_progress
):
    import pypdf

    standard_texts.write_text(
        practice,
        actor=admin,
        kind=TextKind.LETTER,
        title="Bereikbaarheid",
        text_nl="U bereikt {practice_name} op werkdagen van 8 tot 17 uur.",
        slot="closing",
    )
    item = casework.act(
        in_progress,
        "refuse",
        actor=handler,
        version=in_progress.version,
        reason="Zou een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )
    letter = next(x for x in letters.letters_of(item) if x.name == "refusal")
    client.force_login(account_for(patient.email))
    url = f"/track/{item.reference}/letters/{letter.key}/"
    shown = page(client.get(url))
    assert "U bereikt Huisartsenpraktijk 01234567 op werkdagen van 8 tot 17 uur." in shown
    assert "binnen zes weken" in shown and "Autoriteit Persoonsgegevens" in shown
    pdf = client.get(url + "pdf/").content
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "U bereikt Huisartsenpraktijk 01234567 op werkdagen van 8 tot 17 uur." in text
    assert "binnen zes weken" in text


# --- Refused -------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.HANDLER, Role.DPO])
def test_other_practice_roles_read_the_texts_but_cannot_change_them(client, practice, admin, role):
    text = standard_texts.adopt(practice, "clarify", actor=admin)
    reader = make_user(f"{role}@lezer.example", role, practice)
    client.force_login(reader)
    listing = page(client.get("/staff/texts/", follow=True))
    assert "De beheerder van de praktijk schrijft en wijzigt deze teksten." in listing
    assert "Kant-en-klare berichtteksten" not in listing
    shown = client.get(f"/staff/texts/edit/{text.pk}/")
    assert shown.status_code == 200 and "<textarea" not in shown.content.decode()
    refused = [
        client.get(f"/staff/texts/{practice.pk}/new/message/"),
        client.post(f"/staff/texts/{practice.pk}/new/message/", {"title": "T", "text_nl": "x"}),
        client.post(f"/staff/texts/edit/{text.pk}/", {"title": "T", "text_nl": "x", "save": "1"}),
        client.post(f"/staff/texts/edit/{text.pk}/remove/"),
        client.post(f"/staff/texts/{practice.pk}/adopt/answer_ready/"),
    ]
    assert [r.status_code for r in refused] == [403] * 5
    assert StandardText.objects.get().text_nl == text.text_nl


def test_processor_support_has_no_standard_texts(client, practice, admin, support):
    text = standard_texts.adopt(practice, "clarify", actor=admin)
    client.force_login(support)
    assert client.get("/staff/texts/").status_code == 403
    assert client.get(f"/staff/texts/{practice.pk}/").status_code == 404
    assert client.get(f"/staff/texts/edit/{text.pk}/").status_code == 404


def test_another_practices_texts_are_a_recorded_404(
    client, practice, other_practice, admin, other_admin, handler, in_progress
):
    mine = standard_texts.adopt(practice, "clarify", actor=admin)
    client.force_login(other_admin)
    attempts = [
        client.get(f"/staff/texts/{practice.pk}/"),
        client.get(f"/staff/texts/{practice.pk}/new/message/"),
        client.get(f"/staff/texts/edit/{mine.pk}/"),
        client.post(f"/staff/texts/edit/{mine.pk}/", {"title": "T", "text_nl": "x", "save": "1"}),
        client.post(f"/staff/texts/edit/{mine.pk}/remove/"),
        client.post(f"/staff/texts/{practice.pk}/adopt/answer_ready/"),
    ]
    assert [r.status_code for r in attempts] == [404] * 6
    assert "Wij willen" not in "".join(r.content.decode() for r in attempts)
    assert StandardText.objects.filter(practice=practice).count() == 1
    denied = AuditRecord.objects.filter(user=other_admin, outcome=AuditOutcome.DENIED)
    assert denied.filter(event_type="standard_text.view").count() == 6


def test_a_handler_cannot_pick_another_practices_text_on_the_request_page(
    client, practice, other_practice, admin, other_admin, handler, in_progress
):
    theirs = standard_texts.adopt(other_practice, "clarify", actor=other_admin)
    client.force_login(handler)
    base = f"/staff/requests/{in_progress.reference}/"
    for value in (str(theirs.pk), "abc", "٣", "1\x00", "99999999"):
        response = client.get(base, {"text": value})
        assert response.status_code in (400, 404), value
        assert "Wij willen" not in response.content.decode()


def test_a_nul_byte_or_an_overlong_text_is_refused_and_nothing_saved(client, practice, admin):
    client.force_login(admin)
    url = f"/staff/texts/{practice.pk}/new/message/"
    for typed in ({"title": "T", "text_nl": "Beste\x00"}, {"title": "T", "text_nl": "x" * 5001}):
        response = client.post(url, typed | {"save": "1"})
        assert response.status_code == 400
    assert not StandardText.objects.exists()
