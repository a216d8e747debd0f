"""Forms of the processor's time (agreement art. 9, Bijlage 3): an entry, and the month of a
statement."""

import datetime
import uuid

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.models import ChargeBasis
from requests_app.models.charges import MAX_MINUTES, rates_on
from requests_app.validators import validate_text_direction

# A statement's month: far enough either way for any real one; beyond, the month after it
# cannot even be computed.
FIRST_MONTH, LAST_MONTH = datetime.date(2000, 1, 1), datetime.date(2999, 12, 1)


class TimeEntryForm(forms.Form):
    # On a task page beside the delivery's note: a prefix keeps the ids apart.
    prefix = "time"

    # One key per form shown: the same form sent twice records (and charges) once.
    key = forms.UUIDField(widget=forms.HiddenInput)
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=MAX_MINUTES)
    function = forms.ChoiceField(label=_("Function (Bijlage 3)"))
    basis = forms.ChoiceField(
        label=_("Chargeable?"), choices=ChargeBasis.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4())
        self.fields["day"].initial = today
        self.fields["function"].choices = [
            (name, f"{name} (€ {rate})") for name, rate in sorted(rates_on(today).items())
        ]

    def clean(self):
        data = super().clean()
        day, function = data.get("day"), data.get("function")
        if day and day > timezone.localdate():
            self.add_error("day", _("Record time once it has been worked."))
        elif day and day < datetime.date(2000, 1, 1):
            self.add_error("day", _("Give a date on which the work was done."))
        elif day and function and function not in rates_on(day):
            self.add_error("function", _("There is no rate for this function on that date."))
        return data


class StatementForm(forms.Form):
    practice = forms.ModelChoiceField(label=_("Practice"), queryset=None, empty_label=None)
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, *args, practices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = practices

    def clean_month(self):
        month = self.cleaned_data["month"]
        if not FIRST_MONTH <= month <= LAST_MONTH:
            raise forms.ValidationError(_("Choose a month between 2000 and 2999."))
        return month
