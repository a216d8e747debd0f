"""A practice's settings: the processor administrator's form (every field), the practice
administrator's (not the AGB code, not whether it is active), the search of the list and the
CSV import's upload and confirmation. The rules are workflows.onboarding.practices.clean_values,
the same the import applies."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import Practice
from workflows.onboarding import practices


def _formfield(field, **kwargs):
    """A website typed without its scheme is taken as https://."""
    from django.db import models

    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class PracticeForm(forms.ModelForm):
    """Every field of a practice, for a processor administrator."""

    class Meta:
        model = Practice
        # In the page's order: the practice (and whether it is active), then its contacts.
        fields = [
            "name",
            "agb_code",
            *practices.ADMIN_FIELDS[2:5],
            "active",
            *practices.ADMIN_FIELDS[5:-1],
        ]
        formfield_callback = _formfield
        widgets = {
            "disputes_body_contact": forms.TextInput(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in practices.EMAIL_FIELDS & set(self.fields):
            self.fields[name].widget.attrs["autocomplete"] = "off"
        for name in practices.PHONE_FIELDS & set(self.fields):
            self.fields[name].widget.input_type = "tel"
        if "agb_code" in self.fields:
            self.fields["agb_code"].widget.attrs.update(inputmode="numeric", maxlength="8")

    def clean(self):
        data = super().clean()
        given = {f: data[f] for f in self.fields if f in data}
        existing = self.instance if self.instance.pk else None
        cleaned, errors = practices.clean_values(given, instance=existing)
        for field, messages in errors.items():
            if field in self.fields and field in self.cleaned_data:
                for message in messages:
                    self.add_error(field, message)
            elif field not in self.fields:
                for message in messages:
                    self.add_error(None, message)
        for field, value in cleaned.items():
            if field in self.cleaned_data:
                self.cleaned_data[field] = value
        return self.cleaned_data

    def values(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.fields if f in self.cleaned_data}


class PracticeSettingsForm(PracticeForm):
    """The practice administrator's own practice: not its AGB code, not whether it is active."""

    class Meta(PracticeForm.Meta):
        fields = list(practices.SETTINGS_FIELDS)  # the same order, less two


class PracticeSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search by name, AGB code, town or postcode"), required=False, max_length=100
    )


class PracticeImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of practices"),
        help_text=_(
            "One practice per line, with the documented columns in the first line; separated "
            "by ';' or ','; saved as UTF-8."
        ),
        error_messages={"required": _("Choose a file."), "empty": _("The file is empty.")},
    )


class ImportConfirmForm(forms.Form):
    # Names the upload kept on the server for this session; it carries no data of its own.
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
