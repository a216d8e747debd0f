from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from requests_app.errors import DomainError
from requests_app.models.api_client import DEFAULT_PER_DAY, DEFAULT_PER_MINUTE
from workflows.onboarding import api_clients


class Command(BaseCommand):
    help = (
        "Create an API client for the patient app and print its key (shown only this once). "
        "The same as `api_clients create`, which also manages its keys, webhook and quotas."
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--per-minute",
            type=int,
            default=DEFAULT_PER_MINUTE,
            help=f"Submissions allowed per minute (default {DEFAULT_PER_MINUTE}).",
        )
        parser.add_argument(
            "--per-day",
            type=int,
            default=DEFAULT_PER_DAY,
            help=f"Submissions allowed per UTC day (default {DEFAULT_PER_DAY}).",
        )

    def handle(self, *args, name: str, per_minute: int, per_day: int, **options):
        with translation.override("en"):
            try:
                client, key = api_clients.create_client(
                    name=name,
                    per_minute=per_minute,
                    per_day=per_day,
                    actor_label="manage.py create_api_client",
                    via="manage.py create_api_client",
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            except DomainError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"API client {client.name} created ({client.per_minute} submissions a minute, "
            f"{client.per_day} a day). Its key (store it now; it is "
            f"not kept and cannot be shown again):\n{key}"
        )
