"""The request page's forms: one small form per staff action (each turns into keyword arguments
for workflows.casework.actions.act and carries the version of the request it was shown with),
the message to the patient, assigning and routing."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app.fees import FEE_MAXIMUM
from requests_app.legal import ComplaintVerdict, LegalGround, grounds_for
from requests_app.models import Practice, RequestKind
from requests_app.validators import validate_text_direction

# A select starts empty: a legal ground or a verdict is a choice the handler makes, never a
# default that slips through.
CHOOSE = ("", _("— choose —"))


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note for the history"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    label = _("Save")

    @classmethod
    def options_for(cls, item) -> dict:
        """What the form needs to know of the request it is made for (keyword arguments)."""
        return {}

    def action_fields(self) -> dict:
        return {}


class SimpleAction(ActionForm):
    pass


class VerifyIdentityForm(ActionForm):
    how = forms.CharField(
        label=_("How did you verify the identity?"),
        max_length=300,
        help_text=_("For example: ID shown at the desk, known patient by phone."),
    )

    def action_fields(self) -> dict:
        return {"how": self.cleaned_data["how"]}


class AskPatientForm(ActionForm):
    note = forms.CharField(
        label=_("Your question to the patient"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The patient reads this after signing in."),
    )
    stops_clock = forms.BooleanField(
        label=_("The deadline waits while we wait for the answer"),
        required=False,
        help_text=_("Only when the information is really needed and asked for without delay."),
    )
    clock_reason = forms.CharField(
        label=_("Why the deadline waits"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("stops_clock") and not data.get("clock_reason", "").strip():
            self.add_error("clock_reason", _("Record why the deadline waits."))
        return data

    def action_fields(self) -> dict:
        return {
            "stops_clock": self.cleaned_data["stops_clock"],
            "clock_reason": self.cleaned_data["clock_reason"],
        }


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message to the patient"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The patient gets an e-mail that there is news and reads this after signing in."
        ),
    )


class GrantForm(ActionForm):
    reason = forms.CharField(
        label=_("Explanation for the patient"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def action_fields(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


IDENTITY_FIRST = _(
    "Verify the identity first: until then a request can only be refused because the identity "
    "could not be established (GDPR art. 12(6))."
)


class GroundedDecisionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reasons (shown to the patient)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    legal_ground = forms.ChoiceField(
        label=_("Legal ground"),
        choices=[CHOOSE, *LegalGround.choices],
        error_messages={"required": _("Choose the legal ground.")},
    )

    @classmethod
    def options_for(cls, item) -> dict:
        return {"kind": item.kind, "identity_verified": item.identity_verified_at is not None}

    def __init__(
        self, *args, kind: str | None = None, identity_verified: bool = True, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["legal_ground"]
        if kind is not None:  # only the grounds that exist in law for this kind of request
            field.choices = [CHOOSE, *grounds_for(kind)]
        if not identity_verified:
            # Before the identity is verified the only possible refusal is that it could not be
            # (GDPR art. 12(6)); other grounds would be refused by the request.
            field.choices = [c for c in field.choices if c[0] in ("", LegalGround.IDENTITY)]
            field.error_messages["invalid_choice"] = IDENTITY_FIRST
            field.help_text = _(
                "The identity has not been verified yet: a refusal can only say that it could "
                "not be established. Verify the identity first to decide on other grounds."
            )

    def action_fields(self) -> dict:
        return {
            "reason": self.cleaned_data["reason"],
            "legal_ground": self.cleaned_data["legal_ground"],
        }


class FulfilForm(ActionForm):
    """Carried out; for a destruction of the medical file, with the record of what was destroyed,
    where and when (Civil Code art. 7:455)."""

    destroyed_what = forms.CharField(
        label=_("What was destroyed"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the medical file, all entries up to 1 March 2026."),
    )
    destroyed_where = forms.CharField(
        label=_("Where it was destroyed"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Every system and place, for example: the GP information system, lab results in "
            "the lab portal, paper archive."
        ),
    )
    destroyed_on = forms.DateField(
        label=_("Destroyed on"), widget=forms.DateInput(attrs={"type": "date"})
    )

    @classmethod
    def options_for(cls, item) -> dict:
        return {"kind": item.kind}

    def __init__(self, *args, kind: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if kind != RequestKind.DESTRUCTION:
            for name in ("destroyed_what", "destroyed_where", "destroyed_on"):
                del self.fields[name]

    def clean_destroyed_on(self):
        day = self.cleaned_data["destroyed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The day of destruction cannot be in the future."))
        return day

    def action_fields(self) -> dict:
        names = ("destroyed_what", "destroyed_where", "destroyed_on")
        return {name: self.cleaned_data[name] for name in names if name in self.fields}


class ChargeFeeForm(ActionForm):
    """GDPR art. 12(5): a reasonable fee for a manifestly unfounded or excessive request."""

    amount = forms.DecimalField(
        label=_("Fee in euros"),
        min_value=Decimal("0.01"),
        max_value=FEE_MAXIMUM,
        max_digits=6,
        decimal_places=2,
        localize=True,  # "12,50" on a Dutch page
        help_text=_("Based on the administrative costs of handling this request."),
    )
    justification = forms.CharField(
        label=_("Why the request is manifestly unfounded or excessive (shown to the patient)"),
        max_length=5000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the same request for the fourth time this month."),
    )
    cost_basis = forms.CharField(
        label=_("How the amount follows the administrative costs (shown to the patient)"),
        max_length=2000,
        validators=[validate_text_direction],
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def action_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "amount": data["amount"],
            "justification": data["justification"],
            "cost_basis": data["cost_basis"],
        }


class ExtendForm(ActionForm):
    reason = forms.CharField(
        label=_("Why more time is needed (shown to the patient)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def action_fields(self) -> dict:
        return {"reason": self.cleaned_data["reason"]}


class ComplaintDecisionForm(ActionForm):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[CHOOSE, *ComplaintVerdict.choices],
        error_messages={"required": _("Choose the verdict.")},
    )
    reason = forms.CharField(
        label=_("Reasons (shown to the patient)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    measures = forms.CharField(
        label=_("Measures decided"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    measures_due = forms.DateField(
        label=_("Measures done by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("measures") and not data.get("measures_due"):
            self.add_error("measures_due", _("Say when the measures will be done."))
        return data

    def action_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "verdict": data["verdict"],
            "reason": data["reason"],
            "measures": data["measures"],
            "measures_due": data["measures_due"],
        }


class WithdrawForm(ActionForm):
    """A request the practice entered, withdrawn by the patient by letter, telephone or at the
    desk: the history records how."""

    note = forms.CharField(
        label=_("How did the patient withdraw the request?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: by telephone on 3 May, spoke to the patient."),
    )


# action -> (form, button label)
ACTIONS = {
    "acknowledge": (SimpleAction, _("Acknowledge: I am handling this request")),
    "verify_identity": (VerifyIdentityForm, _("Identity verified")),
    "ask_patient": (AskPatientForm, _("Ask the patient")),
    "resume": (SimpleAction, _("Continue without waiting")),
    "grant": (GrantForm, _("Grant")),
    "grant_partially": (GroundedDecisionForm, _("Grant in part")),
    "refuse": (GroundedDecisionForm, _("Refuse")),
    "fulfil": (FulfilForm, _("Mark as carried out")),
    "charge_fee": (ChargeFeeForm, _("Ask a fee (manifestly unfounded or excessive)")),
    "record_fee_paid": (SimpleAction, _("The fee has been paid")),
    "waive_fee": (SimpleAction, _("Go on without the fee")),
    "investigate": (SimpleAction, _("Start the investigation")),
    "decide_complaint": (ComplaintDecisionForm, _("Record the decision")),
    "close": (SimpleAction, _("Close")),
    "extend": (ExtendForm, _("Extend the deadline")),
    "withdraw": (WithdrawForm, _("Record the patient's withdrawal")),
}


class AssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    assignee = forms.ModelChoiceField(
        label=_("Handler"), queryset=None, required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args, staff=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff
        # People by name; the address only tells apart colleagues without a recorded name.
        self.fields["assignee"].label_from_instance = lambda user: (
            user.get_full_name().strip() or user.email
        )


class RouteForm(forms.Form):
    practice = forms.ModelChoiceField(
        label=_("Practice"), queryset=Practice.objects.filter(active=True), empty_label=CHOOSE[1]
    )
    note = forms.CharField(
        label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
