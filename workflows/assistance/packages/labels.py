"""Readable column headings for the package's page: the fields the platform mapping and the
connectors export, in the reader's language. The CSV files and package.json keep the field
names themselves (they are for machines, and docs/data-package.schema.json describes them)."""

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
}


def heading(field: str) -> str:
    """The field's label, or the name made readable (a real platform's mapping may add fields)."""
    label = FIELD_LABELS.get(field)
    if label is not None:
        return str(label)
    return field.replace("_", " ").strip().capitalize() or field
