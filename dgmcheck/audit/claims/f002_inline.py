"""Claims of 002 (2024 lecture 14: flow matching) stated outside display formulas, and their repeats in 000.

See :mod:`dgmcheck.audit.claims.f001_inline` for the shape: ``CLAIMS`` quote indexed statements, ``SCOPE``
classifies every statement of 002 that the rules of :mod:`dgmcheck.audit.scope` leave open. 002's convention:
``x_0 ~ p_0`` (noise) at ``t = 0``, ``x_1 ~ pi`` (data) at ``t = 1`` (002 "Recap of previous lecture", line 64).
"""

from __future__ import annotations

import numpy as np

from dgmcheck.audit.claims.f001_inline import scoped, stated
from dgmcheck.audit.model import imprecise, num_equal
from dgmcheck.theory import flow_matching as fm


def _fm_cfm_optimal_values():
    # Gaussian data N(mean, cov), conical path: the marginal field is affine, so an affine model reaches the
    # FM minimum; FM's and CFM's minimal values differ by B^2 tr Cov(x_1 | x_t) > 0 (their argmins agree)
    spec = fm.PathSpec("conical", sigma_min=0.05)
    mean, cov = np.array([0.5, -1.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    W, b = np.eye(2) * 0.2, np.zeros(2)

    def objectives(t):
        return fm.linear_model_objectives(spec, t, mean, cov, W, b)

    def grad(which):
        return lambda t: np.concatenate([g.ravel() for g in getattr(objectives(t), which)])
    pts = [{"t": 0.3}, {"t": 0.7}]
    same_argmin = num_equal(grad("grad_fm"), grad("grad_cfm"), pts,
                            what="gradients of FM and CFM in (W, b) (equal: the same minimisers)")
    values = num_equal(lambda t: objectives(t).min_fm, lambda t: objectives(t).min_cfm, pts,
                       what="min FM vs min CFM over affine fields (the optimal values)")
    return imprecise(values, same_argmin,
                     why="the theorem (Lipman et al.) equates the objectives up to a constant independent of theta, "
                         "so their gradients and optimal parameters agree; the optimal values differ by it")


_ENTRIES = [
    (["002:110:p", "000:4307:p", "000:4307:i1"], stated(
        "002.inline.fm_cfm_optimal_value", ["002:110:p", "000:4307:p", "000:4307:i1"], check=_fm_cfm_optimal_values,
        theorem="fm.cfm_equals_fm",
        meaning="With full support, 'the optimal value of FM equals the optimal value of CFM', read as the minimal "
                "values of the two objectives; checked exactly for Gaussian data on the conical path, where an affine "
                "field attains the FM minimum (fm.linear_model_objectives).",
        corrected="If supp(p_t(x)) = R^m, the FM and CFM objectives differ by a constant independent of theta "
                  "(E||f(x, z, t)||^2 - E||f(x, t)||^2), so they have the same gradients and the same optimal "
                  "parameters theta*; the optimal values differ by E tr Cov(f(x, z, t) | x) >= 0",
        note="Both copies of the theorem (002 L14 and 000 L12) say 'optimal value'.")),
    (["002:64:i4", "002:222:i1"], stated(
        "002.inline.target_law", ["002:64:i4", "002:222:i1"], kind="definition",
        meaning="x_1 is drawn from the data law pi = p_1 at t = 1.")),
    (["002:72:p"], stated(
        "002.inline.adjoint_remark", ["002:72:p"], kind="definition",
        meaning="A remark on numerical practice (solving the continuity equation with the adjoint method), which the "
                "audit records but no computation decides.")),
]

CLAIMS, SCOPE = scoped(_ENTRIES, {
    "002:92:p": "002.L14.marginal_field_theorem",   # the sentence introducing display 002:94
    "002:225:i1": "000.L12.linear_cfm",             # restates the loss of display 002:328 (one draw)
    "002:344:i1": "000.L12.linear_cfm",
})
