"""Standard texts: writing one (name, Dutch, English; a letter paragraph's letter and place) and
picking a message text on the request page. The placeholders are checked here for the form's
messages and again where the text is saved (workflows.casework.standard_texts)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import LetterSlot, TextKind
from workflows.casework.letters import LETTERS
from workflows.casework.standard_texts import placeholder_list, problems

EVERY_LETTER = ("", _("every letter"))


def placeholder_help() -> str:
    return _("Placeholders you can use: %(list)s.") % {"list": placeholder_list()}


class StandardTextForm(forms.Form):
    title = forms.CharField(
        label=_("Name"),
        max_length=120,
        help_text=_("How staff find it; the patient never sees it."),
    )
    text_nl = forms.CharField(
        label=_("Text in Dutch"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    text_en = forms.CharField(
        label=_("Text in English"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Patients who chose English read this; without it they read the Dutch."),
    )

    def __init__(self, *args, kind: str = TextKind.MESSAGE, new: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text_nl"].help_text = placeholder_help()
        if kind == TextKind.LETTER and new:
            # Which letter and where in it: fixed once the paragraph exists.
            self.fields["letter"] = forms.ChoiceField(
                label=_("In which letter"),
                choices=[EVERY_LETTER] + [(name, kind.title) for name, kind in LETTERS.items()],
                required=False,
                help_text=_("A paragraph for one letter goes before one for every letter."),
            )
            self.fields["slot"] = forms.ChoiceField(
                label=_("Where in the letter"),
                choices=LetterSlot.choices,
                widget=forms.RadioSelect,
                help_text=_(
                    "The letter's own text, which the law requires, is always printed whole "
                    "between the opening and the closing."
                ),
                error_messages={"required": _("Choose where in the letter the paragraph goes.")},
            )
            self.order_fields(["letter", "slot"])

    def clean(self):
        data = super().clean()
        for name in ("text_nl", "text_en"):
            for problem in problems(data.get(name) or ""):
                self.add_error(name, problem)
        return data


class PickTextForm(forms.Form):
    """The request page's choice of a message text (a GET form: the page is shown again with
    the text filled in for this request)."""

    text = forms.TypedChoiceField(label=_("Standard text"), coerce=int)

    def __init__(self, *args, texts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].choices = [(t.pk, t.title) for t in texts]
