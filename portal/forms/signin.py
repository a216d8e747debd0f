"""Signing in without a password: the address a code (or a staff reset link) goes to."""

from django import forms
from django.utils.translation import gettext_lazy

from requests_app.validators import canonical_email


class AddressForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return canonical_email(self.cleaned_data["email"])
