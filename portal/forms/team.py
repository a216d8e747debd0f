"""The practice's team: inviting a member (and a practice's first administrator), and the
invitee's name and password when accepting."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from requests_app.models import Practice
from requests_app.roles import Role
from requests_app.validators import canonical_email, validate_person_name
from workflows.onboarding import invitations

LANGUAGE_CHOICES = [(code, name) for code, name in settings.LANGUAGES]


class InviteForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=150, validators=[validate_person_name])
    email = forms.EmailField(
        label=_("Work e-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.ChoiceField(label=_("Role"), widget=forms.RadioSelect)
    language = forms.ChoiceField(
        label=_("Language of the invitation"), choices=LANGUAGE_CHOICES, initial="nl"
    )

    def __init__(self, *args, roles: tuple[Role, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(role.value, role.label) for role in roles]
        if len(roles) == 1:
            self.fields["role"].initial = roles[0].value

    def clean_email(self) -> str:
        return canonical_email(self.cleaned_data["email"])


class InviteAdminForm(InviteForm):
    """The processor's administrator invites a practice's first administrator."""

    agb = forms.CharField(
        label=_("AGB code of the practice"),
        max_length=8,
        help_text=_("8 digits, as in the list of practices."),
    )
    field_order = ["agb", "name", "email", "role", "language"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, roles=invitations.PROCESSOR_ADMIN_INVITES, **kwargs)
        self.fields["role"].widget = forms.HiddenInput()

    def clean_agb(self) -> Practice:
        practice = Practice.objects.filter(
            agb_code=self.cleaned_data["agb"].strip(), active=True
        ).first()
        if practice is None:
            raise ValidationError(_("No active practice has this AGB code."))
        return practice


class AcceptForm(forms.Form):
    """A new account's name and password."""

    name = forms.CharField(label=_("Full name"), max_length=150, validators=[validate_person_name])
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not a common password, not like your name."),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first and data.get("name"):
            try:
                invitations.check_password_for(first, email=self.email, name=data["name"])
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data
