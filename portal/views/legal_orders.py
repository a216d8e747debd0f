"""Processing under a legal order (agreement art. 3.4): support records the order and its
notice, the ground that forbids notice, and the processing carried out; the practice's staff see
their practice's orders (not one whose notice the law still forbids: a 404, as another
practice's order)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.forms.instructions import VersionForm
from portal.forms.legal_orders import CarryOutForm, ForbidForm, OrderForm
from portal.views.common import (
    REFUSED,
    bad_form,
    staff_required,
    tell_refused,
    visible_order,
)
from requests_app import access, audit, selectors
from requests_app.models import AuditAction
from workflows.assistance import legal_orders
from workflows.assistance.instructions import InstructionIncomplete


@staff_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = selectors.legal_orders_visible_to(request.user)
    return render(
        request,
        "staff/legal_orders.html",
        {"orders": orders[:200], "support": access.is_processor_support(request.user)},
    )


@staff_required
def order_new(request: HttpRequest) -> HttpResponse:
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = OrderForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "staff/legal_order_new.html", {"form": form}, status=400)
        data = form.cleaned_data
        orders = legal_orders.record(list(data.pop("practices")), actor=request.user, **data)
        messages.success(request, _("The order has been recorded for each practice concerned."))
        return redirect("staff:order", pk=orders[0].pk)
    return render(request, "staff/legal_order_new.html", {"form": form})


@staff_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = visible_order(request, pk)
    audit.record(
        "legal_order.view",
        AuditAction.READ,
        user=request.user,
        object_type="legal_order",
        object_id=order.number,
        practice_id=order.practice_id,
    )
    support = access.is_processor_support(request.user)
    version = {"version": order.version}
    return render(
        request,
        "staff/legal_order.html",
        {
            "order": order,
            "events": order.events.select_related("actor"),
            "support": support,
            "offered": {
                t.name
                for t in order.get_all_state_transitions()
                if t.source == order.state and t.has_perm(order, request.user)
            }
            if support
            else set(),
            "version_form": VersionForm(initial=version),
            "forbid_form": ForbidForm(initial=version),
            "carry_out_form": CarryOutForm(initial=version),
        },
    )


FORMS = {
    "notify": VersionForm,
    "forbid_notice": ForbidForm,
    "lift_ban": VersionForm,
    "carry_out": CarryOutForm,
}


@staff_required
@require_POST
def order_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    order = visible_order(request, pk)
    if action not in FORMS:
        raise Http404
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    form = FORMS[action](request.POST)
    if not form.is_valid():
        return bad_form(request, form)
    data = form.cleaned_data
    try:
        if action == "notify":
            legal_orders.notify(order, actor=request.user, version=data["version"])
        elif action == "forbid_notice":
            legal_orders.forbid_notice(
                order, actor=request.user, ground=data["ground"], version=data["version"]
            )
        elif action == "lift_ban":
            legal_orders.lift_ban(order, actor=request.user, version=data["version"])
        else:
            legal_orders.carry_out(
                order,
                actor=request.user,
                contest_note=data["contest_note"],
                limitation_note=data["limitation_note"],
                version=data["version"],
            )
    except REFUSED as exc:
        tell_refused(request, exc, otherwise=_("This step is not possible in the order's state."))
    except InstructionIncomplete:
        messages.error(request, _("Say what the step needs."))
    else:
        messages.success(request, _("Saved."))
    return redirect("staff:order", pk=pk)
