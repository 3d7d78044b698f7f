"""Patients: the people the clinic treats. Never hard-deleted; archived instead."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from patients.questions import YES_NO
from patients.vocabulary import (
    DeviceKind,
    Epilepsy,
    Limb,
    PainArea,
    Region,
    Side,
    is_vitamin_k_antagonist,
)


def fold(text: str) -> str:
    """Lower-case, accent-free form of a name for searching ("Zoë" -> "zoe")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return " ".join(folded.split())


def phone_digits(text: str) -> str:
    """The digits of a phone number, for matching however it was typed."""
    return re.sub(r"\D", "", text or "")


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        INTERSEX = "X", "Intersex / other"
        UNKNOWN = "U", "Not stated"

    # The details staff record and edit (the registration form and the services read this).
    DETAIL_FIELDS = (
        "first_name",
        "last_name",
        "date_of_birth",
        "sex",
        "phone",
        "email",
        "address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "referring_physician",
        "preferred_location",
        "notes",
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=40)
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    referring_physician = models.CharField(max_length=200, blank=True)
    preferred_location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    # Folded "first last" for case- and accent-insensitive search; kept in step by save().
    search_name = models.CharField(max_length=201, editable=False, db_index=True)
    # Digits of `phone` only, for matching "(415) 555-0101" against "4155550101".
    phone_digits = models.CharField(max_length=40, editable=False, blank=True, default="")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        indexes = [
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["phone"]),
            # The list page's order, so a page of 100,000 patients is read, not sorted.
            models.Index(
                fields=["last_name", "first_name", "date_of_birth", "id"],
                condition=Q(archived_at__isnull=True),
                name="patient_list_order",
            ),
        ]
        # On PostgreSQL, migration 0003 adds trigram GIN indexes on search_name and
        # phone_digits so that substring search stays fast with 100,000 patients.
        permissions = [
            (
                "view_clinical_record",
                "Can see the clinical record: conditions, pain map, outcomes, notes and alerts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs) -> None:
        self.refresh_derived_fields()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_name", "phone_digits"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("patients:detail", args=[self.pk])

    def refresh_derived_fields(self) -> None:
        self.search_name = fold(f"{self.first_name} {self.last_name}")
        self.phone_digits = phone_digits(self.phone)

    def clean_fields(self, exclude=None) -> None:
        self.refresh_derived_fields()
        super().clean_fields(exclude=exclude)

    @property
    def full_name(self) -> str:
        return str(self)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def age_on(self, on: dt.date) -> int:
        born = self.date_of_birth
        return on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    # Details a quick phone-enquiry registration leaves out, shown on the record until given.
    COMPLETION_FIELDS = (
        ("sex", "sex"),
        ("email", "email"),
        ("address", "address"),
        ("emergency_contact_name", "emergency contact"),
        ("emergency_contact_phone", "emergency contact phone"),
        ("preferred_location", "preferred location"),
    )

    @property
    def missing_details(self) -> list[str]:
        missing = []
        for field, label in self.COMPLETION_FIELDS:
            if field == "sex":
                if self.sex == self.Sex.UNKNOWN:
                    missing.append(label)
            elif field == "preferred_location":
                if self.preferred_location_id is None:
                    missing.append(label)
            elif not getattr(self, field):
                missing.append(label)
        return missing


def _choices_check(field: str, choices: type[models.TextChoices], name: str, blank=False):
    values = list(choices.values) + ([""] if blank else [])
    return models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=name)


# --- The screening questionnaire ---------------------------------------------------------------

INR_MIN = Decimal("0.5")
INR_MAX = Decimal("10")
DUE_DATE_MAX_AHEAD = dt.timedelta(weeks=44)
# A due date further back than this means the pregnancy no longer counts (screening contract).
DUE_DATE_MAX_PAST = dt.timedelta(weeks=6)


class ScreeningQuestionnaire(models.Model):
    """One completed DN screening: every fact of the screening contract, as answered on a day.

    Never edited: a new completion is a new row, and the latest (by taken_on, then entry time)
    is the current one. Field names follow the keys of the contract's `screening` object; the
    anticoagulant is "none" when `anticoagulant_drug` is empty, the patient is pregnant when
    `pregnancy_due_date` is set, and the lists are the child rows below.
    """

    FORM_VERSION = 1

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="questionnaires")
    form_version = models.PositiveSmallIntegerField(default=FORM_VERSION)
    taken_on = models.DateField("date taken")
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # One boolean per yes/no question of patients.questions (added below the class).
    epilepsy = models.CharField(max_length=12, choices=Epilepsy.choices, default=Epilepsy.NONE)
    pregnancy_due_date = models.DateField("estimated due date", null=True, blank=True)

    anticoagulant_drug = models.CharField(
        "anticoagulant or antiplatelet", max_length=80, blank=True, help_text="Empty: none."
    )
    vitamin_k_antagonist = models.BooleanField("vitamin K antagonist", default=False)
    inr = models.DecimalField("INR", max_digits=4, decimal_places=2, null=True, blank=True)
    inr_on = models.DateField("INR measured on", null=True, blank=True)
    inr_target_low = models.DecimalField(
        "INR target from", max_digits=3, decimal_places=1, default=Decimal("2.0")
    )
    inr_target_high = models.DecimalField(
        "INR target to", max_digits=3, decimal_places=1, default=Decimal("3.0")
    )
    last_dose_change_on = models.DateField("last dose change", null=True, blank=True)
    recent_bleeding = models.BooleanField("recent abnormal bleeding", default=False)

    class Meta:
        ordering = ["-taken_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "-taken_on", "-created_at"])]
        constraints = [
            _choices_check("epilepsy", Epilepsy, "screening_epilepsy_valid"),
            models.CheckConstraint(
                condition=Q(inr__isnull=True) | Q(inr__gte=INR_MIN, inr__lte=INR_MAX),
                name="screening_inr_range",
            ),
            models.CheckConstraint(
                condition=Q(inr__isnull=True, inr_on__isnull=True)
                | Q(inr__isnull=False, inr_on__isnull=False),
                name="screening_inr_has_date",
            ),
            models.CheckConstraint(
                condition=Q(
                    inr_target_low__gte=INR_MIN,
                    inr_target_high__lte=INR_MAX,
                    inr_target_low__lt=models.F("inr_target_high"),
                ),
                name="screening_inr_target_range",
            ),
            models.CheckConstraint(
                condition=~Q(anticoagulant_drug="")
                | Q(
                    vitamin_k_antagonist=False,
                    inr__isnull=True,
                    last_dose_change_on__isnull=True,
                    recent_bleeding=False,
                ),
                name="screening_anticoagulant_details_need_a_drug",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening of {self.patient} on {self.taken_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("patients:screening_detail", args=[self.patient_id, self.pk])

    @property
    def takes_anticoagulant(self) -> bool:
        return bool(self.anticoagulant_drug)

    @property
    def is_pregnant(self) -> bool:
        return self.pregnancy_due_date is not None

    def clean(self) -> None:
        errors: dict[str, str] = {}
        today = timezone.localdate()
        self.anticoagulant_drug = (self.anticoagulant_drug or "").strip()
        if self.taken_on and self.taken_on > today:
            errors["taken_on"] = "The screening date cannot be in the future."
        if self.taken_on and self.patient_id and self.taken_on < self.patient.date_of_birth:
            errors["taken_on"] = "The screening date is before the patient's date of birth."
        reference = self.taken_on or today
        if self.anticoagulant_drug:
            if is_vitamin_k_antagonist(self.anticoagulant_drug):
                self.vitamin_k_antagonist = True
            if self.inr is not None and not (INR_MIN <= self.inr <= INR_MAX):
                errors["inr"] = "Enter an INR between 0.5 and 10."
            if self.inr is not None and self.inr_on is None:
                errors["inr_on"] = "Enter the date the INR was measured."
            if self.inr_on is not None and self.inr is None:
                errors["inr"] = "Enter the INR measured on that date."
            if self.inr_on and self.inr_on > reference:
                errors["inr_on"] = "The INR date cannot be after the screening date."
            if self.last_dose_change_on and self.last_dose_change_on > reference:
                errors["last_dose_change_on"] = (
                    "The last dose change cannot be after the screening date."
                )
            low, high = self.inr_target_low, self.inr_target_high
            if low is not None and high is not None:
                if not (INR_MIN <= low <= INR_MAX):
                    errors["inr_target_low"] = "Enter a target between 0.5 and 10."
                elif not (INR_MIN <= high <= INR_MAX):
                    errors["inr_target_high"] = "Enter a target between 0.5 and 10."
                elif low >= high:
                    errors["inr_target_high"] = "The upper target must be above the lower one."
        else:
            self.vitamin_k_antagonist = False
            self.inr = self.inr_on = self.last_dose_change_on = None
            self.recent_bleeding = False
            self.inr_target_low, self.inr_target_high = Decimal("2.0"), Decimal("3.0")
        if self.pregnancy_due_date is not None:
            if self.pregnancy_due_date > reference + DUE_DATE_MAX_AHEAD:
                errors["pregnancy_due_date"] = (
                    "The due date is more than 44 weeks after the screening date."
                )
            elif self.pregnancy_due_date < reference - DUE_DATE_MAX_PAST:
                errors["pregnancy_due_date"] = (
                    "The due date is more than 6 weeks ago: the pregnancy no longer counts. "
                    "Answer no to the pregnancy question."
                )
        if errors:
            raise ValidationError(errors)


for _question in YES_NO:
    ScreeningQuestionnaire.add_to_class(
        _question.key, models.BooleanField(_question.label, default=False)
    )
del _question


class ScreeningFinding(models.Model):
    """A recorded body location on a questionnaire (region and side from muscles.md)."""

    questionnaire = models.ForeignKey(ScreeningQuestionnaire, on_delete=models.CASCADE)
    region = models.CharField(max_length=12, choices=Region.choices)
    side = models.CharField(max_length=10, choices=Side.choices)

    class Meta:
        abstract = True

    def location_label(self) -> str:
        return f"{self.get_region_display()}, {self.get_side_display().lower()}"


def _finding_constraints(prefix: str) -> list:
    return [
        _choices_check("region", Region, f"{prefix}_region_valid"),
        _choices_check("side", Side, f"{prefix}_side_valid"),
    ]


class ImplantedDevice(ScreeningFinding):
    questionnaire = models.ForeignKey(
        ScreeningQuestionnaire, on_delete=models.CASCADE, related_name="implanted_devices"
    )
    kind = models.CharField(max_length=16, choices=DeviceKind.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            *_finding_constraints("device"),
            _choices_check("kind", DeviceKind, "device_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.location_label()})"


class Infection(ScreeningFinding):
    """An infection, open wound or inflamed skin."""

    questionnaire = models.ForeignKey(
        ScreeningQuestionnaire, on_delete=models.CASCADE, related_name="infections"
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = _finding_constraints("infection")

    def __str__(self) -> str:
        return f"Infection or wound ({self.location_label()})"


class Tumor(ScreeningFinding):
    """An active tumor."""

    questionnaire = models.ForeignKey(
        ScreeningQuestionnaire, on_delete=models.CASCADE, related_name="tumors"
    )
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = _finding_constraints("tumor")

    def __str__(self) -> str:
        return f"Tumor ({self.location_label()})"


class Varicosity(ScreeningFinding):
    questionnaire = models.ForeignKey(
        ScreeningQuestionnaire, on_delete=models.CASCADE, related_name="varicosities"
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "varicosities"
        constraints = _finding_constraints("varicosity")

    def __str__(self) -> str:
        return f"Varicose veins ({self.location_label()})"


class Surgery(ScreeningFinding):
    questionnaire = models.ForeignKey(
        ScreeningQuestionnaire, on_delete=models.CASCADE, related_name="surgeries"
    )
    on = models.DateField("date of surgery")
    joint_replacement = models.BooleanField(default=False)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-on", "id"]
        verbose_name_plural = "surgeries"
        constraints = _finding_constraints("surgery")

    def __str__(self) -> str:
        kind = "Joint replacement" if self.joint_replacement else "Surgery"
        return f"{kind} on {self.on:%Y-%m-%d} ({self.location_label()})"

    def clean(self) -> None:
        taken_on = self.questionnaire.taken_on if self.questionnaire_id else None
        reference = taken_on or timezone.localdate()
        if self.on and self.on > reference:
            raise ValidationError({"on": "The surgery date cannot be in the future."})


LYMPHEDEMA_SIDES = (Side.LEFT, Side.RIGHT, Side.BILATERAL)


class Lymphedema(models.Model):
    questionnaire = models.ForeignKey(
        ScreeningQuestionnaire, on_delete=models.CASCADE, related_name="lymphedema"
    )
    limb = models.CharField(max_length=8, choices=Limb.choices)
    side = models.CharField(max_length=10, choices=[(s.value, s.label) for s in LYMPHEDEMA_SIDES])

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "lymphedema"
        constraints = [
            _choices_check("limb", Limb, "lymphedema_limb_valid"),
            models.CheckConstraint(
                condition=Q(side__in=[s.value for s in LYMPHEDEMA_SIDES]),
                name="lymphedema_side_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Lymphedema ({self.get_limb_display()}, {self.get_side_display().lower()})"


# --- Informed consent ----------------------------------------------------------------------------

CONSENT_VALID_DAYS = 365


class ConsentText(models.Model):
    """A published version of the DN consent wording. Never edited; a new version is a new row."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text. Blank lines separate paragraphs.")
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="consent_text_version_gte_1")
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    def get_absolute_url(self) -> str:
        return reverse("patients:consent_text_detail", args=[self.version])

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]


class ConsentSigner(models.TextChoices):
    PATIENT = "patient", "The patient"
    GUARDIAN = "guardian", "A parent or legal guardian"


class Consent(models.Model):
    """A signed DN informed consent. Valid for CONSENT_VALID_DAYS from the signing date."""

    Signer = ConsentSigner

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="consents")
    signed_on = models.DateField("date signed")
    signer = models.CharField("signed by", max_length=10, choices=Signer.choices)
    guardian_relationship = models.CharField(
        "relationship to the patient", max_length=60, blank=True
    )
    signed_name = models.CharField("name as typed by the signer", max_length=200)
    interpreter_name = models.CharField(
        "interpreter", max_length=200, blank=True, help_text="Only when one was used."
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    # Withdrawal (patients.consent_services.consent_withdraw): from withdrawn_on on the
    # consent is no longer in force and a DN plan is blocked as if there were none.
    withdrawn_on = models.DateField("date withdrawn", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name="withdrawal recorded by",
    )
    withdrawal_reason = models.TextField("reason for withdrawal", max_length=1000, blank=True)
    withdrawal_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-signed_on", "-recorded_at"]
        indexes = [
            models.Index(fields=["patient", "-signed_on", "-recorded_at"]),
            # The compliance report's consents running out this month (a date range over
            # every patient's consents: a sequential scan without it).
            models.Index(fields=["signed_on"]),
        ]
        constraints = [
            _choices_check("signer", ConsentSigner, "consent_signer_valid"),
            models.CheckConstraint(
                condition=Q(signer="patient", guardian_relationship="")
                | (Q(signer="guardian") & ~Q(guardian_relationship="")),
                name="consent_guardian_names_relationship",
            ),
            models.CheckConstraint(condition=~Q(signed_name=""), name="consent_signed_name_given"),
            # A withdrawal is whole (date, who, reason) and not before the signature.
            models.CheckConstraint(
                condition=Q(
                    withdrawn_on__isnull=True, withdrawn_by__isnull=True, withdrawal_reason=""
                )
                | (
                    Q(withdrawn_on__isnull=False, withdrawn_by__isnull=False)
                    & ~Q(withdrawal_reason="")
                    & Q(withdrawn_on__gte=F("signed_on"))
                ),
                name="consent_withdrawal_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent of {self.patient} signed {self.signed_on:%Y-%m-%d}"

    @property
    def valid_until(self) -> dt.date:
        return self.signed_on + dt.timedelta(days=CONSENT_VALID_DAYS)

    def is_withdrawn_on(self, day: dt.date) -> bool:
        """Withdrawn on or before `day`: from then on it is not in force."""
        return self.withdrawn_on is not None and self.withdrawn_on <= day

    def clean(self) -> None:
        errors: dict[str, str] = {}
        self.signed_name = (self.signed_name or "").strip()
        self.guardian_relationship = (self.guardian_relationship or "").strip()
        today = timezone.localdate()
        if self.signed_on and self.signed_on > today:
            errors["signed_on"] = "The signing date cannot be in the future."
        if self.signer == self.Signer.GUARDIAN and not self.guardian_relationship:
            errors["guardian_relationship"] = "Say how the guardian is related to the patient."
        if self.signer == self.Signer.PATIENT:
            self.guardian_relationship = ""
            if self.patient_id and self.signed_on and self.patient.age_on(self.signed_on) < 18:
                errors["signer"] = "The patient is under 18: a parent or legal guardian must sign."
        if errors:
            raise ValidationError(errors)


# --- Conditions, pain map and outcome measures ---------------------------------------------------


class ConditionCourse(models.TextChoices):
    ACUTE = "acute", "Acute"
    CHRONIC = "chronic", "Chronic"


class Condition(models.Model):
    Course = ConditionCourse

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="conditions")
    icd10_code = models.CharField("ICD-10-CM code", max_length=8)
    description = models.CharField(max_length=255)
    side = models.CharField(max_length=10, choices=Side.choices, blank=True)
    onset_on = models.DateField("onset", null=True, blank=True)
    course = models.CharField(max_length=8, choices=ConditionCourse.choices)
    notes = models.TextField(blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["resolved_on", "-recorded_at"]
        constraints = [
            _choices_check("side", Side, "condition_side_valid", blank=True),
            _choices_check("course", ConditionCourse, "condition_course_valid"),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True)
                | Q(onset_on__isnull=True)
                | Q(resolved_on__gte=models.F("onset_on")),
                name="condition_resolved_after_onset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"

    @property
    def is_active(self) -> bool:
        return self.resolved_on is None


class PainMap(models.Model):
    """The patient's pain areas on a day (a body chart). The latest one is the current one."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pain_maps")
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-recorded_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "-recorded_on", "-created_at"])]

    def __str__(self) -> str:
        return f"Pain map of {self.patient} on {self.recorded_on:%Y-%m-%d}"


class PainMapArea(models.Model):
    pain_map = models.ForeignKey(PainMap, on_delete=models.CASCADE, related_name="areas")
    area = models.CharField(max_length=20, choices=PainArea.choices)
    side = models.CharField(max_length=10, choices=Side.choices)
    nprs = models.PositiveSmallIntegerField(
        "NPRS", validators=[MinValueValidator(0), MaxValueValidator(10)]
    )

    class Meta:
        ordering = ["-nprs", "area", "side"]
        constraints = [
            _choices_check("area", PainArea, "pain_area_valid"),
            _choices_check("side", Side, "pain_area_side_valid"),
            models.CheckConstraint(condition=Q(nprs__gte=0, nprs__lte=10), name="pain_nprs_0_10"),
            models.UniqueConstraint(
                fields=["pain_map", "area", "side"], name="pain_area_once_per_map"
            ),
        ]

    def __str__(self) -> str:
        side = "" if self.side == Side.MIDLINE else f" ({self.get_side_display().lower()})"
        return f"{self.get_area_display()}{side}: {self.nprs}/10"


class Measure(models.TextChoices):
    NPRS = "nprs", "NPRS (numeric pain rating, 0-10)"
    PSFS = "psfs", "PSFS (patient-specific functional scale, average 0-10)"
    NDI = "ndi", "NDI (neck disability index, 0-50 points)"
    ODI = "odi", "ODI (Oswestry disability index, 0-100%)"


class OutcomeMeasure(models.Model):
    """A score on a validated outcome measure. Baselines are taken before treatment starts."""

    Measure = Measure

    # measure -> (lowest, highest, whole numbers only, better is "lower"/"higher")
    RANGES: dict[str, tuple[Decimal, Decimal, bool, str]] = {
        "nprs": (Decimal(0), Decimal(10), True, "lower"),
        "psfs": (Decimal(0), Decimal(10), False, "higher"),
        "ndi": (Decimal(0), Decimal(50), True, "lower"),
        "odi": (Decimal(0), Decimal(100), True, "lower"),
    }

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outcomes")
    measure = models.CharField(max_length=4, choices=Measure.choices)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    taken_on = models.DateField()
    is_baseline = models.BooleanField("baseline", default=True)
    condition = models.ForeignKey(
        Condition, on_delete=models.PROTECT, null=True, blank=True, related_name="outcomes"
    )
    detail = models.CharField(
        max_length=300, blank=True, help_text="For PSFS: the activities rated."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-taken_on", "measure"]
        constraints = [
            _choices_check("measure", Measure, "outcome_measure_valid"),
            models.CheckConstraint(
                condition=Q(measure="nprs", score__gte=0, score__lte=10)
                | Q(measure="psfs", score__gte=0, score__lte=10)
                | Q(measure="ndi", score__gte=0, score__lte=50)
                | Q(measure="odi", score__gte=0, score__lte=100),
                name="outcome_score_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_display().split(' ')[0]} {self.score_display}"

    @property
    def score_display(self) -> str:
        text = f"{self.score.normalize():f}" if self.score is not None else ""
        return f"{text}%" if self.measure == self.Measure.ODI else text

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.measure in self.RANGES and self.score is not None:
            low, high, whole, _ = self.RANGES[self.measure]
            if not (low <= self.score <= high):
                errors["score"] = f"Enter a score from {low} to {high} for this measure."
            elif whole and self.score != self.score.to_integral_value():
                errors["score"] = "This measure is scored in whole numbers."
        if self.taken_on and self.taken_on > timezone.localdate():
            errors["taken_on"] = "The date cannot be in the future."
        if self.condition_id and self.patient_id and self.condition.patient_id != self.patient_id:
            errors["condition"] = "That condition belongs to another patient."
        if errors:
            raise ValidationError(errors)


# --- Access log ---------------------------------------------------------------------------------


class PatientAccessLog(models.Model):
    """Who looked at which patient's record, and when. Append-only."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed the patient page"
        SCREENING = "screening", "Viewed a screening"
        CONSENT_PDF = "consent_pdf", "Downloaded a consent copy"
        PLAN_PDF = "plan_pdf", "Downloaded a plan PDF"
        FHIR_EXPORT = "fhir_export", "Exported the record (FHIR)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=12, choices=Action.choices, default=Action.VIEW)
    accessed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-accessed_at"])]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_action_display()} ({self.patient}, {self.accessed_at})"
