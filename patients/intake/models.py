"""Patient links and pending intakes.

A PatientLink is one single-use token sent to a patient: to the intake (screening
questionnaire and consent) or to confirm or cancel one appointment. Only the SHA-256 of the
token is stored. A link is usable until it expires, is used, is revoked or is locked after
too many wrong dates of birth; each of those is a timestamp set once by a conditional UPDATE.

An Intake is what the patient submitted through an intake link: patient-reported answers kept
apart from the record until a member of staff reviews them. Accepting it records the
screening questionnaire and the consent through the patients services (taken by the
reviewer on the patient's behalf); returning it records the reviewer's note.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

LINK_LIFETIME = dt.timedelta(hours=72)
MAX_DOB_ATTEMPTS = 5


class PatientLink(models.Model):
    class Purpose(models.TextChoices):
        INTAKE = "intake", "Screening and consent"
        APPOINTMENT = "appointment", "Confirm or cancel an appointment"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="links")
    appointment = models.ForeignKey(
        "clinic.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="patient_links",
    )
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    sent_to = models.CharField(max_length=254)
    message = models.TextField(
        blank=True, help_text="Shown to the patient above the form (e.g. why it was returned)."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    # The intake's answers so far, saved section by section: {"answers": {field: [values]},
    # "consent": {field: [values]}, "done": [step numbers]}.
    draft = models.JSONField(default=dict, blank=True)
    draft_saved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="intake_link_appointment_iff_purpose",
                condition=(Q(purpose="intake", appointment__isnull=True))
                | Q(purpose="appointment", appointment__isnull=False),
            ),
            models.CheckConstraint(
                name="intake_link_expires_after_creation",
                condition=Q(expires_at__gt=models.F("created_at")),
            ),
        ]
        indexes = [models.Index(fields=["patient", "-created_at"], name="intake_link_patient_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} link for {self.patient_id}"

    def state(self, now: dt.datetime | None = None) -> str:
        now = now or timezone.now()
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.locked_at:
            return "locked"
        if self.expires_at <= now:
            return "expired"
        return "open"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        return self.state(now) == "open"

    @staticmethod
    def usable_q(now: dt.datetime) -> Q:
        return Q(
            used_at__isnull=True,
            revoked_at__isnull=True,
            locked_at__isnull=True,
            expires_at__gt=now,
        )


class Intake(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        ACCEPTED = "accepted", "Accepted"
        RETURNED = "returned", "Returned to the patient"

    class Source(models.TextChoices):
        PATIENT = "patient", "Reported by the patient"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    link = models.OneToOneField(PatientLink, on_delete=models.PROTECT, related_name="intake")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="intakes"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PATIENT)
    submitted_at = models.DateTimeField(default=timezone.now)
    submitted_ip = models.GenericIPAddressField(null=True, blank=True)
    taken_on = models.DateField("date answered")
    # The questionnaire form's data as the patient sent it ({field: [values]}); re-validated
    # by the same form when it is accepted.
    answers = models.JSONField()
    consent_text = models.ForeignKey(
        "patients.ConsentText", on_delete=models.PROTECT, related_name="+"
    )
    signer = models.CharField(max_length=10)
    signed_name = models.CharField("name as typed by the signer", max_length=200)
    guardian_relationship = models.CharField(max_length=60, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    questionnaire = models.OneToOneField(
        "patients.ScreeningQuestionnaire",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intake",
    )
    consent = models.OneToOneField(
        "patients.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="intake"
    )

    class Meta:
        ordering = ["-submitted_at"]
        permissions = [("review_intake", "Can accept or return a patient's intake")]
        constraints = [
            models.CheckConstraint(
                name="intake_accepted_has_records",
                condition=~Q(status="accepted")
                | Q(questionnaire__isnull=False, consent__isnull=False, reviewed_by__isnull=False),
            ),
            models.CheckConstraint(
                name="intake_pending_has_no_records",
                condition=~Q(status="pending")
                | Q(questionnaire__isnull=True, consent__isnull=True, reviewed_at__isnull=True),
            ),
            models.CheckConstraint(
                name="intake_returned_has_note",
                condition=~Q(status="returned") | ~Q(review_note=""),
            ),
        ]
        indexes = [models.Index(fields=["status", "-submitted_at"], name="intake_status_idx")]

    def __str__(self) -> str:
        return f"Intake of {self.submitted_at:%Y-%m-%d} ({self.get_status_display()})"
