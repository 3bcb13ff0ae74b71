"""``dgmcheck mutate``: each operator on a sample source, the mutants and their diffs, the import hook
that loads a mutant in place of its file, the digests of equivalence, and end-to-end runs against a
command (``--run``) and against dgmcheck's verify (``--verify``) on ``tests/_mutate_sample.py``."""

from __future__ import annotations

import ast
import copy
import json
import shlex
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from dgmcheck import cli
from dgmcheck.mutate import _bootstrap, runner
from dgmcheck.mutate.command import render_text, summary
from dgmcheck.mutate.mutants import generate, scopes
from dgmcheck.mutate.operators import OPERATORS, PROBE, strip_probe
from dgmcheck.mutate.recorder import Recorder, digest, fingerprint, same
from dgmcheck.mutate.runner import Outcome, VerifyTarget

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def mutants_of(name: str, source: str) -> list[str]:
    """Every mutant ``name`` makes of ``source``, unparsed without the probe, in site order."""
    tree = ast.parse(source)
    counter = OPERATORS[name]()
    counter.run(copy.deepcopy(tree))
    return [ast.unparse(strip_probe(OPERATORS[name](pick=k).run(copy.deepcopy(tree))))
            for k in range(len(counter.sites))]


# --------------------------------------------------------------------------- operators
# (operator, sample source, every mutant it must make, a source where it must make none)
CASES: list[tuple[str, str, list[str], str]] = [
    ("drop_sqrt", "y = torch.sqrt(a) * x.sqrt() + b ** 0.5",
     ["y = a * x.sqrt() + b ** 0.5", "y = torch.sqrt(a) * x + b ** 0.5", "y = torch.sqrt(a) * x.sqrt() + b"],
     "y = torch.square(a) + b ** 2"),
    ("add_sqrt", "x_t = alphas_cumprod[t] * x0 + noise",
     ["x_t = alphas_cumprod[t] ** 0.5 * x0 + noise"],
     "x_t = sqrt_alphas_cumprod[t] * x0\nalphas_cumprod[t] = 1.0"),
    ("square_sigma", "x = mu + sigma * eps", ["x = mu + sigma ** 2 * eps"], "x = mu + var * eps + sigma ** 2"),
    ("root_variance", "score = -(x - mu) / sigma ** 2 + v / var",
     ["score = -(x - mu) / sigma + v / var", "score = -(x - mu) / sigma ** 2 + v / var ** 0.5"],
     "y = log_var + sigma"),
    ("shift_index", "a = abar[t] * abar[t - 1] + x[mask]",
     ["a = abar[t - 1] * abar[t - 1] + x[mask]", "a = abar[t + 1] * abar[t - 1] + x[mask]",
      "a = abar[t] * abar[t - 2] + x[mask]", "a = abar[t] * abar[t] + x[mask]"],
     "a = abar[0] + x[mask] + x_t[:, None]"),
    ("shift_t_arg", "y = f(x_t, t, step=s)",
     ["y = f(x_t, t - 1, step=s)", "y = f(x_t, t + 1, step=s)", "y = f(x_t, t, step=s - 1)",
      "y = f(x_t, t, step=s + 1)"],
     "y = f(x_t, T, model)"),
    ("swap_schedule_name",
     "m = self.alphas_cumprod_prev[t] + self.alphas_cumprod[t]\nv = self.posterior_variance[t] + self.betas[t]",
     ["m = self.alphas_cumprod[t] + self.alphas_cumprod[t]\nv = self.posterior_variance[t] + self.betas[t]",
      "m = self.alphas_cumprod_prev[t] + self.alphas_cumprod_prev[t]\nv = self.posterior_variance[t] + self.betas[t]",
      "m = self.alphas_cumprod_prev[t] + self.alphas_cumprod[t]\nv = self.betas[t] + self.betas[t]",
      "m = self.alphas_cumprod_prev[t] + self.alphas_cumprod[t]\nv = self.posterior_variance[t] + "
      "self.posterior_variance[t]"],
     "y = alphas_cumprod * 2 + self.betas"),  # no α, no β̃ in scope to swap with
    ("flip_score_sign", "def drift(x, t):\n    return -0.5 * x\nx = x + g ** 2 * score(x, t)\nscore = -(x - mu) / var",
     ["def drift(x, t):\n    return -(-0.5 * x)\nx = x + g ** 2 * score(x, t)\nscore = -(x - mu) / var",
      "def drift(x, t):\n    return -0.5 * x\nx = x - g ** 2 * score(x, t)\nscore = -(x - mu) / var",
      "def drift(x, t):\n    return -0.5 * x\nx = x + g ** 2 * score(x, t)\nscore = -(-(x - mu) / var)"],
     "def f(x):\n    return -0.5 * x\ny = x + g ** 2 * eps(x, t)"),
    ("drop_factor", "f = 0.5 * g ** 2 * s + x / 2",
     ["f = g ** 2 * s + x / 2", "f = 0.5 * g ** 2 * s + x"], "f = 3 * x + y ** 2"),
    ("transpose", "y = x @ Q + torch.matmul(a, b)",
     ["y = Q @ x + torch.matmul(a, b)", "y = x @ Q.mT + torch.matmul(a, b)", "y = x.mT @ Q + torch.matmul(a, b)",
      "y = x @ Q + torch.matmul(b, a)", "y = x @ Q + torch.matmul(a, b.mT)", "y = x @ Q + torch.matmul(a.mT, b)"],
     "y = x * Q + torch.mul(a, b)"),
    ("move_detach", "y = (a * b).detach() + c.detach() * d",
     ["y = a * b + c.detach() * d", "y = a.detach() * b + c.detach() * d", "y = a * b.detach() + c.detach() * d",
      "y = (a * b).detach() + c * d", "y = (a * b).detach() + (c * d).detach()",
      "y = (a * b + c.detach() * d).detach()"],
     "y = a * b + c.clone()"),
    ("sum_mean", "l = (x - y).pow(2).sum(dim=1) + torch.mean(z)",
     ["l = (x - y).pow(2).mean(dim=1) + torch.mean(z)", "l = (x - y).pow(2).sum(dim=1) + torch.sum(z)"],
     "l = sum(xs) + mean"),
    ("drop_log_exp", "s = torch.exp(0.5 * logvar) * eps + np.log(p)",
     ["s = 0.5 * logvar * eps + np.log(p)", "s = torch.exp(0.5 * logvar) * eps + p"],
     "s = torch.logsumexp(x, 0) + expected"),
    ("swap_kl", "a = normal_kl(m1, lv1, m2, lv2) + kl_div(p, q)",
     ["a = normal_kl(m2, lv2, m1, lv1) + kl_div(p, q)", "a = normal_kl(m1, lv1, m2, lv2) + kl_div(q, p)"],
     "a = kl(p) + mse(p, q)"),
    ("randn_to_rand", "e = torch.randn_like(x) + torch.randn(3)",
     ["e = torch.rand_like(x) + torch.randn(3)", "e = torch.randn_like(x) + torch.rand(3)"],
     "e = torch.normal(0.0, 1.0) + torch.rand(3)"),
    ("clamp", "x0 = pred.clamp(-1, 1)\ny = torch.clamp(z, min=0) + pred_xstart",
     ["x0 = pred\ny = torch.clamp(z, min=0) + pred_xstart",
      "x0 = pred.clamp(-1, 1)\ny = z + pred_xstart",
      "x0 = pred.clamp(-1, 1)\ny = torch.clamp(z, min=0) + pred_xstart.clip(-1, 1)"],
     "y = pred + eps"),
]


def test_every_operator_has_a_case_and_a_docstring() -> None:
    assert sorted(c[0] for c in CASES) == sorted(OPERATORS)
    for name, op in OPERATORS.items():
        assert op.name == name and op.__doc__ and len(op.__doc__) > 40, name


@pytest.mark.parametrize(("name", "source", "expected", "untouched"), CASES, ids=[c[0] for c in CASES])
def test_operator_makes_each_mutant_where_its_pattern_matches(name: str, source: str, expected: list[str],
                                                              untouched: str) -> None:
    assert mutants_of(name, source) == expected


@pytest.mark.parametrize(("name", "source", "expected", "untouched"), CASES, ids=[c[0] for c in CASES])
def test_operator_makes_nothing_where_its_pattern_does_not_match(name: str, source: str, expected: list[str],
                                                                 untouched: str) -> None:
    assert mutants_of(name, untouched) == []


def test_the_picked_site_is_probed_and_keeps_its_line() -> None:
    tree = ast.parse("a = 1\nb = np.sqrt(a)\n")
    mutated = OPERATORS["drop_sqrt"](pick=0).run(tree)
    probes = [n for n in ast.walk(mutated) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == PROBE]
    assert len(probes) == 1 and probes[0].lineno == 2
    seen: list[Any] = []
    scope = {PROBE: lambda v: seen.append(v) or v, "np": np}
    exec(compile(mutated, "<mutant>", "exec"), scope)
    assert scope["b"] == 1 and seen == [1]  # the mutant ran: sqrt dropped, probe passed the value through


# --------------------------------------------------------------------------- mutants of a file
SAMPLE = textwrap.dedent("""\
    import numpy as np


    class Diffusion:
        def coef(self, t):
            return np.sqrt(self.alphas_cumprod[t])

        def noise_scale(self, t):
            return np.sqrt(1.0 - self.alphas_cumprod[t])


    def helper(x):
        return x.sqrt()
    """)


def test_generate_lists_mutants_by_line_with_their_diff() -> None:
    mutants = generate(SAMPLE, path="sample.py", operators=["drop_sqrt"])
    assert [(m.operator, m.location) for m in mutants] == [("drop_sqrt", "sample.py:6"), ("drop_sqrt", "sample.py:9"),
                                                          ("drop_sqrt", "sample.py:13")]
    first = mutants[0]
    assert first.description == "np.sqrt(self.alphas_cumprod[t]) → self.alphas_cumprod[t]"
    assert "-        return np.sqrt(self.alphas_cumprod[t])" in first.diff
    assert "+        return self.alphas_cumprod[t]" in first.diff
    assert PROBE in first.source and PROBE not in first.diff
    compile(first.source, "mutant.py", "exec")


def test_generate_restricts_to_targets() -> None:
    assert scopes(ast.parse(SAMPLE))["Diffusion.coef"] == (5, 6)
    lines = [m.line for m in generate(SAMPLE, operators=["drop_sqrt"], targets=["Diffusion.noise_scale", "helper"])]
    assert lines == [9, 13]
    assert [m.line for m in generate(SAMPLE, operators=["drop_sqrt"], targets=["coef"])] == [6]


@pytest.mark.parametrize(("kwargs", "word"), [({"targets": ["nowhere"]}, "target 'nowhere'"),
                                              ({"operators": ["drop_everything"]}, "drop_everything")])
def test_generate_refuses_an_unknown_target_or_operator(kwargs: dict[str, Any], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        generate(SAMPLE, **kwargs)


# --------------------------------------------------------------------------- the import hook
def test_finder_loads_the_mutant_under_every_name_of_the_file(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "mutpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("def root(v):\n    return v ** 0.5\n")
    mutant = generate((pkg / "mod.py").read_text(), operators=["drop_sqrt"])[0]
    marks: set[str] = set()
    finder = _bootstrap.install(str(pkg / "mod.py"), mutant.tree, str(pkg / "mod.py"), marks.add)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(pkg))
    try:
        import mod  # type: ignore[import-not-found]
        import mutpkg.mod  # type: ignore[import-not-found]

        assert marks == {"loaded"}
        assert mod.root(4.0) == 4.0 and mutpkg.mod.root(9.0) == 9.0  # the mutant, by either name
        assert mutpkg.mod.__file__ == str(pkg / "mod.py")
        assert marks == {"loaded", "reached"}
    finally:
        sys.meta_path.remove(finder)
        for name in ("mod", "mutpkg", "mutpkg.mod"):
            sys.modules.pop(name, None)


# --------------------------------------------------------------------------- equivalence records
def test_digest_tells_bit_identical_results_apart() -> None:
    x = torch.linspace(0, 1, 5, dtype=torch.float64)
    assert digest((x, {"v": np.arange(3.0)})) == digest((x.clone(), {"v": np.arange(3.0)}))
    assert digest(x) != digest(x + torch.finfo(torch.float64).eps)
    assert digest(x) != digest(x.float())
    assert digest(1.0) != digest(1)


def test_fingerprints_agree_up_to_rounding_only() -> None:
    x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    base = fingerprint((x, {"k": 3}))
    assert same(base, fingerprint((x * (1 + 4 * torch.finfo(torch.float64).eps), {"k": 3})))  # a few ulps
    assert not same(base, fingerprint((x * (1 + 1e-9), {"k": 3})))
    assert not same(base, fingerprint((x.float(), {"k": 3})))  # the dtype is part of the result
    assert not same(base, fingerprint((x, {"k": 4})))
    nan = torch.tensor([float("nan"), 1.0], dtype=torch.float64)
    assert same(fingerprint(nan), fingerprint(nan.clone()))
    assert not same(fingerprint(nan), fingerprint(nan.nan_to_num()))


def test_recorder_records_results_and_instance_state() -> None:
    module = types.ModuleType("recorded_sample")
    source = "class C:\n    def __init__(self, a):\n        self.a = a\n    def twice(self, x):\n        return 2 * x\n"
    exec(compile(source, "recorded_sample.py", "exec"), module.__dict__)
    recorder = Recorder(limit=2)
    recorder.instrument(module)
    c = module.C(np.ones(2))
    assert [c.twice(k) for k in (1, 2, 3)] == [2, 4, 6]
    assert recorder.counts == {"C.__init__": 1, "C.twice": 3}
    assert recorder.calls["C.twice"] == [digest(2), digest(4)]  # the first `limit` calls
    assert same(recorder.calls["C.__init__"], [fingerprint(c)])
    c.a[0] = 2.0
    assert not same(recorder.calls["C.__init__"], [fingerprint(c)])


# --------------------------------------------------------------------------- the command line
LIB = textwrap.dedent("""\
    import time

    DELAY = [0.0, 60.0, 0.0]


    def root(v):
        return v ** 0.5


    def wait(t):
        time.sleep(DELAY[t])


    def unused(x):
        return x.sum()
    """)


def _mutate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["mutate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module and the command that tests it, in the working directory; returns the command."""
    (tmp_path / "lib.py").write_text(LIB)
    monkeypatch.chdir(tmp_path)
    return f"{shlex.quote(sys.executable)} -c 'import lib; assert lib.root(4.0) == 2.0; lib.wait(0)'"


@pytest.mark.slow  # a mutation run: the slow tier
def test_run_judges_each_mutant_by_the_command(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _mutate(capsys, "lib.py", "--run", lib, "--operators", "drop_sqrt,shift_index,sum_mean",
                           "--timeout", "2", "--format", "json")
    rows = json.loads(out)
    assert code == 1  # a mutant survived
    assert [(r["operator"], r["location"], r["status"]) for r in rows] == [
        ("drop_sqrt", "lib.py:7", "killed"),
        ("shift_index", "lib.py:11", "survived"),   # DELAY[t - 1] is DELAY[-1] = 0: the command cannot tell
        ("shift_index", "lib.py:11", "timeout"),    # DELAY[t + 1] sleeps a minute
        ("sum_mean", "lib.py:15", "not_applicable"),  # unused() never runs
    ]
    assert all({"operator", "location", "status", "diff", "description", "detail"} <= set(r) for r in rows)
    assert "+    time.sleep(DELAY[t - 1])" in rows[1]["diff"]
    assert rows[0]["killed_by"] == "exit 1" and "AssertionError" in rows[0]["detail"]


@pytest.mark.slow  # a mutation run: the slow tier
def test_run_reaches_a_module_pytest_rewrites(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """pytest imports the modules of a package that registers a plugin (or ``register_assert_rewrite``)
    through its own assertion-rewriting hook, which it puts before the mutant's: the command's pytest
    runs with ``--assert=plain`` so that the mutant is what it imports (it was "never imports" before)."""
    (tmp_path / "rwpkg").mkdir()
    (tmp_path / "rwpkg" / "__init__.py").write_text("")
    (tmp_path / "rwpkg" / "core.py").write_text("def root(v):\n    return v ** 0.5\n")
    (tmp_path / "conftest.py").write_text("import pytest\n\npytest.register_assert_rewrite('rwpkg')\n")
    (tmp_path / "test_core.py").write_text("from rwpkg.core import root\n\n\ndef test_root():\n"
                                           "    assert root(4.0) == 2.0\n")
    monkeypatch.chdir(tmp_path)
    command = f"{shlex.quote(sys.executable)} -m pytest -q -p no:xdist test_core.py"
    code, out, _ = _mutate(capsys, "rwpkg/core.py", "--run", command, "--operators", "drop_sqrt", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [(r["operator"], r["status"]) for r in rows] == [("drop_sqrt", "killed")], out


def test_summary_counts_and_kill_rate() -> None:
    m = generate("y = np.sqrt(x)\n")[0]
    outcomes = [Outcome(m, s) for s in ("killed", "killed", "timeout", "survived", "equivalent", "not_applicable")]
    assert summary(outcomes) == ("6 mutants: 2 killed, 1 survived, 1 equivalent, 1 timeout, 1 not applicable; "
                                 "kill rate 3/4 (75 %)")


@pytest.mark.parametrize(("argv", "word"), [
    (["missing.py", "--run", "true"], "no file 'missing.py'"),
    (["lib.py"], "--run COMMAND and --verify"),
    (["lib.py", "--run", "true", "--verify", "lib:x"], "exactly one of --run"),
    (["lib.py", "--run", "true", "--target", "nowhere"], "--target"),
    (["lib.py", "--run", "true", "--operators", "drop_all"], "--operators"),
    (["lib.py", "--verify", "lib"], "--verify: expected MODULE:OBJECT"),
    (["lib.py", "--verify", "lib:root@"], "--verify: expected MODULE:OBJECT"),
    (["lib.py", "--verify", "lib:root", "--verify", "lib:root@ddpm"], "given twice"),
    (["lib.py", "--verify", "lib:root", "--verify", "lib:root@nonsense"], "--concept"),
    (["lib.py", "--verify", "lib:root", "--concept", "nonsense"], "--concept"),
    (["lib.py", "--run", "true", "--jobs", "0"], "--jobs"),
    (["lib.py", "--run", "exit 3"], "unmutated run"),
    (["lib.py", "--run", "true"], "never imports"),
])
def test_bad_input_is_a_usage_error_naming_the_option(lib: str, capsys: pytest.CaptureFixture[str],
                                                      argv: list[str], word: str) -> None:
    code, out, err = _mutate(capsys, *argv)
    assert code == 2 and out == ""
    assert word in err, err


# --------------------------------------------------------------------------- --verify end to end
VERIFY = ["tests/_mutate_sample.py", "--verify", "tests._mutate_sample:make", "--concept", "ddpm",
          "--conventions", "steps=zero_based", "--max-examples", "5", "--format", "json"]


@pytest.mark.slow  # a mutation run: the slow tier
def test_verify_kills_the_mutants_its_properties_see(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = _mutate(capsys, *VERIFY, "--target", "SmallDiffusion.q_sample",
                             "--operators", "drop_sqrt,randn_to_rand")
    rows = json.loads(out)
    assert code == 0, err
    assert [(r["operator"], r["location"], r["status"]) for r in rows] == [
        ("randn_to_rand", "tests/_mutate_sample.py:37", "not_applicable"),  # the adapter passes the noise
        ("drop_sqrt", "tests/_mutate_sample.py:38", "killed"),
        ("drop_sqrt", "tests/_mutate_sample.py:39", "killed"),
    ]
    killed = [r for r in rows if r["status"] == "killed"]
    assert all(r["killed_by"] == "ddpm.forward_marginal" and "values off" in r["detail"] for r in killed)


@pytest.mark.slow
def test_verify_reports_every_status_on_the_sample(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = _mutate(capsys, *VERIFY, "--target", "_extract", "SmallDiffusion.__init__",
                           "--operators", "drop_sqrt,drop_log_exp,clamp")
    rows = json.loads(out)
    assert code == 1
    assert [(r["operator"], r["location"], r["status"]) for r in rows] == [
        ("clamp", "tests/_mutate_sample.py:17", "equivalent"),  # the guard never binds on valid steps
        ("drop_log_exp", "tests/_mutate_sample.py:30", "survived"),  # no DDPM property reads log β̃_t
        ("drop_sqrt", "tests/_mutate_sample.py:32", "killed"),
        ("drop_sqrt", "tests/_mutate_sample.py:33", "killed"),
    ]
    assert "-        self.posterior_log_variance_clipped = np.log(" in rows[1]["diff"]


# --------------------------------------------------------------------------- several --verify objects
BASE_RECORD = ({"f": [digest(1.0)]}, {"f": 1})


def _judge(monkeypatch: pytest.MonkeyPatch, runs: dict[str, tuple[str, bool, bool]]) -> tuple[Outcome, list[str]]:
    """One mutant judged by the objects ``runs`` names, in order, each run replaced by its canned
    result ``(status, reached, record changed)``; returns the outcome and the objects that ran it."""
    ran: list[str] = []

    def fake(ctx: Any, job: Any, timeout: float | None) -> tuple[dict[str, Any] | None, float]:
        if job.expected is None:  # the baseline
            return {"status": "survived", "loaded": True, "reached": True, "properties": {"p": "passed"},
                    "record": BASE_RECORD}, 0.5
        ran.append(job.ref)
        status, reached, changed = runs[job.ref]
        if status == "timeout":
            return None, 2.0
        record = ({"f": [digest(2.0)]}, {"f": 1}) if changed else BASE_RECORD
        return {"status": status, "reached": reached, "record": record, "by": f"{job.concept}.p" * (status == "killed"),
                "detail": "", "properties": {"p": "passed"}}, 1.0

    monkeypatch.setattr(runner, "_in_process", fake)
    mutant = generate("y = np.sqrt(x)\n")[0]
    targets = [VerifyTarget(ref, concept, {}) for ref, concept in zip(runs, ("ddpm", "vae", "ode"), strict=False)]
    [outcome] = runner.run_verify([mutant], target_file=str(TESTS / "_mutate_sample.py"), targets=targets, jobs=1)
    return outcome, ran


@pytest.mark.parametrize(("runs", "status", "on", "ran"), [
    # the first kill decides and names its object; the objects after it never run
    ({"m:a": ("survived", True, True), "m:b": ("killed", True, True), "m:c": ("survived", True, True)},
     "killed", "m:b@vae", ["m:a", "m:b"]),
    ({"m:a": ("survived", True, False), "m:b": ("timeout", True, False)}, "timeout", "m:b@vae", ["m:a", "m:b"]),
    # equivalent only when every object's record is unchanged: one changed record survives
    ({"m:a": ("survived", True, False), "m:b": ("survived", True, True)}, "survived", "", ["m:a", "m:b"]),
    ({"m:a": ("survived", True, False), "m:b": ("survived", True, False)}, "equivalent", "", ["m:a", "m:b"]),
    # not applicable only when no object's run reaches the mutated expression
    ({"m:a": ("survived", False, False), "m:b": ("survived", True, True)}, "survived", "", ["m:a", "m:b"]),
    ({"m:a": ("survived", False, False), "m:b": ("survived", False, False)}, "not_applicable", "", ["m:a", "m:b"]),
], ids=["second-kills", "timeout", "one-record-changed", "all-unchanged", "one-reaches", "none-reaches"])
def test_several_objects_judge_a_mutant_in_turn(monkeypatch: pytest.MonkeyPatch, runs: dict[str, Any], status: str,
                                                on: str, ran: list[str]) -> None:
    outcome, called = _judge(monkeypatch, runs)
    assert (outcome.status, outcome.on, called) == (status, on, ran)
    assert outcome.by == ("vae.p" if status == "killed" else "")


def test_the_report_names_the_object_that_killed() -> None:
    m = generate("y = np.sqrt(x)\n")[0]
    killed = Outcome(m, "killed", by="vae.gaussian_kl", on="pkg.mod:make@vae")
    assert killed.to_dict()["killed_on"] == "pkg.mod:make@vae"
    assert {"operator", "location", "status", "diff", "description", "killed_by", "detail", "seconds"} <= set(
        killed.to_dict())
    assert "[vae.gaussian_kl on pkg.mod:make]" in render_text([killed], "", name_object=True)
    assert "[vae.gaussian_kl]" in render_text([killed], "")  # one object: named in the header


@pytest.mark.slow  # a mutation run: the slow tier
def test_verify_repeated_judges_with_every_object(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = _mutate(capsys, "tests/_mutate_sample.py", "--verify", "tests._mutate_sample:make_posterior@ddpm",
                             "--verify", "tests._mutate_sample:make", "--conventions", "steps=zero_based",
                             "--max-examples", "5", "--format", "json", "--target", "SmallDiffusion.q_sample",
                             "--operators", "drop_sqrt,randn_to_rand")
    rows = json.loads(out)
    assert code == 0, err
    assert [(r["location"], r["status"], r["killed_on"]) for r in rows] == [
        ("tests/_mutate_sample.py:37", "not_applicable", ""),  # neither view draws the noise
        ("tests/_mutate_sample.py:38", "killed", "tests._mutate_sample:make@ddpm"),  # the first view hides q_sample
        ("tests/_mutate_sample.py:39", "killed", "tests._mutate_sample:make@ddpm"),
    ]
