"""The patient's web intake: practice search, the request's details (whose rules the app's API
shares, so both refuse bad input alike) and the e-mail code (also used to sign in)."""

import datetime
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import Practice, RequestKind
from requests_app.validators import (
    canonical_email,
    normalise_phone,
    validate_birth_date,
    validate_person_name,
    validate_text_direction,
    validate_visible_code,
)
from workflows.intake.submission import PatientDetails, Submission

KIND_EXPLANATIONS = {
    RequestKind.ACCESS: _("See which personal data is kept about you, and receive a copy."),
    RequestKind.RECTIFICATION: _("Have personal data that is wrong or incomplete corrected."),
    RequestKind.ERASURE: _(
        "Have your personal data deleted. For your medical file, choose destruction of the "
        "medical file."
    ),
    RequestKind.RESTRICTION: _(
        "Have the use of your data limited for a while, e.g. during a dispute."
    ),
    RequestKind.PORTABILITY: _("Receive your data in a file you can take to another provider."),
    RequestKind.OBJECTION: _("Object to how your data is used."),
    RequestKind.DESTRUCTION: _(
        "Have your practice destroy your medical file. This is final: a destroyed file cannot "
        "be restored."
    ),
    RequestKind.COMPLAINT: _(
        "Complain about how your data or your care was handled. Your practice handles it under "
        "its complaints procedure (Wkkgz), not as a privacy request."
    ),
}

DESCRIPTION_MAX = 5000


class RequestDetailsForm(forms.Form):
    """What every request needs, however it arrives."""

    kind = forms.ChoiceField(label=_("What would you like to ask?"), choices=RequestKind.choices)
    name = forms.CharField(label=_("Full name"), max_length=200, validators=[validate_person_name])
    birth_date = forms.DateField(
        label=_("Date of birth"),
        validators=[validate_birth_date],
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("Only used to reach you about this request."),
    )
    patient_number = forms.CharField(
        label=_("Patient number at the practice"),
        max_length=50,
        required=False,
        validators=[validate_visible_code],
        help_text=_("Helps the practice find you faster."),
    )
    description = forms.CharField(
        label=_("Your request"),
        max_length=DESCRIPTION_MAX,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Describe what you would like. Please do not include medical details."),
    )

    about_processor = forms.BooleanField(
        label=_("My request is about how the app itself (BeterDichtbij) handles my data"),
        required=False,
        help_text=_(
            "Tick this if your question or complaint is about the app, not about your practice. "
            "Your practice receives it like any other request and answers you."
        ),
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        return normalise_phone(value) if value else ""

    def clean_email(self) -> str:
        # Stored and compared only in this form: see requests_app.validators.canonical_email.
        return canonical_email(self.cleaned_data["email"])

    def chosen_practice(self) -> Practice | None:
        raise NotImplementedError

    def submission(self) -> Submission:
        """The valid form as intake's one shape of a request."""
        data = self.cleaned_data
        return Submission(
            practice=self.chosen_practice(),
            practice_given=data.get("practice_given", ""),
            kind=data["kind"],
            patient=PatientDetails(
                name=data["name"],
                birth_date=data["birth_date"],
                email=data["email"],
                phone=data["phone"],
                patient_number=data["patient_number"],
                bsn=data.get("bsn", ""),
            ),
            description=data["description"],
            about_processor=data["about_processor"],
        )


ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class BirthDateWidget(forms.MultiWidget):
    """Day, month and year in three boxes, as Dutch public services ask for a date of birth:
    a browser's date picker follows the browser's locale (05/17/1980 on a Dutch page)."""

    def __init__(self, attrs=None):
        def part(autocomplete: str, digits: int):
            return forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": autocomplete,
                    "size": digits,
                    "maxlength": digits,
                    "class": f"date-part date-part-{digits}",
                }
            )

        super().__init__([part("bday-day", 2), part("bday-month", 2), part("bday-year", 4)], attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if any(parts):
            return parts
        # One ISO value ("1980-05-17") as older clients and the tests post it; anything else
        # in that one key is kept whole, so the patient is told it is not a date.
        single = data.get(name)
        if not single:
            return parts
        match = ISO_DATE.match(single)
        if match:
            year, month, day = match.groups()
            return [day, month, year]
        return [single, "", ""]

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def id_for_label(self, id_):
        # The error summary's link goes to the day, the first box.
        return f"{id_}_0" if id_ else ""


class BirthDateField(forms.MultiValueField):
    widget = BirthDateWidget
    default_error_messages = {"required": _("Enter your date of birth.")}

    def __init__(self, **kwargs):
        part = forms.CharField(required=False)
        super().__init__(fields=(part, part, part), require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list:
            return None
        day, month, year = (value.strip() for value in data_list)
        if not all(value.isdigit() for value in (day, month, year) if value):
            raise forms.ValidationError(
                _("Enter the date of birth in numbers, for example 17 5 1980."), code="invalid"
            )
        missing = {
            "day": _("Enter the day of your date of birth."),
            "month": _("Enter the month of your date of birth."),
            "year": _("Enter the year of your date of birth."),
        }
        for name, value in (("day", day), ("month", month), ("year", year)):
            if not value:
                raise forms.ValidationError(missing[name], code="incomplete")
        if len(year) != 4:
            raise forms.ValidationError(
                _("Enter the year in four digits, for example 1980."), code="invalid_year"
            )
        if not 1 <= int(month) <= 12:
            raise forms.ValidationError(
                _("The month is a number from 1 to 12."), code="invalid_month"
            )
        try:
            return datetime.date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(
                _("%(date)s does not exist. Check the day and the month."),
                code="invalid_date",
                params={"date": f"{day}-{month}-{year}"},
            ) from None


class WebIntakeForm(RequestDetailsForm):
    # The web form asks day, month and year; the API keeps its one ISO date.
    birth_date = BirthDateField(
        label=_("Date of birth"),
        validators=[validate_birth_date],
        help_text=_("For example 17 5 1980."),
    )
    confirm = forms.BooleanField(
        error_messages={
            "required": _("Confirm that the request is about yourself and the details are correct.")
        },
        label=_(
            "I confirm that this request is about myself (or someone I am legally "
            "allowed to represent) and that the details are correct."
        ),
    )
    # Only when the patient could not find their practice in the list.
    practice_given = forms.CharField(
        label=_("Name and town of your GP practice"),
        max_length=300,
        required=False,
        validators=[validate_person_name],
    )

    field_order = [
        "kind",
        "name",
        "birth_date",
        "email",
        "phone",
        "patient_number",
        "description",
        "about_processor",
        "confirm",
    ]

    def __init__(self, *args, practice: Practice | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.fields["kind"].widget = forms.RadioSelect()
        self.fields["kind"].choices = RequestKind.choices
        # Say what to fill in, not "This field is required.", for each field a patient can miss.
        required = {
            "kind": _("Choose what you would like to ask."),
            "name": _("Enter your full name."),
            "email": _("Enter your e-mail address."),
            "description": _("Describe your request."),
            "practice_given": _("Enter the name and town of your GP practice."),
        }
        for name, message in required.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message
        if practice is None:
            self.fields["practice_given"].required = True
        else:
            del self.fields["practice_given"]

    def chosen_practice(self) -> Practice | None:
        return self.practice  # from the page's address; None: only the name the patient typed


class PracticeSearchForm(forms.Form):
    # Required: an empty search would find nothing and say nothing.
    q = forms.CharField(
        label=_("Name, town or postcode of your GP practice"),
        max_length=100,
        min_length=2,
        error_messages={
            "required": _("Enter the name, town or postcode of your GP practice."),
            "min_length": _("Enter at least 2 letters or digits."),
        },
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=7,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
