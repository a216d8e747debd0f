import datetime

from django.db import migrations

# Days equated with public holidays by royal decree (Algemene termijnenwet art. 3(3)), as listed in
# the project's obligations: bridge days after Ascension and around New Year and King's Day.
KNOWN = [
    (datetime.date(2025, 5, 30), "Vrijdag na Hemelvaartsdag 2025"),
    (datetime.date(2026, 1, 2), "Vrijdag na Nieuwjaarsdag 2026"),
    (datetime.date(2026, 5, 15), "Vrijdag na Hemelvaartsdag 2026"),
    (datetime.date(2027, 5, 7), "Vrijdag na Hemelvaartsdag 2027"),
    (datetime.date(2028, 4, 28), "Vrijdag na Koningsdag 2028"),
    (datetime.date(2028, 5, 26), "Vrijdag na Hemelvaartsdag 2028"),
]


def seed(apps, schema_editor):
    model = apps.get_model("requests_app", "EquatedHoliday")
    for date, description in KNOWN:
        model.objects.get_or_create(date=date, defaults={"description": description})


def unseed(apps, schema_editor):
    model = apps.get_model("requests_app", "EquatedHoliday")
    model.objects.filter(date__in=[d for d, _ in KNOWN]).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0002_equated_holidays")]
    operations = [migrations.RunPython(seed, unseed)]
