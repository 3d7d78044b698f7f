"""The one DN screening rule engine: ``evaluate(case) -> Result``, a pure function.

Every rule is a small function registered with its code and severity beside it. A rule returns
None when it does not fire, or ``(sites, message)``: the planned sites it concerns (in plan
order, deduplicated; empty for patient-level rules) and a message for the therapist.

Boundary decisions (the contract leaves these to the engine):

- Consent is valid from the day it is signed through 365 days later; 366 days fires.
- A screening is fresh from the session date back to 30 days before it; 31 fires, as does a
  screening dated after the session.
- A certification is valid through its last day (``dn_certified_until == session_date`` passes).
- Gestational age = 280 - (due date - session date) days, floored to whole weeks; under 14
  weeks (13w6d and below, including a due date more than 40 weeks away) is the first
  trimester. A due date 42 days in the past still counts as pregnant; 43 days does not.
- A dose change 0 to 7 days before the session is uncontrolled; 8 days is not; a dose change
  dated after the session date does not fire. A VKA INR 28 days old is current, 29 is stale;
  the target range is inclusive (an inverted range holds no INR, so it fires). An INR dated
  after the session date is no current INR (catalogue v2): it does not describe the patient on
  the session day, so it fires, as a consent or screening dated after the session does.
- Minor: younger than 18 on the session date, by calendar birthday. Someone born on 29
  February turns 18 on 1 March (18 years after a leap year is never a leap year), so a
  person born 2008-02-29 is a minor on 2026-02-28 and an adult on 2026-03-01.
- A surgery 0 to ``post_surgical_window_days`` (84) days before the session fires
  ``post_surgical_site``; 85 does not. A surgery dated after the session date is a planned
  operation, not post-surgical status, and does not fire. A joint replacement older than the
  window fires ``prosthetic_joint``.
- ``lung_disease`` lists the lung-risk sites it is printed for; other patient-level findings
  list no sites. ``bilateral_thorax`` lists every lung-risk site of the plan.
- ``bilateral_thorax`` (catalogue v2): a lung-risk site on ``midline`` counts as both sides, so
  one midline lung-risk site fires it on its own. Every catalogue muscle is paired: a midline
  site on one cannot be kept to one side, and the rule fails closed.
- ``estim_implanted_device`` (catalogue v2) fires for every e-stim site, any region, when a
  neurostimulator or an implanted pump is recorded; the cardiac-device rules fire beside it
  when a pacemaker or ICD is recorded too.
- Fail closed on missing answers: an unanswered ``willing_to_proceed`` or ``able_to_consent``
  is false (the contract's default), so ``needle_phobia`` / ``unable_to_consent`` fire. Without
  a screening, only the rules that need no answers run (procedural gates, ``minor``,
  ``bilateral_thorax``, ``lung_field``, ``deep_structure``); ``screening_stale`` blocks anyway.
- An override applies to a relative finding that fired, for the plan as a whole, when its
  reason has at least 20 characters after trimming; anything else is reported once per rule
  code in ``ignored_overrides``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from needling.knowledge.catalogue import (
    CARDIAC_DEVICE_KINDS,
    DEFAULT_MUSCLES,
    LIMB_REGIONS,
    PREGNANCY_RESTRICTED_REGIONS,
    STIMULATION_SENSITIVE_DEVICE_KINDS,
    THORAX_ADJACENT,
    Muscle,
)
from needling.knowledge.rules import (
    ABSOLUTE,
    PRECAUTION,
    RELATIVE,
    RELATIVE_RULE_CODES,
    RULES,
    RULES_BY_CODE,
    SEVERITY_ORDER,
    Severity,
)
from needling.screening.case import (
    DEFAULT_POLICY,
    Anticoagulant,
    Case,
    Device,
    Override,
    Policy,
    RegionFlag,
    Screening,
    Site,
    Surgery,
)

Decision = Literal["blocked", "override_required", "clear"]
SiteRef = tuple[str, str]  # (muscle code, side)
Hit = tuple[tuple[SiteRef, ...], str]

CONSENT_VALID_DAYS = 365
SCREENING_VALID_DAYS = 30
PREGNANCY_DAYS = 280
FIRST_TRIMESTER_WEEKS = 14
PREGNANCY_COUNTS_DAYS_PAST_DUE = 42
DOSE_CHANGE_DAYS = 7
INR_VALID_DAYS = 28
ADULT_AGE = 18
OVERRIDE_REASON_MIN = 20
CPT_FEW_MUSCLES = "20560"  # 1-2 muscles
CPT_MANY_MUSCLES = "20561"  # 3 or more
_NO_SITES: tuple[SiteRef, ...] = ()
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITY_ORDER)}
_SIDES_MATCHING_ANY = frozenset({"midline", "bilateral"})
_BOTH_SIDES = frozenset({"left", "right"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that fired. ``overridden`` is None for absolute findings and precautions."""

    rule: str
    severity: Severity
    sites: tuple[SiteRef, ...]
    overridden: bool | None
    message: str

    def to_dict(self) -> dict[str, object]:
        """The contract's JSON shape; ``overridden`` only on relative findings."""
        out: dict[str, object] = {
            "rule": self.rule,
            "severity": self.severity,
            "sites": [{"muscle": muscle, "side": side} for muscle, side in self.sites],
        }
        if self.overridden is not None:
            out["overridden"] = self.overridden
        out["message"] = self.message
        return out


@dataclass(frozen=True, slots=True)
class IgnoredOverride:
    """An override that did not apply, and why."""

    rule: str
    why: str


@dataclass(frozen=True, slots=True)
class Result:
    """The decision for a plan, its findings (contract order) and the CPT code.

    ``cpt_code`` is None only for a case without sites, which the contract never produces.
    """

    decision: Decision
    findings: tuple[Finding, ...]
    ignored_overrides: tuple[IgnoredOverride, ...]
    cpt_code: str | None

    def to_dict(self) -> dict[str, object]:
        """Exactly the contract's output JSON."""
        return {
            "decision": self.decision,
            "findings": [finding.to_dict() for finding in self.findings],
            "ignored_overrides": [{"rule": i.rule, "why": i.why} for i in self.ignored_overrides],
            "cpt_code": self.cpt_code,
        }


@dataclass(slots=True)
class _Planned:
    """A planned site joined with its muscle facts."""

    ref: SiteRef
    side: str
    region: str
    muscle: Muscle
    estim: bool


@dataclass(slots=True)
class _Context:
    """What the rules read: the case plus facts derived once per evaluation."""

    case: Case
    session: date
    policy: Policy
    screening: Screening | None
    sites: list[_Planned]
    lung: list[_Planned]  # sites on lung-risk muscles
    neuro: list[_Planned]  # sites on muscles with a neurovascular/organ caution
    deep: list[_Planned]  # sites on deep muscles
    gestational_days: int | None  # None when not pregnant (or the pregnancy no longer counts)
    anticoagulant_problems: tuple[str, ...] | None  # None when on no anticoagulant


RuleCheck = Callable[[_Context], Hit | None]


@dataclass(frozen=True, slots=True)
class _Registered:
    code: str
    severity: Severity
    check: RuleCheck
    needs_screening: bool


_REGISTRY: list[_Registered] = []


def _rule(
    code: str, severity: Severity, *, needs_screening: bool = True
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule check under its code and severity."""

    def register(check: RuleCheck) -> RuleCheck:
        _REGISTRY.append(_Registered(code, severity, check, needs_screening))
        return check

    return register


# ---------------------------------------------------------------- helpers


def _patient(message: str) -> Hit:
    return _NO_SITES, message


def _refs(planned: Iterable[_Planned]) -> tuple[SiteRef, ...]:
    """The (muscle, side) of each site, in plan order, without repeats."""
    return tuple(dict.fromkeys([p.ref for p in planned]))


def _site_hit(planned: list[_Planned], text: str) -> Hit | None:
    """A site-level hit naming the concerned sites; None when there are none."""
    if not planned:
        return None
    names = {p.ref: p.muscle.name for p in planned}
    label = ", ".join([f"{name} ({ref[1]})" for ref, name in names.items()])
    return tuple(names), f"{text} Sites: {label}."


def _side_matches(flag_side: str, site_side: str) -> bool:
    """Sides agree, either is midline, or the flag is bilateral."""
    return flag_side == site_side or flag_side in _SIDES_MATCHING_ANY or site_side == "midline"


def _flagged(ctx: _Context, flags: Iterable[RegionFlag | Device | Surgery]) -> list[_Planned]:
    """Planned sites whose region and side match any of ``flags``."""
    return [
        p
        for p in ctx.sites
        if any(f.region == p.region and _side_matches(f.side, p.side) for f in flags)
    ]


def _age_on(born: date, on: date) -> int:
    """Whole years by calendar birthday (29 February counts as 1 March in common years)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _describe_weeks(days: int) -> str:
    if days < 0:
        return "before conception by the due date (due date more than 40 weeks away)"
    return f"{days // 7} weeks {days % 7} days"


# ---------------------------------------------------------------- procedural gates


@_rule("consent_missing", ABSOLUTE, needs_screening=False)
def _consent_missing(ctx: _Context) -> Hit | None:
    signed = ctx.case.consent_signed_on
    if signed is None:
        return _patient("No DN informed consent on file.")
    days = (ctx.session - signed).days
    if days < 0:
        return _patient(f"DN consent is dated {signed.isoformat()}, after the session date.")
    if days > CONSENT_VALID_DAYS:
        return _patient(
            f"DN consent was signed {days} days before the session; it is valid for "
            f"{CONSENT_VALID_DAYS} days. Renew it."
        )
    return None


@_rule("screening_stale", ABSOLUTE, needs_screening=False)
def _screening_stale(ctx: _Context) -> Hit | None:
    screened = ctx.case.screened_on
    if ctx.screening is None or screened is None:
        return _patient("No screening questionnaire on file.")
    days = (ctx.session - screened).days
    if days < 0:
        return _patient(f"The screening is dated {screened.isoformat()}, after the session date.")
    if days > SCREENING_VALID_DAYS:
        return _patient(
            f"The screening is {days} days old; it must be at most {SCREENING_VALID_DAYS} days "
            "old on the session date. Screen again."
        )
    return None


@_rule("practitioner_not_certified", ABSOLUTE, needs_screening=False)
def _practitioner_not_certified(ctx: _Context) -> Hit | None:
    until = ctx.case.dn_certified_until
    if until is None:
        return _patient("The practitioner has no DN certification on record.")
    if until < ctx.session:
        return _patient(f"The practitioner's DN certification expired on {until.isoformat()}.")
    return None


# ---------------------------------------------------------------- patient level


def _answer_rule(code: str, severity: Severity) -> None:
    """Register a rule that fires when the screening answer of the same name is true."""
    message = RULES_BY_CODE[code].explanation

    def check(ctx: _Context) -> Hit | None:
        return _patient(message) if getattr(ctx.screening, code) else None

    check.__name__ = f"_{code}"
    _rule(code, severity)(check)


_answer_rule("acute_illness", ABSOLUTE)
_answer_rule("bleeding_disorder", RELATIVE)
_answer_rule("immunocompromised", RELATIVE)
_answer_rule("diabetes", RELATIVE)
_answer_rule("vascular_disease", RELATIVE)
_answer_rule("metal_allergy", RELATIVE)
_answer_rule("prosthetic_heart_valve", RELATIVE)
_answer_rule("cancer_history", RELATIVE)


@_rule("needle_phobia", ABSOLUTE)
def _needle_phobia(ctx: _Context) -> Hit | None:
    s = ctx.screening
    if s.needle_phobia:
        return _patient("The patient reports fear of needles.")
    if not s.willing_to_proceed:
        return _patient("The patient has not said they are willing to proceed.")
    return None


@_rule("unable_to_consent", ABSOLUTE)
def _unable_to_consent(ctx: _Context) -> Hit | None:
    if ctx.screening.able_to_consent:
        return None
    return _patient(
        "The patient is not recorded as able to give informed consent (capacity, language "
        "without interpreter, minor without guardian)."
    )


@_rule("pregnancy_first_trimester", ABSOLUTE)
def _pregnancy_first_trimester(ctx: _Context) -> Hit | None:
    days = ctx.gestational_days
    if days is None or days // 7 >= FIRST_TRIMESTER_WEEKS:
        return None
    return _patient(
        f"Pregnant, gestational age {_describe_weeks(days)} on the session date: first "
        "trimester, no dry needling."
    )


@_rule("pregnancy", RELATIVE)
def _pregnancy(ctx: _Context) -> Hit | None:
    days = ctx.gestational_days
    if days is None or days // 7 < FIRST_TRIMESTER_WEEKS:
        return None
    return _patient(f"Pregnant, gestational age {_describe_weeks(days)} on the session date.")


@_rule("anticoagulant_uncontrolled", ABSOLUTE)
def _anticoagulant_uncontrolled(ctx: _Context) -> Hit | None:
    problems = ctx.anticoagulant_problems
    if not problems:
        return None
    drug = ctx.screening.anticoagulant.drug
    which = f" ({drug})" if drug else ""
    return _patient(
        f"Anticoagulation not controlled{which}: {'; '.join(problems)}. Stopping or changing "
        "the drug is never the therapist's decision."
    )


@_rule("anticoagulant", RELATIVE)
def _anticoagulant(ctx: _Context) -> Hit | None:
    if ctx.anticoagulant_problems != ():
        return None
    drug = ctx.screening.anticoagulant.drug or "an anticoagulant or antiplatelet"
    return _patient(f"On {drug}, controlled: apply pressure after needling.")


@_rule("epilepsy_uncontrolled", ABSOLUTE)
def _epilepsy_uncontrolled(ctx: _Context) -> Hit | None:
    if ctx.screening.epilepsy != "uncontrolled":
        return None
    return _patient("Epilepsy with seizures not controlled.")


@_rule("epilepsy", RELATIVE)
def _epilepsy(ctx: _Context) -> Hit | None:
    if ctx.screening.epilepsy != "controlled":
        return None
    return _patient("Controlled epilepsy: needle lying down, watch for a seizure.")


@_rule("minor", RELATIVE, needs_screening=False)
def _minor(ctx: _Context) -> Hit | None:
    age = _age_on(ctx.case.date_of_birth, ctx.session)
    if age >= ADULT_AGE:
        return None
    return _patient(f"The patient is {max(age, 0)} on the session date: a guardian must consent.")


def _anticoagulant_problems(screening: Screening, session: date) -> tuple[str, ...] | None:
    """Why an anticoagulant is uncontrolled: empty when controlled, None when none is taken."""
    drug = screening.anticoagulant
    if drug is None:
        return None
    problems = []
    if drug.recent_bleeding:
        problems.append("recent abnormal bleeding")
    changed = drug.last_dose_change_on
    if changed is not None and 0 <= (session - changed).days <= DOSE_CHANGE_DAYS:
        problems.append(f"dose changed {(session - changed).days} days before the session")
    if drug.vitamin_k_antagonist:
        problems.extend(_inr_problems(drug, session))
    return tuple(problems)


def _inr_problems(drug: Anticoagulant, session: date) -> list[str]:
    """Why a vitamin K antagonist's INR does not show control (empty when it does)."""
    inr, inr_on = drug.inr, drug.inr_on
    problems = []
    if inr is None:
        problems.append("no INR on file")
    elif not drug.inr_target_low <= inr <= drug.inr_target_high:
        problems.append(
            f"INR {inr:g} outside its target range {drug.inr_target_low:g}-{drug.inr_target_high:g}"
        )
    if inr_on is None:
        problems.append("no INR date")
    elif inr_on > session:
        problems.append(f"INR dated {inr_on.isoformat()}, after the session date: no current INR")
    elif (session - inr_on).days > INR_VALID_DAYS:
        problems.append(
            f"INR measured {(session - inr_on).days} days before the session (more than "
            f"{INR_VALID_DAYS})"
        )
    return problems


# ---------------------------------------------------------------- site level


def _region_flag_rule(code: str, attribute: str, text: str) -> None:
    """Register an absolute rule matching sites against one list of region flags."""

    def check(ctx: _Context) -> Hit | None:
        flags = getattr(ctx.screening, attribute)
        return _site_hit(_flagged(ctx, flags), text) if flags else None

    check.__name__ = f"_{code}"
    _rule(code, ABSOLUTE)(check)


_region_flag_rule(
    "local_infection", "infections", "Infection, open wound or inflamed skin at the site."
)
_region_flag_rule("tumor_site", "tumors", "Active tumor at the site.")
_region_flag_rule("varicosity_site", "varicosities", "Varicose veins at the site.")
_region_flag_rule(
    "implanted_device_site", "implanted_devices", "Implanted device in the site's region."
)


@_rule("lymphedema_limb", ABSOLUTE)
def _lymphedema_limb(ctx: _Context) -> Hit | None:
    flags = ctx.screening.lymphedema
    if not flags:
        return None
    planned = [
        p
        for p in ctx.sites
        if any(p.region in LIMB_REGIONS[f.limb] and _side_matches(f.side, p.side) for f in flags)
    ]
    return _site_hit(planned, "The site lies on a limb with lymphedema.")


@_rule("post_surgical_site", ABSOLUTE)
def _post_surgical_site(ctx: _Context) -> Hit | None:
    surgeries = ctx.screening.surgeries
    if not surgeries:
        return None
    window = ctx.policy.post_surgical_window_days
    recent = [s for s in surgeries if 0 <= (ctx.session - s.on).days <= window]
    if not recent:
        return None
    text = f"Surgery in the site's region within the last {window} days."
    return _site_hit(_flagged(ctx, recent), text)


@_rule("prosthetic_joint", RELATIVE)
def _prosthetic_joint(ctx: _Context) -> Hit | None:
    surgeries = ctx.screening.surgeries
    if not surgeries:
        return None
    window = ctx.policy.post_surgical_window_days
    joints = [s for s in surgeries if s.joint_replacement and (ctx.session - s.on).days > window]
    if not joints:
        return None
    return _site_hit(_flagged(ctx, joints), "Prosthetic joint in the site's region.")


@_rule("pregnancy_restricted_site", ABSOLUTE)
def _pregnancy_restricted_site(ctx: _Context) -> Hit | None:
    if ctx.gestational_days is None:
        return None
    planned = [
        p
        for p in ctx.sites
        if p.region in PREGNANCY_RESTRICTED_REGIONS or p.muscle.pregnancy_restricted
    ]
    return _site_hit(planned, "Pregnant: the site is restricted in pregnancy.")


def _estim_sites(ctx: _Context, *, thorax: bool) -> list[_Planned]:
    """E-stim sites inside (``thorax``) or outside the thorax-adjacent regions."""
    devices = ctx.screening.implanted_devices
    if not devices or not any(d.kind in CARDIAC_DEVICE_KINDS for d in devices):
        return []
    return [p for p in ctx.sites if p.estim and (p.region in THORAX_ADJACENT) == thorax]


@_rule("estim_cardiac_device_thorax", ABSOLUTE)
def _estim_cardiac_device_thorax(ctx: _Context) -> Hit | None:
    return _site_hit(
        _estim_sites(ctx, thorax=True),
        "Electrical stimulation near the heart with a pacemaker or ICD.",
    )


@_rule("estim_cardiac_device", RELATIVE)
def _estim_cardiac_device(ctx: _Context) -> Hit | None:
    return _site_hit(
        _estim_sites(ctx, thorax=False), "Electrical stimulation with a pacemaker or ICD."
    )


@_rule("estim_implanted_device", RELATIVE)
def _estim_implanted_device(ctx: _Context) -> Hit | None:
    devices = ctx.screening.implanted_devices
    if not any(d.kind in STIMULATION_SENSITIVE_DEVICE_KINDS for d in devices):
        return None
    return _site_hit(
        [p for p in ctx.sites if p.estim],
        "Electrical stimulation with a neurostimulator or an implanted pump: the current can "
        "disturb or damage the device. Check the manufacturer's guidance and the patient's "
        "device card.",
    )


@_rule("bleeding_risk_deep_site", RELATIVE)
def _bleeding_risk_deep_site(ctx: _Context) -> Hit | None:
    s = ctx.screening
    if not ctx.deep or not (s.bleeding_disorder or s.anticoagulant is not None):
        return None
    return _site_hit(
        ctx.deep, "Bleeding risk and a deep muscle where pressure cannot stop bleeding."
    )


# ---------------------------------------------------------------- plan level and precautions


@_rule("bilateral_thorax", ABSOLUTE, needs_screening=False)
def _bilateral_thorax(ctx: _Context) -> Hit | None:
    lung = ctx.lung
    sides: set[str] = set()
    for p in lung:
        # A midline lung-risk site cannot be kept to one side: it counts as both (v2).
        sides.update(_BOTH_SIDES if p.side == "midline" else (p.side,))
    if not sides >= _BOTH_SIDES:
        return None
    midline = (
        " A midline lung-risk site counts as both sides."
        if "midline" in {p.side for p in lung}
        else ""
    )
    return _site_hit(
        lung,
        "Lung-risk muscles on both the left and the right in one session: risk of bilateral "
        f"pneumothorax. Split the plan over sessions.{midline}",
    )


_LUNG_FIELD = RULES_BY_CODE["lung_field"].explanation


@_rule("lung_field", PRECAUTION, needs_screening=False)
def _lung_field(ctx: _Context) -> Hit | None:
    if not ctx.lung:
        return None
    return _refs(ctx.lung), f"{_LUNG_FIELD} {_cautions(ctx.lung)}"


@_rule("deep_structure", PRECAUTION, needs_screening=False)
def _deep_structure(ctx: _Context) -> Hit | None:
    if not ctx.neuro:
        return None
    return _refs(ctx.neuro), _cautions(ctx.neuro)


@_rule("lung_disease", PRECAUTION)
def _lung_disease(ctx: _Context) -> Hit | None:
    if not ctx.lung or not ctx.screening.lung_disease:
        return None
    return (
        _refs(ctx.lung),
        "Lung disease, very low BMI or marked kyphosis with a lung-risk site: the pleura is "
        "closer; needle shallower.",
    )


def _cautions(planned: list[_Planned]) -> str:
    """The catalogue caution of each distinct muscle, in plan order."""
    muscles = {p.muscle.code: p.muscle for p in planned}
    return " ".join([f"{m.name}: {m.caution or 'no specific caution'}." for m in muscles.values()])


# ---------------------------------------------------------------- the registry, checked


def _check_registry() -> tuple[_Registered, ...]:
    """Every catalogue rule implemented once, with its severity; returned in contract order."""
    codes = [r.code for r in _REGISTRY]
    if sorted(codes) != sorted(rule.code for rule in RULES) or len(set(codes)) != len(codes):
        raise RuntimeError("screening rules and the rule catalogue disagree")
    for registered in _REGISTRY:
        if RULES_BY_CODE[registered.code].severity != registered.severity:
            raise RuntimeError(f"{registered.code}: severity disagrees with the catalogue")
    return tuple(sorted(_REGISTRY, key=lambda r: (_SEVERITY_RANK[r.severity], r.code)))


RULE_REGISTRY = _check_registry()
# The hot loop unpacks plain triples; rules needing answers are skipped without a screening.
_ALL_RULES = tuple((r.code, r.severity, r.check) for r in RULE_REGISTRY)
_RULES_WITHOUT_SCREENING = tuple(
    (r.code, r.severity, r.check) for r in RULE_REGISTRY if not r.needs_screening
)


# ---------------------------------------------------------------- evaluate


def evaluate(
    case: Case,
    *,
    policy: Policy = DEFAULT_POLICY,
    muscles: Mapping[str, Muscle] = DEFAULT_MUSCLES,
) -> Result:
    """Screen one proposed session. Pure: same case, policy and muscles -> equal result.

    Raises ``ValueError`` for a site whose muscle code is not in ``muscles``.
    """
    ctx = _context(case, policy, muscles)
    lifted = _liftable(case.overrides, policy) if case.overrides else _NOTHING
    stricter = policy.stricter_rules
    rules = _ALL_RULES if ctx.screening is not None else _RULES_WITHOUT_SCREENING
    findings = []
    for code, severity, check in rules:
        hit = check(ctx)
        if hit is None:
            continue
        sites, message = hit
        if severity != RELATIVE:
            findings.append(Finding(code, severity, sites, None, message))
        elif code in stricter:
            findings.append(Finding(code, ABSOLUTE, sites, None, message + _STRICTER_NOTE))
        else:
            findings.append(Finding(code, RELATIVE, sites, code in lifted, message))
    if stricter:
        findings.sort(key=lambda f: (_SEVERITY_RANK[f.severity], f.rule))
    return Result(
        decision=_decide(findings),
        findings=tuple(findings),
        ignored_overrides=_ignored(case.overrides, findings, policy) if case.overrides else (),
        cpt_code=cpt_code(case.sites, bilateral_counts_twice=policy.bilateral_counts_twice),
    )


def _context(case: Case, policy: Policy, muscles: Mapping[str, Muscle]) -> _Context:
    planned: list[_Planned] = []
    lung: list[_Planned] = []
    neuro: list[_Planned] = []
    deep: list[_Planned] = []
    for site in case.sites:
        muscle = muscles.get(site.muscle)
        if muscle is None:
            index = case.sites.index(site)
            raise ValueError(f"sites[{index}].muscle: unknown muscle code {site.muscle!r}")
        p = _Planned((site.muscle, site.side), site.side, muscle.region, muscle, site.estim)
        planned.append(p)
        if muscle.lung_risk:
            lung.append(p)
        if muscle.neurovascular:
            neuro.append(p)
        if muscle.deep:
            deep.append(p)
    screening = case.screening
    session = case.session_date
    problems = None if screening is None else _anticoagulant_problems(screening, session)
    # Positional (hot path): case, session, policy, screening, sites, lung, neuro, deep,
    # gestational_days, anticoagulant_problems.
    return _Context(
        case,
        session,
        policy,
        screening,
        planned,
        lung,
        neuro,
        deep,
        _gestational_days(screening, session),
        problems,
    )


def _gestational_days(screening: Screening | None, session: date) -> int | None:
    """280 - days to the due date; None when not pregnant or due more than 42 days ago."""
    if screening is None or screening.pregnancy_due_date is None:
        return None
    to_due = (screening.pregnancy_due_date - session).days
    if to_due < -PREGNANCY_COUNTS_DAYS_PAST_DUE:
        return None
    return PREGNANCY_DAYS - to_due


_NOTHING: frozenset[str] = frozenset()
_STRICTER_NOTE = " Clinic policy treats this rule as absolute, so no override is possible."


def _liftable(overrides: tuple[Override, ...], policy: Policy) -> frozenset[str]:
    """Relative, non-stricter rule codes with a long enough reason (if they fire, lifted)."""
    return frozenset(
        o.rule
        for o in overrides
        if o.rule in RELATIVE_RULE_CODES
        and o.rule not in policy.stricter_rules
        and len(o.reason.strip()) >= OVERRIDE_REASON_MIN
    )


def _ignored(
    overrides: tuple[Override, ...], findings: list[Finding], policy: Policy
) -> tuple[IgnoredOverride, ...]:
    """Overrides that lift nothing, one per rule code, in input order, each with a why."""
    lifted = {f.rule for f in findings if f.overridden}
    fired = {f.rule for f in findings}
    ignored: dict[str, str] = {}
    for override in overrides:
        if override.rule not in lifted and override.rule not in ignored:
            ignored[override.rule] = _why_ignored(override, fired, policy)
    return tuple(IgnoredOverride(rule, why) for rule, why in ignored.items())


def _why_ignored(override: Override, fired: set[str], policy: Policy) -> str:
    """Why an override lifts no finding of this plan."""
    code = override.rule
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return "Not a rule code in the catalogue."
    if rule.severity == PRECAUTION:
        return "A precaution never blocks a plan, so there is nothing to override."
    if rule.severity == ABSOLUTE:
        return "An absolute contraindication: an override never lifts it."
    if code in policy.stricter_rules:
        return "Clinic policy treats this rule as absolute: an override never lifts it."
    if code not in fired:
        return "This rule did not fire for this plan."
    return f"The reason must be at least {OVERRIDE_REASON_MIN} characters."


def _decide(findings: list[Finding]) -> Decision:
    """Findings arrive sorted, absolute first."""
    if findings and findings[0].severity == ABSOLUTE:
        return "blocked"
    for finding in findings:
        if finding.overridden is False:
            return "override_required"
    return "clear"


def cpt_code(sites: Iterable[Site], *, bilateral_counts_twice: bool = False) -> str | None:
    """20560 for 1-2 distinct muscles, 20561 for 3 or more; None without sites.

    With ``bilateral_counts_twice`` a muscle needled on both left and right counts twice.
    """
    if not bilateral_counts_twice:
        count = len({site.muscle for site in sites})
    else:
        sides_by_muscle: dict[str, set[str]] = {}
        for site in sites:
            sides_by_muscle.setdefault(site.muscle, set()).add(site.side)
        count = len(sides_by_muscle) + sum(
            1 for sides in sides_by_muscle.values() if {"left", "right"} <= sides
        )
    if count == 0:
        return None
    return CPT_FEW_MUSCLES if count <= 2 else CPT_MANY_MUSCLES
