# The course roll-up carries what the outcomes report groups by (the plan's status and
# therapist, its condition's code and text), so the report joins no plan or condition; the
# triggers on plans and conditions keep those columns in step (clinic.reports.rollups).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from clinic.reports import rollups


def _empty(apps, schema_editor):
    # The courses are built again below, with the new columns: none stays meanwhile.
    for sql in rollups.install_sql(schema_editor.connection.vendor, courses=False, weeks=False):
        schema_editor.execute(sql, params=None)
    schema_editor.execute(f"DELETE FROM {rollups.COURSES}", params=None)


def _install(apps, schema_editor):
    # The weekly tables come with 0013 (report_weeks), the visit arrays with 0014.
    vendor = schema_editor.connection.vendor
    for sql in rollups.install_sql(vendor, weeks=False, visits=False):
        schema_editor.execute(sql, params=None)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(rollups.course_insert(None, vendor, visits=False))


def _uninstall(apps, schema_editor):
    # Back to 0010 as it now is: the course table without triggers or rows.
    for sql in rollups.install_sql(schema_editor.connection.vendor, courses=False, weeks=False):
        schema_editor.execute(sql, params=None)
    schema_editor.execute(f"DELETE FROM {rollups.COURSES}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('clinic', '0010_report_courses'),
        # The index of signed notes by plan first: the courses are rebuilt through it.
        ('needling', '0015_session_plan_course_index'),
        ('patients', '0010_consent_withdrawal'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_empty, migrations.RunPython.noop),
        migrations.AddField(
            model_name='courserollup',
            name='plan_status',
            field=models.CharField(default='', max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='courserollup',
            name='plan_practitioner',
            field=models.ForeignKey(db_constraint=False, db_index=False, default=0, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='courserollup',
            name='condition_code',
            field=models.CharField(default='', max_length=8),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='courserollup',
            name='condition_text',
            field=models.CharField(default='', max_length=255),
            preserve_default=False,
        ),
        migrations.RemoveIndex(
            model_name='courserollup',
            name='report_course_days',
        ),
        migrations.AddIndex(
            model_name='courserollup',
            index=models.Index(fields=['first_day', 'last_day'], include=('plan', 'plan_status', 'condition_code', 'condition_text', 'plan_practitioner', 'nprs_first', 'nprs_last', 'location', 'practitioner'), name='report_course_starts'),
        ),
        migrations.AddIndex(
            model_name='courserollup',
            index=models.Index(fields=['last_day', 'first_day'], include=('plan', 'plan_status', 'condition_code', 'condition_text', 'plan_practitioner', 'nprs_first', 'nprs_last', 'location', 'practitioner'), name='report_course_ends'),
        ),
        migrations.RunPython(_install, _uninstall),
    ]
