"""Practice staff and their FG see the register and their own practice's approvals."""

import datetime
import re

import pytest
from django.urls import reverse

from requests_app.models import SubProcessorApproval
from requests_app.roles import Role
from tests.factories import approve, make_user

pytestmark = pytest.mark.django_db


def test_the_fg_sees_what_the_practice_approved_and_what_not(
    client, practice, other_practice, support
):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    approve(practice, "SendGrid", on=datetime.date(2024, 2, 1), by=support)
    approve(other_practice, "Twilio")
    client.force_login(fg)
    page = client.get(reverse("staff:subprocessors")).content.decode()
    assert "Subverwerkers" in page
    rows = {
        re.search(r"<strong>(.*?)</strong>", row).group(1): row
        for row in page.split("<tr><td>")[1:]
    }
    assert "Ja, op 1 februari 2024 (Verwerkersovereenkomst, Bijlage 1)" in rows["SendGrid"]
    assert "Verenigde Staten (buiten de EER)" in rows["SendGrid"]
    assert "EU-VS Data Privacy Framework" in rows["SendGrid"]
    assert "Niet goedgekeurd" in rows["Twilio"]  # approved by the other practice only
    assert "(niet in gebruik)" in rows["Messagebird"] and "goedgekeurd" not in rows["Messagebird"]
    assert other_practice.name not in page
    assert client.post(reverse("staff:subprocessors")).status_code == 405  # nothing to change


def test_the_register_is_for_practice_staff_only(client, support, patient):
    client.force_login(support)
    assert client.get(reverse("staff:subprocessors")).status_code == 403
    client.logout()
    assert client.get(reverse("staff:subprocessors")).status_code == 302  # to sign in


def test_the_admin_records_who_entered_an_approval(admin_client, admin_user, practice):
    from allauth.mfa.totp.internal.auth import TOTP

    from requests_app.models import SubProcessor

    TOTP.activate(admin_user, "JBSWY3DPEHPK3PXP")  # the admin asks for a second factor
    assert (
        admin_client.get(reverse("admin:requests_app_subprocessor_changelist")).status_code == 200
    )
    twilio = SubProcessor.objects.get(name="Twilio")
    response = admin_client.post(
        reverse("admin:requests_app_subprocessorapproval_add"),
        {
            "practice": practice.pk,
            "subprocessor": twilio.pk,
            "approved_on": "2026-01-15",
            "evidence": "Brief van de FG, 15 januari 2026",
        },
    )
    assert response.status_code == 302
    approval = SubProcessorApproval.objects.get(practice=practice, subprocessor=twilio)
    assert approval.recorded_by.username == "admin"
    assert approval.approved_on == datetime.date(2026, 1, 15)
    # The approvals show on the sub-processor's page and on the practice's.
    for url in (
        reverse("admin:requests_app_subprocessor_change", args=[twilio.pk]),
        reverse("admin:requests_app_practice_change", args=[practice.pk]),
    ):
        assert "Brief van de FG, 15 januari 2026" in admin_client.get(url).content.decode()
