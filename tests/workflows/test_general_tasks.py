"""Help beyond one request (agreement art. 6.3, 6.4, 4.7) and processing under a legal order
(art. 3.4): who may do what, the turnaround, who is told, and the refused paths."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from requests_app.errors import TransitionRefused
from requests_app.models import AuditRecord, GeneralState, OrderState
from requests_app.roles import Role
from tests.factories import make_user
from workflows.assistance import general, instructions, legal_orders
from workflows.casework.deadlines import working_days_after
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def fg(practice):
    return make_user("fg@practice.example", Role.DPO, practice)


def ask_dpia(practice, actor):
    return general.ask(
        practice,
        actor=actor,
        kind="dpia",
        subject="DPIA videoconsult",
        question="Welke subverwerkers verwerken de beelden, en waar?",
    )


def test_the_fg_files_a_dpia_question_and_support_is_told(practice, fg, support):
    task = ask_dpia(practice, fg)
    assert task.state == GeneralState.REQUESTED and task.number == f"G{task.pk}"
    assert task.due == working_days_after(timezone.localdate(), practice.assistance_turnaround_days)
    mail = Notification.objects.get(purpose=Purpose.ASSISTANCE, recipient=support.email)
    assert f"/staff/general/{task.pk}/" in mail.body
    record = AuditRecord.objects.get(event_type="general_task.create")
    assert record.practice_id_ref == practice.pk and record.patient_id == ""


def test_asking_is_for_the_practices_instructing_roles_and_fg(practice, other_practice, support):
    admin = make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)
    other = make_user("fg@elders.example", Role.DPO, other_practice)
    for actor in (admin, other, support):
        with pytest.raises(PermissionDenied):
            ask_dpia(practice, actor)
    with pytest.raises(instructions.InstructionIncomplete):
        general.ask(
            practice,
            actor=make_user("h@p.example", Role.HANDLER, practice),
            kind="x",
            subject="s",
            question="q",
        )


def test_support_answers_the_practice_closes_or_reopens(practice, handler, fg, support):
    task = ask_dpia(practice, handler)
    with pytest.raises(PermissionDenied):
        general.start(task, actor=handler)
    task = general.start(task, actor=support)
    with pytest.raises(PermissionDenied):
        general.answer(task, actor=handler, text="zelf")
    task = general.answer(task, actor=support, text="Alleen KPN, in Nederland.")
    assert task.state == GeneralState.ANSWERED
    assert Notification.objects.filter(recipient=handler.email, subject__contains=task.number)
    assert Notification.objects.filter(recipient=practice.dpo_email, subject__contains=task.number)
    with pytest.raises(PermissionDenied):
        general.close(task, actor=support)
    task = general.reopen(task, actor=fg, reason="Ook de opnames graag")
    assert task.state == GeneralState.IN_PROGRESS and task.reopen_reason
    task = general.answer(task, actor=support, text="Er worden geen opnames gemaakt.")
    task = general.close(task, actor=handler)
    assert task.state == GeneralState.CLOSED and not task.is_open
    with pytest.raises(TransitionRefused):
        general.reopen(task, actor=handler, reason="nog iets")
    actions = list(task.events.values_list("action", flat=True))
    assert actions == ["requested", "start", "give_answer", "reopen", "give_answer", "close"]


def test_support_may_object_to_a_general_question(practice, handler, support):
    task = general.start(ask_dpia(practice, handler), actor=support)
    task = instructions.object_to(task, actor=support, reason="Vraagt om patiëntgegevens")
    assert task.state == GeneralState.OBJECTED and not task.overdue
    with pytest.raises(PermissionDenied):
        instructions.change(task, actor=support, instruction="x")
    task = instructions.change(task, actor=handler, instruction="Alleen de categorieën graag")
    assert task.state == GeneralState.IN_PROGRESS
    assert task.instruction == "Alleen de categorieën graag"


# --- Legal orders (agreement art. 3.4) -----------------------------------------------------
def record(practices, support, **extra):
    fields = {
        "authority": "Rechtbank Midden-Nederland",
        "legal_basis": "art. 126nd Sv (vordering verstrekking gegevens)",
        "order_reference": "PL0900-2026-123",
        "processing": "Verstrekken van de inloggegevens van één account",
        "received_on": datetime.date(2026, 3, 2),
        "planned_on": datetime.date(2026, 3, 9),
    }
    return legal_orders.record(practices, actor=support, **(fields | extra))


def test_an_order_for_two_practices_tells_each_fg_before_the_processing(
    practice, other_practice, support
):
    orders = record([practice, other_practice], support)
    assert [o.practice for o in orders] == [practice, other_practice]
    order = orders[0]
    with pytest.raises(legal_orders.NoticeDue):
        legal_orders.carry_out(order, actor=support, contest_note="x", limitation_note="y")
    order = legal_orders.notify(order, actor=support)
    mails = Notification.objects.filter(purpose=Purpose.LEGAL_ORDER)
    assert {m.recipient for m in mails} == {practice.dpo_email, practice.standin_email}
    assert "PL0900-2026-123" in mails[0].body and "126nd" in mails[0].body
    order = legal_orders.carry_out(
        order,
        actor=support,
        contest_note="Praktijk op 3 maart gewezen op bezwaar bij de rechter-commissaris",
        limitation_note="Alleen het gevraagde account, geen berichten",
    )
    assert order.state == OrderState.CARRIED_OUT
    assert AuditRecord.objects.filter(event_type="legal_order.carry_out").exists()


def test_a_ban_on_notice_sends_nothing_and_hides_the_order_until_lifted(practice, support):
    (order,) = record([practice], support)
    with pytest.raises(instructions.InstructionIncomplete):
        legal_orders.forbid_notice(order, actor=support, ground=" ")
    order = legal_orders.forbid_notice(
        order, actor=support, ground="art. 126bb Sv: geheimhouding in het belang van het onderzoek"
    )
    assert order.state == OrderState.NOTICE_FORBIDDEN and not order.shown_to_practice
    assert not Notification.objects.filter(purpose=Purpose.LEGAL_ORDER).exists()
    order = legal_orders.carry_out(
        order,
        actor=support,
        contest_note="Niet mogelijk: verbod",
        limitation_note="Alleen de gevraagde regels",
    )
    order = legal_orders.lift_ban(order, actor=support)
    assert order.state == OrderState.CARRIED_OUT and order.shown_to_practice
    assert Notification.objects.filter(purpose=Purpose.LEGAL_ORDER).count() == 2
    with pytest.raises(TransitionRefused):
        legal_orders.lift_ban(order, actor=support)


def test_only_support_records_and_moves_orders(practice, handler, support):
    with pytest.raises(PermissionDenied):
        record([practice], handler)
    with pytest.raises(instructions.InstructionIncomplete):
        record([practice], support, planned_on=datetime.date(2026, 3, 1))
    (order,) = record([practice], support)
    with pytest.raises(PermissionDenied):
        legal_orders.notify(order, actor=handler)
