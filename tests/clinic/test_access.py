"""Secure by default: every URL needs login unless allow-listed, and every view checks a role.

The matrix below names, for every URL pattern of the app, which roles may use it. A new URL
without a row here fails test_every_url_is_in_the_role_matrix, so no view ships unchecked.

A role that may not use a URL naming an object (any URL argument: a pk, a uuid, a slug) gets
404, the same response as for an object that is not there, so it cannot tell a real id from a
made-up one; a URL that names nothing (a list, a create page) answers 403 (docs/permissions.md,
"What a refusal looks like").
"""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    ConditionFactory,
    ConsentFactory,
    PatientFactory,
    ScreeningFactory,
    UserFactory,
)
from tests.shared_rows import log_in, module_sessions, rows_for_the_module

ALL = {"therapist", "front_desk", "manager"}
MANAGER = {"manager"}


def walk(patterns=None, namespace: str | None = None, prefix: str = ""):
    """Yield (qualified name, route, callback) for every URL pattern, however deeply included."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, inner, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = entry.name
            if name and namespace:
                name = f"{namespace}:{name}"
            yield name, prefix + str(entry.pattern), entry.callback


def app_patterns():
    return [p for p in walk() if p[0] and not p[0].startswith("admin:")]


def sample_kwargs(route: str) -> dict:
    kwargs = {}
    for converter, name in _converters(route):
        kwargs[name] = uuid.uuid4() if converter == "uuid" else 1
    return kwargs


def missing_kwargs(route: str) -> dict:
    """Arguments that name nothing in the database: what a made-up URL would carry."""
    kwargs = {}
    for converter, name in _converters(route):
        if converter == "uuid":
            kwargs[name] = uuid.uuid4()
        elif converter == "int":
            kwargs[name] = 987_654_321
        else:
            kwargs[name] = "no-such-thing"
    return kwargs


def _converters(route: str):
    import re

    return re.findall(r"<(?:(\w+):)?(\w+)>", route)


def test_every_url_pattern_has_a_name():
    unnamed = [route for name, route, _ in walk() if not name and "admin" not in route]
    assert unnamed == []


def test_public_urls_are_exactly_the_allow_list():
    public = {name for name, _, view in walk() if getattr(view, "login_required", True) is False}
    # The admin has its own login-not-required views besides admin:login (e.g. its JS catalog);
    # they are the admin's business. Outside the admin, public means allow-listed.
    public = {name for name in public if not name.startswith("admin:")} | ({"admin:login"} & public)
    assert public == set(settings.PUBLIC_URL_NAMES)


def test_every_non_public_view_declares_its_permissions():
    undeclared = [
        name
        for name, _, view in app_patterns()
        if name not in settings.PUBLIC_URL_NAMES and not hasattr(view, "required_permissions")
    ]
    assert undeclared == []


@pytest.mark.django_db
def test_every_non_public_url_redirects_anonymous_users_to_login(client):
    checked = 0
    for name, route, _ in app_patterns():
        if name in settings.PUBLIC_URL_NAMES:
            continue
        response = client.get(reverse(name, kwargs=sample_kwargs(route)))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name
        checked += 1
    assert checked > 15
    # The admin sends anonymous users to its own login page.
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_public_urls_answer_without_login(client):
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("health")).status_code == 200
    # Patient links: a page of their own (never the login page), 404 for an unknown token.
    assert client.get(reverse("intake:open", args=["unknown"])).status_code == 404
    assert client.get(reverse("intake:appointment", args=["unknown"])).status_code == 404
    assert client.get(reverse("intake:step", args=[1])).status_code == 404
    assert client.get(reverse("intake:done")).status_code == 200


# --- The role by URL matrix ----------------------------------------------------------------


def _staff(ctx):
    return {"pk": ctx["therapist"].pk}


def _location(ctx):
    return {"pk": ctx["location"].pk}


def _stricter(ctx):
    return {"pk": ctx["stricter"].pk}


def _own_token(ctx):
    # Every role's client asks for a token of its own; the builder makes one per role.
    from needling.api.models import ApiToken

    return {"pk": ApiToken.issue(user=ctx["current"], name="matrix")[0].pk}


def _patient(ctx):
    return {"pk": ctx["patient"].pk}


def _screening(ctx):
    return {"pk": ctx["patient"].pk, "screening_pk": ctx["screening"].pk}


def _consent(ctx):
    return {"pk": ctx["patient"].pk, "consent_pk": ctx["consent"].pk}


def _condition(ctx):
    return {"pk": ctx["patient"].pk, "condition_pk": ctx["condition"].pk}


def _consent_text(ctx):
    return {"version": 1}


def _draft_plan(ctx):
    if "plan" not in ctx:
        from django.utils import timezone

        from needling.plans import services

        ctx["plan"] = services.plan_create(
            user=ctx["therapist"],
            patient=ctx["patient"],
            condition=ctx["condition"],
            planned_date=timezone.localdate(),
        )
    return ctx["plan"]


def _plan(ctx):
    return {"pk": _draft_plan(ctx).pk}


def _plan_site(ctx):
    from needling.knowledge.models import Muscle
    from needling.plans import services

    plan = _draft_plan(ctx)
    site = services.plan_site_add(
        plan=plan, user=ctx["therapist"], muscle=Muscle.objects.get(code="deltoid"), side="left"
    )
    return {"pk": plan.pk, "site_pk": site.pk}


def make_approved_plan(therapist):
    """An approved plan (screened today, consent today) with its PDF rendered."""
    from django.utils import timezone

    from needling.knowledge.models import Muscle
    from needling.plans import documents, services

    today = timezone.localdate()
    patient = PatientFactory()
    ScreeningFactory(patient=patient, taken_on=today)
    ConsentFactory(patient=patient, signed_on=today)
    plan = services.plan_create(
        user=therapist,
        patient=patient,
        condition=ConditionFactory(patient=patient),
        planned_date=today,
    )
    services.plan_site_add(
        plan=plan, user=therapist, muscle=Muscle.objects.get(code="deltoid"), side="left"
    )
    approved = services.plan_approve(plan=plan, user=therapist)
    documents.plan_document_render(document_id=approved.document.pk)
    return approved


def _approved_plan(ctx):
    # The matrix rows carry one, made once for the module (rendering the PDF is costly).
    if "approved_plan" not in ctx:
        ctx["approved_plan"] = make_approved_plan(ctx["therapist"])
    return {"pk": ctx["approved_plan"].pk}


CLINICIANS = {"therapist", "front_desk"}
THERAPIST = {"therapist"}
PLAN_READERS = {"therapist", "manager"}


def _appointment(ctx):
    """One appointment per context, however many builders ask for it (a second one at the
    same time would clash with the first: PostgreSQL's exclusion constraint refuses it)."""
    from tests.booking.factories import AppointmentFactory

    if "appointment" not in ctx:
        ctx["appointment"] = AppointmentFactory(
            location=ctx["location"], therapist=ctx["therapist"], patient=ctx["patient"]
        )
    return {"pk": ctx["appointment"].pk}


def _appointment_type(ctx):
    from tests.booking.factories import AppointmentTypeFactory

    return {"pk": AppointmentTypeFactory().pk}


def _working_hours(ctx):
    from clinic.booking.models import WorkingHours

    row = WorkingHours.objects.create(
        therapist=ctx["therapist"],
        location=ctx["location"],
        weekday=0,
        starts=__import__("datetime").time(8),
        ends=__import__("datetime").time(12),
    )
    return {"pk": row.pk}


def _absence(ctx):
    from tests.booking.factories import absence

    return {"pk": absence(ctx["therapist"], __import__("datetime").date(2030, 1, 7)).pk}


def _session(ctx):
    """A draft DN session note by the matrix therapist (cached per test)."""
    if "session" not in ctx:
        from tests.sessions.helpers import opened_session

        ctx["session"] = opened_session(therapist=ctx["therapist"], location=ctx["location"])
    return ctx["session"]


def _session_pk(ctx):
    return {"pk": _session(ctx).pk}


def _session_appointment(ctx):
    from tests.sessions.helpers import dn_appointment

    appointment = dn_appointment(
        therapist=ctx["therapist"], patient=ctx["patient"], location=ctx["location"]
    )
    return {"appointment_pk": appointment.pk}


def _session_event(ctx):
    from needling.sessions import services as session_services

    session = _session(ctx)
    event = session_services.adverse_event_add(
        session=session, user=ctx["therapist"], kind="bruising", severity="mild"
    )
    return {"pk": session.pk, "event_pk": event.pk}


def _export_job(ctx):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from clinic.reports.models import ExportJob

    job = ExportJob(manager=ctx["current"], report="activity", format="csv", status="done")
    job.file_name = default_storage.save(f"exports/{job.pk}.csv", ContentFile(b"Date\n"))
    job.save()
    return {"pk": job.pk}


def _fhir_patient(ctx):
    # The matrix therapist treats the patient (an appointment), so may export the record.
    _appointment(ctx)
    return {"patient_pk": ctx["patient"].pk}


def _intake(ctx):
    from tests.intake.helpers import pending_intake

    return {"pk": pending_intake(ctx["patient"]).pk}


def _intake_link(ctx):
    from patients.intake import services

    link, _ = services.link_issue(
        patient=ctx["patient"],
        purpose="intake",
        channel="email",
        sent_to="patient@example.test",
        created_by=None,
    )
    return {"pk": link.pk}


DESK = {"front_desk", "manager"}
# name -> (kwargs builder, roles allowed, status an allowed role gets for GET)
MATRIX = {
    "home": (None, ALL, 200),
    "profile": (None, ALL, 200),
    "logout": (None, ALL, 405),  # POST only
    "password_change": (None, ALL, 200),
    "password_change_done": (None, ALL, 200),
    "dashboard": (None, MANAGER, 200),
    "staff_list": (None, MANAGER, 200),
    "staff_create": (None, MANAGER, 200),
    "staff_detail": (_staff, MANAGER, 200),
    "staff_edit": (_staff, MANAGER, 200),
    "licence_add": (_staff, MANAGER, 200),
    "certification_add": (_staff, MANAGER, 200),
    "location_list": (None, ALL, 200),
    "location_detail": (_location, ALL, 200),
    "location_create": (None, MANAGER, 200),
    "location_edit": (_location, MANAGER, 200),
    "room_create": (_location, MANAGER, 405),  # POST only
    "needling:rules": (None, ALL, 200),
    "needling:muscles": (None, {"therapist", "manager"}, 200),
    "needling:policy": (None, MANAGER, 200),
    "needling:stricter_revoke": (_stricter, MANAGER, 200),
    "api_schema": (None, ALL, 200),
    "api_docs": (None, ALL, 200),
    "needling:api_tokens": (None, ALL, 200),
    "needling:api_token_revoke": (_own_token, ALL, 405),  # POST only
    "patients:list": (None, ALL, 200),
    "patients:detail": (_patient, ALL, 200),
    "patients:register": (None, CLINICIANS, 200),
    "patients:edit": (_patient, CLINICIANS, 200),
    "patients:archive": (_patient, CLINICIANS, 200),
    "patients:restore": (_patient, CLINICIANS, 405),  # POST only
    "patients:access_log": (_patient, MANAGER, 200),
    "patients:screening_new": (_patient, CLINICIANS, 200),
    "patients:screening_detail": (_screening, ALL, 200),
    "patients:consent_new": (_patient, CLINICIANS, 200),
    "patients:consent_pdf": (_consent, ALL, 200),
    "patients:consent_withdraw": (_consent, CLINICIANS, 200),
    "patients:consent_texts": (None, ALL, 200),
    "patients:consent_text_detail": (_consent_text, ALL, 200),
    "patients:consent_text_new": (None, MANAGER, 200),
    "patients:condition_new": (_patient, THERAPIST, 200),
    "patients:condition_resolve": (_condition, THERAPIST, 200),
    "patients:icd10_search": (None, THERAPIST, 200),
    "patients:pain_map_new": (_patient, THERAPIST, 200),
    "patients:outcome_new": (_patient, THERAPIST, 200),
    "booking:calendar": (None, ALL, 302),  # to the day view of the user's location
    "booking:day": (_location, ALL, 200),
    "booking:week": (_location, ALL, 200),
    "booking:book": (_location, DESK, 200),
    "booking:free_slots": (_location, DESK, 200),
    "booking:patient_search": (None, DESK, 200),
    "booking:readiness": (None, DESK, 200),
    "booking:appointment_detail": (_appointment, ALL, 200),
    "booking:appointment_move": (_appointment, DESK, 200),
    "booking:appointment_cancel": (_appointment, DESK, 200),
    "booking:appointment_check_in": (_appointment, ALL, 405),  # POST only
    "booking:appointment_complete": (_appointment, {"therapist", "manager"}, 405),
    "booking:appointment_no_show": (_appointment, DESK, 405),
    "booking:calendar_feed_settings": (None, THERAPIST, 200),
    "booking:calendar_feed_rotate": (None, THERAPIST, 405),  # POST only
    "booking:calendar_feed_revoke": (None, THERAPIST, 405),  # POST only
    "booking:setup": (None, MANAGER, 200),
    "booking:type_list": (None, MANAGER, 200),
    "booking:type_create": (None, MANAGER, 200),
    "booking:type_edit": (_appointment_type, MANAGER, 200),
    "booking:hours": (_location, MANAGER, 200),
    "booking:opening_hours_edit": (_location, MANAGER, 200),
    "booking:working_hours_add": (_location, MANAGER, 200),
    "booking:working_hours_delete": (_working_hours, MANAGER, 200),
    "booking:exception_list": (None, MANAGER, 200),
    "booking:exception_add": (None, MANAGER, 200),
    "booking:exception_delete": (_absence, MANAGER, 200),
    "needling:plan_list": (None, PLAN_READERS, 200),
    "needling:plan_new": (lambda ctx: {"patient_pk": ctx["patient"].pk}, THERAPIST, 200),
    "needling:plan_detail": (_plan, PLAN_READERS, 200),
    "needling:plan_edit": (_plan, THERAPIST, 200),
    "needling:plan_workspace": (_plan, PLAN_READERS, 200),
    "needling:plan_site_add": (_plan, THERAPIST, 405),  # POST only
    "needling:plan_site_suggested": (_plan, THERAPIST, 405),  # POST only
    "needling:plan_site_remove": (_plan_site, THERAPIST, 405),  # POST only
    "needling:plan_override": (_plan, THERAPIST, 405),  # POST only
    "needling:plan_override_reconfirm": (_plan, THERAPIST, 405),  # POST only
    "needling:plan_approve": (_plan, THERAPIST, 200),
    "needling:plan_new_version": (_approved_plan, THERAPIST, 200),
    "needling:plan_document": (_approved_plan, PLAN_READERS, 200),
    "needling:plan_document_retry": (_approved_plan, THERAPIST, 405),  # POST only
    "needling:plan_document_download": (_approved_plan, PLAN_READERS, 200),
    "needling:session_start": (_session_appointment, THERAPIST, 200),
    "needling:session_flags": (None, MANAGER, 200),
    "needling:session_detail": (_session_pk, PLAN_READERS, 200),
    "needling:session_edit": (_session_pk, THERAPIST, 200),
    "needling:session_sign": (_session_pk, THERAPIST, 200),
    "needling:adverse_event_add": (_session_pk, THERAPIST, 405),  # POST only
    "needling:adverse_event_remove": (_session_event, THERAPIST, 405),  # POST only
    "needling:patient_outcomes": (
        lambda ctx: {"patient_pk": ctx["patient"].pk},
        PLAN_READERS,
        200,
    ),
    "needling:patient_fhir_bundle": (_fhir_patient, PLAN_READERS, 200),
    "reports:index": (None, MANAGER, 200),
    "reports:report": (lambda ctx: {"slug": "activity"}, MANAGER, 200),
    "reports:export": (lambda ctx: {"slug": "activity", "format": "csv"}, MANAGER, 200),
    "reports:job": (_export_job, MANAGER, 200),
    "reports:job_download": (_export_job, MANAGER, 200),
    "intake:list": (None, ALL, 200),
    "intake:review": (_intake, ALL, 200),
    "intake:accept": (_intake, CLINICIANS, 405),  # POST only
    "intake:return": (_intake, CLINICIANS, 405),  # POST only
    "intake:send": (_patient, CLINICIANS, 200),
    "intake:revoke": (_intake_link, CLINICIANS, 405),  # POST only
}


def test_every_url_is_in_the_role_matrix():
    names = {name for name, _, _ in app_patterns()} - set(settings.PUBLIC_URL_NAMES)
    assert names == set(MATRIX)


def _matrix_rows() -> dict:
    """The role users at their location, a patient with a screening, a consent and a
    condition, and an approved plan with its PDF: what the builders above point the URLs at."""
    from needling.knowledge.models import Contraindication, StricterRule
    from tests.conftest import make_front_desk, make_location, make_manager, make_therapist

    location = make_location()
    role_users = {
        "therapist": make_therapist(location),
        "front_desk": make_front_desk(location),
        "manager": make_manager(location),
    }
    stricter = StricterRule.objects.create(
        rule=Contraindication.objects.get(code="pregnancy"),
        reason="Clinic line: no needling in any trimester.",
        adopted_by=role_users["manager"],
    )
    patient = PatientFactory()
    return {
        **role_users,
        "location": location,
        "patient": patient,
        "screening": ScreeningFactory(patient=patient),
        "consent": ConsentFactory(patient=patient),
        "condition": ConditionFactory(patient=patient),
        "stricter": stricter,
        "approved_plan": make_approved_plan(role_users["therapist"]),
    }


@pytest.fixture(scope="module")
def matrix_rows(django_db_setup, django_db_blocker):
    # Built once for the ~290 matrix tests; each test's own rows are rolled back after it.
    def build():
        rows = _matrix_rows()
        return rows, module_sessions({role: rows[role] for role in ALL})

    with rows_for_the_module(django_db_blocker, build) as (rows, sessions):
        MATRIX_SESSIONS.clear()
        MATRIX_SESSIONS.update(sessions)
        yield rows


# The roles' logged-in sessions, made with the matrix rows (tests/shared_rows.py).
MATRIX_SESSIONS: dict[str, str] = {}


@pytest.fixture
def matrix_context(matrix_rows, db):
    # Fresh instances per test, so nothing one test caches on an object reaches the next.
    return {name: type(row)._base_manager.get(pk=row.pk) for name, row in matrix_rows.items()}


ROUTES = {name: route for name, route, _ in app_patterns()}


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_matrix(client, matrix_context, role, name):
    builder, allowed, allowed_status = MATRIX[name]
    matrix_context["current"] = matrix_context[role]
    kwargs = builder(matrix_context) if builder else {}
    log_in(client, MATRIX_SESSIONS[role])
    response = client.get(reverse(name, kwargs=kwargs))
    if role in allowed:
        assert response.status_code == allowed_status, f"{role} GET {name}"
    elif not kwargs:
        # Names nothing, so the refusal reveals nothing: a plain 403.
        assert response.status_code == 403, f"{role} GET {name}"
    else:
        # Names an object: the refusal is the 404 of an object not there, byte for byte, for
        # the page, its htmx partial and a POST (the actions, refused before the form is read).
        url = reverse(name, kwargs=kwargs)
        missing = client.get(reverse(name, kwargs=missing_kwargs(ROUTES[name])))
        assert response.status_code == 404, f"{role} GET {name}"
        assert missing.status_code == 404, f"{role} GET a missing {name}"
        assert response.content == missing.content, f"{role} GET {name}"
        htmx = {"HX-Request": "true"}
        assert client.get(url, headers=htmx).status_code == 404, f"{role} htmx GET {name}"
        assert client.post(url, {}, headers=htmx).status_code == 404, f"{role} htmx POST {name}"
        assert client.post(url, {}).status_code == 404, f"{role} POST {name}"


@pytest.mark.django_db
def test_a_user_without_a_role_is_refused_everything_but_home(client):
    client.force_login(UserFactory(username="norole"))
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("staff_list")).status_code == 403
    assert client.get(reverse("patients:list")).status_code == 403
    patient = PatientFactory()
    assert client.get(reverse("patients:detail", kwargs={"pk": patient.pk})).status_code == 404


def test_unknown_objects_give_404_not_500(manager_client):
    assert manager_client.get(reverse("staff_detail", kwargs={"pk": 999999})).status_code == 404
    assert manager_client.get(reverse("location_detail", kwargs={"pk": 999999})).status_code == 404
    missing = reverse("patients:detail", kwargs={"pk": uuid.uuid4()})
    assert manager_client.get(missing).status_code == 404


@pytest.mark.django_db
def test_requires_answers_by_the_shape_of_the_url_and_sends_anonymous_users_to_login(rf):
    """The decorator itself, without the middleware in front of it: an anonymous request is
    sent to the login page (never a 403 or 404 it could not act on), a user without the
    permission gets 404 where the URL names something and 403 where it names nothing, and a
    user with it reaches the view."""
    from django.contrib.auth.models import AnonymousUser, Permission
    from django.core.exceptions import PermissionDenied
    from django.http import Http404, HttpResponse

    from clinic.common.access import requires

    @requires("clinic.view_reports")
    def view(request, **kwargs):
        return HttpResponse("reached")

    anonymous = rf.get("/somewhere/?tab=2")
    anonymous.user = AnonymousUser()
    response = view(anonymous, pk=1)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "next=/somewhere/%3Ftab%3D2" in response["Location"]

    request = rf.get("/somewhere/")
    request.user = UserFactory(username="plain")
    with pytest.raises(Http404):
        view(request, pk=1)
    with pytest.raises(PermissionDenied):
        view(request)

    request.user.user_permissions.add(Permission.objects.get(codename="view_reports"))
    request.user = type(request.user).objects.get(pk=request.user.pk)  # no permission cache
    assert view(request, pk=1).content == b"reached"
    assert view(request).content == b"reached"
    assert view.required_permissions == frozenset({"clinic.view_reports"})
