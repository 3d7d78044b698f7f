"""The muscle and trigger-point catalogue, as plain immutable data.

Codes are stable identifiers used by the screening contract; names and labels are for people.
Flags: ``L`` lung-risk, ``D`` deep (pressure cannot stop bleeding), ``P`` pregnancy-restricted,
``N`` neurovascular, spinal-canal or organ caution (text in ``caution``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

Choices = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Muscle:
    """One needling target: where it is, what to watch for, where it refers pain."""

    code: str
    name: str
    region: str
    lung_risk: bool = False
    deep: bool = False
    pregnancy_restricted: bool = False
    neurovascular: bool = False
    refers_to: tuple[str, ...] = ()
    typical_conditions: tuple[str, ...] = ()
    caution: str = ""


REGIONS: Choices = (
    ("head", "Head"),
    ("jaw", "Jaw"),
    ("neck", "Neck"),
    ("shoulder", "Shoulder"),
    ("chest", "Chest"),
    ("upper_back", "Upper back"),
    ("low_back", "Low back"),
    ("abdomen", "Abdomen"),
    ("buttock", "Buttock"),
    ("hip", "Hip"),
    ("upper_arm", "Upper arm"),
    ("forearm", "Forearm"),
    ("hand", "Hand"),
    ("thigh", "Thigh"),
    ("leg", "Leg"),
    ("foot", "Foot"),
)
REGION_CODES: frozenset[str] = frozenset(code for code, _ in REGIONS)

UPPER_LIMB: frozenset[str] = frozenset({"shoulder", "upper_arm", "forearm", "hand"})
LOWER_LIMB: frozenset[str] = frozenset({"hip", "thigh", "leg", "foot"})
LIMBS: Choices = (("upper", "Upper limb"), ("lower", "Lower limb"))
LIMB_REGIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {"upper": UPPER_LIMB, "lower": LOWER_LIMB}
)

# Electrical stimulation with a pacemaker or ICD is absolute in these regions.
THORAX_ADJACENT: frozenset[str] = frozenset({"neck", "shoulder", "chest", "upper_back"})
# Restricted as whole regions during pregnancy (other muscles carry the P flag).
PREGNANCY_RESTRICTED_REGIONS: frozenset[str] = frozenset({"abdomen", "low_back"})

SIDES: Choices = (
    ("left", "Left"),
    ("right", "Right"),
    ("midline", "Midline"),
    ("bilateral", "Bilateral"),
)
SIDE_CODES: frozenset[str] = frozenset(code for code, _ in SIDES)
# A planned site is one muscle on one side; "bilateral" only describes recorded findings.
SITE_SIDES: Choices = SIDES[:3]
SITE_SIDE_CODES: frozenset[str] = frozenset(code for code, _ in SITE_SIDES)

DEVICE_KINDS: Choices = (
    ("pacemaker", "Pacemaker"),
    ("icd", "Implantable cardioverter-defibrillator"),
    ("neurostimulator", "Neurostimulator"),
    ("pump", "Implanted pump"),
    ("other", "Other implanted device"),
)
DEVICE_KIND_CODES: frozenset[str] = frozenset(code for code, _ in DEVICE_KINDS)
CARDIAC_DEVICE_KINDS: frozenset[str] = frozenset({"pacemaker", "icd"})
# Devices that electrical stimulation can disturb or damage, in any region (rule v2).
STIMULATION_SENSITIVE_DEVICE_KINDS: frozenset[str] = frozenset({"neurostimulator", "pump"})

EPILEPSY: Choices = (
    ("none", "No epilepsy"),
    ("controlled", "Controlled epilepsy"),
    ("uncontrolled", "Epilepsy with seizures not controlled"),
)
EPILEPSY_CODES: frozenset[str] = frozenset(code for code, _ in EPILEPSY)

PAIN_AREAS: Choices = (
    ("temple", "Temple"),
    ("eyebrow", "Eyebrow"),
    ("behind_eye", "Behind the eye"),
    ("vertex", "Top of the head"),
    ("occiput", "Back of the head"),
    ("ear", "Ear"),
    ("cheek", "Cheek"),
    ("jaw", "Jaw"),
    ("teeth", "Teeth"),
    ("upper_teeth", "Upper teeth"),
    ("throat", "Throat"),
    ("posterior_neck", "Back of the neck"),
    ("shoulder_top", "Top of the shoulder"),
    ("anterior_shoulder", "Front of the shoulder"),
    ("posterior_shoulder", "Back of the shoulder"),
    ("lateral_arm", "Outer arm"),
    ("medial_arm", "Inner arm"),
    ("anterior_elbow", "Front of the elbow"),
    ("lateral_elbow", "Outer elbow"),
    ("medial_elbow", "Inner elbow"),
    ("forearm", "Forearm"),
    ("wrist", "Wrist"),
    ("hand", "Hand"),
    ("thumb", "Thumb"),
    ("chest", "Chest"),
    ("lateral_chest", "Side of the chest"),
    ("medial_scapula", "Between the shoulder blades"),
    ("mid_back", "Mid back"),
    ("low_back", "Low back"),
    ("abdomen", "Abdomen"),
    ("si_joint", "Sacroiliac joint"),
    ("buttock", "Buttock"),
    ("coccyx", "Tailbone"),
    ("groin", "Groin"),
    ("lateral_hip", "Outer hip"),
    ("anterior_thigh", "Front of the thigh"),
    ("lateral_thigh", "Outer thigh"),
    ("medial_thigh", "Inner thigh"),
    ("posterior_thigh", "Back of the thigh"),
    ("knee", "Knee"),
    ("posterior_knee", "Back of the knee"),
    ("calf", "Calf"),
    ("achilles", "Achilles tendon"),
    ("heel", "Heel"),
    ("sole", "Sole of the foot"),
    ("big_toe", "Big toe"),
    ("ankle_front", "Front of the ankle"),
    ("ankle_lateral", "Outer ankle"),
)
PAIN_AREA_CODES: frozenset[str] = frozenset(code for code, _ in PAIN_AREAS)

_FLAG_LETTERS = frozenset("LDPN")


def _m(
    code: str,
    name: str,
    region: str,
    flags: str,
    *,
    refers_to: tuple[str, ...],
    conditions: tuple[str, ...],
    caution: str = "",
) -> Muscle:
    """Build one catalogue row; ``flags`` is a string of the letters L, D, P and N."""
    if not set(flags) <= _FLAG_LETTERS:
        raise ValueError(f"{code}: unknown flag in {flags!r}")
    return Muscle(
        code=code,
        name=name,
        region=region,
        lung_risk="L" in flags,
        deep="D" in flags,
        pregnancy_restricted="P" in flags,
        neurovascular="N" in flags,
        refers_to=refers_to,
        typical_conditions=conditions,
        caution=caution,
    )


# Travell & Simons referral patterns (via MedLink), fpnotebook, Gatterman ch. 6, NAMTPT,
# South African DN safety guideline (thorax) and cadaver depth studies.
MUSCLES: tuple[Muscle, ...] = (
    _m(
        "temporalis",
        "Temporalis",
        "head",
        "",
        refers_to=("temple", "upper_teeth", "eyebrow"),
        conditions=("tension headache", "TMJ disorder"),
    ),
    _m(
        "masseter",
        "Masseter",
        "jaw",
        "",
        refers_to=("jaw", "teeth", "ear", "eyebrow"),
        conditions=("TMJ disorder", "bruxism"),
    ),
    _m(
        "medial_pterygoid",
        "Medial pterygoid",
        "jaw",
        "D",
        refers_to=("throat", "ear", "jaw"),
        conditions=("TMJ disorder",),
    ),
    _m(
        "lateral_pterygoid",
        "Lateral pterygoid",
        "jaw",
        "D",
        refers_to=("jaw", "teeth"),
        conditions=("TMJ disorder",),
    ),
    _m(
        "upper_trapezius",
        "Upper trapezius",
        "neck",
        "LP",
        refers_to=("posterior_neck", "temple", "ear", "jaw"),
        conditions=("tension headache", "neck pain", "whiplash"),
        caution=(
            "lung apex lies close above the clavicle; pincer grip, needle directed away from the "
            "lung"
        ),
    ),
    _m(
        "levator_scapulae",
        "Levator scapulae",
        "neck",
        "L",
        refers_to=("posterior_neck", "shoulder_top", "medial_scapula"),
        conditions=("neck pain", "whiplash"),
        caution="pincer grip bracketing the superior angle of the scapula, oblique insertion",
    ),
    _m(
        "splenius_capitis",
        "Splenius capitis",
        "neck",
        "",
        refers_to=("vertex",),
        conditions=("headache",),
    ),
    _m(
        "splenius_cervicis",
        "Splenius cervicis",
        "neck",
        "",
        refers_to=("behind_eye", "posterior_neck"),
        conditions=("headache",),
    ),
    _m(
        "suboccipitals",
        "Suboccipital muscles",
        "neck",
        "N",
        refers_to=("occiput", "behind_eye"),
        conditions=("tension headache", "cervicogenic headache"),
        caution=(
            "close to the vertebral artery and spinal canal; needle with the neck in slight "
            "extension"
        ),
    ),
    _m(
        "cervical_multifidus",
        "Cervical multifidus",
        "neck",
        "N",
        refers_to=("occiput", "posterior_neck"),
        conditions=("headache", "neck pain"),
        caution="spinal canal: keep the needle off the interlaminar space",
    ),
    _m(
        "sternocleidomastoid",
        "Sternocleidomastoid",
        "neck",
        "N",
        refers_to=("vertex", "occiput", "cheek", "eyebrow", "ear", "throat"),
        conditions=("tension headache", "whiplash", "facial pain"),
        caution="carotid artery and jugular vein: pincer grip, palpate the pulse",
    ),
    _m(
        "scalenes",
        "Scalenes",
        "neck",
        "LN",
        refers_to=("chest", "medial_scapula", "lateral_arm", "thumb"),
        conditions=("thoracic outlet syndrome", "carpal tunnel mimic", "whiplash"),
        caution="brachial plexus between anterior and middle scalene; lung apex",
    ),
    _m(
        "supraspinatus",
        "Supraspinatus",
        "shoulder",
        "",
        refers_to=("lateral_arm", "lateral_elbow"),
        conditions=("rotator cuff pain",),
        caution="direct the needle into the supraspinous fossa",
    ),
    _m(
        "infraspinatus",
        "Infraspinatus",
        "shoulder",
        "N",
        refers_to=("anterior_shoulder", "lateral_arm", "hand", "medial_scapula"),
        conditions=("shoulder pain", "rotator cuff pain"),
        caution="congenital foramina in the scapula: needle the fossa superficially or obliquely",
    ),
    _m(
        "teres_minor",
        "Teres minor",
        "shoulder",
        "",
        refers_to=("posterior_shoulder",),
        conditions=("shoulder pain",),
    ),
    _m(
        "subscapularis",
        "Subscapularis",
        "shoulder",
        "LD",
        refers_to=("posterior_shoulder", "wrist"),
        conditions=("frozen shoulder",),
        caution=(
            "axillary approach; keep the needle toward the scapula, never toward the chest wall"
        ),
    ),
    _m(
        "deltoid",
        "Deltoid",
        "shoulder",
        "",
        refers_to=("anterior_shoulder", "posterior_shoulder", "lateral_arm"),
        conditions=("shoulder pain",),
    ),
    _m(
        "pectoralis_major",
        "Pectoralis major",
        "chest",
        "L",
        refers_to=("chest", "anterior_shoulder", "medial_arm"),
        conditions=("shoulder pain", "chest wall pain"),
        caution="intercostal blocking or pincer grip",
    ),
    _m(
        "pectoralis_minor",
        "Pectoralis minor",
        "chest",
        "L",
        refers_to=("anterior_shoulder", "chest", "medial_arm"),
        conditions=("thoracic outlet syndrome",),
        caution="needle tangentially over the ribs",
    ),
    _m(
        "serratus_anterior",
        "Serratus anterior",
        "chest",
        "L",
        refers_to=("lateral_chest", "medial_scapula"),
        conditions=("chest wall pain",),
        caution="intercostal blocking; needle tangentially",
    ),
    _m(
        "intercostals",
        "Intercostal muscles",
        "chest",
        "L",
        refers_to=("chest", "lateral_chest"),
        conditions=("chest wall pain",),
        caution="intercostal blocking; shallow depth",
    ),
    _m(
        "middle_trapezius",
        "Middle trapezius",
        "upper_back",
        "L",
        refers_to=("medial_scapula", "shoulder_top"),
        conditions=("upper back pain",),
        caution="needle onto the scapula or rib with blocking",
    ),
    _m(
        "lower_trapezius",
        "Lower trapezius",
        "upper_back",
        "L",
        refers_to=("posterior_neck", "medial_scapula"),
        conditions=("neck pain", "upper back pain"),
        caution="needle onto the scapula or rib with blocking",
    ),
    _m(
        "rhomboids",
        "Rhomboids",
        "upper_back",
        "L",
        refers_to=("medial_scapula",),
        conditions=("upper back pain",),
        caution="depth 19 mm or less; rib bracketing can fail (reported pneumothorax 2025)",
    ),
    _m(
        "latissimus_dorsi",
        "Latissimus dorsi",
        "upper_back",
        "L",
        refers_to=("medial_scapula", "medial_arm"),
        conditions=("mid back pain",),
        caution="pincer grip at the posterior axillary fold",
    ),
    _m(
        "thoracic_paraspinals",
        "Thoracic paraspinals",
        "upper_back",
        "LN",
        refers_to=("mid_back",),
        conditions=("mid back pain",),
        caution="pleura runs along the transverse processes from C7 to T12",
    ),
    _m(
        "biceps_brachii",
        "Biceps brachii",
        "upper_arm",
        "",
        refers_to=("anterior_shoulder",),
        conditions=("biceps tendinopathy",),
    ),
    _m(
        "triceps_brachii",
        "Triceps brachii",
        "upper_arm",
        "",
        refers_to=("lateral_elbow", "posterior_shoulder"),
        conditions=("tennis elbow",),
        caution="radial nerve in the spiral groove",
    ),
    _m(
        "brachialis",
        "Brachialis",
        "upper_arm",
        "",
        refers_to=("thumb", "anterior_elbow"),
        conditions=("elbow pain",),
    ),
    _m(
        "supinator",
        "Supinator",
        "forearm",
        "N",
        refers_to=("lateral_elbow", "hand"),
        conditions=("tennis elbow",),
        caution="deep branch of the radial nerve",
    ),
    _m(
        "extensor_carpi_radialis",
        "Extensor carpi radialis longus and brevis",
        "forearm",
        "",
        refers_to=("lateral_elbow", "forearm", "wrist"),
        conditions=("tennis elbow",),
    ),
    _m(
        "extensor_digitorum",
        "Extensor digitorum",
        "forearm",
        "",
        refers_to=("forearm", "hand"),
        conditions=("tennis elbow",),
    ),
    _m(
        "brachioradialis",
        "Brachioradialis",
        "forearm",
        "",
        refers_to=("lateral_elbow", "thumb"),
        conditions=("tennis elbow",),
    ),
    _m(
        "wrist_flexors",
        "Wrist and finger flexors",
        "forearm",
        "N",
        refers_to=("medial_elbow", "wrist", "hand"),
        conditions=("golfer's elbow", "carpal tunnel mimic"),
        caution="median and ulnar nerves",
    ),
    _m(
        "pronator_teres",
        "Pronator teres",
        "forearm",
        "N",
        refers_to=("forearm", "wrist", "hand"),
        conditions=("golfer's elbow", "carpal tunnel mimic"),
        caution="median nerve",
    ),
    _m(
        "first_dorsal_interosseous",
        "First dorsal interosseous",
        "hand",
        "P",
        refers_to=("hand",),
        conditions=("hand pain",),
    ),
    _m(
        "adductor_pollicis",
        "Adductor pollicis",
        "hand",
        "P",
        refers_to=("thumb",),
        conditions=("thumb pain",),
    ),
    _m(
        "quadratus_lumborum",
        "Quadratus lumborum",
        "low_back",
        "DN",
        refers_to=("si_joint", "buttock", "groin", "lateral_hip"),
        conditions=("low back pain",),
        caution="kidney: at L1 stay within 2.5 cm of the spinous process line",
    ),
    _m(
        "iliocostalis_lumborum",
        "Iliocostalis lumborum",
        "low_back",
        "N",
        refers_to=("low_back", "buttock", "abdomen"),
        conditions=("low back pain",),
        caution="kidney at L1-L3 with deep needling",
    ),
    _m(
        "lumbar_multifidus",
        "Lumbar multifidus",
        "low_back",
        "N",
        refers_to=("si_joint", "buttock"),
        conditions=("low back pain",),
        caution="spinal canal at T12/L1 with medial angulation",
    ),
    _m(
        "rectus_abdominis",
        "Rectus abdominis",
        "abdomen",
        "",
        refers_to=("mid_back", "low_back", "abdomen"),
        conditions=("low back pain", "abdominal pain"),
        caution="peritoneum: pincer grip",
    ),
    _m(
        "abdominal_obliques",
        "Abdominal obliques",
        "abdomen",
        "",
        refers_to=("abdomen", "groin"),
        conditions=("abdominal pain",),
        caution="peritoneum: pincer grip",
    ),
    _m(
        "iliopsoas",
        "Iliopsoas",
        "abdomen",
        "DN",
        refers_to=("low_back", "si_joint", "groin", "anterior_thigh"),
        conditions=("low back pain", "hip pain"),
        caution="femoral nerve and vessels; peritoneum",
    ),
    _m(
        "gluteus_maximus",
        "Gluteus maximus",
        "buttock",
        "",
        refers_to=("si_joint", "buttock", "coccyx"),
        conditions=("buttock pain", "coccyx pain"),
    ),
    _m(
        "gluteus_medius",
        "Gluteus medius",
        "buttock",
        "",
        refers_to=("low_back", "si_joint", "buttock"),
        conditions=("low back pain", "hip pain"),
    ),
    _m(
        "gluteus_minimus",
        "Gluteus minimus",
        "buttock",
        "",
        refers_to=("buttock", "lateral_thigh", "posterior_thigh", "calf"),
        conditions=("sciatica mimic", "hip pain"),
    ),
    _m(
        "piriformis",
        "Piriformis",
        "buttock",
        "DN",
        refers_to=("si_joint", "buttock", "posterior_thigh"),
        conditions=("piriformis syndrome", "sciatica"),
        caution="sciatic nerve",
    ),
    _m(
        "tensor_fasciae_latae",
        "Tensor fasciae latae",
        "hip",
        "",
        refers_to=("lateral_hip", "lateral_thigh"),
        conditions=("iliotibial band syndrome", "hip pain"),
    ),
    _m(
        "vastus_lateralis",
        "Vastus lateralis",
        "thigh",
        "",
        refers_to=("lateral_thigh", "knee", "posterior_knee"),
        conditions=("iliotibial band syndrome", "lateral knee pain", "patellofemoral pain"),
    ),
    _m(
        "vastus_medialis",
        "Vastus medialis",
        "thigh",
        "",
        refers_to=("knee",),
        conditions=("knee pain",),
    ),
    _m(
        "rectus_femoris",
        "Rectus femoris",
        "thigh",
        "",
        refers_to=("knee", "anterior_thigh"),
        conditions=("knee pain",),
    ),
    _m(
        "hamstrings",
        "Hamstrings",
        "thigh",
        "N",
        refers_to=("posterior_knee", "posterior_thigh"),
        conditions=("posterior knee pain", "hamstring strain"),
        caution="sciatic nerve deep to biceps femoris",
    ),
    _m(
        "adductors",
        "Hip adductors",
        "thigh",
        "N",
        refers_to=("groin", "medial_thigh", "knee"),
        conditions=("groin pain",),
        caution="femoral artery and vein in the femoral triangle",
    ),
    _m(
        "gastrocnemius",
        "Gastrocnemius",
        "leg",
        "",
        refers_to=("calf", "sole", "posterior_knee"),
        conditions=("calf cramps", "Achilles tendinopathy"),
    ),
    _m(
        "soleus",
        "Soleus",
        "leg",
        "",
        refers_to=("heel", "achilles", "si_joint"),
        conditions=("heel pain", "Achilles tendinopathy", "plantar fasciitis"),
    ),
    _m(
        "tibialis_posterior",
        "Tibialis posterior",
        "leg",
        "DPN",
        refers_to=("achilles", "sole"),
        conditions=("Achilles tendinopathy", "foot pain"),
        caution="posterior tibial artery and tibial nerve",
    ),
    _m(
        "tibialis_anterior",
        "Tibialis anterior",
        "leg",
        "",
        refers_to=("ankle_front", "big_toe"),
        conditions=("shin pain",),
    ),
    _m(
        "fibularis_longus",
        "Fibularis (peroneus) longus",
        "leg",
        "PN",
        refers_to=("ankle_lateral",),
        conditions=("ankle pain",),
        caution="common fibular nerve at the fibular head",
    ),
    _m(
        "flexor_hallucis_longus",
        "Flexor hallucis longus",
        "leg",
        "D",
        refers_to=("big_toe", "sole"),
        conditions=("forefoot pain",),
    ),
    _m(
        "quadratus_plantae",
        "Quadratus plantae",
        "foot",
        "",
        refers_to=("heel",),
        conditions=("plantar fasciitis",),
    ),
    _m(
        "abductor_hallucis",
        "Abductor hallucis",
        "foot",
        "",
        refers_to=("heel", "sole"),
        conditions=("heel pain",),
    ),
)

MUSCLES_BY_CODE: Mapping[str, Muscle] = MappingProxyType({m.code: m for m in MUSCLES})
# What the screening engine uses unless the caller passes its own (for example DB-edited) muscles.
DEFAULT_MUSCLES = MUSCLES_BY_CODE
