"""Settings come from the environment, with safe defaults (checked in a fresh interpreter)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'debug': s.DEBUG, 'sendgrid': bool(s.SENDGRID_API_KEY)}))"
)
CONFIG_VARS = {
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests only
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "SENDGRID_API_KEY",
    "TWILIO_ACCOUNT_SID",
    "DEBUG",
    "SECRET_KEY",
    "AUDIT_CHAIN_KEY",
}


def run_with(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    clean["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_configuration_it_runs_on_sqlite_with_tasks_in_process():
    result = run_with({"SECRET_KEY": "k"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.sqlite3",
        "eager": True,
        "debug": False,
        "sendgrid": False,
    }


def test_environment_selects_postgresql_broker_and_sendgrid():
    result = run_with(
        {
            "SECRET_KEY": "k",
            "DATABASE_URL": "postgres://u@db:5432/portal",
            "CELERY_BROKER_URL": "redis://r:6379/0",
            "SENDGRID_API_KEY": "SG.x",
        }
    )
    assert json.loads(result.stdout) == {
        "engine": "django.db.backends.postgresql",
        "eager": False,
        "debug": False,
        "sendgrid": True,
    }


def test_production_start_without_secret_key_refuses_with_a_clear_message():
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    result = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_worker_refuses_to_start_without_secret_key():
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from portal.celery import refuse_to_start_without_a_secret_key

    with override_settings(SECRET_KEY_MISSING=True), pytest.raises(ImproperlyConfigured):
        refuse_to_start_without_a_secret_key()


def test_migrations_can_be_checked_without_a_secret_key():
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_debug_may_run_without_secret_key():
    result = run_with({"DEBUG": "1"})
    assert result.returncode == 0 and json.loads(result.stdout)["debug"] is True


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "HTTPS": "1",
    "SECRET_KEY": "k" * 20 + "-long-and-random-production-secret-0123456789",
    "AUDIT_CHAIN_KEY": "a" * 20 + "-long-and-random-audit-chain-key-0123456789",
    "ALLOWED_HOSTS": "privacy.example.nl",
    "PORTAL_BASE_URL": "https://privacy.example.nl",
}


def deploy_check(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    # The register of sub-processors is data: the check reads it from a migrated database (no
    # practice yet, so no approval is missing).
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}"}
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    result = deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deployment_check_says_when_the_register_cannot_be_read(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}"}
    result = deploy_check(env)
    assert result.returncode != 0
    assert "portal.W013" in result.stderr + result.stdout


def test_deployment_check_asks_for_an_audit_chain_key_of_its_own():
    without = {k: v for k, v in PRODUCTION.items() if k != "AUDIT_CHAIN_KEY"}
    result = deploy_check(without)
    assert result.returncode != 0
    assert "portal.W001" in result.stderr + result.stdout
