"""The end of a practice's contract: why it leaves, the typed confirmation before the
destruction, and support's note on a manual step."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import ExitReason


class StartExitForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why does the practice leave?"),
        choices=ExitReason.choices,
        widget=forms.RadioSelect,
    )
    reference = forms.CharField(
        label=_("Reference of the notice or the written request"),
        max_length=200,
        help_text=_("For example the subject or number of the letter or e-mail."),
    )
    dated = forms.DateField(
        label=_("Date of the notice or request"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_dated(self):
        dated = self.cleaned_data["dated"]
        if dated > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return dated


class DestroyForm(forms.Form):
    """The AGB code typed out: a destruction is never one careless click."""

    agb = forms.CharField(label=_("Type the practice's AGB code to confirm"), max_length=20)

    def __init__(self, *args, practice, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.practice = practice

    def clean_agb(self):
        typed = self.cleaned_data["agb"].strip()
        if typed != self.practice.agb_code:
            raise forms.ValidationError(_("This is not the AGB code of this practice."))
        return typed


class ManualStepForm(forms.Form):
    note = forms.CharField(
        label=_("What was done, where"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
