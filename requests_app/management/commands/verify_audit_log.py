from django.core.management.base import BaseCommand, CommandError

from requests_app.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain; report the first changed, missing or moved record."

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.intact:
            raise CommandError(
                f"Audit log broken after {report.checked} good records: {report.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit log intact: {report.checked} records, chain unbroken.")
        )
