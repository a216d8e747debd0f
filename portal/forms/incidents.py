"""Processor support's draft of an incident report (agreement art. 5.2)."""

from django import forms

from requests_app.models import Incident


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = list(Incident.REPORT_FIELDS)
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in Incident.REPORT_FIELDS}
