"""The pages of the processor's instructions and help beyond one request, through the web client:
the objection (agreement art. 3.3), general tasks (6.3, 6.4), legal orders (3.4) and time with
its cost (9, Bijlage 3). Another practice reaches none of it; bad input is a 400 that changes
nothing."""

import datetime
import uuid

import pytest
from django.utils import timezone

from requests_app.models import (
    AssistanceKind,
    AssistanceTask,
    GeneralState,
    GeneralTask,
    LegalOrder,
    TaskState,
    TimeEntry,
)
from requests_app.roles import Role
from tests.factories import decided, make_user
from workflows.assistance import general, legal_orders
from workflows.assistance import tasks as assistance

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(practice, patient, handler, support):
    item = decided(practice, patient, handler, kind="erasure")
    task = assistance.request_assistance(
        item, actor=handler, kind=AssistanceKind.ERASE, instruction="Wis ook de back-ups"
    )
    return assistance.start(task, actor=support)


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


def fresh(task):
    return type(task).objects.get(pk=task.pk)


def test_support_objects_and_the_practice_changes_the_instruction(client, task, handler, support):
    client.force_login(support)
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert f'action="/staff/tasks/{task.pk}/instruction/object/"' in page
    response = client.post(
        f"/staff/tasks/{task.pk}/instruction/object/",
        {"objection-version": task.version, "objection-reason": "Strijdt met de bewaarplicht"},
    )
    assert response.status_code == 302
    assert fresh(task).state == TaskState.OBJECTED

    # Support cannot answer its own objection.
    response = client.post(
        f"/staff/tasks/{task.pk}/instruction/confirm_instruction/",
        {"confirm-version": fresh(task).version, "confirm-note": "zelf"},
    )
    assert response.status_code == 403 and fresh(task).state == TaskState.OBJECTED

    client.force_login(handler)
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert "Strijdt met de bewaarplicht" in page
    assert f'action="/staff/tasks/{task.pk}/instruction/change_instruction/"' in page
    client.post(
        f"/staff/tasks/{task.pk}/instruction/change_instruction/",
        {"change-version": fresh(task).version, "change-instruction": "Alleen de app-gegevens"},
    )
    task = fresh(task)
    assert task.state == TaskState.IN_PROGRESS and task.instruction == "Alleen de app-gegevens"
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert "Wis ook de back-ups" in page  # the old instruction, on the timeline


def test_another_practices_handler_gets_404(client, task, support, other_handler):
    client.force_login(support)
    client.post(
        f"/staff/tasks/{task.pk}/instruction/object/",
        {"objection-version": task.version, "objection-reason": "Onrechtmatig"},
    )
    client.force_login(other_handler)
    for url in (f"/staff/tasks/{task.pk}/", f"/staff/tasks/{task.pk}/instruction/withdraw/"):
        response = (
            client.post(url, {"withdraw-version": 2}) if "withdraw" in url else client.get(url)
        )
        assert response.status_code == 404
    assert fresh(task).state == TaskState.OBJECTED


def test_a_withdrawn_task_accepts_nothing(client, task, handler, support):
    client.force_login(support)
    client.post(
        f"/staff/tasks/{task.pk}/instruction/object/",
        {"objection-version": task.version, "objection-reason": "Onrechtmatig"},
    )
    client.force_login(handler)
    client.post(
        f"/staff/tasks/{task.pk}/instruction/withdraw/", {"withdraw-version": fresh(task).version}
    )
    task = fresh(task)
    assert task.state == TaskState.WITHDRAWN
    response = client.post(
        f"/staff/tasks/{task.pk}/instruction/confirm_instruction/",
        {"confirm-version": task.version, "confirm-note": "toch wel"},
        follow=True,
    )
    assert "niet mogelijk" in response.content.decode()
    assert fresh(task).state == TaskState.WITHDRAWN and fresh(task).version == task.version


def test_an_objection_without_a_reason_is_a_400(client, task, support):
    client.force_login(support)
    response = client.post(
        f"/staff/tasks/{task.pk}/instruction/object/",
        {"objection-version": task.version, "objection-reason": ""},
    )
    assert response.status_code == 400 and fresh(task).state == TaskState.IN_PROGRESS


# --- General tasks -------------------------------------------------------------------------
def test_the_fg_files_a_dpia_question_support_answers_the_practice_closes(
    client, practice, fg, support
):
    client.force_login(fg)
    page = client.get("/staff/general/new/").content.decode()
    assert 'name="question"' in page
    response = client.post(
        "/staff/general/new/",
        {
            "practice": practice.pk,
            "kind": "dpia",
            "subject": "DPIA beeldbellen",
            "question": "Waar staan de beelden?",
            "key": str(uuid.uuid4()),
        },
    )
    task = GeneralTask.objects.get()
    assert response["Location"] == f"/staff/general/{task.pk}/"
    assert "DPIA beeldbellen" in client.get("/staff/general/").content.decode()

    client.force_login(support)
    assert "DPIA beeldbellen" in client.get("/staff/general/").content.decode()
    client.post(f"/staff/general/{task.pk}/act/start/", {"version": 0})
    client.post(
        f"/staff/general/{task.pk}/act/give_answer/", {"version": 1, "text": "Nergens: live."}
    )
    assert fresh(task).state == GeneralState.ANSWERED

    client.force_login(fg)
    page = client.get(f"/staff/general/{task.pk}/").content.decode()
    assert "Nergens: live." in page and f"/staff/general/{task.pk}/act/close/" in page
    client.post(f"/staff/general/{task.pk}/act/close/", {"version": 2})
    assert fresh(task).state == GeneralState.CLOSED


def test_general_tasks_of_another_practice_are_404(client, practice, handler, other_handler):
    task = general.ask(practice, actor=handler, kind="audit", subject="Audit", question="Wanneer?")
    client.force_login(other_handler)
    assert client.get(f"/staff/general/{task.pk}/").status_code == 404
    assert "Audit" not in client.get("/staff/general/").content.decode()
    response = client.post(f"/staff/general/{task.pk}/act/close/", {"version": 0})
    assert response.status_code == 404


def test_a_question_without_subject_is_a_400(client, practice, handler):
    client.force_login(handler)
    response = client.post(
        "/staff/general/new/",
        {"practice": practice.pk, "kind": "other", "question": "?", "key": str(uuid.uuid4())},
    )
    assert response.status_code == 400 and not GeneralTask.objects.exists()


# --- Legal orders ----------------------------------------------------------------------------
def order_fields(practice):
    return {
        "practices": [practice.pk],
        "authority": "Officier van justitie",
        "legal_basis": "art. 126nd Sv",
        "order_reference": "OvJ-2026-7",
        "processing": "Verstrekken van accountgegevens",
        "received_on": "2026-03-02",
        "planned_on": "2026-03-09",
        "key": str(uuid.uuid4()),
    }


def test_an_order_is_shown_to_the_practice_once_notified(
    client, practice, handler, other_handler, support
):
    client.force_login(support)
    client.post("/staff/orders/new/", order_fields(practice))
    order = LegalOrder.objects.get()
    # Carried out before the notice: refused, and said why.
    response = client.post(
        f"/staff/orders/{order.pk}/act/carry_out/",
        {"version": 0, "contest_note": "x", "limitation_note": "y"},
        follow=True,
    )
    assert "eerst" in response.content.decode().lower()
    assert LegalOrder.objects.get().state == "recorded"
    client.post(f"/staff/orders/{order.pk}/act/notify/", {"version": 0})

    client.force_login(handler)
    page = client.get(f"/staff/orders/{order.pk}/").content.decode()
    assert "OvJ-2026-7" in page and "act/carry_out" not in page
    assert client.post(f"/staff/orders/{order.pk}/act/carry_out/", {}).status_code == 403
    client.force_login(other_handler)
    assert client.get(f"/staff/orders/{order.pk}/").status_code == 404


def test_an_order_under_a_ban_on_notice_is_hidden_from_the_practice(
    client, practice, handler, support
):
    (order,) = legal_orders.record(
        [practice],
        actor=support,
        authority="AIVD",
        legal_basis="art. 28 Wiv 2017",
        order_reference="X-1",
        processing="Gegevens verstrekken",
        received_on=datetime.date(2026, 3, 2),
        planned_on=datetime.date(2026, 3, 3),
    )
    legal_orders.forbid_notice(order, actor=support, ground="art. 66 Wiv 2017: geheimhouding")
    client.force_login(handler)
    assert client.get(f"/staff/orders/{order.pk}/").status_code == 404
    assert "X-1" not in client.get("/staff/orders/").content.decode()


# --- Time and cost ---------------------------------------------------------------------------
def entry(**extra):
    fields = {
        "day": timezone.localdate().isoformat(),
        "minutes": "90",
        "function": "Security consultant",
        "basis": "chargeable",
        "note": "Logbestanden nagelopen",
        "key": str(uuid.uuid4()),
    } | extra
    return {f"time-{name}": value for name, value in fields.items()}


def test_support_records_time_and_the_practice_sees_the_cost(client, task, handler, support):
    client.force_login(support)
    response = client.post(f"/staff/tasks/{task.pk}/time/", entry())
    assert response.status_code == 302
    client.force_login(handler)
    page = client.get(f"/staff/tasks/{task.pk}/").content.decode()
    assert "180,00" in page and "Security consultant" in page
    assert f"/staff/tasks/{task.pk}/time/" not in page  # the practice records no time
    assert client.post(f"/staff/tasks/{task.pk}/time/", entry()).status_code == 403
    statement = client.get("/staff/charges/").content.decode()
    assert "180,00" in statement
    csv = client.get(
        f"/staff/charges/statement.csv?practice={task.practice_id}"
        f"&month={timezone.localdate():%Y-%m}"
    )
    assert csv["Content-Type"].startswith("text/csv") and b"180.00" in csv.content


@pytest.mark.parametrize(
    "bad",
    [
        {"minutes": "-30"},
        {"minutes": "99999999"},
        {"minutes": "1e9"},
        {"function": "Astronaut"},
        {"note": ""},
        {"day": "2999-01-01"},
        {"basis": "gratis"},
    ],
)
def test_bad_time_is_a_400_that_changes_nothing(client, task, support, bad):
    client.force_login(support)
    response = client.post(f"/staff/tasks/{task.pk}/time/", entry(**bad))
    assert response.status_code == 400
    assert not TimeEntry.objects.exists()


def test_a_nul_byte_in_a_note_is_refused(client, task, support):
    client.force_login(support)
    response = client.post(f"/staff/tasks/{task.pk}/time/", entry(note="a\x00b"))
    assert response.status_code == 400 and not TimeEntry.objects.exists()


def test_another_practices_statement_cannot_be_asked_for(
    client, practice, other_practice, other_handler
):
    client.force_login(other_handler)
    response = client.get(f"/staff/charges/?practice={practice.pk}&month=2026-03")
    assert response.status_code == 404
    response = client.get(f"/staff/charges/statement.csv?practice={practice.pk}&month=2026-03")
    assert response.status_code == 404
    assert client.get("/staff/charges/?practice=x&month=13-2026").status_code == 400


def test_the_task_list_keeps_a_waiting_task_among_the_open_ones(client, task, handler, support):
    client.force_login(support)
    client.post(
        f"/staff/tasks/{task.pk}/instruction/object/",
        {"objection-version": task.version, "objection-reason": "Onrechtmatig"},
    )
    client.force_login(handler)
    page = client.get("/staff/tasks/").content.decode()
    assert f"/staff/tasks/{task.pk}/" in page
    assert AssistanceTask.objects.get(pk=task.pk).state == TaskState.OBJECTED
