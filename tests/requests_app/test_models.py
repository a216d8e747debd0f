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
def test_the_sub_processors_of_bijlage_1_are_known_with_what_they_receive():
    from requests_app.models import DataCategory, SubProcessor

    known = {s.name: s for s in SubProcessor.objects.all()}
    assert set(known) == {
        "Amazon Web Services (AWS)",
        "VANAD Enovation",
        "Messagebird",
        "SendGrid",
        "KPN/Kandy",
    }
    assert known["Messagebird"].categories == [DataCategory.MOBILE]
    assert known["KPN/Kandy"].categories == [DataCategory.VIDEO_IP]
    assert DataCategory.CONVERSATIONS in known["VANAD Enovation"].categories
    assert all(s.inside_eea for s in known.values())
    assert all(set(s.categories) <= set(DataCategory.values) for s in known.values())
