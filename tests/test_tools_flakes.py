"""The flakiness and kill-stability runner reads pytest's junit report: counts, failures, per-file rows."""

from __future__ import annotations

from tools import flakes

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_one"/>
<testcase classname="tests.test_a" name="test_two[float32]"><failure message="x">
Falsifying example: run(a=0.15)</failure></testcase>
<testcase classname="tests.test_b" name="test_three"><skipped/></testcase>
<testcase classname="tests.test_b" name="test_four"/>
</testsuite></testsuites>
"""


def test_junit_counts_failures_and_files(tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    failed, counts, files = flakes._read_junit(path)
    assert failed == ["tests/test_a.py::test_two[float32]"]
    assert counts == {"n_passed": 2, "n_failed": 1, "n_skipped": 1}
    assert files == {"tests/test_a.py": [2, 1], "tests/test_b.py": [1, 0]}


def test_failing_tests_keep_their_report(tmp_path):
    """A failure that needs the worker's history to replay is kept from the run: its falsifying example."""
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT, encoding="utf-8")
    texts = flakes.failure_texts(path)
    assert list(texts) == ["tests/test_a.py::test_two[float32]"]
    assert "Falsifying example: run(a=0.15)" in texts["tests/test_a.py::test_two[float32]"]


def test_by_file_table_counts_runs_and_tests_unstable_under_some_seed():
    runs = [{"by_file": {"tests/test_a.py": [2, 1], "tests/test_b.py": [1, 0]}},
            {"by_file": {"tests/test_a.py": [2, 0], "tests/test_b.py": [1, 0]}}]
    table = flakes.by_file_table(runs, {"tests/test_a.py::test_two[float32]": [1]})
    assert "| tests/test_a.py | 2 | 4 | 1 | 1 |" in table
    assert "| tests/test_b.py | 1 | 2 | 0 | 0 |" in table


def test_each_run_has_an_example_database_of_its_own(monkeypatch):
    """A failing example saved under one seed must not be replayed under the next: each run gets an empty
    ``HYPOTHESIS_STORAGE_DIRECTORY`` (dev seed 2030 replayed seed 2006's failure before)."""
    seen = []

    def fake_run(cmd, cwd, env, capture_output, text):
        seen.append(env["HYPOTHESIS_STORAGE_DIRECTORY"])
        assert "CI" not in env and env["HYPOTHESIS_PROFILE"] == "dev"
        return type("Done", (), {"returncode": 0, "stdout": "", "stderr": ""})()

    monkeypatch.setattr(flakes.subprocess, "run", fake_run)
    for seed in (1, 2):
        flakes.run_once(seed, "dev", [])
    assert len(set(seen)) == 2 and all(s.endswith("hypothesis") for s in seen)
