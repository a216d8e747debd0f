"""The patient app's API clients in the processor administrator's screens: the list, a new client,
the client's page (keys, webhook, secret, quotas, changes) and its forms. Only a processor
administrator reaches them (others: 403), as the practices' pages.

A new key or secret is shown once, in the answer to the POST that made it: it is never put in
the session, a message or a redirect, and the page is no-store. Every change is audit-logged by
workflows.onboarding.api_clients."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.forms.api_clients import ClientForm, KeyForm, QuotaForm, SecretForm, WebhookForm
from portal.views.common import not_found, staff_required
from requests_app import access
from requests_app.models import ApiClient, ApiKey
from requests_app.models.api_client import SECRET_OVERLAP
from workflows import counters
from workflows.onboarding import api_clients

# How long a form that makes a key or secret is remembered as sent (a reload of the answer a day
# later still makes nothing).
SENT_ONCE_SECONDS = 24 * 60 * 60


def _require_admin(request: HttpRequest) -> None:
    if not access.is_processor_admin(request.user):
        raise PermissionDenied


def _client(request: HttpRequest, pk: int) -> ApiClient:
    found = ApiClient.objects.filter(pk=pk).first()
    if found is None:
        not_found(request, "api_client.view", "api_client", str(pk))
    return found


def _key(request: HttpRequest, client: ApiClient, key_pk: int) -> ApiKey:
    found = client.keys.filter(pk=key_pk).first()
    if found is None:
        not_found(request, "api_client.view", "api_key", str(key_pk))
    return found


def _scope(request: HttpRequest) -> str:
    return f"api-clients:{request.user.pk}"


def _first_send(request: HttpRequest, form) -> bool:
    """Whether the form is sent for the first time; if not, nothing is to be made again."""
    return counters.first_use(_scope(request), form.cleaned_data["once"], seconds=SENT_ONCE_SECONDS)


def _sent_twice(request: HttpRequest, client: ApiClient | None) -> HttpResponse:
    """The answer to a form sent again: what it made was shown once, the first time."""
    return render(request, "staff/api_clients/sent_twice.html", {"client": client}, status=409)


def _refused(request: HttpRequest, form) -> None:
    """The step was refused: the same form, corrected, may be sent again."""
    counters.forget_use(_scope(request), form.cleaned_data["once"])


def _shown_once(request: HttpRequest, context: dict) -> HttpResponse:
    """The answer that shows a new key or secret: this page and no other, never cached."""
    response = render(request, "staff/api_clients/shown_once.html", context)
    add_never_cache_headers(response)
    return response


@require_GET
@staff_required
def client_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "staff/api_clients/list.html", {"clients": api_clients.client_list()})


@staff_required
@require_http_methods(["GET", "POST"])
def client_new(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = ClientForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if not _first_send(request, form):
            return _sent_twice(request, api_clients.find_client(form.cleaned_data["name"]))
        data = form.cleaned_data
        try:
            client, key = api_clients.create_client(
                name=data["name"],
                per_minute=data["per_minute"],
                per_day=data["per_day"],
                label=data["label"],
                actor=request.user,
            )
        except api_clients.ClientExists as exc:
            _refused(request, form)
            form.add_error("name", str(exc))
        else:
            return _shown_once(request, {"client": client, "key": key, "new_client": True})
    return render(
        request,
        "staff/api_clients/form.html",
        {"form": form, "client": None, "what": "new"},
        status=400 if form.is_bound else 200,
    )


@require_GET
@staff_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    client = _client(request, pk)
    keys = list(api_clients.keys_of(client))
    return render(
        request,
        "staff/api_clients/detail.html",
        {
            "client": client,
            "keys": keys,
            "active_keys": sum(1 for key in keys if key.active),
            "max_keys": api_clients.MAX_ACTIVE_KEYS,
            "key_form": KeyForm(),
            "overlap_ends": api_clients.secret_overlap_ends(client),
            "changes": api_clients.client_changes(client)[:20],
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def key_new(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    client = _client(request, pk)
    form = KeyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if not _first_send(request, form):
            return _sent_twice(request, client)
        try:
            key, plain = api_clients.issue_key(
                client, label=form.cleaned_data["label"], actor=request.user
            )
        except api_clients.KeyRefused as exc:
            _refused(request, form)
            form.add_error(None, str(exc))
        else:
            return _shown_once(request, {"client": client, "key": plain, "api_key": key})
    return render(
        request,
        "staff/api_clients/form.html",
        {"form": form, "client": client, "what": "key"},
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def key_revoke(request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
    """GET: what revoking the key does, and the button; POST: revoke it."""
    _require_admin(request)
    client = _client(request, pk)
    key = _key(request, client, key_pk)
    if request.method == "POST":
        try:
            left = api_clients.revoke_key(key, actor=request.user)
        except api_clients.KeyRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The key %(hint)s… is revoked.") % {"hint": key.key_hint})
            if left == 0:
                messages.warning(
                    request,
                    _(
                        "This client has no active key left: the app cannot reach the API "
                        "until you issue a new key."
                    ),
                )
        return redirect("staff:api_client", pk=client.pk)
    if not key.active:
        messages.info(request, _("The key %(hint)s… was already revoked.") % {"hint": key.key_hint})
        return redirect("staff:api_client", pk=client.pk)
    others = client.keys.filter(revoked_at__isnull=True).exclude(pk=key.pk).count()
    return render(
        request,
        "staff/api_clients/revoke.html",
        {"client": client, "key": key, "others": others},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    client = _client(request, pk)
    if request.method == "POST":
        form = WebhookForm(request.POST)
    else:
        form = WebhookForm(initial={"webhook_url": client.webhook_url})
    if form.is_valid():
        try:
            changed = api_clients.set_webhook(
                client, form.cleaned_data["webhook_url"], actor=request.user
            )
        except ValidationError as exc:  # the host's addresses changed since the form's check
            form.add_error("webhook_url", exc)
        else:
            if not changed:
                messages.info(request, _("Nothing was changed."))
            elif client.webhook_url:
                messages.success(request, _("The webhook address has been saved."))
            else:
                messages.success(
                    request, _("The webhook address has been removed: no events are sent.")
                )
            return redirect("staff:api_client", pk=client.pk)
    return render(
        request,
        "staff/api_clients/form.html",
        {"form": form, "client": client, "what": "webhook"},
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def secret(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what a new signing secret does, and the button; POST: make it and show it once."""
    _require_admin(request)
    client = _client(request, pk)
    form = SecretForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        # Rotating twice at once would end the old secret's overlap: a reload makes nothing.
        if not _first_send(request, form):
            return _sent_twice(request, client)
        first = not client.webhook_secret
        plain = api_clients.rotate_webhook_secret(client, actor=request.user)
        return _shown_once(
            request,
            {
                "client": client,
                "secret": plain,
                "first_secret": first,
                "overlap_ends": api_clients.secret_overlap_ends(client),
            },
        )
    return render(
        request,
        "staff/api_clients/secret.html",
        {
            "client": client,
            "form": form,
            "overlap_hours": int(SECRET_OVERLAP.total_seconds() // 3600),
        },
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def quotas(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    client = _client(request, pk)
    if request.method == "POST":
        form = QuotaForm(request.POST)
    else:
        form = QuotaForm(initial={"per_minute": client.per_minute, "per_day": client.per_day})
    if form.is_valid():
        changed = api_clients.set_quotas(
            client,
            per_minute=form.cleaned_data["per_minute"],
            per_day=form.cleaned_data["per_day"],
            actor=request.user,
        )
        if changed:
            messages.success(request, _("The quotas have been saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("staff:api_client", pk=client.pk)
    return render(
        request,
        "staff/api_clients/form.html",
        {"form": form, "client": client, "what": "quotas"},
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what deactivating does, and the button; POST: deactivate."""
    _require_admin(request)
    client = _client(request, pk)
    if request.method == "POST":
        if api_clients.set_active(client, False, actor=request.user):
            messages.success(
                request,
                _("%(name)s is deactivated: every key is refused from now on.")
                % {"name": client.name},
            )
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect("staff:api_client", pk=client.pk)
    if not client.active:
        return redirect("staff:api_client", pk=client.pk)
    return render(request, "staff/api_clients/deactivate.html", {"client": client})


@require_POST
@staff_required
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    client = _client(request, pk)
    if api_clients.set_active(client, True, actor=request.user):
        messages.success(
            request,
            _("%(name)s is active again: its active keys work from now on.")
            % {"name": client.name},
        )
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect("staff:api_client", pk=client.pk)
