"""Prediction parametrizations of Gaussian diffusion: ε, x₀, v and the score, exactly.

At ``x_t = a x_0 + b ε`` with ``a = √ᾱ_t``, ``b = √(1-ᾱ_t)`` (``a² + b² = 1``; 000 L7 "Forward
Gaussian Diffusion Process"), each target is a linear combination of ``(x_0, ε)``:

    ε = ε,   x_0 = x_0,   v = a ε - b x_0 (Salimans & Ho 2022),   s = -ε/b  (000 L9 "Denoising
    Diffusion as a Score-Based Generative Model": ``s = ∇ log q(x_t|x_0) = -ε/√(1-ᾱ_t)``).

Knowing ``x_t``, any one of them determines the others: every conversion is an affine map
``dst = A·src + B·x_t`` (parametrization.affine, 12 ordered pairs). The losses then differ by
the square of ``A``: ``‖x̂_0-x_0‖² = (1-ᾱ)/ᾱ ‖ε̂-ε‖² = ‖ε̂-ε‖²/SNR``, ``‖v̂-v‖² = ‖ε̂-ε‖²/ᾱ``,
``‖ŝ-s‖² = ‖ε̂-ε‖²/(1-ᾱ)`` (parametrization.loss_weights; 000 L8 "Reparametrization of DDPM").
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from dgmcheck.theory import _validate as V

#: The parametrizations, by the names the checks and adapters use.
KINDS: tuple[str, ...] = ("eps", "x0", "v", "score")
#: Every ordered pair (src, dst) with src != dst: the 12 conversions.
PAIRS: tuple[tuple[str, str], ...] = tuple(itertools.permutations(KINDS, 2))


#: ``(A, B)`` of each conversion as a function of ``a = √ᾱ``, ``b = √(1-ᾱ)``: the one table both
#: the float64 oracle and its sympy proof read.
_TABLE = {
    ("eps", "x0"): lambda a, b: (-b / a, 1 / a),
    ("eps", "v"): lambda a, b: (1 / a, -b / a),
    ("eps", "score"): lambda a, b: (-1 / b, 0 * b),
    ("x0", "eps"): lambda a, b: (-a / b, 1 / b),
    ("x0", "v"): lambda a, b: (-1 / b, a / b),
    ("x0", "score"): lambda a, b: (a / b**2, -1 / b**2),
    ("v", "eps"): lambda a, b: (a, b),
    ("v", "x0"): lambda a, b: (-b, a),
    ("v", "score"): lambda a, b: (-a / b, -1 + 0 * b),
    ("score", "eps"): lambda a, b: (-b, 0 * b),
    ("score", "x0"): lambda a, b: (b**2 / a, 1 / a),
    ("score", "v"): lambda a, b: (-b / a, -b / a),
}


def _ab(alpha_bar: object) -> tuple[np.ndarray, np.ndarray]:
    abar = V.array(alpha_bar, "alpha_bar")
    if np.any(~((abar > 0) & (abar < 1))):
        raise ValueError(f"alpha_bar must lie in (0, 1), got {alpha_bar!r}")
    return np.sqrt(abar), np.sqrt(1.0 - abar)


def _kind(name: str, value: object) -> str:
    if not isinstance(value, str) or value not in KINDS:
        raise ValueError(f"{name} must be one of {KINDS}, got {value!r}")
    return str(value)


def basis(kind: str, alpha_bar: object) -> tuple[np.ndarray, np.ndarray]:
    """``(c_0, c_ε)`` with ``kind = c_0 x_0 + c_ε ε``: ε (0, 1), x_0 (1, 0), v (-b, a), score (0, -1/b)."""
    a, b = _ab(alpha_bar)
    zero, one = np.zeros_like(a), np.ones_like(a)
    table = {"eps": (zero, one), "x0": (one, zero), "v": (-b, a), "score": (zero, -1.0 / b)}
    return table[_kind("kind", kind)]


def conversion(src: str, dst: str, alpha_bar: object) -> tuple[np.ndarray, np.ndarray]:
    """parametrization.affine: ``(A, B)`` with ``dst = A·src + B·x_t`` at ``x_t = a x_0 + b ε``.

    The closed forms (``a = √ᾱ``, ``b = √(1-ᾱ)``; ``derive_conversions`` proves each):

    ====== ======================= =================== ==================== ====================
    src     → eps                   → x0                → v                  → score
    ====== ======================= =================== ==================== ====================
    eps                             (-b/a, 1/a)         (1/a, -b/a)          (-1/b, 0)
    x0     (-a/b, 1/b)                                  (-1/b, a/b)          (a/b², -1/b²)
    v      (a, b)                  (-b, a)                                   (-a/b, -1)
    score  (-b, 0)                 (b²/a, 1/a)         (-b/a, -b/a)
    ====== ======================= =================== ==================== ====================
    """
    _kind("src", src)
    _kind("dst", dst)
    a, b = _ab(alpha_bar)
    if src == dst:
        return np.ones_like(a), np.zeros_like(a)
    return _TABLE[(src, dst)](a, b)


def convert(pred: np.ndarray, x_t: np.ndarray, alpha_bar: object, src: str, dst: str) -> np.ndarray:
    """``A·pred + B·x_t`` on rows (batch first; ``alpha_bar`` per row or scalar)."""
    A, B = conversion(src, dst, alpha_bar)
    pred = V.array(pred, "pred", min_ndim=1)
    x_t = V.matching(V.array(x_t, "x_t"), "x_t", pred, "pred")
    _rows(A, pred, "pred")

    def col(c: np.ndarray) -> np.ndarray:
        return np.reshape(c, np.shape(c) + (1,) * (pred.ndim - np.ndim(c)))

    return col(A) * pred + col(B) * x_t


def target(kind: str, x0: np.ndarray, eps: np.ndarray, alpha_bar: object) -> np.ndarray:
    """The regression target of ``kind`` at ``(x_0, ε)``: ``c_0 x_0 + c_ε ε`` (``basis``)."""
    c0, ce = basis(kind, alpha_bar)
    x0 = V.array(x0, "x0", min_ndim=1)
    eps = V.matching(V.array(eps, "eps"), "eps", x0, "x0")
    _rows(c0, x0, "x0")

    def col(c: np.ndarray) -> np.ndarray:
        return np.reshape(c, np.shape(c) + (1,) * (x0.ndim - np.ndim(c)))

    return col(c0) * x0 + col(ce) * eps


def _rows(coef: np.ndarray, x: np.ndarray, name: str) -> None:
    """A per-row ``alpha_bar`` must have one value per row of ``x``."""
    if np.ndim(coef) and (np.ndim(coef) > x.ndim or np.shape(coef) != x.shape[:np.ndim(coef)]):
        raise ValueError(f"alpha_bar must be a number or have one value per row of {name} {x.shape[:1]}, "
                         f"got shape {np.shape(coef)}")


def loss_weight(kind: str, alpha_bar: object) -> np.ndarray:
    """parametrization.loss_weights: ``w`` with ``‖k̂ - k‖² = w ‖ε̂ - ε‖²`` when ``k̂`` is the
    conversion of ``ε̂`` at the same ``x_t``: ``A(eps → kind)²``.

    ``eps``: 1; ``x0``: ``(1-ᾱ)/ᾱ = 1/SNR``; ``v``: ``1/ᾱ = 1 + 1/SNR``; ``score``: ``1/(1-ᾱ)``.
    """
    A, _ = conversion("eps", _kind("kind", kind), alpha_bar)
    return A**2


# --------------------------------------------------------------------------- sympy derivations
_a = sp.Symbol("alphabar", positive=True)
_x0, _e = sp.symbols("x_0 epsilon", real=True)


def _sym_basis(kind: str) -> tuple[sp.Expr, sp.Expr]:
    a, b = sp.sqrt(_a), sp.sqrt(1 - _a)
    return {"eps": (sp.Integer(0), sp.Integer(1)), "x0": (sp.Integer(1), sp.Integer(0)),
            "v": (-b, a), "score": (sp.Integer(0), -1 / b)}[kind]


def derive_conversions() -> dict[tuple[str, str], sp.Expr]:
    """parametrization.affine: for each of the 12 pairs, ``A·src + B·x_t - dst`` with the table's
    ``(A, B)`` and ``src``, ``dst``, ``x_t`` written in ``(x_0, ε)``; each simplifies to 0."""
    a, b = sp.sqrt(_a), sp.sqrt(1 - _a)
    xt = a * _x0 + b * _e
    out = {}
    for (src, dst), fn in _TABLE.items():
        A, B = fn(a, b)
        s0, se = _sym_basis(src)
        d0, de = _sym_basis(dst)
        out[(src, dst)] = sp.simplify(A * (s0 * _x0 + se * _e) + B * xt - (d0 * _x0 + de * _e))
    return out


def derive_loss_weights() -> dict[str, sp.Expr]:
    """parametrization.loss_weights: at the same ``x_t``, the ``kind`` error of the conversion of
    ``ε̂`` squared, divided by ``(ε̂-ε)²``, minus the stated weight; each simplifies to 0."""
    eh = sp.Symbol("epsilon_hat", real=True)
    a, b = sp.sqrt(_a), sp.sqrt(1 - _a)
    xt = a * _x0 + b * _e
    stated = {"eps": sp.Integer(1), "x0": (1 - _a) / _a, "v": 1 / _a, "score": 1 / (1 - _a)}
    out = {}
    for kind, w in stated.items():
        d0, de = _sym_basis(kind)
        truth = d0 * _x0 + de * _e
        # the conversion eps -> kind written through (x_0, ε) of the same x_t: solve x_0 from ε̂
        x0_hat = (xt - b * eh) / a
        pred = d0 * x0_hat + de * eh
        out[kind] = sp.simplify((pred - truth) ** 2 / (eh - _e) ** 2 - w)
    return out
