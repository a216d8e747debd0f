"""The incident pages' forms: processor support records, updates, closes and classifies
(agreement art. 1.1 e, 5.2, 5.3); the practice's FG or administrator records what it did about
the Autoriteit Persoonsgegevens and the patients (GDPR art. 33, 34)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import Incident, IncidentCategory, Practice
from requests_app.models.incident import TEXT_MAX
from requests_app.validators import validate_text_direction

MOMENT_FORMAT = "%Y-%m-%dT%H:%M"


def _text(label, help_text="", *, required=False, rows=3):
    return forms.CharField(
        label=label,
        max_length=TEXT_MAX,
        required=required,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _moment(label, *, required=False, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=[MOMENT_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(format=MOMENT_FORMAT, attrs={"type": "datetime-local"}),
        help_text=help_text,
    )


def _not_in_future(value):
    if value is not None and value > timezone.now():
        raise ValidationError(_("This moment is in the future."))
    return value


def _active_practices():
    return Practice.objects.filter(active=True).order_by("name")


class ReportForm(forms.Form):
    """The kind and the four fields of art. 5.2, with when it started and was discovered. Any
    may stay empty while not yet known."""

    category = forms.ChoiceField(label=_("Kind of incident"), choices=IncidentCategory.choices)
    nature = _text(_("Nature of the incident"), _("What happened, as far as known now."))
    personal_data = _text(
        _("Personal data (possibly) affected"),
        _("Which data, of how many patients, as far as known now."),
    )
    consequences = _text(_("Observed and likely consequences"))
    measures = _text(_("Measures taken or planned"))
    started_at = _moment(_("Started"))
    discovered_at = _moment(_("Discovered"))

    def clean_started_at(self):
        return _not_in_future(self.cleaned_data["started_at"])

    def clean_discovered_at(self):
        return _not_in_future(self.cleaned_data["discovered_at"])

    def report_fields(self) -> dict:
        data = self.cleaned_data
        return {name: data[name] for name in Incident.CHANGEABLE}


class NewIncidentForm(ReportForm):
    # One key per form shown: the same form sent twice records one incident.
    key = forms.UUIDField(widget=forms.HiddenInput)
    practices = forms.ModelMultipleChoiceField(
        label=_("Practices concerned"),
        queryset=_active_practices(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    all_active = forms.BooleanField(label=_("All active practices"), required=False)

    field_order = ["category", "all_active", "practices"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practices"].queryset = _active_practices()

    def clean(self):
        data = super().clean()
        if not data.get("all_active") and not data.get("practices"):
            self.add_error("practices", _("Choose the practices concerned, or all of them."))
        return data

    def chosen_practices(self) -> list[Practice]:
        if self.cleaned_data["all_active"]:
            return list(_active_practices())
        return list(self.cleaned_data["practices"])


class UpdateIncidentForm(ReportForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = _text(
        _("Update"),
        _("What is new: facts found, measures taken, contact with authorities (art. 5.8)."),
        rows=4,
    )
    add_practices = forms.ModelMultipleChoiceField(
        label=_("Also concerns"),
        queryset=Practice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Practices found to be concerned as well: they are told at once."),
    )

    def __init__(self, *args, incident: Incident, **kwargs):
        super().__init__(*args, **kwargs)
        concerned = incident.concerned.values("practice_id")
        self.fields["add_practices"].queryset = _active_practices().exclude(pk__in=concerned)


class CloseIncidentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = _text(
        _("Closing note"),
        _("How the incident was resolved and what remains for the practices."),
        required=True,
    )


class ClassifyForm(forms.Form):
    """Processor support classifies a patient's request as an incident (art. 1.1 e)."""

    category = forms.ChoiceField(label=_("Kind of incident"), choices=IncidentCategory.choices)
    practices = forms.ModelMultipleChoiceField(
        label=_("Practices concerned"),
        queryset=_active_practices(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practices"].queryset = _active_practices()


# --- The practice's own record (GDPR art. 33, 34) -------------------------------------------
class StepForm(forms.Form):
    # Which of the account's records (an FG of two practices concerned has two).
    record = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def step_fields(self) -> dict:
        hidden = ("record", "version")
        return {name: self.cleaned_data[name] for name in self.fields if name not in hidden}


class ApReportForm(StepForm):
    at = _moment(_("Reported to the AP on"), required=True)
    reference = forms.CharField(
        label=_("The AP's reference"), max_length=100, validators=[validate_text_direction]
    )

    def clean_at(self):
        return _not_in_future(self.cleaned_data["at"])


class ApNotForm(StepForm):
    reason = _text(
        _("Why it is not reported to the AP"),
        _("For example: unlikely to result in a risk to the patients (GDPR art. 33(1), 33(5))."),
        required=True,
    )


class PatientsToldForm(StepForm):
    at = _moment(_("Patients told on"), required=True)
    how = _text(_("How the patients were told"), required=True, rows=2)

    def clean_at(self):
        return _not_in_future(self.cleaned_data["at"])


class PatientsNotForm(StepForm):
    reason = _text(
        _("Why the patients are not told"),
        _("For example: no high risk, or the data were encrypted (GDPR art. 34(3))."),
        required=True,
    )


PRACTICE_FORMS = {
    "report_to_ap": (ApReportForm, _("Reported to the AP")),
    "not_to_ap": (ApNotForm, _("Not reported to the AP")),
    "tell_patients": (PatientsToldForm, _("Patients told")),
    "not_tell_patients": (PatientsNotForm, _("Patients not told")),
}
