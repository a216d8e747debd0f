from requests_app import access
from requests_app.roles import Capability, Role


def staff_roles(request) -> dict:
    """Which staff menus to show; the views check the same rules again."""
    user = getattr(request, "user", None)
    return {
        "is_practice_staff": access.is_practice_staff(user),
        "is_processor_support": access.is_processor_support(user),
        "is_processor_admin": access.is_processor_admin(user),
        "is_practice_admin": bool(access.practice_ids(user, {Role.PRACTICE_ADMIN})),
        "is_dpo": bool(access.practices_where(user, Capability.READ_AUDIT_LOG)),
        "sees_incidents": bool(access.practices_where(user, Capability.SEE_INCIDENTS)),
        "answers_subprocessor_changes": bool(
            access.practices_where(user, Capability.ANSWER_SUBPROCESSOR_CHANGES)
        ),
        "asks_processor": bool(access.practices_where(user, Capability.ASK_PROCESSOR)),
        "manages_team": bool(access.practice_ids(user, roles={Role.PRACTICE_ADMIN}))
        or access.is_processor_admin(user),
        "sees_charges": bool(
            access.practices_where(user, Capability.ASK_PROCESSOR)
            | access.practices_where(user, Capability.INSTRUCT_PROCESSOR)
        ),
    }
