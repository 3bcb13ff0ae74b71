"""The audit beyond display formulas: the statement index (inline formulas, table rows, theorem-like prose) is
the seeds', every statement is classified (a claim id, or not a claim for a reason of a closed set), the rules
classify planted examples as documented, and the new claims run and catch the slips they were written for."""

from __future__ import annotations

import functools
import importlib
from collections import Counter
from pathlib import Path

import pytest

from dgmcheck.audit.formulas import Place, load_index
from dgmcheck.audit.model import validate_claims
from dgmcheck.audit.runner import run_claim
from dgmcheck.audit.scope import (
    REASONS,
    Scope,
    claim_ids,
    classify,
    display_match,
    explicit,
    has_relation,
    is_declaration,
    lead_in,
    scope_counts,
    scopes,
    unclassified,
)
from dgmcheck.audit.statements import (
    STATEMENT_KINDS,
    Statement,
    build_index,
    extract,
    is_assertion,
    load_statements,
    sentences,
)
from dgmcheck.theorems import BY_ID

#: Files whose every statement is classified (the test of completeness runs per file and kind).
COMPLETE_FILES = ("000", "001", "002", "003", "004")
INLINE_MODULES = ("f000_inline_l01_l14", "f001_inline", "f002_inline", "f003_inline", "f004_inline")


# --- the index is the seeds' ---------------------------------------------------------------------------------


def test_index_is_the_seeds_statements(seeds: Path) -> None:
    """The shipped index is rebuilt from the lecture files (``DGMCHECK_SEEDS``; skipped without)."""
    fresh = build_index(seeds)
    shipped = load_statements()
    assert [s.id for s in fresh] == list(shipped)
    for s in fresh:
        assert shipped[s.id] == s


def test_inline_formulas_are_every_single_dollar_pair(seeds: Path) -> None:
    """Counted another way: the ``$`` signs outside ``$$`` blocks, in pairs, per file."""
    for path in sorted(seeds.glob("0*.txt")):
        segments = path.read_text(encoding="utf-8").split("$$")
        dollars = sum(seg.count("$") for seg in segments[::2])
        assert dollars % 2 == 0
        extracted = [r for r in extract(path) if r[0] == "inline"]
        assert len(extracted) == dollars // 2, path.name
        assert all(place.file == path.name[:3] for _, _, place, _ in extracted)


def test_every_place_of_the_index_is_an_extracted_statement(seeds: Path) -> None:
    shipped_places = Counter((s.kind, p.file, p.line) for s in load_statements().values() for p in s.places)
    extracted = Counter((kind, place.file, place.line) for path in sorted(seeds.glob("0*.txt"))
                        for kind, _, place, _ in extract(path))
    assert shipped_places == extracted


def test_index_ids_and_kinds() -> None:
    index = load_statements()
    assert len(index) > 700
    for sid, s in index.items():
        assert s.kind in STATEMENT_KINDS
        first = s.places[0]
        suffix = sid.rsplit(":", 1)[1]
        assert sid.startswith(f"{first.file}:{first.line}:")
        assert suffix == {"table": "t", "prose": "p"}.get(s.kind, suffix)
        if s.kind == "inline":
            assert suffix.startswith("i") and int(suffix[1:]) >= 1


# --- extraction on a planted lecture file ----------------------------------------------------------------------


PLANTED = """## Lecture 3
# Slide one
Let $x \\in \\mathbb{R}^m$ and $\\beta_t \\in (0, 1)$ with display
$$a = b$$
and $$c = d$$ inline $y = 2$ after.
| model | density |
|---|---|
| flows | $\\log p$ exact |
| plain | words |
| GAN | ✗ |
The posterior is Gaussian. Another sentence here.
## Theorem (Picard)
The flow map is a bijection. It exists.
# Next slide
Nothing is asserted here.
"""


@pytest.fixture
def planted_seeds(tmp_path: Path) -> Path:
    (tmp_path / "010_planted.txt").write_text(PLANTED, encoding="utf-8")
    (tmp_path / "011_repeat.txt").write_text("# Other\nThe posterior is Gaussian.\n", encoding="utf-8")
    return tmp_path


def test_extract_planted_file(planted_seeds: Path) -> None:
    rows = extract(planted_seeds / "010_planted.txt")
    inline = [(t, p.line, k) for kind, t, p, k in rows if kind == "inline"]
    assert inline == [("x \\in \\mathbb{R}^m", 3, 1), ("\\beta_t \\in (0, 1)", 3, 2), ("y = 2", 5, 1),
                      ("\\log p", 8, 1)]  # inline formulas of table cells count too
    tables = [(t, p.line) for kind, t, p, _ in rows if kind == "table"]
    assert [line for _, line in tables] == [8, 9, 10]  # the header row and the separator row are skipped
    prose = {p.line: t for kind, t, p, _ in rows if kind == "prose"}
    assert prose == {11: "The posterior is Gaussian.", 13: "The flow map is a bijection. It exists."}
    place = next(p for kind, _, p, _ in rows if kind == "inline")
    assert (place.file, place.lecture, place.slide) == ("010", "L3", "Slide one")


def test_build_index_merges_repeats_across_files(planted_seeds: Path) -> None:
    index = {s.id: s for s in build_index(planted_seeds)}
    repeat = index["010:11:p"]
    assert [(p.file, p.line) for p in repeat.places] == [("010", 11), ("011", 2)]
    assert "011:2:p" not in index


def test_sentence_rules() -> None:
    assert sentences("A is $x. Y$ fine. Then $b$ is unknown.") == ["A is $x. Y$ fine.", "Then $b$ is unknown."]
    for yes in ("q is Gaussian.", "they are not independent", "this equals the loss", "the chain converges",
                "the objective is equivalent to", "it is a valid density", "p is intractable",
                "the two are equal", "all variables are Gaussians"):
        assert is_assertion(yes), yes
    for no in ("we add Gaussian noise", "equation of motion", "a valid point", "equal weights $x = 1$",
               "the converse"):
        assert not is_assertion(no), no


# --- the rules of the scope ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["x \\in \\mathbb{R}^m", "\\mathbf{z} \\in \\mathbb{R}^{d}", "x \\in \\mathcal{X}",
                                  "f: \\mathbb{R}^n \\to \\mathbb{R}^m", "s_\\theta(\\mathbf{x}) : \\mathbb{R}^D "
                                  "\\mapsto \\mathbb{R}^D", "W \\in \\mathbb{R}^{m \\times n}"])
def test_declaration_shapes(text: str) -> None:
    assert has_relation(text) and is_declaration(text)


@pytest.mark.parametrize("text", ["\\beta_t \\in (0, 1)", "t \\in \\{1, \\dots, T\\}", "t \\in [0, 1]",
                                  "x_t = x_0", "\\lambda(i) \\in \\mathbb{R}_+^d = 2", "p(x) \\to 0"])
def test_ranges_and_claims_are_not_declarations(text: str) -> None:
    assert has_relation(text) and not is_declaration(text)


@pytest.mark.parametrize("text,expected", [("\\mathbf{x}_t", False), ("q(\\mathbf{x}_t | \\mathbf{x}_0)", False),
                                           ("\\{\\beta_t\\}_{t=1}^T", False),
                                           ("\\sum_{t=1}^T x_t = 1", True), ("a \\le b", True), ("x \\sim p", True),
                                           ("a \\approx b", True), ("a \\neq b", True), ("t \\rightarrow T", True),
                                           ("\\left\\langle a, b \\right\\rangle", False)])
def test_relations(text: str, expected: bool) -> None:
    assert has_relation(text) is expected


def _st(text: str, sid: str = "009:1:i1", kind: str = "inline") -> Statement:
    return Statement(sid, kind, text, (Place("009", "", "planted", 1),))


def test_display_match_on_planted_rows() -> None:
    # a display row of the index: 001 "Forward diffusion process" writes the kernel as a display (001:145)
    kernel = load_index()["001:145"].text
    assert display_match(kernel) == "001:145"
    slipped = kernel.replace("\\sqrt{1 - \\beta_t}", "\\sqrt{\\beta_t}")
    assert slipped != kernel and display_match(slipped) is None
    assert display_match("a = b") is None


def test_classify_planted_statements() -> None:
    assert classify(_st("\\mathbf{x}_t"), {}) == Scope("009:1:i1", None, "notation", "notation")
    assert classify(_st("x \\in \\mathbb{R}^m"), {}).reason == "declaration"
    assert classify(_st("\\beta_t \\in (0, 1)"), {}) is None  # a range: a claim, left to explicit entries
    kernel = load_index()["001:145"].text
    assert classify(_st(kernel), {}).claim == "001.dm.forward_kernel"
    assert classify(_st("x", kind="prose"), {}) is None  # prose and tables only by explicit entries
    assert classify(_st("x = y"), {"009:1:i1": "some.claim"}) == Scope("009:1:i1", "some.claim", None, "explicit")
    assert classify(_st("x = y"), {"009:1:i1": "not_a_claim:pointer"}).reason == "pointer"
    with pytest.raises(ValueError, match="reason"):
        classify(_st("x = y"), {"009:1:i1": "not_a_claim:obvious"})


def test_lead_in_rule_on_planted_sentences() -> None:
    """A sentence that ends like an introduction, right before a display formula, maps to that display's claim;
    the same sentence far from any display, or not ending like an introduction, does not."""
    place = load_index()["001:145"].places[0]  # the forward kernel display of 001
    before = Place(place.file, place.lecture, place.slide, place.line - 2)
    assert lead_in(Statement("001:1:p", "prose", "The forward process is defined as", (before,))) == (
        "001:145", "001.dm.forward_kernel")
    assert lead_in(Statement("001:1:p", "prose", "The forward process is Gaussian.", (before,))) is None
    far = Place(place.file, place.lecture, place.slide, place.line - 40)
    assert lead_in(Statement("001:1:p", "prose", "The forward process is defined as", (far,))) is None
    assert classify(Statement("001:1:p", "prose", "It is given by:", (before,)), {}).rule == "lead-in:001:145"


# --- completeness -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", STATEMENT_KINDS)
@pytest.mark.parametrize("file", COMPLETE_FILES)
def test_every_statement_is_classified(file: str, kind: str) -> None:
    index = load_statements()
    missing = [sid for sid in unclassified((file,)) if index[sid].kind == kind]
    assert not missing, f"{len(missing)} {kind} statements of {file} are unclassified: {missing[:20]}"


def test_every_scope_entry_names_a_statement_and_a_claim() -> None:
    index = load_statements()
    ids = claim_ids()
    for sid, target in explicit().items():
        assert sid in index, sid
        if target.startswith("not_a_claim:"):
            assert target.split(":", 1)[1] in REASONS, (sid, target)
        else:
            assert target in ids, (sid, target)
    for sc in scopes().values():
        if sc is not None:
            assert (sc.claim is None) != (sc.reason is None)
            assert sc.claim is None or sc.claim in ids


def test_relation_statements_are_not_notation() -> None:
    index = load_statements()
    for sid, sc in scopes().items():
        if sc is not None and sc.reason == "notation":
            assert not has_relation(index[sid].text) or sc.rule == "explicit", sid


def test_scope_counts_add_up() -> None:
    counts = scope_counts()
    index = load_statements()
    assert set(counts) == {"000", "001", "002", "003", "004"}
    for file, row in counts.items():
        assert sum(row.values()) == sum(s.file == file for s in index.values())
        for key in row:
            kind, label = key.split(".")
            assert kind in STATEMENT_KINDS and label in (*REASONS, "claim", "definition", "unclassified")
        if file in COMPLETE_FILES:
            assert not any(k.endswith(".unclassified") for k in row)


def test_a_prose_theorem_repeated_in_another_file_is_audited_in_both() -> None:
    """The FM/CFM theorem is worded differently in 002 and 000: both copies map to the same claim."""
    sc = scopes()
    assert sc["002:110:p"].claim == sc["000:4307:p"].claim == "002.inline.fm_cfm_optimal_value"


# --- the new claims ---------------------------------------------------------------------------------------------


def _module(name: str):
    return importlib.import_module(f"dgmcheck.audit.claims.{name}")


@functools.cache
def _results(name: str) -> tuple:
    """The claims of one inline module with their computed results, computed once for the tests below."""
    return tuple((c, run_claim(c)) for c in _module(name).CLAIMS)


@pytest.mark.xdist_group("audit-inline")  # one worker computes the results both tests read
@pytest.mark.parametrize("name", INLINE_MODULES)
def test_inline_claims_are_valid_and_run(name: str) -> None:
    claims = _module(name).CLAIMS
    assert validate_claims(claims, registry_ids=set(BY_ID)) == []
    for c, r in _results(name):
        assert c.text and c.places and all(p.file in ("000", "001", "002", "003", "004") for p in c.places)
        assert r.verdict != "error", f"{c.id}: {r.evidence}"
        if r.verdict in ("fails", "slip", "imprecise"):
            assert c.corrected and r.counterexample, c.id
        if r.verdict == "holds_if":
            assert r.condition and r.counterexample, c.id


#: The false statements found outside display formulas, by verdict; each check must keep catching its statement.
EXPECTED = {
    "slip": {"001.inline.abar_upper_T", "001.inline.x_t_printed", "001.inline.x0_printed",
             "001.inline.q_given_x_unknown", "001.inline.mu_tilde_printed", "001.inline.drift_positive",
             "001.inline.vp_drift_printed", "000.inline.pixel_range"},
    "imprecise": {"001.inline.q_xT_exact", "001.inline.sde_prior_exact", "002.inline.fm_cfm_optimal_value",
                  "000.inline.reverse_gaussian_small_beta"},
    "fails": set(),
    "holds_if": {"001.inline.x_T_gaussian_limit"},
}


@pytest.mark.xdist_group("audit-inline")
def test_verdicts_of_the_new_claims() -> None:
    verdicts = {c.id: r.verdict for name in INLINE_MODULES for c, r in _results(name)}
    for verdict, ids in EXPECTED.items():
        assert {cid for cid, v in verdicts.items() if v == verdict} == ids, verdict
    claims = {c.id for name in INLINE_MODULES for c in _module(name).CLAIMS if c.kind == "claim"}
    assert claims - set().union(*EXPECTED.values()) == {cid for cid, v in verdicts.items() if v == "holds"}


def test_the_per_file_table_counts_the_statements_of_each_kind() -> None:
    """The audit's per-file table gains the inline, table and prose columns: the statements first seen in each
    file, summed from the scope's classification (a file's row reads them, not another file's)."""
    from dgmcheck.audit.claims import all_claims
    from dgmcheck.audit.report import render_text, statement_counts

    stated = statement_counts()
    index = load_statements()
    for file in ("000", "001", "002", "003", "004"):
        for kind in STATEMENT_KINDS:
            assert stated[file][kind] == sum(s.file == file and s.kind == kind for s in index.values())
    names = [c for c in all_claims() if c.kind != "claim"]  # no checks to run: definitions and notation
    table = render_text([run_claim(c) for c in names]).splitlines()
    header = next(line for line in table if line.lstrip().startswith("file"))
    assert header.split()[3:6] == ["inline", "table", "prose"]
    for line in table:
        cells = line.split()
        if cells and cells[0] in stated:
            assert [int(x) for x in cells[3:6]] == [stated[cells[0]][k] for k in ("inline", "table", "prose")], line
