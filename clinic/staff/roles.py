"""The three staff roles and the permissions each one holds.

Roles are Django groups whose permissions are set from ROLE_PERMISSIONS after every migrate
(clinic/apps.py), so the matrix below is the single source of truth. docs/permissions.md is
the human-readable copy, and tests/clinic/test_roles.py checks the two agree.
"""

from __future__ import annotations

import enum


class Role(enum.Enum):
    THERAPIST = "Therapist"
    FRONT_DESK = "Front desk"
    MANAGER = "Manager"

    @property
    def label(self) -> str:
        return self.value

    @property
    def slug(self) -> str:
        return self.name.lower()


# "app_label.codename" for each role. Later capabilities add their permissions here.
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.THERAPIST: frozenset(
        {
            "clinic.view_schedule",
            # Booking: their own appointments only.
            "clinic.view_appointment",
            "clinic.check_in_appointment",
            "clinic.complete_appointment",
            "clinic.practise_dn",
            "clinic.view_location",
            "patients.view_patient",
            "needling.view_contraindication",
            "needling.view_muscle",
            "patients.add_patient",
            "patients.change_patient",
            "patients.view_clinical_record",
            "patients.view_screeningquestionnaire",
            "patients.add_screeningquestionnaire",
            "patients.view_consent",
            "patients.add_consent",
            "patients.view_consenttext",
            "patients.add_condition",
            "patients.change_condition",
            "patients.add_painmap",
            "patients.add_outcomemeasure",
            "needling.view_treatmentplan",
            "needling.add_treatmentplan",
            "needling.change_treatmentplan",
            "needling.approve_treatmentplan",
            "needling.add_planoverride",
            "needling.view_plandocument",
            # Session notes: write, sign, add addenda.
            "needling.view_sessionrecord",
            "needling.add_sessionrecord",
            "needling.change_sessionrecord",
            "needling.sign_sessionrecord",
            "needling.add_sessionaddendum",
            "needling.view_session_log",
            # Patient intake links and the review of what patients send (patients/intake/).
            "intake.view_intake",
            "intake.review_intake",
            "intake.add_patientlink",
            "intake.change_patientlink",
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            "clinic.view_schedule",
            # Booking: every appointment at their locations.
            "clinic.view_appointment",
            "clinic.view_location_calendar",
            "clinic.add_appointment",
            "clinic.change_appointment",
            "clinic.cancel_appointment",
            "clinic.check_in_appointment",
            "clinic.mark_no_show",
            "clinic.view_location",
            "patients.view_patient",
            "patients.add_patient",
            "patients.change_patient",
            "needling.view_contraindication",
            "patients.view_screeningquestionnaire",
            "patients.add_screeningquestionnaire",
            "patients.view_consent",
            "patients.add_consent",
            "patients.view_consenttext",
            # Session notes: only that a visit happened, never the content.
            "needling.view_session_log",
            # Patient intake links and the review of what patients send (patients/intake/).
            "intake.view_intake",
            "intake.review_intake",
            "intake.add_patientlink",
            "intake.change_patientlink",
        }
    ),
    Role.MANAGER: frozenset(
        {
            "clinic.view_dashboard",
            # Booking: every location's calendar, overrides, and the setup behind it.
            "clinic.view_appointment",
            "clinic.view_location_calendar",
            "clinic.view_all_calendars",
            "clinic.add_appointment",
            "clinic.change_appointment",
            "clinic.cancel_appointment",
            "clinic.check_in_appointment",
            "clinic.complete_appointment",
            "clinic.mark_no_show",
            "clinic.override_hours",
            "clinic.view_appointmenttype",
            "clinic.add_appointmenttype",
            "clinic.change_appointmenttype",
            "clinic.view_openinghours",
            "clinic.change_openinghours",
            "clinic.view_workinghours",
            "clinic.add_workinghours",
            "clinic.delete_workinghours",
            "clinic.view_scheduleexception",
            "clinic.add_scheduleexception",
            "clinic.delete_scheduleexception",
            "clinic.view_user",
            "clinic.add_user",
            "clinic.change_user",
            "clinic.view_location",
            "clinic.add_location",
            "clinic.change_location",
            "clinic.view_room",
            "clinic.add_room",
            "clinic.change_room",
            "clinic.view_licence",
            "clinic.add_licence",
            "clinic.change_licence",
            "clinic.view_dncertification",
            "clinic.add_dncertification",
            "clinic.change_dncertification",
            "patients.view_patient",
            "needling.view_contraindication",
            "needling.view_muscle",
            "needling.add_muscle",
            "needling.change_muscle",
            "needling.manage_policy",
            "patients.view_clinical_record",
            "patients.view_screeningquestionnaire",
            "patients.view_consent",
            "patients.view_consenttext",
            "patients.add_consenttext",
            "patients.view_patientaccesslog",
            "needling.view_treatmentplan",
            "needling.view_planoverride",
            "needling.view_plandocument",
            # Reports, exports and the audit trail (clinic/reports/).
            "clinic.view_reports",
            "clinic.view_audit",
            # Session notes: read everything, the read log and the flags.
            "needling.view_sessionrecord",
            "needling.view_session_log",
            "needling.view_sessionaccesslog",
            # Patient intakes: read only.
            "intake.view_intake",
        }
    ),
}


def sync_roles(*, strict: bool = True) -> None:
    """Create the role groups and set exactly the permissions of ROLE_PERMISSIONS.

    post_migrate fires once per app, before later apps have their permissions, so the signal
    handler calls this with strict=False; the last call sees every permission. With
    strict=True a permission that does not exist is an error (tests use this).
    """
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.label)
        wanted = []
        for dotted in sorted(perms):
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                if not strict:
                    continue
                raise LookupError(f"Role {role.label}: no permission {dotted}")
            wanted.append(permission)
        group.permissions.set(wanted)
