"""A request entered by practice staff (letter, telephone, desk), and sending one back: the
intake rules of the web and the API (RequestDetailsForm), plus how and when it came in."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.forms.intake import BirthDateField, RequestDetailsForm
from requests_app.models import Channel, Practice
from requests_app.models.request import STAFF_CHANNELS
from requests_app.validators import (
    no_mailbox_address,
    validate_birth_date,
    validate_text_direction,
)
from workflows.intake.staff_entry import Entry, receipt_problem
from workflows.intake.submission import PatientDetails, Submission


class StaffEntryForm(RequestDetailsForm):
    # Day, month and year in three boxes, as on the patient's form (a date picker follows the
    # browser's locale).
    birth_date = BirthDateField(
        label=_("Date of birth"),
        validators=[validate_birth_date],
        help_text=_("For example 17 5 1980."),
    )
    practice = forms.ModelChoiceField(label=_("Practice"), queryset=Practice.objects.none())
    channel = forms.ChoiceField(
        label=_("How did the request come in?"),
        choices=[(c.value, c.label) for c in STAFF_CHANNELS],
        widget=forms.RadioSelect,
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "The day the practice received the letter, the call or the visit: the legal term "
            "runs from then."
        ),
    )
    postal_address = forms.CharField(
        label=_("Postal address"),
        max_length=300,
        required=False,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
        help_text=_("Required without an e-mail address: the practice posts its letters here."),
    )
    identity_how = forms.CharField(
        label=_("Identity checked at the desk: how?"),
        max_length=300,
        required=False,
        validators=[validate_text_direction],
        help_text=_(
            "Only for a request made at the desk, for example: passport shown. Leave empty to "
            "verify the identity later, as for any request."
        ),
    )
    assignee = forms.ModelChoiceField(
        label=_("Handler"), queryset=None, required=False, empty_label=_("Nobody")
    )

    field_order = [
        "practice",
        "channel",
        "received_on",
        "kind",
        "name",
        "birth_date",
        "email",
        "postal_address",
        "phone",
        "patient_number",
        "description",
        "identity_how",
        "assignee",
    ]

    def __init__(self, *args, practices=None, handlers=None, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["about_processor"]
        self.fields["practice"].queryset = practices
        self.fields["assignee"].queryset = handlers
        self.fields["assignee"].label_from_instance = lambda user: (
            user.get_full_name().strip() or user.email
        )
        self.fields["kind"].label = _("Kind of request")
        self.fields["name"].label = _("The patient's full name")
        self.fields["email"].required = False
        self.fields["email"].help_text = _(
            "Leave empty when the patient has none: the patient is then answered by post and "
            "cannot follow the request online."
        )
        self.fields["description"].label = _("The request, in the patient's words")
        self.fields["description"].help_text = _("No medical details.")
        self.fields["patient_number"].help_text = ""
        self.fields["phone"].help_text = ""
        if not self.is_bound:
            self.initial.setdefault("received_on", timezone.localdate())
            only = list(practices[:2]) if practices is not None else []
            if len(only) == 1:
                self.initial.setdefault("practice", only[0].pk)

    def clean_email(self) -> str:
        return super().clean_email() if self.cleaned_data.get("email") else ""

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        problem = receipt_problem(day)
        if problem:
            raise forms.ValidationError(problem)
        return day

    def clean(self):
        data = super().clean()
        if not data.get("email") and not (data.get("postal_address") or "").strip():
            self.add_error(
                "postal_address", _("Without an e-mail address, enter the postal address.")
            )
        if (data.get("identity_how") or "").strip() and data.get("channel") != Channel.DESK:
            self.add_error(
                "identity_how", _("Only a request made at the desk can be verified at entry.")
            )
        return data

    def chosen_practice(self):
        return self.cleaned_data["practice"]

    def entry(self) -> Entry:
        data = self.cleaned_data
        submission = Submission(
            practice=data["practice"],
            kind=data["kind"],
            patient=PatientDetails(
                name=data["name"],
                birth_date=data["birth_date"],
                email=data["email"] or no_mailbox_address(),
                phone=data["phone"],
                patient_number=data["patient_number"],
                postal_address=data["postal_address"].strip(),
            ),
            description=data["description"],
        )
        return Entry(
            submission=submission,
            channel=data["channel"],
            received_on=data["received_on"],
            identity_how=data["identity_how"],
            assignee=data["assignee"],
        )


class SendBackForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why is this request not for your practice?"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Processor support reads this to find the right practice, for example: not a "
            "patient of ours; registered with another practice in the same town."
        ),
    )
