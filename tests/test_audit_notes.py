"""``dgmcheck audit NOTES.md|NOTES.tex``: a user's derivation notes, formula by formula."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import sympy as sp

from dgmcheck.audit.notes import audit_notes
from dgmcheck.audit.notes_parse import read_source, table_from
from dgmcheck.audit.user import ClaimsFileError, load_claims
from dgmcheck.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "notes"
GOOD, SLIP = EXAMPLES / "ddpm_posterior.md", EXAMPLES / "ddpm_posterior_slip.md"
# The parser is the `notes` extra (pip install "dgmcheck[notes]"); the usage errors are tested without it too.
needs_parser = pytest.mark.skipif(importlib.util.find_spec("lark") is None, reason="needs the notes extra (lark)")

XY = """---
[symbols]
x = "real"
y = "real"
'\\alpha' = { name = "a", domain = [0.1, 0.9] }
---
"""

PRECISION = """---
[symbols]
'\\bar{\\alpha}_t' = { name = "abar_t" }
'\\bar{\\alpha}_{t-1}' = { name = "abar_tm1", domain = [0.05, 0.99] }
'\\alpha_t' = { name = "alpha_t" }
'\\beta_t' = { name = "beta_t", domain = [0.001, 0.5] }
[relations]
alpha_t = "1 - beta_t"
abar_t = "RELATION"
---
$$\\frac{\\alpha_t}{\\beta_t} + \\frac{1}{1 - \\bar\\alpha_{t-1}}
  = \\frac{1 - \\bar\\alpha_t}{\\beta_t (1 - \\bar\\alpha_{t-1})}$$
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["audit", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Both example files through the command line (JSON report, --strict exit status)."""
    out = {}
    for key, path in (("good", GOOD), ("slip", SLIP)):
        report = tmp_path_factory.mktemp("notes") / f"{key}.json"
        rc = main(["audit", str(path), "--format", "json", "--strict", "--output", str(report)])
        out[key] = {"rc": rc, **json.loads(report.read_text(encoding="utf-8"))}
    return out


def _planted_line() -> int:
    good = GOOD.read_text(encoding="utf-8").split("\n")
    slip = SLIP.read_text(encoding="utf-8").split("\n")
    assert len(good) == len(slip)
    differ = [i + 1 for i, (a, b) in enumerate(zip(good, slip, strict=True)) if a != b]
    assert len(differ) == 1, differ
    return differ[0]


@needs_parser
def test_good_example_every_step_holds(examples: dict[str, dict]) -> None:
    doc = examples["good"]
    assert doc["rc"] == 0
    checked = [e for e in doc["entries"] if e["verdict"] in ("holds", "fails", "error")]
    assert checked and all(e["verdict"] == "holds" for e in checked), [e for e in checked if e["verdict"] != "holds"]
    lines = GOOD.read_text(encoding="utf-8").split("\n")
    # every aligned step (a row with &=) and every display equation between $$ on one line is checked
    steps = {i + 1 for i, ln in enumerate(lines) if "&=" in ln}
    steps |= {i + 1 for i, ln in enumerate(lines)
              if ln.startswith("$$") and ln.rstrip().endswith("$$") and "=" in ln and "\\mid" not in ln}
    assert len(steps) >= 5
    assert steps <= {e["line"] for e in checked}
    # every formula of the file appears: the conditional densities are reported as not parsed with the reason
    q = [e for e in doc["entries"] if e["text"].startswith("q(")]
    assert q and all(e["verdict"] == "not parsed" and "conditioning" in e["detail"] for e in q)
    assert doc["counts"]["holds"] == len(checked)


@needs_parser
def test_slip_example_fails_at_the_planted_line(examples: dict[str, dict]) -> None:
    doc = examples["slip"]
    assert doc["rc"] == 1
    fails = [e for e in doc["entries"] if e["verdict"] == "fails"]
    assert len(fails) == 1 and fails[0]["line"] == _planted_line()
    cex = fails[0]["counterexample"]
    # recompute both sides at the counterexample from the parsed sides and the notes' relations
    table = table_from(read_source(SLIP), None)
    point = {table.by_name[k]: v for k, v in cex["inputs"].items()}
    lhs, rhs = (float(table.substitute(sp.sympify(fails[0][side], locals=table.by_name)).subs(point))
                for side in ("lhs", "rhs"))
    assert lhs == pytest.approx(cex["lhs"], rel=1e-9) and rhs == pytest.approx(cex["rhs"], rel=1e-9)
    assert abs(lhs - rhs) > 1e-3
    # the other steps are the good file's, and still hold
    good = {(e["line"], e["text"]): e["verdict"] for e in examples["good"]["entries"]}
    same = [e for e in doc["entries"] if e is not fails[0] and (e["line"], e["text"]) in good]
    assert len(same) == len(doc["entries"]) - 1
    assert all(good[(e["line"], e["text"])] == e["verdict"] for e in same)


@needs_parser
def test_text_report_names_line_and_counterexample(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    notes = _write(tmp_path, "n.md", XY + "\n\n$$(x + y)^2 = x^2 + y^2$$\n")
    rc, out, _ = _run(capsys, str(notes), "--strict")
    assert rc == 1
    row = next(ln for ln in out.split("\n") if "fails" in ln and "(x + y)^2" in ln)
    assert "line    9" in row
    assert "counterex.:" in out and '"inputs"' in out
    rc, out, _ = _run(capsys, str(notes), "--format", "markdown")
    assert rc == 0 and "| 9 | fails |" in out


@needs_parser
def test_align_chain_is_read_step_by_step(tmp_path: Path) -> None:
    # (x+y)^2 = x^2 + y^2 is false, and so is x^2 + y^2 = (x+y)^2: read against the first line, the
    # second step would hold
    text = XY + ("$$\\begin{aligned}\n(x + y)^2 &= x^2 + y^2 \\\\\n&= (x + y)^2\n\\end{aligned}$$\n\n"
                 "\\begin{align}\n(x + y)^2 &= x^2 + 2 x y + y^2 \\\\[2pt]\n"
                 "&= x^2 + y^2 + 2 x y, \\quad \\text{for all } x\n\\end{align}\n")
    entries, _ = audit_notes(_write(tmp_path, "chain.md", text))
    assert [e.verdict for e in entries] == ["fails", "fails", "holds", "holds"]
    assert [e.line for e in entries] == [8, 9, 13, 14]
    x, y = sp.symbols("x y", real=True)
    assert sp.expand(entries[1].lhs - (x**2 + y**2)) == 0 and sp.expand(entries[1].rhs - (x + y)**2) == 0
    # the second step starts from the previous right side, as written (a sum, not the square)
    assert entries[3].lhs == entries[2].rhs and isinstance(entries[3].lhs, sp.Add)


@needs_parser
def test_undeclared_symbol_is_named(tmp_path: Path) -> None:
    # the symbol table may also sit in a fenced block whose info string is `toml dgmcheck`
    table = "```toml dgmcheck\n" + XY.strip().strip("-").strip() + "\n```\n"
    notes = _write(tmp_path, "u.md", "# Notes\n\n$$x = y + z_t$$\n\n" + table + "$$x = \\int y \\, dy$$\n")
    entries, _ = audit_notes(notes)
    assert [(e.line, e.verdict) for e in entries] == [(3, "not parsed"), (11, "not parsed")]
    assert entries[0].detail.startswith("rhs: undeclared symbol: z_{t} ")  # y is declared, z_t is not
    assert "∫" in entries[1].detail


@needs_parser
def test_inline_formulas_with_their_lines(tmp_path: Path) -> None:
    text = XY + "Some prose.\n\nWith $x = x$ and \\(y + y = 2 y\\), the name $\\alpha$ and `$x = y$` in code.\n"
    entries, _ = audit_notes(_write(tmp_path, "i.md", text))
    assert [(e.line, e.display, e.verdict) for e in entries] == [
        (9, False, "holds"), (9, False, "holds"), (9, False, "not a claim")]
    assert len({e.id for e in entries}) == 3


@needs_parser
def test_inequality_uses_declared_domain(tmp_path: Path) -> None:
    entries, _ = audit_notes(_write(tmp_path, "ineq.md", XY + "$$\\alpha^2 \\le \\alpha$$ and $$\\alpha \\ge 1$$\n"))
    assert [e.verdict for e in entries] == ["holds", "fails"]
    assert 0.1 <= entries[1].counterexample["inputs"]["a"] <= 0.9


@needs_parser
def test_tex_input_with_symbols_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    sym = _write(tmp_path, "sym.toml", '[symbols]\n"\\\\sigma" = { name = "s", domain = [0.5, 2] }\nx = "real"\n')
    tex = _write(tmp_path, "n.tex", "\\documentclass{article}\n\\begin{document}\n"
                 "% a comment $x = 2 x$ is not a formula\n"
                 "Let $\\sigma > 0$.\n"
                 "\\begin{equation}\n  \\frac{x^2}{\\sigma^2} = \\left(\\frac{x}{\\sigma}\\right)^2 \\label{eq:a}\n"
                 "\\end{equation}\n"
                 "\\[ \\sqrt{\\sigma^2} = \\sigma^2 \\]\n\\end{document}\n")
    entries, _ = audit_notes(tex, sym)
    assert [(e.line, e.verdict) for e in entries] == [(4, "holds"), (6, "holds"), (8, "fails")]
    rc, out, _ = _run(capsys, str(tex), "--symbols", str(sym), "--format", "json")
    assert rc == 0 and [e["line"] for e in json.loads(out)["entries"]] == [4, 6, 8]
    rc, _, err = _run(capsys, str(tex))
    assert rc == 2 and "no symbol table" in err and "n.tex" in err


@needs_parser
def test_relations_are_substituted(tmp_path: Path) -> None:
    right = _write(tmp_path, "right.md", PRECISION.replace("RELATION", "abar_tm1 * alpha_t"))
    wrong = _write(tmp_path, "wrong.md", PRECISION.replace("RELATION", "abar_tm1 * alpha_t**2"))
    assert [e.verdict for e in audit_notes(right)[0]] == ["holds"]
    [entry] = audit_notes(wrong)[0]
    assert entry.verdict == "fails" and entry.counterexample is not None


@needs_parser
def test_extract_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    notes = _write(tmp_path, "s.md", XY + "$$\\sum_{k=1}^{3} k = 2 + 4$$\n\n$$x = x$$\n\n$x_t$\n")
    skeleton = tmp_path / "s.claims.toml"
    rc, _, _ = _run(capsys, str(notes), "--extract", "--output", str(skeleton))
    assert rc == 0
    text = skeleton.read_text(encoding="utf-8")
    assert text.count("[[claim]]") == 2  # the sum and the name; x = x was checked
    assert 'rhs = "6"' in text and "line = 7" in text and "line = 11" in text
    with pytest.raises(ClaimsFileError, match="lhs"):
        load_claims(skeleton)  # not filled in yet
    filled = _write(tmp_path, "filled.toml", text.replace('# lhs = ""', 'lhs = "1 + 2 + 3"'))
    [claim, name] = load_claims(filled)
    assert claim.sources()[0].line == 7 and name.kind == "notation"
    rc, out, _ = _run(capsys, "--claims", str(filled), "--strict")
    assert rc == 0 and "holds" in out
    wrong = _write(tmp_path, "wrong.toml", text.replace('# lhs = ""', 'lhs = "1 + 2 + 4"'))
    rc, out, _ = _run(capsys, "--claims", str(wrong), "--strict")
    assert rc == 1 and "fails" in out


@pytest.mark.parametrize("case", ["missing", "suffix", "domain", "relation", "toml", "extract-alone", "no-parser"])
def test_usage_errors(case: str, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    argv: list[str]
    expect: list[str]
    if case == "missing":
        argv, expect = [str(tmp_path / "nope.md")], ["nope.md", "no such file"]
    elif case == "suffix":
        argv, expect = [str(_write(tmp_path, "n.txt", "$x$"))], ["n.txt", ".md or .tex"]
    elif case == "domain":
        bad = XY.replace("[0.1, 0.9]", "[0.9, 0.1]")
        argv, expect = [str(_write(tmp_path, "bad.md", bad + "$x$\n"))], ["bad.md:5:", "domain", "alpha"]
    elif case == "relation":
        bad = XY[:-4] + '[relations]\nx = "y + q"\n---\n'
        argv, expect = [str(_write(tmp_path, "rel.md", bad + "$x$\n"))], ["rel.md:7:", "[relations] x", "'q'"]
    elif case == "toml":
        bad = XY.replace('y = "real"', "y = real")
        argv, expect = [str(_write(tmp_path, "toml.md", bad + "$x$\n"))], ["toml.md:4:", "invalid TOML"]
    elif case == "extract-alone":
        argv, expect = ["--extract"], ["NOTES"]
    else:
        monkeypatch.setitem(sys.modules, "lark", None)  # as if the notes extra were not installed
        argv, expect = [str(GOOD)], ['pip install "dgmcheck[notes]"']
    if case in ("domain", "relation", "toml", "no-parser") and importlib.util.find_spec("lark") is None:
        expect = ['pip install "dgmcheck[notes]"']  # the parser is checked before the symbol table
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == "" and len(err.strip().split("\n")) == 1
    for word in expect:
        assert word in err, (word, err)
