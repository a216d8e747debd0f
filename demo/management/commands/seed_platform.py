"""Fill the demo platform database (the stand-in for the processor's app) with patients,
devices, conversations, messages and video calls."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import platform as platform_demo
from requests_app.models import Practice


class Command(BaseCommand):
    help = "Create the demo platform tables if needed and fill them (replacing what was there)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=1000)
        parser.add_argument("--messages", type=int, default=10000)
        parser.add_argument(
            "--database",
            default=None,
            help="database alias (default: settings.PLATFORM_DATABASE)",
        )
        parser.add_argument(
            "--practice",
            action="append",
            dest="practices",
            help="AGB code to spread patients over (repeatable; default: all practices)",
        )
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        if options["patients"] < 1 or options["messages"] < 0:
            raise CommandError("--patients must be at least 1 and --messages not negative")
        alias = options["database"] or settings.PLATFORM_DATABASE
        codes = options["practices"] or list(Practice.objects.values_list("agb_code", flat=True))
        if not codes:
            raise CommandError("no practices: run seed_demo first or pass --practice AGB")
        began = time.perf_counter()
        counts = platform_demo.seed(
            alias,
            patients=options["patients"],
            messages=options["messages"],
            practice_codes=codes,
            seed_value=options["seed"],
        )
        took = time.perf_counter() - began
        summary = ", ".join(f"{n} {name}" for name, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Platform '{alias}' filled in {took:.1f} s: {summary}")
        )
