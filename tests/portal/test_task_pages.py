"""The assistance pages end to end through the web client: the practice asks, support looks up
and builds, the practice accepts and releases, the patient downloads after an SMS code. Another
practice reaches none of it."""

import datetime
import io
import re
import zipfile

import pytest

from demo import platform as demo
from requests_app.models import AssistanceTask, AuditRecord, DataPackage, TaskState
from tests.factories import decided, granted, released_package
from workflows.assistance import packages
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def access_request(platform_db, package_dir, practice, patient, handler, providers):
    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        email=patient.email,
        mobile=patient.phone,
        messages=12,
    )
    return decided(practice, patient, handler, kind="access", grant=False)


def ask(client, handler, item):
    client.force_login(handler)
    page = client.get(f"/staff/requests/{item.reference}/").content.decode()
    assert f'action="/staff/requests/{item.reference}/assist/"' in page
    response = client.post(
        f"/staff/requests/{item.reference}/assist/",
        {"kind": "supply", "instruction": "Alle gegevens uit de app, ook gesprekken"},
    )
    task = AssistanceTask.objects.get(request=item)
    assert response.status_code == 302 and response["Location"] == f"/staff/tasks/{task.pk}/"
    return task


def test_the_whole_way_to_the_patients_download(
    client, handler, support, access_request, patient, providers, django_capture_on_commit_callbacks
):
    task = ask(client, handler, access_request)
    client.force_login(support)
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert f'action="/staff/tasks/{task.pk}/act/start/"' in page
    client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version})
    task = AssistanceTask.objects.get(pk=task.pk)
    assert task.state == TaskState.IN_PROGRESS

    # Look-up: counts per source and category, logged with the identifiers used (not values).
    page = client.post(f"/staff/tasks/{task.pk}/lookup/", {"email": patient.email})
    assert page.status_code == 200
    assert re.search(r"<td>gesprekken</td><td>12</td>", page.content.decode())
    record = AuditRecord.objects.filter(event_type="task.lookup").latest("seq")
    from requests_app.fields import lookup_digest

    assert record.details["identifiers"] == {"email": lookup_digest(patient.email)[:24]}
    assert patient.email not in str(record.details) and record.user == support

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/tasks/{task.pk}/package/build/")
    package = DataPackage.objects.get(task=task)
    assert package.counts["platform"]["conversations"] == 12
    for step in task.manual_steps.all():
        client.post(f"/staff/tasks/{task.pk}/steps/{step.pk}/", {"note": "Niets aanwezig"})
    task = AssistanceTask.objects.get(pk=task.pk)
    client.post(f"/staff/tasks/{task.pk}/act/deliver/", {"version": task.version})
    task = AssistanceTask.objects.get(pk=task.pk)
    assert task.state == TaskState.DELIVERED

    client.force_login(handler)
    review = client.get(f"/staff/tasks/{task.pk}/package/download/")
    assert zipfile.ZipFile(io.BytesIO(b"".join(review.streaming_content))).testzip() is None
    client.post(f"/staff/tasks/{task.pk}/act/accept/", {"version": task.version})
    release = f"/staff/tasks/{task.pk}/package/release/"
    # Not before the practice's decision: the task page says why, the release page sends back.
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert f'action="{release}"' not in page and "ingewilligd" in page
    assert client.get(release).status_code == 302
    granted(access_request, handler)
    assert f'action="{release}"' in client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert "niet ongedaan" in client.get(release).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(release, {"confirm": "on"})
    package.refresh_from_db()
    assert package.downloadable

    # The patient: signed in by e-mail code, then a second code by SMS.
    client.force_login(account_for(patient.email))
    assert f"/track/{access_request.reference}/data/" in client.get("/track/").content.decode()
    url = f"/track/{access_request.reference}/data/"
    assert client.get(url + "download/")["Location"] == url  # no SMS code yet
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"send": "1"})
    (sms,) = [m for m in providers.sms() if m.to == [patient.phone]]
    code = re.search(r"\b(\d{6})\b", sms.text).group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert client.post(url, {"code": wrong}).status_code == 400
    assert client.get(url + "download/").status_code == 302
    client.post(url, {"code": code})
    download = client.get(url + "download/")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert "package.json" in archive.namelist()
    downloads = AuditRecord.objects.filter(event_type="package.download")
    assert {r.details["by"] for r in downloads} == {"practice", "patient"}


def test_an_expired_link_no_longer_downloads(client, handler, support, access_request, patient):
    from django.utils import timezone

    package = released_package(access_request, handler, support)
    DataPackage.objects.filter(pk=package.pk).update(link_expires_at=timezone.now())
    client.force_login(account_for(patient.email))
    response = client.get(f"/track/{access_request.reference}/data/download/")
    assert response.status_code == 410
    assert f"/track/{access_request.reference}/data/" not in client.get("/track/").content.decode()


def test_the_patients_package_page_records_each_showing(
    client, handler, support, access_request, patient
):
    """Also when shown again after a wrong code, or for an expired link."""
    from django.utils import timezone

    package = released_package(access_request, handler, support)
    client.force_login(account_for(patient.email))
    url = f"/track/{access_request.reference}/data/"

    def shown():
        return AuditRecord.objects.filter(
            event_type="patient.view", details__page="package", object_id=access_request.reference
        ).count()

    assert client.get(url).status_code == 200 and shown() == 1
    assert client.post(url, {"code": "12"}).status_code == 400 and shown() == 2
    DataPackage.objects.filter(pk=package.pk).update(link_expires_at=timezone.now())
    assert client.get(url + "download/").status_code == 410 and shown() == 3


def test_another_practice_reaches_no_task_package_or_certificate(
    client, handler, other_handler, support, access_request, patient
):
    from workflows.assistance import packages
    from workflows.assistance import tasks as assistance

    task = assistance.start(
        assistance.request_assistance(
            access_request, actor=handler, kind="supply", instruction="Alles"
        ),
        actor=support,
    )
    packages.build_package(task, actor=support)
    client.force_login(other_handler)
    base = f"/staff/tasks/{task.pk}/"
    for path in ("", "package/download/", "certificate/", "certificate.json"):
        assert client.get(base + path).status_code == 404, path
    for path in (
        "act/accept/",
        "act/start/",
        "lookup/",
        "package/build/",
        "package/release/",
        "erase/",
        "certificate/issue/",
        f"steps/{task.manual_steps.first().pk}/",
    ):
        assert (
            client.post(
                base + path, {"version": task.version, "note": "x", "email": "a@b.nl"}
            ).status_code
            == 404
        ), path
    assert task.number not in client.get("/staff/tasks/").content.decode()
    # Another patient does not reach this patient's package either.
    client.force_login(account_for("someone@example.com"))
    assert client.get(f"/track/{access_request.reference}/data/").status_code == 404


def test_practice_staff_cannot_do_supports_work(client, handler, access_request):
    task = ask(client, handler, access_request)
    assert (
        client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version}).status_code
        == 403
    )
    task = AssistanceTask.objects.get(pk=task.pk)
    assert task.state == TaskState.REQUESTED
    assert (
        client.post(f"/staff/tasks/{task.pk}/lookup/", {"email": "jan@example.com"}).status_code
        == 403
    )


def test_a_lookup_without_any_identifier_is_refused(client, handler, support, access_request):
    task = ask(client, handler, access_request)
    client.force_login(support)
    client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version})
    response = client.post(f"/staff/tasks/{task.pk}/lookup/", {"email": "", "bsn": ""})
    assert response.status_code == 400
    assert not AuditRecord.objects.filter(event_type="task.lookup").exists()
    response = client.post(f"/staff/tasks/{task.pk}/lookup/", {"bsn": "123456789"})
    assert response.status_code == 400  # fails the eleven-test


def test_the_fg_and_the_practice_admin_do_not_download_packages(
    client, handler, support, access_request, practice
):
    from requests_app.roles import Role
    from tests.factories import make_user
    from workflows.assistance import packages
    from workflows.assistance import tasks as assistance

    task = assistance.start(
        assistance.request_assistance(
            access_request, actor=handler, kind="supply", instruction="Alles"
        ),
        actor=support,
    )
    packages.build_package(task, actor=support)
    for role in (Role.DPO, Role.PRACTICE_ADMIN):
        client.force_login(make_user(f"{role}@practice.example", role, practice))
        page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
        assert "/package/download/" not in page
        assert client.get(f"/staff/tasks/{task.pk}/package/download/").status_code == 403
        assert client.get(f"/staff/tasks/{task.pk}/certificate.json").status_code == 403
    assert not AuditRecord.objects.filter(event_type="package.download").exists()


def test_sms_code_tries_are_counted_per_account_not_per_session(
    client, handler, support, access_request, patient, providers, django_capture_on_commit_callbacks
):
    from django.test import Client

    released_package(access_request, handler, support)
    account = account_for(patient.email)
    url = f"/track/{access_request.reference}/data/"
    client.force_login(account)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"send": "1"})
    code = re.search(r"\b(\d{6})\b", providers.sms()[-1].text).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post(url, {"code": wrong})
    client.post(url, {"code": code})  # the right code, but after five wrong ones
    assert client.get(url + "download/").status_code == 302  # refused: too many tries
    # Codes are limited per account and package, not per session: signing in anew gives none.
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"send": "1"})
    fresh = Client()
    fresh.force_login(account)
    sent = len(providers.sms())
    with django_capture_on_commit_callbacks(execute=True):
        fresh.post(url, {"send": "1"})
    assert len(providers.sms()) == sent == 5


def test_a_manual_step_without_a_note_is_refused_with_a_message(
    client, handler, support, access_request
):
    task = ask(client, handler, access_request)
    client.force_login(support)
    client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version})
    step = task.manual_steps.first()
    page = client.post(f"/staff/tasks/{task.pk}/steps/{step.pk}/", {"note": ""}, follow=True)
    assert "Schrijf op wat daar is gedaan." in page.content.decode()
    assert task.manual_steps.get(pk=step.pk).done_at is None


# --- Whose data: a package is never built from another patient's record ----------------------
VICTIM = {"email": "anna@example.com", "mobile": "+31611112222", "patient_number": "P-99"}


@pytest.fixture
def attack(platform_db, package_dir, practice, patient, handler, providers):
    """Mallory asks for her data with Anna's patient number (and name and date of birth), and
    her own e-mail address and mobile number, to which sign-in and the SMS code go."""
    import dataclasses

    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        first_name="Anna",
        last_name="Visser",
        birth_date=datetime.date(1975, 1, 2),
        messages=12,
        **VICTIM,
    )
    mallory = dataclasses.replace(
        patient,
        name="Anna Visser",
        birth_date=datetime.date(1975, 1, 2),
        email="mallory@example.com",
        phone="+31622223333",
        patient_number=VICTIM["patient_number"],
    )
    return decided(practice, mallory, handler, kind="access", grant=False)


def build_through_the_pages(client, handler, support, item, capture):
    task = ask(client, handler, item)
    client.force_login(support)
    client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version})
    with capture(execute=True):
        client.post(f"/staff/tasks/{task.pk}/package/build/")
    return AssistanceTask.objects.get(pk=task.pk)


def test_someone_elses_patient_number_gets_none_of_their_data(
    client, handler, support, attack, django_capture_on_commit_callbacks
):
    task = build_through_the_pages(
        client, handler, support, attack, django_capture_on_commit_callbacks
    )
    package = DataPackage.objects.get(task=task)
    assert package.counts == {}
    archive = zipfile.ZipFile(io.BytesIO(b"".join(packages.open_package(package))))
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert VICTIM["email"] not in everything and "Herhaalrecept" not in everything
    assert demo.Message.objects.using("default").count() == 12  # Anna's, still only hers


def test_a_mismatch_is_shown_to_support_after_the_look_up_and_to_the_practice(
    client, handler, support, attack, platform_db, practice, django_capture_on_commit_callbacks
):
    demo.add_patient(  # Mallory's own record: her channels point to it
        platform_db,
        practice_agb=practice.agb_code,
        email="mallory@example.com",
        mobile="+31622223333",
        first_name="Mallory",
        last_name="Mol",
        birth_date=datetime.date(1990, 6, 1),
        messages=2,
    )
    task = ask(client, handler, attack)
    client.force_login(support)
    client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version})
    page = client.post(
        f"/staff/tasks/{task.pk}/lookup/",
        {"email": "mallory@example.com", "mobile": "+31622223333", "patient_number": "P-99"},
    ).content.decode()
    warning = "De gevonden gegevens passen niet bij het verzoek"
    number = "het patiëntnummer in het verzoek hoort bij een andere patiënt"
    assert warning in page and number in page and "de naam in het verzoek wijkt af" in page
    lookup = AuditRecord.objects.filter(event_type="task.lookup").latest("seq")
    assert {m["field"] for m in lookup.details["mismatches"]} == {
        "patient_number",
        "name",
        "birth_date",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/tasks/{task.pk}/package/build/")
    package = DataPackage.objects.get(task=task)
    assert package.counts["platform"]["conversations"] == 2  # Mallory's own, not Anna's
    assert {m["field"] for m in package.mismatches} == {"patient_number", "name", "birth_date"}
    assert number in client.get(f"/staff/tasks/{task.pk}/").content.decode()
    client.force_login(handler)
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert warning in page and number in page


def test_a_matching_record_shows_no_warning(
    client, handler, support, access_request, django_capture_on_commit_callbacks
):
    task = build_through_the_pages(
        client, handler, support, access_request, django_capture_on_commit_callbacks
    )
    assert DataPackage.objects.get(task=task).mismatches == []
    client.force_login(handler)
    assert (
        "passen niet bij het verzoek" not in client.get(f"/staff/tasks/{task.pk}/").content.decode()
    )


def test_the_practice_accepts_a_package_only_after_opening_it(
    client, handler, support, access_request, django_capture_on_commit_callbacks
):
    task = build_through_the_pages(
        client, handler, support, access_request, django_capture_on_commit_callbacks
    )
    for step in task.manual_steps.all():
        client.post(f"/staff/tasks/{task.pk}/steps/{step.pk}/", {"note": "Niets aanwezig"})
    client.post(f"/staff/tasks/{task.pk}/act/deliver/", {"version": task.version})
    client.get(f"/staff/tasks/{task.pk}/package/download/")  # support's check does not count
    task = AssistanceTask.objects.get(pk=task.pk)
    assert task.state == TaskState.DELIVERED

    client.force_login(handler)
    url = f"/staff/tasks/{task.pk}/"
    page = client.get(url).content.decode()
    assert f'action="{url}act/accept/"' not in page and "Open het gegevenspakket" in page
    response = client.post(url + "act/accept/", {"version": task.version}, follow=True)
    assert "Open het gegevenspakket voordat u het goedkeurt" in response.content.decode()
    assert AssistanceTask.objects.get(pk=task.pk).state == TaskState.DELIVERED
    refused = AuditRecord.objects.filter(event_type="task.accept").latest("seq")
    assert (refused.outcome, refused.user) == ("denied", handler)

    b"".join(client.get(url + "package/download/").streaming_content)
    package = DataPackage.objects.get(task=task)
    assert package.opened_by == handler and package.opened_at
    assert f'action="{url}act/accept/"' in client.get(url).content.decode()
    client.post(url + "act/accept/", {"version": task.version})
    assert AssistanceTask.objects.get(pk=task.pk).state == TaskState.ACCEPTED


# --- Irreversible steps: a page says what happens, a ticked box confirms it ----------------------
def accepted_package(item, handler, support):
    from workflows.assistance import tasks as assistance

    task = assistance.start(
        assistance.request_assistance(item, actor=handler, kind="supply", instruction="Alles"),
        actor=support,
    )
    package = packages.build_package(task, actor=support)
    for step in task.manual_steps.all():
        assistance.tick_manual_step(step, actor=support, note="Niets")
    task = assistance.deliver(task, actor=support)
    packages.record_download(package, user=handler, who="practice")
    assistance.accept(task, actor=handler)
    granted(item, handler)  # ready to release
    return package


def test_releasing_a_package_needs_a_ticked_confirmation(
    client, handler, support, access_request, patient, django_capture_on_commit_callbacks
):
    from workflows.models import Notification

    package = accepted_package(access_request, handler, support)
    url = f"/staff/tasks/{package.task_id}/package/release/"
    client.force_login(handler)
    page = client.get(url).content.decode()
    for told in (patient.name, patient.email, patient.phone, "gesprekken (12)", "14 dagen"):
        assert told in page, told
    assert "Dit kan niet ongedaan worden gemaakt" in page and 'type="checkbox"' in page
    sent = Notification.objects.count()
    for without in ({}, {"confirm": ""}, {"plan": "x"}):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, without)
        assert response.status_code == 400
        assert "Vink het vakje aan" in response.content.decode()
        package.refresh_from_db()
        assert package.released_at is None and Notification.objects.count() == sent
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.downloadable and Notification.objects.count() > sent
    assert client.get(url).status_code == 302  # released: nothing left to confirm


def test_the_release_page_in_english(client, handler, support, access_request):
    package = accepted_package(access_request, handler, support)
    client.force_login(handler)
    client.cookies["django_language"] = "en"
    page = client.get(f"/staff/tasks/{package.task_id}/package/release/").content.decode()
    assert "This cannot be undone" in page and "The download link works for 14 days" in page


@pytest.fixture
def erase_task(platform_db, practice, patient, handler, support, providers):
    from workflows.assistance import tasks as assistance

    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        email=patient.email,
        mobile=patient.phone,
        birth_date=patient.birth_date,
        messages=7,
    )
    item = decided(practice, patient, handler, kind="erasure")
    return assistance.start(
        assistance.request_assistance(
            item,
            actor=handler,
            kind="erase",
            instruction="Alles wissen",
            keep_categories=["conversations"],
            keep_reason="Hoort bij het medisch dossier",
        ),
        actor=support,
    )


def test_running_an_erasure_needs_a_ticked_confirmation(
    client, support, erase_task, patient, django_capture_on_commit_callbacks
):
    from requests_app.models import ErasureRun

    url = f"/staff/tasks/{erase_task.pk}/erase/"
    client.force_login(support)
    assert f'action="{url}"' in client.get(f"/staff/tasks/{erase_task.pk}/").content.decode()
    page = client.get(url)
    text = page.content.decode()
    for told in (patient.name, "Platform van de app", "gesprekken", "Hoort bij het medisch"):
        assert told in text, told
    assert "nog met de hand te doen: " in text and "SendGrid" in text  # open manual steps
    assert "Dit kan niet ongedaan worden gemaakt" in text
    plan = page.context["form"]["plan"].value()
    for without in ({"plan": plan}, {"plan": plan, "confirm": ""}):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, without)
        assert response.status_code == 400 and "Vink het vakje aan" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the page no longer says what happens
        response = client.post(url, {"plan": "0" * 32, "confirm": "on"})
    assert response.status_code == 409
    assert not ErasureRun.objects.exists()
    assert demo.Patient.objects.using("default").filter(email=patient.email).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"plan": plan, "confirm": "on"})
    assert response.status_code == 302
    assert ErasureRun.objects.filter(task=erase_task, removed__gt=0).exists()
    assert demo.Message.objects.using("default").count() == 7  # kept on instruction


def test_only_support_reaches_the_erasure_page(client, handler, erase_task):
    client.force_login(handler)
    url = f"/staff/tasks/{erase_task.pk}/erase/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"confirm": "on"}).status_code == 403


def told(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_delivery_waits_for_an_open_step_names_it_and_keeps_the_note(
    client, handler, support, access_request, django_capture_on_commit_callbacks
):
    task = build_through_the_pages(
        client, handler, support, access_request, django_capture_on_commit_callbacks
    )
    first, *others = task.manual_steps.select_related("subprocessor")
    deliver = f"/staff/tasks/{task.pk}/act/deliver/"
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert f'action="{deliver}"' not in page  # not offered while it cannot succeed
    assert f"Nog open: {first.subprocessor.name}" in page

    # A page shown before the step reopened, or a second tab: refused, the step named.
    response = client.post(deliver, {"version": task.version, "note": "Alles nagekeken"})
    text = response.content.decode()
    assert response.status_code == 400
    assert f"Nog open: {first.subprocessor.name}" in text
    assert "Alles nagekeken</textarea>" in text  # the note as typed
    assert AssistanceTask.objects.get(pk=task.pk).state == TaskState.IN_PROGRESS

    response = client.post(f"/staff/tasks/{task.pk}/steps/{first.pk}/", {"note": "Niets"})
    assert f"Stap '{first.subprocessor.name}' afgevinkt." in told(response)
    for step in others:
        client.post(f"/staff/tasks/{task.pk}/steps/{step.pk}/", {"note": "Niets"})
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert f'action="{deliver}"' in page and "Nog open" not in page
    response = client.post(deliver, {"version": task.version, "note": "Alles nagekeken"})
    assert response.status_code == 302
    assert f"Hulpvraag {task.number} is opgeleverd aan de praktijk." in told(response)
    assert AssistanceTask.objects.get(pk=task.pk).state == TaskState.DELIVERED


def test_each_step_of_a_task_says_what_happened(
    client, handler, support, access_request, django_capture_on_commit_callbacks
):
    task = ask(client, handler, access_request)
    client.force_login(support)
    response = client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version})
    assert f"U heeft hulpvraag {task.number} in behandeling genomen." in told(response)
    assert "Opgeslagen." not in told(response)
    with django_capture_on_commit_callbacks(execute=True):  # as with a broker: after the page
        response = client.post(f"/staff/tasks/{task.pk}/package/build/")
    assert "wordt gemaakt" in told(response)
    for step in task.manual_steps.all():
        client.post(f"/staff/tasks/{task.pk}/steps/{step.pk}/", {"note": "Niets"})
    task = AssistanceTask.objects.get(pk=task.pk)
    client.post(f"/staff/tasks/{task.pk}/act/deliver/", {"version": task.version})

    client.force_login(handler)
    client.get(f"/staff/tasks/{task.pk}/package/download/")
    task = AssistanceTask.objects.get(pk=task.pk)
    response = client.post(
        f"/staff/tasks/{task.pk}/act/reject/",
        {"version": task.version, "reason": "Gesprekken ontbreken"},
    )
    assert f"Het resultaat van hulpvraag {task.number} is afgewezen" in told(response)


@pytest.mark.django_db(transaction=True)
def test_a_package_built_without_a_broker_is_said_to_be_made(
    client, handler, support, access_request
):
    """No broker: the build runs before the page answers, so the page says it is made."""
    from tests.factories import a_register

    a_register()
    task = ask(client, handler, access_request)
    client.force_login(support)
    client.post(f"/staff/tasks/{task.pk}/act/start/", {"version": task.version})
    response = client.post(f"/staff/tasks/{task.pk}/package/build/")
    assert DataPackage.objects.filter(task=task).exists()
    assert "Het gegevenspakket is gemaakt." in told(response)
    assert "wordt gemaakt" not in told(response)


def test_the_instruction_form_shows_only_what_belongs_to_its_kind(
    client, handler, access_request, practice, patient
):
    client.force_login(handler)
    page = client.get(f"/staff/requests/{access_request.reference}/").content.decode()
    assert 'name="instruction"' in page
    assert 'name="keep_categories"' not in page and 'name="keep_reason"' not in page
    erasure_request = decided(practice, patient, handler, kind="erasure")
    page = client.get(f"/staff/requests/{erasure_request.reference}/").content.decode()
    assert page.count('name="keep_categories"') == 11 and 'name="keep_reason"' in page
    assert "(alleen bij verwijdering)" not in page  # only an erasure here


def test_the_certificate_reads_as_a_dutch_document(
    client, handler, support, practice, patient, platform_db, providers
):
    from tests.factories import erased_with_certificate

    item = decided(practice, patient, handler, kind="erasure")
    task = erased_with_certificate(item, handler, support)
    from requests_app.models import ErasureCertificate

    certificate = ErasureCertificate.objects.get(task=task)
    manifest = certificate.manifest
    manifest["exceptions"]["categories"] = ["conversations"]
    manifest["exceptions"]["reason"] = "Hoort bij het dossier"
    issued = datetime.datetime(2026, 7, 1, 22, 30, tzinfo=datetime.UTC)
    manifest["issued_at"] = issued.isoformat(timespec="seconds")
    ErasureCertificate.objects.filter(pk=certificate.pk).update(manifest=manifest)

    client.force_login(handler)
    page = client.get(f"/staff/tasks/{task.pk}/certificate/").content.decode()
    assert "Ingewilligd" in page and ">granted<" not in page and "granted," not in page
    assert "gesprekken – Hoort bij het dossier" in page and "conversations" not in page
    assert "2 juli 2026, 00:30" in page  # summer time in Amsterdam, not UTC
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", page)  # no ISO times anywhere
    json_page = client.get(f"/staff/tasks/{task.pk}/certificate.json")
    assert b'"decision": "granted"' in json_page.content  # the manifest itself unchanged
