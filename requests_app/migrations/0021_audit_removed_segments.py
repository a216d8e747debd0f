"""Removed segments of the audit log, and a trigger that lets only the tables' owner delete, and
only the one segment it has declared in its own transaction (`prune_audit_log`).

The runtime role holds no DELETE on the table at all (`provision_db_roles`), so it never reaches
the trigger; setting the declaration itself (any role may set a custom setting) gains it nothing.
Updates stay refused for everyone.
"""

import django.utils.timezone
from django.db import migrations, models

ALLOW_DECLARED_SEGMENT = """
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
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_record_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (%% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def allow_declared_segment(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOW_DECLARED_SEGMENT)


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY)


class Migration(migrations.Migration):

    dependencies = [
        ('requests_app', '0020_audit_keyed_chain'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditRemovedSegment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('first_seq', models.PositiveBigIntegerField(unique=True)),
                ('last_seq', models.PositiveBigIntegerField(unique=True)),
                ('count', models.PositiveBigIntegerField()),
                ('prev_hash', models.CharField(max_length=64)),
                ('last_hash', models.CharField(max_length=64)),
                ('first_at', models.DateTimeField()),
                ('last_at', models.DateTimeField()),
                ('retention_years', models.PositiveSmallIntegerField()),
                ('removed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('removed_by', models.CharField(max_length=200)),
                ('mac', models.CharField(max_length=64)),
            ],
            options={
                'ordering': ['first_seq'],
            },
        ),
        migrations.RunPython(allow_declared_segment, append_only),
    ]
