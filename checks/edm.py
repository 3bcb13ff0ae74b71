"""Checks of σ-parametrized ("EDM", k-diffusion style) diffusion code against ``dgmcheck.theory.edm``.

Candidate protocol (any of; ``dgmcheck.impl.edm`` has them all but ``denoiser``):

    to_d(x, sigma, denoised)                    (x - D)/σ                                  edm.pf_ode
    denoiser(x, sigma) with ``data``             D(x; σ) = E[x₀ | x] for that mixture data   edm.pf_ode
    vp_input(x, sigma), alpha_bar(sigma),       x/√(1+σ²), 1/(1+σ²), x - σ ε̂            edm.vp_change_of_variables
    denoised_from_eps(x, sigma, eps)
    karras_sigmas(n, sigma_min, sigma_max, rho) the Karras grid, n + 1 values ending in 0     edm.karras_grid
    euler_step(model, x, sigma, sigma_next) /   one Euler step / the Euler path             edm.euler
    sample_euler(model, x, sigmas)
    heun_step(model, x, sigma, sigma_next) /    one Heun step (Euler when σ' = 0) / path     edm.heun
    sample_heun(model, x, sigmas); optionally
    heun_predictor(model, x, sigma, sigma_next) Heun's first stage (the Euler predictor)

``model(x, sigma)`` is a denoiser with ``sigma`` of shape ``(batch,)`` (k-diffusion's convention); the
checks pass the exact denoiser of a drawn Gaussian mixture (``impl.edm.MixtureDenoiser``) and compare
with the float64 oracle using the same data. A candidate whose sampler runs on its own grid (a diffusers
scheduler after ``set_timesteps``) exposes that grid as ``sigmas``: the step properties then draw their
steps from it, and the order properties do not apply.

Properties (``verify``): ``to_d``, ``denoiser``, ``vp_change_of_variables``, ``karras_grid``,
``euler_step``, ``heun_step`` (always also the last step to σ = 0), ``euler_sampler``, ``heun_sampler``
(the whole grid, propagated tolerance), ``euler_order``, ``heun_order`` (slope of log error against
log(1/n) over Karras grids with ``theory.edm.N_LADDER`` steps, float64, against the exact mixture flow;
slow, so they run under ``HYPOTHESIS_PROFILE=thorough`` or when asked for by name).

Tolerances: ``exact(dtype, 4(1 + κ))`` (κ bounds the condition number of the data covariances, which
sets the rounding of the mixture's score) relative to the sum of the magnitudes of each formula's
terms; a path's tolerance is the per-step one propagated by ``Π(1 + |h| L)`` with ``L`` a bound on the
Lipschitz constant of ``d`` in ``x`` (``theory.edm.derivative_lipschitz``). Inputs are drawn
representable in the candidate's dtype, so the oracle sees exactly the numbers the candidate sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.profiles import profile_name
from dgmcheck.checks.strategies import Case, case_rng, to_tensor
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import edm as th
from dgmcheck.theory.gaussian_mixture import GaussianMixture
from dgmcheck.theory.ode import fitted_order

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('edm')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()
THEOREM_OF_METHOD = {"euler": "edm.euler", "heun": "edm.heun"}
ORDERS = {"euler": th.EULER_ORDER, "heun": th.HEUN_ORDER}


# ----------------------------------------------------------------------------------------- the case
@dataclass(frozen=True)
class EDMCase(Case):
    """One drawn input: mixture ``data``, a decreasing grid ``sigmas`` ending in 0 (values representable in
    ``dtype``), a step index ``i``, points ``x`` near ``p_{σ_i}`` and ``x_start`` near ``p_{σ_0}``, and the
    Karras parameters ``(n, sigma_min, sigma_max, rho)`` of ``karras_grid``; ``xs[j]``: points near
    ``p_{σ_j}`` for every step ``j`` (``xs[i]`` is ``x``, ``xs[-1]`` is ``x_last``)."""

    data: GaussianMixture
    sigmas: np.ndarray
    i: int
    x: np.ndarray
    x_start: np.ndarray
    x_last: np.ndarray
    karras: tuple[int, float, float, float]
    xs: np.ndarray | None = None

    def model(self):
        """The exact denoiser of ``data`` in the candidate's dtype and device (k-diffusion's ``model``)."""
        from dgmcheck.impl.edm import MixtureDenoiser
        from dgmcheck.impl.mixture import GaussianMixtureModel

        return MixtureDenoiser(GaussianMixtureModel(self.data.weights, self.data.means, self.data.covs))

    def describe(self) -> dict[str, Any]:
        return {"weights": self.data.weights, "means": self.data.means, "covs": self.data.covs,
                "sigmas": self.sigmas, "i": self.i, "x": self.x, "karras (n, sigma_min, sigma_max, rho)": self.karras,
                "dtype": str(self.dtype), "device": str(self.device)}


def representable(a: Any, dtype: Any) -> np.ndarray:
    """``a`` rounded to ``dtype`` and widened back to float64 (exactly what a candidate in ``dtype`` holds)."""
    return to_numpy(to_tensor(np.asarray(a, dtype=np.float64), dtype=dtype))


@st.composite
def mixtures(draw: st.DrawFn, *, max_dim: int = 3, max_components: int = 3, eig: tuple[float, float] = (0.05, 1.0),
             mean_range: float = 2.0) -> GaussianMixture:
    """Mixtures with covariance eigenvalues in ``eig`` (condition ≤ eig[1]/eig[0]) and means in ±mean_range."""
    d = draw(st.integers(1, max_dim))
    k = draw(st.integers(1, max_components))
    rng = case_rng(draw)
    w = rng.uniform(0.2, 1.0, k)
    means = rng.uniform(-mean_range, mean_range, (k, d))
    lam = rng.uniform(*eig, (k, d))
    q = np.linalg.qr(rng.uniform(-1, 1, (k, d, d)) + 3 * np.eye(d))[0]
    covs = np.einsum("kij,kj,klj->kil", q, lam, q)
    return GaussianMixture(w / w.sum(), means, 0.5 * (covs + np.swapaxes(covs, 1, 2)))


def _near(data: GaussianMixture, sigma: float, z: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``m_k + (C_k + σ² I)^{1/2} z``: points where ``p_σ`` has its mass."""
    chol = np.linalg.cholesky(th.noised(data, sigma).covs)
    return data.means[k] + np.einsum("nij,nj->ni", chol[k], z)


@st.composite
def edm_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", data: GaussianMixture | None = None,
              grid: np.ndarray | None = None, n_points: int = 3) -> EDMCase:
    """A Karras grid (``n ∈ 2..10``, ``σ_min ∈ [0.02, 0.5]``, ``σ_max ∈ [1, 80]``, ``ρ ∈ [1, 10]``) or the
    candidate's fixed ``grid``; step index ``i`` (the last step, to σ = 0, one time in three); points."""
    mix = data if data is not None else draw(mixtures())
    n = draw(st.integers(2, 10))
    rng = case_rng(draw)  # one seed for the grid's parameters, the step and the points
    s_min = float(np.exp(rng.uniform(np.log(0.02), np.log(0.5))))
    s_max = float(np.exp(rng.uniform(0.0, np.log(80.0))))
    rho = rng.uniform(1.0, 10.0)
    karras = (n, s_min, s_max, rho)
    sig = representable(th.karras_sigmas(n, s_min, s_max, rho) if grid is None else grid, dtype)
    last = len(sig) - 2
    i = last if rng.integers(0, 3) == 0 else int(rng.integers(0, last + 1))
    z = np.clip(rng.standard_normal((3, n_points, mix.dim)), -3, 3)
    k = rng.integers(0, mix.n_components, n_points)
    x = representable(_near(mix, float(sig[i]), z[0], k), dtype)
    x0 = representable(_near(mix, float(sig[0]), z[1], k), dtype)
    x_last = representable(_near(mix, float(sig[last]), z[2], k), dtype)
    xs = np.stack([x if j == i else x_last if j == last else representable(_near(mix, float(sig[j]), z[0], k), dtype)
                   for j in range(last + 1)])
    return EDMCase(mix, sig, int(i), x, x0, x_last, karras, xs, dtype=dtype, device=device)


# ------------------------------------------------------------------------------------------ helpers
def _kappa(data: GaussianMixture) -> float:
    w = np.linalg.eigvalsh(data.covs)
    return float((w[:, -1] / w[:, 0]).max())


def _tol(case: EDMCase, tol: Tolerance | None, extra: float = 1.0) -> Tolerance:
    # each formula is a handful of products and sums of the score, itself rounded relative eps·(1 + κ)
    return tol if tol is not None else exact(case.dtype, 4.0 * (1.0 + _kappa(case.data)) * extra)


def _rowmax(a: np.ndarray) -> np.ndarray:
    return np.abs(a).max(-1, keepdims=True)


def _shape(v: Any, case: EDMCase, theorem: str, what: str, like: np.ndarray) -> np.ndarray:
    arr = to_numpy(v)
    if arr.shape != like.shape:
        raise TheoremViolation(theorem, f"{what} must have shape {like.shape}, got {arr.shape}",
                               slide=SLIDES[theorem], inputs=case.describe())
    return arr


def _sig(case: EDMCase, s: float):
    return case.tensor(np.float64(s))


# ------------------------------------------------------------------------------------------ PF-ODE
def check_to_d(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    """edm.pf_ode: ``to_d(x, σ, D)`` with the exact denoiser output ``D`` is the σ-ODE derivative
    ``(x - D)/σ = -σ ∇log p_σ(x)`` (the VE probability-flow ODE with σ as time)."""
    theorem = "edm.pf_ode"
    sigma = float(case.sigmas[case.i])
    D = representable(th.denoiser(case.data, sigma, case.x), case.dtype)  # what the candidate is handed
    got = _shape(candidate.to_d(case.tensor(case.x), _sig(case, sigma), case.tensor(D)), case, theorem,
                 "to_d(x, sigma, denoised)", case.x)
    want = th.pf_ode_derivative(case.data, sigma, case.x)
    s = th.score(case.data, sigma, case.x)
    scale = (_rowmax(case.x) + _rowmax(D) + sigma**2 * _rowmax(s)) / sigma
    assert_close(got, want, theorem=theorem, slide=SLIDES[theorem],
                 what="to_d(x, σ, D(x; σ)) = (x - D)/σ = -σ ∇log p_σ(x)", tol=_tol(case, tol),
                 scale=scale * np.ones_like(want), inputs={**case.describe(), "sigma": sigma})


def check_denoiser(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    """edm.pf_ode: ``denoiser(x, σ) = E[x₀ | x] = x + σ² ∇log p_σ(x)`` for the candidate's ``data``."""
    theorem = "edm.pf_ode"
    sigma = float(case.sigmas[case.i])
    s_rows = case.tensor(np.full(case.x.shape[0], sigma))
    got = _shape(candidate.denoiser(case.tensor(case.x), s_rows), case, theorem, "denoiser(x, sigma)", case.x)
    want = th.denoiser(case.data, sigma, case.x)
    s = th.score(case.data, sigma, case.x)
    assert_close(got, want, theorem=theorem, slide=SLIDES[theorem], what="D(x; σ) = E[x₀ | x] = x + σ² ∇log p_σ(x)",
                 tol=_tol(case, tol), scale=(_rowmax(case.x) + sigma**2 * _rowmax(s)) * np.ones_like(want),
                 inputs={**case.describe(), "sigma": sigma})


def check_vp_change_of_variables(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    """edm.vp_change_of_variables: ``vp_input(x, σ) = x/√(1+σ²)``, ``alpha_bar(σ) = 1/(1+σ²)`` and
    ``denoised_from_eps(x, σ, ε̂) = x - σ ε̂`` (with the exact ``ε̂ = -σ ∇log p_σ(x)`` this is ``D(x; σ)``)."""
    theorem = "edm.vp_change_of_variables"
    sigma = float(case.sigmas[case.i])
    inputs = {**case.describe(), "sigma": sigma}
    x = case.tensor(case.x)
    if callable(getattr(candidate, "vp_input", None)):
        got = _shape(candidate.vp_input(x, _sig(case, sigma)), case, theorem, "vp_input(x, sigma)", case.x)
        want = th.vp_input(case.x, sigma)
        assert_close(got, want, theorem=theorem, slide=SLIDES[theorem], what="x_VP = x/√(1 + σ²)",
                     tol=_tol(case, tol), inputs=inputs)
    if callable(getattr(candidate, "alpha_bar", None)):
        got = to_numpy(candidate.alpha_bar(case.tensor(case.sigmas[:-1])))
        want = th.alpha_bar(case.sigmas[:-1])
        assert_close(got, want, theorem=theorem, slide=SLIDES[theorem], what="ᾱ = 1/(1 + σ²)", tol=_tol(case, tol),
                     inputs=inputs)
    if callable(getattr(candidate, "denoised_from_eps", None)):
        eps = representable(th.eps_prediction(case.data, sigma, case.x), case.dtype)
        got = _shape(candidate.denoised_from_eps(x, _sig(case, sigma), case.tensor(eps)), case, theorem,
                     "denoised_from_eps(x, sigma, eps)", case.x)
        want = th.denoiser(case.data, sigma, case.x)
        scale = (_rowmax(case.x) + sigma * _rowmax(eps)) * np.ones_like(want)
        assert_close(got, want, theorem=theorem, slide=SLIDES[theorem], what="D = x - σ ε̂ (ε̂ = -σ ∇log p_σ)",
                     tol=_tol(case, tol), scale=scale, inputs=inputs)


def check_karras_grid(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    """edm.karras_grid: ``karras_sigmas(n, σ_min, σ_max, ρ)`` is ``(σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} -
    σ_max^{1/ρ}))^ρ``, ``i = 0..n-1``, then 0, at the rounding ``theory.edm.karras_condition`` derives."""
    theorem = "edm.karras_grid"
    n, lo, hi, rho = case.karras
    out = candidate.karras_sigmas(n, lo, hi, rho)
    got = to_numpy(out)
    want = th.karras_sigmas(n, lo, hi, rho)
    inputs = {"n": n, "sigma_min": lo, "sigma_max": hi, "rho": rho, "dtype": str(case.dtype)}
    if got.shape != want.shape:
        raise TheoremViolation(theorem, f"karras_sigmas({n}, ...) must return n + 1 = {n + 1} values (the last 0), "
                               f"got shape {got.shape}", slide=SLIDES[theorem], inputs=inputs)
    # the grid is judged at the candidate's own precision: k-diffusion computes it in float32 whatever x is
    gdt = getattr(out, "dtype", case.dtype)
    cond = th.karras_condition(n, lo, hi, rho)
    assert_close(got, want, theorem=theorem, slide=SLIDES[theorem],
                 what="σ_i = (σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ, then 0",
                 tol=tol or exact(gdt, cond), inputs=inputs)


# ------------------------------------------------------------------------------------------- steps
def _one_step(candidate: Any, method: str, model: Any, x: Any, s: Any, s_next: Any):
    """The candidate's single step: ``<method>_step`` if it has one, else ``sample_<method>`` on ``[σ, σ']``."""
    step = getattr(candidate, f"{method}_step", None)
    if callable(step):
        return step(model, x, s, s_next)
    import torch

    return getattr(candidate, f"sample_{method}")(model, x, torch.stack([s, s_next]))


def _step_scale(case: EDMCase, method: str, x: np.ndarray, sigma: float, sigma_next: float) -> np.ndarray:
    """Sum of the magnitudes of the step's terms, with Heun's predictor error carried through ``d``'s Lipschitz
    bound at ``σ'`` (row maxima)."""
    h = abs(sigma_next - sigma)
    D = th.denoiser(case.data, sigma, x)
    s = th.score(case.data, sigma, x)
    s1 = (_rowmax(x) + _rowmax(D) + sigma**2 * _rowmax(s)) / sigma
    euler = _rowmax(x) + h * s1
    if method == "euler" or sigma_next == 0.0:
        return euler
    xp = th.euler_step(th.mixture_denoiser(case.data), x, sigma, sigma_next)
    D2 = th.denoiser(case.data, sigma_next, xp)
    s2 = th.score(case.data, sigma_next, xp)
    L2 = th.derivative_lipschitz(case.data, sigma_next, xp)[:, None]
    s2 = (_rowmax(xp) + _rowmax(D2) + sigma_next**2 * _rowmax(s2)) / sigma_next + L2 * euler
    return _rowmax(x) + 0.5 * h * (s1 + s2)


def check_step(candidate: Any, case: EDMCase, method: str, *, tol: Tolerance | None = None) -> None:
    """edm.euler / edm.heun: one step of the candidate from ``x`` at ``σ_i`` to ``σ_{i+1}`` equals the oracle step
    with the exact denoiser at every step of the grid, the last one included (to σ = 0: Heun falls back to
    Euler there); with ``heun_predictor``, Heun's first stage equals the Euler step. Every step, not one
    drawn: a bug whose size depends on σ (a √(σ² + 1) input scaling taken as σ² + 1 is invisible at
    small σ, and the denoiser ignores x at large σ) shows only on some of them."""
    theorem = THEOREM_OF_METHOD[method]
    model, den = case.model(), th.mixture_denoiser(case.data)
    last = len(case.sigmas) - 2
    xs = case.xs if case.xs is not None else {case.i: case.x, last: case.x_last}
    for i in (range(last + 1) if case.xs is not None else sorted({case.i, last})):
        s, s_next = float(case.sigmas[i]), float(case.sigmas[i + 1])
        x = xs[i]
        got = _one_step(candidate, method, model, case.tensor(x), _sig(case, s), _sig(case, s_next))
        got = _shape(got, case, theorem, f"the {method} step", x)
        want = th.STEPS[method](den, x, s, s_next)
        kind = "Euler step" if method == "euler" else ("Heun's last step (σ' = 0: the Euler step)"
                                                      if s_next == 0 else "Heun step (Euler predictor, averaged d)")
        assert_close(got, want, theorem=theorem, slide=SLIDES[theorem],
                     what=f"{kind} from σ = {s:.6g} to σ' = {s_next:.6g}", tol=_tol(case, tol),
                     scale=_step_scale(case, method, x, s, s_next) * np.ones_like(want),
                     inputs={**case.describe(), "step": i, "x": x})
        if method == "heun" and s_next > 0 and callable(getattr(candidate, "heun_predictor", None)):
            got = candidate.heun_predictor(model, case.tensor(x), _sig(case, s), _sig(case, s_next))
            assert_close(got, th.euler_step(den, x, s, s_next), theorem=theorem, slide=SLIDES[theorem],
                         what="Heun's first stage (the Euler predictor x̃ = x + (σ' - σ) d(x, σ))",
                         tol=_tol(case, tol), scale=_step_scale(case, "euler", x, s, s_next) * np.ones_like(x),
                         inputs={**case.describe(), "step": i, "x": x})


def check_euler_step(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    check_step(candidate, case, "euler", tol=tol)


def check_heun_step(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    check_step(candidate, case, "heun", tol=tol)


def _path_scale(case: EDMCase, method: str, path: np.ndarray) -> np.ndarray:
    """``Σ_k local_k Π_{j>k} (1 + |h_j| L_j (+ ½(|h_j| L_j)² for Heun))``: per-step rounding carried to the end."""
    sig = case.sigmas
    n = len(sig) - 1
    total = np.zeros((path.shape[1], 1))
    growth = []
    for j in range(n):
        L = th.derivative_lipschitz(case.data, float(sig[j]), path[j])
        if method == "heun" and sig[j + 1] > 0:
            L = np.maximum(L, th.derivative_lipschitz(case.data, float(sig[j + 1]), path[j + 1]))
        hL = abs(sig[j + 1] - sig[j]) * L
        growth.append(1 + hL + (0.5 * hL**2 if method == "heun" else 0.0))
    for k in range(n):
        amp = np.prod(np.stack(growth[k + 1:]), axis=0) if k + 1 < n else np.ones(path.shape[1])
        total += _step_scale(case, method, path[k], float(sig[k]), float(sig[k + 1])) * amp[:, None]
    return total


def check_sampler(candidate: Any, case: EDMCase, method: str, *, tol: Tolerance | None = None) -> None:
    """edm.euler / edm.heun: ``sample_<method>(model, x, sigmas)`` over the whole grid (down to σ = 0) equals the
    float64 oracle path with the exact denoiser, within the per-step tolerance propagated along the path."""
    theorem = THEOREM_OF_METHOD[method]
    path = th.sample(th.mixture_denoiser(case.data), case.x_start, case.sigmas, method)
    got = getattr(candidate, f"sample_{method}")(case.model(), case.tensor(case.x_start), case.tensor(case.sigmas))
    got = _shape(got, case, theorem, f"sample_{method}(model, x, sigmas)", case.x_start)
    assert_close(got, path[-1], theorem=theorem, slide=SLIDES[theorem],
                 what=f"{method} sampler end point (σ = {case.sigmas[0]:.6g} → 0) against the oracle scheme",
                 tol=_tol(case, tol), scale=_path_scale(case, method, path) * np.ones_like(path[-1]),
                 inputs={**case.describe(), "x_start": case.x_start})


def check_euler_sampler(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    check_sampler(candidate, case, "euler", tol=tol)


def check_heun_sampler(candidate: Any, case: EDMCase, *, tol: Tolerance | None = None) -> None:
    check_sampler(candidate, case, "heun", tol=tol)


# ------------------------------------------------------------------------------------------- orders
@dataclass(frozen=True)
class OrderCase(Case):
    """A mixture, ``σ_max ∈ [1, 10]``, ``σ_min ∈ [0.05, 0.5]``, ``ρ ∈ [1, 7]`` and start points near ``p_{σ_max}``."""

    data: GaussianMixture
    sigma_min: float
    sigma_max: float
    rho: float
    x: np.ndarray

    def describe(self) -> dict[str, Any]:
        return {"weights": self.data.weights, "means": self.data.means, "covs": self.data.covs,
                "sigma_min": self.sigma_min, "sigma_max": self.sigma_max, "rho": self.rho, "x": self.x}


@st.composite
def order_cases(draw: st.DrawFn, *, device: Any = "cpu", data: GaussianMixture | None = None) -> OrderCase:
    mix = data if data is not None else draw(mixtures(max_dim=2, max_components=2, eig=(0.2, 1.0)))
    rng = case_rng(draw)
    hi = rng.uniform(1.0, 10.0)
    lo = rng.uniform(0.05, 0.5)
    rho = rng.uniform(1.0, 7.0)
    z = np.clip(rng.standard_normal((3, mix.dim)), -3, 3)
    k = rng.integers(0, mix.n_components, 3)
    return OrderCase(mix, lo, hi, rho, _near(mix, hi, z, k), device=device)


def check_order(candidate: Any, case: OrderCase, method: str, *, tol: Tolerance | None = None) -> None:
    """edm.euler / edm.heun: ``sample_<method>`` on Karras grids of ``n ∈ theory.edm.N_LADDER`` steps from σ_max
    to σ_min (no final 0) converges to the exact flow (``gaussian_flow`` for one component, else
    ``mixture_flow``) with fitted slope ``p ± theory.edm.ORDER_BAND``; a declared ``ORDER`` must equal p."""
    import torch

    theorem = THEOREM_OF_METHOD[method]
    p = ORDERS[method]
    sampler = getattr(candidate, f"sample_{method}")
    declared = getattr(sampler, "ORDER", None)
    if declared is not None and declared != p:
        raise TheoremViolation(theorem, f"sample_{method} declares ORDER = {declared}, the method has order {p}",
                               slide=SLIDES[theorem], inputs=case.describe(), expected=p, observed=declared)
    d = case.data
    if d.n_components == 1:
        exact_end = th.gaussian_flow(d.means[0], d.covs[0], case.sigma_max, case.sigma_min, case.x)
    else:
        exact_end = th.mixture_flow(d, case.sigma_max, case.sigma_min, case.x)
    model = EDMCase(d, np.zeros(2), 0, case.x, case.x, case.x, (2, 0.1, 1.0, 1.0), dtype=torch.float64,
                    device=case.device).model()
    x = to_tensor(case.x, dtype=torch.float64, device=case.device)
    errs = []
    for n in th.N_LADDER:
        grid = to_tensor(th.karras_sigmas(n, case.sigma_min, case.sigma_max, case.rho)[:-1], dtype=torch.float64,
                         device=case.device)
        errs.append(float(np.linalg.norm(to_numpy(sampler(model, x, grid)) - exact_end, axis=1).max()))
    errs_a = np.array(errs)
    if not np.all(np.isfinite(errs_a)) or np.any(errs_a <= 0):
        raise TheoremViolation(theorem, f"{method} errors are not positive and finite: {errs}",
                               slide=SLIDES[theorem], inputs=case.describe())
    slope = fitted_order(1.0 / np.array(th.N_LADDER, dtype=np.float64), errs_a)
    assert_close(slope, p, theorem=theorem, slide=SLIDES[theorem],
                 what=f"{method} order (slope of log error vs log(1/n), n = {th.N_LADDER}; errors {errs})",
                 tol=tol or Tolerance(rtol=0.0, atol=th.ORDER_BAND), scale=0.0, inputs=case.describe())


def check_euler_order(candidate: Any, case: OrderCase, *, tol: Tolerance | None = None) -> None:
    check_order(candidate, case, "euler", tol=tol)


def check_heun_order(candidate: Any, case: OrderCase, *, tol: Tolerance | None = None) -> None:
    check_order(candidate, case, "heun", tol=tol)


# ------------------------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    """``any_of``: the property applies when the candidate has at least one of these methods; ``slow``: runs under
    the ``thorough`` profile or when asked for by name; ``free_grid``: needs samplers that take any grid."""

    any_of: tuple[str, ...] = ()
    needs_data: bool = False
    slow: bool = False
    free_grid: bool = False


PROPERTIES: tuple[Property, ...] = (
    Property("to_d", "edm.pf_ode", check_to_d, ("to_d",)),
    Property("denoiser", "edm.pf_ode", check_denoiser, ("denoiser",), needs_data=True),
    Property("vp_change_of_variables", "edm.vp_change_of_variables", check_vp_change_of_variables,
             any_of=("vp_input", "alpha_bar", "denoised_from_eps")),
    Property("karras_grid", "edm.karras_grid", check_karras_grid, ("karras_sigmas",)),
    Property("euler_step", "edm.euler", check_euler_step, any_of=("euler_step", "sample_euler")),
    Property("heun_step", "edm.heun", check_heun_step, any_of=("heun_step", "sample_heun")),
    Property("euler_sampler", "edm.euler", check_euler_sampler, ("sample_euler",)),
    Property("heun_sampler", "edm.heun", check_heun_sampler, ("sample_heun",)),
    Property("euler_order", "edm.euler", check_euler_order, ("sample_euler",), slow=True, free_grid=True),
    Property("heun_order", "edm.heun", check_heun_order, ("sample_heun",), slow=True, free_grid=True),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "edm"


def _as_mixture(data: Any) -> GaussianMixture | None:
    if data is None or isinstance(data, GaussianMixture):
        return data
    if all(hasattr(data, a) for a in ("weights", "means", "covs")):
        return GaussianMixture(to_numpy(data.weights), to_numpy(data.means), to_numpy(data.covs))
    raise TypeError(f"data must be a Gaussian mixture (weights, means, covs), got {type(data).__name__}")


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any, *, data: Any = None) -> VerifyReport:
    """Run every σ-sampler property the candidate supports (module docstring) under Hypothesis.

    ``data`` (a Gaussian mixture; default ``candidate.data``) fixes the data law; without it each example
    draws one (the ``denoiser`` property needs it). A fixed grid ``candidate.sigmas`` replaces the drawn
    Karras grids. ``euler_order``/``heun_order`` run under ``HYPOTHESIS_PROFILE=thorough`` or when named.
    """
    mix = _as_mixture(data if data is not None else getattr(candidate, "data", None))
    grid = getattr(candidate, "sigmas", None)
    grid = None if grid is None or callable(grid) else to_numpy(grid)

    def lacks(prop: Property) -> str | None:
        if prop.any_of:
            return None if any(callable(getattr(candidate, m, None)) for m in prop.any_of) else \
                f"needs one of {', '.join(prop.any_of)}"
        missing = [m for m in prop.requires if not callable(getattr(candidate, m, None))]
        return f"needs {', '.join(missing)}" if missing else None

    def not_applicable(prop: Property) -> str | None:
        if prop.needs_data and mix is None:
            return "needs data (the Gaussian mixture the denoiser is exact for)"
        if prop.free_grid and grid is not None:
            return "the candidate samples on its own fixed grid (sigmas)"
        if prop.slow and run.wanted is None and profile_name() != "thorough":
            return "slow: runs under HYPOTHESIS_PROFILE=thorough or when asked for by name"
        return None

    def strategy(prop: Property) -> st.SearchStrategy:
        if prop.slow:
            return order_cases(device=run.device, data=mix)
        return edm_cases(dtype=run.dtype, device=run.device, data=mix, grid=grid)

    return run.properties(strategy, not_applicable=not_applicable, lacks=lacks,
                          provides="σ-sampler methods (see dgmcheck.checks.edm)")


__all__ = [
    "PROPERTIES",
    "PROPERTY_NAMES",
    "EDMCase",
    "OrderCase",
    "VerifyReport",
    "check_denoiser",
    "check_euler_order",
    "check_euler_sampler",
    "check_euler_step",
    "check_heun_order",
    "check_heun_sampler",
    "check_heun_step",
    "check_karras_grid",
    "check_to_d",
    "check_vp_change_of_variables",
    "edm_cases",
    "order_cases",
    "verify",
]
