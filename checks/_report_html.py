"""``VerifyReport.to_html()``: one self-contained HTML page per ``verify`` report.

Inline CSS, no scripts, nothing fetched: plots are embedded as base64 PNG (matplotlib with the Agg
backend, imported only when a failure is drawn; without matplotlib the page says so instead). Every
property is listed with status, theorem, slide, examples and time; every failing one gets its
violation (message, inputs, expected, observed, hint, replay blob) and

- a plot of expected vs observed over the drawn inputs, from the arrays the violation carries
  (``violation.series["expected"/"observed"]``, else ``expected``/``observed`` when they are arrays):
  x is the drawn ``t`` when there is one (an off-by-one in a schedule shows as a shifted curve),
  else the element index; a violation that carries only its worst element gets that pair;
- for order/slope checks whose violation carries step sizes and errors, the log-log plot of error
  against step with the measured slope.

All text is escaped (``html.escape``).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["render"]

_STEP_KEYS = ("step_sizes", "hs", "h", "dt", "steps", "n_steps")
_ERROR_KEYS = ("errors", "errs", "error")
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border:1px solid #ddd;padding:.3em .5em;
text-align:left;vertical-align:top}th{background:#f4f4f4}td.num{text-align:right}
.passed{color:#176f2c;font-weight:600}.failed{color:#b00020;font-weight:600}.not_applicable{color:#777}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:.6em;overflow-x:auto;white-space:pre-wrap;font-size:.88em}
code{font-size:.9em}img{max-width:100%;border:1px solid #eee}.summary{font-size:1.05em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _json(value: Any) -> str:
    from dgmcheck.checks._verify import plain

    return json.dumps(plain(value), indent=1, ensure_ascii=False)


def _floats(value: Any) -> np.ndarray | None:
    """``value`` as a flat float64 array, None when it is not numeric."""
    from dgmcheck.checks._verify import plain

    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        array = np.asarray(plain(value), dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array.reshape(-1) if array.size else None


def _first(mapping: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((mapping[k] for k in keys if k in mapping), None)


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _axes(figsize: tuple[float, float]) -> tuple[Any, Any]:
    """A figure and its axes drawn by Agg without pyplot: no global backend or figure state of the
    user's session is touched, and nothing needs closing."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def comparison_xy(violation: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, str] | None:
    """``(x, expected, observed, x label)`` of a violation, or None when there is nothing to compare:
    x is the drawn ``t`` repeated over each row's elements when ``inputs["t"]`` has one value per
    row, else the element index."""
    series = getattr(violation, "series", None)
    source = series if isinstance(series, Mapping) and "expected" in series and "observed" in series else None
    expected = _floats((source or {}).get("expected", violation.expected))
    observed = _floats((source or {}).get("observed", violation.observed))
    if expected is None or observed is None or expected.size != observed.size or expected.size < 2:
        return None
    t = _floats((source or {}).get("t", (violation.inputs or {}).get("t")))
    if t is not None and expected.size % t.size == 0:
        return np.repeat(t, expected.size // t.size), expected, observed, "drawn t"
    return np.arange(expected.size, dtype=np.float64), expected, observed, "element index"


def slope_series(violation: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(steps, errors)`` of an order check: from ``violation.series`` or its inputs."""
    for source in (getattr(violation, "series", None), violation.inputs):
        if isinstance(source, Mapping):
            steps, errors = _floats(_first(source, _STEP_KEYS)), _floats(_first(source, _ERROR_KEYS))
            if steps is not None and errors is not None and steps.size == errors.size >= 2:
                return steps, errors
    return None


def _comparison_plot(violation: Any, title: str) -> str | None:
    data = comparison_xy(violation)
    if data is None:
        return None
    x, expected, observed, label = data
    fig, ax = _axes((6.4, 3.6))
    order = np.argsort(x, kind="stable")
    ax.plot(x[order], expected[order], "o-", ms=4, lw=1, label="expected (oracle)")
    ax.plot(x[order], observed[order], "x--", ms=5, lw=1, label="observed (candidate)")
    ax.set_xlabel(label)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return _png(fig)


def _worst_plot(violation: Any, title: str) -> str | None:
    """Expected vs observed at the worst element, when that pair is all the violation carries."""
    expected, observed = _floats(violation.expected), _floats(violation.observed)
    if expected is None or observed is None or expected.size != 1 or observed.size != 1:
        return None
    t = _floats((violation.inputs or {}).get("t"))
    fig, ax = _axes((4.2, 3.0))
    ax.bar(["expected (oracle)", "observed (candidate)"], [expected[0], observed[0]], color=["#4c72b0", "#c44e52"])
    drawn = "" if t is None else f"\ndrawn t = {(t.astype(int) if np.all(t == t.round()) else t).tolist()}"
    ax.set_title(title + drawn, fontsize=9)
    return _png(fig)


def _slope_plot(violation: Any, title: str) -> str | None:
    data = slope_series(violation)
    if data is None:
        return None
    steps, errors = data
    keep = (steps > 0) & (errors > 0) & np.isfinite(steps) & np.isfinite(errors)
    if keep.sum() < 2:
        return None
    steps, errors = steps[keep], errors[keep]
    slope = float(np.polyfit(np.log(steps), np.log(errors), 1)[0])
    fig, ax = _axes((5.2, 3.6))
    ax.loglog(steps, errors, "o-", label=f"measured, slope {slope:.3f}")
    if isinstance(violation.expected, (int, float)) and math.isfinite(violation.expected):
        p = float(violation.expected)
        ax.loglog(steps, errors[-1] * (steps / steps[-1]) ** p, ":", label=f"slope {p:g}")
    ax.set_xlabel("step size")
    ax.set_ylabel("error")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return _png(fig)


def _plots(violation: Any, name: str) -> list[str]:
    parts = []
    try:
        title = f"{name}: {violation.theorem}"
        plots = [(kind, draw(violation, title))
                 for kind, draw in (("expected vs observed", _comparison_plot), ("log-log order", _slope_plot))]
        if all(png is None for _, png in plots) and slope_series(violation) is None:
            plots = [("expected vs observed at the worst element", _worst_plot(violation, title))]
    except ImportError:
        return ["<p><em>plots need matplotlib (pip install matplotlib)</em></p>"]
    for kind, png in plots:
        if png is not None:
            parts.append(f'<figure><img alt="{_e(kind)}: {_e(name)}" src="data:image/png;base64,{png}">'
                         f"<figcaption>{_e(kind)}</figcaption></figure>")
    return parts


def _failure(name: str, result: Any) -> str:
    v = result.violation
    parts = [f'<section id="{_e(name)}"><h2>{_e(name)} failed: <code>{_e(result.theorem)}</code></h2>',
             f"<p>slide: {_e(result.slide or getattr(v, 'slide', ''))}</p>",
             f"<pre>{_e(v if v is not None else result.reason)}</pre>"]
    if v is not None:
        parts.append("<table><tr><th>inputs</th><th>expected</th><th>observed</th></tr><tr>"
                     f"<td><pre>{_e(_json(v.inputs))}</pre></td><td><pre>{_e(_json(v.expected))}</pre></td>"
                     f"<td><pre>{_e(_json(v.observed))}</pre></td></tr></table>")
        parts += _plots(v, name)
    if result.hint:
        parts.append(f"<p><strong>Hint:</strong> {_e(result.hint)}</p>")
    if result.reproduce:
        parts.append(f"<p>Replay: <code>verify(..., properties=[{_e(repr(name))}], "
                     f"reproduce={_e(repr(tuple(result.reproduce)))})</code></p>")
    parts.append("</section>")
    return "\n".join(parts)


def render(report: Any) -> str:
    """The HTML page of a :class:`dgmcheck.checks._verify.VerifyReport`."""
    title = f"dgmcheck verify {report.concept}: {report.candidate}"
    rows = []
    for r in report.results.values():
        status = r.status.replace("_", " ") + (f" ({r.reason})" if r.status == "not_applicable" else "")
        name = f'<a href="#{_e(r.name)}">{_e(r.name)}</a>' if r.status == "failed" else _e(r.name)
        rows.append(f'<tr><td>{name}</td><td class="{_e(r.status)}">{_e(status)}</td>'
                    f"<td><code>{_e(r.theorem)}</code></td><td>{_e(r.slide)}</td>"
                    f'<td class="num">{r.examples}</td><td class="num">{r.seconds:.2f}</td></tr>')
    conventions = ""
    if report.conventions is not None and str(report.conventions):
        conventions = f"<p>conventions: <code>{_e(report.conventions)}</code></p>"
    body = [f"<h1>{_e(title)}</h1>",
            f'<p class="summary">{len(report.passed)} passed · {len(report.failed)} failed · '
            f"{len(report.not_applicable)} not applicable</p>", conventions,
            "<table><tr><th>property</th><th>status</th><th>theorem</th><th>slide</th><th>examples</th>"
            "<th>seconds</th></tr>", *rows, "</table>",
            *(_failure(k, report.results[k]) for k in report.failed)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            + "\n".join(part for part in body if part) + "\n</body></html>\n")
