"""The practices' pages: a processor administrator lists, adds, edits and imports practices (a
preview first, confirmed from the upload kept on the server); a practice administrator edits
their own practice's settings only; every change is on the practice's audit log."""

import io

import pytest
from django.urls import reverse

from requests_app.models import AuditOutcome, AuditRecord, Practice
from requests_app.roles import Role
from tests.factories import make_user
from workflows.onboarding import practices

pytestmark = pytest.mark.django_db

HEADER = "agb_code;name;street;postcode;city;dpo_name;dpo_email"
NEW = "12345678;Praktijk Nieuw;Dorpsstraat 1;1234AB;Ergens;Anna de Vries;fg@nieuw.example"


@pytest.fixture
def admin(db):
    return make_user("admin@processor.example", Role.PROCESSOR_ADMIN)


@pytest.fixture
def practice_admin(practice):
    return make_user("beheer@practice.example", Role.PRACTICE_ADMIN, practice)


def _upload(client, text: str | bytes, name: str = "praktijken.csv"):
    data = text.encode() if isinstance(text, str) else text
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("staff:practice_import"), {"file": upload})


def _fields(practice: Practice, **changes) -> dict:
    fields = {f: getattr(practice, f) for f in practices.ADMIN_FIELDS}
    fields = {k: ("on" if v is True else v) for k, v in fields.items() if v is not False}
    return fields | changes


def test_only_a_processor_administrator_reaches_the_practice_pages(
    client, practice, admin, support, handler, practice_admin
):
    urls = [
        reverse("staff:practices"),
        reverse("staff:practice_new"),
        reverse("staff:practice_import"),
        reverse("staff:practice", args=[practice.agb_code]),
        reverse("staff:practice_edit", args=[practice.agb_code]),
    ]
    for who in (support, handler, practice_admin):
        client.force_login(who)
        for url in urls:
            assert client.get(url).status_code == 403, (who, url)
        assert client.post(reverse("staff:practice_new"), {"name": "X"}).status_code == 403
        for name in (
            "practice_import_preview",
            "practice_import_report",
            "practice_import_report_csv",
        ):
            assert client.get(reverse(f"staff:{name}")).status_code == 403
        confirm = client.post(reverse("staff:practice_import_confirm"), {"token": "x"})
        assert confirm.status_code == 403
        assert _upload(client, "\n".join([HEADER, NEW])).status_code == 403
    client.force_login(admin)
    for url in urls:
        assert client.get(url).status_code == 200
    assert client.get(reverse("staff:practice", args=["99999999"])).status_code == 404
    client.logout()
    assert client.get(urls[0]).status_code == 302  # to the sign-in


def test_the_list_searches_by_name_agb_town_and_postcode(client, practice, other_practice, admin):
    client.force_login(admin)
    for query in ("Elders", "0765", "zwolle", "8011 aa", "8011AA"):
        page = client.get(reverse("staff:practices"), {"q": query}).content.decode()
        assert "Praktijk Elders" in page and practice.name not in page, query
    page = client.get(reverse("staff:practices")).content.decode()
    assert "Praktijk Elders" in page and practice.name in page


def test_an_administrator_adds_a_practice_and_the_change_is_audited(client, admin):
    client.force_login(admin)
    form = {
        "name": "Praktijk <b>Nieuw</b>",
        "agb_code": "12345678",
        "street": "Dorpsstraat 1",
        "postcode": "1234ab",
        "city": "Ergens",
        "dpo_name": "Anna de Vries",
        "dpo_email": "FG@Nieuw.example",
        "dpo_phone": "06 12345678",
        "retention_years": "15",
        "assistance_turnaround_days": "5",
        "active": "on",
    }
    response = client.post(reverse("staff:practice_new"), form)
    assert response.status_code == 302
    practice = Practice.objects.get(agb_code="12345678")
    assert (practice.postcode, practice.dpo_email, practice.dpo_phone) == (
        "1234 AB",
        "fg@nieuw.example",
        "+31612345678",
    )
    page = client.get(response.url).content.decode()
    assert "Praktijk &lt;b&gt;Nieuw&lt;/b&gt;" in page and "<b>Nieuw</b>" not in page
    record = AuditRecord.objects.get(event_type="practice.create")
    assert record.user == admin and record.practice_id_ref == practice.pk
    again = client.post(reverse("staff:practice_new"), form)  # the same AGB code
    assert again.status_code == 400 and Practice.objects.count() == 1


def test_a_bad_practice_form_is_refused_with_the_reasons_and_changes_nothing(
    client, practice, admin
):
    client.force_login(admin)
    url = reverse("staff:practice_edit", args=[practice.agb_code])
    response = client.post(
        url, _fields(practice, postcode="0000 XX", dpo_email="", dpo_name="Anna\u200b de Vries")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "Vul een Nederlandse postcode in" in page
    assert "geen onzichtbare tekens" in page
    assert Practice.objects.get(pk=practice.pk).postcode == "3511 AB"
    assert not AuditRecord.objects.filter(event_type__startswith="practice.").exists()


def test_an_edit_records_which_fields_changed(client, practice, admin):
    client.force_login(admin)
    url = reverse("staff:practice_edit", args=[practice.agb_code])
    client.post(url, _fields(practice, city="Amersfoort", active=""))
    practice.refresh_from_db()
    assert practice.city == "Amersfoort" and not practice.active
    record = AuditRecord.objects.get(event_type="practice.update")
    assert sorted(record.details["fields"]) == ["active", "city"]
    assert record.user == admin and record.practice_id_ref == practice.pk
    response = client.post(url, _fields(practice), follow=True)
    assert "Er is niets gewijzigd." in response.content.decode()
    assert AuditRecord.objects.filter(event_type="practice.update").count() == 1


# --- The CSV import ------------------------------------------------------------------------------
def test_upload_preview_confirm_and_report(client, practice, admin):
    client.force_login(admin)
    changed = (
        f"{practice.agb_code};Nieuwe naam;{practice.street};{practice.postcode};{practice.city};"
        f"{practice.dpo_name};{practice.dpo_email}"
    )
    bad = "1234;<script>alert(1)</script>;Straat;9999 ZZ;Stad;Anna;fg@x.example"
    response = _upload(client, "\n".join([HEADER, NEW, changed, bad]))
    assert response.status_code == 302 and response.url == reverse("staff:practice_import_preview")
    page = client.get(response.url).content.decode()
    assert "Nieuwe naam" in page and "Praktijk Nieuw" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "Een AGB-code bestaat uit precies 8 cijfers." in page
    assert not Practice.objects.filter(agb_code="12345678").exists()  # a preview changes nothing
    token = client.session["practice_import"]["token"]
    client.cookies["django_language"] = "en"  # another language between preview and confirm
    response = client.post(reverse("staff:practice_import_confirm"), {"token": token})
    assert response.status_code == 302
    client.cookies["django_language"] = "nl"
    assert Practice.objects.get(agb_code="12345678").name == "Praktijk Nieuw"
    assert Practice.objects.get(pk=practice.pk).name == "Nieuwe naam"
    assert Practice.objects.count() == 2
    report = client.get(response.url).content.decode()
    assert "Importverslag" in report and "geweigerd" in report
    client.cookies["django_language"] = "en"  # the reasons follow the page's language
    english = client.get(reverse("staff:practice_import_report")).content.decode()
    assert "An AGB code has exactly 8 digits." in english and "precies" not in english
    download = client.get(reverse("staff:practice_import_report_csv"))
    text = download.content.decode()
    assert download["Content-Type"].startswith("text/csv")
    assert "12345678" in text and "refused" in text
    # The upload was used: confirming it again changes nothing.
    again = client.post(reverse("staff:practice_import_confirm"), {"token": token})
    assert again.status_code == 400
    assert AuditRecord.objects.filter(event_type__startswith="practice.").count() == 2


def test_a_reimport_through_the_page_updates_and_never_duplicates(client, admin):
    client.force_login(admin)
    for _ in range(2):
        _upload(client, "\n".join([HEADER, NEW]))
        client.get(reverse("staff:practice_import_preview"))
        token = client.session["practice_import"]["token"]
        client.post(reverse("staff:practice_import_confirm"), {"token": token})
    assert Practice.objects.filter(agb_code="12345678").count() == 1
    assert AuditRecord.objects.filter(event_type="practice.create").count() == 1


def test_a_tampered_confirmation_changes_nothing(client, admin, practice):
    client.force_login(admin)
    _upload(client, "\n".join([HEADER, NEW]))
    client.get(reverse("staff:practice_import_preview"))
    for token in ("", "forged-token", "x" * 64):
        response = client.post(reverse("staff:practice_import_confirm"), {"token": token})
        assert response.status_code == 400
        assert "Er is niets gewijzigd" in response.content.decode()
    # Rows posted beside the token are ignored: only what the server kept is imported.
    token = client.session["practice_import"]["token"]
    client.post(
        reverse("staff:practice_import_confirm"),
        {"token": token, "rows": "99999999;Kwaad;Straat 1;1234 AB;X;Y;y@x.example"},
    )
    assert set(Practice.objects.values_list("agb_code", flat=True)) == {
        practice.agb_code,
        "12345678",
    }


def test_another_session_cannot_confirm_an_upload(client, admin, django_user_model):
    client.force_login(admin)
    _upload(client, "\n".join([HEADER, NEW]))
    token = client.session["practice_import"]["token"]
    from django.test import Client

    other = Client()
    other.force_login(make_user("admin2@processor.example", Role.PROCESSOR_ADMIN))
    assert other.post(reverse("staff:practice_import_confirm"), {"token": token}).status_code == 400
    assert not Practice.objects.filter(agb_code="12345678").exists()


def test_a_preview_without_an_upload_sends_back_to_the_upload(client, admin):
    client.force_login(admin)
    response = client.get(reverse("staff:practice_import_preview"))
    assert response.status_code == 400 and "upload het bestand opnieuw" in response.content.decode()


def test_a_confirm_after_a_change_meanwhile_shows_the_preview_again(client, admin, practice):
    client.force_login(admin)
    line = NEW.replace("12345678", practice.agb_code)
    _upload(client, "\n".join([HEADER, line]))
    client.get(reverse("staff:practice_import_preview"))
    token = client.session["practice_import"]["token"]
    Practice.objects.filter(pk=practice.pk).update(name="Praktijk Nieuw")  # meanwhile
    response = client.post(reverse("staff:practice_import_confirm"), {"token": token})
    assert response.status_code == 409
    assert "sinds u het bestand controleerde" in response.content.decode()
    assert not AuditRecord.objects.filter(event_type__startswith="practice.").exists()
    response = client.post(reverse("staff:practice_import_confirm"), {"token": token})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Het bestand is leeg."),
        (b"agb;naam\n1;2", "ontbrekende kolommen"),
        (HEADER.encode() + b"\n" + "Praktijk Ëik".encode("cp1252"), "UTF-8"),
        (b"x" * (practices.IMPORT_MAX_BYTES + 1), "groter dan"),
        (HEADER.encode(), "geen praktijken"),
    ],
)
def test_an_unreadable_upload_is_a_clear_400_and_changes_nothing(client, admin, data, message):
    client.force_login(admin)
    response = _upload(client, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "practice_import" not in client.session
    assert not Practice.objects.exists()


# --- A practice administrator's own settings ---------------------------------------------------
def _settings_form(practice: Practice, **changes) -> dict:
    return {f: getattr(practice, f) for f in practices.SETTINGS_FIELDS} | changes


def test_a_practice_administrator_edits_their_own_settings(client, practice, practice_admin):
    client.force_login(practice_admin)
    start = client.get(reverse("staff:own_settings_start"))
    url = reverse("staff:own_settings", args=[practice.agb_code])
    assert start.status_code == 302 and start.url == url
    assert "Praktijkinstellingen" in client.get(url).content.decode()
    form = _settings_form(
        practice,
        complaints_officer="Mw. K. Klacht",
        agb_code="99999999",  # not on the form: ignored
        active="",
    )
    response = client.post(url, form)
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.complaints_officer == "Mw. K. Klacht"
    assert practice.agb_code == "01234567" and practice.active
    record = AuditRecord.objects.get(event_type="practice.update")
    assert record.details["fields"] == ["complaints_officer"]
    assert record.user == practice_admin and record.details["via"] == "practice settings"


def test_the_practice_fg_sees_the_settings_change_in_the_audit_log(
    client, practice, practice_admin
):
    client.force_login(practice_admin)
    client.post(
        reverse("staff:own_settings", args=[practice.agb_code]),
        _settings_form(practice, standin_name="Carla"),
    )
    fg = make_user("fg@practice.example", Role.DPO, practice)
    client.force_login(fg)
    page = client.get(reverse("staff:audit")).content.decode()
    assert "Praktijkinstellingen gewijzigd" in page and "beheer@practice.example" in page
    assert f"Praktijk {practice.agb_code}: standin_name" in page


def test_another_practice_settings_are_not_found(client, practice, other_practice, practice_admin):
    client.force_login(practice_admin)
    url = reverse("staff:own_settings", args=[other_practice.agb_code])
    assert client.get(url).status_code == 404
    response = client.post(url, _settings_form(other_practice, city="Overgenomen"))
    assert response.status_code == 404
    assert Practice.objects.get(pk=other_practice.pk).city == "Zwolle"
    assert AuditRecord.objects.filter(
        event_type="practice.settings", outcome=AuditOutcome.DENIED
    ).exists()


def test_other_roles_are_refused_the_settings_page(client, practice, handler, support, admin):
    fg = make_user("fg@practice.example", Role.DPO, practice)
    url = reverse("staff:own_settings", args=[practice.agb_code])
    for who in (handler, fg, support, admin):
        client.force_login(who)
        assert client.get(reverse("staff:own_settings_start")).status_code == 403
        assert client.get(url).status_code == 403
        assert client.post(url, _settings_form(practice, city="X")).status_code == 403
    assert Practice.objects.get(pk=practice.pk).city == "Utrecht"


def test_a_bad_settings_form_is_a_400_and_changes_nothing(client, practice, practice_admin):
    client.force_login(practice_admin)
    url = reverse("staff:own_settings", args=[practice.agb_code])
    response = client.post(url, _settings_form(practice, dpo_email="", retention_years="0"))
    assert response.status_code == 400
    assert Practice.objects.get(pk=practice.pk).dpo_email == practice.dpo_email
    assert not AuditRecord.objects.filter(event_type="practice.update").exists()


def test_the_staff_navigation_links_the_pages_for_their_roles(
    client, practice, admin, practice_admin, handler
):
    client.force_login(admin)
    assert reverse("staff:practices") in client.get(reverse("staff:practices")).content.decode()
    client.force_login(practice_admin)
    page = client.get(reverse("staff:queue")).content.decode()
    assert reverse("staff:own_settings_start") in page and reverse("staff:practices") not in page
    client.force_login(handler)
    page = client.get(reverse("staff:queue")).content.decode()
    assert reverse("staff:own_settings_start") not in page
