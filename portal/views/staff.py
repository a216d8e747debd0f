"""Practice staff and processor support: queues and request pages, scoped by the selectors."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_fsm import has_transition_perm

from portal.forms import RouteForm
from requests_app import access, selectors
from requests_app.lifecycle import TransitionRefused, perform_transition
from workflows.forwarding import route_request

PAGE_SIZE = 50


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not (
            access.is_practice_staff(request.user) or access.is_processor_support(request.user)
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _paged(request: HttpRequest, queryset):
    return Paginator(queryset.order_by("-received_at"), PAGE_SIZE).get_page(request.GET.get("page"))


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    if not access.is_practice_staff(request.user):
        return redirect("staff:unrouted")  # processor support has no practice queue
    page = _paged(request, selectors.practice_queue(request.user))
    return render(request, "staff/queue.html", {"page": page})


@staff_required
def unrouted(request: HttpRequest) -> HttpResponse:
    if not access.is_processor_support(request.user):
        raise PermissionDenied
    page = _paged(request, selectors.unrouted_queue(request.user))
    return render(request, "staff/unrouted.html", {"page": page})


def _visible(request: HttpRequest, reference: str):
    return get_object_or_404(selectors.requests_visible_to(request.user), reference=reference)


@staff_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    item = _visible(request, reference)
    can_route = has_transition_perm(item.route, request.user)
    return render(
        request,
        "staff/detail.html",
        {
            "item": item,
            "events": item.events.select_related("actor"),
            "can_acknowledge": has_transition_perm(item.acknowledge, request.user),
            "route_form": RouteForm() if can_route else None,
        },
    )


@staff_required
@require_POST
def acknowledge(request: HttpRequest, reference: str) -> HttpResponse:
    item = _visible(request, reference)
    try:
        perform_transition(item, "acknowledge", actor=request.user)
    except TransitionRefused:
        messages.error(request, _("This request has changed in the meantime. Please reload."))
    else:
        messages.success(request, _("You have acknowledged request %(ref)s.") % {"ref": reference})
    return redirect("staff:detail", reference=reference)


@staff_required
@require_POST
def route(request: HttpRequest, reference: str) -> HttpResponse:
    item = _visible(request, reference)
    if not has_transition_perm(item.route, request.user):
        raise PermissionDenied
    form = RouteForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "staff/detail.html",
            {
                "item": item,
                "events": item.events.select_related("actor"),
                "can_acknowledge": False,
                "route_form": form,
            },
            status=400,
        )
    try:
        route_request(
            item, form.cleaned_data["practice"], actor=request.user, note=form.cleaned_data["note"]
        )
    except TransitionRefused:
        messages.error(request, _("This request has changed in the meantime. Please reload."))
        return redirect("staff:unrouted")
    messages.success(
        request,
        _("Request %(ref)s has been sent to %(practice)s.")
        % {"ref": reference, "practice": form.cleaned_data["practice"]},
    )
    return redirect("staff:unrouted")
