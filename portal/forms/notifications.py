"""Processor support's filter of the messages that failed for good."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import Practice
from workflows.models import Medium, Purpose


class FailedFilterForm(forms.Form):
    medium = forms.ChoiceField(
        label=_("Medium"),
        required=False,
        choices=[("", _("All")), (Medium.EMAIL, _("E-mail")), (Medium.SMS, _("SMS"))],
    )
    purpose = forms.ChoiceField(label=_("What about"), required=False)
    practice = forms.ModelChoiceField(
        label=_("Practice"),
        required=False,
        queryset=Practice.objects.order_by("name"),
        empty_label=_("All"),
    )
    resent = forms.BooleanField(label=_("Also those already sent again"), required=False)

    def __init__(self, *args, purpose_labels: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Events to API clients have their own delivery log (portal/views/webhooks.py).
        self.fields["purpose"].choices = [("", _("All"))] + [
            (value, purpose_labels.get(value, label))
            for value, label in Purpose.choices
            if value != Purpose.WEBHOOK_EVENT
        ]
