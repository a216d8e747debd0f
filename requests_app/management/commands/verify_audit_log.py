from django.core.management.base import BaseCommand, CommandError

from requests_app.audit import verify_chain
from requests_app.audit_anchors import Anchor, read_anchors, store_path


def anchor_argument(text: str) -> Anchor:
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


class Command(BaseCommand):
    help = (
        "Check the audit log's keyed hash chain and every checkpoint kept outside the database; "
        "report the first changed, missing or moved record, and the segments removed after the "
        "retention period."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            type=anchor_argument,
            metavar="SEQ:HASH",
            help="a checkpoint from elsewhere, e.g. the one in a practice's checkpoint e-mail",
        )

    def handle(self, *args, **options):
        stored, unreadable = read_anchors()
        for where in unreadable:
            self.stderr.write(self.style.WARNING(f"Unreadable checkpoint line skipped: {where}"))
        anchors = stored + options["anchor"]
        report = verify_chain(anchors=anchors)
        if not report.intact:
            raise CommandError(
                f"Audit log broken after {report.checked} good records: {report.problem}"
            )
        if anchors:
            checkpoints = f"checkpoints matched: {report.anchors_matched}"
        else:
            checkpoints = f"no checkpoints found in {store_path()}"
        for segment in report.removed:
            self.stdout.write(
                f"Removed after {segment.retention_years} years: #{segment.first_seq}-"
                f"#{segment.last_seq}, {segment.count} records of {segment.period}, removed "
                f"{segment.removed_at:%Y-%m-%d %H:%M} UTC by {segment.removed_by}"
            )
        removed = f", {len(report.removed)} removed segment(s)" if report.removed else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {report.checked} records, chain unbroken{removed}; "
                f"{checkpoints}."
            )
        )
