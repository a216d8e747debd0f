"""The patient's own pages: answer, withdraw, and the code from the SMS (a download, linking
DigiD)."""

from django import forms
from django.utils.translation import gettext_lazy


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your answer"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Please do not include medical details."),
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("Yes, I withdraw this request"))


class DownloadCodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code from the SMS"),
        regex=r"^\d{6}$",
        error_messages={"invalid": gettext_lazy("Enter the 6 digits from the SMS.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
