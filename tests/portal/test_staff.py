import re

import pytest
from django.utils import translation
from django.utils.translation import gettext

from portal.views.common import STALE
from requests_app.models import Request, RequestState
from requests_app.roles import Role
from tests.factories import make_practice, make_user, submit, totp_code


@pytest.fixture
def mine(practice, patient, providers):
    return submit(practice, patient)


@pytest.fixture
def theirs(other_practice, patient, providers):
    return submit(other_practice, patient)


@pytest.mark.django_db(transaction=True)
def test_handler_sees_own_practice_queue_only(client, handler, mine, theirs):
    client.force_login(handler)
    page = client.get("/staff/").content.decode()
    assert mine.reference in page and theirs.reference not in page
    assert client.get(f"/staff/requests/{mine.reference}/").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "path",
    ["/staff/requests/{}/", "/staff/requests/{}/act/acknowledge/", "/staff/requests/{}/assign/"],
)
def test_another_practices_request_answers_404(client, handler, theirs, path):
    client.force_login(handler)
    url = path.format(theirs.reference)
    response = (
        client.get(url)
        if url.endswith(f"s/{theirs.reference}/")
        else client.post(url, {"acknowledge-version": 0, "version": 0})
    )
    assert response.status_code == 404
    assert Request.objects.get(pk=theirs.pk).state == RequestState.FORWARDED


@pytest.mark.django_db(transaction=True)
def test_detail_page_shows_history_and_masks_the_bsn(client, handler, practice, patient, providers):
    import dataclasses

    item = submit(practice, dataclasses.replace(patient, bsn="123456782"))
    client.force_login(handler)
    page = client.get(f"/staff/requests/{item.reference}/").content.decode()
    assert "******782" in page and "123456782" not in page
    assert page.split('class="timeline"')[1].count("<time") == 2  # submitted, forwarded


@pytest.mark.django_db(transaction=True)
def test_handler_acknowledges_from_the_detail_page(client, handler, mine):
    client.force_login(handler)
    page = client.get(f"/staff/requests/{mine.reference}/").content.decode()
    assert f'action="/staff/requests/{mine.reference}/act/acknowledge/"' in page
    url = f"/staff/requests/{mine.reference}/act/acknowledge/"
    shown = Request.objects.get(pk=mine.pk).version
    response = client.post(url, {"acknowledge-version": shown})
    assert response.status_code == 302
    item = Request.objects.get(pk=mine.pk)
    assert item.state == RequestState.IN_REVIEW
    assert item.events.last().actor == handler
    # A second click from the same, now stale, page is refused and changes nothing.
    response = client.post(url, {"acknowledge-version": shown}, follow=True)
    assert item.events.filter(action="acknowledge").count() == 1
    with translation.override("nl"):
        told = gettext(STALE)
    assert told != STALE and told in response.content.decode()


def test_a_complaint_the_practice_cannot_yet_take_on_says_why(
    client, handler, practice, patient, providers
):
    """Without the complaints officer and disputes body the receipt cannot name them (Wkkgz
    art. 15 and 18): no "acknowledge", and the handler reads why instead of a missing button."""
    from tests.factories import forwarded, with_complaint_settings

    complaint = forwarded(submit(practice, patient, kind="complaint"))
    client.force_login(handler)
    page = client.get(f"/staff/requests/{complaint.reference}/").content.decode()
    assert "/act/acknowledge/" not in page
    assert "klachtenfunctionaris en de geschilleninstantie" in page
    with_complaint_settings(practice)
    page = client.get(f"/staff/requests/{complaint.reference}/").content.decode()
    assert "/act/acknowledge/" in page
    assert "klachtenfunctionaris en de geschilleninstantie" not in page


@pytest.mark.django_db(transaction=True)
def test_support_sees_unrouted_requests_but_not_practice_queues(client, support, mine, patient):
    lost = submit(None, patient, practice_given="Dokter Pieters, Zwolle")
    client.force_login(support)
    page = client.get("/staff/unrouted/").content.decode()
    assert lost.reference in page and "Dokter Pieters" in page
    assert client.get(f"/staff/requests/{mine.reference}/").status_code == 404
    assert client.get("/staff/").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_support_routes_a_request_and_the_practice_is_notified(client, support, patient, providers):
    lost = submit(None, patient, practice_given="Dokter Pieters, Zwolle")
    target = make_practice("55556666", dpo_phone="")
    client.force_login(support)
    response = client.post(
        f"/staff/requests/{lost.reference}/route/",
        {"practice": target.pk, "note": "gevonden via AGB-register"},
    )
    assert response.status_code == 302
    item = Request.objects.get(pk=lost.pk)
    assert item.practice == target and item.state == RequestState.FORWARDED
    assert [e.action for e in item.events.all()] == ["submit", "hold_unrouted", "route", "forward"]
    assert sorted(r for m in providers.emails() for r in m.to if r != patient.email) == sorted(
        target.privacy_emails()
    )


@pytest.mark.django_db(transaction=True)
def test_handler_cannot_route(client, handler, practice, patient, providers):
    lost = submit(None, patient, practice_given="?")
    client.force_login(handler)
    response = client.post(f"/staff/requests/{lost.reference}/route/", {"practice": practice.pk})
    assert response.status_code == 404
    assert Request.objects.get(pk=lost.pk).state == RequestState.UNROUTED


@pytest.mark.django_db
def test_staff_pages_need_sign_in_and_a_role(client, django_user_model):
    assert client.get("/staff/").status_code == 302
    nobody = django_user_model.objects.create_user("nobody", "nobody@example.com", "pw-long-enough")
    client.force_login(nobody)
    assert client.get("/staff/").status_code == 403


@pytest.mark.django_db
def test_staff_sign_in_needs_password_and_second_factor(client, handler):
    response = client.post(
        "/accounts/login/", {"login": handler.email, "password": "a-long-test-password"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/staff/").status_code == 302  # not signed in yet
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200  # wrong code: asked again
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()})
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


@pytest.mark.django_db
def test_staff_without_a_second_factor_must_set_one_up_first(client, practice):
    newcomer = make_user("new@practice.example", Role.HANDLER, practice, mfa=False)
    client.force_login(newcomer)
    for path in ("/staff/", "/staff/unrouted/", "/staff/audit/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/totp/activate/"
    # The set-up page itself is reachable (allauth first asks for the password again).
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200 or setup["Location"].startswith("/accounts/reauthenticate/")


@pytest.mark.django_db
def test_admin_sign_in_goes_through_the_same_sign_in_with_second_factor(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_refusal_without_a_legal_ground_shows_the_error_and_changes_nothing(client, handler, mine):
    from workflows.casework import actions as casework

    item = Request.objects.get(pk=mine.pk)
    item = casework.act(item, "acknowledge", actor=handler, version=item.version)
    item = casework.act(item, "verify_identity", actor=handler, version=item.version, how="pas")
    client.force_login(handler)
    response = client.post(
        f"/staff/requests/{mine.reference}/act/refuse/",
        {"refuse-version": item.version, "refuse-reason": "Nee."},
    )
    assert response.status_code == 400
    assert 'id="id_refuse-legal_ground_error"' in response.content.decode()
    assert Request.objects.get(pk=mine.pk).state == RequestState.IN_PROGRESS


@pytest.mark.django_db(transaction=True)
def test_refused_request_shows_the_patient_letter_with_the_right_to_complain(client, handler, mine):
    from requests_app.legal import LegalGround
    from workflows.casework import actions as casework

    item = Request.objects.get(pk=mine.pk)
    for action, fields in (
        ("acknowledge", {}),
        ("verify_identity", {"how": "pas"}),
        (
            "refuse",
            {"reason": "Gegevens van een ander.", "legal_ground": LegalGround.RIGHTS_OF_OTHERS},
        ),
    ):
        item = casework.act(item, action, actor=handler, version=item.version, **fields)
    client.force_login(handler)
    page = client.get(f"/staff/requests/{mine.reference}/").content.decode()
    letter = re.search(rf'href="(/staff/requests/{mine.reference}/letters/refusal-\d+/)"', page)
    page = client.get(letter.group(1)).content.decode()
    assert "Autoriteit Persoonsgegevens" in page and "Gegevens van een ander." in page
