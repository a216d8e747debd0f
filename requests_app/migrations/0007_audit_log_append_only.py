from django.db import migrations

# PostgreSQL refuses any UPDATE or DELETE of an audit record, whoever asks (the application's
# own database user included). TRUNCATE is a separate, table-level privilege that production
# should revoke from the application user; row triggers do not fire for it.
CREATE = """
CREATE OR REPLACE FUNCTION audit_record_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_record_append_only
    BEFORE UPDATE OR DELETE ON requests_app_auditrecord
    FOR EACH ROW EXECUTE FUNCTION audit_record_is_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS audit_record_append_only ON requests_app_auditrecord;
DROP FUNCTION IF EXISTS audit_record_is_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


def seed_head(apps, schema_editor):
    apps.get_model("requests_app", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0006_audit_log")]
    operations = [
        migrations.RunPython(create, drop),
        migrations.RunPython(seed_head, migrations.RunPython.noop),
    ]
