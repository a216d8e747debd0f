"""What the task pages' shared blocks need: the objection to the instruction (agreement art. 3.3)
and the processor's time with its cost (art. 9), for assistance and general tasks alike."""

from django import template

from portal.forms.charges import TimeEntryForm
from portal.forms.instructions import PREFIXES, ChangeForm, ConfirmForm, ObjectForm, WithdrawForm
from requests_app import access
from requests_app.models import GeneralTask
from workflows.assistance import charges

register = template.Library()

OBJECTABLE = ("requested", "in_progress")


def _kind(task) -> str:
    return "general" if isinstance(task, GeneralTask) else "tasks"


@register.simple_tag
def objection_block(task, user) -> dict:
    version = {"version": task.version}
    support = access.is_processor_support(user)
    return {
        "kind": _kind(task),
        "may_object": support and task.state in OBJECTABLE,
        "answers": task.state == "objected" and task.may_instruct(user),
        "object_form": ObjectForm(initial=version, prefix=PREFIXES["object"]),
        "confirm_form": ConfirmForm(initial=version, prefix=PREFIXES["confirm_instruction"]),
        "change_form": ChangeForm(
            initial=version | {"instruction": task.instruction},
            prefix=PREFIXES["change_instruction"],
        ),
        "withdraw_form": WithdrawForm(initial=version, prefix=PREFIXES["withdraw"]),
    }


@register.simple_tag
def time_block(task, user) -> dict:
    support = access.is_processor_support(user)
    return {
        "kind": _kind(task),
        "sees": charges.sees_charges(user, task.practice_id),
        "summary": charges.time_on(task),
        "form": TimeEntryForm() if support else None,
    }
