"""The order `make test` hands work out in (tests/scheduling.py): recorded times first, then
the committed figures of a fresh checkout, then guesses."""

from tests import scheduling

E2E = "tests/e2e/test_layout.py::test_the_main_pages_fit_every_screen_width"


def test_a_unit_is_a_file_or_a_browser_test_or_the_broker_group():
    assert scheduling.unit_of("tests/patients/test_views.py::test_x[1]") == (
        "tests/patients/test_views.py"
    )
    assert scheduling.unit_of(E2E) == E2E
    assert scheduling.unit_of("tests/plans/test_worker_killed.py::test_y") == (
        scheduling.unit_of("tests/booking/test_reminder_worker.py::test_z")
    )


def test_recorded_times_win_then_the_committed_figure_then_guesses():
    tests = ["tests/a/test_a.py::test_1", "tests/a/test_a.py::test_2"]
    committed = {"tests/a/test_a.py": 30.0}
    assert scheduling.unit_cost(tests, {tests[0]: 2.0}, committed) == 2.0 + scheduling.GUESS
    assert scheduling.unit_cost(tests, {}, committed) == 30.0
    assert scheduling.unit_cost(tests, {}, {}) == 2 * scheduling.GUESS
    assert scheduling.unit_cost([E2E], {}, {}) == scheduling.GUESS_E2E


def test_the_committed_figures_are_summed_per_unit(tmp_path, monkeypatch):
    recorded = {
        "tests/a/test_a.py::test_1": 1.25,
        "tests/a/test_a.py::test_2": 2.0,
        E2E: 12.04,
    }
    cache = tmp_path / "v" / scheduling.CACHE_KEY
    cache.parent.mkdir(parents=True)
    cache.write_text(__import__("json").dumps(recorded))
    monkeypatch.setattr(scheduling, "COMMITTED", tmp_path / "durations.json")
    assert scheduling.save_committed(tmp_path) == 0
    assert scheduling.read_committed() == {"tests/a/test_a.py": 3.2, E2E: 12.0}


def test_the_committed_file_names_the_costliest_units():
    committed = scheduling.read_committed()
    assert committed, "tests/durations.json is missing: python -m tests.scheduling"
    costliest = sorted(committed, key=committed.get, reverse=True)[:10]
    assert any(unit.startswith("tests/e2e/test_accessibility.py") for unit in costliest)
