"""Print the current second-factor code of the demo staff accounts (demo use only)."""

from allauth.mfa.totp.internal import auth
from django.core.management.base import BaseCommand

from demo.management.commands.seed_demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the code an authenticator app with the demo secret shows now."

    def handle(self, *args, **options):
        counters = list(auth.yield_hotp_counters_from_time())
        code = auth.format_hotp_value(
            auth.hotp_value(DEMO_TOTP_SECRET, counters[len(counters) // 2])
        )
        self.stdout.write(f"{code}  (valid for up to 30 seconds)")
