"""The Celery application. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Celery entry points live in workflows/jobs.py (their names stay "workflows.tasks.*").
app.autodiscover_tasks(["workflows"], related_name="jobs")


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_to_start_without_a_secret_key(**kwargs) -> None:
    from portal.startup import require_secret_key

    require_secret_key()
