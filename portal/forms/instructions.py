"""Forms of the objection to an instruction (agreement art. 3.3): support's objection, and the
practice's answer (confirm, change, withdraw). For assistance tasks and general ones alike."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.validators import validate_text_direction


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ObjectForm(VersionForm):
    reason = forms.CharField(
        validators=[validate_text_direction],
        label=_("Why does the instruction break the law?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Name the rule. The practice is told at once and the task waits for it."),
    )


class ConfirmForm(VersionForm):
    note = forms.CharField(
        validators=[validate_text_direction],
        label=_("Why the instruction stands"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ChangeForm(VersionForm):
    instruction = forms.CharField(
        validators=[validate_text_direction],
        label=_("The new instruction"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The old instruction stays on the timeline."),
    )


class WithdrawForm(VersionForm):
    note = forms.CharField(
        validators=[validate_text_direction],
        label=_("Note (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


FORMS = {
    "object": ObjectForm,
    "confirm_instruction": ConfirmForm,
    "change_instruction": ChangeForm,
    "withdraw": WithdrawForm,
}
# Several of these forms share a page: each its own prefix, so labels and ids stay unique.
PREFIXES = {
    "object": "objection",
    "confirm_instruction": "confirm",
    "change_instruction": "change",
    "withdraw": "withdraw",
}
