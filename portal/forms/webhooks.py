"""The processor's filter of an API client's webhook events."""

from django import forms
from django.utils.translation import gettext_lazy as _

from workflows.webhooks.deliveries import DELIVERED, FAILED, PENDING


class DeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[
            ("", _("All")),
            (DELIVERED, _("Delivered to the app")),
            (PENDING, _("Waiting to be delivered")),
            (FAILED, _("Failed")),
        ],
    )
