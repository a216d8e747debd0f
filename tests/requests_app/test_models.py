import pytest
from django.db import IntegrityError, transaction

from requests_app.models import Membership
from requests_app.roles import Role
from tests.factories import make_practice, make_user


@pytest.mark.django_db
def test_a_practice_role_needs_a_practice_and_a_processor_role_must_not_have_one(handler, practice):
    for role, where in ((Role.HANDLER, None), (Role.SUPPORT, practice)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Membership.objects.create(user=handler, role=role, practice=where)


@pytest.mark.django_db
def test_agb_code_is_unique(practice):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_practice(practice.agb_code)


@pytest.mark.django_db
def test_practice_postcode_is_stored_in_the_usual_form(db):
    assert make_practice("12121212", postcode="3511ab").postcode == "3511 AB"


@pytest.mark.django_db
def test_one_account_can_work_for_several_practices(practice, other_practice):
    from requests_app import access

    user = make_user("locum@example.com", Role.HANDLER, practice)
    Membership.objects.create(user=user, role=Role.HANDLER, practice=other_practice)
    assert access.practice_ids(user) == {practice.pk, other_practice.pk}


@pytest.mark.django_db
def test_admin_lists_configuration_but_no_patient_data(admin_client, admin_user):
    from allauth.mfa.totp.internal.auth import TOTP

    assert admin_client.get("/admin/requests_app/practice/").status_code == 302  # no 2nd factor
    TOTP.activate(admin_user, "JBSWY3DPEHPK3PXP")
    assert admin_client.get("/admin/requests_app/equatedholiday/").status_code == 200
    assert admin_client.get("/admin/requests_app/practice/").status_code == 200
    assert admin_client.get("/admin/requests_app/request/").status_code == 404


@pytest.mark.django_db
def test_bsn_is_stored_encrypted_and_read_back(practice, patient):
    import dataclasses

    from django.db import connection

    from tests.factories import submit

    item = submit(practice, dataclasses.replace(patient, bsn="123456782"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT bsn FROM requests_app_request WHERE id = %s", [item.pk])
        stored = cursor.fetchone()[0]
    assert "123456782" not in stored and stored.startswith("enc1:")
    from requests_app.models import Request

    assert Request.objects.get(pk=item.pk).bsn == "123456782"


@pytest.mark.django_db
def test_the_register_of_sub_processors_says_what_the_code_does():
    from requests_app.models import DataCategory, SubProcessor, TransferMechanism

    known = {s.name: s for s in SubProcessor.objects.all()}
    assert set(known) == {
        "Amazon Web Services (AWS)",
        "VANAD Enovation",
        "Messagebird",
        "SendGrid",
        "KPN/Kandy",
        "Twilio",
    }
    # SMS goes through Twilio: Messagebird stays listed (Bijlage 1 names it) but receives nothing.
    assert not known["Messagebird"].active
    assert known["Twilio"].active and known["Twilio"].categories == [DataCategory.MOBILE]
    assert known["SendGrid"].categories == [DataCategory.EMAIL]
    # Both are US companies: outside the EEA, with the safeguard named, in both languages.
    for name in ("SendGrid", "Twilio"):
        entry = known[name]
        assert not entry.inside_eea
        assert entry.transfer_mechanism == TransferMechanism.DPF_SCC
        assert entry.location_in("nl") == "Verenigde Staten (buiten de EER)"
        assert entry.location_in("en") == "United States (outside the EEA)"
    assert known["VANAD Enovation"].inside_eea
    assert known["VANAD Enovation"].service_in("nl") == "hosting van het webplatform"
    assert known["VANAD Enovation"].service_in("en") == "hosting of the web platform"
    assert DataCategory.CONVERSATIONS in known["VANAD Enovation"].categories
    assert all(s.service_nl and s.location_nl and s.service and s.location for s in known.values())
    assert all(set(s.categories) <= set(DataCategory.values) for s in known.values())


@pytest.mark.django_db
def test_outside_the_eea_a_sub_processor_needs_a_safeguard_and_inside_it_none():
    from django.db import IntegrityError, transaction

    from requests_app.models import SubProcessor, TransferMechanism

    for inside, mechanism in ((False, TransferMechanism.NONE), (True, TransferMechanism.SCC)):
        with pytest.raises(IntegrityError), transaction.atomic():
            SubProcessor.objects.create(
                name="Elsewhere", inside_eea=inside, transfer_mechanism=mechanism
            )
    assert not SubProcessor.objects.filter(name="Elsewhere").exists()
