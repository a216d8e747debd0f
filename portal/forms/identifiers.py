"""The task page's forms for extra identifiers: support records one it used in a look-up, the
practice declines one with a reason."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import IdentifierKind
from requests_app.validators import validate_text_direction


class RecordIdentifierForm(forms.Form):
    kind = forms.ChoiceField(choices=IdentifierKind.choices, widget=forms.HiddenInput)
    value = forms.CharField(max_length=254, widget=forms.HiddenInput)
    why = forms.CharField(
        label=_("Why is it the same patient?"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: same name and date of birth. The practice reads this."),
    )


class DeclineIdentifierForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it declined?"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
