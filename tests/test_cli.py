"""Tests of the ``dgmcheck`` command line, in process through ``main`` (``theorems --collect`` runs the
one pytest collection of a tiny test tree in a subprocess)."""

from __future__ import annotations

import json
import re
import sys
import textwrap
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dgmcheck import __version__, cli
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.pytest_plugin import coverage_report
from dgmcheck.registry import COVERAGE_KEYS, claims_from_markers, coverage, read_coverage_report
from dgmcheck.theorems import FAMILIES, THEOREMS


@pytest.fixture(scope="module")
def report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A coverage report of what this session collected (the plugin's record), as ``--dgm-coverage``
    writes it."""
    path = tmp_path_factory.mktemp("coverage") / "coverage.json"
    path.write_text(json.dumps(coverage_report(request.config)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def rows(report: Path) -> list[dict[str, Any]]:
    """The registry's coverage as the library measures it from that report."""
    return coverage(THEOREMS, claims_from_markers(read_coverage_report(report)["items"]))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def theorems(capsys: pytest.CaptureFixture[str], report: Path) -> Callable[..., tuple[int, str, str]]:
    """``dgmcheck theorems ARGS --report <this session's report>``."""
    return lambda *argv: _run(capsys, "theorems", *argv, "--report", str(report))


# ---------------------------------------------------------------------------------------------
# dgmcheck theorems
# ---------------------------------------------------------------------------------------------


def test_theorems_json_lists_every_theorem_with_stable_keys(
    theorems: Callable[..., tuple[int, str, str]], rows: list[dict[str, Any]]
) -> None:
    code, out, _ = theorems("--format", "json")
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list)
    assert [row["id"] for row in data] == [t.id for t in THEOREMS]
    assert all(tuple(row) == COVERAGE_KEYS for row in data)
    assert data == rows
    assert sum(row["status"] == "covered" for row in data) == sum(
        row["status"] == "covered" for row in rows
    )


def test_theorems_text_prints_the_measured_counts(
    theorems: Callable[..., tuple[int, str, str]], rows: list[dict[str, Any]]
) -> None:
    code, out, _ = theorems()
    assert code == 0
    lines = out.splitlines()
    covered = sum(row["status"] == "covered" for row in rows)
    assert lines[0] == f"{covered}/{len(THEOREMS)} covered"
    assert lines[1].split() == ["id", "status", "oracle", "check", "tests", "planted-bug"]
    assert len(lines) == 2 + len(THEOREMS)
    posterior = next(line for line in lines if line.startswith("ddpm.posterior "))
    assert posterior.split()[1] in ("covered", "todo")


@pytest.mark.parametrize("status", ["covered", "todo"])
def test_theorems_status_filter(
    theorems: Callable[..., tuple[int, str, str]], rows: list[dict[str, Any]], status: str
) -> None:
    code, out, _ = theorems("--format", "json", "--status", status)
    assert code == 0
    data = json.loads(out)
    assert all(row["status"] == status for row in data)
    assert [row["id"] for row in data] == [r["id"] for r in rows if r["status"] == status]


def test_theorems_family_filter_and_text_header(
    theorems: Callable[..., tuple[int, str, str]], rows: list[dict[str, Any]]
) -> None:
    code, out, _ = theorems("--family", "ddpm")
    assert code == 0
    ddpm = [r for r in rows if r["family"] == "ddpm"]
    covered = sum(r["status"] == "covered" for r in ddpm)
    assert re.match(
        rf"^{covered}/{len(ddpm)} covered \(selected; registry: \d+/{len(THEOREMS)} covered\)", out
    )
    assert "schedules.linear" not in out


def test_theorems_unknown_family_is_a_usage_error(theorems: Callable[..., tuple[int, str, str]]) -> None:
    code, _, err = theorems("--family", "nosuchfamily")
    assert code == 2
    assert "nosuchfamily" in err and FAMILIES[0] in err


def test_theorems_strict_fails_on_todo(
    theorems: Callable[..., tuple[int, str, str]], rows: list[dict[str, Any]]
) -> None:
    code, _, _ = theorems("--strict", "--family", "ddpm")
    todo = any(r["status"] == "todo" for r in rows if r["family"] == "ddpm")
    assert code == (1 if todo else 0)
    code, _, _ = theorems("--strict", "--status", "covered")
    assert code == 0


def test_theorems_without_a_report_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, "theorems", "--report", str(tmp_path / "absent.json"))
    assert code == 0
    assert "coverage not measured" in err and "absent.json" in err
    assert out.splitlines()[0] == f"{len(THEOREMS)} theorems; coverage not measured (no coverage report)"
    code, out, _ = _run(capsys, "theorems", "--format", "json", "--report", str(tmp_path / "absent.json"))
    assert all(row["status"] == "unmeasured" and row["tests"] == [] for row in json.loads(out))
    assert _run(capsys, "theorems", "--strict", "--report", str(tmp_path / "absent.json"))[0] == 1


def test_theorems_without_a_test_suite_says_so_plainly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed package: no tests folder, no report anywhere up from the working directory."""
    from dgmcheck import registry

    monkeypatch.setattr(registry, "repo_root", lambda: tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "theorems")
    assert code == 0
    assert "no test suite here" in err and "--dgm-coverage" in err
    assert "covered" not in out.splitlines()[0]
    code, _, err = _run(capsys, "theorems", "--collect")
    assert code == 2 and "no test suite" in err


def test_theorems_refuses_a_file_that_is_not_a_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("[]", encoding="utf-8")
    code, _, err = _run(capsys, "theorems", "--report", str(tmp_path / "x.json"))
    assert code == 2 and "not a dgmcheck coverage report" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"dgmcheck {__version__}"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys)
    assert code == 2
    assert "theorems" in err


# ---------------------------------------------------------------------------------------------
# dgmcheck verify
# ---------------------------------------------------------------------------------------------


class _Report:
    def __init__(self, candidate: Any) -> None:
        self.candidate = candidate

    def summary(self) -> str:
        return f"fake concept: 3 theorems hold for {type(self.candidate).__name__}"

    def to_dict(self) -> dict[str, Any]:
        return {"passed": 3}


@pytest.fixture
def fake_concept(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Route concept lookup to a fake module; ``state["mode"]`` picks pass or violation."""
    state: dict[str, Any] = {"mode": "pass", "seen": [], "names": []}

    def verify(candidate: Any) -> _Report:
        state["seen"].append(candidate)
        if state["mode"] == "violation":
            raise TheoremViolation(
                "ddpm.posterior",
                "posterior variance is beta_t where beta-tilde_t belongs",
                slide='000 L8 "Conditioned Reverse Distribution"',
                expected=0.5,
                observed=0.7,
            )
        if state["mode"] == "crash":
            raise RuntimeError("candidate exploded")
        return _Report(candidate)

    module = types.ModuleType("fake_concept")
    module.verify = verify  # type: ignore[attr-defined]

    def lookup(name: str) -> types.ModuleType:
        state["names"].append(name)
        return module

    monkeypatch.setattr(cli, "concept_module", lookup)
    return state


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A user's model file in a fresh working directory; returns its (unique) module name."""
    name = f"user_model_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(
        textwrap.dedent(
            """
            class MyDiffusion:
                def __init__(self):
                    self.built = True

            class NeedsArgs:
                def __init__(self, beta):
                    self.beta = beta

            def make_model():
                return MyDiffusion()

            def eps_model(x, t):
                return x

            INSTANCE = MyDiffusion()
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def test_verify_passes_an_instantiated_class(
    capsys: pytest.CaptureFixture[str], fake_concept: dict[str, Any], user_module: str
) -> None:
    code, out, _ = _run(capsys, "verify", f"{user_module}:MyDiffusion", "--concept", "fakeconcept")
    assert code == 0
    assert "3 theorems hold for MyDiffusion" in out
    (candidate,) = fake_concept["seen"]
    assert type(candidate).__name__ == "MyDiffusion" and candidate.built
    assert fake_concept["names"] == ["fakeconcept"]


def test_verify_calls_a_factory_and_passes_other_objects_as_is(
    capsys: pytest.CaptureFixture[str], fake_concept: dict[str, Any], user_module: str
) -> None:
    assert _run(capsys, "verify", f"{user_module}:make_model")[0] == 0
    assert _run(capsys, "verify", f"{user_module}:eps_model")[0] == 0
    assert _run(capsys, "verify", f"{user_module}:INSTANCE")[0] == 0
    factory_made, function, instance = fake_concept["seen"]
    assert type(factory_made).__name__ == "MyDiffusion"
    assert callable(function) and function.__name__ == "eps_model"
    assert type(instance).__name__ == "MyDiffusion"
    assert fake_concept["names"] == ["ddpm"] * 3  # the default concept


def test_verify_json_pass(
    capsys: pytest.CaptureFixture[str], fake_concept: dict[str, Any], user_module: str
) -> None:
    code, out, _ = _run(capsys, "verify", f"{user_module}:MyDiffusion", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "pass"
    assert data["target"] == f"{user_module}:MyDiffusion"
    assert data["concept"] == "ddpm"
    assert "3 theorems hold" in data["summary"]
    assert data["report"] == {"passed": 3}


def test_verify_violation_exits_1(
    capsys: pytest.CaptureFixture[str], fake_concept: dict[str, Any], user_module: str
) -> None:
    fake_concept["mode"] = "violation"
    code, out, _ = _run(capsys, "verify", f"{user_module}:MyDiffusion")
    assert code == 1
    assert "[ddpm.posterior]" in out and "beta-tilde" in out
    assert "Conditioned Reverse Distribution" in out

    code, out, _ = _run(capsys, "verify", f"{user_module}:MyDiffusion", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["status"] == "violation"
    assert data["theorem"] == "ddpm.posterior"
    assert "beta-tilde" in data["message"]


def test_verify_unexpected_error_fails(
    capsys: pytest.CaptureFixture[str], fake_concept: dict[str, Any], user_module: str
) -> None:
    fake_concept["mode"] = "crash"
    code, out, err = _run(capsys, "verify", f"{user_module}:MyDiffusion")
    assert code == 1
    assert "RuntimeError: candidate exploded" in out
    assert "Traceback" in err


def test_verify_bad_module_exits_2(
    capsys: pytest.CaptureFixture[str], fake_concept: dict[str, Any], user_module: str
) -> None:
    code, _, err = _run(capsys, "verify", "dgmcheck_no_such_user_module:Model")
    assert code == 2
    assert "dgmcheck_no_such_user_module" in err
    assert fake_concept["seen"] == []


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("{mod}:Missing", "has no attribute 'Missing'"),
        ("{mod}", "expected MODULE:OBJECT"),
        ("{mod}:NeedsArgs", "constructible with no arguments"),
    ],
)
def test_verify_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str],
    fake_concept: dict[str, Any],
    user_module: str,
    target: str,
    fragment: str,
) -> None:
    code, _, err = _run(capsys, "verify", target.format(mod=user_module))
    assert code == 2
    assert fragment in err
    assert fake_concept["seen"] == []


def test_verify_usage_error_in_json_mode(
    capsys: pytest.CaptureFixture[str], fake_concept: dict[str, Any], user_module: str
) -> None:
    code, out, _ = _run(capsys, "verify", f"{user_module}:Missing", "--format", "json")
    assert code == 2
    data = json.loads(out)
    assert data["status"] == "error" and "Missing" in data["message"]


def test_verify_unknown_concept_exits_2(
    capsys: pytest.CaptureFixture[str], user_module: str
) -> None:
    code, _, err = _run(capsys, "verify", f"{user_module}:MyDiffusion", "--concept", "nosuch")
    assert code == 2
    assert "unknown concept 'nosuch'" in err
    assert "expected one of" in err


def test_concept_module_rejects_non_concepts() -> None:
    with pytest.raises(cli.ConceptError, match="unknown concept 'no_such_concept'"):
        cli.concept_module("no_such_concept")
    with pytest.raises(cli.ConceptError, match="unknown concept"):
        cli.concept_module("os.path")
    with pytest.raises(cli.ConceptError, match="defines no verify"):
        cli.concept_module("errors")


def test_available_concepts_define_verify() -> None:
    for name in cli.available_concepts():
        assert not name.startswith("_")
        assert name not in ("errors", "strategies", "tolerances", "profiles")


def test_make_candidate() -> None:
    class Model:
        pass

    def factory(scale: float = 1.0) -> Model:
        return Model()

    def eps(x: Any, t: Any) -> Any:
        return x

    assert isinstance(cli.make_candidate(Model), Model)
    assert isinstance(cli.make_candidate(factory), Model)
    assert cli.make_candidate(eps) is eps
    assert cli.make_candidate(len) is len  # a builtin is not a plain function
    marker = object()
    assert cli.make_candidate(marker) is marker


# ---------------------------------------------------------------------------------------------
# dgmcheck theorems --collect: the suite's one subprocess collection, on a tiny tree
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow  # a pytest run of its own: the slow tier
def test_theorems_collect_measures_coverage_with_pytest(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``--collect`` runs ``pytest --collect-only --dgm-coverage`` on the tests folder and reads the
    report: computed marker arguments count, the claims of a file that fails to collect do not."""
    project = tmp_path / "proj"
    (project / "tests").mkdir(parents=True)
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (project / "tests" / "test_mine.py").write_text(textwrap.dedent("""
        import pytest

        IDS = [f"ddpm.{name}" for name in ("posterior", "eps_mean")]


        @pytest.mark.theorem(*IDS)
        def test_oracle():
            pass


        @pytest.mark.planted_bug(IDS[0])
        @pytest.mark.parametrize("dtype", ["float32", "float64"])
        def test_bug(dtype):
            pass
        """), encoding="utf-8")
    (project / "tests" / "test_broken.py").write_text(
        "import pytest\n\n@pytest.mark.theorem('ddpm.stationary')\ndef test_x(:\n    pass\n", encoding="utf-8")
    report = tmp_path / "out" / "coverage.json"
    code, out, err = _run(capsys, "theorems", "--collect", "--tests-dir", str(project / "tests"),
                          "--report", str(report), "--format", "json", "--family", "ddpm")
    assert code == 0, err
    assert "tests/test_broken.py" in err  # named as not counted
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows["ddpm.posterior"]["tests"] == ["tests/test_mine.py::test_bug", "tests/test_mine.py::test_oracle"]
    assert rows["ddpm.posterior"]["planted_bug_tests"] == ["tests/test_mine.py::test_bug"]
    assert rows["ddpm.posterior"]["status"] == "covered"
    assert rows["ddpm.eps_mean"]["tests"] == ["tests/test_mine.py::test_oracle"]
    assert rows["ddpm.eps_mean"]["status"] == "todo"  # no planted-bug test
    assert rows["ddpm.stationary"]["tests"] == []
    assert read_coverage_report(report)["rootdir"] == str(project)
    # read back without collecting again
    code, out2, _ = _run(capsys, "theorems", "--report", str(report), "--format", "json", "--family", "ddpm")
    assert code == 0 and json.loads(out2) == json.loads(out)


# ---------------------------------------------------------------------------------------------
# Family names: old spellings accepted with a note
# ---------------------------------------------------------------------------------------------


def test_theorems_family_accepts_an_old_spelling_with_a_note(theorems: Callable[..., tuple[int, str, str]]) -> None:
    code, out, err = theorems("--format", "json", "--family", "fm")
    assert code == 0
    assert "note: family 'fm' is now called 'flow_matching'" in err
    ids = [row["id"] for row in json.loads(out)]
    assert ids and all(i.startswith("fm.") for i in ids)
    assert all(row["family"] == "flow_matching" for row in json.loads(out))
    code, out2, err = theorems("--format", "json", "--family", "flow_matching")
    assert code == 0 and err == "" and json.loads(out2) == json.loads(out)


def test_verify_concept_accepts_an_old_spelling() -> None:
    with pytest.warns(DeprecationWarning, match="'fm' is now called 'flow_matching'"):
        module = cli.concept_module("fm")
    assert module.__name__ == "dgmcheck.checks.flow_matching"
