"""Issue 11: the destruction kind and the art. 12(5) fee as patients and staff see them: the
warning a patient must read, the grounds offered, the destruction record at the fulfil step and
the fee form, which answers bad input with a clear 400 and changes nothing (docs/legal.md)."""

import re
from decimal import Decimal

import pytest

from requests_app.models import Request, RequestState
from requests_app.roles import Role
from tests.factories import decided, make_user
from tests.payloads import body, details
from workflows.casework import actions as casework
from workflows.casework import deadlines, letters
from workflows.casework.patients import account_for

S = RequestState
pytestmark = pytest.mark.django_db(transaction=True)

WARNING = {
    "nl": [
        "Vernietiging is definitief",
        "kan niet worden hersteld",
        "binnen drie maanden na uw verzoek (art. 7:455 lid 1 BW)",
        "als de wet zich tegen vernietiging verzet (art. 7:455 lid 2 BW)",
        "Andere zorgverleners die gegevens over u hebben, zoals een ziekenhuis, hebben een eigen "
        "dossier",
    ],
    "en": [
        "Destruction is final",
        "cannot be restored",
        "within three months of your request (Civil Code art. 7:455(1))",
        "whose destruction the law forbids (art. 7:455(2))",
        "Other care providers who hold data about you, such as a hospital, keep files of their own",
    ],
}
FEE_POST = {
    "charge_fee-amount": "15,00",
    "charge_fee-justification": "Vierde identieke verzoek in twee maanden.",
    "charge_fee-cost_basis": "Een half uur werk tegen 30 euro per uur.",
}


def fresh(item) -> Request:
    return Request.objects.get(pk=item.pk)


def page(client, item) -> str:
    return client.get(f"/staff/requests/{item.reference}/").content.decode()


def act(client, item, action, data):
    data = {f"{action}-version": fresh(item).version, **data}
    return client.post(f"/staff/requests/{item.reference}/act/{action}/", data)


# --- The patient ------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_confirm_step_warns_that_destruction_is_final(client, practice, providers, language):
    client.cookies["django_language"] = language
    form = client.get(f"/request/{practice.agb_code}/").content.decode()
    assert 'value="destruction"' in form and WARNING[language][1] in form
    response = client.post(f"/request/{practice.agb_code}/", details(kind="destruction"))
    assert response.status_code == 302
    confirm = client.get("/request/confirm/").content.decode()
    for words in WARNING[language]:
        assert words in confirm
    # Another kind gets no such warning.
    client.post(f"/request/{practice.agb_code}/", details(kind="erasure"))
    assert WARNING[language][0] not in client.get("/request/confirm/").content.decode()


def test_the_app_may_ask_for_destruction_and_gets_the_three_month_term(client, api_key, practice):
    response = client.post(
        "/api/v1/requests",
        body(kind="destruction"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api_key}",
    )
    assert response.status_code == 201
    stored = Request.objects.get(reference=response.json()["reference"])
    assert stored.kind == "destruction"
    assert stored.response_due == deadlines.response_due("destruction", stored.received_at)


# --- The practice: grounds and the destruction record -----------------------------------------
def test_the_decision_forms_offer_only_the_grounds_against_destruction(
    client, practice, patient, providers, handler
):
    item = decided(practice, patient, handler, kind="destruction", grant=False)
    client.force_login(handler)
    html = page(client, item)
    selects = re.findall(r'<select name="[a-z_]+-legal_ground".*?</select>', html, re.S)
    assert len(selects) == 2  # refuse, grant in part
    offered = set(re.findall(r'<option value="([a-z_]+)"', "".join(selects)))
    assert offered == {
        "identity",
        "manifestly_unfounded",
        "wgbo_others_interest",
        "wgbo_statutory_duty",
    }


def test_a_ground_the_law_does_not_give_against_destruction_is_refused_on_the_page(
    client, practice, patient, providers, handler
):
    item = decided(practice, patient, handler, kind="destruction", grant=False)
    client.force_login(handler)
    for ground in ("wgbo_retention", "rights_of_others", "legal_claims"):
        response = act(
            client, item, "refuse", {"refuse-reason": "Nee.", "refuse-legal_ground": ground}
        )
        assert response.status_code == 400
        assert 'id="id_refuse-legal_ground_error"' in response.content.decode()
    assert fresh(item).state == S.IN_PROGRESS


def test_carried_out_only_with_the_record_of_what_was_destroyed_where_and_when(
    client, practice, patient, providers, handler
):
    item = decided(practice, patient, handler, kind="destruction")
    client.force_login(handler)
    response = act(client, item, "fulfil", {})
    assert response.status_code == 400
    assert 'id="id_fulfil-destroyed_where_error"' in response.content.decode()
    assert fresh(item).state == S.GRANTED
    response = act(
        client,
        item,
        "fulfil",
        {
            "fulfil-destroyed_what": "Medisch dossier tot en met 1 maart 2026",
            "fulfil-destroyed_where": "HIS Medicom; labuitslagen in het labportaal",
            "fulfil-destroyed_on": "2026-03-02",
        },
    )
    assert response.status_code == 302 and fresh(item).state == S.FULFILLED
    html = page(client, item)
    assert "Wat is vernietigd" in html and "2 maart 2026" in html
    history = html.split('class="timeline"')[1]
    assert "HIS Medicom; labuitslagen in het labportaal" in history


# --- The fee ------------------------------------------------------------------------------------
@pytest.fixture
def in_progress(practice, patient, providers, handler):
    return decided(practice, patient, handler, kind="access", grant=False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "0"),
        ("amount", "-1"),
        ("amount", "100,01"),
        ("amount", "1e999"),
        ("amount", "vijftien"),
        ("amount", "NaN"),
        ("amount", "1,005"),
        ("amount", ""),
        ("amount", "9" * 5000),
        ("justification", ""),
        ("cost_basis", "   "),
    ],
)
def test_a_wrong_fee_gets_a_clear_400_on_the_page_and_changes_nothing(
    client, in_progress, handler, field, value
):
    client.force_login(handler)
    before = fresh(in_progress)
    response = act(client, in_progress, "charge_fee", {**FEE_POST, f"charge_fee-{field}": value})
    assert response.status_code == 400
    assert f'id="id_charge_fee-{field}_error"' in response.content.decode()
    after = fresh(in_progress)
    assert (after.state, after.version, after.fee_amount) == (S.IN_PROGRESS, before.version, None)


def test_the_fg_may_not_ask_a_fee(client, in_progress, practice):
    client.force_login(make_user("fg@practice.example", Role.DPO, practice))
    assert act(client, in_progress, "charge_fee", FEE_POST).status_code == 403
    assert fresh(in_progress).state == S.IN_PROGRESS


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "nl",
            [
                "€ 15,00",
                "kennelijk ongegrond of buitensporig",
                "art. 12 lid 5 AVG",
                "Vierde identieke verzoek",
                "Een half uur werk",
                "intrekken",
                "Autoriteit Persoonsgegevens",
                "binnen zes weken",
                "art. 34 en 35 UAVG",
            ],
        ),
        (
            "en",
            [
                "€ 15.00",
                "manifestly unfounded or excessive",
                "GDPR art. 12(5)",
                "Vierde identieke verzoek",
                "withdraw",
                "Autoriteit Persoonsgegevens",
                "within six weeks",
                "UAVG art. 34 and 35",
            ],
        ),
    ],
)
def test_the_fee_is_asked_and_the_patient_reads_amount_reasons_and_remedies(
    client, in_progress, handler, patient, language, words
):
    client.force_login(handler)
    assert act(client, in_progress, "charge_fee", FEE_POST).status_code == 302
    asked = fresh(in_progress)
    assert (asked.state, asked.fee_amount) == (S.AWAITING_FEE, Decimal("15.00"))
    staff_page = page(client, asked)
    assert "Vergoeding (art. 12 lid 5 AVG)" in staff_page and "laatste zin" in staff_page

    # The patient reads the fee letter, listed on their page, in the request's language.
    Request.objects.filter(pk=asked.pk).update(language=language)
    (fee,) = [x for x in letters.letters_of(fresh(asked)) if x.name == "fee"]
    client.force_login(account_for(patient.email))
    assert fee.key in client.get("/track/").content.decode()
    letter = client.get(f"/track/{asked.reference}/letters/{fee.key}/").content.decode()
    for word in words:
        assert word in letter


def test_payment_is_recorded_from_the_page(client, in_progress, handler):
    casework.act(
        fresh(in_progress),
        "charge_fee",
        actor=handler,
        version=fresh(in_progress).version,
        amount=Decimal("15"),
        justification="Herhaald verzoek.",
        cost_basis="Een kwartier werk.",
    )
    client.force_login(handler)
    assert act(client, in_progress, "record_fee_paid", {}).status_code == 302
    paid = fresh(in_progress)
    assert paid.state == S.IN_PROGRESS and paid.fee_paid_at is not None
    assert "Vergoeding betaald" in page(client, paid)
