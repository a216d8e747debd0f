import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from requests_app import access
from requests_app.errors import DomainError
from requests_app.models import ExitReason, Practice
from workflows.practice_exit import archive, exits


def processor_admin(email: str):
    """The processor administrator's account the command acts for (it is on the record)."""
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not access.is_processor_admin(user):
        raise CommandError(f"{email} is not an active processor administrator's account")
    return user


def practice_by_agb(agb: str) -> Practice:
    practice = Practice.objects.filter(agb_code=agb).first()
    if practice is None:
        raise CommandError(f"no practice with AGB code {agb}")
    return practice


class Command(BaseCommand):
    help = (
        "Write a practice's exit archive (agreement art. 11.2) into a new or empty directory: "
        "the AES-256 encrypted ZIP, manifest.json and the ZIP's checksum. Prints the manifest's "
        "SHA-256 digest and the passphrase, shown this once: hand it to the practice by another "
        "route than the archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("agb", help="the practice's AGB code")
        parser.add_argument("--out", required=True, type=Path, help="a new or empty directory")
        parser.add_argument(
            "--by", required=True, help="e-mail address of the processor administrator"
        )
        parser.add_argument(
            "--reason",
            choices=ExitReason.values,
            help="to start the exit: the end of the agreement, or the practice's written request",
        )
        parser.add_argument("--reference", default="", help="to start: the notice's reference")
        parser.add_argument(
            "--dated", type=datetime.date.fromisoformat, help="to start: its date (YYYY-MM-DD)"
        )

    def handle(self, *args, agb, out, by, reason, reference, dated, **options):
        actor = processor_admin(by)
        practice = practice_by_agb(agb)
        with translation.override(settings.LANGUAGE_CODE):
            try:
                # Checked before a start: a refused directory must leave the practice as it was.
                archive.check_target(out)
                record = exits.open_exit(practice)
                if record is None:
                    if not reason:
                        raise CommandError(
                            f"practice {agb} has no exit in progress: start one with --reason, "
                            "--reference and --dated"
                        )
                    record = exits.start_exit(
                        practice, actor=actor, reason=reason, reference=reference, dated=dated
                    )
                result = exits.export(record, out, actor=actor)
            except (archive.ArchiveRefused, DomainError) as exc:
                raise CommandError(str(exc)) from None
            except PermissionDenied:
                raise CommandError(f"{by} may not export a practice") from None
        self.stdout.write(f"Archive:    {result.archive}")
        self.stdout.write(f"Manifest:   {result.directory / archive.MANIFEST}")
        self.stdout.write(f"Manifest SHA-256: {result.digest}")
        self.stdout.write(f"Archive SHA-256:  {result.archive_sha256}")
        self.stdout.write(f"Passphrase (shown once, not stored): {result.passphrase}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Exit {record.number}: hand the archive and, by another route, the passphrase to "
                "the practice; then run destroy_practice with this directory."
            )
        )
