"""Session records: one DN visit, its sites, adverse events, addenda and the read log.

A record is written as a draft and signed once; signing locks it (the services refuse, the
admin is read-only, and on PostgreSQL a trigger rejects UPDATE and DELETE of signed rows).
Corrections are addenda.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from needling.plans.models import (
    ESTIM_HZ_MAX,
    ESTIM_HZ_MIN,
    ESTIM_MINUTES_MAX,
    ESTIM_MINUTES_MIN,
    NEEDLE_GAUGES,
    NEEDLE_LENGTHS,
    SiteSide,
    Technique,
    _in,
)

# Hours after which an unsigned note is overdue (home page and manager list).
UNSIGNED_OVERDUE_HOURS = 24
NPRS_MCID = 2


class SessionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class Tolerance(models.TextChoices):
    GOOD = "good", "Well tolerated"
    FAIR = "fair", "Tolerated with discomfort"
    POOR = "poor", "Poorly tolerated"


class AdverseKind(models.TextChoices):
    # Minor events (common, self-limiting).
    BRUISING = "bruising", "Bruising"
    BLEEDING = "bleeding", "Bleeding"
    PAIN_DURING = "pain_during", "Pain during treatment"
    PAIN_AFTER = "pain_after", "Pain after treatment"
    AGGRAVATION = "aggravation", "Aggravation of symptoms"
    DROWSINESS = "drowsiness", "Drowsiness"
    HEADACHE = "headache", "Headache"
    NAUSEA = "nausea", "Nausea"
    FATIGUE = "fatigue", "Fatigue"
    FAINTING = "fainting", "Fainting (vasovagal)"
    # Major events (rare; the manager is alerted).
    PNEUMOTHORAX = "pneumothorax", "Pneumothorax"
    NERVE_INJURY = "nerve_injury", "Nerve injury"
    INFECTION = "infection", "Infection"
    BROKEN_OR_RETAINED_NEEDLE = "broken_or_retained_needle", "Broken or retained needle"
    ALLERGIC_REACTION = "allergic_reaction", "Allergic reaction"


MAJOR_ADVERSE_KINDS = frozenset(
    {
        AdverseKind.PNEUMOTHORAX,
        AdverseKind.NERVE_INJURY,
        AdverseKind.INFECTION,
        AdverseKind.BROKEN_OR_RETAINED_NEEDLE,
        AdverseKind.ALLERGIC_REACTION,
    }
)


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class SessionRecord(models.Model):
    Status = SessionStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.OneToOneField(
        "clinic.Appointment", on_delete=models.PROTECT, related_name="dn_session"
    )
    plan = models.ForeignKey(
        "needling.TreatmentPlan", on_delete=models.PROTECT, related_name="sessions"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="dn_sessions"
    )
    location = models.ForeignKey("clinic.Location", on_delete=models.PROTECT, related_name="+")
    session_date = models.DateField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    screening_confirmed_unchanged = models.BooleanField(default=False)
    questionnaire = models.ForeignKey(
        "patients.ScreeningQuestionnaire", on_delete=models.PROTECT, related_name="+"
    )
    consent = models.ForeignKey(
        "patients.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The screening contract result of the same-day re-screen.
    rescreen = models.JSONField(default=dict, blank=True, editable=False)
    nprs_before = models.PositiveSmallIntegerField(
        "NPRS before", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    nprs_after = models.PositiveSmallIntegerField(
        "NPRS after", null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    patient_response = models.TextField(blank=True)
    tolerance = models.CharField(max_length=8, choices=Tolerance.choices, blank=True)
    complementary = models.JSONField("complementary treatments", default=list, blank=True)
    needles_opened = models.PositiveSmallIntegerField(default=0)
    needles_disposed = models.PositiveSmallIntegerField(default=0)
    needle_incident_note = models.TextField(blank=True)
    needle_mismatch_flagged = models.BooleanField(default=False)
    major_event_flagged = models.BooleanField(default=False)
    cpt_code = models.CharField("CPT code", max_length=5, blank=True)
    status = models.CharField(max_length=8, choices=SessionStatus.choices, default="draft")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-session_date", "-created_at"]
        indexes = [
            models.Index(fields=["patient", "-session_date"]),
            models.Index(fields=["status", "created_at"]),
            # Reports: a date range of notes in (date, id) order, and their counts per
            # therapist, location, status and CPT code from the index alone (PostgreSQL
            # index-only scans; other databases ignore the INCLUDE columns).
            models.Index(
                fields=["session_date", "id"],
                include=["practitioner", "location", "status", "cpt_code"],
                name="session_report_idx",
            ),
            # The outcomes report's courses across an edge of its range: the signed notes of
            # a range of days with what a course needs, read from the index alone (PostgreSQL
            # index-only scans; a year is ~10% of the notes at scale, which the planner
            # otherwise read with a sequential scan of the table).
            models.Index(
                fields=["session_date"],
                include=[
                    "plan",
                    "created_at",
                    "id",
                    "nprs_before",
                    "nprs_after",
                    "location",
                    "practitioner",
                    "patient",
                ],
                condition=Q(status="signed"),
                name="session_course_idx",
            ),
            # A plan's signed notes in course order, with what a course reads: the outcomes
            # report's courses across an edge of its range (the first NPRS before and last
            # NPRS after inside it, per plan), and the course roll-up's rewrite of a plan.
            models.Index(
                fields=["plan", "session_date", "created_at", "id"],
                include=["nprs_before", "nprs_after", "location", "practitioner"],
                condition=Q(status="signed"),
                name="session_plan_course_idx",
            ),
            # The safety report's needle-count incidents: few rows, found without a scan. The
            # columns are the list's ORDER BY (session_date, id), so its LIMIT reads this
            # index in order. The condition is the selector's (needling.sessions.selectors.
            # SIGNED_INCIDENT): columns PostgreSQL has statistics for, so it knows the rows
            # are few (docs/performance.md).
            models.Index(
                fields=["session_date", "id"],
                condition=Q(status="signed")
                & (Q(needle_mismatch_flagged=True) | ~Q(needle_incident_note="")),
                name="session_incident_idx",
            ),
        ]
        permissions = [
            ("sign_sessionrecord", "Can sign a DN session note"),
            ("view_session_log", "Can see that a DN visit happened"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=_in("status", SessionStatus.choices), name="session_status"
            ),
            models.CheckConstraint(
                condition=Q(nprs_before__isnull=True) | Q(nprs_before__gte=0, nprs_before__lte=10),
                name="session_nprs_before_range",
            ),
            models.CheckConstraint(
                condition=Q(nprs_after__isnull=True) | Q(nprs_after__gte=0, nprs_after__lte=10),
                name="session_nprs_after_range",
            ),
            models.CheckConstraint(
                condition=Q(needles_opened__gte=0, needles_disposed__gte=0),
                name="session_needles_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True, signed_by__isnull=True)
                | (
                    Q(status="signed", signed_at__isnull=False, signed_by__isnull=False)
                    & ~Q(cpt_code="")
                    & (Q(needles_opened=F("needles_disposed")) | ~Q(needle_incident_note=""))
                ),
                name="session_signed_complete",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(ended_at__gte=F("started_at")),
                name="session_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"DN session {self.session_date:%Y-%m-%d} for {self.patient}"

    def save(self, *args, **kwargs):
        # Signing is a conditional UPDATE in the services; a signed record is never saved.
        if not self._state.adding and self.status == SessionStatus.SIGNED:
            raise ValidationError("A signed session note is locked: add an addendum instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("needling:session_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self.status == SessionStatus.SIGNED:
            raise ValidationError("A signed session note is never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.status == SessionStatus.SIGNED

    @property
    def needles_match(self) -> bool:
        return self.needles_opened == self.needles_disposed


class _LockedWithSession(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._refuse_if_signed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_signed()
        return super().delete(*args, **kwargs)

    def _refuse_if_signed(self) -> None:
        if (
            self.session_id
            and SessionRecord.objects.filter(pk=self.session_id, status="signed").exists()
        ):
            raise ValidationError("The session note is signed: add an addendum instead.")


class SessionSite(_LockedWithSession):
    session = models.ForeignKey(SessionRecord, on_delete=models.CASCADE, related_name="sites")
    muscle = models.ForeignKey("needling.Muscle", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=SiteSide.choices)
    needle_gauge = models.CharField("needle diameter", max_length=4, choices=NEEDLE_GAUGES)
    needle_length_mm = models.PositiveSmallIntegerField("needle length", choices=NEEDLE_LENGTHS)
    needles = models.PositiveSmallIntegerField("number of needles", default=1)
    insertions = models.PositiveSmallIntegerField("number of insertions", default=1)
    technique = models.CharField(max_length=12, choices=Technique.choices, default="static")
    frequency_hz = models.PositiveSmallIntegerField(
        "stimulation frequency (Hz)",
        null=True,
        blank=True,
        validators=[MinValueValidator(ESTIM_HZ_MIN), MaxValueValidator(ESTIM_HZ_MAX)],
    )
    minutes = models.PositiveSmallIntegerField(
        "stimulation time (minutes)",
        null=True,
        blank=True,
        validators=[MinValueValidator(ESTIM_MINUTES_MIN), MaxValueValidator(ESTIM_MINUTES_MAX)],
    )
    twitch_response = models.BooleanField("local twitch response", default=False)
    depth_mm = models.PositiveSmallIntegerField(
        "depth (mm)", null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "muscle", "side"], name="session_site_once"),
            models.CheckConstraint(
                condition=_in("side", SiteSide.choices), name="session_site_side"
            ),
            models.CheckConstraint(
                condition=_in("technique", Technique.choices), name="session_site_technique"
            ),
            models.CheckConstraint(
                condition=Q(needles__gte=0, insertions__gte=0),
                name="session_site_counts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    technique="estim",
                    frequency_hz__gte=ESTIM_HZ_MIN,
                    frequency_hz__lte=ESTIM_HZ_MAX,
                    minutes__gte=ESTIM_MINUTES_MIN,
                    minutes__lte=ESTIM_MINUTES_MAX,
                )
                | (~Q(technique="estim") & Q(frequency_hz__isnull=True, minutes__isnull=True)),
                name="session_site_estim",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle.name} ({self.side})"

    @property
    def needle(self) -> str:
        return f"{self.needle_gauge} x {self.needle_length_mm} mm"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.technique == Technique.ESTIM:
            if self.frequency_hz is None:
                errors["frequency_hz"] = "Give the frequency for electrical stimulation."
            if self.minutes is None:
                errors["minutes"] = "Give the stimulation time for electrical stimulation."
        else:
            self.frequency_hz = self.minutes = None
        if errors:
            raise ValidationError(errors)


class AdverseEvent(_LockedWithSession):
    session = models.ForeignKey(
        SessionRecord, on_delete=models.CASCADE, related_name="adverse_events"
    )
    kind = models.CharField(max_length=28, choices=AdverseKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    is_major = models.BooleanField(default=False, editable=False)
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [
            # The safety report counts events by kind and severity per session from the index.
            models.Index(
                fields=["session"],
                include=["kind", "severity", "is_major"],
                name="adverse_event_report_idx",
            ),
            # The safety report's list of major events: rare (about 1 in 1,000 events in the
            # bench data), found from this index instead of reading every event
            # (docs/performance.md).
            models.Index(fields=["session"], condition=Q(is_major=True), name="adverse_major_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=_in("kind", AdverseKind.choices), name="adverse_kind"),
            models.CheckConstraint(
                condition=_in("severity", Severity.choices), name="adverse_severity"
            ),
            models.CheckConstraint(
                condition=Q(is_major=True, kind__in=sorted(MAJOR_ADVERSE_KINDS))
                | (Q(is_major=False) & ~Q(kind__in=sorted(MAJOR_ADVERSE_KINDS))),
                name="adverse_major_from_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.severity})"

    def save(self, *args, **kwargs):
        self.is_major = self.kind in MAJOR_ADVERSE_KINDS
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.is_major = self.kind in MAJOR_ADVERSE_KINDS


class SessionAddendum(models.Model):
    """A correction or late entry beneath a signed note. Append-only."""

    session = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    text = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "session addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.session_id} by {self.author_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError("An addendum is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("An addendum is never deleted.")


class SessionAccessLog(models.Model):
    """Every read of a session note."""

    session = models.ForeignKey(SessionRecord, on_delete=models.PROTECT, related_name="access_log")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["session", "-at"])]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.session_id} at {self.at:%Y-%m-%d %H:%M}"
