"""PostgreSQL triggers that make the plan record tamper-proof below the ORM.

- needling_planoverride: an override is never edited or deleted.
- needling_treatmentplan: once approved, a plan's facts, snapshot and approval stamp never
  change; the only change allowed is approved -> superseded. Approved plans are never deleted.
- needling_plansite: the sites of a plan that is no longer a draft never change.

SQLite has no equivalent guard here: its test-database flush deletes rows one by one, which a
DELETE trigger would refuse. The services and the models refuse the same changes on both.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION needling_override_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'DN plan overrides are never edited or deleted (override %)', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER needling_override_append_only
    BEFORE UPDATE OR DELETE ON needling_planoverride
    FOR EACH ROW EXECUTE FUNCTION needling_override_append_only();

CREATE OR REPLACE FUNCTION needling_plan_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'draft' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'an approved DN plan is never deleted (plan %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT (OLD.status = 'approved' AND NEW.status IN ('approved', 'superseded'))
       OR NEW.snapshot IS DISTINCT FROM OLD.snapshot
       OR NEW.cpt_code IS DISTINCT FROM OLD.cpt_code
       OR NEW.approved_at IS DISTINCT FROM OLD.approved_at
       OR NEW.approved_by_id IS DISTINCT FROM OLD.approved_by_id
       OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
       OR NEW.condition_id IS DISTINCT FROM OLD.condition_id
       OR NEW.practitioner_id IS DISTINCT FROM OLD.practitioner_id
       OR NEW.location_id IS DISTINCT FROM OLD.location_id
       OR NEW.planned_date IS DISTINCT FROM OLD.planned_date
       OR NEW.sessions_planned IS DISTINCT FROM OLD.sessions_planned
       OR NEW.frequency IS DISTINCT FROM OLD.frequency
       OR NEW.complementary IS DISTINCT FROM OLD.complementary
       OR NEW.goals IS DISTINCT FROM OLD.goals
       OR NEW.version IS DISTINCT FROM OLD.version
       OR NEW.previous_id IS DISTINCT FROM OLD.previous_id THEN
        RAISE EXCEPTION 'an approved DN plan is locked: make a new version (plan %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER needling_plan_locked
    BEFORE UPDATE OR DELETE ON needling_treatmentplan
    FOR EACH ROW EXECUTE FUNCTION needling_plan_locked();

CREATE OR REPLACE FUNCTION needling_plan_site_locked() RETURNS trigger AS $$
DECLARE
    plan_status text;
BEGIN
    SELECT status INTO plan_status FROM needling_treatmentplan
        WHERE id = (CASE WHEN TG_OP = 'DELETE' THEN OLD.plan_id ELSE NEW.plan_id END);
    IF plan_status IS DISTINCT FROM 'draft'
       OR (TG_OP = 'UPDATE' AND NEW.plan_id IS DISTINCT FROM OLD.plan_id) THEN
        RAISE EXCEPTION 'the sites of an approved DN plan are locked'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER needling_plan_site_locked
    BEFORE INSERT OR UPDATE OR DELETE ON needling_plansite
    FOR EACH ROW EXECUTE FUNCTION needling_plan_site_locked();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS needling_plan_site_locked ON needling_plansite;
DROP FUNCTION IF EXISTS needling_plan_site_locked();
DROP TRIGGER IF EXISTS needling_plan_locked ON needling_treatmentplan;
DROP FUNCTION IF EXISTS needling_plan_locked();
DROP TRIGGER IF EXISTS needling_override_append_only ON needling_planoverride;
DROP FUNCTION IF EXISTS needling_override_append_only();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("needling", "0003_treatment_plans")]

    operations = [migrations.RunPython(_on_postgres(FORWARD), _on_postgres(BACKWARD))]
