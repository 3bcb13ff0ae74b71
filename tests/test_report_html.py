"""``VerifyReport.to_html()`` and ``dgmcheck verify --format html``: a self-contained page that lists
every property and shows each violation with its values, replay blob and an embedded plot."""

from __future__ import annotations

import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from dgmcheck import cli
from dgmcheck.checks import _report_html
from dgmcheck.checks import ddpm as checks
from dgmcheck.checks._verify import PropertyResult, VerifyReport
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import scaled
from dgmcheck.theorems import slide
from dgmcheck.theory.schedules import linear_betas
from tests import _bugs

pytest.importorskip("matplotlib")


class _Page(HTMLParser):
    """Text, images and external references of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for key, value in attrs:
            if tag == "img" and key == "src":
                self.images.append(value or "")
            elif key in ("src", "href") and value and not value.startswith(("#", "data:")):
                self.external.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def failing_report() -> Any:
    """AlphaBarOffByOne (ᾱ_t where ᾱ_{t-1} belongs) through the DDPM verify, posterior and one
    passing property, without raising."""
    return checks.verify(_bugs.AlphaBarOffByOne(linear_betas(50)), dtype=torch.float64,
                         properties=["posterior", "forward_marginal"], max_examples=scaled(5), shrink=False,
                         raise_on_failure=False)


@pytest.mark.theorem("ddpm.posterior")
def test_html_report_of_a_failing_candidate(failing_report: Any) -> None:
    assert failing_report.failed == ["posterior"] and failing_report.passed == ["forward_marginal"]
    for result in failing_report.results.values():  # what the checks report is the records' citation
        assert result.slide == slide(result.theorem)
    assert failing_report.results["posterior"].violation.slide == slide("ddpm.posterior")
    page = failing_report.to_html()
    parsed = _parse(page)
    text = "".join(parsed.text)
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "posterior failed" in text and "ddpm.posterior" in text and "forward_marginal" in text
    assert "Conditioned Reverse Distribution" in text
    assert "expected" in text and "observed" in text and "inputs" in text
    assert any(src.startswith("data:image/png;base64,") and len(src) > 1000 for src in parsed.images)
    assert parsed.external == [] and "script" not in parsed.tags  # self-contained, no network


def test_plot_x_axis_is_the_drawn_t_when_the_inputs_carry_one() -> None:
    v = TheoremViolation("ddpm.posterior", "m", inputs={"t": [3, 7]}, expected=np.ones((2, 3)),
                         observed=np.zeros((2, 3)))
    x, expected, observed, label = _report_html.comparison_xy(v)
    assert label == "drawn t" and x.tolist() == [3, 3, 3, 7, 7, 7] and expected.size == observed.size == 6
    v = TheoremViolation("x.y", "m", inputs={"n": 2}, expected=[1.0, 2.0], observed=[1.0, 2.5])
    assert _report_html.comparison_xy(v)[3] == "element index"
    v = TheoremViolation("ddpm.posterior", "m", inputs={"t": [5]}, expected=0.5, observed=0.7)
    v.series = {"t": [4, 9], "expected": [[1.0], [2.0]], "observed": [[1.5], [2.5]]}  # full arrays
    x, expected, observed, label = _report_html.comparison_xy(v)
    assert label == "drawn t" and x.tolist() == [4, 9] and observed.tolist() == [1.5, 2.5]
    assert _report_html.comparison_xy(TheoremViolation("x.y", "m", expected="> 1", observed=0.5)) is None


def test_order_violation_gets_the_log_log_slope_plot() -> None:
    hs = np.array([0.1, 0.05, 0.025])
    v = TheoremViolation("ode.heun", "order", inputs={"hs": hs, "errors": 3 * hs}, expected=2, observed=1.0)
    steps, errors = _report_html.slope_series(v)
    assert steps.tolist() == hs.tolist() and np.allclose(errors, 3 * hs)
    report = VerifyReport("Solver")
    report.results["heun_order"] = PropertyResult("heun_order", "ode.heun", slide("ode.heun"), "failed",
                                                  examples=1, violation=v, reproduce=("6.1", "AXic<&>"))
    parsed = _parse(report.to_html())
    assert sum(src.startswith("data:image/png;base64,") for src in parsed.images) == 1  # no x-y: scalars
    assert "log-log order" in "".join(parsed.text)


def test_html_escapes_every_text() -> None:
    v = TheoremViolation("x.y", "<script>alert(1)</script>", inputs={"<b>": "&"}, expected=1.0, observed=2.0)
    report = VerifyReport("<img src=x onerror=alert(1)>")
    report.results["p<"] = PropertyResult("p<", "x.y", '000 L1 "<i>"', "failed", violation=v, hint="<u>")
    page = report.to_html()
    assert "<script>" not in page and "<img src=x" not in page and "<b>" not in page and "<u>" not in page
    assert "&lt;script&gt;" in page
    assert "script" not in _parse(page).tags


def test_cli_verify_format_html(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"html_model_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent("""
        from dgmcheck.theory.schedules import linear_betas
        from tests._bugs import AlphaBarOffByOne


        def model():
            return AlphaBarOffByOne(linear_betas(20))
        """), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(Path(__file__).resolve().parents[1]), *sys.path])
    monkeypatch.delitem(sys.modules, name, raising=False)
    code = cli.main(["verify", f"{name}:model", "--concept", "ddpm", "--properties", "posterior",
                     "--max-examples", "3", "--dtype", "float64", "--format", "html"])
    out = capsys.readouterr().out
    assert code == 1
    parsed = _parse(out)
    assert "ddpm.posterior" in "".join(parsed.text)
    assert any(src.startswith("data:image/png;base64,") for src in parsed.images)
