"""The owner's declared delete (migration 0021) also needs the owner's sign-in (session_user).

A referential action (ON DELETE CASCADE) or a SECURITY DEFINER function runs as the owner of its
table or function: with only current_user checked, a delete the runtime role sets off that way,
after declaring a segment (any role may set the setting), would have passed. The portal has no
such path today (tests/portal/test_attack_retention.py checks); this keeps it so if one comes.
"""

from django.db import migrations

OWNER_SESSION = """
CREATE OR REPLACE FUNCTION audit_record_is_append_only() RETURNS trigger AS $$
DECLARE
    removing text := current_setting('portal.audit_remove_segment', true);
    owner oid := (SELECT relowner FROM pg_class WHERE oid = TG_RELID);
BEGIN
    IF TG_OP = 'DELETE'
        AND removing ~ '^[0-9]+-[0-9]+$'
        AND OLD.seq BETWEEN split_part(removing, '-', 1)::bigint
                        AND split_part(removing, '-', 2)::bigint
        AND pg_has_role(current_user, owner, 'USAGE')
        AND pg_has_role(session_user, owner, 'USAGE')
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
CURRENT_USER_ONLY = """
CREATE OR REPLACE FUNCTION audit_record_is_append_only() RETURNS trigger AS $$
DECLARE
    removing text := current_setting('portal.audit_remove_segment', true);
BEGIN
    IF TG_OP = 'DELETE'
        AND removing ~ '^[0-9]+-[0-9]+$'
        AND OLD.seq BETWEEN split_part(removing, '-', 1)::bigint
                        AND split_part(removing, '-', 2)::bigint
        AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE')
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit records are append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def owner_session(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(OWNER_SESSION)


def current_user_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CURRENT_USER_ONLY)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0025_work_gates_and_lookup_identifiers")]
    operations = [migrations.RunPython(owner_session, current_user_only)]
