"""What the access answer states (GDPR art. 15): exactly the recipients and categories held,
in the reader's language, and the portal's own records about the patient."""

import json
import re

import jsonschema
import pytest
from django.conf import settings

from demo import platform as demo
from requests_app import audit
from requests_app.models import AssistanceKind, AuditAction, Request
from tests.factories import approve, decided, submit
from tests.workflows.helpers import started, unzip
from workflows.assistance import packages
from workflows.casework.actions import write_to_patient
from workflows.intake.submission import PatientDetails

pytestmark = pytest.mark.django_db


def section(page: str, heading: str) -> str:
    """The page's text from the h2 `heading` up to the next h2."""
    start = page.index(f"<h2>{heading}</h2>")
    end = page.find("<h2>", start + 1)
    return page[start : end if end != -1 else None]


def rows(html: str) -> list[list[str]]:
    """The cells of each body row of the tables in `html`, as text."""
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)
        if "<td" in row
    ]


def build(item, handler, support) -> tuple[dict, str]:
    task = started(item, handler, support, AssistanceKind.SUPPLY)
    archive = unzip(packages.build_package(task, actor=support))
    document = json.loads(archive.read("package.json"))
    schema = json.loads((settings.BASE_DIR / "docs" / "data-package.schema.json").read_text())
    jsonschema.validate(document, schema)
    return document, archive.read("index.html").decode()


@pytest.fixture
def known(platform_db, package_dir, practice, patient):
    """In the app: name, birth date, postcode, e-mail and conversations; no mobile number, no
    device, no video calls, no BSN, no patient number."""
    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        email=patient.email,
        birth_date=patient.birth_date,
        messages=3,
    )
    return platform_db


def test_the_dutch_page_names_exactly_the_recipients_and_categories_held(
    known, practice, patient, handler, support
):
    # Approved but receiving nothing held: Twilio (mobile), AWS (device), KPN/Kandy (video IP);
    # inactive: Messagebird. Receiving what is held but not approved: VANAD Enovation.
    approve(practice, "SendGrid", "Twilio", "Amazon Web Services (AWS)", "KPN/Kandy", "Messagebird")
    item = decided(practice, patient, handler, kind="access", grant=False)
    document, page = build(item, handler, support)

    processing = document["processing"]
    assert [c["category"] for c in processing["categories"]] == [
        "name",
        "birth_date",
        "care_organisation",
        "postcode",
        "email",
        "conversations",
    ]
    (sendgrid,) = processing["recipients"]
    assert sendgrid["name"] == "SendGrid" and sendgrid["categories"] == ["email"]
    assert sendgrid["inside_eea"] is False and sendgrid["transfer_mechanism"] == "dpf_scc"

    kinds = section(page, "Welke soorten gegevens over u worden bewaard")
    for held in ("naam", "geboortedatum", "postcode", "e-mailadres", "gesprekken"):
        assert f"<li>{held}</li>" in kinds
    for absent in ("mobiel nummer", "apparaat-id", "burgerservicenummer", "IP-adres"):
        assert absent not in kinds
    recipients = section(page, "Wie ontvangt ze")
    ((name, service, where, received, safeguard),) = rows(recipients)
    assert (name, service, where, received) == (
        "SendGrid",
        "e-mailmeldingen",
        "Verenigde Staten (buiten de EER)",
        "e-mailadres",
    )
    assert safeguard.startswith(
        "Buiten de Europese Economische Ruimte (EER). Uw gegevens zijn daar beschermd door het "
        "EU-VS Data Privacy Framework (adequaatheidsbesluit, art. 45 AVG)"
    )
    assert "modelcontractbepalingen van de EU (art. 46 lid 2 onder c AVG)" in safeguard
    for not_a_recipient in ("Twilio", "Amazon", "KPN", "Messagebird", "VANAD"):
        assert not_a_recipient not in recipients
    # No English register text on a Dutch page.
    assert "e-mail notifications" not in page and "United States" not in page

    assert "Het tot stand brengen van communicatie via de app tussen u en uw zorgverleners" in page
    assert "maximaal 15 jaar" in section(page, "Hoe lang ze worden bewaard")
    assert "Bijlage 1" in section(page, "Hoe lang ze worden bewaard")
    automated = section(page, "Geautomatiseerde besluiten")
    assert "Er worden geen besluiten over u genomen die alleen op geautomatiseerde verwerking " in (
        automated
    )
    assert "profilering" in automated and "art. 22 AVG" in automated
    contact = section(page, "Wie is verantwoordelijk en bij wie kunt u terecht")
    assert practice.name in contact and "Lindelaan 1" in contact and practice.agb_code in contact
    assert "Functionaris Gegevensbescherming (FG)" in contact
    assert "Anna de Vries" in contact and practice.dpo_email in contact
    assert practice.dpo_phone in contact and practice.standin_email in contact
    # Readable column headings, not the platform's column names.
    conversations = page[page.index('id="platform-conversations"') :]
    assert '<th scope="col">Tekst</th><th scope="col">Verzonden op</th>' in conversations
    assert not re.search(r"<th[^>]*>(sent_at|conversation_id|body|first_name)</th>", page)
    # Cells in words and in Dutch local time; the machine-readable files keep the values.
    cells = rows(conversations[: conversations.index("</table>")])
    assert {row[1] for row in cells} == {"u", "uw praktijk"}
    assert all(re.fullmatch(r"\d{1,2} [a-z]+ \d{4}, \d\d:\d\d", row[3]) for row in cells), cells
    (platform,) = [s for s in document["sources"] if s["key"] == "platform"]
    (talks,) = [c for c in platform["categories"] if c["category"] == "conversations"]
    senders = {record["sender"] for record in talks["records"]}
    assert senders == {"patient", "practice"}


def test_the_english_page_has_the_register_texts_in_english(
    known, practice, patient, handler, support
):
    approve(practice, "SendGrid", "VANAD Enovation")
    item = decided(practice, patient, handler, kind="access", grant=False)
    Request.objects.filter(pk=item.pk).update(language="en")  # as chosen at intake
    item = Request.objects.get(pk=item.pk)
    document, page = build(item, handler, support)

    assert [r["name"] for r in document["processing"]["recipients"]] == [
        "SendGrid",
        "VANAD Enovation",
    ]
    sendgrid, vanad = rows(section(page, "Who receives them"))
    assert vanad == [
        "VANAD Enovation",
        "hosting of the web platform",
        "Netherlands (EU)",
        "name, date of birth, care organisation, postcode, e-mail address, conversations",
        "not needed: inside the EEA",
    ]
    assert sendgrid[:4] == [
        "SendGrid",
        "e-mail notifications",
        "United States (outside the EEA)",
        "e-mail address",
    ]
    assert sendgrid[4].startswith(
        "Outside the European Economic Area (EEA). Your data are protected there by the EU-US "
        "Data Privacy Framework (adequacy decision, GDPR art. 45), and the EU standard "
        "contractual clauses (GDPR art. 46(2)(c))"
    )
    assert "hosting van het webplatform" not in page and "Verenigde Staten" not in page
    assert "at most 15 years" in section(page, "How long they are kept")
    assert "No decisions about you are taken by automated means alone" in page
    assert "Data protection officer (FG)" in page
    assert '<th scope="col">Text</th><th scope="col">Sent on</th>' in page


def test_the_portal_records_are_this_patients_at_this_practice_only(
    known, practice, other_practice, patient, handler, other_handler, support
):
    item = decided(practice, patient, handler, kind="access", grant=False)
    write_to_patient(item, actor=handler, body="Wij hebben uw verzoek in behandeling.")
    audit.record("request.view", AuditAction.READ, user=handler, request=item)
    others = [
        # Another patient of the same practice.
        submit(practice, PatientDetails("Piet Pietersen", patient.birth_date, "piet@example.com")),
        # Look-alike addresses: another mailbox, however close it looks.
        submit(practice, PatientDetails("Jan Jansen", patient.birth_date, "jan@exämple.com")),
        submit(practice, PatientDetails("Jan Jansen", patient.birth_date, "jan@example.co")),
        submit(practice, PatientDetails("Jan Jansen", patient.birth_date, "xjan@example.com")),
        # The same patient at another practice.
        submit(other_practice, patient),
    ]
    # The same mailbox written otherwise is the same patient.
    again = submit(practice, PatientDetails("Jan Jansen", patient.birth_date, "JAN@Example.com"))
    document, page = build(item, handler, support)

    records = document["portal_records"]
    assert [r["reference"] for r in records["requests"]] == [item.reference, again.reference]
    everything = json.dumps(document) + page
    for other in others:
        assert other.reference not in everything
    assert records["requests"][0]["kind_label"] == "Inzage"
    (message,) = records["messages"]
    assert message["body"] == "Wij hebben uw verzoek in behandeling."
    assert message["sender_label"] == practice.name
    assert {n["purpose"] for n in records["notifications"]} >= {"patient_receipt", "patient_update"}
    assert all(n["to"] == patient.email for n in records["notifications"])
    # Who viewed: role and practice, never the staff member's account.
    viewed = [a for a in records["access_log"] if a["event_type"] == "request.view"]
    assert viewed[0]["by"] == f"Behandelaar van verzoeken bij {practice.name}"
    assert viewed[0]["action_label"] == "bekeken"
    assert "handler@practice.example" not in everything
    assert "support@processor.example" not in everything
    assert any(a["by"] == "u" for a in records["access_log"])  # the patient's own submission

    portal = page[page.index('id="portal-records"') :]
    assert "Uw verzoeken via het privacyportaal" in portal
    assert item.reference in portal and "Wij hebben uw verzoek in behandeling." in portal
    assert f"Behandelaar van verzoeken bij {practice.name}" in portal
    assert "NEN 7513" in portal
