"""Readable column headings for the package's page: the fields the platform mapping and the
connectors export, in the reader's language. The CSV files and package.json keep the field
names themselves (they are for machines, and docs/data-package.schema.json describes them)."""

import datetime

from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

FIELD_LABELS = {
    # The platform (workflows/assistance/connectors/platform_mapping.py)
    "first_name": _("first name"),
    "last_name": _("last name"),
    "birth_date": _("date of birth"),
    "practice_agb": _("practice (AGB code)"),
    "patient_number": _("patient number"),
    "bsn": _("citizen service number (BSN)"),
    "postcode": _("postcode"),
    "email": _("e-mail address"),
    "mobile": _("mobile number"),
    "device_id": _("device id"),
    "platform": _("operating system"),
    "registered_at": _("registered on"),
    "conversation_id": _("conversation"),
    "sender": _("sender"),
    "body": _("text"),
    "sent_at": _("sent on"),
    "started_at": _("started"),
    "ended_at": _("ended"),
    "ip_address": _("IP address"),
    # Twilio's message log
    "sid": _("message id"),
    "direction": _("direction"),
    "from": _("from"),
    "to": _("to"),
    "status": _("status"),
    "date_sent": _("sent on"),
    # SendGrid's contacts and suppression lists
    "kind": _("kind of entry"),
    "contact_id": _("contact id"),
    "alternate_emails": _("other e-mail addresses"),
    "list_ids": _("mailing lists"),
    "created_at": _("created"),
    "updated_at": _("changed"),
    "created": _("created"),
    "reason": _("reason"),
    "ip": _("IP address"),
    "group_id": _("unsubscribe group"),
    "group_name": _("unsubscribe group name"),
}


# Values the page shows in words; the CSV files and package.json keep the values themselves.
VALUE_LABELS = {
    "sender": {"patient": _("you"), "practice": _("your practice")},
    # Twilio's message log
    "direction": {
        "inbound": _("sent by you"),
        "outbound-api": _("sent to you"),
        "outbound-call": _("sent to you"),
        "outbound-reply": _("sent to you"),
    },
    "status": {
        "delivered": _("delivered to your phone"),
        "sent": _("sent, delivery not confirmed"),
        "received": _("received"),
        "failed": _("could not be sent"),
        "undelivered": _("not delivered to your phone"),
    },
}


def heading(field: str) -> str:
    """The field's label, or the name made readable (a real platform's mapping may add fields)."""
    label = FIELD_LABELS.get(field)
    if label is not None:
        return capfirst(str(label))
    return field.replace("_", " ").strip().capitalize() or field


def cell(field: str, value) -> str:
    """A value as the page shows it: a time in Dutch local time, in the reader's words, a
    coded value in words; anything else as it was exported."""
    if value is None:
        return ""
    text = str(value)
    words = VALUE_LABELS.get(field, {}).get(text)
    if words is not None:
        return str(words)
    if len(text) == 10 and text[:4].isdigit():
        try:
            return formats.date_format(datetime.date.fromisoformat(text), "j F Y")
        except ValueError:
            return text
    if "T" in text and text[:4].isdigit():
        try:
            when = datetime.datetime.fromisoformat(text)
        except ValueError:
            return text
        if timezone.is_aware(when):
            when = timezone.localtime(when)
        return formats.date_format(when, "j F Y, H:i")
    return text
