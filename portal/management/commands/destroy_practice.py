from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from portal.management.commands.export_practice import practice_by_agb, processor_admin
from requests_app.errors import DomainError
from requests_app.models import ExitState
from workflows.practice_exit import destruction, exits


class Command(BaseCommand):
    help = (
        "Destroy everything the processor holds for a practice (agreement art. 11.2), once the "
        "directory holds that practice's latest exit archive and nothing changed since. Run "
        "again after a fault or once the manual steps are ticked off: it goes on where it "
        "stopped. Prints the certificate's SHA-256 digest when it is issued."
    )

    def add_arguments(self, parser):
        parser.add_argument("agb", help="the practice's AGB code")
        parser.add_argument(
            "--archive", required=True, type=Path, help="the directory export_practice wrote"
        )
        parser.add_argument(
            "--by", required=True, help="e-mail address of the processor administrator"
        )

    def handle(self, *args, agb, archive, by, **options):
        actor = processor_admin(by)
        practice = practice_by_agb(agb)
        record = exits.open_exit(practice)
        if record is None:
            raise CommandError(f"practice {agb} has no exit in progress: export it first")
        with translation.override(settings.LANGUAGE_CODE):
            try:
                record = destruction.destroy(record, archive, actor=actor)
            except (destruction.DestructionRefused, DomainError) as exc:
                raise CommandError(f"Refused, nothing was changed: {exc}") from None
            except PermissionDenied:
                raise CommandError(f"{by} may not destroy a practice's data") from None
            for step in record.steps.select_related("subprocessor"):
                state = (
                    "done" if step.done_at else ("FAILED: " + step.error if step.error else "open")
                )
                self.stdout.write(f"{destruction.step_label(step)}: {state} {step.removed or ''}")
            for text in destruction.kept_texts(record):
                self.stdout.write(f"Kept: {text}")
        if record.state != ExitState.CERTIFIED:
            raise CommandError(
                "Not finished: a step failed or manual steps are open. Run again when they are "
                "done; nothing is removed twice."
            )
        self.stdout.write(f"Certificate SHA-256: {record.certificate_digest}")
        self.stdout.write(self.style.SUCCESS(f"Exit {record.number} certified."))
