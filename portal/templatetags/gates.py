"""What the included blocks of the request and task pages need, so that each page takes them
with one include line: the work before carrying out a change (GDPR art. 16-19), the extra
identifiers of a task, and the recipients told as the patient reads them."""

from django import template
from django.utils import timezone

from portal.forms.identifiers import DeclineIdentifierForm, RecordIdentifierForm
from portal.forms.recipients import (
    AddRecipientForm,
    ImpossibleForm,
    NoProcessorDataForm,
    ToldForm,
)
from requests_app import access
from requests_app.models import TaskState
from requests_app.roles import Capability
from workflows.assistance import identifiers
from workflows.assistance.connectors import Mismatch
from workflows.casework import completion

register = template.Library()


@register.simple_tag
def work_gates(item, user) -> dict:
    """The request page's block: what is open, each recipient with its forms."""
    overview = completion.overview(item, user)
    today = timezone.localdate()
    return {
        "overview": overview,
        "lines": [
            (
                line,
                ToldForm(prefix=line.key, initial={"told_on": today}),
                ImpossibleForm(prefix=line.key),
            )
            for line in overview.lines
        ],
        "reason_form": NoProcessorDataForm(initial={"version": item.version}),
        "add_form": AddRecipientForm(),
    }


@register.simple_tag
def task_identifiers(task, user, lookup_form=None) -> dict:
    """The task page's block: the extra identifiers, and those the look-up just used that
    support may record."""
    support = access.is_processor_support(user)
    offered = []
    if (
        support
        and task.state == TaskState.IN_PROGRESS
        and lookup_form is not None
        and lookup_form.is_bound
        and lookup_form.is_valid()
    ):
        offered = [
            (kind, value, RecordIdentifierForm(initial={"kind": kind, "value": value}))
            for kind, value in identifiers.candidates(task, lookup_form.cleaned_data)
        ]
    practice = access.can(user, Capability.INSTRUCT_PROCESSOR, task.practice_id)
    extras = list(task.extra_identifiers.select_related("added_by", "decided_by"))
    return {
        # Each with what its look-up found amiss, shown before anyone confirms it.
        "extras": [
            (
                x,
                DeclineIdentifierForm(prefix=f"x{x.pk}"),
                [Mismatch(**found).text() for found in x.mismatches],
            )
            for x in extras
        ],
        "offered": offered,
        "decides": practice and task.state in (TaskState.REQUESTED, TaskState.IN_PROGRESS),
    }


@register.filter
def recipients_told(item) -> dict:
    """Who was told of the change, and who could not be (GDPR art. 19, last sentence)."""
    return completion.told_recipients(item)
