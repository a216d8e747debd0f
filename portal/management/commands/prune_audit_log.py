import getpass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workflows.housekeeping import audit_pruning


class Command(BaseCommand):
    help = (
        "Remove whole months of the audit log older than AUDIT_RETENTION_YEARS (at least five) "
        "that concern no request still held, leaving a keyed record of each removal. Run as the "
        "owner of the tables (the role that runs `migrate`), with AUDIT_CHAIN_KEY; the runtime "
        "role cannot."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="only list what would be removed or kept"
        )
        parser.add_argument(
            "--operator",
            default="",
            help="who runs this, for the record (default: the operating system user)",
        )

    def handle(self, *args, dry_run, operator, **options):
        try:
            if dry_run:
                for segment, reason in audit_pruning.plan():
                    verdict = f"kept: {reason}" if reason else "would be removed"
                    self.stdout.write(f"{segment.label}: {verdict}")
                return
            who = f"{operator or getpass.getuser()} (database role {audit_pruning.database_role()})"
            outcome = audit_pruning.prune(removed_by=f"prune_audit_log by {who}")
        except audit_pruning.PruningRefused as exc:
            raise CommandError(str(exc)) from None
        for segment, reason in outcome.kept:
            self.stdout.write(f"Kept {segment.label}: {reason}")
        for removal in outcome.removed:
            self.stdout.write(
                f"Removed #{removal.first_seq}-#{removal.last_seq}: {removal.count} records "
                f"of {removal.period}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(outcome.removed)} segment(s) older than {settings.AUDIT_RETENTION_YEARS} "
                "years removed; the rest of the chain verifies from each removal onwards."
            )
        )
