"""The runtime database role: what the web process and the workers may do in PostgreSQL.

Migrations run as the owner of the tables; the portal itself runs as a role that owns nothing
and may read and write the tables, except the audit log, which it may only read and append to.
Not being the owner, it cannot disable or drop the append-only trigger, and it holds no UPDATE,
DELETE or TRUNCATE on that table, so records written are out of the runtime's reach. Removing
old records after the retention period is the owner's (`prune_audit_log`); the runtime role may
only read the record of what was removed.
"""

import dataclasses

from django.db import DatabaseError, connections, transaction
from psycopg import errors, sql

from requests_app.models import AuditChainHead, AuditRecord, AuditRemovedSegment

AUDIT_TABLE = AuditRecord._meta.db_table
# The head is moved by every append (so UPDATE), never removed.
HEAD_TABLE = AuditChainHead._meta.db_table
TRIGGER = "audit_record_append_only"  # migration 0007
# Only the owner writes these: the list of applied migrations (`migrate`), and the keyed records
# of audit segments removed after the retention period (`prune_audit_log`).
REMOVED_SEGMENTS_TABLE = AuditRemovedSegment._meta.db_table
READ_ONLY_TABLES = frozenset({"django_migrations", REMOVED_SEGMENTS_TABLE})
WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
# Anything beyond these on the audit table would let the runtime change what it wrote.
AUDIT_ALLOWED = {"SELECT", "INSERT"}
HEAD_ALLOWED = {"SELECT", "INSERT", "UPDATE"}
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
ROLE_ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


class ProvisioningError(Exception):
    pass


@dataclasses.dataclass
class Review:
    """What the role may do that it must not (`problems`), and what is merely advised."""

    problems: list[str] = dataclasses.field(default_factory=list)
    advice: list[str] = dataclasses.field(default_factory=list)

    @property
    def sound(self) -> bool:
        return not self.problems


def provision(app_role: str, password: str | None = None, *, using: str = "default") -> list[str]:
    """Create the role if missing and (re)grant exactly what it needs, in one transaction.
    Safe to run again, and to be run after every `migrate`. Returns what was done."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise ProvisioningError("Database roles need PostgreSQL.")
    _check_name(app_role)
    done = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        me, database, schema = cursor.fetchone()
        owner = _table_owner(cursor, schema, AUDIT_TABLE)
        if owner is None:
            raise ProvisioningError(f"No table {schema}.{AUDIT_TABLE}: run `migrate` first.")
        if app_role in (me, owner):
            raise ProvisioningError(
                f"{app_role} runs the migrations (owner of the tables); the runtime role must be "
                "another one."
            )
        done += _ensure_role(connection, cursor, app_role, password)
        _refuse_owner_or_member(cursor, app_role, owner)

        def run(statement: str, **names) -> None:
            identifiers = {key: sql.Identifier(value) for key, value in names.items()}
            cursor.execute(
                sql.SQL(statement)
                .format(role=sql.Identifier(app_role), **identifiers)
                .as_string(connection.connection)
            )

        run("GRANT CONNECT ON DATABASE {db} TO {role}", db=database)
        run("GRANT USAGE ON SCHEMA {schema} TO {role}", schema=schema)
        run("REVOKE CREATE ON SCHEMA {schema} FROM {role}", schema=schema)
        # Start from nothing so that privileges granted by hand earlier do not survive.
        run("REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}", schema=schema)
        run(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            schema=schema,
        )
        run("REVOKE ALL ON {schema}.{table} FROM {role}, PUBLIC", schema=schema, table=AUDIT_TABLE)
        run("GRANT SELECT, INSERT ON {schema}.{table} TO {role}", schema=schema, table=AUDIT_TABLE)
        run("REVOKE ALL ON {schema}.{table} FROM {role}, PUBLIC", schema=schema, table=HEAD_TABLE)
        run(
            "GRANT SELECT, INSERT, UPDATE ON {schema}.{table} TO {role}",
            schema=schema,
            table=HEAD_TABLE,
        )
        for table in READ_ONLY_TABLES:
            if _table_owner(cursor, schema, table) is not None:
                run(
                    "REVOKE INSERT, UPDATE, DELETE ON {schema}.{table} FROM {role}",
                    schema=schema,
                    table=table,
                )
        run("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}", schema=schema)
        run("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}", schema=schema)
        # Tables a later migration creates get the same; re-running this fixes up the rest.
        run(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
            " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            owner=owner,
            schema=schema,
        )
        run(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
            " GRANT USAGE, SELECT ON SEQUENCES TO {role}",
            owner=owner,
            schema=schema,
        )
        done.append(
            f"granted {app_role} read and write on the tables of {database}.{schema}, "
            f"only SELECT and INSERT on {AUDIT_TABLE}"
        )
        review = _review(cursor, app_role, schema, owner)
        if not review.sound:  # rolls the whole transaction back
            raise ProvisioningError("; ".join(review.problems))
    return done + review.advice


def review(app_role: str, *, using: str = "default") -> Review:
    """Check, without changing anything, that the role holds what it needs and no more."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise ProvisioningError("Database roles need PostgreSQL.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        owner = _table_owner(cursor, schema, AUDIT_TABLE)
        if owner is None:
            raise ProvisioningError(f"No table {schema}.{AUDIT_TABLE}: run `migrate` first.")
        return _review(cursor, app_role, schema, owner)


def _check_name(app_role: str) -> None:
    if not app_role or len(app_role) > 63 or app_role.lower().startswith("pg_"):
        raise ProvisioningError(f"Not a usable role name: {app_role!r}.")
    if app_role.lower() in {"public", "postgres", "current_user", "session_user"}:
        raise ProvisioningError(f"{app_role} cannot be the runtime role.")


def _table_owner(cursor, schema: str, table: str) -> str | None:
    cursor.execute(
        "SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = %s",
        [schema, table],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _attributes(cursor, app_role: str) -> dict | None:
    cursor.execute(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
        " FROM pg_roles WHERE rolname = %s",
        [app_role],
    )
    row = cursor.fetchone()
    return dict(zip(("rolcanlogin", *ROLE_ATTRIBUTES), row, strict=True)) if row else None


def _ensure_role(connection, cursor, app_role: str, password: str | None) -> list[str]:
    role = sql.Identifier(app_role)
    limits = sql.SQL("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    # The server gets a SCRAM verifier, never the password itself (nor its logs).
    secret = (
        sql.SQL(" PASSWORD {}").format(
            sql.Literal(
                connection.connection.pgconn.encrypt_password(
                    password.encode(), app_role.encode()
                ).decode()
            )
        )
        if password
        else sql.SQL("")
    )
    attributes = _attributes(cursor, app_role)
    done = []
    try:
        if attributes is None:
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute(
                        sql.SQL("CREATE ROLE {} ").format(role).as_string(connection.connection)
                        + (limits + secret).as_string(connection.connection)
                    )
                done.append(f"created login role {app_role}")
            except DatabaseError as exc:
                if not isinstance(exc.__cause__, errors.DuplicateObject):
                    raise
                attributes = _attributes(cursor, app_role)  # a concurrent run created it
        if attributes is not None:
            elevated = [a[3:].upper() for a in ROLE_ATTRIBUTES if attributes[a]]
            if elevated:  # someone's administrative role, never demoted by this command
                raise ProvisioningError(
                    f"{app_role} has {', '.join(elevated)}; the runtime role must be an ordinary "
                    "role. Choose another name."
                )
            if not attributes["rolcanlogin"] or password:
                cursor.execute(
                    sql.SQL("ALTER ROLE {} LOGIN").format(role).as_string(connection.connection)
                    + secret.as_string(connection.connection)
                )
                done.append(f"set {app_role}'s LOGIN" + (" and password" if password else ""))
    except DatabaseError as exc:
        if not isinstance(exc.__cause__, errors.InsufficientPrivilege):
            raise
        raise ProvisioningError(
            f"The role running this may not create or alter {app_role}"
            f" ({exc.__cause__.diag.message_primary}). Have a database administrator run once:"
            f" CREATE ROLE {app_role} LOGIN PASSWORD '…'; then run this command again."
        ) from None
    return done


def _refuse_owner_or_member(cursor, app_role: str, owner: str) -> None:
    cursor.execute(
        "SELECT count(*) FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid"
        " WHERE d.refclassid = 'pg_authid'::regclass AND d.deptype = 'o' AND r.rolname = %s",
        [app_role],
    )
    if cursor.fetchone()[0]:
        raise ProvisioningError(
            f"{app_role} owns database objects; the runtime role must own nothing (an owner may "
            "disable the audit trigger). Choose another name, or REASSIGN OWNED BY it first."
        )
    cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app_role, owner])
    if cursor.fetchone()[0]:
        raise ProvisioningError(
            f"{app_role} is a member of {owner}, the owner of the tables, and so acts as it. "
            f"REVOKE {owner} FROM {app_role} first."
        )


def _review(cursor, app_role: str, schema: str, owner: str) -> Review:
    found = Review()
    attributes = _attributes(cursor, app_role)
    if attributes is None:
        found.problems.append(f"there is no role {app_role}")
        return found
    if not attributes["rolcanlogin"]:
        found.problems.append(f"{app_role} cannot log in")
    found.problems += [f"{app_role} has {a[3:].upper()}" for a in ROLE_ATTRIBUTES if attributes[a]]
    cursor.execute(
        "SELECT pg_has_role(%s, %s, 'MEMBER'), has_schema_privilege(%s, %s, 'CREATE')",
        [app_role, owner, app_role, schema],
    )
    member, may_create = cursor.fetchone()
    if member:
        found.problems.append(f"{app_role} is a member of {owner}, the tables' owner")
    if may_create:
        found.advice.append(
            f"{app_role} may create objects in schema {schema} (granted to PUBLIC on "
            f"PostgreSQL before 15): REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC"
        )
    cursor.execute(
        "SELECT tgenabled FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
        [TRIGGER, f"{schema}.{AUDIT_TABLE}"],
    )
    row = cursor.fetchone()
    if row is None or row[0] != "O":  # "O": fires in normal operation
        found.problems.append(f"the append-only trigger on {AUDIT_TABLE} is missing or disabled")
    cursor.execute(
        "SELECT c.relname, pg_get_userbyid(c.relowner),"
        " array(SELECT p FROM unnest(%s::text[]) p WHERE has_table_privilege(%s, c.oid, p))"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname",
        [list(TABLE_PRIVILEGES), app_role, schema],
    )
    for table, table_owner, held in cursor.fetchall():
        held = set(held)
        if table_owner == app_role:
            found.problems.append(f"{app_role} owns {table}")
        if table == AUDIT_TABLE:
            allowed, needed = AUDIT_ALLOWED, AUDIT_ALLOWED
        elif table == HEAD_TABLE:
            allowed, needed = HEAD_ALLOWED, HEAD_ALLOWED
        elif table in READ_ONLY_TABLES:
            allowed, needed = {"SELECT"}, {"SELECT"}
        else:
            allowed, needed = set(WRITE), set(WRITE)
        if held - allowed:
            found.problems.append(f"{app_role} may {', '.join(sorted(held - allowed))} {table}")
        if needed - held:
            found.problems.append(f"{app_role} may not {', '.join(sorted(needed - held))} {table}")
    return found
