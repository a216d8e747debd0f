"""Support's escalations: an assistance task past its turnaround, a request unanswered near its
legal deadline, and no equated public holidays for the coming year. Each once, however often the
job runs; not before it is due; to the right people; without patient details."""

import datetime

import pytest
from django.utils import timezone

from requests_app.models import AssistanceKind, EquatedHoliday, Request
from requests_app.roles import Role
from tests.factories import decided, forwarded, make_user, submit
from tests.workflows.helpers import started
from workflows import jobs
from workflows.assistance import general
from workflows.casework import deadlines, escalations
from workflows.models import Notification, Purpose

pytestmark = pytest.mark.django_db(transaction=True)
D = datetime.date


@pytest.fixture
def admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


@pytest.fixture
def second_handler(practice):
    return make_user("second@practice.example", Role.HANDLER, practice)


def escalated() -> list[Notification]:
    return list(Notification.objects.filter(purpose=Purpose.ESCALATION).order_by("recipient"))


# --- Assistance past its turnaround ----------------------------------------------------------
def test_a_task_past_its_turnaround_goes_to_support_and_the_requester_once(
    practice, patient, providers, handler, support, second_handler
):
    item = decided(practice, patient, handler, kind="erasure")
    task = started(item, handler, support, AssistanceKind.ERASE)
    providers.reset()

    assert escalations.escalate_overdue_tasks(task.due) == []  # the due day itself: in time
    sent = escalations.escalate_overdue_tasks(task.due + datetime.timedelta(days=1))
    assert sorted(n.recipient for n in sent) == sorted([support.email, handler.email])
    assert escalations.escalate_overdue_tasks(task.due + datetime.timedelta(days=2)) == []
    mails = providers.emails()
    assert len(mails) == 2
    text = mails[0].text
    assert task.number in text and f"/staff/tasks/{task.pk}/" in text
    assert "jan" not in text.lower() and patient.email not in text  # no patient details
    assert "doorlooptijd" in text  # Dutch, formal


def test_a_new_due_date_is_escalated_anew_and_a_delivered_task_not_at_all(
    practice, patient, providers, handler, support
):
    item = decided(practice, patient, handler, kind="erasure")
    task = started(item, handler, support, AssistanceKind.ERASE)
    later = task.due + datetime.timedelta(days=1)
    assert len(escalations.escalate_overdue_tasks(later)) == 2
    type(task).objects.filter(pk=task.pk).update(due=later)  # e.g. an objection answered
    assert len(escalations.escalate_overdue_tasks(later + datetime.timedelta(days=1))) == 2
    type(task).objects.filter(pk=task.pk).update(state="delivered")
    assert escalations.escalate_overdue_tasks(later + datetime.timedelta(days=30)) == []


def test_a_general_question_past_its_turnaround_is_escalated_too(practice, providers, support):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    task = general.ask(
        practice, actor=fg, kind="dpia", subject="DPIA", question="Welke subverwerkers?"
    )
    sent = escalations.escalate_overdue_tasks(task.due + datetime.timedelta(days=1))
    assert sorted(n.recipient for n in sent) == sorted([support.email, fg.email])
    assert all(f"/staff/general/{task.pk}/" in n.body for n in sent)
    assert all(n.practice_id == practice.pk for n in sent)


# --- A legal deadline near --------------------------------------------------------------------
def test_an_unanswered_request_is_escalated_five_working_days_before_its_deadline_once(
    practice, patient, providers, handler, second_handler, support
):
    item = forwarded(submit(practice, patient))
    # Due Monday 8 June 2026: five working days before is Monday 1 June (Friday 29 May is six).
    Request.objects.filter(pk=item.pk).update(response_due=D(2026, 6, 8))
    providers.reset()

    assert escalations.warn_deadlines(D(2026, 5, 29)) == []
    sent = escalations.warn_deadlines(D(2026, 6, 1))
    # No handler assigned: every handler of the practice, and the FG; not support.
    assert sorted(n.recipient for n in sent) == sorted(
        [handler.email, second_handler.email, practice.dpo_email]
    )
    assert escalations.warn_deadlines(D(2026, 6, 1)) == []  # run twice: nothing again
    assert escalations.warn_deadlines(D(2026, 6, 2)) == []
    assert len(escalated()) == 3
    text = providers.emails()[0].text
    assert item.reference in text and "8 juni 2026" in text and "5 werkdagen" in text
    assert "Jan" not in text and patient.email not in text


def test_the_assigned_handler_is_warned_and_an_extension_warns_again(
    practice, patient, providers, handler, second_handler, settings
):
    settings.DEADLINE_WARNING_WORKING_DAYS = 2
    item = forwarded(submit(practice, patient))
    Request.objects.filter(pk=item.pk).update(response_due=D(2026, 6, 8), assigned_to=handler)
    assert escalations.warn_deadlines(D(2026, 6, 3)) == []  # three working days before
    sent = escalations.warn_deadlines(D(2026, 6, 4))
    assert sorted(n.recipient for n in sent) == sorted([handler.email, practice.dpo_email])
    Request.objects.filter(pk=item.pk).update(response_due=D(2026, 8, 10))
    assert escalations.warn_deadlines(D(2026, 6, 5)) == []
    assert len(escalations.warn_deadlines(D(2026, 8, 6))) == 2


def test_an_answered_request_or_one_past_its_deadline_is_not_warned(
    practice, patient, providers, handler
):
    item = decided(practice, patient, handler, kind="access")  # granted: answered
    Request.objects.filter(pk=item.pk).update(response_due=D(2026, 6, 8))
    assert escalations.warn_deadlines(D(2026, 6, 5)) == []
    late = forwarded(submit(practice, patient))
    Request.objects.filter(pk=late.pk).update(response_due=D(2026, 6, 8))
    assert escalations.warn_deadlines(D(2026, 6, 9)) == []  # overdue: the daily digest says so


# --- The decree days of the coming year ------------------------------------------------------
def test_no_decree_days_for_the_coming_year_goes_to_support_and_admins_once(
    practice, providers, support, admin, handler
):
    EquatedHoliday.objects.filter(date__year=2029).delete()
    EquatedHoliday.objects.get_or_create(
        date=D(2028, 5, 26), defaults={"description": "Vrijdag na Hemelvaart"}
    )
    assert escalations.check_decree_days(D(2028, 9, 30)) == []  # before 1 October
    sent = escalations.check_decree_days(D(2028, 10, 1))
    assert sorted(n.recipient for n in sent) == sorted([support.email, admin.email])
    assert escalations.check_decree_days(D(2028, 11, 15)) == []
    assert "2029" in providers.emails()[0].text
    assert "/admin/requests_app/equatedholiday/" in providers.emails()[0].text


def test_decree_days_entered_for_the_coming_year_mean_no_message(providers, support):
    EquatedHoliday.objects.get_or_create(date=D(2028, 4, 28), defaults={"description": "Brugdag"})
    assert escalations.check_decree_days(D(2027, 10, 2)) == []


def test_the_daily_job_runs_every_escalation_once(
    practice, patient, providers, handler, support, settings
):
    entry = settings.CELERY_BEAT_SCHEDULE["escalate-operations"]
    assert entry["task"] == "workflows.tasks.escalate_operations"
    today = timezone.localdate()
    item = forwarded(submit(practice, patient))
    Request.objects.filter(pk=item.pk).update(response_due=deadlines.working_days_after(today, 2))
    jobs.escalate_operations.delay()
    jobs.escalate_operations.delay()
    warned = Notification.objects.filter(dedupe_key__startswith=f"deadline-near:{item.reference}")
    assert sorted(warned.values_list("recipient", flat=True)) == sorted(
        [handler.email, practice.dpo_email]
    )
