"""The flakiness and kill-stability runner reads pytest's junit report: counts, failures, per-file rows."""

from __future__ import annotations

from tools import flakes

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_one"/>
<testcase classname="tests.test_a" name="test_two[float32]"><failure message="x"/></testcase>
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


def test_by_file_table_counts_runs_and_tests_unstable_under_some_seed():
    runs = [{"by_file": {"tests/test_a.py": [2, 1], "tests/test_b.py": [1, 0]}},
            {"by_file": {"tests/test_a.py": [2, 0], "tests/test_b.py": [1, 0]}}]
    table = flakes.by_file_table(runs, {"tests/test_a.py::test_two[float32]": [1]})
    assert "| tests/test_a.py | 2 | 4 | 1 | 1 |" in table
    assert "| tests/test_b.py | 1 | 2 | 0 | 0 |" in table
