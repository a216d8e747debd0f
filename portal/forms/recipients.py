"""The request page's forms for the work before carrying out a change: why no processor data
are concerned, another recipient by name, and a recipient told or impossible to tell (GDPR
art. 19)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import NoticeMethod
from requests_app.validators import validate_person_name, validate_text_direction


class NoProcessorDataForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why are no processor data concerned?"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the correction concerns only the medical file in our system."),
    )


class AddRecipientForm(forms.Form):
    name = forms.CharField(
        label=_("Recipient"),
        max_length=200,
        validators=[validate_person_name],
        help_text=_("Someone the practice sent these data to, such as a lab or a hospital."),
    )


class ToldForm(forms.Form):
    told_on = forms.DateField(
        label=_("Told on"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    how = forms.ChoiceField(label=_("How"), choices=NoticeMethod.choices)
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, validators=[validate_text_direction]
    )

    def clean_told_on(self):
        value = self.cleaned_data["told_on"]
        if value > timezone.localdate():
            raise ValidationError(_("This date is in the future."))
        return value


class ImpossibleForm(forms.Form):
    reason = forms.CharField(
        label=_("Why telling is impossible or takes disproportionate effort"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The patient can read this reason."),
    )
