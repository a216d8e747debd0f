"""Run by scripts/check_runtime_role as the runtime database role: the portal's own writes
work (intake, its audit record, the daily checkpoint); changing the audit log does not."""

import datetime
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.db import DatabaseError, connection, transaction  # noqa: E402

from requests_app.models import AuditRecord, Channel, Practice  # noqa: E402
from workflows.housekeeping.audit_checkpoints import take_checkpoint  # noqa: E402
from workflows.intake.submission import PatientDetails, Submission, submit_request  # noqa: E402

REFUSED = [
    "UPDATE requests_app_auditrecord SET user_label = 'someone else'",
    "DELETE FROM requests_app_auditrecord",
    "TRUNCATE requests_app_auditrecord",
    "ALTER TABLE requests_app_auditrecord DISABLE TRIGGER audit_record_append_only",
    "DROP TRIGGER audit_record_append_only ON requests_app_auditrecord",
]

with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    user = cursor.fetchone()[0]
if user != os.environ["APP_ROLE"]:
    sys.exit(f"running as {user}, not as the runtime role {os.environ['APP_ROLE']}")

practice = Practice.objects.create(
    name="Huisartsenpraktijk Rookproef",
    agb_code="09999999",
    street="Lindelaan 1",
    postcode="3511AB",
    city="Utrecht",
    dpo_name="Anna de Vries",
    dpo_email="fg@rookproef.example",
)
request = submit_request(
    submission=Submission(
        practice=practice,
        kind="access",
        patient=PatientDetails(
            name="Jan Jansen",
            birth_date=datetime.date(1980, 5, 17),
            email="jan@rookproef.example",
            phone="+31687654321",
        ),
        description="Welke gegevens heeft u?",
    ),
    channel=Channel.WEB,
)
anchor = take_checkpoint()
for statement in REFUSED:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError:
        continue
    sys.exit(f"the runtime role was allowed: {statement}")
print(
    f"as {user}: request {request.reference} stored, {AuditRecord.objects.count()} audit records,"
    f" checkpoint #{anchor.seq} taken; {len(REFUSED)} changes to the audit log refused"
)
