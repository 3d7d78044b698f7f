"""Object access, table-driven: for every kind of object, every role at the object's location
and at another one. A user who may not see an object gets exactly what a missing object
gives: 404, byte for byte the page a made-up id gets, through the page, its htmx partials,
its downloads and its POST actions; nothing is written. That holds whatever refuses: the
object's location, its author or its owner (the view's scoped lookup), or the user's role (the
`requires` check, before any lookup: clinic/common/access.py). Only a user who may read the
object but not do this to it (a manager adding an addendum) gets 403: its existence is no
secret to them.

Patients, their screenings and consents belong to the clinic as a whole (every location's
staff may read them; see docs/permissions.md); for them the table proves that an object asked
for under another patient's URL is a 404, and that a role without the permission (a manager
editing a patient, the front desk exporting one) cannot tell a real patient from a missing one.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from clinic.staff.roles import Role
from tests.factories import (
    CertificationFactory,
    ConsentFactory,
    LicenceFactory,
    LocationFactory,
    PatientFactory,
    ScreeningFactory,
    UserFactory,
)
from tests.shared_rows import log_in, module_sessions, rows_for_the_module

pytestmark = pytest.mark.django_db

MISSING_INT = 987_654_321


def _therapist(username, location):
    user = UserFactory(username=username, role=Role.THERAPIST)
    user.locations.add(location)
    LicenceFactory(user=user)
    CertificationFactory(user=user)
    return user


def _staff(username, role, location):
    user = UserFactory(username=username, role=role)
    user.locations.add(location)
    return user


def _private_storage(folder) -> dict:
    return {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "clinic.common.storage.PrivateStorage",
            "OPTIONS": {"location": folder},
        },
    }


def _world() -> dict:
    """Objects made at the home location by its therapist (the owner), and users at home and
    at another location."""
    from needling.api.models import ApiToken
    from tests.booking.factories import AppointmentFactory
    from tests.conftest import make_front_desk, make_location, make_manager, make_therapist
    from tests.sessions.helpers import complete_and_sign, opened_session

    location = make_location()
    therapist = make_therapist(location)
    manager = make_manager(location)
    away = LocationFactory(name="Oakland Lakeshore")
    users = {
        "owner": therapist,
        "colleague": _therapist("colleague", location),
        "outsider": _therapist("outsider", away),
        "desk": make_front_desk(location),
        "desk_away": _staff("desk_away", Role.FRONT_DESK, away),
        "manager": manager,
        "manager2": _staff("manager2", Role.MANAGER, away),
    }
    draft = opened_session(therapist=therapist, location=location)
    signed = complete_and_sign(opened_session(therapist=therapist, location=location), therapist)
    plan = draft.plan
    # The PDF job, done (rendering is tested in tests/plans; here only who may fetch it).
    from needling.plans.models import PlanDocument

    name = default_storage.save(f"plans/{plan.pk}.pdf", ContentFile(b"%PDF-1.4 test"))
    PlanDocument.objects.filter(pk=plan.document.pk).update(status="done", file_name=name)
    from needling.plans import services

    draft_plan = services.plan_create(
        user=therapist,
        patient=plan.patient,
        condition=plan.condition,
        planned_date=timezone.localdate(),
        location=location,
    )
    appointment = AppointmentFactory(
        location=location,
        therapist=therapist,
        patient=plan.patient,
        starts_at=timezone.now().replace(microsecond=0) + dt.timedelta(days=3),
    )
    from clinic.reports.models import ExportJob

    job = ExportJob(manager=manager, report="activity", format="csv", status="done")
    job.file_name = default_storage.save(f"exports/{job.pk}.csv", ContentFile(b"Date\n"))
    job.save()
    token, _key = ApiToken.issue(user=therapist, name="lab")
    other_patient = PatientFactory()
    return {
        "users": users,
        "patient": plan.patient,
        "screening": ScreeningFactory(patient=plan.patient),
        "consent": ConsentFactory(patient=plan.patient),
        "other_patient": other_patient,
        "other_screening": ScreeningFactory(patient=other_patient),
        "other_consent": ConsentFactory(patient=other_patient),
        "plan": plan,
        "draft_plan": draft_plan,
        "draft": draft,
        "signed": signed,
        "appointment": appointment,
        "job": job,
        "token": token,
    }


@pytest.fixture(scope="module")
def world_files(tmp_path_factory):
    """The private files the world's rows point at (a plan PDF, an export)."""
    return tmp_path_factory.mktemp("private")


@pytest.fixture(scope="module")
def world_rows(world_files, django_db_setup, django_db_blocker):
    # The world is costly to build: once for the module, each test's changes rolled back.
    def build():
        rows = _world()
        return rows, module_sessions(rows["users"])

    with (
        override_settings(STORAGES=_private_storage(world_files)),
        rows_for_the_module(django_db_blocker, build) as (rows, sessions),
    ):
        SESSIONS.clear()
        SESSIONS.update(sessions)
        yield rows


# Each user's logged-in session, made with the world (tests/shared_rows.py).
SESSIONS: dict[str, str] = {}


def _fresh(row):
    return type(row)._base_manager.get(pk=row.pk)


@pytest.fixture
def world(world_rows, world_files, db, settings, tmp_path):
    """Fresh instances of the module's rows per test, and a private folder of the test's own
    holding the module's files (what a test's request writes there stays with it)."""
    shutil.copytree(world_files, tmp_path, dirs_exist_ok=True)
    settings.STORAGES = _private_storage(tmp_path)
    return {
        name: (
            {user: _fresh(row) for user, row in rows.items()} if name == "users" else _fresh(rows)
        )
        for name, rows in world_rows.items()
    }


@dataclass(frozen=True)
class Case:
    kind: str
    url: str
    kwargs: object  # world -> kwargs
    missing: object  # kwargs -> kwargs of a missing object of the same kind
    sees: frozenset[str]  # users who reach the object (anything but 404)
    # Refused by the role check before any lookup: the same 404 as for a missing object.
    refused_by_role: frozenset[str] = frozenset()
    # May read the object, so its existence is no secret, but may not do this to it: 403.
    reads_but_may_not_act: frozenset[str] = frozenset()
    method: str = "get"
    htmx: bool = False
    data: dict = field(default_factory=dict)


def pk_of(name):
    return lambda w: {"pk": w[name].pk}


def new_uuid(kwargs):
    return {**kwargs, "pk": uuid.uuid4()}


def new_int(kwargs):
    return {**kwargs, "pk": MISSING_INT}


def new_patient_uuid(kwargs):
    return {**kwargs, "patient_pk": uuid.uuid4()}


def patient_pk_of(w):
    return {"patient_pk": w["patient"].pk}


EVERYONE = frozenset({"owner", "colleague", "outsider", "desk", "desk_away", "manager", "manager2"})
PLAN_READERS = frozenset({"owner", "colleague", "manager", "manager2"})
DESKS = frozenset({"desk", "desk_away"})
THERAPISTS = frozenset({"owner", "colleague", "outsider"})
MANAGERS = frozenset({"manager", "manager2"})
# Appointments: managers all, the front desk those at their locations, a therapist their own.
APPOINTMENT_SEERS = frozenset({"owner", "desk", "manager", "manager2"})


def _screening_kwargs(w):
    return {"pk": w["patient"].pk, "screening_pk": w["screening"].pk}


def _foreign_screening(w):
    return {"pk": w["patient"].pk, "screening_pk": w["other_screening"].pk}


def _consent_kwargs(w):
    return {"pk": w["patient"].pk, "consent_pk": w["consent"].pk}


def _foreign_consent(w):
    return {"pk": w["patient"].pk, "consent_pk": w["other_consent"].pk}


CASES = [
    # Patients are clinic-wide: every role reads every patient, at every location.
    Case("patient", "patients:detail", pk_of("patient"), new_uuid, EVERYONE),
    # ... yet a role without the permission cannot tell a real patient from a missing one.
    Case("patient", "patients:edit", pk_of("patient"), new_uuid, THERAPISTS | DESKS, MANAGERS),
    Case(
        "patient",
        "patients:access_log",
        pk_of("patient"),
        new_uuid,
        MANAGERS,
        THERAPISTS | DESKS,
    ),
    Case(
        "patient",
        "patients:screening_new",
        pk_of("patient"),
        new_uuid,
        THERAPISTS | DESKS,
        MANAGERS,
    ),
    # The outcomes partial: every therapist and manager (the notes in it are filtered).
    Case(
        "patient",
        "needling:patient_outcomes",
        patient_pk_of,
        new_patient_uuid,
        THERAPISTS | MANAGERS,
        DESKS,
        htmx=True,
    ),
    # The FHIR download: managers and the treating therapist only.
    Case(
        "patient",
        "needling:patient_fhir_bundle",
        patient_pk_of,
        new_patient_uuid,
        {"owner"} | MANAGERS,
        DESKS,
    ),
    Case("screening", "patients:screening_detail", _screening_kwargs, None, EVERYONE),
    # ... but a screening or consent asked for under another patient is a 404 for everyone.
    Case("screening", "patients:screening_detail", _foreign_screening, None, frozenset()),
    Case("consent", "patients:consent_pdf", _consent_kwargs, None, EVERYONE),
    Case("consent", "patients:consent_pdf", _foreign_consent, None, frozenset()),
    Case(
        "consent",
        "patients:consent_withdraw",
        _consent_kwargs,
        None,
        THERAPISTS | DESKS,
        MANAGERS,
    ),
    # DN plans: the practitioner, therapists of the plan's location, managers.
    Case("plan", "needling:plan_detail", pk_of("plan"), new_uuid, PLAN_READERS, DESKS),
    Case(
        "plan", "needling:plan_workspace", pk_of("plan"), new_uuid, PLAN_READERS, DESKS, htmx=True
    ),
    Case(
        "plan",
        "needling:plan_edit",
        pk_of("draft_plan"),
        new_uuid,
        {"owner", "colleague"},
        DESKS | MANAGERS,
    ),
    Case(
        "plan",
        "needling:plan_approve",
        pk_of("draft_plan"),
        new_uuid,
        {"owner", "colleague"},
        DESKS | MANAGERS,
    ),
    Case(
        "plan",
        "needling:plan_new_version",
        pk_of("plan"),
        new_uuid,
        {"owner", "colleague"},
        DESKS | MANAGERS,
    ),
    Case(
        "plan",
        "needling:plan_site_add",
        pk_of("draft_plan"),
        new_uuid,
        {"owner", "colleague"},
        DESKS | MANAGERS,
        method="post",
        htmx=True,
        data={"muscle": "", "side": "left"},
    ),
    Case(
        "plan",
        "needling:plan_override",
        pk_of("draft_plan"),
        new_uuid,
        {"owner", "colleague"},
        DESKS | MANAGERS,
        method="post",
        htmx=True,
        data={"rule": "anticoagulant", "reason": "x" * 30},
    ),
    Case(
        "plan",
        "needling:plan_override_reconfirm",
        pk_of("draft_plan"),
        new_uuid,
        {"owner", "colleague"},
        DESKS | MANAGERS,
        method="post",
        htmx=True,
        data={"rule": "anticoagulant"},
    ),
    Case(
        "plan PDF",
        "needling:plan_document",
        pk_of("plan"),
        new_uuid,
        PLAN_READERS,
        DESKS,
        htmx=True,
    ),
    Case(
        "plan PDF", "needling:plan_document_download", pk_of("plan"), new_uuid, PLAN_READERS, DESKS
    ),
    Case(
        "plan PDF",
        "needling:plan_document_retry",
        pk_of("plan"),
        new_uuid,
        {"owner", "colleague"},
        DESKS | MANAGERS,
        method="post",
    ),
    # Session notes: the author, therapists of the note's location, managers; drafts only
    # their author edits or signs.
    Case("session note", "needling:session_detail", pk_of("signed"), new_uuid, PLAN_READERS, DESKS),
    Case(
        "session note",
        "needling:session_edit",
        pk_of("draft"),
        new_uuid,
        {"owner"},
        DESKS | MANAGERS,
    ),
    Case(
        "session note",
        "needling:session_sign",
        pk_of("draft"),
        new_uuid,
        {"owner"},
        DESKS | MANAGERS,
    ),
    Case(
        "session note",
        "needling:adverse_event_add",
        pk_of("draft"),
        new_uuid,
        {"owner"},
        DESKS | MANAGERS,
        method="post",
        data={"kind": "bruising", "severity": "mild"},
    ),
    Case(
        "addendum",
        "needling:session_detail",
        pk_of("signed"),
        new_uuid,
        {"owner", "colleague"},
        DESKS,
        reads_but_may_not_act=MANAGERS,
        method="post",
        data={"text": "A late entry that must not land on a note the user cannot see."},
    ),
    # Appointments: managers, the front desk of the location, the appointment's therapist.
    Case(
        "appointment",
        "booking:appointment_detail",
        pk_of("appointment"),
        new_int,
        APPOINTMENT_SEERS,
    ),
    Case(
        "appointment",
        "booking:appointment_move",
        pk_of("appointment"),
        new_int,
        {"desk", "manager", "manager2"},
        THERAPISTS,
    ),
    Case(
        "appointment",
        "booking:appointment_cancel",
        pk_of("appointment"),
        new_int,
        {"desk", "manager", "manager2"},
        THERAPISTS,
    ),
    Case(
        "appointment",
        "booking:appointment_check_in",
        pk_of("appointment"),
        new_int,
        APPOINTMENT_SEERS,
        method="post",
    ),
    Case(
        "appointment",
        "booking:appointment_complete",
        pk_of("appointment"),
        new_int,
        {"owner", "manager", "manager2"},
        DESKS,
        method="post",
    ),
    Case(
        "appointment",
        "booking:appointment_no_show",
        pk_of("appointment"),
        new_int,
        {"desk", "manager", "manager2"},
        THERAPISTS,
        method="post",
    ),
    # Export files: only the manager who asked for them.
    Case("export file", "reports:job", pk_of("job"), new_uuid, {"manager"}, DESKS | THERAPISTS),
    Case(
        "export file",
        "reports:job",
        pk_of("job"),
        new_uuid,
        {"manager"},
        DESKS | THERAPISTS,
        htmx=True,
    ),
    Case(
        "export file",
        "reports:job_download",
        pk_of("job"),
        new_uuid,
        {"manager"},
        DESKS | THERAPISTS,
    ),
    # API tokens: only their owner.
    Case(
        "API token", "needling:api_token_revoke", pk_of("token"), new_int, {"owner"}, method="post"
    ),
]

USERS = sorted(EVERYONE)


def _request(client, case: Case, kwargs):
    url = reverse(case.url, kwargs=kwargs)
    headers = {"HX-Request": "true"} if case.htmx else {}
    if case.method == "post":
        return client.post(url, case.data, headers=headers)
    return client.get(url, headers=headers)


def _snapshot():
    """Counts of what a refused POST must not create or change."""
    from clinic.booking.models import Appointment
    from needling.api.models import ApiToken
    from needling.plans.models import PlanOverride, PlanSite
    from needling.sessions.models import AdverseEvent, SessionAddendum

    return (
        SessionAddendum.objects.count(),
        AdverseEvent.objects.count(),
        PlanSite.objects.count(),
        PlanOverride.objects.count(),
        ApiToken.objects.filter(revoked_at__isnull=True).count(),
        tuple(Appointment.objects.values_list("status", flat=True).order_by("pk")),
    )


def _case_id(case: Case) -> str:
    return f"{case.kind}:{case.url}:{case.method}{':htmx' if case.htmx else ''}"


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_a_refused_user_cannot_tell_a_real_object_from_a_missing_one(client, world, case):
    # Every user in one test (the world is costly to build): each is its own client login.
    kwargs = case.kwargs(world)
    for user in USERS:
        log_in(client, SESSIONS[user])
        before = _snapshot()
        response = _request(client, case, kwargs)
        if user in case.sees:
            assert response.status_code not in (403, 404), f"{user} should reach the {case.kind}"
            assert response.status_code < 500, user
            continue
        if user in case.reads_but_may_not_act:
            assert response.status_code == 403, user
            assert _snapshot() == before, f"a refused {user} changed something"
            continue
        how = "by role" if user in case.refused_by_role else "by location, author or owner"
        assert response.status_code == 404, f"{user} {case.method} {case.url}, refused {how}"
        assert _snapshot() == before, f"a refused {user} changed something"
        if case.missing is not None:
            missing = _request(client, case, case.missing(kwargs))
            assert missing.status_code == 404, f"{user}: a missing {case.kind}"
            assert response.content == missing.content, f"{user}: {case.url} tells them apart"


def test_the_table_refuses_by_role_and_by_location_for_every_kind_it_can():
    """Both kinds of refusal are in the table: a role refusal for every object kind some role
    is refused (screenings and API tokens have none: every role reads every screening and
    has tokens of its own), and a location, author or owner refusal for every kind."""
    by_role = {case.kind for case in CASES if case.refused_by_role}
    by_scope = {
        case.kind
        for case in CASES
        if EVERYONE - case.sees - case.refused_by_role - case.reads_but_may_not_act
    }
    assert by_role == {
        "patient",
        "consent",
        "plan",
        "plan PDF",
        "session note",
        "addendum",
        "appointment",
        "export file",
    }
    assert by_scope >= {
        "screening",
        "consent",
        "plan",
        "plan PDF",
        "session note",
        "addendum",
        "appointment",
        "export file",
        "API token",
        "patient",
    }
    # Every role refusal is checked at the object's location and at another one.
    for case in CASES:
        if case.refused_by_role & DESKS:
            assert case.refused_by_role >= DESKS, _case_id(case)
        if case.refused_by_role & MANAGERS:
            assert case.refused_by_role >= MANAGERS, _case_id(case)


def test_the_table_covers_every_object_kind():
    kinds = {case.kind for case in CASES}
    assert kinds == {
        "patient",
        "screening",
        "consent",
        "plan",
        "plan PDF",
        "session note",
        "addendum",
        "appointment",
        "export file",
        "API token",
    }


@pytest.mark.parametrize("user", ["outsider", "manager", "desk"])
def test_lists_show_only_the_plans_a_user_may_read(client, world, user):
    client.force_login(world["users"][user])
    plan_list = client.get(reverse("needling:plan_list"))
    patient_page = client.get(reverse("patients:detail", kwargs={"pk": world["patient"].pk}))
    listed = str(world["plan"].pk).encode()
    if user == "manager":
        assert listed in plan_list.content and listed in patient_page.content
    elif user == "outsider":
        assert plan_list.status_code == 200 and listed not in plan_list.content
        assert patient_page.status_code == 200 and listed not in patient_page.content
    else:
        assert plan_list.status_code == 403 and listed not in patient_page.content


def test_the_screening_api_refers_to_no_stored_object(client, world):
    """The API screens the case it is sent (no ids): a revoked token is a 401, no leak."""
    from needling.api.models import ApiToken

    token, key = ApiToken.issue(user=world["users"]["outsider"], name="gone")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    response = client.post(
        reverse("api_screening_evaluate"),
        data="{}",
        content_type="application/json",
        headers={"Authorization": f"Token {key}"},
    )
    assert response.status_code == 401
