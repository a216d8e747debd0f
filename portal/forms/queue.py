"""The queue's bulk step: what to do with the ticked requests, and to whom to give them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.forms.staff import CHOOSE
from workflows.casework.bulk import MAX_ITEMS

BULK_ACTIONS = [
    ("acknowledge", _("Acknowledge: I am handling these requests")),
    ("assign", _("Assign to the handler")),
]


class BulkForm(forms.Form):
    max_items = MAX_ITEMS
    action = forms.ChoiceField(label=_("Step"), choices=[CHOOSE, *BULK_ACTIONS])
    assignee = forms.ModelChoiceField(
        label=_("Handler (when assigning)"), queryset=None, required=False, empty_label=CHOOSE[1]
    )

    def __init__(self, *args, staff=None, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Only the steps the account's roles allow somewhere; the handler list only with assigning.
        self.fields["action"].choices = [CHOOSE, *[a for a in BULK_ACTIONS if a[0] in actions]]
        self.fields["assignee"].queryset = staff
        self.fields["assignee"].label_from_instance = lambda user: (
            user.get_full_name().strip() or user.email
        )
        if "assign" not in actions:
            del self.fields["assignee"]

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", _("Choose the handler to assign the requests to."))
        return data
