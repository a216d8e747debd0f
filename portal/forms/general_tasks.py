"""Forms of general assistance (agreement art. 6.3, 6.4): the practice's question, support's
answer, the practice's reason to reopen."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms.instructions import VersionForm
from requests_app.models import GeneralKind
from requests_app.validators import validate_text_direction


class AskForm(forms.Form):
    # One key per form shown: the same form sent twice files one question.
    key = forms.UUIDField(widget=forms.HiddenInput)
    practice = forms.ModelChoiceField(label=_("Practice"), queryset=None, empty_label=None)
    kind = forms.ChoiceField(
        label=_("What is it about?"), choices=GeneralKind.choices, widget=forms.RadioSelect
    )
    subject = forms.CharField(
        validators=[validate_text_direction], label=_("Subject"), max_length=200
    )
    question = forms.CharField(
        validators=[validate_text_direction],
        label=_("Your question to the processor"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("No patient details are needed: describe the matter, not the person."),
    )

    def __init__(self, *args, practices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4())
        self.fields["practice"].queryset = practices
        if practices.count() == 1:
            self.fields["practice"].widget = forms.HiddenInput()
            self.fields["practice"].initial = practices.first().pk


class AnswerForm(VersionForm):
    text = forms.CharField(
        validators=[validate_text_direction],
        label=_("The answer"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class ReopenForm(VersionForm):
    reason = forms.CharField(
        validators=[validate_text_direction],
        label=_("Why does the answer not settle it?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
