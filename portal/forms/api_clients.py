"""The processor administrator's forms for the patient app's API clients: a new client, a new key's
label, the webhook address, the quotas. The rules are those of workflows.onboarding.api_clients
(and `validate_webhook_url`), which the command applies as well."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from requests_app.models.api_client import DEFAULT_PER_DAY, DEFAULT_PER_MINUTE
from requests_app.validators import validate_webhook_url
from workflows.onboarding import api_clients


def _number(label, help_text, initial):
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        initial=initial,
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        error_messages={
            "required": _("Enter a number."),
            "invalid": _("Enter a whole number."),
        },
    )


class QuotaFields(forms.Form):
    per_minute = _number(
        _("Submissions per minute"),
        _("Further submissions in the same minute are refused (HTTP 429)."),
        DEFAULT_PER_MINUTE,
    )
    per_day = _number(
        _("Submissions per day"),
        _("Counted per calendar day in UTC."),
        DEFAULT_PER_DAY,
    )

    def clean(self):
        data = super().clean()
        if "per_minute" in data and "per_day" in data:
            try:
                api_clients.clean_quotas(data["per_minute"], data["per_day"])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return data


def _new_token() -> str:
    return secrets.token_urlsafe(16)


class SentOnce(forms.Form):
    """A form whose step makes a key or a secret that is shown once: it carries a token of its
    own, so the view can tell the same form sent again (a double click, a reload of the answer)
    from a new one, and make nothing twice."""

    once = forms.CharField(
        required=False, initial=_new_token, max_length=64, widget=forms.HiddenInput
    )

    def clean(self):
        data = super().clean()
        if len(data.get("once") or "") < 16:
            raise ValidationError(
                _("This form is incomplete: open the page again and send it once more."),
                code="once",
            )
        return data


def _label_field(label=None):
    return forms.CharField(
        label=label or _("Label of the key"),
        help_text=_("Where the key is used, e.g. “production” or “test server”."),
        required=False,
        strip=True,
        max_length=api_clients.LABEL_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ClientForm(SentOnce, QuotaFields):
    name = forms.CharField(
        label=_("Name"),
        help_text=_("The app or supplier the client is for, e.g. “Patiënt-app”."),
        max_length=api_clients.NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter the client's name.")},
    )
    label = _label_field(_("Label of the first key"))
    field_order = ["name", "per_minute", "per_day", "label", "once"]

    def clean_name(self) -> str:
        return api_clients.clean_name(self.cleaned_data["name"])

    def clean_label(self) -> str:
        return api_clients.clean_label(self.cleaned_data["label"])


class KeyForm(SentOnce):
    label = _label_field()

    def clean_label(self) -> str:
        return api_clients.clean_label(self.cleaned_data["label"])


class QuotaForm(QuotaFields):
    pass


class SecretForm(SentOnce):
    pass


class WebhookForm(forms.Form):
    webhook_url = forms.CharField(
        label=_("Webhook address"),
        help_text=_(
            "The app's address that receives the events (HTTPS, reachable from the internet). "
            "Leave it empty to send no events."
        ),
        required=False,
        strip=True,
        widget=forms.URLInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}
        ),
    )

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if url:
            validate_webhook_url(url)
        return url
