"""Overrides are bound to the screening they were made on (screening rules v2).

Existing overrides are bound to the questionnaire that was in force for their plan when they
were recorded: the latest one taken on or before the plan's date and entered before the
override. The append-only trigger on PostgreSQL is set aside for this one backfill (inside
the migration's transaction) and is back before the migration commits.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


TRIGGER = "needling_override_append_only"


def bind_existing(apps, schema_editor):
    PlanOverride = apps.get_model("needling", "PlanOverride")
    Questionnaire = apps.get_model("patients", "ScreeningQuestionnaire")
    postgres = schema_editor.connection.vendor == "postgresql"
    rows = list(PlanOverride.objects.select_related("plan").filter(screening__isnull=True))
    if not rows:
        return
    if postgres:
        schema_editor.execute(f"ALTER TABLE needling_planoverride DISABLE TRIGGER {TRIGGER}")
    for override in rows:
        in_force = (
            Questionnaire.objects.filter(
                patient_id=override.plan.patient_id,
                taken_on__lte=override.plan.planned_date,
                created_at__lte=override.recorded_at,
            )
            .order_by("-taken_on", "-created_at")
            .values_list("pk", flat=True)
            .first()
        )
        if in_force is not None:
            PlanOverride.objects.filter(pk=override.pk).update(screening_id=in_force)
    if postgres:
        # Deferred checks of the updates must run before the table can be altered again.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE needling_planoverride ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):

    dependencies = [
        ('needling', '0008_rules_v2'),
        ('patients', '0007_consent_signed_on_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='planoverride',
            name='override_once_per_rule',
        ),
        migrations.AddField(
            model_name='planoverride',
            name='confirms',
            field=models.ForeignKey(blank=True, help_text='The earlier override this one confirms again on a newer screening.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='needling.planoverride'),
        ),
        migrations.AddField(
            model_name='planoverride',
            name='screening',
            field=models.ForeignKey(blank=True, help_text='The screening in force when the override was made: it lifts the finding only while the plan is judged on that screening (empty: none was on file).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='patients.screeningquestionnaire'),
        ),
        migrations.AddConstraint(
            model_name='planoverride',
            constraint=models.UniqueConstraint(condition=models.Q(('screening__isnull', False)), fields=('plan', 'rule', 'screening'), name='override_once_per_rule_and_screening'),
        ),
        migrations.AddConstraint(
            model_name='planoverride',
            constraint=models.UniqueConstraint(condition=models.Q(('screening__isnull', True)), fields=('plan', 'rule'), name='override_once_per_rule_without_screening'),
        ),
        migrations.RunPython(bind_existing, migrations.RunPython.noop),
    ]
