from django.db import migrations

# Bijlage 1 of the processing agreement (approved sub-processors, dated 14 March 2020).
PLATFORM = ["name", "birth_date", "care_organisation", "patient_number", "bsn", "postcode",
            "email", "mobile", "device_id", "conversations"]
BIJLAGE_1 = [
    ("Amazon Web Services (AWS)", "push notifications", "Frankfurt (EU)", ["device_id"], False),
    ("VANAD Enovation", "hosting of the web platform", "Netherlands (EU)", PLATFORM, False),
    ("Messagebird", "SMS", "EU", ["mobile"], True),
    ("SendGrid", "e-mail notifications", "as agreed with the processor", ["email"], True),
    ("KPN/Kandy", "video calls", "EU", ["video_ip"], False),
]


def seed(apps, schema_editor):
    model = apps.get_model("requests_app", "SubProcessor")
    for name, service, location, categories, has_api in BIJLAGE_1:
        model.objects.get_or_create(name=name, defaults={
            "service": service, "location": location, "categories": categories,
            "has_api": has_api,
        })


def unseed(apps, schema_editor):
    apps.get_model("requests_app", "SubProcessor").objects.filter(
        name__in=[row[0] for row in BIJLAGE_1]).delete()


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0012_subprocessors")]
    operations = [migrations.RunPython(seed, unseed)]
