"""Checks made when a long-running process starts (web server, Celery worker, beat)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NO_KEY_MESSAGE = (
    "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random value "
    "before starting the portal (or set DEBUG=1 for local development only)."
)


def require_secret_key() -> None:
    if settings.SECRET_KEY_MISSING:
        raise ImproperlyConfigured(NO_KEY_MESSAGE)
