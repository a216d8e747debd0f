from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from requests_app.diagram import document

TARGET = Path(settings.BASE_DIR) / "docs" / "lifecycle.md"


class Command(BaseCommand):
    help = "Write docs/lifecycle.md: the request state diagrams, drawn from the code."

    def handle(self, *args, **options):
        TARGET.write_text(document(), encoding="utf-8")
        self.stdout.write(f"wrote {TARGET}")
