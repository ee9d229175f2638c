"""On PostgreSQL, refuse TRUNCATE of the audit tables, and any change to the head but one append.

- TRUNCATE of ``audit_auditentry`` or ``audit_audithead`` is refused, except to a superuser:
  a superuser can switch any trigger off anyway, and test runners flush their databases as
  one. Run Hubgate as an ordinary role (see the deployment guide).
- The head row may be inserted only for the first entry, and updated only to move forward
  by one entry: the new head is an existing entry that follows the old head's hash. Deleting
  it is refused. ``governance.audit.services.record`` does exactly this, nothing else does.

Other databases rely on the ORM guards, the keyed chain and the anchors.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: TRUNCATE of % refused', TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditentry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

CREATE TRIGGER audit_audithead_no_truncate
    BEFORE TRUNCATE ON audit_audithead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();

CREATE OR REPLACE FUNCTION audit_audithead_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.count = 1 AND EXISTS (
        SELECT 1 FROM audit_auditentry e
        WHERE e.id = NEW.last_entry_id AND e.hash = NEW.last_hash
          AND e.prev_hash = repeat('0', 64)
    ) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.count = OLD.count + 1
       AND NEW.last_entry_id > OLD.last_entry_id AND EXISTS (
        SELECT 1 FROM audit_auditentry e
        WHERE e.id = NEW.last_entry_id AND e.hash = NEW.last_hash
          AND e.prev_hash = OLD.last_hash
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit head only moves forward by one appended entry: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_audithead_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON audit_audithead
    FOR EACH ROW EXECUTE FUNCTION audit_audithead_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_audithead_append_only ON audit_audithead;
DROP FUNCTION IF EXISTS audit_audithead_append_only();
DROP TRIGGER IF EXISTS audit_audithead_no_truncate ON audit_audithead;
DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_refuse_truncate();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # "%" is plpgsql here


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_keyed_chain")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
