"""The processor's announcement of a change of sub-processors, and a practice's answer to it
(agreement art. 7.1, 3.7)."""

import uuid

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from requests_app.models import ChangeKind, SubProcessor, SubProcessorChange
from requests_app.validators import validate_text_direction
from workflows.register.changes import earliest_effective_date

REASON_MAX = 2000


class AnnouncementForm(forms.ModelForm):
    # One key per form shown: the same form sent twice announces (and e-mails) once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    class Meta:
        model = SubProcessorChange
        fields = [
            "kind",
            "subprocessor",
            "replaces",
            "location_nl",
            "location",
            "inside_eea",
            "transfer_mechanism",
            "description_nl",
            "description",
            "effective_on",
        ]
        widgets = {
            "kind": forms.RadioSelect,
            "effective_on": forms.DateInput(attrs={"type": "date"}),
            "description_nl": forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
            "description": forms.Textarea(attrs={"rows": 3, "maxlength": REASON_MAX}),
        }
        help_texts = {
            "subprocessor": _(
                "The entry in the register that is added, moves or ends; for a replacement, the "
                "new one. Add a new sub-processor in the admin first."
            ),
            "replaces": _("Only for a replacement: the sub-processor that stops."),
            "location_nl": _("Only for a new location."),
            "location": _("Only for a new location."),
            "inside_eea": _("Only for a new location."),
            "transfer_mechanism": _("Only for a new location outside the EEA."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4())
        self.fields["kind"].choices = ChangeKind.choices  # no empty choice among the radios
        self.fields["subprocessor"].queryset = SubProcessor.objects.order_by("name")
        self.fields["replaces"].queryset = SubProcessor.objects.filter(active=True)
        self.fields["effective_on"].help_text = _(
            "At least the notice period ahead: %(date)s or later."
        ) % {"date": earliest_effective_date().strftime("%d-%m-%Y")}
        for name in ("description_nl", "description"):
            self.fields[name].validators.append(MaxLengthValidator(REASON_MAX))
        for name in ("description_nl", "description", "location_nl", "location"):
            self.fields[name].validators.append(validate_text_direction)

    def clean_effective_on(self):
        value = self.cleaned_data["effective_on"]
        if value < earliest_effective_date():
            raise forms.ValidationError(
                _("Choose %(date)s or later: the practices need the notice period to answer."),
                params={"date": earliest_effective_date().strftime("%d-%m-%Y")},
            )
        return value

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ChangeKind.REPLACEMENT:
            if not data.get("replaces"):
                self.add_error("replaces", _("Say which sub-processor is replaced."))
            elif data.get("replaces") == data.get("subprocessor"):
                self.add_error("replaces", _("A sub-processor cannot replace itself."))
        else:
            data["replaces"] = None
        if kind == ChangeKind.LOCATION:
            for name in ("location_nl", "location"):
                if not data.get(name):
                    self.add_error(name, _("Give the new location."))
            if data.get("inside_eea") and data.get("transfer_mechanism"):
                self.add_error(
                    "transfer_mechanism",
                    _("Inside the EEA no safeguard is needed: leave it empty."),
                )
            if not data.get("inside_eea") and not data.get("transfer_mechanism"):
                self.add_error(
                    "transfer_mechanism",
                    _("Outside the EEA a safeguard is needed (GDPR art. 46)."),
                )
        else:
            data.update(location_nl="", location="", inside_eea=True, transfer_mechanism="")
        return data


class AnswerForm(forms.Form):
    """Consent, or an objection with its reason."""

    decision = forms.ChoiceField(
        choices=[("consent", _("Consent")), ("object", _("Objection"))],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        validators=[validate_text_direction],
        label=_("Reason for the objection"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": REASON_MAX}),
        help_text=_("Needed for an objection: the processor reads it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("Give the reason for the objection.")
        if self.data.get("decision") == "consent":
            self.fields["reason"].required = False
