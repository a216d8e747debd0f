"""Fixtures of the workflows tests: a patient on the demo platform and tasks for them."""

import pytest

from demo import platform as demo
from requests_app.models import AssistanceKind
from tests.factories import decided
from tests.workflows.helpers import started


@pytest.fixture
def in_platform(platform_db, practice, patient):
    """The patient's data in the platform, and someone else's at the same practice."""
    demo.add_patient(
        platform_db,
        practice_agb=practice.agb_code,
        email=patient.email,
        mobile=patient.phone,
        patient_number="P-42",
        device_id="dev-jan",
        messages=40,
        video_calls=1,
        birth_date=patient.birth_date,
    )
    demo.add_patient(
        platform_db, practice_agb=practice.agb_code, email="piet@example.com", messages=5
    )
    return platform_db


@pytest.fixture
def supply_task(in_platform, package_dir, practice, patient, handler, support):
    item = decided(practice, patient, handler, kind="access", grant=False)
    return started(item, handler, support, AssistanceKind.SUPPLY)


@pytest.fixture
def erase_task(in_platform, practice, patient, handler, support):
    item = decided(practice, patient, handler, kind="erasure")
    return started(
        item,
        handler,
        support,
        AssistanceKind.ERASE,
        keep_categories=["conversations"],
        keep_reason="Onderdeel van het medisch dossier",
    )


@pytest.fixture
def with_twilio(settings, providers):
    settings.DATA_CONNECTORS = [
        "workflows.assistance.connectors.platform.PlatformConnector",
        "workflows.assistance.connectors.twilio_sms.TwilioSmsConnector",
    ]
    return providers


@pytest.fixture
def list_source(settings):
    from tests.fakes.connectors import ListSource

    settings.DATA_CONNECTORS = [
        "workflows.assistance.connectors.platform.PlatformConnector",
        "tests.fakes.connectors.ListSource",
    ]
    yield ListSource
    ListSource.rows, ListSource.during_export = [], None
