"""Who receives the messages that are not about one patient: the processor's own addresses."""

from requests_app.models import Membership
from requests_app.roles import Role


def support_emails() -> list[str]:
    return list(
        Membership.objects.filter(practice__isnull=True, role=Role.SUPPORT, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )


def processor_emails() -> list[str]:
    """Processor support and the processor's administrators: whom an incident left waiting is
    escalated to."""
    return list(
        Membership.objects.filter(
            practice__isnull=True,
            role__in=[Role.SUPPORT, Role.PROCESSOR_ADMIN],
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
