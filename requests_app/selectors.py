"""Reading patient data. Every query that returns requests to a person goes through here."""

from django.db.models import Q, QuerySet

from requests_app import access
from requests_app.models import Request, RequestState


def requests_visible_to(user) -> QuerySet[Request]:
    """The requests an account may see: its practices' requests; for processor support, the
    requests that no practice has yet (they need routing). Anyone else sees nothing."""
    scope = Q(pk__in=[])
    practices = access.practice_ids(user)
    if practices:
        scope |= Q(practice_id__in=practices)
    if access.is_processor_support(user):
        scope |= Q(state=RequestState.UNROUTED)
    return Request.objects.filter(scope).select_related("practice")


def practice_queue(user) -> QuerySet[Request]:
    return requests_visible_to(user).filter(practice_id__in=access.practice_ids(user))


def unrouted_queue(user) -> QuerySet[Request]:
    return requests_visible_to(user).filter(state=RequestState.UNROUTED)
