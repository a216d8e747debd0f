"""The request page's block before carrying out a change, the task page's extra identifiers, and
the recipients told as the patient reads them, through the web client."""

import datetime
import html

import pytest
from django.utils import timezone

from demo import platform as demo
from requests_app.models import ExtraIdentifier, RecipientNotice, Request, RequestState
from requests_app.models.completion import register_recipients
from tests.factories import a_register, decided
from workflows.assistance import tasks as assistance
from workflows.casework import letters
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def register(db):
    a_register()


SECOND = "jan.werk@example.com"


def page(client, item) -> str:
    return html.unescape(client.get(f"/staff/requests/{item.reference}/").content.decode())


def fresh(item) -> Request:
    return Request.objects.get(pk=item.pk)


@pytest.fixture
def rectification(practice, patient, handler):
    return decided(practice, patient, handler, kind="rectification")


def test_the_handler_sees_what_is_open_and_the_refusal_says_it(client, handler, rectification):
    client.force_login(handler)
    shown = page(client, rectification)
    assert "Voordat dit verzoek is uitgevoerd" in shown
    assert "Nog open:" in shown and "ontvangers nog niet ingelicht (art. 19 AVG)" in shown
    assert f"/staff/requests/{rectification.reference}/act/fulfil/" not in shown
    response = client.post(
        f"/staff/requests/{rectification.reference}/act/fulfil/",
        {"fulfil-version": rectification.version},
        follow=True,
    )
    refusal = html.unescape(response.content.decode())
    assert (
        "Dit verzoek kan nog niet als uitgevoerd worden gemarkeerd of worden afgesloten. "
        "Nog open: de taak van de verwerker is niet geaccepteerd"
    ) in refusal
    assert all(sub.name in refusal for sub in register_recipients())
    assert fresh(rectification).state == RequestState.GRANTED


def test_reason_recipients_and_carrying_out_through_the_page(
    client, handler, rectification, patient
):
    ref = rectification.reference
    client.force_login(handler)
    reason = client.post(
        f"/staff/requests/{ref}/no-processor-data/",
        {"version": rectification.version, "reason": "Alleen het dossier in ons HIS."},
    )
    assert reason.status_code == 302 and reason["Location"].endswith("#h-work")
    today = timezone.localdate().isoformat()
    for sub in register_recipients():
        key = f"s-{sub.pk}"
        client.post(
            f"/staff/requests/{ref}/recipients/{key}/told/",
            {f"{key}-told_on": today, f"{key}-how": "email", f"{key}-note": ""},
        )
    client.post(f"/staff/requests/{ref}/recipients/add/", {"name": "Ziekenhuis Rivierenland"})
    hospital = RecipientNotice.objects.get(name="Ziekenhuis Rivierenland")
    key = f"n-{hospital.pk}"
    client.post(
        f"/staff/requests/{ref}/recipients/{key}/impossible/",
        {f"{key}-reason": "Het ziekenhuis bestaat niet meer."},
    )
    shown = page(client, rectification)
    assert "Alles is gedaan" in shown and "Alleen het dossier in ons HIS." in shown
    item = fresh(rectification)
    response = client.post(f"/staff/requests/{ref}/act/fulfil/", {"fulfil-version": item.version})
    assert fresh(item).state == RequestState.FULFILLED, response

    # The patient reads who was told in the letter that the request was carried out, in the
    # request's language: Dutch, then English.
    client.force_login(account_for(patient.email))
    (done,) = [x for x in letters.letters_of(fresh(item)) if x.name == "carried_out"]
    assert done.key in client.get("/track/").content.decode()
    address = f"/track/{ref}/letters/{done.key}/"
    letter = html.unescape(client.get(address).content.decode())
    assert "Wij hebben deze ontvangers van uw gegevens hierover ingelicht (art. 19 AVG)" in letter
    assert all(sub.name in letter for sub in register_recipients())
    assert "Ziekenhuis Rivierenland: Het ziekenhuis bestaat niet meer." in letter
    Request.objects.filter(pk=item.pk).update(language="en")
    letter = html.unescape(client.get(address).content.decode())
    assert "We have informed these recipients of your data (GDPR art. 19)" in letter
    assert "could not be told, because that is impossible" in letter


def test_bad_input_is_a_clear_400_and_changes_nothing(client, handler, rectification):
    ref = rectification.reference
    sub = register_recipients().first()
    key = f"s-{sub.pk}"
    client.force_login(handler)
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    future = client.post(
        f"/staff/requests/{ref}/recipients/{key}/told/",
        {f"{key}-told_on": tomorrow, f"{key}-how": "email"},
    )
    assert (
        future.status_code == 400 and "Deze datum ligt in de toekomst." in future.content.decode()
    )
    empty = client.post(f"/staff/requests/{ref}/no-processor-data/", {"version": "x"})
    assert empty.status_code == 400
    assert client.post(f"/staff/requests/{ref}/recipients/zz-1/told/", {}).status_code == 400
    told = {"s-999999-told_on": timezone.localdate().isoformat(), "s-999999-how": "email"}
    assert client.post(f"/staff/requests/{ref}/recipients/s-999999/told/", told).status_code == 404
    assert client.post(f"/staff/requests/{ref}/recipients/{key}/gone/", {}).status_code == 404
    assert not RecipientNotice.objects.filter(state__in=["told", "impossible"]).exists()


def test_outsiders_cannot_tick_recipients(client, support, other_handler, rectification):
    sub = register_recipients().first()
    key = f"s-{sub.pk}"
    data = {f"{key}-told_on": timezone.localdate().isoformat(), f"{key}-how": "email"}
    url = f"/staff/requests/{rectification.reference}/recipients/{key}/told/"
    client.force_login(other_handler)
    assert client.post(url, data).status_code == 404
    client.force_login(support)
    assert client.post(url, data).status_code in (403, 404)
    assert not RecipientNotice.objects.filter(state="told").exists()


def test_an_access_request_has_no_such_block(client, handler, practice, patient):
    item = decided(practice, patient, handler, kind="access")
    client.force_login(handler)
    assert "Voordat dit verzoek is uitgevoerd" not in page(client, item)


def test_support_records_an_identifier_the_practice_confirms(
    client, platform_db, practice, patient, handler, support
):
    for email, messages in ((patient.email, 3), (SECOND, 7)):
        demo.add_patient(
            platform_db,
            practice_agb=practice.agb_code,
            email=email,
            birth_date=patient.birth_date,
            messages=messages,
        )
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    client.force_login(support)
    looked = html.unescape(
        client.post(
            f"/staff/tasks/{task.pk}/lookup/", {"email": " Jan.Werk@Example.com"}
        ).content.decode()
    )
    assert f"Deze opzoeking gebruikte <code>{SECOND}</code>" in looked
    recorded = client.post(
        f"/staff/tasks/{task.pk}/identifiers/",
        {"kind": "email", "value": SECOND, "why": "Zelfde naam en geboortedatum"},
    )
    assert recorded.status_code == 302
    extra = ExtraIdentifier.objects.get(task=task)
    decide = f"/staff/tasks/{task.pk}/identifiers/{extra.pk}/confirm/"
    assert client.post(decide).status_code == 403  # support does not confirm its own finding

    client.force_login(handler)
    shown = html.unescape(client.get(f"/staff/tasks/{task.pk}/").content.decode())
    assert "Extra kenmerken" in shown and SECOND in shown
    assert "Wacht op bevestiging door de praktijk" in shown and decide in shown
    client.post(decide)
    assert ExtraIdentifier.objects.get(pk=extra.pk).state == "confirmed"
    shown = html.unescape(client.get(f"/staff/tasks/{task.pk}/").content.decode())
    assert "Bevestigd door de praktijk" in shown and decide not in shown


def test_a_decline_without_a_reason_is_a_400(
    client, platform_db, practice, patient, handler, support
):
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    client.force_login(support)
    client.post(f"/staff/tasks/{task.pk}/lookup/", {"email": SECOND})
    client.post(
        f"/staff/tasks/{task.pk}/identifiers/",
        {"kind": "email", "value": SECOND, "why": "Gezien"},
    )
    extra = ExtraIdentifier.objects.get(task=task)
    client.force_login(handler)
    url = f"/staff/tasks/{task.pk}/identifiers/{extra.pk}/decline/"
    assert client.post(url, {f"x{extra.pk}-reason": ""}).status_code == 400
    assert ExtraIdentifier.objects.get(pk=extra.pk).state == "proposed"
    client.post(url, {f"x{extra.pk}-reason": "Dit is haar zus."})
    assert ExtraIdentifier.objects.get(pk=extra.pk).state == "declined"


def test_the_block_waits_for_a_decision_to_carry_it_out(client, handler, practice, patient):
    in_progress = decided(practice, patient, handler, kind="erasure", grant=False)
    client.force_login(handler)
    assert "Voordat dit verzoek is uitgevoerd" not in page(client, in_progress)


def test_build_and_erasure_wait_for_the_practice_and_say_so(
    client, platform_db, package_dir, practice, patient, handler, support
):
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="erase", instruction="Alles"),
        actor=support,
    )
    client.force_login(support)
    client.post(f"/staff/tasks/{task.pk}/lookup/", {"email": SECOND})
    client.post(
        f"/staff/tasks/{task.pk}/identifiers/", {"kind": "email", "value": SECOND, "why": "Gezien"}
    )
    waiting = "Er wacht een extra kenmerk op bevestiging door de praktijk"
    response = client.get(f"/staff/tasks/{task.pk}/erase/", follow=True)
    assert waiting in html.unescape(response.content.decode())

    supply = decided(practice, patient, handler, kind="access")
    data_task = assistance.start(
        assistance.request_assistance(supply, actor=handler, kind="supply", instruction="Alles"),
        actor=support,
    )
    client.post(f"/staff/tasks/{data_task.pk}/lookup/", {"email": SECOND})
    client.post(
        f"/staff/tasks/{data_task.pk}/identifiers/",
        {"kind": "email", "value": SECOND, "why": "Gezien"},
    )
    response = client.post(f"/staff/tasks/{data_task.pk}/package/build/", follow=True)
    assert waiting in html.unescape(response.content.decode())
