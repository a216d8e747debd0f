import datetime

import pytest

from requests_app.models import ApiClient
from requests_app.roles import Role
from tests.environment import add_sqlite_platform, drop_platform_tables, use_broker
from tests.factories import make_practice, make_user, webhook_client
from tests.fakes.dns import FakeDns
from tests.fakes.providers import FakeProviders
from tests.fakes.webhook_receiver import WebhookReceiver
from workflows.intake.submission import PatientDetails

add_sqlite_platform()


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


@pytest.fixture
def receiver(settings):
    """An API client's webhook receiver on this machine (so local addresses are allowed)."""
    settings.WEBHOOK_ALLOW_LOCAL = True
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def app_client(db, receiver):
    """The patient app's client, with its webhook address at the receiver and a secret."""
    return webhook_client(receiver.url)


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
def dns(monkeypatch):
    """Host names resolve as the test adds them (`dns.add(name, *addresses)`); others as this
    machine resolves them. There is no network in the tests."""
    import socket

    fake = FakeDns()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def patient():
    return PatientDetails(
        name="Jan Jansen",
        birth_date=datetime.date(1980, 5, 17),
        email="jan@example.com",
        phone="+31687654321",
    )


@pytest.fixture
def platform_db(db, settings):
    """The demo platform's tables in the test database, with the platform connector alone."""
    from demo import platform as platform_demo

    platform_demo.create_schema("default")
    settings.DATA_CONNECTORS = ["workflows.assistance.connectors.platform.PlatformConnector"]
    yield "default"
    drop_platform_tables("default")


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


@pytest.fixture
def migration_data(db):
    """What the data migrations seed (the register of sub-processors, the register of processing,
    the Bijlage 3 rates): a test on a live server empties the tables after itself, migration data
    included, so a later one that needs them puts them back."""
    import importlib

    from django.apps import apps

    for module, step in (
        ("0013_seed_subprocessors", "seed"),
        ("0024_subprocessor_register_data", "forward"),
        ("0033_seed_processing_register", "seed"),
        ("0036_bijlage3_rates", "seed"),
    ):
        getattr(importlib.import_module(f"requests_app.migrations.{module}"), step)(apps, None)
