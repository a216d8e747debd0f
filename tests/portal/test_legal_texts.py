"""Issue 11, first part: the grounds offered are those that exist in law for the kind of request,
and a refusal letter tells the patient the court route with its six-week term (docs/legal.md;
the letters word for word: tests/workflows/test_letters.py)."""

import pytest

from requests_app.legal import LegalGround
from requests_app.models import Request
from tests.factories import decided
from workflows.casework import actions as casework
from workflows.casework.letters import letters_of
from workflows.casework.patients import account_for

pytestmark = pytest.mark.django_db


def offered(client, item) -> str:
    return client.get(f"/staff/requests/{item.reference}/").content.decode()


def test_only_grounds_that_exist_for_the_kind_are_offered(client, practice, patient, handler):
    client.force_login(handler)
    # Destroying the medical file: only art. 7:455(2) besides identity and art. 12(5); the
    # retention term yields to the request (art. 7:455(1)).
    destruction = decided(practice, patient, handler, kind="destruction", grant=False)
    page = offered(client, destruction)
    assert "van aanmerkelijk belang is voor een ander dan de patiënt (art. 7:455 lid 2 BW)" in page
    assert "wettelijk voorschrift verzet zich tegen vernietiging" in page
    assert "7:454" not in page and "15 lid 4" not in page and "17 lid 3" not in page
    # Erasure of the app's data (GDPR art. 17): its own exceptions, not the medical file's.
    erasure = decided(practice, patient, handler, kind="erasure", grant=False)
    page = offered(client, erasure)
    assert "17 lid 3" in page and "7:455" not in page and "7:454" not in page
    access = decided(practice, patient, handler, kind="access", grant=False)
    page = offered(client, access)
    assert "15 lid 4" in page and "7:455" not in page and "21 lid 1" not in page


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", ["binnen zes weken", "rechtbank", "geen advocaat", "art. 34 en 35 UAVG"]),
        ("en", ["within six weeks", "district court", "do not need a lawyer", "UAVG art. 34"]),
    ],
)
def test_a_refusal_tells_the_patient_the_six_week_court_term(
    client, practice, patient, handler, language, words
):
    item = decided(practice, patient, handler, kind="access", grant=False)
    casework.act(
        item,
        "refuse",
        actor=handler,
        version=Request.objects.get(pk=item.pk).version,
        reason="Inzage zou de privacy van een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )
    Request.objects.filter(pk=item.pk).update(language=language)
    client.force_login(account_for(patient.email))
    letter = next(x for x in letters_of(item) if x.name == "refusal")
    page = client.get(f"/track/{item.reference}/letters/{letter.key}/").content.decode()
    for word in words:
        assert word in page
