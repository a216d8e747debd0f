"""The choice of a report: the practice (one's own, or for processor support any or all) and the
months it covers."""

import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workflows.reports.figures import MAX_MONTHS, Period, last_months

FIRST_MONTH, LAST_MONTH = datetime.date(2000, 1, 1), datetime.date(2999, 12, 1)


MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


class MonthField(forms.DateField):
    """A month as `2026-03`, in ASCII digits only (no look-alikes); empty: the default."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m"]
    default_error_messages = {"invalid": _("Give a month as year and month, e.g. 2026-03.")}

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not MONTH.fullmatch(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def _month_field(label):
    return MonthField(label=label, required=False)


class ReportForm(forms.Form):
    practice = forms.ModelChoiceField(label=_("Practice"), queryset=None)
    first = _month_field(_("From (month)"))
    last = _month_field(_("To (month)"))

    def __init__(self, *args, practices, every_practice: bool = False, **kwargs) -> None:
        """`every_practice`: the processor's choice, where no practice means all of them."""
        super().__init__(*args, **kwargs)
        field = self.fields["practice"]
        field.queryset = practices
        if every_practice:
            field.required = False
            field.empty_label = _("All practices")
        else:
            field.empty_label = None
        if not self.is_bound:
            period = last_months(12)
            self.initial.setdefault("first", period.first)
            self.initial.setdefault("last", period.last)
            if not every_practice:
                self.initial.setdefault("practice", practices.first())

    def clean(self):
        data = super().clean()
        if "first" not in data or "last" not in data:
            return data  # a month that is not one: its error says so
        # A month left out: up to this month, or the twelve months up to the last one given.
        this_month = timezone.localdate().replace(day=1)
        last = data["last"] or max(this_month, data["first"] or this_month)
        first = data["first"] or last_months(12, today=last).first
        data["first"], data["last"] = first, last
        if first and not FIRST_MONTH <= first <= LAST_MONTH:
            self.add_error("first", _("Choose a month between 2000 and 2999."))
        elif last and not FIRST_MONTH <= last <= LAST_MONTH:
            self.add_error("last", _("Choose a month between 2000 and 2999."))
        elif first and last and first > last:
            self.add_error("last", _("The last month cannot come before the first."))
        elif first and last and len(Period(first, last).months) > MAX_MONTHS:
            self.add_error(
                "last",
                _("A report covers at most %(n)s months.") % {"n": MAX_MONTHS},
            )
        return data

    def period(self) -> Period:
        """The months asked for (by default the last twelve)."""
        data = self.cleaned_data if self.is_bound else self.initial
        return Period(data["first"], data["last"])
