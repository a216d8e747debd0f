"""What an account may do: role checks used by transitions, selectors and views alike."""

import hashlib

from django.contrib.auth.models import AnonymousUser

from requests_app.roles import PRACTICE_ROLES, PROCESSOR_ROLES, Capability, Role, roles_with


def _is_staff_account(user) -> bool:
    return user is not None and not isinstance(user, AnonymousUser) and user.is_active


def practice_ids(user, roles=PRACTICE_ROLES) -> set[int]:
    """The practices for which the account holds one of the given roles."""
    if not _is_staff_account(user):
        return set()
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        cache = list(user.memberships.values_list("practice_id", "role"))
        user._membership_cache = cache
    return {pid for pid, role in cache if pid is not None and role in roles}


def processor_roles(user) -> set[str]:
    if not _is_staff_account(user):
        return set()
    practice_ids(user)  # fills the cache
    return {role for pid, role in user._membership_cache if pid is None and role in PROCESSOR_ROLES}


def is_practice_staff(user) -> bool:
    return bool(practice_ids(user))


def is_processor_support(user) -> bool:
    return bool(processor_roles(user) & {Role.SUPPORT, Role.PROCESSOR_ADMIN})


def is_processor_admin(user) -> bool:
    """The processor's administrators: only they start and carry out a practice's exit."""
    return Role.PROCESSOR_ADMIN in processor_roles(user)


def works_for_practice(user, practice_id: int | None) -> bool:
    """Any role at the practice: enough to read its requests."""
    return practice_id is not None and practice_id in practice_ids(user)


def practices_where(user, capability: Capability) -> set[int]:
    """The practices at which the account holds a role that allows `capability`."""
    return practice_ids(user, roles=roles_with(capability))


def can(user, capability: Capability, practice_id: int | None) -> bool:
    """The one check of what a practice role allows (see requests_app.roles)."""
    return practice_id is not None and practice_id in practices_where(user, capability)


PATIENT_USERNAME_PREFIX = "patient-"


def patient_username(email: str) -> str:
    """The account name intake gives a patient: fixed by the request's canonical e-mail address
    (requests_app.validators.canonical_email)."""
    return PATIENT_USERNAME_PREFIX + hashlib.sha256(email.encode()).hexdigest()[:24]


def patient_email(user) -> str:
    """The canonical e-mail address a patient account stands for, or "" for any other account.
    Bound to the account name, so changing the account's e-mail field grants nothing."""
    if not _is_staff_account(user) or not user.email:
        return ""
    if practice_ids(user) or processor_roles(user):
        return ""
    return user.email if user.username == patient_username(user.email) else ""


def is_patient_of(user, email: str) -> bool:
    """Exact equality of canonical addresses: no case folding, no look-alikes."""
    mine = patient_email(user)
    return bool(mine) and mine == email


def staff_with_address(address: str) -> list:
    """The staff accounts (practice, processor or admin) whose e-mail is this canonical address.
    SQL narrows by the local part (canonical local parts are ASCII); the canonical comparison
    decides, so a look-alike or an IDN domain written either way is judged right."""
    from django.contrib.auth import get_user_model

    from requests_app.validators import same_email

    local = address.partition("@")[0]
    candidates = (
        get_user_model()
        .objects.filter(email__istartswith=f"{local}@")
        .exclude(username__startswith=PATIENT_USERNAME_PREFIX)
    )
    return [
        u
        for u in candidates
        if same_email(u.email, address)
        and (u.is_staff or is_practice_staff(u) or is_processor_support(u))
    ]


def is_staff_address(address: str) -> bool:
    """Whether a staff account uses this canonical address (active or not: either way the
    address never gets a patient's sign-in code)."""
    return bool(staff_with_address(address))
