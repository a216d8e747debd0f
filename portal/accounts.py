"""Sign-in: staff accounts are made by administrators (no sign-up); patients sign in with a
code sent to the e-mail address of their request. allauth's e-mails go through our outbox."""

import logging

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url

from requests_app import access
from workflows import outbox
from workflows.models import Medium, Notification, Purpose

log = logging.getLogger(__name__)

LOGIN_CODE = "account/email/login_code"


def _is_staff_email(email: str) -> bool:
    users = get_user_model().objects.filter(email__iexact=email)
    return any(access.is_practice_staff(u) or access.is_processor_support(u) for u in users)


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        if template_prefix == LOGIN_CODE and _is_staff_email(email):
            # Staff sign in with password (and, later, a second factor), never by e-mail alone.
            log.warning("refused a sign-in code for a staff account")
            return
        rendered = self.render_mail(template_prefix, email, {"email": email, **context})
        outbox.enqueue(
            [
                Notification(
                    purpose=Purpose.ACCOUNT_MAIL,
                    medium=Medium.EMAIL,
                    recipient=email,
                    subject=rendered.subject[:200],
                    body=rendered.body,
                    scrub_after_send=True,
                )
            ]
        )

    def get_login_redirect_url(self, request) -> str:
        user = request.user
        if access.is_practice_staff(user) or access.is_processor_support(user):
            return resolve_url("staff:queue")
        return resolve_url("patient:track")
