"""A practice sends back a request that is not for it: to processor support, which routes it again.

The request leaves the practice's queue (its practice is cleared, so the practice-scoped reads no
longer find it) and waits in support's unrouted queue with the practice's reason; support routes
it with `forwarding.route_request`, as any unrouted request. The term runs on from receipt by the
processor, which counts as receipt by the right practice (docs/legal.md, "Terms"). The patient
is not told: nothing changes for them until the right practice has it, and routing tells them.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_change, perform_transition
from requests_app.models import Request, RequestState
from requests_app.models.assistance import OPEN_TASK_STATES


class WorkUnderWay(TransitionRefused):
    """The processor still works on the practice's instruction for this request."""

    def explain(self) -> str:
        return str(
            _(
                "The processor is still working on your instruction for this request. Withdraw "
                "or finish that task first, then send the request back."
            )
        )


def send_back(request: Request, *, actor, version: int | None, reason: str) -> Request:
    """Send the request back to processor support with the practice's reason; raises
    TransitionRefused (decided, closed, waiting, or help from the processor still under way),
    PermissionDenied (no handler of the request's practice) or DecisionIncomplete (no reason),
    with nothing changed."""
    with transaction.atomic():
        if request.tasks.filter(state__in=OPEN_TASK_STATES).exists():
            # The processor acts on this practice's instruction; it is ended first (the task's
            # own page), so no instruction of the wrong practice is carried out afterwards.
            raise WorkUnderWay(f"{request} has help from the processor under way")
        # The practice's requests flagged as its duplicates stay behind: locked before the
        # first audit record (rows before the audit chain's head, as everywhere; this one before
        # its duplicates, as a merge does), unlinked after.
        Request.objects.select_for_update().get(pk=request.pk)
        later = list(
            Request.objects.select_for_update()
            .filter(duplicate_of=request)
            .exclude(state=RequestState.MERGED)
        )
        sent = perform_transition(
            request, "send_back", actor=actor, version=version, note=reason, reason=reason
        )
        for duplicate in later:
            perform_change(
                duplicate,
                "duplicate_unlinked",
                actor=actor,
                version=None,
                changes={"duplicate_of": None},
                note=request.reference,
            )
        return sent
