"""A task's results: the ticked confirmation before an irreversible step (release, erasure)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ConfirmForm(forms.Form):
    """An irreversible step (erasure, release): the box must be ticked, no JavaScript needed.
    `plan` carries a digest of what the page said would happen, to notice that it changed."""

    confirm = forms.BooleanField(
        error_messages={"required": _("Tick the box to confirm that you understand what happens.")}
    )
    plan = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, label, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["confirm"].label = label
