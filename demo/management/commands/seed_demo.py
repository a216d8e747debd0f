"""Demo data for the embedded default: practices, staff accounts and a few requests.

Safe to run again: it creates what is missing and changes nothing that exists.
"""

import datetime

from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from demo import platform as platform_demo
from requests_app.models import (
    ContactRole,
    Membership,
    Practice,
    ProcessorContact,
    Request,
    SubProcessor,
    SubProcessorApproval,
)
from requests_app.roles import Role
from workflows.intake.submission import PatientDetails, Submission, submit_request

DEMO_PASSWORD = "demo-portal-2026"  # noqa: S105 - printed for the demo on purpose
# Staff need a second factor: the demo accounts share this authenticator-app secret, and
# `manage.py demo_totp` prints the code it gives right now.
DEMO_TOTP_SECRET = "DEMOPORTALDEMOPORTALDEMOPORTAL22"  # noqa: S105 - demo only, printed on purpose

# Bijlage 5: the processor's contacts for incidents (fictional people for the demo).
PROCESSOR_CONTACTS = [
    (
        ContactRole.PRIMARY,
        "Sanne Bakker",
        "Operationeel directeur",
        "incidenten@processor.example",
        "+31611111111",
    ),
    (
        ContactRole.STANDIN,
        "Gerrit Bos",
        "Algemeen directeur",
        "directie@processor.example",
        "+31622222222",
    ),
]

PRACTICES = [
    (
        "Huisartsenpraktijk De Linde",
        "01234567",
        "Lindelaan 12",
        "3511 AB",
        "Utrecht",
        "Anna de Vries",
        "fg@delinde.example",
        "+31612345678",
    ),
    (
        "Gezondheidscentrum Oost",
        "02345678",
        "Oosterstraat 5",
        "1091 GH",
        "Amsterdam",
        "Bram Jansen",
        "privacy@gcoost.example",
        "",
    ),
    (
        "Huisartsen Aan Zee",
        "03456789",
        "Boulevard 101",
        "2586 BA",
        "Den Haag",
        "Chris Bakker",
        "fg@aanzee.example",
        "",
    ),
]

# The demo practices' written consent to the sub-processors in use (agreement art. 7.1): those
# of Bijlage 1 by signing the agreement; Twilio, added later and outside the EEA, by a letter.
SIGNED = datetime.date(2020, 3, 14)
CONSENT = {
    "Twilio": (datetime.date(2026, 1, 15), "Brief van de FG: toestemming Twilio (art. 3.7, 7.1)"),
    "SendGrid": (SIGNED, "Verwerkersovereenkomst, Bijlage 1; doorgifte buiten de EER (art. 3.7)"),
}

USERS = [
    ("handler@delinde.example", "Sanne", "Visser", Role.HANDLER, "01234567"),
    ("fg@delinde.example", "Anna", "de Vries", Role.DPO, "01234567"),
    ("beheer@delinde.example", "Bram", "Jacobs", Role.PRACTICE_ADMIN, "01234567"),
    ("handler@gcoost.example", "Daan", "Smit", Role.HANDLER, "02345678"),
    ("support@processor.example", "Eva", "Mulder", Role.SUPPORT, None),
    ("admin@processor.example", "Iris", "Bos", Role.PROCESSOR_ADMIN, None),
]

DEMO_REQUESTS = [
    (
        "01234567",
        "access",
        "Jan Jansen",
        "jan.jansen@example.com",
        "Ik wil graag weten welke gegevens de app over mij bewaart.",
        "+31612340001",
    ),
    (
        "01234567",
        "erasure",
        "Petra de Boer",
        "petra@example.com",
        "Verwijder alstublieft mijn berichten uit de app.",
        "+31612340002",
    ),
    (
        "02345678",
        "rectification",
        "Mohamed El Amrani",
        "m.elamrani@example.com",
        "Mijn geboortedatum staat verkeerd in de app.",
        "",
    ),
    (
        None,
        "objection",
        "Lotte Hendriks",
        "lotte@example.com",
        "Ik maak bezwaar tegen het gebruik van mijn telefoonnummer.",
        "",
    ),
]


class Command(BaseCommand):
    help = "Load demo practices, staff accounts and requests (idempotent) and print the logins."

    def _seed_platform(self, practices) -> None:
        """The app's own data (the demo platform), including the demo requests' patients, so
        that look-ups, packages and erasures have something to find."""
        alias = settings.PLATFORM_DATABASE
        platform_demo.create_schema(alias)
        if platform_demo.Patient.objects.using(alias).exists():
            return
        platform_demo.seed(alias, patients=300, messages=3000, practice_codes=list(practices))
        for agb, _kind, name, email, _text, phone in DEMO_REQUESTS:
            if agb:
                first, _, last = name.partition(" ")
                platform_demo.add_patient(
                    alias,
                    practice_agb=agb,
                    email=email,
                    mobile=phone,
                    first_name=first,
                    last_name=last,
                    birth_date=datetime.date(1980, 5, 17),
                    device_id=f"demo-device-{email.split('@')[0]}",
                    messages=25,
                    video_calls=1,
                )

    def handle(self, *args, **options):
        practices = {}
        for name, agb, street, postcode, city, dpo, email, phone in PRACTICES:
            practices[agb], _ = Practice.objects.get_or_create(
                agb_code=agb,
                defaults={
                    "name": name,
                    "street": street,
                    "postcode": postcode,
                    "city": city,
                    "dpo_name": dpo,
                    "dpo_email": email,
                    "dpo_phone": phone,
                    "standin_name": "Praktijkmanager",
                    "standin_email": f"manager@{email.split('@')[1]}",
                    "complaints_officer": "Klachtenfunctionaris SKGE",
                    "complaints_officer_email": "klachtenfunctionaris@skge.example",
                    "complaints_officer_phone": "088 0229100",
                    "disputes_body": "Geschilleninstantie Huisartsenzorg (via SKGE)",
                    "disputes_body_contact": "Postbus 8018, 5601 KA Eindhoven, 088 0229100",
                    "disputes_body_website": "https://www.skge.nl",
                },
            )
        for practice in practices.values():
            for entry in SubProcessor.objects.filter(active=True):
                on, evidence = CONSENT.get(
                    entry.name, (SIGNED, "Verwerkersovereenkomst, Bijlage 1")
                )
                SubProcessorApproval.objects.get_or_create(
                    practice=practice,
                    subprocessor=entry,
                    defaults={"approved_on": on, "evidence": evidence},
                )
        for role, name, function, email, phone in PROCESSOR_CONTACTS:
            ProcessorContact.objects.get_or_create(
                role=role,
                defaults={"name": name, "function": function, "email": email, "phone": phone},
            )
        user_model = get_user_model()
        for email, first, last, role, agb in USERS:
            user, created = user_model.objects.get_or_create(
                username=email, defaults={"email": email, "first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
                TOTP.activate(user, DEMO_TOTP_SECRET)
            Membership.objects.get_or_create(
                user=user, role=role, practice=practices[agb] if agb else None
            )
        if not Request.objects.exists():
            for agb, kind, name, email, text, phone in DEMO_REQUESTS:
                submission = Submission(
                    practice=practices[agb] if agb else None,
                    practice_given="" if agb else "Huisarts Jansen, Zwolle",
                    kind=kind,
                    description=text,
                    patient=PatientDetails(
                        name=name, birth_date=datetime.date(1980, 5, 17), email=email, phone=phone
                    ),
                )
                submit_request(submission=submission, channel="web")
        self._seed_platform(practices)
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"\nOpen {settings.PORTAL_BASE_URL}/ to submit a request as a patient.")
        self.stdout.write(
            f"Staff sign in at {settings.PORTAL_BASE_URL}/accounts/login/ with "
            f"password {DEMO_PASSWORD!r}:"
        )
        for email, _first, _last, role, agb in USERS:
            where = practices[agb].name if agb else "processor"
            self.stdout.write(f"  {email:<28} {Role(role).label} – {where}")
        self.stdout.write(
            f"Patients follow their requests at {settings.PORTAL_BASE_URL}/track/ with a code "
            "that is printed on this console (try jan.jansen@example.com)."
        )
        self.stdout.write(
            "The demo platform (the app's own data) holds 300 patients and the demo requests' "
            "patients: after verifying Jan Jansen's identity, a handler can ask the processor for "
            f"his data; support works the task at {settings.PORTAL_BASE_URL}/staff/tasks/."
        )
        self.stdout.write(
            f"Staff also need a code from an authenticator app: add the secret {DEMO_TOTP_SECRET} "
            "to one, or run `python manage.py demo_totp` for the current code."
        )
