import re

import pytest

from requests_app.models import PendingSubmission, Request, RequestState
from tests.payloads import details
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
