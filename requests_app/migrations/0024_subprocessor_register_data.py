"""The register as the code uses it: texts in Dutch and English, SendGrid outside the EEA, Twilio
(the SMS channel and connector) added, Messagebird kept but inactive. See docs/legal.md."""

from django.db import migrations

OUTSIDE_NL = "Verenigde Staten (buiten de EER)"
OUTSIDE_EN = "United States (outside the EEA)"

# name: (service nl, service en, location nl, location en)
TEXTS = {
    "Amazon Web Services (AWS)": (
        "pushberichten", "push notifications", "Frankfurt (EU)", "Frankfurt (EU)",
    ),
    "VANAD Enovation": (
        "hosting van het webplatform", "hosting of the web platform",
        "Nederland (EU)", "Netherlands (EU)",
    ),
    "KPN/Kandy": ("beeldbellen", "video calls", "EU", "EU"),
    "Messagebird": ("sms", "SMS", "EU", "EU"),
    "SendGrid": ("e-mailmeldingen", "e-mail notifications", OUTSIDE_NL, OUTSIDE_EN),
}
MESSAGEBIRD_NOTE = (
    "Named in Bijlage 1 (14 March 2020) for SMS. The portal sends SMS and reads the SMS log "
    "through Twilio instead, so no code passes data to Messagebird and no access answer names "
    "it; kept inactive so the register still shows what the agreement lists."
)
SENDGRID_NOTE = (
    "Twilio SendGrid, Inc., a US company: the e-mail channel and the SendGrid connector. Listed "
    "in Bijlage 1 without its location; outside the EEA it needs the practice's consent under "
    "art. 3.7 and 7.3 as well."
)
TWILIO = {
    "service_nl": "sms-berichten (codes en meldingen)",
    "service": "SMS messages (codes and notifications)",
    "location_nl": OUTSIDE_NL,
    "location": OUTSIDE_EN,
    "inside_eea": False,
    "transfer_mechanism": "dpf_scc",
    "categories": ["mobile"],
    "has_api": True,
    "note": (
        "Twilio Inc., a US company: the SMS channel and the Twilio connector. Not in Bijlage 1: "
        "used for a practice only after its prior written consent (art. 7.1, 3.7)."
    ),
}


def forward(apps, schema_editor):
    model = apps.get_model("requests_app", "SubProcessor")
    for name, (service_nl, service, location_nl, location) in TEXTS.items():
        model.objects.filter(name=name).update(
            service_nl=service_nl, service=service, location_nl=location_nl, location=location
        )
    model.objects.filter(name="SendGrid").update(
        inside_eea=False, transfer_mechanism="dpf_scc", note=SENDGRID_NOTE
    )
    model.objects.filter(name="Messagebird").update(active=False, note=MESSAGEBIRD_NOTE)
    model.objects.update_or_create(name="Twilio", defaults=TWILIO)


def backward(apps, schema_editor):
    model = apps.get_model("requests_app", "SubProcessor")
    if apps.get_model("requests_app", "ManualStep").objects.filter(
        subprocessor__name="Twilio"
    ).exists():
        # Tasks refer to it; leave it in place rather than lose their history.
        model.objects.filter(name="Twilio").update(active=False)
    else:
        model.objects.filter(name="Twilio").delete()
    model.objects.filter(name="SendGrid").update(
        inside_eea=True,
        transfer_mechanism="",
        location="as agreed with the processor",
        note="",
    )
    model.objects.filter(name="Messagebird").update(active=True, note="")


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0023_subprocessor_register")]
    operations = [migrations.RunPython(forward, backward)]
