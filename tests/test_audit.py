"""The audit: the evidence builders decide correctly (planted transcription errors are caught),
the shipped index is the seeds' display formulas, every formula is accounted for, verdicts are
computed (never literals), and ``dgmcheck audit`` renders, filters and gates."""

from __future__ import annotations

import ast
import functools
import importlib
import json
import pkgutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import dgmcheck.audit.claims as claims_pkg
from dgmcheck import cli
from dgmcheck.audit.claims import all_claims
from dgmcheck.audit.formulas import build_index, extract, load_index, normalize
from dgmcheck.audit.model import (
    Claim,
    ClaimResult,
    all_of,
    holds_if,
    num_compare,
    num_equal,
    points,
    sym_equal,
    validate_claims,
)
from dgmcheck.audit.runner import run_claim
from dgmcheck.cli import main
from dgmcheck.theorems import BY_ID

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CLAIM_MODULES = sorted(m.name for m in pkgutil.iter_modules(claims_pkg.__path__) if not m.name.startswith("_"))
# The tests that read a module's verdicts run on one xdist worker (``--dist loadgroup``), so its
# claims are computed once per session, not once per worker that happens to get one of them.
#: The claims modules whose run (every verdict computed) stays in the gate: each costs under a second.
#: The others (sympy derivations of PDEs, quadrature, ~2-5 s each) recompute in the slow tier, and
#: ``.ci/run`` computes every verdict once more through ``dgmcheck audit`` before the gate.
GATE_CLAIM_MODULES = ("f000_l01_tricks", "f000_l04_vq_surgery", "f000_l05_gan", "f000_l05_l08_common",
                      "f000_l13_l14_f004_l14_discrete")
CLAIM_RUNS = [pytest.param(m, marks=[pytest.mark.xdist_group(f"audit-{m}"),
                                     *([] if m in GATE_CLAIM_MODULES else [pytest.mark.slow])])
              for m in CLAIM_MODULES]
VERDICTS_OF_CHECKS = {"holds", "fails", "holds_if", "slip", "imprecise"}

# --- the evidence builders: true statements hold, planted transcription errors fail ------------

a, b, x, mu = sp.symbols("a b x mu", real=True)
s = sp.symbols("sigma", positive=True)
_LOG_N = -((x - mu) ** 2) / (2 * s**2) - sp.log(s * sp.sqrt(2 * sp.pi))

SYMBOLIC_ROWS = [  # (name, lhs, rhs, holds?)
    ("gaussian score", sp.diff(_LOG_N, x), -(x - mu) / s**2, True),
    ("score with sigma for sigma^2", sp.diff(_LOG_N, x), -(x - mu) / s, False),
    ("score sign dropped", sp.diff(_LOG_N, x), (x - mu) / s**2, False),
    ("KL(N(m,s^2)||N(0,1))", sp.log(1 / s) + (s**2 + mu**2) / 2 - sp.Rational(1, 2),
     (s**2 + mu**2 - 1 - sp.log(s**2)) / 2, True),
    ("KL missing 1/2", sp.log(1 / s) + (s**2 + mu**2) / 2 - sp.Rational(1, 2), s**2 + mu**2 - 1 - sp.log(s**2), False),
    ("square of a sum", (a + b) ** 2, a**2 + 2 * a * b + b**2, True),
    ("cross term dropped", (a + b) ** 2, a**2 + b**2, False),
    ("matrix transpose", sp.Matrix([[a, b], [0, a]]).T, sp.Matrix([[a, 0], [b, a]]), True),
    ("transpose forgotten", sp.Matrix([[a, b], [0, a]]).T, sp.Matrix([[a, b], [0, a]]), False),
]


@pytest.mark.parametrize(("name", "lhs", "rhs", "true"), SYMBOLIC_ROWS, ids=[r[0] for r in SYMBOLIC_ROWS])
def test_sym_equal_decides(name: str, lhs: sp.Expr, rhs: sp.Expr, true: bool) -> None:
    out = sym_equal(lhs, rhs)
    assert out.ok is true, out
    if not true:  # the counterexample reproduces the failure from its numbers alone
        cx = out.counterexample
        assert cx is not None and set(cx) >= {"inputs", "lhs", "rhs", "residual"}
        point = {sym: cx["inputs"][str(sym)] for sym in sp.sympify(lhs).free_symbols | sp.sympify(rhs).free_symbols}
        assert not np.allclose(_value(lhs, point), _value(rhs, point))


def _value(expr: sp.Expr, point: dict) -> np.ndarray:
    v = sp.N(sp.sympify(expr).subs(point))
    return np.array(v.tolist() if isinstance(v, sp.MatrixBase) else v, dtype=float)


def test_num_equal_and_compare_catch_planted_errors() -> None:
    at = points(30, seed=4, m=(-2, 2), v=(0.1, 3))
    assert num_equal(lambda m, v: m**2 + v, lambda m, v: m**2 + v, at).ok
    bad = num_equal(lambda m, v: m**2 + v, lambda m, v: m**2 + np.sqrt(v), at)  # variance for std
    assert not bad.ok and bad.counterexample["inputs"].keys() == {"m", "v"}
    assert num_compare(lambda m, v: np.log(v), "<=", lambda m, v: v - 1, at).ok  # log v <= v - 1
    assert not num_compare(lambda m, v: v - 1, "<=", lambda m, v: np.log(v), at).ok
    with pytest.raises(ValueError, match="op"):
        num_compare(lambda: 0, "=<", lambda: 0, [{}])
    with pytest.raises(ValueError, match="at least one point"):
        num_equal(lambda: 0, lambda: 0, [])


def test_holds_if_needs_the_condition_to_matter() -> None:
    def sqrt_sq(lo: float, hi: float, seed: int):
        return num_equal(lambda x: np.sqrt(x**2), lambda x: x, points(10, seed=seed, x=(lo, hi)))

    conditional = holds_if("x >= 0", sqrt_sq(0, 3, 1), sqrt_sq(-3, -0.1, 2))
    assert conditional.verdict == "holds_if" and conditional.condition == "x >= 0"
    assert conditional.outside is not None and conditional.outside["inputs"]["x"] < 0
    assert holds_if("x <= 0", sqrt_sq(-3, -0.1, 3), sqrt_sq(0, 3, 4)).verdict == "fails"
    assert holds_if("always", sqrt_sq(0, 3, 5), sqrt_sq(0.5, 3, 6)).verdict == "holds"
    assert all_of(sqrt_sq(0, 1, 7), sqrt_sq(-1, -0.5, 8)).verdict == "fails"


def test_runner_reports_broken_checks_as_errors() -> None:
    def broken():
        raise ZeroDivisionError("planted")

    place = load_index()["000:1212"].places
    r = run_claim(Claim(id="t.broken", text="x", places=place, meaning="m", check=broken))
    assert r.verdict == "error" and "ZeroDivisionError" in r.evidence
    r = run_claim(Claim(id="t.literal", text="x", places=place, meaning="m", check=lambda: "holds"))
    assert r.verdict == "error" and "not an Outcome" in r.evidence


# --- the index and the coverage of the seeds ---------------------------------------------------


def test_index_is_the_seeds_display_formulas(seeds: Path) -> None:
    """The shipped index is rebuilt from the lecture files (``DGMCHECK_SEEDS``; skipped without)."""
    fresh = build_index(seeds)
    shipped = load_index()
    assert [f.id for f in fresh] == list(shipped)
    for f in fresh:
        assert shipped[f.id].text == f.text and shipped[f.id].places == f.places


def test_every_display_formula_of_the_seeds_is_accounted_for(seeds: Path) -> None:
    by_text = {normalize(f.text): f.id for f in load_index().values()}
    referenced = {fid for c in all_claims() for fid in c.formulas}
    missing = []
    blocks = 0
    for path in sorted(seeds.glob("0*.txt")):
        for text, place in extract(path):
            blocks += 1
            if by_text.get(normalize(text)) not in referenced:
                missing.append(place.cite())
    assert blocks > 800
    assert not missing, f"{len(missing)} display formulas are neither a claim nor a definition: {missing[:20]}"


def test_every_shipped_formula_is_referenced() -> None:
    referenced = {fid for c in all_claims() for fid in c.formulas}
    missing = sorted(set(load_index()) - referenced)
    assert not missing, f"{len(missing)} formulas of the index have no claim: {missing[:20]}"


def test_the_gate_runs_some_claims_modules_and_the_slow_tier_the_rest() -> None:
    assert set(GATE_CLAIM_MODULES) <= set(CLAIM_MODULES), sorted(set(GATE_CLAIM_MODULES) - set(CLAIM_MODULES))
    assert 0 < len(GATE_CLAIM_MODULES) < len(CLAIM_MODULES)


def test_claims_are_valid() -> None:
    claims = all_claims()
    assert len({c.id for c in claims}) == len(claims)
    assert validate_claims(claims, registry_ids=set(BY_ID)) == []


# --- verdicts are computed -----------------------------------------------------------------------


@pytest.mark.parametrize("module", CLAIM_MODULES)
def test_no_literal_verdicts(module: str) -> None:
    """A claims module never writes a verdict or builds an Outcome itself: only the evidence builders do."""
    path = Path(importlib.import_module(f"dgmcheck.audit.claims.{module}").__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [f"line {n.lineno}: {n.value!r}" for n in ast.walk(tree)
           if isinstance(n, ast.Constant) and n.value in VERDICTS_OF_CHECKS]
    bad += [f"line {n.lineno}: Outcome" for n in ast.walk(tree)
            if isinstance(n, ast.Name) and n.id == "Outcome"]
    assert not bad, f"{module}: literal verdicts or hand-built outcomes: {bad}"


@dataclass(frozen=True)
class ModuleRun:
    """One run of a claims module: every claim's result, and for each claim linked to a registry
    theorem whether one of its oracle's modules ran while its check computed the outcome."""

    results: list[ClaimResult]
    oracle_ran: dict[str, bool]


def _run_watching(claim: Claim, oracle_modules: set[str]) -> tuple[ClaimResult, bool]:
    """``run_claim(claim)``, watching function calls until the first one into ``oracle_modules``; the
    watch then stops, so the rest of the check runs at full speed (one run gives both answers)."""
    seen = False

    def profile(frame, event, arg):
        nonlocal seen
        if event == "call" and frame.f_globals.get("__name__", "") in oracle_modules:
            seen = True
            sys.setprofile(None)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        result = run_claim(claim)
    finally:
        sys.setprofile(previous)
    return result, seen


@functools.cache
def module_run(module: str) -> ModuleRun:
    """Each claims module runs at most once per test session: the tests that read its verdicts share
    this run, and their ``xdist_group`` sends them to one worker."""
    results, oracle_ran = [], {}
    for c in importlib.import_module(f"dgmcheck.audit.claims.{module}").CLAIMS:
        if c.theorem and c.check is not None:
            r, oracle_ran[c.id] = _run_watching(c, {ref.split(":")[0] for ref in BY_ID[c.theorem].oracle_refs})
        else:
            r = run_claim(c)
        results.append(r)
    return ModuleRun(results, oracle_ran)


@pytest.mark.parametrize("module", CLAIM_RUNS, scope="module")
def test_module_checks_run_and_explain_failures(module: str) -> None:
    for r in module_run(module).results:
        assert r.verdict != "error", f"{r.claim.id}: {r.evidence}"
        if r.claim.kind == "claim":
            assert r.verdict in VERDICTS_OF_CHECKS
        if r.verdict in ("fails", "slip"):
            assert r.claim.corrected, f"{r.claim.id} is {r.verdict} but states no corrected form"
        if r.verdict in ("fails", "slip", "imprecise"):
            assert r.counterexample, f"{r.claim.id} is {r.verdict} without a counterexample"
        if r.verdict == "holds_if":
            assert r.condition and r.counterexample, f"{r.claim.id}: holds_if needs its condition and a case outside"


@pytest.mark.parametrize("module", CLAIM_RUNS, scope="module")
def test_linked_claims_reuse_their_theorems_oracle(module: str) -> None:
    """A claim linked to a registry theorem computes its verdict through that theorem's oracle (one of
    the modules of its ``oracle_refs`` runs), instead of re-deriving the mathematics."""
    run = module_run(module)
    offenders = [f"{c.id} -> {c.theorem} {sorted({ref.split(':')[0] for ref in BY_ID[c.theorem].oracle_refs})}"
                 for c in (r.claim for r in run.results) if c.id in run.oracle_ran and not run.oracle_ran[c.id]]
    assert not offenders, f"{len(offenders)} linked claims do not call their oracle: {offenders}"


def test_oracle_watch_sees_only_the_oracle_modules() -> None:
    """The watch behind the linked-claims test: a check that calls its oracle is seen, one that
    re-derives the mathematics (or calls another theory module) is not."""
    from dgmcheck.theory import ddpm, latent

    place = load_index()["000:1212"].places
    betas = np.linspace(1e-4, 0.02, 10)

    def by_hand_var(t):  # beta-tilde_t = (1 - abar_{t-1}) beta_t / (1 - abar_t)
        abar = np.concatenate([[1.0], np.cumprod(1 - betas)])
        return (1 - abar[t - 1]) * betas[t - 1] / (1 - abar[t])

    def through_oracle():
        return num_equal(lambda t: ddpm.posterior(betas, t)[2], by_hand_var, [{"t": 5}])

    def by_hand():
        return num_equal(by_hand_var, by_hand_var, [{"t": 5}])

    def other_module():
        eye = np.eye(1)
        return num_equal(lambda: latent.gaussian_kl(np.zeros(1), eye, np.zeros(1), eye), lambda: 0.0, [{}])

    claim = functools.partial(Claim, id="t.w", text="x", places=place, meaning="m")
    oracle = {"dgmcheck.theory.ddpm"}
    assert _run_watching(claim(check=through_oracle), oracle)[1]
    assert not _run_watching(claim(check=by_hand), oracle)[1]
    result, seen = _run_watching(claim(check=other_module), oracle)
    assert not seen and result.verdict == "holds"
    assert sys.getprofile() is None


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _concepts_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` builds the whole parser each call, and the ``verify`` subcommand's help lists the check
    modules by parsing each file (~0.1 s apiece); the audit tests read that list once per session."""
    monkeypatch.setattr(cli, "available_concepts", _available_concepts)


_available_concepts = functools.cache(cli.available_concepts)


def test_cli_user_claims_toml_and_python(capsys: pytest.CaptureFixture[str]) -> None:
    toml, py = str(EXAMPLES / "my_notes.toml"), str(EXAMPLES / "my_derivation.py")
    assert main(["audit", "--claims", toml, "--claims", py, "--format", "json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert {k: v["verdict"] for k, v in rows.items()} == {
        "notes.kl_to_standard_normal": "holds", "notes.vp_marginal_variance_bounded": "holds_if",
        "notes.gaussian_score": "fails", "derivation.eps_mean": "holds", "derivation.eps_mean_typo": "fails"}
    for r in rows.values():
        assert {"id", "sources", "text", "verdict", "evidence", "theorem"} <= set(r)
        assert {"file", "lecture", "slide", "line"} == set(r["sources"][0])
    assert main(["audit", "--claims", toml, "--strict"]) == 1
    text = capsys.readouterr().out
    assert "counterex." in text and "corrected:" in text and "holds_if" in text


def test_cli_only_markdown_and_stable_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    toml = str(EXAMPLES / "my_notes.toml")
    assert main(["audit", "--claims", toml, "--only", "notes.gauss", "--format", "json"]) == 0
    first = capsys.readouterr().out
    assert [r["id"] for r in json.loads(first)] == ["notes.gaussian_score"]
    assert main(["audit", "--claims", toml, "--only", "notes.gauss", "--format", "json"]) == 0
    assert capsys.readouterr().out == first
    out = tmp_path / "audit.md"
    assert main(["audit", "--claims", toml, "--format", "markdown", "--output", str(out)]) == 0
    md = out.read_text()
    assert md.startswith("# dgmcheck audit") and "| fails | `notes.gaussian_score` |" in md


@pytest.mark.parametrize(("argv", "message"), [
    (["--claims", "no/such/file.toml"], "no such file"),
    (["--claims", str(EXAMPLES / "my_notes.toml"), "--only", "L99"], "matches no claim"),
])
def test_cli_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", *argv]) == 2
    assert message in capsys.readouterr().err


def test_toml_errors_name_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[claim]]\nid = "x"\ntext = "t"\nlhs = "a +"\nrhs = "a"\n')
    assert main(["audit", "--claims", str(bad)]) == 2
    assert "`lhs` is not a sympy expression" in capsys.readouterr().err
    bad.write_text('[[claim]]\nid = "x"\ntext = "t"\nlhs = "a"\nrhs = "a"\nrelation = "<="\ndomain = { a = [2, 1] }\n')
    assert main(["audit", "--claims", str(bad)]) == 2
    assert "`domain.a` must be [lo, hi]" in capsys.readouterr().err
