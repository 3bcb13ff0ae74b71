"""The law of a DDPM sampler evaluated in a coarse dtype: reference and forward error bound.

``checks.ddpm.check_sampler_law`` probes a candidate's ``sample`` with the ε-model of Gaussian data,
``ε̂_t(x) = c_t x + e_t``, so the sampler is the linear chain ``x_{t-1} = a_t x_t + b_t + σ_t z_t`` with
``a_t = (1 - k_t c_t)/√α_t``, ``b_t = -k_t e_t/√α_t``, ``k_t = β_t/√(1-ᾱ_t)``, ``σ_t² = β̃_t``
(000 L8 "Denoising Diffusion Probabilistic Model (DDPM)"). Its law is exact in float64
(``theory.linear_gaussian.sampler_law``); this module bounds how far a correct float32 evaluation of it
can land, so that the bound is the sampler's own roundings and not the a-priori conditioning of the
schedule (which in float32 at T = 1000 admitted a 2 % error in the noise variance).

Backward error of one step: each computed row ``fl(step(x))`` is the exact step with its terms
perturbed by at most ``ρ_t`` relative (``ρ_t`` counts the step's roundings, ``tolerances.evaluated``),
so the error it adds is at most ``ρ_t (M_t |x| + N_t |e_t| + |σ_t z|)``, ``M_t`` and ``N_t`` the sums of
the magnitudes of the terms that multiply ``x`` and ``e_t`` in the route the step takes (``ROUTES``: the
ε-form mean, x̂₀ then the posterior mean, x̂₀ then DDIM's η = 1 step). An error added at
step ``t`` reaches ``x_0`` times ``P_t = a_1 ⋯ a_{t-1}``. The probe's rows other than the first carry
no ``e_t`` (``e_t`` only in the offset row), so their outputs are the gains ``g_r`` themselves, and for
the rows alive at step ``t``, ``g_r = P_{t+1} x_{t,r}``: ``Σ_r |g_r| |x_{t,r}| = |P_{t+1}| V_t`` with
``V_t = Σ_r x_{t,r}²`` the chain's variance at ``t``. Hence, first order and then the square of the
summed row errors (Minkowski):

    |δ Var x_0| <= 2 Σ_t ρ_t (|P_t P_{t+1}| M_t V_t + P_t² σ_t²) + (Σ_t |P_t| ρ_t (M_t √V_t + σ_t))²
    |δ E x_0|   <= Σ_t |P_t| ρ_t (M_t |μ_t| + N_t |e_t|)

with ``μ_t`` the chain's mean path. ``COUNTED`` (twice the first-order count, in ``ρ_t``) covers the
second-order terms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dgmcheck.theory import ddpm as th
from dgmcheck.theory import linear_gaussian as lg


@dataclass(frozen=True)
class ProbedChain:
    """The linear chain a sampler runs under the ε-model ``c_t x + e_t`` on ``schedule``, per step
    ``t = 1..T`` (index ``t - 1``): ``a``, ``b``, ``v = σ_t²``, and the magnitudes ``mag_x`` (``M_t``)
    and ``mag_e`` (``N_t``) of the terms a step evaluates."""

    a: np.ndarray
    b: np.ndarray
    v: np.ndarray
    mag_x: np.ndarray
    mag_e: np.ndarray

    def law(self) -> tuple[float, float]:
        """``(E x_0, Var x_0)`` for ``x_T ~ N(0, 1)`` (``theory.linear_gaussian.sampler_law``)."""
        mean, var = lg.sampler_law(lg.LinearReverseChain(a=self.a, b=self.b, v=self.v))
        return float(np.ravel(mean)[0]), float(np.ravel(var)[0])


#: How a step evaluates its mean: the ε-form ``(x - k_t ε̂)/√α_t``; ``x̂₀ = (x - √(1-ᾱ_t) ε̂)/√ᾱ_t`` then the
#: posterior mean ``c_0 x̂₀ + c_t x`` (diffusers' DDPMScheduler); ``x̂₀`` then DDIM's η = 1 step
#: ``√ᾱ_{t-1} x̂₀ + √(1-ᾱ_{t-1}-σ_t²) ε̂``. On a consistent schedule the three agree; on tables rounded to
#: float32 (``ᾱ_t ≠ α_t ᾱ_{t-1}`` by an ulp) they differ by that ulp over ``1 - ᾱ_t``, 3e-4 at small t.
ROUTES = ("eps", "x0", "ddim")


def probed_chain(schedule: th.Schedule, c: np.ndarray, e: np.ndarray, route: str = "eps") -> ProbedChain:
    """The chain of ancestral sampling (``σ_t² = β̃_t``) on ``schedule`` with the ε-model ``c_t x + e_t``
    exactly as given (the float32 values the candidate reads, not the float64 ones they round), its mean
    evaluated by ``route`` (``ROUTES``)."""
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}, got {route!r}")
    s = th.at(schedule, np.arange(1, schedule.T + 1))
    c, e = np.asarray(c, dtype=np.float64), np.asarray(e, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(s.t > 1, s.one_minus_alpha_bar_prev * s.beta / s.one_minus_alpha_bar, 0.0)
        if route == "eps":
            r, k = 1.0 / np.sqrt(s.alpha), s.beta / np.sqrt(s.one_minus_alpha_bar)
            return ProbedChain(a=r * (1.0 - k * c), b=-r * k * e, v=v, mag_x=r * (1.0 + k * np.abs(c)),
                               mag_e=r * k * np.abs(e))
        inv_root, odds = 1.0 / np.sqrt(s.alpha_bar), np.sqrt(s.one_minus_alpha_bar) / np.sqrt(s.alpha_bar)
        if route == "x0":
            c0 = np.sqrt(s.alpha_bar_prev) * s.beta / s.one_minus_alpha_bar
            cx = np.sqrt(s.alpha) * s.one_minus_alpha_bar_prev / s.one_minus_alpha_bar
            return ProbedChain(a=c0 * (inv_root - odds * c) + cx, b=-c0 * odds * e, v=v,
                               mag_x=c0 * (inv_root + odds * np.abs(c)) + cx, mag_e=c0 * odds * np.abs(e))
        root_prev = np.sqrt(s.alpha_bar_prev)
        direction = np.sqrt(np.maximum(s.one_minus_alpha_bar_prev - v, 0.0))
        # 1 - ᾱ_{t-1} - σ_t² cancels by σ²/(1-ᾱ_{t-1}-σ²), halved by the root: the direction term's own size
        cancel = 1.0 + np.where(direction > 0, 0.5 * v / np.maximum(direction**2, 1e-300), 0.0)
        return ProbedChain(a=root_prev * (inv_root - odds * c) + direction * c,
                           b=(direction - root_prev * odds) * e, v=v,
                           mag_x=root_prev * (inv_root + odds * np.abs(c)) + cancel * direction * np.abs(c),
                           mag_e=(root_prev * odds + cancel * direction) * np.abs(e))


def law_error_bound(chain: ProbedChain, rho: np.ndarray, rho_sigma: np.ndarray) -> tuple[float, float]:
    """``(|δ E x_0|, |δ Var x_0|)`` bounds (module docstring) for per-step relative perturbations ``rho``
    of the step's terms and ``rho_sigma`` of ``σ_t``, both ``(T,)`` or scalars."""
    T = chain.a.shape[0]
    rho = np.broadcast_to(np.asarray(rho, dtype=np.float64), (T,))
    rho_sigma = np.broadcast_to(np.asarray(rho_sigma, dtype=np.float64), (T,))
    prods = np.concatenate([[1.0], np.cumprod(chain.a)])  # prods[k] = a_1 ⋯ a_k
    P, P_next = prods[:-1], prods[1:]  # P_t (reaches x_0 from x_{t-1}), P_{t+1} = P_t a_t (from x_t)
    # V_t and μ_t for t = T..1 from x_T ~ N(0, 1): V_{t-1} = a_t² V_t + σ_t², μ_{t-1} = a_t μ_t + b_t
    V, mu = np.empty(T), np.empty(T)
    var, mean = 1.0, 0.0
    for i in range(T - 1, -1, -1):
        V[i], mu[i] = var, mean
        var, mean = chain.a[i] ** 2 * var + chain.v[i], chain.a[i] * mean + chain.b[i]
    sigma = np.sqrt(chain.v)
    first = 2.0 * np.sum(rho * np.abs(P * P_next) * chain.mag_x * V + rho_sigma * P**2 * chain.v)
    second = float(np.sum(np.abs(P) * (rho * chain.mag_x * np.sqrt(V) + rho_sigma * sigma))) ** 2
    d_mean = float(np.sum(np.abs(P) * rho * (chain.mag_x * np.abs(mu) + chain.mag_e)))
    return d_mean, float(first + second)
