"""Ship the muscle and rule catalogues (needling/knowledge/) and the default settings row.

Idempotent by code: a row that exists (perhaps edited by a manager) is left as it is.
"""

from django.db import migrations


def seed(apps, schema_editor):
    from needling.knowledge.catalogue import MUSCLES
    from needling.knowledge.rules import RULES

    Muscle = apps.get_model("needling", "Muscle")
    Contraindication = apps.get_model("needling", "Contraindication")
    ScreeningSettings = apps.get_model("needling", "ScreeningSettings")
    for m in MUSCLES:
        Muscle.objects.get_or_create(
            code=m.code,
            defaults={
                "name": m.name,
                "region": m.region,
                "lung_risk": m.lung_risk,
                "deep": m.deep,
                "pregnancy_restricted": m.pregnancy_restricted,
                "neurovascular": m.neurovascular,
                "refers_to": list(m.refers_to),
                "typical_conditions": list(m.typical_conditions),
                "caution": m.caution,
            },
        )
    for r in RULES:
        Contraindication.objects.get_or_create(
            code=r.code,
            defaults={
                "name": r.name,
                "severity": r.severity,
                "scope": r.scope,
                "explanation": r.explanation,
                "source": r.source,
            },
        )
    ScreeningSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("needling", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
