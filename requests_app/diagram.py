"""Draw the request lifecycle from the django-fsm transitions themselves (Mermaid), so the
documentation cannot drift from the code. `python manage.py state_diagram` writes it."""

from django_fsm import GET_STATE

from requests_app.models import Request, RequestKind
from requests_app.models.request import (
    COMPLAINT_STATES,
    DATA_REQUEST_STATES,
    is_complaint,
    is_data_request,
)

KIND_CONDITIONS = {is_complaint, is_data_request}
WHO = {
    "by_system": "portal",
    "by_practice_staff": "practice",
    "by_processor_support": "support",
    "by_patient": "patient",
    "by_practice_staff_or_system": "practice or portal",
}


def _targets(transition, sources, sample: Request) -> list[str] | None:
    """The states a transition can lead to for this kind; None when it keeps the state."""
    target = transition.target
    if not isinstance(target, GET_STATE):
        return [target]
    allowed = list(target.allowed_states)
    if set(allowed) == set(sources):
        return None
    try:
        value = target.func(sample)
    except Exception:  # noqa: BLE001 - a target that needs call arguments: show them all
        value = None
    return [value] if value in allowed else allowed


def edges(kind: str, states: list[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    sample = Request(kind=kind)
    found, keep_state = [], []
    for transition in Request._meta.get_field("state").get_all_transitions(Request):
        if any(c in KIND_CONDITIONS and not c(sample) for c in transition.conditions):
            continue
        who = WHO.get(getattr(transition.permission, "__name__", ""), "")
        sources = [transition.source]
        for source in sources:
            if source not in states:
                continue
            targets = _targets(transition, [t.source for t in _all(transition)], sample)
            if targets is None:
                keep_state.append(f"{transition.name} ({who})")
                continue
            for target in targets:
                if target in states:
                    found.append((source, target, f"{transition.name} ({who})"))
    return sorted(set(found)), sorted(set(keep_state))


def _all(transition):
    """The sibling Transition objects of the same method (one per source state)."""
    return transition.method._django_fsm.transitions.values()


def mermaid(kind: str, states: list[str]) -> str:
    found, keep_state = edges(kind, states)
    lines = ["```mermaid", "stateDiagram-v2", "    [*] --> received"]
    lines += [f"    {a} --> {b}: {label}" for a, b, label in found]
    lines += ["    closed --> [*]", "    withdrawn --> [*]", "```"]
    if keep_state:
        lines.append("")
        lines.append("Without changing the state: " + ", ".join(keep_state) + ".")
    return "\n".join(lines)


def document() -> str:
    return "\n".join(
        [
            "# Request lifecycle",
            "",
            "Generated from the django-fsm transitions in `requests_app/models/request.py` by",
            "`python manage.py state_diagram`; a test fails when this file is out of date.",
            "Each arrow names the transition and who may make it.",
            "",
            "## Data-subject requests (access, rectification, erasure, restriction, portability, "
            "objection, destruction of the medical file)",
            "",
            mermaid(RequestKind.ACCESS, DATA_REQUEST_STATES),
            "",
            "## Complaints (Wkkgz)",
            "",
            mermaid(RequestKind.COMPLAINT, COMPLAINT_STATES),
            "",
        ]
    )
