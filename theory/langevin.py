"""Unadjusted Langevin dynamics, annealed Langevin and NCSN sampling: exact Gaussian laws.

Convention of the lecture (000 L6 "Langevin Dynamics"): step ``η``,
``x' = x + (η/2) ∇log p(x) + √η z``, ``z ~ N(0, I)``. The other common convention (step ``ε``,
``x' = x + ε ∇log p(x) + √(2ε) z``) is the same chain with ``η = 2ε`` (``eta_of``).

langevin.stationary: on a Gaussian target ``N(m, C)`` the step is affine,
``x' = M x + (η/2) C⁻¹ m + √η z`` with ``M = I - (η/2) C⁻¹``; it maps ``N(μ, Σ)`` to
``N(M μ + (η/2) C⁻¹ m, M Σ Mᵀ + η I)`` exactly, and for ``η < 4 λ_min(C)`` (spectral radius of M below 1)
its unique stationary law is ``N(m, S)``, ``S = M S Mᵀ + η I`` (a discrete Lyapunov equation), in
closed form ``S = 4C² (4C - ηI)⁻¹ = C + η/4 I + O(η²)``: an O(η) bias, not the target.

langevin.annealed / ncsn.annealed_sampling: with Gaussian data ``N(m, C)`` every level's target
``q_σ = N(m, C + σ² I)`` has a linear score, so the annealed chain stays Gaussian and its law after
any number of steps follows the moment recursion above (``annealed_moments``).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import linalg

from dgmcheck.theory import _validate as V
from dgmcheck.theory._memo import derivation

CONVENTIONS = ("eta", "eps")


def eta_of(step: float, convention: str = "eta") -> float:
    """The lecture's ``η`` of a step in ``convention``: "eta" (``η/2`` drift, ``√η`` noise) or "eps"
    (``ε`` drift, ``√(2ε)`` noise, so ``η = 2ε``)."""
    V.choice(convention, "convention", CONVENTIONS)
    step = V.positive(step, "step")
    return step if convention == "eta" else 2.0 * step


def _cov(C: np.ndarray) -> np.ndarray:
    C = np.atleast_2d(V.array(C, "C", ndim=(0, 2)))
    if C.shape[0] != C.shape[1] or not np.allclose(C, C.T, rtol=0, atol=1e-12):
        raise ValueError(f"C must be a symmetric (d, d) matrix, got shape {C.shape}")
    if np.any(np.linalg.eigvalsh(C) <= 0):
        raise ValueError("C must be positive definite")
    return C


def ula_transition(C: np.ndarray, m: np.ndarray, eta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(M, c, Q)`` of one ULA step on ``N(m, C)``: ``x' = M x + c + ξ``, ``ξ ~ N(0, Q)``;
    ``M = I - (η/2) C⁻¹``, ``c = (η/2) C⁻¹ m``, ``Q = η I``."""
    C = _cov(C)
    m = _mean(m, "m", C)
    eta = V.positive(eta, "eta")
    P = np.linalg.inv(C)
    d = C.shape[0]
    return np.eye(d) - 0.5 * eta * P, 0.5 * eta * P @ m, eta * np.eye(d)


def _mean(m: object, name: str, C: np.ndarray) -> np.ndarray:
    """A mean ``(d,)`` of the covariance's dimension (a number when d = 1)."""
    m = np.atleast_1d(V.array(m, name, ndim=(0, 1)))
    if m.shape != (C.shape[0],):
        raise ValueError(f"{name} must have shape ({C.shape[0]},) to match C, got {m.shape}")
    return m


def _start(mu0: object, S0: object, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The initial law ``N(μ₀, S₀)``: a mean like ``C``'s and a symmetric PSD covariance."""
    mu = _mean(mu0, "mu0", C)
    S = np.atleast_2d(V.array(S0, "S0", ndim=(0, 2)))
    if S.shape != C.shape or not np.allclose(S, S.T, rtol=1e-10, atol=1e-12) or np.linalg.eigvalsh(S).min() < -1e-12:
        raise ValueError(f"S0 must be a symmetric positive semi-definite {C.shape} matrix, got shape {S.shape}")
    return mu, S


def _below_bound(C: np.ndarray, eta: object) -> float:
    """A step ``0 < η < 4 λ_min(C)``: the chain has a stationary law only then."""
    eta = V.positive(eta, "eta")
    lam_min = float(np.linalg.eigvalsh(C).min())
    if not eta < 4 * lam_min:
        raise ValueError(f"eta must be < 4 λ_min(C) = {4 * lam_min} for a stationary law, got {eta}")
    return eta


def moment_step(mu: np.ndarray, S: np.ndarray, M: np.ndarray, c: np.ndarray,
                Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The law of ``M x + c + ξ`` for ``x ~ N(μ, S)``, ``ξ ~ N(0, Q)``: ``N(Mμ + c, M S Mᵀ + Q)``."""
    mu = V.array(mu, "mu", ndim=1)
    d = len(mu)
    S, M, Q = (V.square(a, name, n=d) for a, name in ((S, "S"), (M, "M"), (Q, "Q")))
    c = V.array(c, "c", shape=(d,))
    return M @ mu + c, M @ S @ M.T + Q


def ula_stationary(C: np.ndarray, m: np.ndarray, eta: float) -> tuple[np.ndarray, np.ndarray]:
    """langevin.stationary: the stationary law ``N(m, S)`` of ULA on ``N(m, C)``, ``S`` from
    ``scipy.linalg.solve_discrete_lyapunov``; ValueError when ``η >= 4 λ_min(C)`` (no stationary law)."""
    M, c, Q = ula_transition(C, m, eta)
    rho = float(np.max(np.abs(np.linalg.eigvals(M))))
    if rho >= 1:
        raise ValueError(f"eta = {eta} >= 4 λ_min(C): the chain has spectral radius {rho} >= 1 and no "
                         "stationary law")
    S = linalg.solve_discrete_lyapunov(M, Q)
    mean = np.linalg.solve(np.eye(len(c)) - M, c)
    return mean, 0.5 * (S + S.T)


def ula_stationary_closed_form(C: np.ndarray, eta: float) -> np.ndarray:
    """``S = 4C² (4C - ηI)⁻¹`` (C and M commute), by eigendecomposition; needs ``η < 4 λ_min(C)``."""
    C = _cov(C)
    eta = _below_bound(C, eta)
    lam, U = np.linalg.eigh(C)
    return (U * (4 * lam**2 / (4 * lam - eta))) @ U.T


def ula_bias(C: np.ndarray, eta: float) -> dict[str, float]:
    """The O(η) bias of the stationary law: ``‖S - C‖₂`` (= ``max_i η λ_i/(4λ_i - η)``), its ratio to
    ``η`` (→ 1/4 as η → 0), and ``W₂(N(m, S), N(m, C)) = ‖√S - √C‖_F`` (commuting covariances)."""
    C = _cov(C)
    eta = _below_bound(C, eta)
    S = ula_stationary_closed_form(C, eta)
    lam = np.linalg.eigvalsh(C)
    s = 4 * lam**2 / (4 * lam - eta)
    gap = float(np.linalg.norm(S - C, 2))
    return {"gap": gap, "ratio": gap / eta, "w2": float(np.sqrt(np.sum((np.sqrt(s) - np.sqrt(lam)) ** 2)))}


def ula_moments(C: np.ndarray, m: np.ndarray, eta: float, n_steps: int, mu0: np.ndarray,
                S0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exact law after ``n_steps`` ULA steps from ``N(μ₀, S₀)`` (moment recursion)."""
    M, c, Q = ula_transition(C, m, eta)
    mu, S = _start(mu0, S0, _cov(C))
    for _ in range(V.count(n_steps, "n_steps", lo=0)):
        mu, S = M @ mu + c, M @ S @ M.T + Q
    return mu, S


def annealed_moments(m: np.ndarray, C: np.ndarray, sigmas_visited: np.ndarray, etas: np.ndarray,
                     n_steps: int, mu0: np.ndarray, S0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """langevin.annealed: the exact law of annealed Langevin on Gaussian data ``N(m, C)``.

    Levels are taken in the order given (``sigmas_visited``), ``n_steps`` ULA steps of size ``etas[i]``
    each, on the target ``q_{σ_i} = N(m, C + σ_i² I)``, from ``x ~ N(μ₀, S₀)``.
    """
    C = _cov(C)
    m = _mean(m, "m", C)
    mu, S = _start(mu0, S0, C)
    sig = V.array(sigmas_visited, "sigmas_visited", ndim=1, nonneg=True)
    etas = V.array(etas, "etas", ndim=1, positive=True)
    if etas.shape != sig.shape:
        raise ValueError(f"etas must hold one step per level of sigmas_visited ({len(sig)}), got {len(etas)}")
    n_steps = V.count(n_steps, "n_steps", lo=0)
    eye = np.eye(C.shape[0])
    for s, eta in zip(sig, etas, strict=True):
        M, c, Q = ula_transition(C + s**2 * eye, m, float(eta))
        for _ in range(n_steps):
            mu, S = M @ mu + c, M @ S @ M.T + Q
    return mu, S


def geometric_sigmas(sigma_min: float, sigma_max: float, n_levels: int) -> np.ndarray:
    """NCSN noise levels ``σ_1 < ... < σ_T`` (the lecture's order), geometric:
    ``σ_t = σ_min (σ_max/σ_min)^{(t-1)/(T-1)}`` (``T = 1``: ``[σ_min]``)."""
    sigma_min, sigma_max = V.positive(sigma_min, "sigma_min"), V.positive(sigma_max, "sigma_max")
    if not sigma_min < sigma_max:
        raise ValueError(f"need 0 < sigma_min < sigma_max, got {sigma_min}, {sigma_max}")
    n_levels = V.count(n_levels, "n_levels")
    if n_levels == 1:
        return np.array([float(sigma_min)])
    k = np.arange(n_levels) / (n_levels - 1)
    return sigma_min * (sigma_max / sigma_min) ** k


def ncsn_step_sizes(sigmas: np.ndarray, eps: float) -> np.ndarray:
    """Song & Ermon's step schedule ``η_t = ε σ_t²/σ_1²`` (``σ_1`` the smallest level), per level in the
    order of ``sigmas`` (the lecture's ascending ``σ_1 < ... < σ_T``)."""
    sigmas = V.array(sigmas, "sigmas", ndim=1, positive=True)
    eps = V.positive(eps, "eps")
    return eps * sigmas**2 / sigmas.min() ** 2


def ncsn_sampling_moments(m: np.ndarray, C: np.ndarray, sigmas: np.ndarray, eps: float,
                          n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """ncsn.annealed_sampling: the exact law of NCSN's annealed Langevin sampler on Gaussian data:
    ``x ~ N(0, σ_T² I)``, then levels ``σ_T, ..., σ_1`` (descending), ``n_steps`` steps each with
    ``η_t = ε σ_t²/σ_1²``. ``sigmas`` is ascending (000 L7 "Noise-Conditioned Score Network (NCSN)")."""
    C = _cov(C)
    sigmas = V.array(sigmas, "sigmas", ndim=1, positive=True)
    if np.any(np.diff(sigmas) <= 0):
        raise ValueError(f"sigmas must be strictly increasing (σ_1 < ... < σ_T), got {sigmas}")
    V.positive(eps, "eps")
    d = C.shape[0]
    down = sigmas[::-1]
    return annealed_moments(m, C, down, ncsn_step_sizes(down, eps), n_steps, np.zeros(d),
                            sigmas[-1] ** 2 * np.eye(d))


def one_step_moment_gain(fisher: float, eta: float) -> tuple[float, float]:
    """For ``x ~ q`` exactly and one ULA step with ``q``'s own score: ``E x' = E x`` and
    ``E‖x'‖² - E‖x‖² = η² J(q)/4`` (``E_q ∇log q = 0`` and ``E_q[x·∇log q] = -d``, integration by
    parts). Returns the two gains ``(0, η² J/4)``."""
    fisher, eta = V.real(fisher, "fisher", lo=0.0, closed="lo"), V.positive(eta, "eta")
    return 0.0, eta**2 * fisher / 4.0


@derivation
def derive_ula_stationary_1d() -> dict[str, sp.Expr]:
    """Solve ``s = (1 - η/(2c))² s + η`` for s: ``4c²/(4c - η)`` (returned minus that: 0), and its
    series ``c + η/4 + O(η²)`` (returned: the η-coefficient of ``s - c``, = 1/4)."""
    s, c, eta = sp.symbols("s c eta", positive=True)
    sol = sp.solve(sp.Eq(s, (1 - eta / (2 * c)) ** 2 * s + eta), s)
    closed = 4 * c**2 / (4 * c - eta)
    series = sp.series(closed - c, eta, 0, 2).removeO()
    return {"solution_gap": sp.simplify(sol[0] - closed), "bias_coefficient": sp.simplify(series.coeff(eta, 1)),
            "bias_constant": sp.simplify(series.coeff(eta, 0))}
