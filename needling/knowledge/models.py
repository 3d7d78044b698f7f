"""The DN knowledge base as data: muscles and rules (shipped as data migrations written from
`needling/knowledge/`), and the clinic's screening policy (settings, stricter rules).

Codes are stable identifiers of the screening contract: they can never be changed."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from needling.knowledge import catalogue
from needling.knowledge.rules import RELATIVE, SEVERITY_ORDER


class ImmutableCodeMixin:
    """Refuses to change `code` once the row exists."""

    def clean_code_unchanged(self) -> None:
        if self.pk is None:
            return
        stored = type(self).objects.filter(pk=self.pk).values_list("code", flat=True).first()
        if stored is not None and stored != self.code:
            raise ValidationError({"code": "Codes are part of the screening contract and fixed."})

    def save(self, *args, **kwargs):
        self.clean_code_unchanged()
        super().save(*args, **kwargs)


class Muscle(ImmutableCodeMixin, models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    region = models.CharField(max_length=20, choices=catalogue.REGIONS)
    lung_risk = models.BooleanField(default=False, help_text="Over or near the lung (L).")
    deep = models.BooleanField(default=False, help_text="Pressure cannot stop bleeding (D).")
    pregnancy_restricted = models.BooleanField(default=False, help_text="Not during pregnancy (P).")
    neurovascular = models.BooleanField(
        default=False, help_text="Neurovascular, spinal-canal or organ caution (N)."
    )
    refers_to = models.JSONField(default=list, blank=True, help_text="Pain-area codes.")
    typical_conditions = models.JSONField(default=list, blank=True)
    caution = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["region", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = [area for area in self.refers_to or [] if area not in catalogue.PAIN_AREA_CODES]
        if unknown:
            raise ValidationError({"refers_to": f"Unknown pain areas: {', '.join(unknown)}"})
        if self.neurovascular and not self.caution.strip():
            raise ValidationError({"caution": "A muscle with an N flag needs its caution text."})

    def as_fact(self) -> catalogue.Muscle:
        """The immutable value the screening engine reads."""
        return catalogue.Muscle(
            code=self.code,
            name=self.name,
            region=self.region,
            lung_risk=self.lung_risk,
            deep=self.deep,
            pregnancy_restricted=self.pregnancy_restricted,
            neurovascular=self.neurovascular,
            refers_to=tuple(self.refers_to or ()),
            typical_conditions=tuple(self.typical_conditions or ()),
            caution=self.caution,
        )

    @property
    def flags(self) -> str:
        letters = zip(
            "LDPN",
            (self.lung_risk, self.deep, self.pregnancy_restricted, self.neurovascular),
            strict=True,
        )
        return " ".join(letter for letter, on in letters if on)


class Contraindication(ImmutableCodeMixin, models.Model):
    """One rule of the catalogue, for the staff reference page and the policy form."""

    SEVERITIES = [(s, s.capitalize()) for s in SEVERITY_ORDER]
    SCOPES = [
        ("procedural", "Procedural gate"),
        ("patient", "Patient"),
        ("site", "Planned site"),
        ("plan", "Whole plan"),
        ("precaution", "Precaution"),
    ]

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    severity = models.CharField(max_length=12, choices=SEVERITIES)
    scope = models.CharField(max_length=12, choices=SCOPES)
    explanation = models.TextField()
    source = models.TextField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.severity})"


class ScreeningSettings(models.Model):
    """The clinic's screening settings: one row (pk=1)."""

    post_surgical_window_days = models.PositiveSmallIntegerField(
        default=84,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="Needling a region operated on within this many days is blocked.",
    )
    bilateral_counts_twice = models.BooleanField(
        default=False,
        help_text="For the CPT code, count a muscle needled on both sides as two muscles.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "screening settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="screening_settings_single_row"),
        ]
        permissions = [("manage_policy", "Can change the clinic's screening policy")]

    def __str__(self) -> str:
        return "Screening settings"


class StricterRule(models.Model):
    """A recorded clinic policy treating a relative rule as absolute. Never the reverse."""

    rule = models.ForeignKey(Contraindication, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    adopted_at = models.DateTimeField(auto_now_add=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-adopted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule"], condition=Q(revoked_at__isnull=True), name="one_active_stricter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} treated as absolute"

    def clean(self) -> None:
        if self.rule_id and self.rule.severity != RELATIVE:
            raise ValidationError(
                {"rule": "Only relative rules can be made stricter; absolute rules are fixed."}
            )
        if len((self.reason or "").strip()) < 20:
            raise ValidationError({"reason": "Give the reason in at least 20 characters."})
