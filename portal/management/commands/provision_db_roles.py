import os

from django.core.management.base import BaseCommand, CommandError

from portal import db_roles


class Command(BaseCommand):
    help = (
        "Create or fix up the PostgreSQL role the web process and the workers run as: it owns "
        "nothing, reads and writes the tables, and may only read and append to the audit log. "
        "Run as the owner of the tables (the role that runs `migrate`), after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("--app-role", required=True, help="name of the runtime login role")
        parser.add_argument(
            "--password-env",
            metavar="VAR",
            help="environment variable holding the role's password (never given on the command "
            "line); without it the password is left as it is",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; report what the role may do that it must not (exit status 1)",
        )
        parser.add_argument("--database", default="default")

    def handle(self, *args, app_role, password_env, check, database, **options):
        password = None
        if password_env:
            password = os.environ.get(password_env)
            if not password:
                raise CommandError(f"The environment variable {password_env} is empty or unset.")
        try:
            if check:
                review = db_roles.review(app_role, using=database)
                for line in review.advice:
                    self.stdout.write(self.style.WARNING(line))
                if not review.sound:
                    raise CommandError("; ".join(review.problems))
                self.stdout.write(self.style.SUCCESS(f"{app_role} holds what it needs, no more."))
                return
            for line in db_roles.provision(app_role, password, using=database):
                self.stdout.write(line)
        except db_roles.ProvisioningError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{app_role} is ready: run the web process and the workers with it; "
                "run migrate (and then this command) as the owner."
            )
        )
