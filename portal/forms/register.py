"""Processor support picks the practice whose register of processing it gives out."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import Practice


class PracticeChoiceForm(forms.Form):
    practice = forms.ModelChoiceField(
        label=_("Practice"), queryset=Practice.objects.order_by("name"), empty_label=None
    )
