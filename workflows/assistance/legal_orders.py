"""Processing the law forces on the processor (agreement art. 3.4). Support records the order
once for each practice concerned; the practice's FG and stand-in are told before the processing,
unless that law forbids the notice for important reasons of public interest (then support records
the ground and nothing is sent, until the ban is lifted). Marking the processing carried out
needs the notice settled first, and says how the practice could contest the order and how the
processing was kept to what is strictly necessary."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from requests_app import access
from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_order_transition
from requests_app.models import AuditAction, LegalOrder, OrderState, Practice
from requests_app.timeline import log_event
from workflows.assistance.instructions import InstructionIncomplete
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Purpose


class NoticeDue(TransitionRefused):
    """The practice has not been told, nor is the notice recorded as forbidden."""

    def explain(self) -> str:
        return _(
            "Tell the practice first, or record the legal ground that forbids the notice "
            "(agreement art. 3.4)."
        )


def record(
    practices: list[Practice],
    *,
    actor,
    authority: str,
    legal_basis: str,
    order_reference: str,
    processing: str,
    received_on: datetime.date,
    planned_on: datetime.date,
    key: uuid.UUID | None = None,
) -> list[LegalOrder]:
    """One order for each practice concerned, each with its own notice. The same form sent
    twice (its `key`) gives the orders already recorded."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if key is not None and (found := _recorded_with(key)):
        return found
    fields = {
        "authority": authority.strip(),
        "legal_basis": legal_basis.strip(),
        "order_reference": order_reference.strip(),
        "processing": processing.strip(),
    }
    if not all(fields.values()) or not practices:
        raise InstructionIncomplete("the order needs its authority, basis, reference, demand")
    if planned_on < received_on:
        raise InstructionIncomplete("the processing is planned before the order was received")
    fields |= {"recorded_by": actor, "received_on": received_on, "planned_on": planned_on}
    try:
        return _record(list(dict.fromkeys(practices)), key, fields)
    except IntegrityError:
        found = _recorded_with(key) if key else None
        if not found:
            raise
        return found


def _record(practices: list[Practice], key, fields: dict) -> list[LegalOrder]:
    orders = []
    with transaction.atomic():
        for practice in practices:
            order = LegalOrder.objects.create(practice=practice, creation_key=key, **fields)
            log_event(
                order,
                "recorded",
                actor=fields["recorded_by"],
                note=f"{order.authority}: {order.order_reference}",
                audit_as=("legal_order.create", AuditAction.CREATE),
                audit_details={"practices": len(practices)},
            )
            orders.append(order)
    return orders


def _recorded_with(key: uuid.UUID) -> list[LegalOrder]:
    return list(LegalOrder.objects.filter(creation_key=key).order_by("pk"))


def notify(order: LegalOrder, *, actor, version: int | None = None) -> LegalOrder:
    """Tell the practice's FG and stand-in, before the processing."""
    with transaction.atomic():
        order = perform_order_transition(order, "notify", actor=actor, version=version)
        _send_notice(order)
    return order


def forbid_notice(order: LegalOrder, *, actor, ground: str, version: int | None = None):
    """The law forbids telling the practice: the ground is recorded, nothing is sent."""
    if not ground.strip():
        raise InstructionIncomplete("name the provision that forbids the notice, and why")
    return perform_order_transition(
        order, "forbid_notice", actor=actor, note=ground.strip(), version=version, ground=ground
    )


def lift_ban(order: LegalOrder, *, actor, version: int | None = None) -> LegalOrder:
    """The ban on notice has ended: the practice is told now, and sees the order."""
    with transaction.atomic():
        order = perform_order_transition(order, "lift_ban", actor=actor, version=version)
        _send_notice(order)
    return order


def carry_out(
    order: LegalOrder,
    *,
    actor,
    contest_note: str,
    limitation_note: str,
    version: int | None = None,
) -> LegalOrder:
    if not (contest_note.strip() and limitation_note.strip()):
        raise InstructionIncomplete("say how the practice could contest it and how it was limited")
    fresh = LegalOrder.objects.only("state").get(pk=order.pk)
    if fresh.state == OrderState.RECORDED:
        raise NoticeDue(f"{order.number}: the notice to the practice is still due")
    return perform_order_transition(
        order,
        "carry_out",
        actor=actor,
        note=limitation_note.strip(),
        version=version,
        contest_note=contest_note,
        limitation_note=limitation_note,
    )


def _send_notice(order: LegalOrder) -> None:
    """The provision and the intended processing's dates go by e-mail; what it demands is on
    the page (it may name patients)."""
    context = {
        "order": order.number,
        "authority": order.authority,
        "legal_basis": order.legal_basis,
        "order_reference": order.order_reference,
        "planned_on": order.planned_on,
        "path": f"/staff/orders/{order.pk}/",
    }
    rows = []
    for email in dict.fromkeys(order.practice.privacy_emails()):
        row = outbox.message(
            purpose=Purpose.LEGAL_ORDER,
            medium=Medium.EMAIL,
            recipient=email,
            template="legal_order_notice",
            language=STAFF_LANGUAGE,
            context=context,
        )
        row.practice_id = order.practice_id
        rows.append(row)
    outbox.enqueue(rows)
