"""A possible duplicate: merge it into the first request, or keep the two apart with a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.validators import validate_text_direction


class MergeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class KeepSeparateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why are these two different requests?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[validate_text_direction],
        help_text=_("Kept in the history. The patient is told that both requests are handled."),
    )
