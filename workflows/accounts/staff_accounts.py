"""Password reset for staff, run as a job after the answer, so that "send me a link" answers in
the same time whether or not the address belongs to an account. Only staff accounts (with a
password and a role) get a link; patients sign in by code and have no password to reset."""

import logging
import urllib.parse

from django.conf import settings
from django.test import RequestFactory
from django.utils import translation

from requests_app import access
from workflows import counters, schedule

log = logging.getLogger(__name__)


def staff_accounts_for(address: str) -> list:
    """Active staff accounts with a password whose address is exactly this canonical one."""
    return [
        user
        for user in access.staff_with_address(address)
        if user.is_active and user.has_usable_password()
    ]


# Links per address: 3 an hour, 6 a day.
RESET_LIMITS = [(60 * 60, 3), (24 * 60 * 60, 6)]


def request_password_reset(address: str, *, language: str) -> bool:
    """Schedule the job for a canonical address; False past the caps (known or not)."""
    if not counters.within("password-reset", address, RESET_LIMITS):
        return False
    schedule.after_commit(
        "workflows.tasks.send_password_reset", address, language, what="a password reset"
    )
    return True


def send_password_reset(address: str, language: str) -> int:
    """Mail a reset link to each staff account of the address; returns how many were sent."""
    from allauth.account.forms import default_token_generator
    from allauth.account.internal.flows.password_reset import request_password_reset
    from allauth.core import context

    users = staff_accounts_for(address)
    if not users:
        return 0
    base = urllib.parse.urlsplit(settings.PORTAL_BASE_URL)
    secure = base.scheme == "https"
    web_request = RequestFactory().get(
        "/accounts/password/reset/",
        SERVER_NAME=base.hostname or "localhost",
        SERVER_PORT=str(base.port or (443 if secure else 80)),
        secure=secure,
    )
    with translation.override(language), context.request_context(web_request):
        request_password_reset(web_request, address, users, default_token_generator)
    return len(users)
