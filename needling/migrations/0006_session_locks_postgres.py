"""PostgreSQL triggers that make a signed session note tamper-proof below the ORM.

- needling_sessionrecord: a signed record is never updated or deleted (draft -> signed is
  the last change).
- needling_sessionsite, needling_adverseevent: rows of a signed session are never inserted,
  updated or deleted.
- needling_sessionaddendum: addenda are append-only.

SQLite has no equivalent guard (see 0004): the services and the models refuse the same changes.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION needling_session_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'a signed DN session note is locked: add an addendum (session %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER needling_session_locked
    BEFORE UPDATE OR DELETE ON needling_sessionrecord
    FOR EACH ROW EXECUTE FUNCTION needling_session_locked();

CREATE OR REPLACE FUNCTION needling_session_child_locked() RETURNS trigger AS $$
DECLARE
    session_status text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO session_status FROM needling_sessionrecord WHERE id = OLD.session_id;
        IF session_status = 'signed' THEN
            RAISE EXCEPTION 'the session note is signed: add an addendum'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO session_status FROM needling_sessionrecord WHERE id = NEW.session_id;
        IF session_status = 'signed' THEN
            RAISE EXCEPTION 'the session note is signed: add an addendum'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER needling_session_site_locked
    BEFORE INSERT OR UPDATE OR DELETE ON needling_sessionsite
    FOR EACH ROW EXECUTE FUNCTION needling_session_child_locked();

CREATE TRIGGER needling_adverse_event_locked
    BEFORE INSERT OR UPDATE OR DELETE ON needling_adverseevent
    FOR EACH ROW EXECUTE FUNCTION needling_session_child_locked();

CREATE OR REPLACE FUNCTION needling_addendum_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'session addenda are never edited or deleted (addendum %)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER needling_addendum_append_only
    BEFORE UPDATE OR DELETE ON needling_sessionaddendum
    FOR EACH ROW EXECUTE FUNCTION needling_addendum_append_only();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS needling_addendum_append_only ON needling_sessionaddendum;
DROP FUNCTION IF EXISTS needling_addendum_append_only();
DROP TRIGGER IF EXISTS needling_adverse_event_locked ON needling_adverseevent;
DROP TRIGGER IF EXISTS needling_session_site_locked ON needling_sessionsite;
DROP FUNCTION IF EXISTS needling_session_child_locked();
DROP TRIGGER IF EXISTS needling_session_locked ON needling_sessionrecord;
DROP FUNCTION IF EXISTS needling_session_locked();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("needling", "0005_session_records")]

    operations = [migrations.RunPython(_on_postgres(FORWARD), _on_postgres(BACKWARD))]
