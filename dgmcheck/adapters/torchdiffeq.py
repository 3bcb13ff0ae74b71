"""Adapter: hold ``torchdiffeq.odeint`` on the probability-flow ODE to the exact mixture marginals.

    >>> from dgmcheck.adapters.torchdiffeq import check_transport
    >>> from dgmcheck.impl.sde import VPSDE
    >>> check_transport(VPSDE(), GaussianMixture(w, m, C))  # doctest: +SKIP

The PF-ODE ``dx/dt = f - ½ g² ∇log p_t`` (theorem ``sde.probability_flow_ode``, ``000 L10 "Probability
Flow ODE"``) with the exact score of mixture data (``impl.mixture.GaussianMixtureModel.score`` at the
SDE's ``marginal(t, x) = (a, s)``) is integrated by ``torchdiffeq.odeint`` (dopri5, float64) from
``t = T`` down to ``t = ε``. Its flow maps ``p_T`` onto ``p_ε`` exactly, so the moments of the pushforward
of ``p_T`` must be those of ``p_ε = Σ w_k N(a m_k, a² C_k + s² I)`` (mean ``a·mean``, covariance
``a²·cov + s² I`` of the data mixture). The pushforward's moments are computed deterministically, with
no sampling: tensor Gauss–Hermite quadrature (``n_nodes`` per axis) of each component of ``p_T``.

Tolerances (stated): ``odeint`` with ``rtol = atol = 1e-10``; the moments must agree to
``MOMENT_TOL = 1e-6`` relative to ``1 + |moment|``: the local tolerance accumulated over dopri5's steps
(a few hundred) stays below 1e-7, and the quadrature error decays exponentially with ``n_nodes`` as
long as the flow map is smooth, i.e. the mixture's components overlap (measured for the 2-D mixture of
``tests/test_adapters_torchdiffeq.py``, VP: 1.7e-4, 6.0e-6, 1.1e-6, 7.5e-8 at 8, 12, 16, 24 nodes).
Well-separated components make the flow map steep and the quadrature slow (1e-2 at 24 nodes for means
2.5 apart with variances 0.2-0.5): use overlapping mixtures here. A PF-ODE drift without the ½ (planted
bug) is off by O(0.1-1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from dgmcheck.checks._assert import assert_close
from dgmcheck.checks.samplers import SLIDES, as_mixture, spec_of
from dgmcheck.checks.tolerances import Tolerance
from dgmcheck.impl import samplers
from dgmcheck.impl.mixture import GaussianMixtureModel
from dgmcheck.theory import quadrature
from dgmcheck.theory.gaussian_mixture import GaussianMixture

RTOL = 1e-10
ATOL = 1e-10
MOMENT_TOL = 1e-6


def pf_ode_odeint(sde: Any, score: Callable, x_T: torch.Tensor, t_start: float, t_end: float, *,
                  rtol: float = RTOL, atol: float = ATOL, method: str = "dopri5",
                  drift: Callable = samplers.pf_ode_drift) -> torch.Tensor:
    """``torchdiffeq.odeint`` of ``dx/dt = drift(sde, score, x, t)`` from ``t_start`` to ``t_end``; the end state."""
    from torchdiffeq import odeint

    from dgmcheck.adapters._validate import function, has
    from dgmcheck.impl import _validate as V

    has(sde, "sde", "an SDE", callable_=("drift", "diffusion"))
    function(score, "score")
    function(drift, "drift")
    V.batch(x_T, "x_T")
    t_start, t_end = V.real(t_start, "t_start"), V.real(t_end, "t_end")
    V.positive(rtol, "rtol")
    V.positive(atol, "atol")

    def func(t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return drift(sde, score, y, t.expand(y.shape[0]))

    ts = torch.tensor([t_start, t_end], dtype=x_T.dtype, device=x_T.device)
    # adaptive solvers step past the last time and interpolate back, and probe a guessed first step;
    # ``step_t`` makes them land on t_end and ``first_step`` replaces the probe, so the drift is never
    # evaluated outside [t_end, t_start] (the SDE refuses t < 0)
    adaptive = method in ("dopri5", "dopri8", "bosh3", "adaptive_heun", "fehlberg2")
    options = {"step_t": ts, "first_step": 1e-4 * abs(t_start - t_end)} if adaptive else None
    return odeint(func, x_T, ts, rtol=rtol, atol=atol, method=method, options=options)[-1]


def gauss_hermite(mix: GaussianMixture, n_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (summing to 1) integrating ``E_p[φ]`` for the mixture ``p``: per component,
    ``m_k + L_k z`` over the tensor grid of probabilists' Gauss–Hermite nodes ``z``, weights ``w_k Π ω``."""
    if not isinstance(mix, GaussianMixture):
        raise TypeError(f"mix must be a dgmcheck.theory.gaussian_mixture.GaussianMixture, got {mix!r:.60}")
    grid, wgrid = quadrature.normal(n_nodes, mix.dim)
    pts, wts = [], []
    for w, m, c in zip(mix.weights, mix.means, mix.covs, strict=True):
        pts.append(m + grid @ np.linalg.cholesky(c).T)
        wts.append(w * wgrid)
    return np.concatenate(pts), np.concatenate(wts)


def transport_moments(sde: Any, data: Any, *, t_end: float = 1e-3, n_nodes: int = 24, rtol: float = RTOL,
                      atol: float = ATOL, drift: Callable = samplers.pf_ode_drift
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, cov) of the odeint pushforward of ``p_T`` and (mean, cov) of the exact ``p_ε``."""
    from dgmcheck.adapters._validate import has

    has(sde, "sde", "an SDE", callable_=("drift", "diffusion", "marginal"))
    mix = as_mixture(data)
    spec = spec_of(sde)
    model = GaussianMixtureModel(mix.weights, mix.means, mix.covs)
    score = samplers.exact_mixture_score(sde, model)
    pts, wts = gauss_hermite(spec.marginal(mix, spec.T), n_nodes)
    out = pf_ode_odeint(sde, score, torch.tensor(pts, dtype=torch.float64), spec.T, t_end, rtol=rtol, atol=atol,
                        drift=drift).numpy()
    mean = wts @ out
    cov = (wts[:, None] * (out - mean)).T @ (out - mean)
    end = spec.marginal(mix, t_end)
    return mean, cov, end.mean(), end.cov()


def check_transport(sde: Any, data: Any, *, t_end: float = 1e-3, n_nodes: int = 24,
                    drift: Callable = samplers.pf_ode_drift, tol: float = MOMENT_TOL) -> dict[str, float]:
    """Raise ``TheoremViolation`` (``sde.probability_flow_ode``) unless odeint's PF-ODE transport of ``p_T``
    has the exact mean and covariance of ``p_ε``; returns the largest errors on success."""
    mean, cov, m_end, c_end = transport_moments(sde, data, t_end=t_end, n_nodes=n_nodes, drift=drift)
    theorem = "sde.probability_flow_ode"
    inputs = {"sde": type(sde).__name__, "t_end": t_end, "n_nodes": n_nodes, "rtol": RTOL, "atol": ATOL}
    for what, got, want in (("mean", mean, m_end), ("covariance", cov, c_end)):
        assert_close(got, want, theorem=theorem, slide=SLIDES[theorem],
                     what=f"{what} of the torchdiffeq PF-ODE pushforward of p_T against p_ε's",
                     tol=Tolerance(rtol=tol, atol=tol), scale=np.abs(want), inputs=inputs)
    return {"mean_error": float(np.abs(mean - m_end).max()), "cov_error": float(np.abs(cov - c_end).max())}
