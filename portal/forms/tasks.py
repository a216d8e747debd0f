"""Forms for assistance tasks: the practice's instruction, support's look-up and steps, and the
work's delivery and review."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import AssistanceKind, DataCategory
from requests_app.validators import canonical_email, normalise_phone, validate_bsn


class AskAssistanceForm(forms.Form):
    kind = forms.ChoiceField(label=_("What should the processor do?"))
    instruction = forms.CharField(
        label=_("Instruction to the processor"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What exactly, for which period or which data. The processor acts on this."),
    )
    patient_number = forms.CharField(label=_("Patient number"), max_length=50, required=False)
    device_id = forms.CharField(label=_("Device id (if known)"), max_length=200, required=False)
    keep_categories = forms.MultipleChoiceField(
        label=_("Keep these data (erasure only)"),
        choices=DataCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For example conversations that are part of the medical record."),
    )
    keep_reason = forms.CharField(
        label=_("Why they are kept"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, kinds: list[AssistanceKind], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]
        # What is kept applies to an erasure only: other kinds do not show (or take) it.
        if AssistanceKind.ERASE not in kinds:
            del self.fields["keep_categories"], self.fields["keep_reason"]
        elif kinds == [AssistanceKind.ERASE]:
            self.fields["keep_categories"].label = _("Keep these data")

    def clean(self):
        data = super().clean()
        keep = data.get("keep_categories") or []
        if keep and data.get("kind") != AssistanceKind.ERASE:
            self.add_error("keep_categories", _("Only an erasure can keep data."))
        if keep and not (data.get("keep_reason") or "").strip():
            self.add_error("keep_reason", _("Say why these data are kept."))
        return data


class LookupForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), required=False)
    mobile = forms.CharField(label=_("Mobile number"), max_length=20, required=False)
    patient_number = forms.CharField(label=_("Patient number"), max_length=50, required=False)
    bsn = forms.CharField(label=_("BSN"), max_length=9, required=False, validators=[validate_bsn])
    device_id = forms.CharField(label=_("Device id"), max_length=200, required=False)

    def clean_email(self) -> str:
        # Canonical, as the look-up's log and the task's extra identifiers compare it.
        value = self.cleaned_data["email"].strip()
        return canonical_email(value) if value else ""

    def clean_mobile(self) -> str:
        value = self.cleaned_data["mobile"].strip()
        return normalise_phone(value) if value else ""

    def clean(self):
        data = super().clean()
        if not self.errors and not any((v or "").strip() for v in data.values()):
            raise forms.ValidationError(_("Give at least one identifier."))
        return data


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class DeliverForm(VersionForm):
    note = forms.CharField(
        label=_("What was done"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for rectification and restriction: what was changed, where."),
    )


class RejectForm(VersionForm):
    reason = forms.CharField(
        label=_("Why is the result rejected?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ManualStepForm(forms.Form):
    note = forms.CharField(
        label=_("What was done there"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
