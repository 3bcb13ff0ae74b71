"""Kolmogorov–Fokker–Planck, probability-flow ODE, reverse SDE and Langevin: exact oracles.

For ``dx = f(x, t) dt + g(t) dw`` with marginals ``p_t`` (``000 L10 "Stochastic Differential Equation
(SDE)"``, ``"Probability Flow ODE"``, ``"Reverse SDE"``):

* KFP (``sde.kfp``):              ``∂p/∂t + div(f p) - ½ g² Δp = 0``
* PF-ODE (``sde.probability_flow_ode``): ``v = f - ½ g² ∇log p_t`` solves ``∂p/∂t + div(v p) = 0``
* reverse SDE (``sde.reverse_sde``): ``f̄ = f - g² ∇log p_t`` run with ``dt < 0`` solves the
  time-reversed KFP ``∂p/∂t + div(f̄ p) + ½ g² Δp = 0``
* ``sde.pf_ode_plus_langevin``: ``f̄ = v - ½ g² ∇log p_t``: the reverse SDE is the PF-ODE plus the
  Langevin SDE ``dx = ½ g² ∇log p_t dτ + g dw`` (frozen t), which leaves ``p_t`` invariant
* ``sde.langevin_stationary``: ``dx = ½ ∇log p dt + dw`` (the lecture's convention; equivalently
  ``dx = ∇log p dt + √2 dw``) has ``p`` as stationary law.

Two kinds of oracle, no torch:

1. **Symbolic** (sympy), 1-D linear SDEs ``dx = φ(t) x dt + g(t) dw`` (VP with linear β, VE) and a
   Gaussian or mixture initial law. The marginal is the mixture ``Σ w_k N(a m_k, a² c_k + s²)``; each
   residual divided by ``p`` is reduced to a rational function and must cancel to 0. The Gaussian
   factors ``exp(E_k)`` are kept as symbols ``e_k`` with their derivatives applied by the chain rule, and
   the time dependence runs through one symbol ``u(t)`` with a closed-form ``du/dt`` (checked
   separately against ``u``'s closed form), so ``cancel`` decides the identity exactly and fast.
2. **Closed form** (numpy), any dimension: for mixture data the marginal of a linear SDE is a mixture
   whose ``∂_t p/p``, ``∇p/p`` and ``Δp/p`` are exact; so are the PF-ODE and reverse drifts and their
   divergences, the Euler / Heun / Euler–Maruyama / predictor–corrector schemes with the exact
   score (same arithmetic as any correct sampler, in float64), the exact PF-ODE flow map of Gaussian
   data, the reverse Euler–Maruyama moment recursion, and the ULA stationary covariance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from dgmcheck.theory import _validate as V
from dgmcheck.theory import langevin as langevin_theory
from dgmcheck.theory import sde as sde_theory
from dgmcheck.theory._memo import derivation
from dgmcheck.theory.gaussian_mixture import GaussianMixture

# --------------------------------------------------------------------------------------------------
# SDE specifications (closed-form coefficients and marginals, numpy)
# --------------------------------------------------------------------------------------------------
KINDS = ("vp", "ve")


@dataclass(frozen=True)
class SDESpec:
    """A linear SDE ``dx = φ(t) x dt + g(t) dw`` on ``[0, T]`` with its marginal coefficients.

    ``vp``: ``β(t) = β_min + (t/T)(β_max - β_min)``, ``φ = -β/2``, ``g² = β``, ``a = e^{-B/2}``,
    ``s² = 1 - e^{-B}``, ``B(t) = ∫_0^t β``. ``ve``: ``σ(t) = σ_min (σ_max/σ_min)^{t/T}``, ``φ = 0``,
    ``g² = dσ²/dt = 2 σ² log(σ_max/σ_min)/T``, ``a = 1``, ``s² = σ² - σ_min²``. ``x_t = a x_0 + s ε``.
    """

    kind: str
    lo: float  # β_min or σ_min
    hi: float  # β_max or σ_max
    T: float = 1.0

    def __post_init__(self) -> None:
        V.choice(self.kind, "kind", KINDS)
        V.positive(self.lo, "lo")
        V.positive(self.hi, "hi")
        V.positive(self.T, "T")
        if not self.hi >= self.lo:
            raise ValueError(f"need 0 < lo <= hi and T > 0, got lo={self.lo}, hi={self.hi}, T={self.T}")
        if self.kind == "ve" and self.hi == self.lo:
            raise ValueError(f"a VE SDE needs hi = σ_max > lo = σ_min, got {self.hi}")

    @cached_property  # built once: every coefficient call reads it (VE/VP are frozen)
    def sde(self) -> sde_theory.VE | sde_theory.VP:
        """The same SDE as ``theory.sde``'s object, whose coefficients and marginals this spec reads."""
        if self.kind == "ve":
            return sde_theory.VE(self.lo, self.hi, self.T)
        return sde_theory.VP(self.lo, self.hi, self.T)

    def phi(self, t: object) -> np.ndarray:
        return self.sde.f(t)

    def g2(self, t: object) -> np.ndarray:
        return self.sde.g2(t)

    def sigma2(self, t: object) -> np.ndarray:
        return self.sde.sigma(t) ** 2

    def integrated_beta(self, t: object) -> np.ndarray:
        return self.sde.integrated_beta(t)

    def scale(self, t: object) -> np.ndarray:
        """``a(t)`` and ``da/dt = φ(t) a(t)``."""
        a, _ = self.sde.marginal(t)
        return a, self.phi(t) * a

    def var(self, t: object) -> np.ndarray:
        """``s(t)²`` and ``d s²/dt = 2 φ s² + g²`` (the variance ODE)."""
        _, v = self.sde.marginal(t)
        return v, 2 * self.phi(t) * v + self.g2(t)

    def marginal(self, data: GaussianMixture, t: float) -> GaussianMixture:
        """The exact ``p_t`` of mixture data: ``Σ w_k N(a m_k, a² C_k + s² I)``."""
        a, _ = self.scale(t)
        s2, _ = self.var(t)
        return data.noised(float(a), float(s2))


def _spec(spec: object) -> SDESpec:
    return V.instance(spec, "spec", SDESpec, "a dgmcheck.theory.fokker_planck.SDESpec")


def _time(spec: SDESpec, t: object, name: str = "t") -> float:
    """A time in ``[0, T]`` of the spec's SDE."""
    return V.real(t, name, lo=0.0, hi=_spec(spec).T, closed="lo hi")


def _state(spec: object, data: object, t: object, x: object) -> tuple[float, np.ndarray]:
    """The checked time and points ``(n, d)`` of the mixture's dimension."""
    t = _time(_spec(spec), t)
    return t, V.points(x, "x", V.mixture(data, "data").dim, batched=True)


def _grid(spec: SDESpec, ts: object) -> np.ndarray:
    """At least two strictly monotone times in ``[0, T]``."""
    ts = V.array(ts, "ts", ndim=1)
    dt = np.diff(ts)
    if ts.size < 2 or not (np.all(dt > 0) or np.all(dt < 0)):
        raise ValueError(f"ts must hold at least 2 strictly monotone times, got {ts.tolist()}")
    if ts.min() < 0 or ts.max() > spec.T:
        raise ValueError(f"ts must lie in [0, T] = [0, {spec.T}], got values in [{ts.min()}, {ts.max()}]")
    return ts


def _noises(noises: object, name: str, lead: tuple[int, ...], x: np.ndarray) -> np.ndarray:
    """``noises`` of shape ``(*lead, *x.shape)``, finite."""
    z = V.array(noises, name)
    if z.ndim != len(lead) + x.ndim or z.shape[len(lead):] != x.shape \
            or any(n is not None and z.shape[i] != n for i, n in enumerate(lead)):
        want = ", ".join("n" if n is None else str(n) for n in lead)
        raise ValueError(f"{name} must have shape ({want}, *x.shape) = ({want}, "
                         f"{', '.join(map(str, x.shape))}), got {z.shape}")
    return z


# --------------------------------------------------------------------------------------------------
# closed-form derivatives of the marginal density (numpy)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PathDerivatives:
    """At points ``x`` (n, d) and one time: ``dt = ∂_t p/p``, ``score = ∇p/p``, ``lap = Δp/p``,
    ``div_score = Δ log p = lap - |score|²``, ``jac_score = ∇² log p`` (n, d, d)."""

    dt: np.ndarray
    score: np.ndarray
    lap: np.ndarray
    div_score: np.ndarray
    jac_score: np.ndarray
    dt_mag: np.ndarray  # Σ_k r_k (|uᵀμ'| + ½|uᵀΣ'u| + ½|tr Σ⁻¹Σ'|): the size of the terms summed in dt
    lap_mag: np.ndarray  # Σ_k r_k (|u|² + tr Σ⁻¹): the size of the terms summed in lap


def path_derivatives(spec: SDESpec, data: GaussianMixture, t: float, x: np.ndarray) -> PathDerivatives:
    """Exact derivatives of ``p_t`` at ``x``, component by component and averaged with the posterior.

    For ``N_k = N(x; μ, Σ)`` with ``μ = a m_k``, ``Σ = a² C_k + s² I`` and ``u = Σ⁻¹(x - μ)``:
    ``∂_t N_k/N_k = uᵀμ' + ½ uᵀΣ'u - ½ tr(Σ⁻¹Σ')`` with ``μ' = a' m_k``, ``Σ' = 2 a a' C_k + (s²)' I``;
    ``∇N_k/N_k = -u``; ``∇²N_k/N_k = u uᵀ - Σ⁻¹``. Ratios for ``p`` are responsibility averages.
    """
    t, x = _state(spec, data, t, x)
    a, da = (float(v) for v in spec.scale(t))
    s2, ds2 = (float(v) for v in spec.var(t))
    d = data.dim
    eye = np.eye(d)
    sig = a**2 * data.covs + s2 * eye  # (K, d, d)
    dsig = 2 * a * da * data.covs + ds2 * eye
    mu, dmu = a * data.means, da * data.means
    prec = np.linalg.inv(sig)
    r = data.noised(a, s2).responsibilities(x)  # (n, K)
    u = np.einsum("kij,nkj->nki", prec, x[:, None, :] - mu[None])  # (n, K, d)
    dt_k = (np.einsum("nki,ki->nk", u, dmu) + 0.5 * np.einsum("nki,kij,nkj->nk", u, dsig, u)
            - 0.5 * np.einsum("kij,kji->k", prec, dsig)[None])
    uu = np.einsum("nki,nkj->nkij", u, u)
    hess_k = uu - prec[None]  # ∇²N_k/N_k
    score = -np.einsum("nk,nki->ni", r, u)
    hess = np.einsum("nk,nkij->nij", r, hess_k)  # ∇²p/p
    lap = np.einsum("nii->n", hess)
    jac = hess - np.einsum("ni,nj->nij", score, score)
    dt_mag = (np.abs(np.einsum("nki,ki->nk", u, dmu)) + 0.5 * np.abs(np.einsum("nki,kij,nkj->nk", u, dsig, u))
              + 0.5 * np.abs(np.einsum("kij,kji->k", prec, dsig))[None])
    lap_mag = np.einsum("nki,nki->nk", u, u) + np.einsum("kii->k", prec)[None]
    return PathDerivatives(dt=np.einsum("nk,nk->n", r, dt_k), score=score, lap=lap,
                           div_score=np.einsum("nii->n", jac), jac_score=jac,
                           dt_mag=np.einsum("nk,nk->n", r, dt_mag), lap_mag=np.einsum("nk,nk->n", r, lap_mag))


def kfp_residual(der: PathDerivatives, f: np.ndarray, div_f: np.ndarray, g2: float,
                 second_order: float = -0.5) -> np.ndarray:
    """``(∂_t p + div(f p) + c g² Δp)/p = ∂_t p/p + div f + f·∇log p + c g² Δp/p``.

    ``c = -½``: the KFP of ``dx = f dt + g dw`` (``sde.kfp``); ``c = 0`` with ``g2 = 0``: the continuity
    equation; ``c = +½``: the time-reversed KFP of a reverse SDE (``sde.reverse_sde``).
    """
    f, div_f, g2 = _terms(der, f, div_f, g2)
    second_order = V.real(second_order, "second_order")
    return der.dt + div_f + np.einsum("ni,ni->n", f, der.score) + second_order * g2 * der.lap


def residual_scale(der: PathDerivatives, f: np.ndarray, div_f: np.ndarray, g2: float) -> np.ndarray:
    """Sum of the magnitudes of the terms of any of these residuals (KFP, continuity, reversed KFP,
    Langevin) built from the exact ``f``, ``g²`` and score: the scale of their rounding error."""
    f, div_f, g2 = _terms(der, f, div_f, g2)
    s2 = (der.score**2).sum(-1)
    return (der.dt_mag + np.abs(div_f) + np.abs(f * der.score).sum(-1) + abs(g2) * (der.lap_mag + 2 * s2))


def _terms(der: object, f: object, div_f: object, g2: object) -> tuple[np.ndarray, np.ndarray, float]:
    """A drift ``f`` (n, d) at the points of ``der``, its divergence (n,) and ``g²`` >= 0."""
    V.instance(der, "der", PathDerivatives, "the PathDerivatives of path_derivatives")
    f = V.array(f, "f")
    if f.shape != der.score.shape:
        raise ValueError(f"f must have the shape of the points {der.score.shape}, got {f.shape}")
    div_f = V.array(div_f, "div_f", shape=(len(f),))
    return f, div_f, V.real(g2, "g2", lo=0.0, closed="lo")


def exact_drifts(spec: SDESpec, data: GaussianMixture, t: float, x: np.ndarray) -> dict[str, np.ndarray]:
    """Exact ``f``, ``g²``, score, PF-ODE drift ``f - ½g²s``, reverse drift ``f - g²s`` and divergences."""
    t, x = _state(spec, data, t, x)
    der = path_derivatives(spec, data, t, x)
    phi, g2 = float(spec.phi(t)), float(spec.g2(t))
    d = data.dim
    f = phi * np.asarray(x, dtype=np.float64)
    return {"f": f, "div_f": np.full(len(f), phi * d), "g2": g2, "score": der.score,
            "pf": f - 0.5 * g2 * der.score, "div_pf": phi * d - 0.5 * g2 * der.div_score,
            "rev": f - g2 * der.score, "div_rev": phi * d - g2 * der.div_score}


# --------------------------------------------------------------------------------------------------
# discrete schemes with the exact score (numpy, float64): the oracles of the samplers
# --------------------------------------------------------------------------------------------------
def _score(spec: SDESpec, data: GaussianMixture, t: float, x: np.ndarray) -> np.ndarray:
    return spec.marginal(data, t).score(x)


def _pf(spec, data, t, x):
    return float(spec.phi(t)) * x - 0.5 * float(spec.g2(t)) * _score(spec, data, t, x)


def _rev(spec, data, t, x):
    return float(spec.phi(t)) * x - float(spec.g2(t)) * _score(spec, data, t, x)


def pf_ode_scheme(spec: SDESpec, data: GaussianMixture, ts: np.ndarray, x: np.ndarray,
                  method: str = "heun") -> np.ndarray:
    """The Euler or Heun path of the PF-ODE ``dx/dt = f - ½ g² ∇log p_t`` on ``ts`` (n_t, n, d).

    Euler ``x + h v(x, t_k)``; Heun ``x + ½h[v(x, t_k) + v(x + h v(x, t_k), t_{k+1})]``, ``h = t_{k+1} - t_k``.
    """
    V.choice(method, "method", ("euler", "heun"))
    _, x = _state(spec, data, 0.0, x)
    ts = _grid(spec, ts)
    path = [x]
    for k in range(len(ts) - 1):
        t0, t1 = float(ts[k]), float(ts[k + 1])
        h, xk = t1 - t0, path[-1]
        v = _pf(spec, data, t0, xk)
        if method == "euler":
            path.append(xk + h * v)
        else:
            path.append(xk + 0.5 * h * (v + _pf(spec, data, t1, xk + h * v)))
    return np.stack(path)


def reverse_em_scheme(spec: SDESpec, data: GaussianMixture, ts: np.ndarray, x: np.ndarray,
                      noises: np.ndarray) -> np.ndarray:
    """Euler–Maruyama path of the reverse SDE on decreasing ``ts``: ``x + f̄(x, t_k) h + g(t_k)√|h| z_k``."""
    _, x = _state(spec, data, 0.0, x)
    ts = _grid(spec, ts)
    noises = _noises(noises, "noises", (len(ts) - 1,), x)
    path = [x]
    for k in range(len(ts) - 1):
        t0, h, xk = float(ts[k]), float(ts[k + 1] - ts[k]), path[-1]
        path.append(xk + h * _rev(spec, data, t0, xk) + np.sqrt(float(spec.g2(t0)) * abs(h)) * noises[k])
    return np.stack(path)


def ula_step(spec: SDESpec, data: GaussianMixture, t: float, x: np.ndarray, step_size: float,
             noise: np.ndarray) -> np.ndarray:
    """One Langevin corrector step on ``p_t``: ``x + (η/2) ∇log p_t(x) + √η z`` (EM with dτ = η of
    the Langevin SDE ``dx = ½∇log p_t dτ + dw``)."""
    t, x = _state(spec, data, t, x)
    step_size = V.positive(step_size, "step_size")
    noise = V.matching(V.array(noise, "noise"), "noise", x, "x")
    return _ula_step(spec, data, t, x, step_size, noise)


def _ula_step(spec: SDESpec, data: GaussianMixture, t: float, x: np.ndarray, step_size: float,
              noise: np.ndarray) -> np.ndarray:
    return x + 0.5 * step_size * _score(spec, data, t, x) + np.sqrt(step_size) * noise


def pc_scheme(spec: SDESpec, data: GaussianMixture, ts: np.ndarray, x: np.ndarray, noises: np.ndarray,
              corrector_noises: np.ndarray, step_size: float, predictor: str = "reverse_sde") -> np.ndarray:
    """Predictor–corrector path: a reverse-SDE EM (or PF-ODE Euler) step from ``t_k`` to ``t_{k+1}``,
    then ``corrector_noises.shape[1]`` Langevin steps of size ``step_size`` on ``p_{t_{k+1}}``."""
    V.choice(predictor, "predictor", ("reverse_sde", "pf_ode"))
    _, x = _state(spec, data, 0.0, x)
    ts = _grid(spec, ts)
    if predictor == "reverse_sde" or noises is not None:  # the PF-ODE predictor reads no noise
        noises = _noises(noises, "noises", (len(ts) - 1,), x)
    corrector_noises = _noises(corrector_noises, "corrector_noises", (len(ts) - 1, None), x)
    step_size = V.positive(step_size, "step_size")
    path = [x]
    for k in range(len(ts) - 1):
        t0, t1 = float(ts[k]), float(ts[k + 1])
        h, xk = t1 - t0, path[-1]
        if predictor == "reverse_sde":
            xk = xk + h * _rev(spec, data, t0, xk) + np.sqrt(float(spec.g2(t0)) * abs(h)) * noises[k]
        elif predictor == "pf_ode":
            xk = xk + h * _pf(spec, data, t0, xk)
        else:
            raise ValueError(f"predictor must be 'reverse_sde' or 'pf_ode', got {predictor!r}")
        for j in range(corrector_noises.shape[1]):
            xk = _ula_step(spec, data, t1, xk, step_size, corrector_noises[k, j])
        path.append(xk)
    return np.stack(path)


def drift_jacobian_norms(spec: SDESpec, data: GaussianMixture, ts: np.ndarray, path: np.ndarray,
                         score_weight: float) -> np.ndarray:
    """``‖φ I - w g² ∇² log p_{t_k}(x_k)‖₂`` along a path (max over the batch), ``w = ½`` (PF-ODE) or
    ``1`` (reverse SDE): the per-step Lipschitz constants used to propagate rounding errors."""
    V.mixture(data, "data")
    ts = _grid(_spec(spec), ts)
    path = V.array(path, "path", ndim=3)
    if path.shape[0] < len(ts) - 1 or path.shape[2] != data.dim:
        raise ValueError(f"path must have shape (len(ts), n, d) = ({len(ts)}, n, {data.dim}), got {path.shape}")
    score_weight = V.real(score_weight, "score_weight")
    out = []
    for k in range(len(ts) - 1):
        t = float(ts[k])
        jac = path_derivatives(spec, data, t, path[k]).jac_score
        m = float(spec.phi(t)) * np.eye(data.dim) - score_weight * float(spec.g2(t)) * jac
        out.append(float(np.max(np.linalg.norm(m, ord=2, axis=(1, 2)))))
    return np.asarray(out)


# --------------------------------------------------------------------------------------------------
# Gaussian data: the exact PF-ODE flow map, the reverse EM moment recursion, ULA's stationary law
# --------------------------------------------------------------------------------------------------
def _sqrtm_sym(m: np.ndarray) -> np.ndarray:
    w, q = np.linalg.eigh(m)
    return (q * np.sqrt(w)) @ q.T


def gaussian_flow_map(spec: SDESpec, mean: np.ndarray, cov: np.ndarray, t: float, u: float,
                      x: np.ndarray) -> np.ndarray:
    """The exact PF-ODE flow from time ``t`` to ``u`` for data ``N(m, C)``: ``Σ_t = a_t² C + s_t² I`` all
    commute, the PF-ODE is linear and its flow is ``a_u m + Σ_u^{1/2} Σ_t^{-1/2} (x - a_t m)``."""
    mean, cov = _gaussian(mean, cov)
    t, u = _time(_spec(spec), t), _time(spec, u, "u")
    x = V.points(x, "x", len(mean))
    eye = np.eye(len(mean))

    def sig(s: float) -> np.ndarray:
        return float(spec.scale(s)[0]) ** 2 * cov + float(spec.var(s)[0]) * eye

    a_t, a_u = float(spec.scale(t)[0]), float(spec.scale(u)[0])
    m = _sqrtm_sym(sig(u)) @ np.linalg.inv(_sqrtm_sym(sig(t)))
    return a_u * mean + (x - a_t * mean) @ m.T


def _gaussian(mean: object, cov: object, names: tuple[str, str] = ("mean", "cov")) -> tuple[np.ndarray, np.ndarray]:
    """A Gaussian ``N(mean, cov)``: ``mean`` (d,), ``cov`` (d, d) symmetric positive definite."""
    mean = V.array(mean, names[0], ndim=1)
    return mean, V.square(cov, names[1], n=len(mean), positive_definite=True)


def reverse_em_moments(spec: SDESpec, mean: np.ndarray, cov: np.ndarray, ts: np.ndarray,
                       mean0: np.ndarray, cov0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and covariance of the reverse-SDE Euler–Maruyama chain for data ``N(m, C)``.

    The step is affine, ``x' = A x + b + c z`` with ``A = I + h(φ I + g² Σ_t⁻¹)``,
    ``b = -h g² Σ_t⁻¹ a_t m`` and ``c = g √|h|``, so ``mean' = A mean + b``, ``cov' = A cov Aᵀ + c² I``.
    As the grid is refined the end moments converge to those of ``p_{ts[-1]}`` (theorem ``sde.reverse_sde``).
    """
    mean, cov = _gaussian(mean, cov)
    mu = V.array(mean0, "mean0", shape=(len(mean),))
    c = V.square(cov0, "cov0", n=len(mean), symmetric=True)
    ts = _grid(_spec(spec), ts)
    d = len(mean)
    eye = np.eye(d)
    for k in range(len(ts) - 1):
        t, h = float(ts[k]), float(ts[k + 1] - ts[k])
        a, s2 = float(spec.scale(t)[0]), float(spec.var(t)[0])
        prec = np.linalg.inv(a**2 * cov + s2 * eye)
        g2 = float(spec.g2(t))
        A = eye + h * (float(spec.phi(t)) * eye + g2 * prec)
        b = -h * g2 * prec @ (a * mean)
        mu, c = A @ mu + b, A @ c @ A.T + g2 * abs(h) * eye
    return mu, c


def ula_stationary_cov(cov: np.ndarray, step_size: float) -> np.ndarray:
    """Stationary covariance of ``x' = x + (η/2)∇log N(μ, Σ)(x) + √η z``: ``(Σ⁻¹ - (η/4)Σ⁻²)⁻¹ = 4Σ²(4Σ - ηI)⁻¹``,
    ``theory.langevin``'s closed form. Needs ``η < 4 λ_min(Σ)``; ``→ Σ`` as ``η → 0``
    (``sde.langevin_stationary``: the discretized Langevin SDE has bias O(η)).
    """
    cov = V.square(cov, "cov", positive_definite=True)
    step_size = V.positive(step_size, "step_size")
    w = np.linalg.eigvalsh(cov)
    if not step_size < 4 * w.min():
        raise ValueError(f"step_size must be < 4 λ_min(Σ) = {4 * w.min()} for a stationary law, got {step_size}")
    return langevin_theory.ula_stationary_closed_form(cov, step_size)


# --------------------------------------------------------------------------------------------------
# symbolic (sympy), 1-D
# --------------------------------------------------------------------------------------------------
x_sym, t_sym, u_sym = sp.symbols("x t u", real=True)
HALF = sp.Rational(1, 2)


@dataclass(frozen=True)
class SymbolicSDE:
    """A 1-D linear SDE in terms of one time symbol ``u`` with closed form ``u_of_t`` and ``du/dt``:
    ``phi``, ``g2``, ``a``, ``s2`` are expressions in ``u`` and ``t``."""

    kind: str
    phi: sp.Expr
    g2: sp.Expr
    a: sp.Expr
    s2: sp.Expr
    u_of_t: sp.Expr
    du_dt: sp.Expr

    def d_dt(self, e: sp.Expr) -> sp.Expr:
        """Total time derivative of an expression in ``(u, t)``."""
        return sp.diff(e, t_sym) + sp.diff(e, u_sym) * self.du_dt


def symbolic_sde(kind: str) -> SymbolicSDE:
    """The VP SDE (β_min = 1/10, β_max = 20, T = 1; ``u = a = e^{-B/2}``, ``s² = 1 - u²``) or the VE SDE
    (σ_min = 1/100, σ_max = 50, T = 1; ``u = σ(t)²``, ``a = 1``, ``s² = u - σ_min²``)."""
    t, u = t_sym, u_sym
    if kind == "vp":
        b0, b1 = sp.Rational(1, 10), sp.Integer(20)
        beta = b0 + (b1 - b0) * t
        B = sp.integrate(beta, (t, 0, t))
        return SymbolicSDE("vp", -beta / 2, beta, u, 1 - u**2, sp.exp(-B / 2), -beta / 2 * u)
    if kind == "ve":
        smin, smax = sp.Rational(1, 100), sp.Integer(50)
        rate = 2 * sp.log(smax / smin)
        return SymbolicSDE("ve", sp.Integer(0), rate * u, sp.Integer(1), u - smin**2,
                           smin**2 * sp.exp(rate * t), rate * u)
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def closed_form_consistent(sde: SymbolicSDE) -> bool:
    """``u_of_t`` solves ``du/dt``, ``u(0)`` gives ``a(0) = 1, s²(0) = 0``, and the marginal moments solve
    the moment ODEs ``a' = φ a``, ``(s²)' = 2 φ s² + g²`` (so ``p_t`` is the SDE's marginal)."""
    V.instance(sde, "sde", SymbolicSDE, "a SymbolicSDE (see symbolic_sde)")
    ok = sp.simplify(sp.diff(sde.u_of_t, t_sym) - sde.du_dt.subs(u_sym, sde.u_of_t)) == 0
    at0 = {u_sym: sde.u_of_t.subs(t_sym, 0), t_sym: 0}
    ok &= sp.simplify(sde.a.subs(at0) - 1) == 0 and sp.simplify(sde.s2.subs(at0)) == 0
    ok &= sp.cancel(sde.d_dt(sde.a) - sde.phi * sde.a) == 0
    ok &= sp.cancel(sde.d_dt(sde.s2) - 2 * sde.phi * sde.s2 - sde.g2) == 0
    return bool(ok)


Component = tuple[sp.Expr, sp.Expr, sp.Expr]  # weight, mean, variance of the initial law


def default_components(kind: str = "mixture") -> tuple[Component, ...]:
    """A Gaussian ``N(1/2, 1/3)`` or a 2-component mixture ``⅓ N(-2, ½) + ⅔ N(1, ¼)``."""
    R = sp.Rational
    if kind == "gaussian":
        return ((sp.Integer(1), R(1, 2), R(1, 3)),)
    if kind == "mixture":
        return ((R(1, 3), sp.Integer(-2), R(1, 2)), (R(2, 3), sp.Integer(1), R(1, 4)))
    raise ValueError(f"kind must be 'gaussian' or 'mixture', got {kind!r}")


def _components(components: object) -> tuple[Component, ...]:
    """None (the default mixture) or a non-empty tuple (or list) of (weight > 0, mean, variance > 0) triples."""
    if components is None:
        return default_components()
    if not isinstance(components, (tuple, list)) or not components or any(
            not isinstance(c, (tuple, list)) or len(c) != 3 for c in components):
        raise TypeError(f"components must be None or a tuple of (weight, mean, variance) triples, "
                        f"got {V.got(components)}")
    for w, m, v in components:
        V.positive(w, "components")
        V.real(m, "components")
        V.positive(v, "components")
    return tuple(tuple(c) for c in components)


class _MixtureCalculus:
    """``p = Σ w_k e_k / √(2π V_k)``, ``e_k = exp(-(x - M_k)²/(2 V_k))`` kept as symbols; ``∂_x`` and
    ``∂_t`` act on ``e_k`` by the chain rule, on ``M_k = a m_k`` and ``V_k = a² c_k + s²`` through ``u(t)``."""

    def __init__(self, sde: SymbolicSDE | None, comps: tuple[Component, ...]) -> None:
        self.sde = sde
        K = len(comps)
        self.e = sp.symbols(f"e0:{K}", positive=True)
        x = x_sym
        a = sde.a if sde is not None else sp.Integer(1)
        s2 = sde.s2 if sde is not None else sp.Integer(0)
        self.M = [a * m for _, m, _ in comps]
        self.V = [a**2 * c + s2 for _, _, c in comps]
        self.p = sum(w * e / sp.sqrt(2 * sp.pi * V) for (w, _, _), e, V in zip(comps, self.e, self.V, strict=True))
        self.ex = [-(x - M) / V for M, V in zip(self.M, self.V, strict=True)]
        if sde is not None:
            E = [-(x - M) ** 2 / (2 * V) for M, V in zip(self.M, self.V, strict=True)]
            self.et = [sde.d_dt(Ek) for Ek in E]

    def dx(self, e: sp.Expr) -> sp.Expr:
        return sp.diff(e, x_sym) + sum(sp.diff(e, ek) * dk * ek for ek, dk in zip(self.e, self.ex, strict=True))

    def dt(self, e: sp.Expr) -> sp.Expr:
        return self.sde.d_dt(e) + sum(sp.diff(e, ek) * dk * ek for ek, dk in zip(self.e, self.et, strict=True))

    @property
    def score(self) -> sp.Expr:
        return self.dx(self.p) / self.p

    def reduce(self, residual: sp.Expr) -> sp.Expr:
        """``residual / p`` as a cancelled rational function (0 iff the PDE holds identically). The
        expanded numerator decides 0 first: cheaper than the gcds of ``cancel``, which only a
        non-zero residual (a planted bug) still pays."""
        num, den = sp.fraction(sp.together(residual / self.p))
        num = sp.expand(num)
        return sp.Integer(0) if num == 0 else sp.cancel(num / den)


@derivation
def kfp_residual_1d(kind: str, components: tuple[Component, ...] | None = None,
                    second_order: object = HALF, g_power: int = 2) -> sp.Expr:
    """``(∂p/∂t + ∂(φ x p)/∂x - c (g²)^{g_power/2} ∂²p/∂x²)/p`` for the exact marginal (sde.kfp): 0.

    ``second_order = c = ½`` and ``g_power = 2`` are the theorem; ``g_power = 4`` plants the
    ``g²``-for-``g`` bug (its residual is not 0)."""
    sde = symbolic_sde(kind)
    mc = _MixtureCalculus(sde, _components(components))
    V.real(second_order, "second_order")
    gg = sde.g2 ** sp.Rational(V.count(g_power, "g_power", lo=0, hi=8), 2)
    res = mc.dt(mc.p) + mc.dx(sde.phi * x_sym * mc.p) - second_order * gg * mc.dx(mc.dx(mc.p))
    return mc.reduce(res)


@derivation
def pf_ode_residual_1d(kind: str, components: tuple[Component, ...] | None = None,
                       score_weight: object = HALF) -> sp.Expr:
    """Continuity residual ``(∂p/∂t + ∂(v p)/∂x)/p`` with ``v = φx - w g² ∂_x log p_t``: 0 for ``w = ½``
    (sde.probability_flow_ode); the score enters as ``p'/p`` (no linearization is assumed)."""
    sde = symbolic_sde(kind)
    mc = _MixtureCalculus(sde, _components(components))
    V.real(score_weight, "score_weight")
    v = sde.phi * x_sym - score_weight * sde.g2 * mc.score
    return mc.reduce(mc.dt(mc.p) + mc.dx(v * mc.p))


@derivation
def reverse_kfp_residual_1d(kind: str, components: tuple[Component, ...] | None = None,
                            score_weight: object = 1) -> sp.Expr:
    """Time-reversed KFP residual ``(∂p/∂t + ∂(f̄ p)/∂x + ½g² ∂²p/∂x²)/p`` with ``f̄ = φx - w g² ∂_x log p``.

    Derivation: with ``τ = T - t`` and ``q_τ = p_{T-τ}``, the reverse SDE is ``dx = -f̄ dτ + g dw``; its
    KFP ``∂_τ q = ∂_x(f̄ q) + ½g² ∂²q`` is the residual above. 0 for ``w = 1`` (sde.reverse_sde)."""
    sde = symbolic_sde(kind)
    mc = _MixtureCalculus(sde, _components(components))
    V.real(score_weight, "score_weight")
    fbar = sde.phi * x_sym - score_weight * sde.g2 * mc.score
    return mc.reduce(mc.dt(mc.p) + mc.dx(fbar * mc.p) + sde.g2 / 2 * mc.dx(mc.dx(mc.p)))


@derivation
def pf_ode_plus_langevin_1d(kind: str, components: tuple[Component, ...] | None = None
                            ) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """sde.pf_ode_plus_langevin: ``(f̄ - (v - ½g² s), Langevin stationarity residual, reverse - PF residual
    - Langevin term)``, all 0: the drift identity; ``(∂_x(½g² s p) - ½g² ∂²p)/p`` (the Langevin SDE
    ``dx = ½g² s dτ + g dw`` at frozen t leaves ``p_t`` invariant); and the reversed-KFP residual of
    ``f̄`` equals the continuity residual of ``v`` minus that Langevin residual."""
    sde = symbolic_sde(kind)
    mc = _MixtureCalculus(sde, _components(components))
    s = mc.score
    f = sde.phi * x_sym
    v, fbar = f - sde.g2 / 2 * s, f - sde.g2 * s
    identity = sp.cancel(sp.together(fbar - (v - sde.g2 / 2 * s)))
    langevin = mc.dx(sde.g2 / 2 * s * mc.p) - sde.g2 / 2 * mc.dx(mc.dx(mc.p))
    rev = mc.dt(mc.p) + mc.dx(fbar * mc.p) + sde.g2 / 2 * mc.dx(mc.dx(mc.p))
    cont = mc.dt(mc.p) + mc.dx(v * mc.p)
    return identity, mc.reduce(langevin), mc.reduce(rev - cont + langevin)


LANGEVIN_CONVENTIONS = ("lecture", "sqrt2")


@derivation
def langevin_stationary_residual_1d(components: tuple[Component, ...] | None = None,
                                    convention: str = "lecture", noise_var: sp.Expr | None = None) -> sp.Expr:
    """sde.langevin_stationary: ``(∂_x(f p) - ½ g² ∂²p/∂x²)/p`` for the time-independent mixture ``p``:
    0 for ``f = ½ ∂_x log p, g² = 1`` (lecture, ``000 L10 "Stochastic Differential Equation (SDE)"``
    / "Langevin SDE (Special Case)") and ``f = ∂_x log p, g² = 2`` (``sqrt2``). ``noise_var`` overrides
    ``g²`` (a planted mismatch)."""
    V.choice(convention, "convention", LANGEVIN_CONVENTIONS)
    if noise_var is not None:
        V.positive(noise_var, "noise_var")
    mc = _MixtureCalculus(None, _components(components))
    w, g2 = (sp.Rational(1, 2), sp.Integer(1)) if convention == "lecture" else (sp.Integer(1), sp.Integer(2))
    g2 = g2 if noise_var is None else noise_var
    return mc.reduce(mc.dx(w * mc.score * mc.p) - g2 / 2 * mc.dx(mc.dx(mc.p)))
