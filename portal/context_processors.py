from requests_app import access
from requests_app.roles import Role


def staff_roles(request) -> dict:
    """Which staff menus to show; the views check the same rules again."""
    user = getattr(request, "user", None)
    return {
        "is_practice_staff": access.is_practice_staff(user),
        "is_processor_support": access.is_processor_support(user),
        "is_dpo": bool(access.practice_ids(user, roles={Role.DPO})),
    }
