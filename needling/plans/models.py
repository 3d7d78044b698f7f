"""Treatment plans: the plan, its sites, its overrides (bound to the questionnaire they were
made on) and its PDF job."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse
from django.utils import timezone

from needling.knowledge.models import Muscle
from needling.knowledge.rules import RELATIVE_RULE_CODES

# --- Treatment plans ------------------------------------------------------------------------

# Needle diameters (mm) and lengths (mm) stocked by DN suppliers; shown as "0.25 x 30 mm".
NEEDLE_GAUGES = [
    ("0.16", "0.16 mm"),
    ("0.18", "0.18 mm"),
    ("0.20", "0.20 mm"),
    ("0.25", "0.25 mm"),
    ("0.30", "0.30 mm"),
]
NEEDLE_LENGTHS = [
    (13, "13 mm"),
    (15, "15 mm"),
    (25, "25 mm"),
    (30, "30 mm"),
    (40, "40 mm"),
    (50, "50 mm"),
    (60, "60 mm"),
    (75, "75 mm"),
]
ESTIM_HZ_MIN, ESTIM_HZ_MAX = 1, 150
ESTIM_MINUTES_MIN, ESTIM_MINUTES_MAX = 1, 30
SESSIONS_MAX = 52
OVERRIDE_REASON_MIN = 20


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class Frequency(models.TextChoices):
    SINGLE = "single", "Single session"
    WEEKLY = "weekly", "Once a week"
    TWICE_WEEKLY = "twice_weekly", "Twice a week"
    THREE_WEEKLY = "three_weekly", "Three times a week"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Once a month"


class Complementary(models.TextChoices):
    STRETCHING = "stretching", "Stretching"
    MANUAL_THERAPY = "manual_therapy", "Manual therapy"
    CUPPING = "cupping", "Cupping"
    EXERCISE = "exercise", "Exercise"
    MASSAGE = "massage", "Massage"


class Technique(models.TextChoices):
    STATIC = "static", "Static"
    PISTONING = "pistoning", "Pistoning"
    FANNING = "fanning", "Fanning"
    ESTIM = "estim", "Electrical stimulation"


class SiteSide(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    MIDLINE = "midline", "Midline"


def _in(field: str, choices) -> Q:
    return Q(**{f"{field}__in": [value for value, _ in choices]})


class TreatmentPlan(models.Model):
    """A DN treatment plan: who treats whom, for what, where, and which sites.

    A draft is edited through the services in needling.plans; approval (only when the
    screening decision is clear) stores an immutable snapshot of the facts judged and the
    result, and locks the plan. A change is a new version; the old one is superseded.
    """

    Status = PlanStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    condition = models.ForeignKey("patients.Condition", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dn_plans"
    )
    location = models.ForeignKey(
        "clinic.Location", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    planned_date = models.DateField("first session on")
    sessions_planned = models.PositiveSmallIntegerField(
        "number of sessions",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(SESSIONS_MAX)],
    )
    frequency = models.CharField(max_length=16, choices=Frequency.choices, default="weekly")
    complementary = models.JSONField(
        "complementary treatments", default=list, blank=True, help_text="Codes of Complementary."
    )
    goals = models.TextField("goals and notes", blank=True)
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default="draft")
    version = models.PositiveSmallIntegerField(default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
        help_text="The approved plan this version replaces.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # {"case": the contract case judged, "result": the contract result, "policy": {...}}
    snapshot = models.JSONField(null=True, blank=True, editable=False)
    cpt_code = models.CharField("CPT code", max_length=5, blank=True)

    class Meta:
        ordering = ["-planned_date", "-created_at"]
        indexes = [
            # The compliance report: plans approved in a range by given approvers.
            models.Index(fields=["approved_by", "approved_at"], name="plan_approver_idx"),
            models.Index(fields=["patient", "-planned_date"]),
        ]
        permissions = [("approve_treatmentplan", "Can approve a DN treatment plan")]
        constraints = [
            models.CheckConstraint(condition=_in("status", PlanStatus.choices), name="plan_status"),
            models.CheckConstraint(
                condition=_in("frequency", Frequency.choices), name="plan_frequency"
            ),
            models.CheckConstraint(
                condition=Q(sessions_planned__gte=1, sessions_planned__lte=SESSIONS_MAX),
                name="plan_sessions_range",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_gte_1"),
            models.CheckConstraint(
                condition=Q(
                    status="draft",
                    approved_at__isnull=True,
                    approved_by__isnull=True,
                    snapshot__isnull=True,
                    cpt_code="",
                )
                | (
                    Q(status__in=["approved", "superseded"])
                    & Q(approved_at__isnull=False, approved_by__isnull=False)
                    & Q(snapshot__isnull=False)
                    & ~Q(cpt_code="")
                ),
                name="plan_approval_complete",
            ),
            models.CheckConstraint(
                condition=Q(version=1, previous__isnull=True)
                | Q(version__gt=1, previous__isnull=False),
                name="plan_version_links_previous",
            ),
        ]

    def __str__(self) -> str:
        return f"DN plan v{self.version} for {self.patient} ({self.planned_date:%Y-%m-%d})"

    def save(self, *args, **kwargs):
        # Approval and superseding are conditional UPDATEs in the services; a plan object
        # that is no longer a draft is never saved again (on PostgreSQL a trigger agrees).
        if not self._state.adding and self.status != PlanStatus.DRAFT:
            raise ValidationError("An approved plan is locked: make a new version to change it.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("needling:plan_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == PlanStatus.DRAFT

    @property
    def complementary_labels(self) -> list[str]:
        labels = dict(Complementary.choices)
        return [labels.get(code, code) for code in self.complementary or []]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        codes = self.complementary
        if not isinstance(codes, list) or any(c not in Complementary.values for c in codes):
            errors["complementary"] = "Choose complementary treatments from the list."
        else:
            self.complementary = [c for c in Complementary.values if c in codes]
        if self.condition_id and self.patient_id and self.condition.patient_id != self.patient_id:
            errors["condition"] = "That condition belongs to another patient."
        if errors:
            raise ValidationError(errors)


class PlanSite(models.Model):
    """One planned needling site: a muscle on a side, with technique and needle."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="sites")
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=SiteSide.choices)
    technique = models.CharField(max_length=12, choices=Technique.choices, default="static")
    needle_gauge = models.CharField("needle diameter", max_length=4, choices=NEEDLE_GAUGES)
    needle_length_mm = models.PositiveSmallIntegerField("needle length", choices=NEEDLE_LENGTHS)
    estim_hz = models.PositiveSmallIntegerField(
        "stimulation frequency (Hz)",
        null=True,
        blank=True,
        validators=[MinValueValidator(ESTIM_HZ_MIN), MaxValueValidator(ESTIM_HZ_MAX)],
    )
    estim_minutes = models.PositiveSmallIntegerField(
        "stimulation time (minutes)",
        null=True,
        blank=True,
        validators=[MinValueValidator(ESTIM_MINUTES_MIN), MaxValueValidator(ESTIM_MINUTES_MAX)],
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "muscle", "side"], name="plan_site_once"),
            models.CheckConstraint(condition=_in("side", SiteSide.choices), name="site_side"),
            models.CheckConstraint(
                condition=_in("technique", Technique.choices), name="site_technique"
            ),
            models.CheckConstraint(
                condition=_in("needle_gauge", NEEDLE_GAUGES), name="site_needle_gauge"
            ),
            models.CheckConstraint(
                condition=_in("needle_length_mm", NEEDLE_LENGTHS), name="site_needle_length"
            ),
            models.CheckConstraint(
                condition=Q(
                    technique="estim",
                    estim_hz__gte=ESTIM_HZ_MIN,
                    estim_hz__lte=ESTIM_HZ_MAX,
                    estim_minutes__gte=ESTIM_MINUTES_MIN,
                    estim_minutes__lte=ESTIM_MINUTES_MAX,
                )
                | (~Q(technique="estim") & Q(estim_hz__isnull=True, estim_minutes__isnull=True)),
                name="site_estim_settings",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle.name} ({self.side})"

    @property
    def estim(self) -> bool:
        return self.technique == Technique.ESTIM

    @property
    def needle(self) -> str:
        return f"{self.needle_gauge} x {self.needle_length_mm} mm"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.technique == Technique.ESTIM:
            if self.estim_hz is None:
                errors["estim_hz"] = "Give the stimulation frequency for electrical stimulation."
            if self.estim_minutes is None:
                errors["estim_minutes"] = "Give the stimulation time for electrical stimulation."
        else:
            self.estim_hz = self.estim_minutes = None
        if errors:
            raise ValidationError(errors)


class PlanOverride(models.Model):
    """A certified practitioner's written reason to proceed despite one relative finding.

    Append-only: never edited or deleted (the model refuses, the admin is read-only, and on
    PostgreSQL a trigger rejects UPDATE and DELETE).
    """

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="overrides")
    rule = models.CharField(max_length=60)
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    screening = models.ForeignKey(
        "patients.ScreeningQuestionnaire",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The screening in force when the override was made: it lifts the finding "
        "only while the plan is judged on that screening (empty: none was on file).",
    )
    confirms = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The earlier override this one confirms again on a newer screening.",
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "rule", "screening"],
                condition=Q(screening__isnull=False),
                name="override_once_per_rule_and_screening",
            ),
            models.UniqueConstraint(
                fields=["plan", "rule"],
                condition=Q(screening__isnull=True),
                name="override_once_per_rule_without_screening",
            ),
            models.CheckConstraint(
                condition=_in("rule", [(code, code) for code in sorted(RELATIVE_RULE_CODES)]),
                name="override_relative_rule",
            ),
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length(Trim("reason")), OVERRIDE_REASON_MIN)),
                name="override_reason_length",
            ),
        ]

    def __str__(self) -> str:
        return f"Override of {self.rule} on {self.plan_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("An override is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("An override is never deleted.")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Waiting to render"
    RUNNING = "running", "Rendering"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class PlanDocument(models.Model):
    """The PDF of an approved plan, rendered by a Celery job whose state is this row."""

    Status = DocumentStatus

    plan = models.OneToOneField(TreatmentPlan, on_delete=models.PROTECT, related_name="document")
    status = models.CharField(max_length=8, choices=DocumentStatus.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "enqueued_at"])]
        constraints = [
            models.CheckConstraint(
                condition=_in("status", DocumentStatus.choices), name="document_status"
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(file_name=""), name="document_done_has_file"
            ),
        ]

    def __str__(self) -> str:
        return f"PDF of {self.plan_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (DocumentStatus.DONE, DocumentStatus.FAILED)
