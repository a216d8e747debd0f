"""The app's API: the web form's rules, plus the practice's AGB code (or, when the app does not
know the practice, its name as the patient gave it, as on the web) and the optional BSN."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms.intake import RequestDetailsForm
from requests_app.models import Practice
from requests_app.validators import validate_bsn, validate_person_name


class ApiIntakeForm(RequestDetailsForm):
    practice = forms.CharField(max_length=8, required=False)
    # As the web form's "my practice is not listed": the request goes to processor support.
    practice_given = forms.CharField(
        max_length=300, required=False, validators=[validate_person_name]
    )
    bsn = forms.CharField(max_length=9, required=False, validators=[validate_bsn])

    def clean_practice(self) -> Practice | None:
        code = self.cleaned_data["practice"].strip()
        if not code:
            return None
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

    def clean_practice_given(self) -> str:
        return " ".join(self.cleaned_data["practice_given"].split())

    def clean(self):
        data = super().clean()
        valid = "practice" in data and "practice_given" in data
        if valid and not (data["practice"] or data["practice_given"]):
            self.add_error(
                "practice",
                forms.ValidationError(
                    _(
                        "Give the practice's AGB code or, when it is not known, the practice's "
                        "name and town in practice_given."
                    ),
                    code="no_practice",
                ),
            )
        return data

    def chosen_practice(self) -> Practice | None:
        return self.cleaned_data["practice"]
