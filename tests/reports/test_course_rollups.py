"""The outcomes report's courses (per-plan roll-up plus notes) equal courses built from the
rows, whatever is written; its medians equal ``statistics.median``; its queries are flat.

The random walk of ``test_rollups`` (inserts, updates, moves across days and therapists,
signing, deletes), with approved plans, several plans per therapist and NPRS scores (some
missing) on every note, so the roll-up's whole courses, the courses across an edge of the
range and those with notes at several locations or by several therapists all occur.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics

import pytest
from django.utils import timezone

from clinic.reports import rollups
from clinic.reports import sessions as session_reports
from clinic.reports.filters import Filters
from clinic.reports.registry import get_report
from clinic.reports.rollup_models import CourseRollup
from needling.plans.models import TreatmentPlan
from needling.sessions.models import NPRS_MCID, SessionRecord
from patients.models import Condition
from tests.factories import ConditionFactory, ConsentFactory, PatientFactory, ScreeningFactory
from tests.hypothesis_profiles import walk_seeds
from tests.reports.test_rollups import BASE, DAYS, World

pytestmark = pytest.mark.django_db(transaction=False)


def _nprs(rng: random.Random):
    return None if rng.random() < 0.15 else rng.randint(0, 10)


class CourseWorld(World):
    def __init__(self, rng: random.Random):
        super().__init__(rng)
        self.all_plans = list(self.plans.values())
        for n in range(5):  # more plans, of any therapist, two conditions
            t = self.therapists[n % 3]
            patient = PatientFactory()
            plan = TreatmentPlan.objects.create(
                patient=patient,
                condition=ConditionFactory(
                    patient=patient, icd10_code=("M54.2", "M79.1")[n % 2], description="x"
                ),
                practitioner=t,
                location=self.locations[0],
                planned_date=BASE.date(),
                created_by=t,
            )
            self.all_plans.append(
                (plan, ScreeningFactory(patient=patient), ConsentFactory(patient=patient))
            )
        # One plan stays a draft: its notes never count.
        TreatmentPlan.objects.filter(pk__in=[p.pk for p, _, _ in self.all_plans[1:]]).update(
            status="approved",
            approved_by=self.therapists[0],
            approved_at=timezone.now(),
            snapshot={"case": 1},
            cpt_code="20560",
        )

    def open_note(self):
        from clinic.booking.models import Appointment

        a = self._pick(Appointment.objects.filter(dn_session__isnull=True))
        if not a:
            return
        plan, questionnaire, consent = self.rng.choice(self.all_plans)
        signed = self.rng.random() < 0.4
        SessionRecord.objects.create(
            appointment=a,
            plan=plan,
            patient=plan.patient,
            practitioner=a.therapist,
            location=a.location,
            session_date=timezone.localdate(a.starts_at),
            questionnaire=questionnaire,
            consent=consent,
            nprs_before=_nprs(self.rng),
            nprs_after=_nprs(self.rng),
            cpt_code=self.rng.choice(["20560", "20561"]) if signed else "",
            status="signed" if signed else "draft",
            signed_at=timezone.now() if signed else None,
            signed_by=a.therapist if signed else None,
        )

    def move_draft(self):
        """A draft to another day (up to 9 either way), plan and therapist, with a new NPRS
        after, in one bulk UPDATE (signed notes are locked on PostgreSQL)."""
        note = self._pick(SessionRecord.objects.filter(status="draft"))
        if note:
            plan = self.rng.choice(self.all_plans)[0]
            SessionRecord.objects.filter(pk=note.pk).update(
                session_date=note.session_date + dt.timedelta(days=self.rng.randint(-9, 9)),
                practitioner=self.rng.choice(self.therapists),
                plan=plan,
                patient=plan.patient,
                nprs_after=_nprs(self.rng),
            )

    def change_plan(self):
        """A draft plan approved or given to another therapist, or an approved one superseded,
        in one bulk UPDATE: the trigger on plans keeps the courses' plan status and therapist
        in step (a draft's notes count once it is approved)."""
        plan = TreatmentPlan.objects.get(pk=self.rng.choice(self.all_plans)[0].pk)
        plans = TreatmentPlan.objects.filter(pk=plan.pk)
        if plan.status == "approved":
            plans.update(status="superseded")
        elif plan.status == "draft" and self.rng.random() < 0.5:
            plans.update(
                status="approved",
                approved_by=plan.practitioner,
                approved_at=timezone.now(),
                snapshot={"case": 1},
                cpt_code="20560",
            )
        elif plan.status == "draft":
            plans.update(practitioner=self.rng.choice(self.therapists))

    def edit_condition(self):
        """A plan's condition recoded (code and text), in one bulk UPDATE: the trigger on
        conditions rewrites the courses of its plans."""
        plan = self.rng.choice(self.all_plans)[0]
        Condition.objects.filter(pk=plan.condition_id).update(
            icd10_code=self.rng.choice(("M54.2", "M79.1", "G44.209")),
            description=self.rng.choice(("x", "Tension-type headache")),
        )

    STEPS = [
        *World.STEPS,
        open_note,
        open_note,
        move_draft,
        move_draft,
        change_plan,
        edit_condition,
    ]


def counted_courses(f: Filters) -> list[dict]:
    """Courses from the rows, as the report built them in Python before (issue 16)."""
    notes = (
        SessionRecord.objects.filter(
            session_date__gte=f.start,
            session_date__lte=f.end,
            status="signed",
            plan__status__in=("approved", "superseded"),
        )
        .order_by("plan_id", "session_date", "created_at", "id")
        .select_related("plan__condition", "plan__practitioner", "patient")
    )
    if f.location_id:
        notes = notes.filter(location_id=f.location_id)
    if f.therapist_id:
        notes = notes.filter(practitioner_id=f.therapist_id)
    found: dict = {}
    for note in notes:
        c = found.setdefault(
            note.plan_id,
            {
                "plan": note.plan_id,
                "condition": f"{note.plan.condition.icd10_code} {note.plan.condition.description}",
                "therapist": note.plan.practitioner.username,
                "patient": f"{note.patient.last_name}, {note.patient.first_name}",
                "first_day": note.session_date,
                "sessions": 0,
                "first": None,
                "last": None,
            },
        )
        c["sessions"] += 1
        c["last_day"] = note.session_date
        if c["first"] is None and note.nprs_before is not None:
            c["first"] = note.nprs_before
        if note.nprs_after is not None:
            c["last"] = note.nprs_after
    out = []
    for c in found.values():
        if c["first"] is None or c["last"] is None:
            continue
        c["change"] = c["first"] - c["last"]
        c["mcid"] = c["change"] >= NPRS_MCID
        out.append(c)
    return out


def assert_courses_in_step(world: CourseWorld, rounds: int = 8) -> int:
    assert rollups.rollup_check() == []
    seen = 0
    for _ in range(rounds):
        f = world.filters()
        expected = counted_courses(f)
        assert session_reports.courses(f) == expected, f
        assert get_report("outcomes").count(f) == len(expected)
        page = get_report("outcomes").page(f)
        summary = dict(page["summary"])
        assert summary["Courses with NPRS recorded"] == len(expected)
        if expected:
            assert summary["Median change"] == statistics.median(c["change"] for c in expected)
            per_condition = {r[0]: r[1:] for r in page["table"]["rows"]}
            assert set(per_condition) == {c["condition"] for c in expected}
            for name, row in per_condition.items():
                mine = [c for c in expected if c["condition"] == name]
                met = sum(c["mcid"] for c in mine)
                assert row == (
                    len(mine),
                    met,
                    f"{met * 100 / len(mine):.0f}%",
                    statistics.median(c["change"] for c in mine),
                )
            per_therapist = {r[0]: r[1:] for r in page["extra_tables"][0]["rows"]}
            for name in {c["therapist"] for c in expected}:
                mine = [c for c in expected if c["therapist"] == name]
                met = sum(c["mcid"] for c in mine)
                assert per_therapist[name] == (
                    len(mine),
                    met,
                    f"{met * 100 / len(mine):.0f}%",
                    statistics.median(c["change"] for c in mine),
                )
        seen += len(expected)
    return seen


@pytest.mark.parametrize("seed", walk_seeds(3))
def test_courses_equal_courses_built_from_the_rows_after_random_writes(seed):
    world = CourseWorld(random.Random(seed))
    seen = 0
    for n in range(160):
        world.step()
        if n % 20 == 19:
            seen += assert_courses_in_step(world)
    seen += assert_courses_in_step(world, rounds=20)
    # Whole courses, courses across an edge and whole-range filters all came up.
    everything = Filters(
        start=BASE.date() - dt.timedelta(days=20), end=BASE.date() + dt.timedelta(days=DAYS + 20)
    )
    assert counted_courses(everything)
    assert seen > 0


def _long_courses(world: CourseWorld) -> None:
    """Every approved plan gets a course of 10 to 25 signed notes, some on one day, with a
    third of the scores missing and, on some plans, none before a run of notes: half the
    plans at one location and by one therapist, the others anywhere."""
    from tests.booking.factories import AppointmentFactory

    rng = world.rng
    for n, (plan, questionnaire, consent) in enumerate(world.all_plans[1:]):
        fixed = n % 2 == 0
        blank = rng.randint(0, 6) if n % 3 == 0 else 0  # the first notes without scores
        for i in range(rng.randint(10, 25)):
            if not world.free:
                return
            location = world.locations[0] if fixed else rng.choice(world.locations)
            therapist = plan.practitioner if fixed else rng.choice(world.therapists)
            starts = world.slot()
            appointment = AppointmentFactory(
                location=location,
                therapist=therapist,
                patient=plan.patient,
                room=world.rooms[location.pk],
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=30),
            )
            missing = i < blank or rng.random() < 0.33
            SessionRecord.objects.create(
                appointment=appointment,
                plan=plan,
                patient=plan.patient,
                practitioner=therapist,
                location=location,
                session_date=timezone.localdate(starts),
                questionnaire=questionnaire,
                consent=consent,
                nprs_before=None if missing else rng.randint(0, 10),
                nprs_after=None if missing or rng.random() < 0.2 else rng.randint(0, 10),
                cpt_code="20560",
                status="signed",
                signed_at=timezone.now(),
                signed_by=therapist,
            )


@pytest.mark.parametrize("seed", walk_seeds(3))
def test_long_courses_with_missing_scores_read_the_same_for_any_range(seed):
    """Ranges that cut long courses anywhere (at a note, between two on one day, before the
    first recorded score, after the last): the report's courses equal courses built from the
    rows. On PostgreSQL the courses across an edge come from the course rows' visit arrays
    (the binary search for the range's first and last note, the scores filled in on every
    note), and without filters or under the filters their notes all match, every one does."""
    world = CourseWorld(random.Random(seed))
    _long_courses(world)
    assert rollups.rollup_check() == []
    first, last = BASE.date(), BASE.date() + dt.timedelta(days=DAYS)
    spans = {
        p: (a, b) for p, a, b in CourseRollup.objects.values_list("plan", "first_day", "last_day")
    }
    across = 0
    for _ in range(40):
        start = first + dt.timedelta(days=world.rng.randint(-1, DAYS))
        end = start + dt.timedelta(days=world.rng.randint(0, DAYS // 2))
        f = world.filters()
        f = Filters(start=start, end=end, location_id=f.location_id, therapist_id=f.therapist_id)
        expected = counted_courses(f)
        assert session_reports.courses(f) == expected, f
        assert get_report("outcomes").count(f) == len(expected)
        across += sum(spans[c["plan"]][0] < start or spans[c["plan"]][1] > end for c in expected)
    everything = Filters(start=first - dt.timedelta(days=1), end=last + dt.timedelta(days=1))
    assert session_reports.courses(everything) == counted_courses(everything)
    assert across > 0


@pytest.mark.parametrize("seed", range(30))
def test_the_median_from_counts_is_statistics_median(seed):
    rng = random.Random(seed)
    values = [rng.randint(-10, 10) for _ in range(rng.randint(1, 40))]
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    assert session_reports.median_of_counts(counts) == statistics.median(values)
    assert type(session_reports.median_of_counts(counts)) is type(statistics.median(values))


def test_the_page_shows_a_whole_median_without_a_decimal_point():
    # Four courses changing 1, 1, 3 and 3 points: the median is the mean of 1 and 3.
    assert statistics.median([1, 1, 3, 3]) == 2.0
    assert session_reports.shown_median({1: 2, 3: 2}) == 2
    assert type(session_reports.shown_median({1: 2, 3: 2})) is int
    assert session_reports.shown_median({1: 1, 2: 1}) == 1.5
    assert session_reports.shown_median({-3: 1}) == -3
