"""Who receives the messages that are not about one patient: processor support's addresses."""

from requests_app.models import Membership
from requests_app.roles import Role


def support_emails() -> list[str]:
    return list(
        Membership.objects.filter(practice__isnull=True, role=Role.SUPPORT, user__is_active=True)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
