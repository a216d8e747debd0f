from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from requests_app import access
from requests_app.errors import DomainError
from requests_app.models import ApiClient
from requests_app.models.api_client import DEFAULT_PER_DAY, DEFAULT_PER_MINUTE
from workflows.onboarding import api_clients

SHOWN_ONCE = "store it now: it is not kept and cannot be shown again"


def processor_admin(email: str):
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not access.is_processor_admin(user):
        raise CommandError(f"{email} is not an active processor administrator's account")
    return user


def quota_arguments(parser, *, required: bool) -> None:
    for flag, default, what in (
        ("--per-minute", DEFAULT_PER_MINUTE, "Submissions allowed per minute"),
        ("--per-day", DEFAULT_PER_DAY, "Submissions allowed per UTC day"),
    ):
        if required:
            parser.add_argument(flag, type=int, help=f"{what} (unchanged when left out).")
        else:
            parser.add_argument(
                flag, type=int, default=default, help=f"{what} (default {default})."
            )


class Command(BaseCommand):
    help = (
        "Manage the patient app's API clients: list them, create one, issue and revoke keys, "
        "set the webhook address, rotate its signing secret, change quotas, deactivate and "
        "activate. Keys and secrets are printed once. Every change is audit-logged."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--as",
            dest="actor",
            default="",
            help="the e-mail address of the processor administrator on the record (optional)",
        )
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser("list", help="every client with its keys, webhook and quotas")
        create = actions.add_parser("create", help="a new client; prints its first key once")
        create.add_argument("name")
        quota_arguments(create, required=False)
        create.add_argument("--label", default="", help="the first key's label")
        issue = actions.add_parser("issue-key", help="another key for the client, printed once")
        issue.add_argument("name")
        issue.add_argument("--label", default="", help="where the key is used")
        revoke = actions.add_parser("revoke-key", help="revoke a key at once (by its hint)")
        revoke.add_argument("name")
        revoke.add_argument("hint", help="the key's first characters, as `list` shows them")
        webhook = actions.add_parser("set-webhook", help="set the webhook address ('' clears)")
        webhook.add_argument("name")
        webhook.add_argument("url", help="https://…, or an empty string to send no events")
        secret = actions.add_parser(
            "rotate-secret", help="a new signing secret, printed once (the old one: 24 h more)"
        )
        secret.add_argument("name")
        quota = actions.add_parser("set-quota", help="change the client's quotas")
        quota.add_argument("name")
        quota_arguments(quota, required=True)
        for action, what in (("deactivate", "refuse every key"), ("activate", "allow again")):
            actions.add_parser(action, help=what).add_argument("name")

    def handle(self, *args, **options):
        with translation.override("en"):
            actor = processor_admin(options["actor"]) if options["actor"] else None
            self.who = {
                "actor": actor,
                "actor_label": "" if actor else "manage.py api_clients",
                "via": "manage.py api_clients",
            }
            action = options["action"]
            try:
                if action == "list":
                    return self.list_clients()
                if action == "create":
                    return self.create(options)
                client = self.client(options["name"])
                getattr(self, action.replace("-", "_"))(client, options)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages) + " Nothing was changed.") from exc
            except DomainError as exc:
                raise CommandError(str(exc)) from exc

    def client(self, name: str) -> ApiClient:
        found = api_clients.find_client(name)
        if found is None:
            known = ", ".join(ApiClient.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"No API client is named {name!r} (known: {known or 'none'}).")
        return found

    # --- The actions ------------------------------------------------------------------------
    def list_clients(self) -> None:
        clients = list(api_clients.client_list())
        if not clients:
            self.stdout.write("No API clients.")
        for client in clients:
            state = "active" if client.active else "DEACTIVATED"
            last = client.last_used.isoformat(timespec="seconds") if client.last_used else "never"
            self.stdout.write(
                f"{client.name}: {state}; {client.active_keys} active key(s), last used {last}; "
                f"{client.per_minute}/minute, {client.per_day}/day; "
                f"webhook {client.webhook_url or '-'}"
                f"{' (signed)' if client.webhook_secret else ''}"
            )
            for key in api_clients.keys_of(client):
                used = (
                    key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
                )
                status = (
                    f"revoked {key.revoked_at.isoformat(timespec='seconds')}"
                    f" by {key.revoked_by or '-'}"
                    if key.revoked_at
                    else "active"
                )
                self.stdout.write(
                    f"    {key.key_hint}  {key.label or '-'}  issued "
                    f"{key.created_at.isoformat(timespec='seconds')} by {key.created_by or '-'}; "
                    f"last used {used}; {status}"
                )

    def create(self, options) -> None:
        client, key = api_clients.create_client(
            name=options["name"],
            per_minute=options["per_minute"],
            per_day=options["per_day"],
            label=options["label"],
            **self.who,
        )
        self.stdout.write(
            f"API client {client.name} created ({client.per_minute} submissions a minute, "
            f"{client.per_day} a day). Its key ({SHOWN_ONCE}):\n{key}"
        )

    def issue_key(self, client: ApiClient, options) -> None:
        _key, plain = api_clients.issue_key(client, label=options["label"], **self.who)
        self.stdout.write(
            f"A new key for {client.name}; its other keys keep working until revoked "
            f"({SHOWN_ONCE}):\n{plain}"
        )

    def revoke_key(self, client: ApiClient, options) -> None:
        hint = options["hint"].rstrip("….")
        key = api_clients.find_key(client, hint)
        if key is None:
            raise CommandError(
                f"{client.name} has no key {hint!r}; `api_clients list` shows the keys' hints."
            )
        left = api_clients.revoke_key(key, **self.who)
        self.stdout.write(f"The key {key.key_hint}… of {client.name} is revoked.")
        if left == 0:
            self.stdout.write(
                f"{client.name} has no active key left: the app cannot reach the API until a "
                "new key is issued (`api_clients issue-key`)."
            )

    def set_webhook(self, client: ApiClient, options) -> None:
        if not api_clients.set_webhook(client, options["url"], **self.who):
            self.stdout.write("Nothing was changed.")
        elif client.webhook_url:
            self.stdout.write(f"Events of {client.name} go to {client.webhook_url}.")
            if not client.webhook_secret:
                self.stdout.write("It has no signing secret yet: run `api_clients rotate-secret`.")
        else:
            self.stdout.write(f"{client.name} has no webhook address: no events are sent.")

    def rotate_secret(self, client: ApiClient, options) -> None:
        first = not client.webhook_secret
        secret = api_clients.rotate_webhook_secret(client, **self.who)
        if first:
            self.stdout.write(f"The signing secret of {client.name} ({SHOWN_ONCE}):\n{secret}")
            return
        ends = api_clients.secret_overlap_ends(client)
        self.stdout.write(
            f"A new signing secret of {client.name}; events are signed with the old one as well "
            f"until {ends.isoformat(timespec='minutes')} ({SHOWN_ONCE}):\n{secret}"
        )

    def set_quota(self, client: ApiClient, options) -> None:
        per_minute = options["per_minute"]
        per_day = options["per_day"]
        if per_minute is None and per_day is None:
            raise CommandError("Give --per-minute, --per-day or both.")
        changed = api_clients.set_quotas(
            client,
            per_minute=client.per_minute if per_minute is None else per_minute,
            per_day=client.per_day if per_day is None else per_day,
            **self.who,
        )
        if not changed:
            self.stdout.write("Nothing was changed.")
        else:
            self.stdout.write(
                f"{client.name}: {client.per_minute} submissions a minute, {client.per_day} a day."
            )

    def deactivate(self, client: ApiClient, options) -> None:
        if api_clients.set_active(client, False, **self.who):
            self.stdout.write(f"{client.name} is deactivated: every key is refused.")
        else:
            self.stdout.write(f"{client.name} was already deactivated; nothing was changed.")

    def activate(self, client: ApiClient, options) -> None:
        if api_clients.set_active(client, True, **self.who):
            self.stdout.write(f"{client.name} is active again: its active keys work.")
        else:
            self.stdout.write(f"{client.name} was already active; nothing was changed.")
