"""Where the tests run: CI or not, the broker, the second platform database."""

import os

from portal.celery import app as celery_app

IN_CI = os.environ.get("CI", "").lower() == "true"


def _own_redis_database() -> None:
    """Under pytest-xdist each worker takes its own Redis database (the given number minus the
    worker's index), as pytest-django gives each its own PostgreSQL database: tests flush it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("TEST_REDIS_URL", "")
    if not worker.startswith("gw") or not url:
        return
    base, _slash, number = url.rpartition("/")
    os.environ["TEST_REDIS_URL"] = f"{base}/{int(number or 15) - int(worker[2:])}"


_own_redis_database()


# A SQLite database beside PostgreSQL, so the platform connector is tested on both engines
# (tests ask for it with django_db(databases=["default", PLATFORM_SQLITE])).
PLATFORM_SQLITE = "platform_sqlite"


def use_broker(url: str | None) -> None:
    """Send tasks to the broker at `url`, or run them in-process when None.

    Celery keeps its connection pools once made; they are dropped so the new URL is used.
    """
    celery_app.conf.task_always_eager = url is None
    if url is not None:
        celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def drop_platform_tables(alias: str) -> None:
    """After a test that committed: inside a test transaction the rollback removes them."""
    from django.db import connections

    from demo import platform as platform_demo

    connection = connections[alias]
    if connection.in_atomic_block:
        return
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in reversed(platform_demo.MODELS):
            if model._meta.db_table in existing:
                editor.delete_model(model)


def add_sqlite_platform() -> None:
    """A SQLite database beside PostgreSQL, so the platform connector is tested on both engines
    (tests ask for it with django_db(databases=["default", PLATFORM_SQLITE]))."""
    from django.conf import settings
    from django.db import connections

    wanted = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"MIGRATE": False},
    }
    settings.DATABASES[PLATFORM_SQLITE] = wanted
    configured = connections.configure_settings(
        {"default": connections.settings["default"], PLATFORM_SQLITE: dict(wanted)}
    )
    connections.settings[PLATFORM_SQLITE] = configured[PLATFORM_SQLITE]
