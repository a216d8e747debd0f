"""The hourly rates of Bijlage 3 of the processing agreement (euros, excluding VAT), valid from the
agreement's date (14 March 2020). Later changes are new rows in the admin."""

import datetime
from decimal import Decimal

from django.db import migrations

VALID_FROM = datetime.date(2020, 3, 14)
RATES = [
    ("Medior projectleider", "80"),
    ("Senior projectmanager", "110"),
    ("Mobile software engineer", "100"),
    (".Net software engineer", "90"),
    ("Software architect", "120"),
    ("Applicatiebeheer", "90"),
    ("Security consultant", "120"),
    ("UX / Visual designer", "95"),
]


def seed(apps, schema_editor):
    HourlyRate = apps.get_model("requests_app", "HourlyRate")
    for function, rate in RATES:
        HourlyRate.objects.get_or_create(
            function=function, valid_from=VALID_FROM, defaults={"rate": Decimal(rate)}
        )


def unseed(apps, schema_editor):
    HourlyRate = apps.get_model("requests_app", "HourlyRate")
    HourlyRate.objects.filter(
        valid_from=VALID_FROM, function__in=[f for f, _ in RATES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0035_processor_instructions_and_charges")]

    operations = [migrations.RunPython(seed, unseed)]
