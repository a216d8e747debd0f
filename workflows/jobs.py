"""Celery tasks: thin wrappers over the plain functions in this package."""

import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from requests_app.models import AssistanceTask
from workflows.accounts import patient_signin, staff_accounts
from workflows.assistance import erasure, packages
from workflows.casework import escalations, incident_escalations, incidents, reminders
from workflows.housekeeping import audit_checkpoints, retention
from workflows.intake import submission as intake
from workflows.messaging import delivery, outbox
from workflows.onboarding import team
from workflows.register import changes as subprocessor_changes

log = logging.getLogger(__name__)


@shared_task(name="workflows.tasks.deliver_notifications")
def deliver_notifications(notification_ids: list[int]) -> list[str]:
    """Send the rows in order (the practice's messages come before the patient's receipt)."""
    outcomes = delivery.deliver(notification_ids)
    for notification_id, outcome in zip(notification_ids, outcomes, strict=True):
        if outcome.status == "retry" and not deliver_notifications.app.conf.task_always_eager:
            # In-process (eager) mode has no timer to wait with: the sweep retries instead.
            outbox.dispatch([notification_id], countdown=outcome.retry_in.total_seconds())
    return [outcome.status for outcome in outcomes]


@shared_task(name="workflows.tasks.sweep_outbox")
def sweep_outbox() -> int:
    queued = outbox.sweep()
    intake.purge_stale_drafts()
    return len(queued)


@shared_task(name="workflows.tasks.send_daily_digests")
def send_daily_digests() -> int:
    return len(reminders.send_daily_digests())


@shared_task(name="workflows.tasks.escalate_unacknowledged")
def escalate_unacknowledged() -> int:
    return len(reminders.escalate_unacknowledged()) + len(reminders.escalate_not_forwarded())


@shared_task(name="workflows.tasks.escalate_operations")
def escalate_operations() -> int:
    """Daily: tasks past their turnaround, deadlines near, the coming year's decree days."""
    return (
        len(escalations.escalate_overdue_tasks())
        + len(escalations.warn_deadlines())
        + len(escalations.check_decree_days())
    )


@shared_task(name="workflows.tasks.watch_incidents")
def watch_incidents() -> int:
    return incidents.tell_untold() + len(incident_escalations.escalate())


@shared_task(name="workflows.tasks.purge_expired")
def purge_expired() -> int:
    erased = len(retention.purge_expired()) + len(packages.purge_packages())
    retention.flag_abandoned()  # open work is never erased, only reported
    return erased


@shared_task(name="workflows.tasks.anchor_audit_log")
def anchor_audit_log() -> int | None:
    """Daily: checkpoint the audit chain outside the database (raises if the chain is broken)."""
    anchor = audit_checkpoints.take_checkpoint()
    return anchor.seq if anchor else None


@shared_task(name="workflows.tasks.anchor_audit_log_often")
def anchor_audit_log_often() -> int | None:
    """Every five minutes: the same checkpoint, stored outside the database, without mail."""
    anchor = audit_checkpoints.take_checkpoint(mail=False)
    return anchor.seq if anchor else None


@shared_task(name="workflows.tasks.build_package")
def build_package(task_id: int, user_id: int) -> int:
    """Exports run in the background: a big package or a slow provider must not hold a page."""
    task = AssistanceTask.objects.select_related("request", "practice").get(pk=task_id)
    return packages.build_package(task, actor=get_user_model().objects.get(pk=user_id)).pk


@shared_task(name="workflows.tasks.run_erasure")
def run_erasure(task_id: int, user_id: int) -> int:
    task = AssistanceTask.objects.select_related("request", "practice").get(pk=task_id)
    return len(erasure.run_erasure(task, actor=get_user_model().objects.get(pk=user_id)))


@shared_task(name="workflows.tasks.send_signin_code")
def send_signin_code(address: str, language: str) -> bool:
    """Looked up and sent here, after the answer: the page takes as long for any address."""
    return patient_signin.send_code(address, language)


@shared_task(name="workflows.tasks.send_password_reset")
def send_password_reset(address: str, language: str) -> int:
    return staff_accounts.send_password_reset(address, language)


@shared_task(name="workflows.tasks.subprocessor_changes_take_effect")
def subprocessor_changes_take_effect() -> int:
    """Announced changes of sub-processors whose date has come (agreement art. 7.1)."""
    return len(subprocessor_changes.take_effect_due())


@shared_task(name="workflows.tasks.remind_access_review")
def remind_access_review() -> int:
    """Daily; each practice administrator hears of the yearly access review once a year."""
    return len(team.send_access_review_reminders())
