"""The practice's own documents in the answer: the upload (the file and, optionally, the name the
patient sees). What the file may be is checked where it is stored
(workflows.assistance.packages.documents), so the form only asks for it."""

from django import forms
from django.utils.translation import gettext_lazy as _


class PracticeDocumentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "PDF, an image (PNG, JPEG, TIFF), text, CSV, XML or HL7, for instance the medical "
            "file exported from your information system."
        ),
        error_messages={
            "required": _("Choose a file."),
            "empty": _("The file is empty."),
        },
    )
    name = forms.CharField(
        label=_("Name the patient sees"),
        help_text=_("For instance “Medisch dossier 2015–2025”. Empty: the file's own name."),
        required=False,
        max_length=500,  # the rule (at most 120 characters) says why, where it is checked
    )
