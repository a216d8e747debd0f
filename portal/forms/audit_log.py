"""The DPO's search of their practice's audit log."""

from django import forms
from django.utils.translation import gettext_lazy as _


class AuditSearchForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Up to and including"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    user = forms.CharField(
        label=_("User"),
        help_text=_("A staff member's name or e-mail address, or part of it"),
        max_length=200,
        required=False,
    )
    patient = forms.CharField(
        label=_("Patient e-mail address"),
        help_text=_("The whole address"),
        max_length=254,
        required=False,
    )
    reference = forms.CharField(label=_("Request reference"), max_length=20, required=False)
