"""Rule catalogue version 2 (Amendments of 2026-12).

- The new relative rule ``estim_implanted_device`` gets its catalogue row, and overrides may
  name it (the check constraint lists the relative codes).
- ``upper_trapezius`` is pregnancy-restricted. A safety amendment only ever sets a flag: the
  row is updated even where a manager edited it, since a flag that is on only makes screening
  stricter.
- The ``bilateral_thorax`` and ``anticoagulant_uncontrolled`` explanations say what v2 means.
"""

from django.conf import settings
from django.db import migrations, models

AMENDED_RULES = ("estim_implanted_device", "bilateral_thorax", "anticoagulant_uncontrolled")


def amend(apps, schema_editor):
    from needling.knowledge.rules import RULES_BY_CODE

    Contraindication = apps.get_model("needling", "Contraindication")
    Muscle = apps.get_model("needling", "Muscle")
    for code in AMENDED_RULES:
        rule = RULES_BY_CODE[code]
        Contraindication.objects.update_or_create(
            code=code,
            defaults={
                "name": rule.name,
                "severity": rule.severity,
                "scope": rule.scope,
                "explanation": rule.explanation,
                "source": rule.source,
            },
        )
    Muscle.objects.filter(code="upper_trapezius").update(pregnancy_restricted=True)


def revert(apps, schema_editor):
    apps.get_model("needling", "Contraindication").objects.filter(
        code="estim_implanted_device"
    ).delete()
    apps.get_model("needling", "Muscle").objects.filter(code="upper_trapezius").update(
        pregnancy_restricted=False
    )


class Migration(migrations.Migration):

    dependencies = [
        ('needling', '0007_report_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='planoverride',
            name='override_relative_rule',
        ),
        migrations.AddConstraint(
            model_name='planoverride',
            constraint=models.CheckConstraint(condition=models.Q(('rule__in', ['anticoagulant', 'bleeding_disorder', 'bleeding_risk_deep_site', 'cancer_history', 'diabetes', 'epilepsy', 'estim_cardiac_device', 'estim_implanted_device', 'immunocompromised', 'metal_allergy', 'minor', 'pregnancy', 'prosthetic_heart_valve', 'prosthetic_joint', 'vascular_disease'])), name='override_relative_rule'),
        ),
        migrations.RunPython(amend, revert),
    ]
