"""Plan pages: the editor and its live screening panel (htmx), permissions, 404s, downloads,
query counts, and bad input that never produces a 500."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from needling.knowledge.rules import RELATIVE_RULE_CODES
from needling.plans import documents, services
from needling.plans.models import PlanDocument, PlanOverride, PlanSite, TreatmentPlan
from patients.services import pain_map_record
from tests.factories import ConditionFactory, PatientFactory, ScreeningFactory, add_findings
from tests.hypothesis_profiles import examples
from tests.plans.conftest import REASON, TODAY, add

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def url(name: str, plan, **kwargs) -> str:
    return reverse(f"needling:{name}", kwargs={"pk": plan.pk, **kwargs})


@pytest.fixture
def warfarin(patient):
    return ScreeningFactory(
        patient=patient,
        taken_on=TODAY,
        anticoagulant_drug="warfarin",
        vitamin_k_antagonist=True,
        inr="2.5",
        inr_on=TODAY - dt.timedelta(days=3),
    )


def approved(plan, therapist):
    add(plan, therapist, "deltoid", "right")
    services.plan_approve(plan=plan, user=therapist)
    documents.plan_document_render(document_id=PlanDocument.objects.get(plan=plan).pk)
    return TreatmentPlan.objects.get(pk=plan.pk)


# --- Creating a plan ---------------------------------------------------------------------------


def test_a_therapist_creates_a_plan_from_the_patient_page(therapist_client, patient, condition):
    page = therapist_client.get(reverse("patients:detail", args=[patient.pk]))
    new_url = reverse("needling:plan_new", args=[patient.pk])
    assert new_url in page.content.decode()
    response = therapist_client.post(
        new_url,
        {
            "condition": condition.pk,
            "practitioner": page.wsgi_request.user.pk,
            "planned_date": "2026-03-12",
            "sessions_planned": 6,
            "frequency": "twice_weekly",
            "complementary": ["stretching", "cupping"],
            "goals": "Reduce neck pain to 2/10.",
        },
    )
    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert (plan.sessions_planned, plan.frequency, plan.complementary) == (
        6,
        "twice_weekly",
        ["stretching", "cupping"],
    )
    page = therapist_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert plan.get_absolute_url() in page and "Draft" in page


def test_the_patient_page_lists_plans_for_managers_without_the_new_button(
    manager_client, plan, patient
):
    page = manager_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert plan.get_absolute_url() in page
    assert reverse("needling:plan_new", args=[patient.pk]) not in page


def test_front_desk_sees_no_plans_on_the_patient_page(front_desk_client, plan, patient):
    page = front_desk_client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "DN treatment plans" not in page
    assert plan.get_absolute_url() not in page


def test_a_plan_form_with_bad_input_names_the_fields(therapist_client, patient, condition):
    response = therapist_client.post(
        reverse("needling:plan_new", args=[patient.pk]),
        {"condition": condition.pk, "planned_date": "2026-03-01", "sessions_planned": 0},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert {"planned_date", "sessions_planned", "practitioner", "frequency"} <= set(form.errors)
    assert not TreatmentPlan.objects.exists()


def test_without_a_condition_the_new_plan_page_says_what_to_do(therapist_client, patient):
    response = therapist_client.get(reverse("needling:plan_new", args=[patient.pk]))
    assert response.status_code == 200
    assert "no active condition" in response.content.decode()


def test_new_plan_for_an_unknown_patient_is_404(therapist_client):
    response = therapist_client.get(reverse("needling:plan_new", args=[uuid.uuid4()]))
    assert response.status_code == 404


# --- The editor and its live panel ---------------------------------------------------------------


def test_adding_a_site_with_htmx_returns_the_live_panel(therapist_client, plan):
    response = therapist_client.post(
        url("plan_site_add", plan),
        {
            "muscle": "upper_trapezius",
            "side": "left",
            "technique": "static",
            "needle_gauge": "0.25",
            "needle_length_mm": "30",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "needling/plans/_plan_workspace.html"
    html = response.content.decode()
    assert 'id="plan-workspace"' in html and "<html" not in html
    assert "Lung field" in html and "Clear" in html
    assert reverse("needling:plan_approve", args=[plan.pk]) in html


def test_a_blocked_site_shows_in_red_with_the_rule_and_the_approve_button_is_disabled(
    therapist_client, plan, therapist
):
    add(plan, therapist, "upper_trapezius", "left")
    response = therapist_client.post(
        url("plan_site_add", plan),
        {
            "muscle": "upper_trapezius",
            "side": "right",
            "technique": "static",
            "needle_gauge": "0.25",
            "needle_length_mm": "30",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.count("site-blocked") == 2
    assert "Bilateral lung-risk needling" in html or "bilateral_thorax" in html
    assert "Blocked" in html
    assert reverse("needling:plan_approve", args=[plan.pk]) not in html
    assert "A blocked plan cannot be approved" in html


def test_a_relative_finding_offers_the_override_form_and_recording_it_clears_the_plan(
    therapist_client, plan, therapist, warfarin
):
    add(plan, therapist, "deltoid", "right")
    html = therapist_client.get(url("plan_detail", plan)).content.decode()
    assert "Override required" in html
    assert 'name="reason"' in html and "Record override" in html
    short = therapist_client.post(
        url("plan_override", plan), {"rule": "anticoagulant", "reason": "short"}, headers=HTMX
    )
    assert short.status_code == 200
    assert "at least 20 characters" in short.content.decode()
    assert not PlanOverride.objects.exists()
    done = therapist_client.post(
        url("plan_override", plan), {"rule": "anticoagulant", "reason": REASON}, headers=HTMX
    )
    html = done.content.decode()
    assert "Overridden" in html and REASON in html and "Theresa Okafor" in html
    assert reverse("needling:plan_approve", args=[plan.pk]) in html


def test_an_uncertified_therapist_sees_no_override_form_and_cannot_post_one(
    client, uncertified_therapist, plan, therapist, warfarin
):
    add(plan, therapist, "deltoid", "right")
    client.force_login(uncertified_therapist)
    html = client.get(url("plan_detail", plan)).content.decode()
    assert 'name="reason"' not in html
    assert "Only a practitioner with a valid DN certification" in html
    response = client.post(url("plan_override", plan), {"rule": "anticoagulant", "reason": REASON})
    assert response.status_code == 403
    assert not PlanOverride.objects.exists()


def test_an_override_that_no_longer_applies_is_explained(
    therapist_client, plan, therapist, warfarin
):
    site = add(plan, therapist, "piriformis", "right")
    services.plan_override_record(
        plan=plan,
        user=therapist,
        rule="bleeding_risk_deep_site",
        reason="Ultrasound guidance; pressure held for two minutes after.",
    )
    services.plan_site_remove(plan=plan, user=therapist, site_id=site.pk)
    add(plan, therapist, "deltoid", "right")
    html = therapist_client.get(url("plan_detail", plan)).content.decode()
    assert "Overrides that do not apply" in html
    assert "This rule did not fire for this plan." in html


def test_removing_a_site_re_renders_the_panel(therapist_client, plan, therapist):
    site = add(plan, therapist, "upper_trapezius", "left")
    add(plan, therapist, "upper_trapezius", "right")
    response = therapist_client.post(url("plan_site_remove", plan, site_pk=site.pk), headers=HTMX)
    html = response.content.decode()
    assert "site-blocked" not in html and "Clear" in html
    assert list(plan.sites.values_list("side", flat=True)) == ["right"]


def test_a_site_of_another_plan_is_404(therapist_client, plan, therapist, patient, condition):
    other = services.plan_create(
        user=therapist, patient=patient, condition=condition, planned_date=TODAY
    )
    site = add(other, therapist, "deltoid", "right")
    response = therapist_client.post(url("plan_site_remove", plan, site_pk=site.pk))
    assert response.status_code == 404
    assert PlanSite.objects.filter(pk=site.pk).exists()


def test_without_htmx_the_forms_still_work(therapist_client, plan):
    response = therapist_client.post(
        url("plan_site_add", plan),
        {
            "muscle": "deltoid",
            "side": "right",
            "technique": "static",
            "needle_gauge": "0.25",
            "needle_length_mm": "30",
        },
    )
    assert response.status_code == 302
    bad = therapist_client.post(url("plan_site_add", plan), {"muscle": "deltoid"})
    assert bad.status_code == 400
    assert "This field is required." in bad.content.decode()


def test_electrical_stimulation_needs_its_settings_in_the_form(therapist_client, plan):
    response = therapist_client.post(
        url("plan_site_add", plan),
        {
            "muscle": "deltoid",
            "side": "right",
            "technique": "estim",
            "needle_gauge": "0.25",
            "needle_length_mm": "30",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Give the frequency for electrical stimulation." in html
    assert "Give the time for electrical stimulation." in html
    assert not PlanSite.objects.exists()


def test_suggestions_come_from_the_pain_map_and_one_click_adds_a_site(
    therapist_client, plan, patient, therapist
):
    pain_map_record(
        patient=patient,
        recorded_on=TODAY,
        recorded_by=therapist,
        areas=[("posterior_neck", "left", 6), ("temple", "left", 4)],
    )
    html = therapist_client.get(url("plan_detail", plan)).content.decode()
    assert "Suggested muscles to examine" in html
    # Upper trapezius refers to both areas: it ranks first, with its referral areas.
    first = html.index("Upper trapezius", html.index("Suggested muscles"))
    assert first < html.index("Cervical multifidus", first)
    assert "Back of the neck, Temple" in html
    response = therapist_client.post(
        url("plan_site_suggested", plan),
        {"muscle": "upper_trapezius", "side": "left"},
        headers=HTMX,
    )
    site = PlanSite.objects.get()
    assert (site.muscle.code, site.side, site.needle) == ("upper_trapezius", "left", "0.25 x 30 mm")
    assert "Left planned" in response.content.decode()


def test_a_suggestion_for_a_head_muscle_starts_with_a_short_fine_needle(therapist_client, plan):
    therapist_client.post(
        url("plan_site_suggested", plan), {"muscle": "temporalis", "side": "left"}
    )
    assert PlanSite.objects.get().needle == "0.16 x 15 mm"


def test_a_plan_without_a_pain_map_explains_where_suggestions_come_from(therapist_client, plan):
    html = therapist_client.get(url("plan_detail", plan)).content.decode()
    assert "No pain map yet" in html


def test_the_approve_page_confirms_then_locks(
    therapist_client, plan, therapist, django_capture_on_commit_callbacks
):
    add(plan, therapist, "deltoid", "right")
    page = therapist_client.get(url("plan_approve", plan)).content.decode()
    assert "Approve and lock the plan" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = therapist_client.post(url("plan_approve", plan))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved"
    html = therapist_client.get(url("plan_detail", plan)).content.decode()
    assert "Download the PDF plan" in html
    assert 'name="reason"' not in html and "Add a site" not in html
    assert "Change plan (new version)" in html


def test_approving_a_blocked_plan_by_post_is_refused_with_the_reason(
    therapist_client, plan, therapist
):
    add(plan, therapist, "upper_trapezius", "left")
    add(plan, therapist, "upper_trapezius", "right")
    response = therapist_client.post(url("plan_approve", plan), follow=True)
    assert "bilateral_thorax" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_edits_to_an_approved_plan_are_refused(therapist_client, plan, therapist):
    plan = approved(plan, therapist)
    site = plan.sites.get()
    for name, kwargs, data in [
        (
            "plan_site_add",
            {},
            {
                "muscle": "rhomboids",
                "side": "left",
                "technique": "static",
                "needle_gauge": "0.25",
                "needle_length_mm": "30",
            },
        ),
        ("plan_site_remove", {"site_pk": site.pk}, {}),
        ("plan_override", {}, {"rule": "anticoagulant", "reason": REASON}),
        ("plan_site_suggested", {}, {"muscle": "rhomboids", "side": "left"}),
    ]:
        response = therapist_client.post(url(name, plan, **kwargs), data, follow=True)
        assert "locked" in response.content.decode(), name
    assert plan.sites.count() == 1
    response = therapist_client.get(url("plan_edit", plan), follow=True)
    assert "locked" in response.content.decode()


def test_the_new_version_page_creates_a_draft_copy(therapist_client, plan, therapist):
    plan = approved(plan, therapist)
    response = therapist_client.post(url("plan_new_version", plan))
    new = TreatmentPlan.objects.get(previous=plan)
    assert response["Location"] == new.get_absolute_url()
    html = therapist_client.get(url("plan_detail", plan)).content.decode()
    assert "Superseded" in html and new.get_absolute_url() in html


def test_a_manager_reads_a_plan_but_cannot_change_it(manager_client, plan, therapist):
    add(plan, therapist, "deltoid", "right")
    html = manager_client.get(url("plan_detail", plan)).content.decode()
    assert "Deltoid" in html and "Add a site" not in html
    # A role refusal on an object's URL is the 404 of a missing object (docs/permissions.md).
    assert manager_client.post(url("plan_site_add", plan), {}).status_code == 404
    assert manager_client.post(url("plan_approve", plan)).status_code == 404


def test_front_desk_cannot_open_plans(front_desk_client, plan):
    # The plan's page is a 404 (as for a missing plan); the list names nothing: 403.
    assert front_desk_client.get(url("plan_detail", plan)).status_code == 404
    assert front_desk_client.get(reverse("needling:plan_list")).status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "plan_detail",
        "plan_edit",
        "plan_workspace",
        "plan_approve",
        "plan_new_version",
        "plan_document",
        "plan_document_download",
    ],
)
def test_unknown_plans_are_404(therapist_client, name):
    response = therapist_client.get(reverse(f"needling:{name}", kwargs={"pk": uuid.uuid4()}))
    assert response.status_code == 404


# --- The PDF job on the page and the download ----------------------------------------------------


def test_the_job_partial_polls_until_done_then_offers_the_download(
    therapist_client, plan, therapist, django_capture_on_commit_callbacks
):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False):
        services.plan_approve(plan=plan, user=therapist)
    pending = therapist_client.get(url("plan_document", plan), headers=HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in pending and "Waiting to render" in pending
    assert therapist_client.get(url("plan_document_download", plan)).status_code == 404
    documents.plan_document_render(document_id=plan.document.pk)
    done = therapist_client.get(url("plan_document", plan), headers=HTMX).content.decode()
    assert "hx-trigger" not in done and "Download the PDF plan" in done


def test_a_refused_job_shows_its_reason_and_can_be_tried_again(
    therapist_client, plan, therapist, patient, django_capture_on_commit_callbacks
):
    add(plan, therapist, "deltoid", "right")
    with django_capture_on_commit_callbacks(execute=False):
        services.plan_approve(plan=plan, user=therapist)
    ScreeningFactory(patient=patient, taken_on=TODAY, acute_illness=True)
    documents.plan_document_render(document_id=plan.document.pk)
    html = therapist_client.get(url("plan_detail", plan)).content.decode()
    assert "The PDF was not made." in html and "acute_illness" in html
    assert "Try rendering again" in html
    with django_capture_on_commit_callbacks(execute=True):
        therapist_client.post(url("plan_document_retry", plan))
    assert PlanDocument.objects.get(plan=plan).status == "failed"  # still not clear


@pytest.mark.parametrize("role_client", ["therapist_client", "manager_client"])
def test_the_pdf_is_downloaded_through_the_authorised_view_only(
    request, role_client, plan, therapist
):
    client = request.getfixturevalue(role_client)
    plan = approved(plan, therapist)
    response = client.get(url("plan_document_download", plan))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # Never a public URL: nothing serves the private storage by its file path.
    name = PlanDocument.objects.get(plan=plan).file_name
    assert default_storage.exists(name)
    for public in (f"/{name}", f"/media/{name}", f"/private/{name}", f"/static/{name}"):
        assert client.get(public).status_code == 404, public


def test_a_plan_without_a_pdf_job_has_no_download(therapist_client, plan):
    assert therapist_client.get(url("plan_document_download", plan)).status_code == 404
    assert therapist_client.get(url("plan_document", plan)).status_code == 404


# --- Lists and query counts ----------------------------------------------------------------------


def test_the_plan_list_filters_and_counts_queries(
    therapist_client, therapist, location, django_assert_num_queries
):
    for _ in range(5):
        patient = PatientFactory()
        plan = services.plan_create(
            user=therapist,
            patient=patient,
            condition=ConditionFactory(patient=patient),
            planned_date=TODAY,
        )
        add(plan, therapist, "deltoid", "right")
        add(plan, therapist, "rhomboids", "left")
    # session, user, the user's own and group permissions (2), the count, the user's role
    # groups (nav), the page of plans with patient, condition, practitioner and PDF job
    # joined and sites counted, the session save (savepoint, update, release): 10 queries
    # for any number of plans on the page.
    with django_assert_num_queries(10):
        response = therapist_client.get(reverse("needling:plan_list"))
    assert response.status_code == 200
    assert response.content.decode().count("plan for ") == 5
    filtered = therapist_client.get(reverse("needling:plan_list"), {"status": "approved"})
    assert "No plans match these filters" in filtered.content.decode()


def test_the_editor_takes_a_fixed_number_of_queries(
    therapist_client, plan, therapist, patient, django_assert_num_queries
):
    pain_map_record(
        patient=patient,
        recorded_on=TODAY,
        recorded_by=therapist,
        areas=[("posterior_neck", "left", 6)],
    )

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        therapist_client.get(url("plan_detail", plan))  # renews the session for the minute
        with CaptureQueriesContext(connection) as queries:
            assert therapist_client.get(url("plan_detail", plan)).status_code == 200
        return len(queries)

    add(plan, therapist, "deltoid", "right")
    few = count()
    for code in ("rhomboids", "gluteus_medius", "piriformis", "supinator"):
        add(plan, therapist, code, "left")
    # The count does not grow with the sites. Session, user, own and group permissions (4);
    # the plan with its joins, its sites and overrides (3); policy: settings and stricter
    # rules (2); the practitioner's certification; the questionnaire and its six lists (one
    # union query: 2); the consent; the active muscles; the pain map and its areas (2); the
    # viewer's certification (for the override form); the viewer's role groups (nav): 18
    # queries (the session is renewed at most once a minute, so no session save here).
    with django_assert_num_queries(18):
        therapist_client.get(url("plan_detail", plan))
    assert few == 18


def queries(client, address) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(address)  # renews the session: no session save within the minute
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


def test_the_live_panel_costs_the_same_queries_whatever_the_record_holds(
    therapist_client, plan, therapist, patient, location
):
    """The screening panel used to cost 18 queries for a plan whose patient had no
    questionnaire in force and 24 with one (its six finding lists were prefetched only when
    there was a questionnaire); a pain map added one, a lapsed certification one more."""
    # A bare plan: a patient never screened, without consent or pain map, one site.
    bare_patient = PatientFactory()
    bare = services.plan_create(
        user=therapist,
        patient=bare_patient,
        condition=ConditionFactory(patient=bare_patient, recorded_by=therapist),
        planned_date=TODAY,
        location=location,
    )
    add(bare, therapist, "deltoid", "right")
    # A full one: a questionnaire in force with three rows in each of its six lists, an
    # older one, a pain map, five sites, an override.
    questionnaire = patient.questionnaires.get()
    add_findings(questionnaire)
    add_findings(ScreeningFactory(patient=patient, taken_on=TODAY - dt.timedelta(days=40)), 2)
    pain_map_record(
        patient=patient,
        recorded_on=TODAY,
        recorded_by=therapist,
        areas=[("posterior_neck", "left", 6), ("lateral_hip", "right", 4)],
    )
    for code, side in [("deltoid", "right"), ("rhomboids", "left"), ("piriformis", "left")]:
        add(plan, therapist, code, side)
    for code in ("gluteus_medius", "supinator"):
        add(plan, therapist, code, "right")
    PlanOverride.objects.create(
        plan=plan, rule=sorted(RELATIVE_RULE_CODES)[0], reason=REASON, recorded_by=therapist
    )
    # Session, user, permissions (4); the plan, its sites, its overrides (3); the policy (2);
    # the practitioner's certification; the questionnaire in force and its six lists (2);
    # the consent; the active muscles; the pain map and its areas (2); the viewer's
    # certification: 17 queries either way (no session save within the minute).
    few = queries(therapist_client, url("plan_workspace", bare))
    many = queries(therapist_client, url("plan_workspace", plan))
    assert few == many == 17
    # The certification: one query whether it is in force, lapsed or missing.
    therapist.dn_certifications.all().delete()
    assert queries(therapist_client, url("plan_workspace", plan)) == 17


def test_the_plan_editor_takes_a_fixed_number_of_queries(therapist_client, plan, patient):
    # Session, user, permissions (4); the plan with its patient; the condition, practitioner
    # and location options (3, one plain query each); the viewer's role groups (nav): 9
    # queries (no session save within the minute).
    assert queries(therapist_client, url("plan_edit", plan)) == 9
    ConditionFactory(patient=patient)
    assert queries(therapist_client, url("plan_edit", plan)) == 9


# --- Bad input never produces a 500 --------------------------------------------------------------

text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "deltoid", "left", "estim", "0.25", "30", "-1", "999999999999", "\x00"]),
)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "muscle": text,
            "side": text,
            "technique": text,
            "needle_gauge": text,
            "needle_length_mm": text,
            "estim_hz": text,
            "estim_minutes": text,
        },
    ),
    htmx=st.booleans(),
)
def test_bad_site_input_never_500s(therapist_client, plan, data, htmx):
    response = therapist_client.post(url("plan_site_add", plan), data, headers=HTMX if htmx else {})
    assert response.status_code in (200, 302, 400)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "rule": st.one_of(
                text, st.sampled_from(["anticoagulant", "needle_phobia", "lung_field"])
            ),
            "reason": st.one_of(text, st.text(min_size=20, max_size=60)),
            "muscle": text,
            "side": text,
        },
    ),
    htmx=st.booleans(),
    target=st.sampled_from(["plan_override", "plan_site_suggested"]),
)
def test_bad_override_and_suggestion_input_never_500s(
    therapist_client, plan, therapist, data, htmx, target
):
    if not plan.sites.exists():
        add(plan, therapist, "upper_trapezius", "left")
    response = therapist_client.post(url(target, plan), data, headers=HTMX if htmx else {})
    assert response.status_code in (200, 302, 400)


def test_screen_again_picks_up_a_newer_questionnaire(therapist_client, plan, therapist, patient):
    add(plan, therapist, "deltoid", "right")
    assert "Screen again" in therapist_client.get(url("plan_detail", plan)).content.decode()
    ScreeningFactory(patient=patient, taken_on=TODAY, acute_illness=True)
    response = therapist_client.get(url("plan_workspace", plan), headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html and "Blocked" in html and "acute_illness" in html


# ---------------------------------------------------------------- sides in the editor (v2)

BOTH = {
    "muscle": "infraspinatus",
    "side": "both",
    "technique": "static",
    "needle_gauge": "0.25",
    "needle_length_mm": "30",
}


def test_the_editor_offers_left_right_and_both_never_midline(therapist_client, plan):
    html = therapist_client.get(plan.get_absolute_url()).content.decode()
    assert '<option value="both">Both sides (two sites)</option>' in html
    assert '<option value="midline"' not in html


def test_both_sides_adds_a_left_and_a_right_site(therapist_client, plan):
    response = therapist_client.post(url("plan_site_add", plan), BOTH, headers=HTMX)
    assert response.status_code == 200
    assert sorted(plan.sites.values_list("muscle__code", "side")) == [
        ("infraspinatus", "left"),
        ("infraspinatus", "right"),
    ]


def test_both_sides_adds_nothing_when_one_side_is_already_planned(
    therapist_client, plan, therapist
):
    add(plan, therapist, "infraspinatus", "right")
    response = therapist_client.post(url("plan_site_add", plan), BOTH, headers=HTMX)
    assert response.status_code == 200  # htmx swaps the panel with the error in place
    assert "Infraspinatus (right) is already in the plan." in response.content.decode()
    assert list(plan.sites.values_list("muscle__code", "side")) == [("infraspinatus", "right")]


def test_both_sides_of_a_lung_risk_muscle_is_blocked_as_bilateral_thorax(therapist_client, plan):
    data = {**BOTH, "muscle": "rhomboids"}
    response = therapist_client.post(url("plan_site_add", plan), data, headers=HTMX)
    assert response.status_code == 200
    assert 'data-rule="bilateral_thorax"' in response.content.decode()


def test_a_midline_lung_risk_site_is_blocked_in_the_editor_and_the_api(
    therapist_client, plan, therapist
):
    """A midline site (older data, or the contract) is judged as both sides everywhere."""
    from needling.plans.screening import screen_plan

    add(plan, therapist, "thoracic_paraspinals", "midline")
    html = therapist_client.get(plan.get_absolute_url()).content.decode()
    assert 'data-rule="bilateral_thorax"' in html
    screening = screen_plan(plan)
    assert screening.decision == "blocked"
    api = therapist_client.post(
        reverse("api_screening_evaluate"), screening.case, content_type="application/json"
    )
    assert api.json()["decision"] == "blocked"
    assert api.json()["findings"][0]["rule"] == "bilateral_thorax"
