from django.core.management.base import BaseCommand, CommandError

from requests_app.models import ApiClient


class Command(BaseCommand):
    help = "Create an API client for the patient app and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name")

    def handle(self, *args, name: str, **options):
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"An API client named {name!r} already exists.")
        client, key = ApiClient.issue(name)
        self.stdout.write(
            f"API client {client.name} created. Its key (store it now; it is "
            f"not kept and cannot be shown again):\n{key}"
        )
