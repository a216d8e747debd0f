"""The patient's page in each state a request passes (received, with the practice, waiting for
the patient, extended, granted with a package, refused, withdrawn): it fits 390 px, and
screenshots of each go to SCREENSHOTS_DIR when set."""

import dataclasses

import pytest

from demo import platform as demo
from requests_app.legal import LegalGround
from requests_app.models import Request, RequestState
from tests.e2e.pages import WIDTHS, patient_page, snap, use_language
from tests.factories import decided, released_package, submit
from workflows.casework import actions as casework

pytestmark = pytest.mark.e2e


def fresh(item):
    return Request.objects.get(pk=item.pk)


def acknowledged(practice, patient, handler):
    item = fresh(submit(practice, patient))
    return casework.act(item, "acknowledge", actor=handler, version=item.version)


def received(practice, patient, handler, support):
    item = submit(practice, patient)
    # The moment between receipt and forwarding, held still for the picture.
    Request.objects.filter(pk=item.pk).update(state=RequestState.RECEIVED)
    return item


def forwarded(practice, patient, handler, support):
    return submit(practice, patient)


def waiting(practice, patient, handler, support):
    item = acknowledged(practice, patient, handler)
    return casework.act(
        item,
        "ask_patient",
        actor=handler,
        version=item.version,
        note="Over welke periode wilt u inzage? Noemt u ook de naam van uw vorige huisarts.",
        stops_clock=True,
        clock_reason="Zonder periode kunnen we niet gericht zoeken.",
    )


def extended(practice, patient, handler, support):
    item = acknowledged(practice, patient, handler)
    return casework.act(
        item,
        "extend",
        actor=handler,
        version=item.version,
        reason="Uw dossier staat deels in het archief van de vorige praktijk.",
    )


def granted(practice, patient, handler, support):
    demo.add_patient(
        "default", practice_agb=practice.agb_code, email=patient.email, mobile=patient.phone
    )
    item = decided(practice, patient, handler, kind="access", grant=False)
    released_package(item, handler, support)
    return item


def refused(practice, patient, handler, support):
    item = decided(practice, patient, handler, kind="access", grant=False)
    return casework.act(
        item,
        "refuse",
        actor=handler,
        version=item.version,
        reason="Inzage zou de privacy van een ander schaden.",
        legal_ground=LegalGround.RIGHTS_OF_OTHERS,
    )


def withdrawn(practice, patient, handler, support):
    from workflows.casework import patients

    item = submit(practice, patient)
    return patients.withdraw(fresh(item), patient=patients.account_for(patient.email))


STATES = [received, forwarded, waiting, extended, granted, refused, withdrawn]


@pytest.mark.parametrize("make", STATES, ids=[make.__name__ for make in STATES])
def test_each_state_of_a_request_reads_well_and_fits_a_phone(
    make,
    live_server,
    browser,
    providers,
    shots,
    transactional_db,
    practice,
    handler,
    support,
    patient,
    request,
):
    if make is granted:  # the package is built from the demo platform's tables
        request.getfixturevalue("platform_db")
        request.getfixturevalue("package_dir")
    patient = dataclasses.replace(patient, email=f"{make.__name__}@example.com")
    item = make(practice, patient, handler, support)
    providers.reset()
    page = patient_page(browser, live_server, providers, patient.email)
    page.get_by_text(item.reference).first.wait_for()
    for language in ("nl", "en"):
        use_language(page, language)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{make.__name__} {language} {width}: {scroll} px wide"
    snap(page, shots, f"patient-{make.__name__}")
