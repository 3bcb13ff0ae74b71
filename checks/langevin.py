"""Checks of Langevin dynamics, annealed Langevin and NCSN sampling, held to exact Gaussian laws.

On a Gaussian target (or Gaussian data, whose noised targets ``N(m, C + σ²I)`` are Gaussian) the
score is affine, so a correct sampler is an affine map of its start and of all its noises. The checks
*probe* that map — one batch whose rows are the start at 0 and at the unit vectors, and each noise
at a unit vector — read off its coefficients, verify affinity on random rows, and push a Gaussian
law through it exactly. The result is compared with the oracle's moment recursion
(``dgmcheck.theory.langevin``): no sampling. On Gaussian-mixture targets, where the score is not
affine, one Langevin step from the exact target is checked with a declared-rate z-test of the exact
identities ``E x' = E x`` and ``E‖x'‖² - E‖x‖² = η² J(q)/4``.

Step convention: the lecture's (``x + (η/2) s + √η z``); a candidate declared with
``conventions=Conventions(langevin_step="eps")`` (``--conventions langevin_step=eps``) is called with
``ε = η/2`` (``x + ε s + √(2ε) z``). A failure the other step convention explains carries a hint. The
candidate attribute ``convention`` (``"eta"``/``"eps"``) still works undeclared (``"eps"`` with a
DeprecationWarning); one that contradicts the declaration is a ValueError.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st
from scipy import linalg

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, assert_mean_matches, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.conventions import Conventions, declared
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, arrays, gaussian_mixtures
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import langevin as th
from dgmcheck.theory import score as th_score
from dgmcheck.theory.gaussian_mixture import GaussianMixture

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('langevin')
#: Samples of the one-step z-test on mixtures.
MC_SAMPLES = 20000
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED = ("langevin_step",)


class LangevinCandidate(Protocol):
    """What a Langevin implementation exposes (all optional). ``score_fn(x)`` or, for annealed
    samplers, ``score_fn(x, sigma)`` with ``sigma`` a ``(batch,)`` tensor; all noise is passed in.
    ``step`` is the lecture's η, or ε = η/2 under ``conventions.langevin_step = "eps"``."""

    def langevin_step(self, score_fn: Callable, x: Any, step: Any, noise: Any) -> Any: ...
    def langevin_sample(self, score_fn: Callable, x: Any, step: Any, noises: Any) -> Any: ...
    def annealed_langevin(self, score_fn: Callable, x: Any, sigmas: Any, steps: Any, noises: Any) -> Any: ...
    def ncsn_sample(self, score_fn: Callable, x_init: Any, sigmas: Any, eps: float, noises: Any) -> Any: ...
    def geometric_sigmas(self, sigma_min: float, sigma_max: float, n_levels: int) -> Any: ...


@dataclass(frozen=True)
class LangevinCase(Case):
    """A Gaussian target ``N(m, C)`` (also the data of the annealed checks), a step ``η`` below the
    slide's ``2/L = 2 λ_min(C)``, a start law ``N(μ₀, S₀)``, NCSN levels, and a mixture target."""

    m: np.ndarray
    C: np.ndarray
    eta: float
    n_steps: int
    mu0: np.ndarray
    S0: np.ndarray
    sigmas: np.ndarray  # ascending
    level_etas: np.ndarray  # one step per level (annealed_langevin)
    ncsn_eps: float
    mixture: GaussianMixture
    mc_eta: float
    seed: int
    # None: the candidate's ``convention`` attribute, else η
    conventions: Conventions | None = field(default=None, kw_only=True)

    @property
    def d(self) -> int:
        return len(self.m)

    def describe(self) -> dict[str, Any]:
        return {"m": self.m, "C": self.C, "eta": self.eta, "n_steps": self.n_steps, "mu0": self.mu0,
                "S0": self.S0, "sigmas": self.sigmas, "level_etas": self.level_etas, "ncsn_eps": self.ncsn_eps,
                "dtype": str(self.dtype), "device": str(self.device), **self.extra}


def _own_step(candidate: Any) -> str | None:
    """The deprecated candidate attribute ``convention`` (None when absent)."""
    own = getattr(candidate, "convention", None)
    if own is not None and own not in th.CONVENTIONS:
        raise TypeError(f"candidate.convention must be one of {th.CONVENTIONS}, got {own!r}")
    return own


def step_convention(candidate: Any, conventions: Any = None) -> Conventions:
    """The declared conventions with ``langevin_step`` settled: the declaration (``None``: nothing
    declared); undeclared, the candidate's ``convention`` attribute (a DeprecationWarning where it
    changes the step from the lecture's η); an attribute that contradicts a declaration is a
    ValueError."""
    conv = declared(conventions, "langevin", CONVENTIONS_HONOURED)
    own = _own_step(candidate)
    if own is None:
        return conv
    if conventions is None:
        if own == "eta":
            return conv
        warnings.warn(f"candidate.convention={own!r} is deprecated: declare the step convention with "
                      f"verify(..., conventions=Conventions(langevin_step={own!r})) "
                      f"(--conventions langevin_step={own})", DeprecationWarning, stacklevel=3)
        return conv.replace(langevin_step=own)
    if own != conv.langevin_step:
        raise ValueError(f"conventions.langevin_step={conv.langevin_step!r} contradicts "
                         f"candidate.convention={own!r}")
    return conv


def _step_arg(candidate: Any, eta: float, conventions: Conventions | None = None) -> float:
    """The step argument for the lecture's ``η``: ``η``, or ``ε = η/2`` under ``langevin_step="eps"``."""
    conv = conventions.langevin_step if conventions is not None else (_own_step(candidate) or "eta")
    return eta if conv == "eta" else eta / 2


def _gaussian_score(case: LangevinCase, C: np.ndarray, noise_conditional: bool = False) -> Callable:
    """The score of ``N(m, C)`` (or of ``N(m, C + σ² I)`` per row when ``noise_conditional``) in torch."""
    import torch

    mt, Ct = case.tensor(case.m), case.tensor(C)
    eye = torch.eye(case.d, dtype=Ct.dtype, device=Ct.device)
    if not noise_conditional:
        P = case.tensor(np.linalg.inv(C))
        return lambda x: -(x - mt) @ P.T

    def score(x: Any, sigma: Any) -> Any:
        cov = Ct + sigma.reshape(-1, 1, 1) ** 2 * eye
        return -torch.linalg.solve(cov, (x - mt)[..., None])[..., 0]

    return score


# --------------------------------------------------------------------------- probing affine samplers
@dataclass(frozen=True)
class AffineMap:
    """``out = A x + c + Σ_j G_j z_j`` read off a sampler (float64)."""

    A: np.ndarray
    c: np.ndarray
    G: list[np.ndarray]

    def push(self, mu: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cov = self.A @ S @ self.A.T + sum((g @ g.T for g in self.G), np.zeros_like(S))
        return self.A @ mu + self.c, cov


def probe(run: Callable[[Any, Any], Any], case: LangevinCase, lead: tuple[int, ...], theorem: str,
          tol: Tolerance) -> AffineMap:
    """Probe ``run(x, noises)`` (noises ``(*lead, batch, d)``) as an affine map of ``x`` and the noises,
    and check affinity on two random rows (TheoremViolation if the sampler is not affine)."""
    d = case.d
    n_noise = int(np.prod(lead)) if lead else 0
    rng = np.random.default_rng(case.seed)
    B = 1 + d + n_noise * d + 2
    x = np.zeros((B, d))
    z = np.zeros((n_noise, B, d))
    x[1:1 + d] = np.eye(d)
    for j in range(n_noise):
        z[j, 1 + d + j * d: 1 + d + (j + 1) * d] = np.eye(d)
    x[-2:] = rng.standard_normal((2, d))
    z[:, -2:] = rng.standard_normal((n_noise, 2, d))
    out = to_numpy(run(case.tensor(x), case.tensor(z.reshape(*lead, B, d))))
    if out.shape != (B, d):
        raise TheoremViolation(theorem, f"sampler output has shape {out.shape}, expected {(B, d)}",
                               slide=SLIDES[theorem], inputs=case.describe())
    c = out[0]
    A = (out[1:1 + d] - c).T
    G = [(out[1 + d + j * d: 1 + d + (j + 1) * d] - c).T for j in range(n_noise)]
    pred = x[-2:] @ A.T + c + sum((z[j, -2:] @ G[j].T for j in range(n_noise)), np.zeros((2, d)))
    scale = np.abs(x[-2:]) @ np.abs(A).T + np.abs(c) + sum(
        (np.abs(z[j, -2:]) @ np.abs(G[j]).T for j in range(n_noise)), np.zeros((2, d)))
    assert_close(out[-2:], pred, theorem=theorem, slide=SLIDES[theorem],
                 what="with an affine score the sampler is affine in its start and its noises", tol=tol,
                 scale=3 * scale, inputs=case.describe())
    return AffineMap(A, c, G)


def _magnitude_recursion(levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n_steps: int,
                         mu0: np.ndarray, S0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The moment recursion on magnitudes: a first-order bound of the rounding scale of the probed law.

    A probed coefficient is a difference of outputs of size about ``max(|M|, |c|, √Q)``, so every
    entry (zeros included) carries rounding of that size: ``|M|`` is padded by it in every entry.
    """
    mu, S = np.abs(mu0), np.abs(S0) + np.sqrt(np.outer(np.diag(np.abs(S0)), np.diag(np.abs(S0))))
    for M, c, Q in levels:
        pad = max(float(np.abs(M).max()), float(np.abs(c).max()), float(np.sqrt(np.abs(Q)).max()))
        Mm = np.abs(M) + pad
        for _ in range(n_steps):
            mu = Mm @ mu + np.abs(c)
            S = Mm @ S @ Mm.T + np.abs(Q) + pad**2
    return mu, S


def _compare_law(law: tuple[np.ndarray, np.ndarray], expected: tuple[np.ndarray, np.ndarray],
                 scale: tuple[np.ndarray, np.ndarray], theorem: str, what: str, tol: Tolerance,
                 case: LangevinCase) -> None:
    for obs, exp, sc, name in zip(law, expected, scale, ("mean", "covariance"), strict=True):
        assert_close(obs, exp, theorem=theorem, slide=SLIDES[theorem], what=f"{what}: {name}", tol=tol,
                     scale=4 * sc, inputs=case.describe())


def _chain_tol(case: LangevinCase, n_total: int, tol: Tolerance | None) -> Tolerance:
    # each step rounds a handful of operations; the probe's differences and the push forward add d+4
    return tol or exact(case.dtype, 4 + case.d + 2 * n_total)


# --------------------------------------------------------------------------- langevin.stationary
def check_stationary(candidate: Any, case: LangevinCase, *, tol: Tolerance | None = None) -> None:
    """langevin.stationary: on ``N(m, C)`` one step maps ``N(μ, Σ)`` to exactly
    ``N(Mμ + (η/2)C⁻¹m, MΣMᵀ + ηI)``, ``M = I - (η/2)C⁻¹``; the step's stationary law (Lyapunov) is
    the oracle's ``N(m, S)`` with its O(η) bias; ``langevin_sample`` (when present) pushes
    ``N(μ₀, S₀)`` to the oracle's n-step law; and on a mixture target one exact step keeps
    ``E x`` and raises ``E‖x‖²`` by exactly ``η² J(q)/4`` (z-test at the declared rate)."""
    theorem = "langevin.stationary"
    score = _gaussian_score(case, case.C)
    step = _step_arg(candidate, case.eta, case.conventions)
    tol_ = _chain_tol(case, 1, tol)

    def one(x: Any, z: Any) -> Any:
        return candidate.langevin_step(score, x, step, z[0])

    amap = probe(one, case, (1,), theorem, tol_)
    M, c, Q = th.ula_transition(case.C, case.m, case.eta)
    mag = _magnitude_recursion([(M, c, Q)], 1, case.mu0, case.S0)
    _compare_law(amap.push(case.mu0, case.S0), th.moment_step(case.mu0, case.S0, M, c, Q), mag, theorem,
                 "one step maps N(μ, Σ) to N(Mμ + c, MΣMᵀ + ηI)", tol_, case)
    # the stationary law of the candidate's step against the oracle's
    Qc = sum((g @ g.T for g in amap.G), np.zeros_like(case.C))
    rho = float(np.max(np.abs(np.linalg.eigvals(amap.A))))
    m_star, S_star = th.ula_stationary(case.C, case.m, case.eta)
    if not rho < 1:
        raise TheoremViolation(theorem, f"the step has spectral radius {rho:.6g} >= 1: no stationary law "
                               f"(η = {case.eta:.6g} < 2/L should be stable)", slide=SLIDES[theorem],
                               inputs=case.describe())
    S_c = linalg.solve_discrete_lyapunov(amap.A, Qc)
    m_c = np.linalg.solve(np.eye(case.d) - amap.A, amap.c)
    amp = 1.0 / (1.0 - rho**2)  # the Lyapunov sum Σ_k M^k Q M^kᵀ amplifies per-step rounding by this
    tol_s = tol or exact(case.dtype, (4 + case.d) * amp)
    # probed coefficients carry rounding of the size of the outputs in every entry (zeros included)
    pad = float(np.abs(S_star).max())
    _compare_law((m_c, S_c), (m_star, S_star), (np.abs(m_star) + np.sqrt(pad), np.abs(S_star) + pad),
                 theorem, "stationary law N(m, S), S = MSMᵀ + ηI", tol_s, case)
    if callable(getattr(candidate, "langevin_sample", None)):
        n = case.n_steps

        def many(x: Any, z: Any) -> Any:
            return candidate.langevin_sample(score, x, step, z)

        amap_n = probe(many, case, (n,), theorem, _chain_tol(case, n, tol))
        expected = th.ula_moments(case.C, case.m, case.eta, n, case.mu0, case.S0)
        mag = _magnitude_recursion([(M, c, Q)], n, case.mu0, case.S0)
        _compare_law(amap_n.push(case.mu0, case.S0), expected, mag, theorem,
                     f"{n} steps of langevin_sample: exact law from N(μ₀, S₀)", _chain_tol(case, n, tol), case)
    _check_mixture_step(candidate, case)


def _check_mixture_step(candidate: Any, case: LangevinCase) -> None:
    import torch

    theorem = "langevin.stationary"
    mix, eta = case.mixture, case.mc_eta
    rng = np.random.default_rng(case.seed)
    k = rng.choice(mix.n_components, size=MC_SAMPLES, p=mix.weights)
    chol = np.linalg.cholesky(mix.covs)
    x = mix.means[k] + np.einsum("nij,nj->ni", chol[k], rng.standard_normal((MC_SAMPLES, mix.dim)))
    z = rng.standard_normal(x.shape)

    def score(y: Any) -> Any:  # the exact mixture score, in float64 then cast like y
        return torch.as_tensor(mix.score(to_numpy(y)), dtype=y.dtype, device=y.device)

    out = to_numpy(candidate.langevin_step(score, case.tensor(x), _step_arg(candidate, eta, case.conventions),
                                          case.tensor(z)))
    x_in = to_numpy(case.tensor(x))
    J = th_score.fisher_information(mix, 48)
    _, gain = th.one_step_moment_gain(J, eta)
    inputs = {"mixture.weights": mix.weights, "mixture.means": mix.means, "eta": eta, "seed": case.seed,
              "samples": MC_SAMPLES, "dtype": str(case.dtype)}
    assert_mean_matches(np.sum(out**2, axis=-1) - np.sum(x_in**2, axis=-1), gain, theorem=theorem,
                        slide=SLIDES[theorem], what="x ~ q, one step: E‖x'‖² - E‖x‖² = η² J(q)/4", inputs=inputs)
    for i in range(mix.dim):
        assert_mean_matches(out[:, i] - x_in[:, i], 0.0, theorem=theorem, slide=SLIDES[theorem],
                            what=f"x ~ q, one step: E x'_{i} = E x_{i}", inputs=inputs)


# --------------------------------------------------------------------------- annealed
def _annealed_levels(case: LangevinCase, sigmas: np.ndarray, etas: np.ndarray) -> list:
    eye = np.eye(case.d)
    return [th.ula_transition(case.C + s**2 * eye, case.m, float(e)) for s, e in zip(sigmas, etas, strict=True)]


def check_annealed(candidate: Any, case: LangevinCase, *, tol: Tolerance | None = None) -> None:
    """langevin.annealed: ``annealed_langevin`` visits the levels in the order given, ``n`` steps of
    size ``η_i`` on ``q_{σ_i} = N(m, C + σ_i² I)`` each: on Gaussian data its output law from
    ``N(μ₀, S₀)`` is the oracle's moment recursion. The check visits the levels in descending order."""
    theorem = "langevin.annealed"
    down = case.sigmas[::-1].copy()
    etas = case.level_etas[::-1].copy()
    L, n = len(down), case.n_steps
    score = _gaussian_score(case, case.C, noise_conditional=True)
    steps = np.array([_step_arg(candidate, float(e), case.conventions) for e in etas])
    tol_ = _chain_tol(case, L * n, tol)

    def run(x: Any, z: Any) -> Any:
        return candidate.annealed_langevin(score, x, case.tensor(down), case.tensor(steps), z)

    amap = probe(run, case, (L, n), theorem, tol_)
    expected = th.annealed_moments(case.m, case.C, down, etas, n, case.mu0, case.S0)
    mag = _magnitude_recursion(_annealed_levels(case, down, etas), n, case.mu0, case.S0)
    _compare_law(amap.push(case.mu0, case.S0), expected, mag, theorem,
                 f"annealed Langevin over σ = {np.round(down, 4).tolist()}, {n} steps per level", tol_, case)


def check_ncsn_sampling(candidate: Any, case: LangevinCase, *, tol: Tolerance | None = None) -> None:
    """ncsn.annealed_sampling: ``ncsn_sample`` from ``x ~ N(0, σ_T² I)`` over ``σ_T, ..., σ_1`` with
    ``η_t = ε σ_t²/σ_1²``: on Gaussian data its output law is the oracle's; ``geometric_sigmas`` (when
    present) gives ``σ_t = σ_min (σ_max/σ_min)^{(t-1)/(T-1)}``."""
    theorem = "ncsn.annealed_sampling"
    sig = case.sigmas
    L, n = len(sig), case.n_steps
    score = _gaussian_score(case, case.C, noise_conditional=True)
    eps_arg = _step_arg(candidate, case.ncsn_eps, case.conventions)
    tol_ = _chain_tol(case, L * n, tol)

    def run(x: Any, z: Any) -> Any:
        return candidate.ncsn_sample(score, x, case.tensor(sig), eps_arg, z)

    amap = probe(run, case, (L, n), theorem, tol_)
    d = case.d
    mu0, S0 = np.zeros(d), sig[-1] ** 2 * np.eye(d)
    expected = th.ncsn_sampling_moments(case.m, case.C, sig, case.ncsn_eps, n)
    down = sig[::-1]
    mag = _magnitude_recursion(_annealed_levels(case, down, th.ncsn_step_sizes(down, case.ncsn_eps)), n, mu0, S0)
    _compare_law(amap.push(mu0, S0), expected, mag, theorem,
                 "NCSN annealed Langevin from N(0, σ_T² I), σ_T → σ_1, η_t = ε σ_t²/σ_1²", tol_, case)
    if callable(getattr(candidate, "geometric_sigmas", None)) and L >= 2:
        lo, hi = float(sig[0]), float(sig[-1])
        got = to_numpy(candidate.geometric_sigmas(lo, hi, L))
        expected_levels = th.geometric_sigmas(lo, hi, L)
        assert_close(got, expected_levels, theorem=theorem, slide=SLIDES[theorem],
                     what="geometric noise levels σ_min (σ_max/σ_min)^{(t-1)/(T-1)}, ascending",
                     tol=exact("float64", 4 + np.log(hi / lo)), inputs=case.describe())


# --------------------------------------------------------------------------- strategies, verify
@st.composite
def langevin_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu") -> LangevinCase:
    g = draw(gaussian_mixtures(min_dim=1, max_dim=3, max_components=1, max_condition=20.0))
    m, C = g.means[0], g.covs[0]
    d = len(m)
    lam_min = float(np.linalg.eigvalsh(C).min())
    eta = draw(st.floats(0.01, 0.99)) * 2 * lam_min  # the slide's η < 2/L
    n_steps = draw(st.integers(1, 4))
    mu0 = draw(arrays((d,), -3.0, 3.0))
    R = draw(arrays((d, d), -1.0, 1.0))
    S0 = R @ R.T + 0.1 * np.eye(d)
    L = draw(st.integers(1, 3))
    sigmas = np.sort(draw(arrays((L,), 0.05, 4.0).filter(
        lambda a: len(a) < 2 or np.min(np.diff(np.sort(a))) > 1e-2)))
    level_etas = draw(arrays((L,), 0.01, 0.5)) * (lam_min + sigmas**2)
    ncsn_eps = draw(st.floats(0.01, 0.5)) * lam_min * 2
    # Component scales within a factor 10 of each other: there the oracle's J(q) (exact quadrature in
    # 1-D, Gauss–Hermite with 48 nodes in 2-D: within 0.5 %, far below the z-test's resolution) is
    # accurate; a 100x spread left Gauss–Hermite 30 % off in 2-D.
    mix = draw(gaussian_mixtures(min_dim=1, max_dim=2, max_components=3, max_condition=10.0))
    mc_eta = draw(st.floats(0.3, 1.0))
    return LangevinCase(m=m, C=C, eta=eta, n_steps=n_steps, mu0=mu0, S0=S0, sigmas=sigmas, level_etas=level_etas,
                        ncsn_eps=ncsn_eps, mixture=mix, mc_eta=mc_eta, seed=draw(st.integers(0, 2**32 - 1)),
                        dtype=dtype, device=device)


PROPERTIES: tuple[Property, ...] = (
    Property("stationary", "langevin.stationary", check_stationary, ("langevin_step",)),
    Property("annealed", "langevin.annealed", check_annealed, ("annealed_langevin",)),
    Property("ncsn_sampling", "ncsn.annealed_sampling", check_ncsn_sampling, ("ncsn_sample",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "langevin"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED, parse=step_convention)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every Langevin property the candidate supports under Hypothesis; a failure raises
    ``VerifyFailed`` with the report of every property (``raise_on_failure``). ``properties``
    selects by name (``PROPERTY_NAMES``). ``conventions`` (a
    :class:`~dgmcheck.checks.conventions.Conventions`, a mapping or ``"key=value"`` pairs) may
    declare ``langevin_step="eps"``: the candidate's step argument is ``ε = η/2``
    (``x + ε ∇log p + √(2ε) z``); a failure the other step convention explains carries a hint."""
    return run.properties(lambda _p: langevin_cases(dtype=run.dtype, device=run.device),
                          provides="Langevin functions (see LangevinCandidate)", carry_conventions=True)
