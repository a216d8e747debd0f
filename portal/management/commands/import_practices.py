from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from requests_app import access
from workflows.onboarding import practices


def processor_admin(email: str):
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not access.is_processor_admin(user):
        raise CommandError(f"{email} is not an active processor administrator's account")
    return user


class Command(BaseCommand):
    help = (
        "Import practices from a CSV file (columns in docs/practices-import.md): new AGB codes "
        "are added, known ones updated, invalid lines refused with the reason. The same checks "
        "as the import in the portal; every change is audit-logged."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8, ';' or ',' separated)")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would happen; change nothing"
        )
        parser.add_argument(
            "--as",
            dest="actor",
            default="",
            help="the e-mail address of the processor administrator on the record (optional)",
        )

    def handle(self, *args, **options):
        with translation.override("en"):
            self.run(options)

    def run(self, options):
        actor = processor_admin(options["actor"]) if options["actor"] else None
        path = Path(options["file"])
        try:
            with path.open("rb") as handle:
                data = handle.read(practices.IMPORT_MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            rows = practices.read_csv(data)
        except practices.ImportRefused as exc:
            raise CommandError(f"{path}: {exc} Nothing was changed.") from exc
        if options["dry_run"]:
            plan = practices.plan_import(rows)
            self.stdout.write(f"Dry run of {path.name}: nothing is changed.")
        else:
            try:
                plan = practices.import_practices(
                    rows, actor=actor, actor_label="" if actor else "manage.py import_practices"
                )
            except practices.ImportRefused as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Imported {path.name}.")
        for row in plan.rows:
            name = row.name or "-"
            line = f"line {row.line}: {row.agb_code or '-'} {name}: {row.outcome}"
            if row.outcome == practices.UPDATE:
                line += f" ({', '.join(row.fields)})"
            self.stdout.write(line)
            for reason in row.reasons:
                self.stdout.write(f"    {reason}")
        counts = plan.counts
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(
            f"{counts['create']} new, {counts['update']} changed, "
            f"{counts['unchanged']} unchanged, {counts['refused']} refused ({verb} so)."
        )
