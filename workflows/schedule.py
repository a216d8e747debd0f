"""Background work is asked for by its task name: the Celery entry points (workflows/jobs.py)
import the parts of workflows, so the parts never import them back, and views never call a job.
"""

import logging

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)


def publish(task_name: str, *args, countdown: float | None = None) -> None:
    """Queue a job (run in-process when no broker is configured). Raises when the broker cannot
    be reached; callers decide whether that is worth more than a log line."""
    current_app.tasks[task_name].apply_async(args, countdown=countdown)


def after_commit(task_name: str, *args, what: str) -> None:
    """Queue the job once the caller's transaction has committed; a broker fault is logged (the
    person asks again, or a sweep catches up)."""

    def publish_now() -> None:
        try:
            publish(task_name, *args)
        except Exception:
            log.warning("could not queue %s", what, exc_info=True)

    transaction.on_commit(publish_now)
