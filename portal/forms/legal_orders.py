"""Forms of processing under a legal order (agreement art. 3.4): the order, the ground that
forbids the notice, and what support records when it carries the processing out."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms.instructions import VersionForm
from requests_app.models import Practice
from requests_app.validators import validate_text_direction

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrderForm(forms.Form):
    # One key per form shown: the same form sent twice records one order for each practice.
    key = forms.UUIDField(widget=forms.HiddenInput)
    practices = forms.ModelMultipleChoiceField(
        label=_("Practices concerned"),
        queryset=Practice.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
    )
    authority = forms.CharField(
        validators=[validate_text_direction], label=_("Authority"), max_length=200
    )
    legal_basis = forms.CharField(
        validators=[validate_text_direction],
        label=_("Statutory provision, or court or administrative order"),
        max_length=300,
    )
    order_reference = forms.CharField(
        validators=[validate_text_direction], label=_("Its reference"), max_length=100
    )
    processing = forms.CharField(
        validators=[validate_text_direction],
        label=_("What processing it demands"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    received_on = forms.DateField(label=_("Received on"), widget=DATE)
    planned_on = forms.DateField(label=_("Planned processing date"), widget=DATE)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("key", uuid.uuid4())

    def clean(self):
        data = super().clean()
        received, planned = data.get("received_on"), data.get("planned_on")
        if received and planned and planned < received:
            self.add_error("planned_on", _("The processing cannot be planned before receipt."))
        return data


class ForbidForm(VersionForm):
    ground = forms.CharField(
        validators=[validate_text_direction],
        label=_("The provision that forbids the notice, and the public interest it serves"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CarryOutForm(VersionForm):
    contest_note = forms.CharField(
        validators=[validate_text_direction],
        label=_("How the practice could contest the order (or why that was not possible)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    limitation_note = forms.CharField(
        validators=[validate_text_direction],
        label=_("How the processing was kept to what is strictly necessary"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
