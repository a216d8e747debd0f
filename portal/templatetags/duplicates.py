"""What the request page's block about a possible duplicate needs: the request it may
duplicate and why, the later ones that may duplicate it, and the handler's two forms."""

from django import template

from portal.forms.duplicates import KeepSeparateForm, MergeForm
from requests_app import access
from requests_app.models import RequestState
from requests_app.models.request import duplicate_of_open_request
from requests_app.roles import Capability
from workflows.casework import duplicates

register = template.Library()


@register.simple_tag
def duplicate_block(item, user) -> dict:
    """Empty when the request has nothing to do with a duplicate."""
    # Only requests of the same practice: one sent back and routed elsewhere is another
    # practice's business.
    first = item.duplicate_of
    if first is not None and first.practice_id != item.practice_id:
        first = None
    same_practice = item.duplicates.filter(practice_id=item.practice_id)
    later = same_practice.exclude(state=RequestState.MERGED)
    merged = same_practice.filter(state=RequestState.MERGED)
    block = {
        "first": first,
        "flagged": item.duplicate_flagged and first is not None,
        "why": duplicates.why_linked(item, first) if first else "",
        "later": list(later.order_by("received_at")),
        "merged": list(merged.order_by("received_at")),
        "may_merge": False,
        "may_decide": False,
    }
    if first is not None and item.duplicate_flagged and item.is_open:
        decides = access.can(user, Capability.WORK_REQUESTS, item.practice_id)
        block["may_decide"] = decides
        block["may_merge"] = decides and duplicate_of_open_request(item)
        block["merge_form"] = MergeForm(initial={"version": item.version}, prefix="merge")
        block["keep_form"] = KeepSeparateForm(initial={"version": item.version}, prefix="keep")
    return block
