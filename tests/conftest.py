import datetime
import os

import pytest
from django.contrib.auth import get_user_model

from portal.celery import app as celery_app
from requests_app.models import ApiClient, Channel, Membership, Practice, Request
from requests_app.roles import Role
from tests.fakes.providers import FakeProviders
from workflows.intake.submission import PatientDetails, Submission, submit_request

IN_CI = os.environ.get("CI", "").lower() == "true"

# A SQLite database beside PostgreSQL, so the platform connector is tested on both engines
# (tests ask for it with django_db(databases=["default", PLATFORM_SQLITE])).
PLATFORM_SQLITE = "platform_sqlite"


def _add_sqlite_platform() -> None:
    from django.conf import settings
    from django.db import connections

    wanted = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"MIGRATE": False},
    }
    settings.DATABASES[PLATFORM_SQLITE] = wanted
    configured = connections.configure_settings(
        {"default": connections.settings["default"], PLATFORM_SQLITE: dict(wanted)}
    )
    connections.settings[PLATFORM_SQLITE] = configured[PLATFORM_SQLITE]


_add_sqlite_platform()


def use_broker(url: str | None) -> None:
    """Send tasks to the broker at `url`, or run them in-process when None.

    Celery keeps its connection pools once made; they are dropped so the new URL is used.
    """
    celery_app.conf.task_always_eager = url is None
    if url is not None:
        celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limits live in the cache; each test starts with none used."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def audit_anchor_store(settings, tmp_path):
    """Each test has its own store of audit checkpoints, never a developer's var/ one."""
    settings.AUDIT_ANCHOR_DIR = tmp_path / "audit-anchors"
    return settings.AUDIT_ANCHOR_DIR


@pytest.fixture(autouse=True)
def tasks_in_process():
    """Unit tests run tasks eagerly; the integration tests switch to a real worker."""
    use_broker(None)
    yield
    use_broker(None)


@pytest.fixture(scope="session")
def fake_server():
    server = FakeProviders().start()
    yield server
    server.stop()


@pytest.fixture
def providers(fake_server, settings):
    """Point the real SendGrid and Twilio SDKs at the local fake server."""
    fake_server.reset()
    settings.SENDGRID_API_KEY = "SG.test-key"
    settings.SENDGRID_API_HOST = fake_server.url
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "test-token"
    settings.TWILIO_FROM_NUMBER = "+3197010000000"
    settings.TWILIO_API_BASE_URL = fake_server.url
    return fake_server


def make_practice(agb: str = "01234567", **overrides) -> Practice:
    fields = {
        "name": f"Huisartsenpraktijk {agb}",
        "agb_code": agb,
        "street": "Lindelaan 1",
        "postcode": "3511AB",
        "city": "Utrecht",
        "dpo_name": "Anna de Vries",
        "dpo_email": f"fg-{agb}@practice.example",
        "dpo_phone": "+31612345678",
        "standin_name": "Bert",
        "standin_email": f"standin-{agb}@practice.example",
    }
    fields.update(overrides)
    return Practice.objects.create(**fields)


TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def make_user(email: str, role: Role, practice: Practice | None = None, *, mfa: bool = True):
    """A staff account; with `mfa` it has an authenticator app set up (TOTP_SECRET)."""
    from allauth.mfa.totp.internal.auth import TOTP

    user = get_user_model().objects.create_user(
        username=email, email=email, password="a-long-test-password"
    )
    Membership.objects.create(user=user, role=role, practice=practice)
    if mfa:
        TOTP.activate(user, TOTP_SECRET)
    return user


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app shows right now."""
    import time

    from allauth.mfa.totp.internal import auth

    # A code read in the last seconds of its 30-second window may expire before it is used.
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)
    counters = list(auth.yield_hotp_counters_from_time())
    return auth.format_hotp_value(auth.hotp_value(secret, counters[len(counters) // 2]))


@pytest.fixture
def practice(db):
    return make_practice()


@pytest.fixture
def other_practice(db):
    return make_practice(
        "07654321", name="Praktijk Elders", city="Zwolle", postcode="8011AA", dpo_phone=""
    )


@pytest.fixture
def handler(practice):
    return make_user("handler@practice.example", Role.HANDLER, practice)


@pytest.fixture
def other_handler(other_practice):
    return make_user("handler@elders.example", Role.HANDLER, other_practice)


@pytest.fixture
def support(db):
    return make_user("support@processor.example", Role.SUPPORT)


@pytest.fixture
def api_key(db):
    _client, key = ApiClient.issue("patient-app")
    return key


@pytest.fixture
def patient():
    return PatientDetails(
        name="Jan Jansen",
        birth_date=datetime.date(1980, 5, 17),
        email="jan@example.com",
        phone="+31687654321",
    )


def submit(
    practice,
    patient,
    *,
    kind="access",
    description="Welke gegevens heeft u?",
    channel=Channel.WEB,
    practice_given="",
    about_processor=False,
    **kwargs,
) -> Request:
    """A request as intake stores it (messages are sent on commit)."""
    return submit_request(
        submission=Submission(
            practice=practice,
            kind=kind,
            patient=patient,
            description=description,
            practice_given=practice_given,
            about_processor=about_processor,
        ),
        channel=channel,
        **kwargs,
    )


def decided(practice, patient, handler, *, kind="erasure", grant=True) -> Request:
    """A request the practice has taken through identity check (and, with `grant`, granted)."""
    from requests_app.lifecycle import perform_transition

    item = Request.objects.get(pk=submit(practice, patient, kind=kind).pk)
    if item.state == "received":  # forwarding runs after commit, which a test may not reach
        item = perform_transition(item, "forward", actor=None)
    item = perform_transition(item, "acknowledge", actor=handler)
    item = perform_transition(item, "verify_identity", actor=handler, how="ID at the desk")
    if grant:
        item = perform_transition(item, "grant", actor=handler)
    return item


@pytest.fixture
def platform_db(db, settings):
    """The demo platform's tables in the test database, with the platform connector alone."""
    from demo import platform as platform_demo

    platform_demo.create_schema("default")
    settings.DATA_CONNECTORS = ["workflows.assistance.connectors.platform.PlatformConnector"]
    yield "default"
    drop_platform_tables("default")


def drop_platform_tables(alias: str) -> None:
    """After a test that committed: inside a test transaction the rollback removes them."""
    from django.db import connections

    from demo import platform as platform_demo

    connection = connections[alias]
    if connection.in_atomic_block:
        return
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in reversed(platform_demo.MODELS):
            if model._meta.db_table in existing:
                editor.delete_model(model)


@pytest.fixture
def package_dir(settings, tmp_path):
    settings.PACKAGE_STORAGE_DIR = tmp_path / "packages"
    return settings.PACKAGE_STORAGE_DIR


@pytest.fixture(scope="session")
def fake_broker():
    from tests.fakes.oidc import FakeBroker

    broker = FakeBroker()
    yield broker
    broker.stop()


@pytest.fixture
def broker(fake_broker, settings):
    """A configured OpenID Connect identity broker (DigiD's route), faked at the edge."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "broker",
                    "name": "DigiD",
                    "client_id": "portal",
                    "secret": "broker-secret",
                    "settings": {"server_url": fake_broker.url},
                }
            ],
        }
    }
    fake_broker.claims = {}
    return fake_broker
