"""The verdict taxonomy of the audit: ``fails`` / ``slip`` / ``imprecise`` are computed, never typed.

(a) data checks over every shipped claim: a slip cites neighbouring lines of its own file and states
its corrected form, an imprecise claim carries the evidence of its approximate reading, a holds_if
condition is not already part of the statement; (b) the builders decide planted cases (a slip whose
corrected form also fails is ``fails``, one whose written form holds is ``holds``, ...); (c) the
verdicts of the reclassified lecture claims, pinned as data: the expected verdict is the human
judgement of the reading (recorded in each claim's ``meaning``), and the test recomputes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dgmcheck.audit.claims import all_claims
from dgmcheck.audit.formulas import Place, headings, load_index
from dgmcheck.audit.model import (
    Claim,
    all_of,
    condition_stated,
    holds_if,
    imprecise,
    num_compare,
    num_equal,
    points,
    slip,
    validate_claims,
)
from dgmcheck.audit.report import (
    STRICT_VERDICTS,
    VERDICTS,
    counts,
    gate_failures,
    per_file,
    render_json,
    render_markdown,
    render_text,
)
from dgmcheck.audit.runner import run_claim
from tests.test_audit import CLAIM_RUNS, module_run

#: How far (in lines) a slip's evidence may sit from one of the claim's sources.
NEAR = 15
_PLACE = load_index()["000:1212"].places[0]
_NEAR_PLACE = Place(_PLACE.file, _PLACE.lecture, _PLACE.slide, _PLACE.line - 2)


# --- planted outcomes --------------------------------------------------------------------------


def _sqrt_of_square(lo: float, hi: float, seed: int):
    """sqrt(x^2) == x on x in (lo, hi): holds for lo >= 0, fails (a counterexample) for negative x."""
    return num_equal(lambda x: np.sqrt(x**2), lambda x: x, points(8, seed=seed, x=(lo, hi)))


def _abs_value(lo: float, hi: float, seed: int):
    """sqrt(x^2) == |x|: holds everywhere."""
    return num_equal(lambda x: np.sqrt(x**2), lambda x: np.abs(x), points(8, seed=seed, x=(lo, hi)))


def _written_fails():
    return _sqrt_of_square(-3, -0.1, 1)


def _corrected_holds():
    return _abs_value(-3, 3, 2)


def _corrected_fails():
    return num_equal(lambda x: np.sqrt(x**2), lambda x: -x, points(8, seed=3, x=(0.1, 3)))


# --- (b) the builders ----------------------------------------------------------------------------


def test_slip_needs_a_failing_written_form_a_holding_correction_and_evidence() -> None:
    out = slip(_written_fails(), _corrected_holds(), evidence=(_NEAR_PLACE,), why="|x| written as x")
    assert out.verdict == "slip" and not out.ok
    assert out.places == (_NEAR_PLACE,) and out.why == "|x| written as x"
    assert out.counterexample is not None and out.counterexample["inputs"]["x"] < 0  # the written form's
    assert out.support is not None and "equal at 8 points" in out.support


def test_slip_whose_corrected_form_also_fails_is_fails() -> None:
    out = slip(_written_fails(), _corrected_fails(), evidence=(_NEAR_PLACE,), why="a wrong correction")
    assert out.verdict == "fails" and out.category is None and out.places == ()
    assert out.counterexample is not None


def test_slip_whose_written_form_holds_is_holds() -> None:
    out = slip(_sqrt_of_square(0, 3, 4), _corrected_holds(), evidence=(_NEAR_PLACE,), why="no slip at all")
    assert out.verdict == "holds" and out.ok and out.counterexample is None


def test_slip_with_a_conditional_correction_is_fails() -> None:
    conditional = holds_if("x >= 0", _sqrt_of_square(0, 3, 5), _sqrt_of_square(-3, -0.1, 6))
    assert conditional.verdict == "holds_if"
    assert slip(_written_fails(), conditional, evidence=(_NEAR_PLACE,), why="w").verdict == "fails"


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"evidence": (), "why": "w"}, ValueError, "at least one"),
    ({"evidence": ("000:1212",), "why": "w"}, TypeError, "Places"),
    ({"evidence": (_NEAR_PLACE,), "why": "  "}, ValueError, "why"),
])
def test_slip_rejects_missing_evidence_and_reasons(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        slip(_written_fails(), _corrected_holds(), **kwargs)


def test_imprecise_needs_a_failing_exact_reading_and_a_holding_approximate_one() -> None:
    def gap(n):  # |(1 + 1/n)^n - e|: the limit reading holds (-> 0), the exact reading fails at every n
        return abs((1 + 1 / n) ** n - np.e)

    exact = num_equal(lambda n: (1 + 1 / n) ** n, lambda n: np.e, [{"n": 10}])
    limit = num_compare(gap, "<", lambda n: 2.0 / n, [{"n": n} for n in (10, 100, 1000)])
    out = imprecise(exact, limit, why="(1 + 1/n)^n = e only as n -> inf")
    assert out.verdict == "imprecise" and not out.ok and out.counterexample["inputs"] == {"n": 10}
    assert out.support is not None and "lhs < rhs at 3 points" in out.support and out.places == ()
    wrong_limit = num_compare(gap, "<", lambda n: 0.1 / n, [{"n": n} for n in (10, 100, 1000)])
    assert imprecise(exact, wrong_limit, why="w").verdict == "fails"
    assert imprecise(num_equal(lambda n: n, lambda n: n, [{"n": 1}]), limit, why="w").verdict == "holds"
    with pytest.raises(TypeError, match="Outcomes"):
        imprecise(exact, "holds", why="w")  # type: ignore[arg-type]


def test_all_of_keeps_the_category_unless_a_part_fails_outright() -> None:
    s = slip(_written_fails(), _corrected_holds(), evidence=(_NEAR_PLACE,), why="w")
    assert all_of(_corrected_holds(), s).verdict == "slip"
    assert all_of(s, _corrected_fails()).verdict == "fails"
    assert all_of(_corrected_fails(), s).verdict == "fails"


@pytest.mark.parametrize(("condition", "text", "stated"), [
    # the holds_if that the sentence already states (000 L11, line 4067): flagged
    ("Var x(0) = 1 (per coordinate)", "Variance is preserved as long as  $\\mathbf{x}(0)$  has unit variance.", True),
    ("gamma != 1", "for $\\gamma \\neq 1$, $s^\\gamma$ is not the guided score", True),
    ("0 <= gamma <= 1", "for $0 \\le \\gamma \\le 1$ this is a convex combination", True),
    ("eps = 0 (the limit eps -> 0)", "\\boldsymbol{\\sigma}_t(\\mathbf{x}_1) = \\boldsymbol{\\epsilon}", False),
    ("gamma != 1", "$\\mathbf{s}^{\\gamma}(\\mathbf{x}_t, \\mathbf{y})$ is not the true guided score", False),
    ("0 <= gamma <= 1", "Use their convex combination at inference.", False),
    ("p_data and p_theta are Gaussian", "$$\\text{FID}(p, q) = W_2^2(p \\| q)$$", False),
])
def test_condition_stated_reads_symbols_and_words(condition: str, text: str, stated: bool) -> None:
    assert condition_stated(condition, text) is stated


# --- rendering and the gate ------------------------------------------------------------------------


def _claim(cid: str, check, **kw) -> Claim:
    return Claim(id=cid, text="x", places=(_PLACE,), meaning="m", check=check, **kw)


def _results():
    conv = (Place("000", "L2", "Jacobian Matrix", 422),)
    return [
        run_claim(_claim("t.slip", lambda: slip(_written_fails(), _corrected_holds(), evidence=(_NEAR_PLACE,),
                                                why="|x| written as x"), corrected="|x|", convention=conv)),
        run_claim(_claim("t.imprecise", lambda: imprecise(_written_fails(), _corrected_holds(), why="in a limit"))),
        run_claim(_claim("t.fails", _corrected_fails, corrected="|x|")),
        run_claim(_claim("t.holds", _corrected_holds)),
    ]


def test_results_and_json_carry_the_category_evidence_and_only_new_keys() -> None:
    slip_r, imp_r, fails_r, holds_r = _results()
    assert [r.verdict for r in (slip_r, imp_r, fails_r, holds_r)] == ["slip", "imprecise", "fails", "holds"]
    rows = {r["id"]: r for r in json.loads(render_json([slip_r, imp_r, fails_r, holds_r]))}
    assert rows["t.slip"]["evidence_places"] == [_NEAR_PLACE.as_dict()]
    assert rows["t.slip"]["why"] == "|x| written as x" and "equal at 8 points" in rows["t.slip"]["support"]
    assert rows["t.slip"]["convention"] == [{"file": "000", "lecture": "L2", "slide": "Jacobian Matrix", "line": 422}]
    assert rows["t.slip"]["counterexample"]["inputs"]["x"] < 0
    assert "support" in rows["t.imprecise"] and "evidence_places" not in rows["t.imprecise"]
    base = {"id", "kind", "sources", "formulas", "text", "meaning", "verdict", "evidence", "theorem"}
    assert set(rows["t.holds"]) == base  # a claim without the new fields renders exactly as before
    assert set(rows["t.fails"]) == base | {"counterexample", "corrected"}


def test_counts_tables_and_text_show_the_new_verdicts() -> None:
    results = _results()
    c = counts(results)
    assert {v: c[v] for v in ("slip", "imprecise", "fails", "holds")} == dict.fromkeys(
        ("slip", "imprecise", "fails", "holds"), 1)
    assert list(c) == list(VERDICTS)
    row = per_file(results)[0]
    assert row["slip"] == 1 and row["imprecise"] == 1 and row["entries"] == 4
    text = render_text(results)
    head = text.splitlines()[1]
    assert "slip 1" in head and "imprecise 1" in head and "fails 1" in head
    assert "fixed by:" in text and _NEAR_PLACE.cite() in text and "convention:" in text and "support:" in text
    md = render_markdown(results)
    assert "### `t.slip` — slip" in md and "### `t.imprecise` — imprecise" in md and "Fixed by:" in md


def test_strict_gates_on_everything_false_as_written() -> None:
    """``--strict`` counts fails, slip, imprecise and error: a slip is still false as written."""
    assert set(STRICT_VERDICTS) == {"fails", "slip", "imprecise", "error"}
    results = _results()
    assert gate_failures(results) == 3
    assert gate_failures([r for r in results if r.verdict == "holds"]) == 0


def test_convention_must_be_places() -> None:
    bad = _claim("t.bad", _corrected_holds, convention=("000:422",))  # type: ignore[arg-type]
    assert any("convention" in p for p in validate_claims([bad]))


# --- (a) data checks over every shipped claim ------------------------------------------------------


def test_a_reading_by_a_convention_cites_where_the_slides_define_it() -> None:
    """A claim whose reading rests on a convention (the layout of a Jacobian or of a transition matrix, the
    range of a guidance scale) names the line that defines it, so the judgement can be checked at its source."""
    missing = [c.id for c in all_claims() if "convention" in c.meaning.lower() and not c.convention]
    assert not missing, missing



def _near_a_source(place: Place, claim: Claim) -> bool:
    return any(p.file == place.file and abs(p.line - place.line) <= NEAR for p in claim.sources())


@pytest.mark.parametrize("module", CLAIM_RUNS, scope="module")
def test_shipped_slips_imprecise_and_holds_if_carry_their_evidence(module: str) -> None:
    problems = []
    for r in module_run(module).results:
        c = r.claim
        if r.verdict == "slip":
            if not any(_near_a_source(p, c) for p in r.places):
                problems.append(f"{c.id}: no evidence line within {NEAR} lines of a source in the same file "
                                f"({[p.cite() for p in r.places]})")
            if not c.corrected:
                problems.append(f"{c.id}: a slip states no corrected text")
        if r.verdict in ("slip", "imprecise"):
            if not (r.support and r.why and r.counterexample):
                problems.append(f"{c.id}: a {r.verdict} needs the supporting reading, a why and a counterexample")
        if r.verdict == "holds_if" and condition_stated(r.condition or "", c.written()):
            problems.append(f"{c.id}: the condition {r.condition!r} is already in the statement: the verdict is holds")
    assert not problems, "\n".join(problems)


def _headings(path: Path) -> list[tuple[str, str]]:
    """Per line of a seed file, the (lecture, slide) in force, as the formula index assigns them."""
    return headings(path.read_text(encoding="utf-8").split("\n"))


def test_cited_lines_name_their_lecture_and_slide(seeds: Path) -> None:
    """Every convention place, and every evidence place of the pinned claims, is a non-blank line of
    its seed file under the lecture and slide it names (``DGMCHECK_SEEDS``; skipped without)."""
    files = {p.name.split("_", 1)[0]: p for p in seeds.glob("0*.txt")}
    heads = {f: _headings(p) for f, p in files.items()}
    lines = {f: p.read_text(encoding="utf-8").split("\n") for f, p in files.items()}
    by_id = {c.id: c for c in all_claims()}
    cited = [(c.id, p) for c in by_id.values() for p in c.convention]
    cited += [(cid, p) for cid, *_ in PINNED for p in run_claim(by_id[cid]).places]
    bad = [f"{cid}: {p.cite()} (there: {heads[p.file][p.line - 1]})" for cid, p in cited
           if heads[p.file][p.line - 1] != (p.lecture, p.slide) or not lines[p.file][p.line - 1].strip()]
    assert len(cited) > 30 and not bad, bad


# --- (c) the reclassified lecture claims, pinned ---------------------------------------------------

#: (claim id, expected verdict, the reading that decides it). The verdicts are the judgement recorded in
#: each claim's ``meaning``; the test recomputes them through the claim's own check.
PINNED = [
    ("000.L1.dirac_delta_definition", "slip", "x = x0 for x = 0: lines 151 and 155 use delta(x - x0)"),
    ("000.L2.linear_flow_jacobian", "slip", "W^T for W under the slides' Jacobian layout (line 422)"),
    ("000.L2.lu_decomposition", "fails", "positive diagonals are stated on purpose and are false"),
    ("000.L4.straight_through_approximation", "imprecise", "'≈' labels the straight-through estimator"),
    ("000.L5.jsd_is_symmetric_kl", "imprecise", "a label naming another object (Jeffreys' divergence)"),
    ("000.L5.jsd_is_metric", "imprecise", "sqrt(JSD) is the metric, not JSD"),
    ("000.L5.wgan_objective_approx", "holds_if", "the critic class must contain a dual maximizer"),
    ("000.L6.fid_is_w2", "holds_if", "FID is W_2^2 of the Gaussian fits"),
    ("000.L8.optimal_variance_interval", "holds_if", "the interval needs data variance <= 1"),
    ("000.L8.simple_loss_same_minimizer", "holds_if", "a surrogate: same minimizer for a per-t model"),
    ("000.L14.masked_lm_final_objective", "holds_if", "the same surrogate reading as L_simple"),
    ("000.L9.score_from_eps", "slip", "a dropped minus sign; line 3188 has it"),
    ("000.L9.scaled_not_true_score", "holds", "gamma scales the guidance up (line 3382): gamma = 1 is excluded"),
    ("000.L9.cfg_convex_combination", "imprecise", "an affine, not convex, combination at gamma = 3"),
    ("000.L9.flow_integral_odesolve", "slip", "psi_t for psi_{t_1}"),
    ("003.L9.flow_integral", "slip", "psi_t for psi_{t_1}"),
    ("000.L11.ve_limit_step", "slip", "dt for sqrt(dt)"),
    ("000.L11.vp_variance_preserved", "holds", "'as long as' states the condition"),
    ("000.L11.kernel_score_sigma", "slip", "sigma for sigma^2; line 4122 defines the variance"),
    ("000.L11.cfm_equal_optimal_values", "imprecise", "'optimal value' where the minimizer is equal"),
    ("002.L14.gaussian_cond_path_pair_sigma_sq", "slip", "sigma_t^2 for sigma_t in the sample"),
    ("000.L12.linear_boundary_eps", "imprecise", "deltas only in the limit eps -> 0"),
    ("000.L12.linear_path_sample", "imprecise", "the noise-free sample is the eps -> 0 limit"),
    ("000.L13.posterior_matrix_form", "slip", "Q_t x_t for Q_t^T x_t (column convention, line 4814)"),
    ("000.L14.sequence_cumulative_as_printed", "slip", "X_{t-1} for X_0 in the conditioning"),
    ("000.L14.mdlm_loss_estimator", "holds", "'lambda ~ w' makes w a density"),
    ("000.L14.ar_recap", "slip", "x_{1:i} for x_{1:i-1}; L1 (line 300) has it"),
    ("001.dm.posterior_as_printed", "slip", "missing bars on alpha"),
    ("001.dm.mu_tilde_eps_step", "slip", "1/sqrt(alpha_t) for 1/sqrt(abar_t)"),
    ("001.dm.marginal_likelihood_as_printed", "slip", "p(x_{1:T}) for p(x_{0:T})"),
    ("001.dm.mu_theta_eps_as_printed", "slip", "sqrt(1 - alpha_t) for sqrt(1 - abar_t)"),
    ("001.dm.lt_mean_weight_as_printed", "slip", "||Sigma||_2^2 for ||Sigma||_2 = sigma_t^2"),
    ("001.dm.sm_objective_as_printed", "slip", "grad log p_theta for grad log p_d"),
    ("001.dm.implicit_sm_as_printed", "fails", "no neighbouring line fixes the intended term"),
    ("001.dm.time_score_objective_as_printed", "slip", "grad log p for grad log p_t"),
    ("001.dm.euler_noise_as_printed", "slip", "beta_t for beta(t)"),
    ("001.dm.pf_ode_as_printed", "slip", "a dropped 1/2; line 682 has it"),
]


def test_pinned_table_is_consistent() -> None:
    ids = [cid for cid, *_ in PINNED]
    known = {c.id for c in all_claims()}
    assert len(set(ids)) == len(ids) and set(ids) <= known, sorted(set(ids) - known)
    verdicts = {cid: v for cid, v, _ in PINNED}
    # the two surrogate objectives are read alike
    assert verdicts["000.L14.masked_lm_final_objective"] == verdicts["000.L8.simple_loss_same_minimizer"]


@pytest.mark.parametrize(("cid", "expected", "reading"), PINNED, ids=[p[0] for p in PINNED])
def test_reclassified_claims_compute_their_verdict(cid: str, expected: str, reading: str) -> None:
    claim = next(c for c in all_claims() if c.id == cid)
    result = run_claim(claim)
    assert result.verdict == expected, f"{cid} ({reading}): computed {result.verdict}: {result.evidence[:300]}"
    if expected in ("slip", "imprecise", "fails"):
        assert result.counterexample, f"{cid}: false as written, so it keeps its counterexample"
    assert "Judgement" in claim.meaning, f"{cid}: record the judgement between the readings in `meaning`"
