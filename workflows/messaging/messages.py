"""Texts of e-mails and SMS live in templates; this renders them in the recipient's language.

No message carries health data or the patient's name: a reference and a link to sign in.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

# Practices, their FG and processor support are written to in Dutch; patients in their language.
STAFF_LANGUAGE = "nl"


def render_message(name: str, medium: str, language: str, context: dict) -> tuple[str, str]:
    """Render templates/notifications/<name>.<medium>.txt; an e-mail's first line is its subject."""
    context = {"portal_url": settings.PORTAL_BASE_URL, **context}
    with translation.override(language):
        text = render_to_string(f"notifications/{name}.{medium}.txt", context).strip()
    if medium == "email":
        subject, _, body = text.partition("\n")
        return subject.strip(), body.strip() + "\n"
    return "", " ".join(text.split())
