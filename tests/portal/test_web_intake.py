import re

import pytest
from django.conf import settings

from requests_app.models import PendingSubmission, Request, RequestState
from tests.payloads import details
from workflows.intake.forwarding import route_request
from workflows.models import Notification, Purpose


def sent_code(providers) -> str:
    mail = [m for m in providers.emails() if m.to == ["jan@example.com"]][-1]
    return re.search(r"\b(\d{6})\b", mail.text).group(1)


@pytest.mark.django_db
def test_practice_search_finds_by_name_city_and_postcode(client, practice, other_practice):
    for query, expected in (
        ("Utrecht", practice),
        ("3511ab", practice),
        ("elders", other_practice),
    ):
        page = client.get("/", {"q": query}).content.decode()
        assert f"/request/{expected.agb_code}/" in page
    assert (
        f"/request/{other_practice.agb_code}/"
        not in client.get("/", {"q": "Utrecht"}).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_request_is_stored_only_after_the_emailed_code_is_entered(client, practice, providers):
    response = client.post(f"/request/{practice.agb_code}/", details())
    assert response.status_code == 302 and response["Location"] == "/request/confirm/"
    assert Request.objects.count() == 0
    code = sent_code(providers)

    response = client.post("/request/confirm/", {"code": code})
    assert response.status_code == 302
    stored = Request.objects.get()
    assert (stored.patient_name, stored.patient_phone, stored.channel) == (
        "Jan Jansen",
        "+31687654321",
        "web",
    )
    assert stored.state == RequestState.FORWARDED
    assert PendingSubmission.objects.count() == 0

    done = client.get("/request/done/").content.decode()
    assert stored.reference in done
    receipt = [
        m for m in providers.emails() if m.to == ["jan@example.com"] and stored.reference in m.text
    ]
    assert receipt
    # The code is not kept once sent.
    assert code not in Notification.objects.get(purpose=Purpose.INTAKE_CODE).body


@pytest.mark.django_db(transaction=True)
def test_five_wrong_codes_need_a_new_code(client, practice, providers):
    client.post(f"/request/{practice.agb_code}/", details())
    code = sent_code(providers)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post("/request/confirm/", {"code": wrong}).status_code == 200
    client.post("/request/confirm/", {"code": code})
    assert Request.objects.count() == 0

    client.post("/request/confirm/resend/")
    new_code = sent_code(providers)
    client.post("/request/confirm/", {"code": new_code})
    assert Request.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_code_from_another_session_cannot_confirm(client, practice, providers, django_user_model):
    from django.test import Client

    client.post(f"/request/{practice.agb_code}/", details())
    code = sent_code(providers)
    stranger = Client()
    response = stranger.post("/request/confirm/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Request.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "jan@"),
        ("phone", "12"),
        ("birth_date", "2999-01-01"),
        ("description", "x" * 5001),
        ("name", ""),
        ("kind", "everything"),
        ("confirm", None),
    ],
)
def test_bad_input_shows_the_field_error_and_stores_nothing(client, practice, field, value):
    response = client.post(f"/request/{practice.agb_code}/", details(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert PendingSubmission.objects.count() == 0
    assert Request.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_request_for_an_unlisted_practice_goes_to_support(client, providers, support):
    response = client.post("/request/other/", details(practice_given="Dokter Pieters, Zwolle"))
    assert response.status_code == 302
    client.post("/request/confirm/", {"code": sent_code(providers)})
    stored = Request.objects.get()
    assert stored.state == RequestState.UNROUTED and stored.practice is None
    assert stored.practice_given == "Dokter Pieters, Zwolle"


@pytest.mark.django_db
def test_intake_pages_are_dutch_by_default_and_english_on_request(client, practice):
    assert '<html lang="nl">' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


@pytest.mark.django_db
def test_web_form_never_asks_for_a_bsn(client, practice):
    page = client.get(f"/request/{practice.agb_code}/").content.decode().lower()
    assert "bsn" not in page and "burgerservicenummer" not in page


def receipt_of(providers, reference: str) -> str:
    return next(
        m.text for m in providers.emails() if m.to == ["jan@example.com"] and reference in m.text
    )


def dated(day: str, month: str, year: str, **changes) -> dict:
    """The web form's three boxes instead of the one ISO value."""
    data = details(birth_date=None, **changes)
    data |= {"birth_date_0": day, "birth_date_1": month, "birth_date_2": year}
    return data


@pytest.mark.django_db(transaction=True)
def test_the_date_of_birth_is_typed_as_day_month_and_year(client, practice, providers):
    page = client.get(f"/request/{practice.agb_code}/").content.decode()
    assert "<legend>Geboortedatum</legend>" in page and 'type="date"' not in page
    for number, part, digits, label in (
        (0, "day", 2, "Dag"),
        (1, "month", 2, "Maand"),
        (2, "year", 4, "Jaar"),
    ):
        assert f'<label for="id_birth_date_{number}">{label}</label>' in page
        box = re.search(rf'<input [^>]*id="id_birth_date_{number}"[^>]*>', page).group(0)
        assert f'autocomplete="bday-{part}"' in box and 'inputmode="numeric"' in box
        assert f'maxlength="{digits}"' in box

    assert client.post(f"/request/{practice.agb_code}/", dated("7", "5", "1980")).status_code == 302
    client.post("/request/confirm/", {"code": sent_code(providers)})
    assert str(Request.objects.get().patient_birth_date) == "1980-05-07"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("31", "2", "1980", "De datum 31-2-1980 bestaat niet. Controleer de dag en de maand."),
        ("17", "5", "2999", "Een geboortedatum kan niet in de toekomst liggen."),
        ("17", "13", "1980", "De maand is een getal van 1 tot en met 12."),
        ("17", "5", "80", "Vul het jaar in met vier cijfers, bijvoorbeeld 1980."),
        ("17", "", "1980", "Vul de maand van uw geboortedatum in."),
        ("17", "mei", "1980", "Vul de geboortedatum in met cijfers, bijvoorbeeld 17 5 1980."),
        ("", "", "", "Vul uw geboortedatum in."),
    ],
)
def test_an_impossible_date_of_birth_says_what_is_wrong_and_links_to_the_day(
    client, practice, day, month, year, message
):
    response = client.post(f"/request/{practice.agb_code}/", dated(day, month, year))
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert f'<a href="#id_birth_date_0">Geboortedatum: {message}</a>' in page
    # What the patient typed stays in the boxes.
    assert f'id="id_birth_date_1" value="{month}"' in page
    assert PendingSubmission.objects.count() == 0


@pytest.mark.django_db
def test_one_iso_date_is_still_accepted_and_anything_else_in_it_is_refused(client, practice):
    ok = client.post(f"/request/{practice.agb_code}/", details(birth_date="1980-05-17"))
    assert ok.status_code == 302
    bad = client.post(f"/request/{practice.agb_code}/", details(birth_date="17-05-1980x"))
    assert "Vul de geboortedatum in met cijfers" in bad.content.decode()


@pytest.mark.django_db
def test_an_empty_practice_search_says_what_to_fill_in(client, practice):
    first = client.get("/").content.decode()
    assert "niet verplicht" not in first and "errorlist" not in first
    for query in ("", " ", "U"):
        response = client.get("/", {"q": query})
        assert response.status_code == 400
        page = response.content.decode()
        assert 'class="error-summary"' in page and 'href="#id_q"' in page
    assert "Vul de naam, plaats of postcode van uw huisartsenpraktijk in." in (
        client.get("/", {"q": ""}).content.decode()
    )
    assert "Vul minstens 2 letters of cijfers in." in client.get("/", {"q": "U"}).content.decode()


@pytest.mark.django_db(transaction=True)
def test_done_page_and_receipt_lead_to_my_requests_and_say_how_to_sign_in(
    client, practice, providers
):
    client.post(f"/request/{practice.agb_code}/", details())
    client.post("/request/confirm/", {"code": sent_code(providers)})
    reference = Request.objects.get().reference
    done = client.get("/request/done/").content.decode()
    assert 'href="/track/"' in done and "Naar Mijn verzoeken" in done
    assert "U logt daar in met uw e-mailadres: wij sturen u een code van 6 cijfers." in done
    receipt = receipt_of(providers, reference)
    assert "We sturen uw verzoek door naar uw huisartsenpraktijk" in receipt
    assert "Volg uw verzoek op Mijn verzoeken. U logt daar in met uw e-mailadres" in receipt
    assert f"{settings.PORTAL_BASE_URL}/track/" in receipt


@pytest.mark.django_db(transaction=True)
def test_an_unrouted_request_is_not_said_to_go_to_the_practice_and_its_routing_is_told(
    client, providers, support, practice
):
    client.post("/request/other/", details(practice_given="Dokter Pieters, Zwolle"))
    client.post("/request/confirm/", {"code": sent_code(providers)})
    reference = Request.objects.get().reference
    for text in (client.get("/request/done/").content.decode(), receipt_of(providers, reference)):
        assert "We sturen uw verzoek nu door naar uw huisartsenpraktijk" not in text
        assert "We sturen uw verzoek door naar uw huisartsenpraktijk" not in text
        assert "Het supportteam van BeterDichtbij" in text and "zoekt de juiste praktijk op" in text
        assert "Wij laten u per e-mail weten wanneer dat is gebeurd." in text

    # Support finds the practice: the patient hears of it, and where to follow the request.
    route_request(Request.objects.get(), practice, actor=support)
    told = [m.text for m in providers.emails() if m.to == ["jan@example.com"]][-1]
    assert f"Uw verzoek {reference} is doorgestuurd naar uw huisartsenpraktijk" in told
    assert f"{settings.PORTAL_BASE_URL}/track/" in told


@pytest.mark.django_db(transaction=True)
def test_a_complaint_is_told_how_the_practice_handles_it(client, practice, providers):
    procedure = (
        "art. 13 Wkkgz",
        "klachtenfunctionaris",
        "binnen 6 weken",
        "ten hoogste 4 weken",
        "geschilleninstantie",
    )
    form = client.get(f"/request/{practice.agb_code}/").content.decode()
    # Next to the choice, without JavaScript: a details element under "Klacht".
    assert "<summary>Hoe wordt een klacht behandeld?</summary>" in form
    assert all(words in form for words in procedure)

    incomplete = client.post(f"/request/{practice.agb_code}/", details(kind="complaint", name=""))
    page = incomplete.content.decode()
    assert "<summary>Hoe wordt een klacht behandeld?</summary>" not in page
    assert 'id="h-complaint"' in page and all(words in page for words in procedure)

    client.post(f"/request/{practice.agb_code}/", details(kind="complaint"))
    confirm = client.get("/request/confirm/").content.decode()
    assert 'id="h-complaint"' in confirm and all(words in confirm for words in procedure)
    client.post("/request/confirm/", {"code": sent_code(providers)})
    assert "deelt u haar oordeel schriftelijk mee, in de regel binnen 6 weken" in (
        client.get("/request/done/").content.decode()
    )
    receipt = receipt_of(providers, Request.objects.get().reference)
    assert "klachtenregeling (Wkkgz)" in receipt and "geschilleninstantie" in receipt


@pytest.mark.django_db
def test_a_gdpr_request_is_not_shown_the_complaints_procedure(client, practice):
    page = client.post(f"/request/{practice.agb_code}/", details(name="")).content.decode()
    # Only the folded explanation next to the choice "Klacht".
    assert page.count('id="h-complaint"') == 1
    assert page.index("<summary>Hoe wordt een klacht behandeld?</summary>") < page.index(
        'id="h-complaint"'
    )
