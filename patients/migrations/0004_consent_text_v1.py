"""Publish version 1 of the dry needling informed consent wording.

The text is written out here (not imported) so the migration stays the same whatever later
versions say. Managers publish later versions from the app; this row is never changed.
"""

from django.db import migrations

TITLE = "Informed consent to dry needling"

BODY = """\
What dry needling is. Dry needling is a treatment given by a physical therapist trained and certified in the technique. A thin, sterile, single-use filament needle is inserted through the skin into a muscle, usually at a trigger point (a tight, tender spot in the muscle). Nothing is injected: the needle is "dry". The needle may be left in place for a short time, moved gently up and down, or connected to a mild electrical current. Dry needling is one part of your physical therapy plan of care.

Dry needling is not acupuncture. It is based on modern anatomy and neuromuscular science and on a physical therapy examination, not on traditional Chinese medicine, meridians or acupuncture points. Your therapist is not practising acupuncture.

Expected benefits. Dry needling aims to reduce muscle pain and tightness, release trigger points, and improve movement and function, so that you can take part in exercise and everyday activities. Results differ from person to person and no particular result can be promised. Most people need more than one session.

Common side effects. These are usually mild and pass on their own: soreness in the treated area for 1 to 3 days (it usually peaks at 24 to 48 hours), bruising, minor bleeding where the needle went in, tiredness or drowsiness, a brief increase in your usual symptoms, headache or nausea, and feeling light-headed or fainting during or soon after treatment.

Rare but serious risks. Pneumothorax (a collapsed lung) can happen when the chest wall, upper back, neck or shoulder is treated, in fewer than 1 in 100,000 treatments; its symptoms (shortness of breath, chest pain, a dry cough) can start up to 2 days later. If you notice them, seek emergency care at once and tell them you had dry needling. Other rare risks are injury to a nerve or blood vessel, infection, a needle breaking or being left in the body, and an allergic reaction.

Your part in safety. Your therapist asks you screening questions before treatment. Tell your therapist if you are or might be pregnant, take blood thinners or have a bleeding disorder, have a pacemaker or other implanted device, have epilepsy, diabetes, a weakened immune system, lymphedema, cancer, an infection or a recent operation, are afraid of needles, or if anything in your health changes before a later session.

Alternatives. You do not have to have dry needling. Other treatments include manual therapy and massage, stretching and exercise, heat or cold, electrical stimulation through the skin without needles, and education about your condition. Your therapist can discuss these with you, and choosing them does not affect the rest of your care.

Your right to refuse or stop. You may refuse dry needling, and you may ask your therapist to stop at any time, during a session or before any later session, without giving a reason. Stopping does not affect your other care at this clinic.

Your questions. You have had the chance to ask questions about dry needling, its benefits, its risks and its alternatives, and they were answered to your satisfaction.

Consent. By signing, you (or your parent or legal guardian, if you are under 18) confirm that you have read or had explained to you this information, that you understand it, and that you agree to dry needling as part of your physical therapy. This consent is valid for one year from the date you sign it, unless you withdraw it sooner. You will be offered a copy.
"""


def publish_version_1(apps, schema_editor):
    ConsentText = apps.get_model("patients", "ConsentText")
    ConsentText.objects.get_or_create(version=1, defaults={"title": TITLE, "body": BODY})


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_search_indexes")]

    operations = [migrations.RunPython(publish_version_1, migrations.RunPython.noop)]
