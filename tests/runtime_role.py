"""The runtime database role in tests: one of this test database's own (roles are shared by the
whole server), and a sign-in with its own credentials, the way an attacker holding them would
connect."""

import contextlib
import secrets
from collections.abc import Iterator

import psycopg
from django.core.management import call_command
from django.db import connection
from psycopg import sql


def drop_role(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            role = sql.Identifier(name).as_string(connection.connection)
            cursor.execute(f"DROP OWNED BY {role}")  # its grants in this database
            cursor.execute(f"DROP ROLE {role}")


@contextlib.contextmanager
def runtime_role(monkeypatch) -> Iterator[tuple[str, str]]:
    """Provisioned as `provision_db_roles` does it; dropped afterwards."""
    name = f"app_{connection.settings_dict['NAME']}"[:63]
    password = secrets.token_urlsafe(16)
    monkeypatch.setenv("TEST_APP_ROLE_PASSWORD", password)
    call_command("provision_db_roles", app_role=name, password_env="TEST_APP_ROLE_PASSWORD")
    try:
        yield name, password
    finally:
        drop_role(name)


@contextlib.contextmanager
def signed_in_as(name: str, password: str) -> Iterator[psycopg.Connection]:
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        dbname=params["NAME"],
        user=name,
        password=password,
        autocommit=True,
    ) as conn:
        yield conn
