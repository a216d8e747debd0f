"""The app's API: the web form's rules, plus the practice's AGB code and the optional BSN."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms.intake import RequestDetailsForm
from requests_app.models import Practice
from requests_app.validators import validate_bsn


class ApiIntakeForm(RequestDetailsForm):
    practice = forms.CharField(max_length=8)
    bsn = forms.CharField(max_length=9, required=False, validators=[validate_bsn])

    def clean_practice(self) -> Practice:
        code = self.cleaned_data["practice"].strip()
        practice = Practice.objects.filter(agb_code=code).first()
        if practice is None:
            raise forms.ValidationError(
                _("No practice is known with this AGB code."), code="unknown_practice"
            )
        if not practice.active:
            raise forms.ValidationError(
                _("This practice no longer receives requests through this portal."),
                code="practice_not_accepting",
            )
        return practice

    def chosen_practice(self) -> Practice:
        return self.cleaned_data["practice"]
