"""The patient reads their letters on their page, prints them and downloads them as PDF; staff of
the practice see the same letters. Nobody else reaches them, and every showing is recorded."""

import dataclasses

import pytest

from requests_app.legal import LegalGround
from requests_app.models import AuditOutcome, AuditRecord, Membership, Request
from requests_app.roles import Role
from tests.factories import decided, make_user, submit
from workflows.casework import actions as casework
from workflows.casework import letters
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def refused(practice, patient, handler, providers):
    item = decided(practice, patient, handler, kind="access", grant=False)
    return casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason="Inzage zou de privacy van een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )


def refusal_of(item) -> letters.Letter:
    return next(x for x in letters.letters_of(item) if x.name == "refusal")


def page_url(item, letter, *, staff=False, pdf=False) -> str:
    base = f"/staff/requests/{item.reference}" if staff else f"/track/{item.reference}"
    return f"{base}/letters/{letter.key}/" + ("pdf/" if pdf else "")


def records(event: str, **more):
    return AuditRecord.objects.filter(event_type=event, **more)


def test_the_patient_finds_the_letters_of_a_request_and_opens_one(client, refused, patient):
    client.force_login(account_for(patient.email))
    letter = refusal_of(refused)
    track = client.get("/track/").content.decode()
    assert "Brieven" in track and "Ontvangstbevestiging" in track
    assert page_url(refused, letter) in track
    response = client.get(page_url(refused, letter))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Beslissing op uw verzoek: afgewezen" in page and "binnen zes weken" in page
    assert page_url(refused, letter, pdf=True) in page
    shown = records("patient.view", object_id=refused.reference).last()
    assert shown.details == {"page": "letter", "status": 200, "letter": letter.key}


def test_the_patient_downloads_the_letter_as_a_pdf(client, refused, patient):
    client.force_login(account_for(patient.email))
    letter = refusal_of(refused)
    response = client.get(page_url(refused, letter, pdf=True))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f'filename="{refused.reference}-refusal.pdf"' in response["Content-Disposition"]
    shown = records("patient.view", object_id=refused.reference).last()
    assert shown.details["page"] == "letter_pdf" and shown.details["letter"] == letter.key


def test_the_letter_is_in_the_language_of_the_request(client, refused, patient):
    Request.objects.filter(pk=refused.pk).update(language="en")
    client.force_login(account_for(patient.email))
    page = client.get(page_url(refused, refusal_of(refused))).content.decode()
    assert "Decision on your request: refused" in page and "within six weeks" in page
    assert 'lang="en"' in page


@pytest.mark.parametrize("role", [Role.HANDLER, Role.DPO, Role.PRACTICE_ADMIN])
def test_staff_of_the_practice_read_and_print_the_same_letter(client, refused, practice, role):
    reader = make_user(f"{role}@reader.example", role, practice)
    client.force_login(reader)
    letter = refusal_of(refused)
    detail = client.get(f"/staff/requests/{refused.reference}/").content.decode()
    assert page_url(refused, letter, staff=True) in detail
    page = client.get(page_url(refused, letter, staff=True))
    assert page.status_code == 200 and "binnen zes weken" in page.content.decode()
    pdf = client.get(page_url(refused, letter, staff=True, pdf=True))
    assert pdf.content.startswith(b"%PDF-")
    assert records("letter.view", user=reader, object_id=refused.reference).get().details == {
        "letter": letter.key
    }
    assert records("letter.pdf", user=reader).count() == 1


# --- Attacks -------------------------------------------------------------------------------------
@pytest.fixture
def someone_elses(other_practice, patient, other_handler, providers):
    """A request of another patient, at another practice, with letters of its own."""
    other = dataclasses.replace(patient, email="other@example.com", name="Piet Pietersen")
    return decided(other_practice, other, other_handler, kind="access")


def denied(user) -> int:
    return AuditRecord.objects.filter(user=user, outcome=AuditOutcome.DENIED).count()


def test_another_patients_letter_is_not_found_and_the_look_recorded(
    client, refused, someone_elses, patient
):
    me = account_for(patient.email)
    client.force_login(me)
    theirs = letters.letters_of(someone_elses)[-1]
    mine = refusal_of(refused)
    attempts = [
        page_url(someone_elses, theirs),
        page_url(someone_elses, theirs, pdf=True),
        # my request, their letter; their request, my letter
        f"/track/{refused.reference}/letters/{theirs.key}/",
        f"/track/{someone_elses.reference}/letters/{mine.key}/pdf/",
        # no such request or letter
        f"/track/AAAAA-BBBBB/letters/{mine.key}/",
        f"/track/{refused.reference}/letters/grant-{mine.event.pk}/",
        f"/track/{refused.reference}/letters/refusal-99999999/",
        f"/track/{refused.reference}/letters/refusal/",
    ]
    for number, path in enumerate(attempts, start=1):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Piet Pietersen" not in response.content.decode()
        assert denied(me) == number, path
    # A path that climbs out of the letters matches no page at all.
    assert client.get(f"/track/{refused.reference}/letters/..%2F..%2Fstaff/").status_code == 404


def test_another_practice_never_reaches_the_letter(
    client, refused, other_handler, support, patient
):
    letter = refusal_of(refused)
    for outsider in (other_handler, support):
        client.force_login(outsider)
        for pdf in (False, True):
            response = client.get(page_url(refused, letter, staff=True, pdf=pdf))
            assert response.status_code == 404
            assert patient.name not in response.content.decode()
        assert denied(outsider) == 2
    # A patient account is no staff member, and the staff address is no patient's.
    client.force_login(account_for(patient.email))
    assert client.get(page_url(refused, letter, staff=True)).status_code == 403


def test_a_member_of_staff_reads_no_letters_on_the_patient_side(client, refused, handler):
    client.force_login(handler)
    assert client.get(page_url(refused, refusal_of(refused))).status_code == 404


def test_signed_out_nobody_gets_a_letter(client, refused):
    letter = refusal_of(refused)
    for path in (page_url(refused, letter), page_url(refused, letter, pdf=True)):
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/track/{ref}%00/letters/{key}/",
        "/track/{ref}/letters/{key}%00/",
        "/track/{ref}/letters/{key}/pdf/?x=%00",
        "/staff/requests/{ref}/letters/%00{key}/",
    ],
)
def test_nul_bytes_are_refused_before_anything_is_read(client, refused, patient, handler, path):
    client.force_login(handler if path.startswith("/staff") else account_for(patient.email))
    before = AuditRecord.objects.count()
    letter = refusal_of(refused)
    response = client.get(path.format(ref=refused.reference, key=letter.key))
    assert response.status_code == 400
    assert AuditRecord.objects.count() == before


def test_a_practice_member_of_two_practices_sees_each_practices_letters(
    client, refused, someone_elses, handler, other_practice
):
    Membership.objects.create(user=handler, role=Role.HANDLER, practice=other_practice)
    client.force_login(handler)
    theirs = letters.letters_of(someone_elses)[-1]
    assert client.get(page_url(someone_elses, theirs, staff=True)).status_code == 200


def test_a_request_still_unrouted_has_no_letters_to_show(client, patient, providers):
    item = submit(None, patient, practice_given="Dokter Jansen, Zwolle")
    client.force_login(account_for(patient.email))
    assert "Brieven" not in client.get("/track/").content.decode()
    assert client.get(f"/track/{item.reference}/letters/receipt-1/").status_code == 404
