"""Score matching, exactly: sympy identities and Gauss-Hermite quadrature over Gaussian mixtures.

Notation of 000 L6-L7: data ``x ~ p = Σ_k w_k N(m_k, C_k)``, noised ``x_σ = x + σ ε`` with
``ε ~ N(0, I)``, so ``x_σ ~ q_σ = Σ_k w_k N(m_k, C_k + σ² I)`` (exact, see ``gaussian_mixture``).

- score.unnormalized: ``∇ log(p̃/Z) = ∇ log p̃`` (``derive_unnormalized``).
- score.noise_kernel_gradient: ``∇_{x_σ} log N(x_σ | x, σ² I) = -(x_σ - x)/σ² = -ε/σ``.
- score.dsm_equivalence: for every score model ``s``,
  ``E_{x,ε} ‖s(x + σε) + ε/σ‖² = E_{q_σ} ‖s - ∇ log q_σ‖² + d/σ² - J(q_σ)`` with the Fisher information
  ``J(q) = E_q ‖∇ log q‖²`` (``dsm_constant``).
- score.fisher_divergence: ``½ E_q ‖s - ∇ log q‖² = E_q[½‖s‖² + tr ∇s] + ½ J(q)`` (Hyvärinen's
  integration by parts; ``implicit_constant``).

Every expectation here is a Gauss-Hermite sum (``gh_rule``): exact for polynomials of degree
``< 2n`` per coordinate and spectrally accurate for the smooth integrands of mixtures; no sampling.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp

from dgmcheck.theory import _validate as V
from dgmcheck.theory import quadrature
from dgmcheck.theory._memo import derivation
from dgmcheck.theory.gaussian_mixture import GaussianMixture

#: Default Gauss-Hermite nodes per coordinate (the theory tests show 1e-9 agreement with 2n nodes
#: and with adaptive quadrature for the mixtures ``checks.strategies.gaussian_mixtures`` draws).
N_NODES = 64

ScoreFn = Callable[[np.ndarray], np.ndarray]  # (N, d) -> (N, d)


# --------------------------------------------------------------------------- quadrature rules
#: The most nodes a tensor rule may have (``theory.quadrature.MAX_NODES``).
MAX_RULE_NODES = quadrature.MAX_NODES
#: The largest dimension and component count the sympy derivations expand.
MAX_SYMBOLIC_SIZE = 8


def _n(n: object, name: str = "n") -> int:
    """Gauss–Hermite nodes per coordinate."""
    return V.count(n, name, hi=quadrature.MAX_HERMITE_NODES)


def _fisher(fisher: object) -> float | None:
    """None (computed) or a given Fisher information >= 0."""
    return None if fisher is None else V.real(fisher, "fisher", lo=0.0, closed="lo")


def gh_rule(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Tensor Gauss-Hermite rule for ``E_{u ~ N(0, I_d)} f(u)``: nodes ``(n^d, d)``, weights ``(n^d,)``
    (``theory.quadrature.normal``).

    ValueError when ``n**d > MAX_RULE_NODES``."""
    return quadrature.normal(n, d)


def mixture_rule(mixture: GaussianMixture, n: int = N_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``x (N, d)`` and weights ``(N,)`` with ``Σ w_i f(x_i) ≈ E_{x ~ mixture} f(x)``.

    Per component ``x = m_k + L_k u``, ``L_k L_kᵀ = C_k``, ``u`` on the tensor Gauss-Hermite grid.
    """
    u, wu = gh_rule(_n(n), V.mixture(mixture).dim)
    chol = np.linalg.cholesky(mixture.covs)
    xs = [m + u @ L.T for m, L in zip(mixture.means, chol, strict=True)]
    ws = [wk * wu for wk in mixture.weights]
    return np.concatenate(xs), np.concatenate(ws)


def denoising_rule(mixture: GaussianMixture, sigma: float, n: int = N_NODES,
                   n_noise: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes ``(x, ε)`` and weights for ``E_{x ~ mixture, ε ~ N(0, I)} g(x, ε)`` (a 2d-dim integral).

    Per component the pair ``(x_σ, ε)`` with ``x_σ = x + σε`` is Gaussian with covariance
    ``[[C_k + σ²I, σI], [σI, I]]``; its lower Cholesky factor writes ``x_σ`` through the first d
    standard normals only and ``ε = A u_1 + B u_2``. ``u_1`` gets ``n`` nodes per coordinate, ``u_2``
    ``n_noise`` (exact for integrands of degree ``< 2 n_noise`` in ``ε`` given ``x_σ``: the DSM loss is
    quadratic there). Returns ``x (N, d)``, ``eps (N, d)``, ``weights (N,)``; ``x_σ = x + σ ε``.
    """
    V.mixture(mixture)
    sigma = _positive(sigma, "sigma")
    n, n_noise = _n(n), _n(n_noise, "n_noise")
    d = mixture.dim
    if d * np.log2(max(n * n_noise, 1)) > np.log2(MAX_RULE_NODES):
        raise ValueError(f"n = {n} and n_noise = {n_noise} nodes per coordinate in d = {d} make (n · n_noise)**d "
                         f"nodes, over the limit MAX_RULE_NODES = {MAX_RULE_NODES}; take fewer")
    u1, w1 = gh_rule(n, d)
    u2, w2 = gh_rule(n_noise, d)
    U1 = np.repeat(u1, len(u2), axis=0)
    U2 = np.tile(u2, (len(u1), 1))
    W = np.repeat(w1, len(u2)) * np.tile(w2, len(u1))
    eye = np.eye(d)
    xs, es, ws = [], [], []
    for wk, m, c in zip(mixture.weights, mixture.means, mixture.covs, strict=True):
        joint = np.block([[c + sigma**2 * eye, sigma * eye], [sigma * eye, eye]])
        L = np.linalg.cholesky(joint)
        u = np.concatenate([U1, U2], axis=1)
        z = u @ L.T
        x_sigma, eps = m + z[:, :d], z[:, d:]
        xs.append(x_sigma - sigma * eps)
        es.append(eps)
        ws.append(wk * W)
    return np.concatenate(xs), np.concatenate(es), np.concatenate(ws)


def _positive(v: float, name: str) -> float:
    return V.positive(v, name)


# --------------------------------------------------------------------------- objectives
def fisher_information(mixture: GaussianMixture, n: int = N_NODES) -> float:
    """``J(q) = E_q ‖∇ log q‖²`` (score.fisher_divergence, 000 L6 "Score Matching").

    A single Gaussian ``N(m, C)`` has the exact ``J = E‖C⁻¹(x - m)‖² = tr C⁻¹`` in any dimension; a 1-D
    mixture adaptive quadrature (``fisher_information_adaptive``). A mixture in d >= 2
    (no closed form) takes tensor Gauss-Hermite quadrature with ``n`` nodes per coordinate and component:
    ``n**d`` nodes, refused with a ValueError above ``MAX_RULE_NODES`` (n = 64 reaches d = 3; in d = 4 pass
    n <= 32, with the accuracy that costs).
    """
    V.mixture(mixture)
    n = _n(n)
    if len(mixture.weights) == 1:  # the exact route
        return float(np.trace(np.linalg.inv(mixture.covs[0])))
    if mixture.dim == 1:  # Gauss–Hermite misses a narrow component's spike under a wide one (30 % at
        return _fisher_1d_panels(mixture)  # a 100x spread): panels of half the narrowest width instead
    if n**mixture.dim > MAX_RULE_NODES:
        raise ValueError(f"fisher_information of a {len(mixture.weights)}-component mixture in d = {mixture.dim} "
                         f"by quadrature needs n**d = {n}**{mixture.dim} = {n**mixture.dim} nodes per component, "
                         f"over the limit MAX_RULE_NODES = {MAX_RULE_NODES}: pass a smaller n "
                         f"(n <= {int(MAX_RULE_NODES ** (1 / mixture.dim) + 1e-9)})")
    x, w = mixture_rule(mixture, n)
    return float(w @ np.sum(mixture.score(x) ** 2, axis=-1))


def score_cross_term(mixture: GaussianMixture, score: ScoreFn, n: int = N_NODES) -> float:
    """``E_q[s · ∇ log q] = ∫ s · ∇q = Σ_k w_k E_{N(m_k, C_k)}[s(x) · (-C_k⁻¹(x - m_k))]``.

    ``q ∇log q = ∇q = Σ_k w_k ∇φ_k`` (linearity, no integration by parts): each term integrates a smooth
    function against one Gaussian, where Gauss-Hermite converges fast. (The mixture score itself,
    a ratio of Gaussians, is what converges slowly under Gauss-Hermite.)
    """
    V.function(score, "score")
    u, wu = gh_rule(_n(n), V.mixture(mixture).dim)
    total = 0.0
    for wk, m, c in zip(mixture.weights, mixture.means, mixture.covs, strict=True):
        L = np.linalg.cholesky(c)
        x = m + u @ L.T
        grad_log_phi = -np.linalg.solve(c, (x - m).T).T
        total += wk * float(wu @ np.sum(score(x) * grad_log_phi, axis=-1))
    return total


def explicit_objective(mixture: GaussianMixture, score: ScoreFn, n: int = N_NODES,
                       fisher: float | None = None) -> float:
    """``E_q ‖s(x) - ∇ log q(x)‖² = E_q‖s‖² - 2 E_q[s · ∇log q] + J(q)`` (explicit score matching,
    without the ½). The θ-dependent terms are smooth per component (``score_cross_term``); ``J(q)``
    is θ-free and may be passed in (``fisher``) so that two objectives share one value."""
    V.function(score, "score")
    fisher = _fisher(fisher)
    x, w = mixture_rule(mixture, n)
    J = fisher_information(mixture, n) if fisher is None else fisher
    return float(w @ np.sum(score(x) ** 2, axis=-1)) - 2 * score_cross_term(mixture, score, n) + J


def _fisher_1d_panels(mixture: GaussianMixture, nodes: int = 10) -> float:
    """``J(q)`` of a 1-D mixture by composite Gauss–Legendre: panels of half the smallest standard
    deviation over every component's ±12 σ (the integrand is analytic, the error ``O(h^{20})``;
    the tails beyond 12 σ weigh below 1e-30)."""
    std = np.sqrt(mixture.covs[:, 0, 0])
    lo, hi = float((mixture.means[:, 0] - 12 * std).min()), float((mixture.means[:, 0] + 12 * std).max())
    panels = int(max(np.ceil((hi - lo) / (0.5 * std.min())), 1))
    if panels > MAX_RULE_NODES // nodes:
        raise ValueError(f"fisher_information of this 1-D mixture needs {panels} panels of half its narrowest "
                         f"standard deviation ({std.min():.3g} against a span of {hi - lo:.3g}), over the limit "
                         f"MAX_RULE_NODES = {MAX_RULE_NODES} nodes: its component scales are too far apart")
    x, w = quadrature.composite_legendre(np.linspace(lo, hi, panels + 1), nodes)
    log_p, score = mixture._log_prob_and_score(x[:, None])  # one pass for both (the same values)
    return float(w @ (np.exp(log_p) * np.sum(score**2, axis=-1)))


def fisher_information_adaptive(mixture: GaussianMixture, tol: float = 1e-12, h: float = 0.1) -> float:
    """``J(q)`` independently of Gauss-Hermite: adaptive ``scipy.integrate.quad`` in 1-D; in 2-D the
    trapezoidal rule with step ``h`` (times the smallest standard deviation) on a box of ±12 standard
    deviations, which converges geometrically in ``1/h`` for analytic, Gaussian-decaying integrands."""
    from scipy import integrate

    V.mixture(mixture)
    tol, h = V.positive(tol, "tol"), V.positive(h, "h")
    std = np.sqrt(mixture.covs.diagonal(axis1=1, axis2=2))
    lo = (mixture.means - 12 * std).min(axis=0)
    hi = (mixture.means + 12 * std).max(axis=0)

    def density_times_sq_score(x: np.ndarray) -> np.ndarray:
        log_p, score = mixture._log_prob_and_score(x)  # one pass for both (the same values)
        return np.exp(log_p) * np.sum(score**2, axis=-1)

    if mixture.dim == 1:
        pts = sorted(mixture.means[:, 0])
        val = integrate.quad(lambda t: float(density_times_sq_score(np.array([[t]]))[0]), lo[0], hi[0],
                             points=pts, epsabs=tol, epsrel=tol, limit=1000)[0]
        return float(val)
    if mixture.dim == 2:
        step = h * float(std.min())
        V.bounded(int(np.prod((hi - lo) / step + 2)), "the trapezoid grid's points", MAX_RULE_NODES, "take a larger h")
        g0, g1 = (np.arange(lo[i], hi[i] + step, step) for i in range(2))
        X = np.stack(np.meshgrid(g0, g1, indexing="ij"), axis=-1).reshape(-1, 2)
        return float(density_times_sq_score(X).sum() * step * step)
    raise ValueError(f"fisher_information_adaptive supports dimension 1 or 2, got {mixture.dim}")


def dsm_objective(data: GaussianMixture, sigma: float, score: ScoreFn, n: int = N_NODES) -> float:
    """``E_{x ~ data, ε} ‖s(x + σε) + ε/σ‖²`` by quadrature of the joint (x, ε) integral."""
    V.mixture(data, "data")
    V.function(score, "score")
    x, eps, w = denoising_rule(data, sigma, n)
    return float(w @ np.sum((score(x + sigma * eps) + eps / sigma) ** 2, axis=-1))


def dsm_constant(data: GaussianMixture, sigma: float, n: int = N_NODES, fisher: float | None = None) -> float:
    """score.dsm_equivalence: the θ-free gap ``E‖ε/σ‖² - E‖∇ log q_σ‖² = d/σ² - J(q_σ)``."""
    V.mixture(data, "data")
    sigma = _positive(sigma, "sigma")
    fisher = _fisher(fisher)
    J = fisher_information(data.noised(1.0, sigma**2), n) if fisher is None else fisher
    return data.dim / sigma**2 - J


def implicit_objective(mixture: GaussianMixture, score: ScoreFn, jacobian_trace: ScoreFn,
                       n: int = N_NODES) -> float:
    """Hyvärinen's ``E_q[½‖s‖² + tr ∇s]``; ``jacobian_trace(x) -> (N,)``."""
    V.function(score, "score")
    V.function(jacobian_trace, "jacobian_trace")
    x, w = mixture_rule(mixture, n)
    return float(w @ (0.5 * np.sum(score(x) ** 2, axis=-1) + jacobian_trace(x)))


def implicit_constant(mixture: GaussianMixture, n: int = N_NODES) -> float:
    """score.fisher_divergence: ``½ E‖s - ∇log q‖² - E[½‖s‖² + tr ∇s] = ½ J(q)`` for every s."""
    return 0.5 * fisher_information(mixture, n)


def noise_kernel_score(x_noisy: np.ndarray, x0: np.ndarray, sigma: float) -> np.ndarray:
    """score.noise_kernel_gradient: ``∇_{x_σ} log N(x_σ | x_0, σ² I) = -(x_σ - x_0)/σ²``."""
    sigma = _positive(sigma, "sigma")
    x_noisy = V.array(x_noisy, "x_noisy")
    x0 = V.matching(V.array(x0, "x0"), "x0", x_noisy, "x_noisy")
    return -(x_noisy - x0) / sigma**2


def ncsn_weighted_objective(data: GaussianMixture, sigmas: np.ndarray, score: Callable[[np.ndarray, float], np.ndarray],
                            n: int = N_NODES, weights: np.ndarray | None = None) -> float:
    """ncsn.weighted_objective: ``Σ_t λ_t E‖s(x_t, σ_t) + (x_t - x)/σ_t²‖²`` with ``λ_t = σ_t²``."""
    V.mixture(data, "data")
    V.function(score, "score")
    sigmas = _levels(sigmas)
    lam = sigmas**2 if weights is None else V.matching(V.array(weights, "weights", nonneg=True), "weights",
                                                         sigmas, "sigmas")
    total = 0.0
    for lam_t, s in zip(lam, sigmas, strict=True):
        x, eps, w = denoising_rule(data, float(s), n)
        xt = x + s * eps
        total += lam_t * float(w @ np.sum((score(xt, float(s)) + (xt - x) / s**2) ** 2, axis=-1))
    return total


def ncsn_minimum(data: GaussianMixture, sigmas: np.ndarray, n: int = N_NODES) -> float:
    """The minimum over all functions of the NCSN objective, attained at ``s(·, σ_t) = ∇ log q_{σ_t}``:
    ``Σ_t σ_t² (d/σ_t² - J(q_{σ_t})) = Σ_t (d - σ_t² J(q_{σ_t}))``."""
    V.mixture(data, "data")
    return float(sum(s**2 * dsm_constant(data, float(s), n) for s in _levels(sigmas)))


def _levels(sigmas: object) -> np.ndarray:
    """Noise levels: a non-empty 1-D array of positive numbers."""
    return V.array(sigmas, "sigmas", ndim=1, positive=True)


def ncsn_excess(data: GaussianMixture, sigmas: np.ndarray, delta: Callable[[np.ndarray, float], np.ndarray],
                n: int = N_NODES) -> float:
    """Objective at ``∇ log q_σ + δ`` minus the minimum: ``Σ_t σ_t² E_{q_{σ_t}} ‖δ(x, σ_t)‖²`` (≥ 0)."""
    V.mixture(data, "data")
    V.function(delta, "delta")
    total = 0.0
    for s in _levels(sigmas):
        x, w = mixture_rule(data.noised(1.0, s**2), n)
        total += s**2 * float(w @ np.sum(delta(x, float(s)) ** 2, axis=-1))
    return total


# --------------------------------------------------------------------------- sympy derivations
@derivation
def derive_unnormalized(dim: int = 2, components: int = 2) -> list[sp.Expr]:
    """``∇ log(p̃/Z) - ∇ log p̃`` for the unnormalized mixture ``p̃ = Σ_k c_k exp(-‖x - m_k‖²/(2 v_k))``
    with symbolic ``c_k, v_k, Z > 0`` and ``m_k``: each coordinate simplifies to 0 (score.unnormalized)."""
    dim = V.count(dim, "dim", hi=MAX_SYMBOLIC_SIZE)
    components = V.count(components, "components", hi=MAX_SYMBOLIC_SIZE)
    x = sp.symbols(f"x0:{dim}", real=True)
    Z = sp.Symbol("Z", positive=True)
    p = 0
    for k in range(components):
        c, v = sp.Symbol(f"c{k}", positive=True), sp.Symbol(f"v{k}", positive=True)
        m = sp.symbols(f"m{k}_0:{dim}", real=True)
        p += c * sp.exp(-sum((xi - mi) ** 2 for xi, mi in zip(x, m, strict=True)) / (2 * v))
    return [sp.simplify(sp.diff(sp.log(p / Z), xi) - sp.diff(sp.log(p), xi)) for xi in x]


@derivation
def derive_noise_kernel_gradient(dim: int = 2) -> dict[str, list[sp.Expr]]:
    """``∇_{x_σ} log N(x_σ | x, σ² I)`` minus ``-(x_σ - x)/σ²`` (each 0), and with ``x_σ = x + σε``
    minus ``-ε/σ`` (each 0). Also the truth minus the slide variant ``-(x_σ - μ)/σ`` (000 L11): not 0."""
    dim = V.count(dim, "dim", hi=MAX_SYMBOLIC_SIZE)
    xs = sp.symbols(f"xs0:{dim}", real=True)
    x = sp.symbols(f"x0:{dim}", real=True)
    e = sp.symbols(f"e0:{dim}", real=True)
    s = sp.Symbol("sigma", positive=True)
    logq = -sum((a - b) ** 2 for a, b in zip(xs, x, strict=True)) / (2 * s**2) \
        - sp.Rational(dim, 2) * sp.log(2 * sp.pi * s**2)
    grad = [sp.diff(logq, a) for a in xs]
    closed = [sp.simplify(g + (a - b) / s**2) for g, a, b in zip(grad, xs, x, strict=True)]
    sub = {a: b + s * c for a, b, c in zip(xs, x, e, strict=True)}
    eps_form = [sp.simplify(g.subs(sub) + c / s) for g, c in zip(grad, e, strict=True)]
    slide = [sp.simplify(g + (a - b) / s) for g, a, b in zip(grad, xs, x, strict=True)]
    return {"closed_form": closed, "eps_form": eps_form, "slide_l11_gap": slide}


def _gaussian_expectation(expr: sp.Expr, variables: dict[sp.Symbol, tuple[sp.Expr, sp.Expr]]) -> sp.Expr:
    """``E expr`` for a polynomial in independent Gaussians ``{symbol: (mean, variance)}``."""
    poly = sp.Poly(sp.expand(expr), *variables)
    out = 0
    for monom, coeff in poly.terms():
        term = coeff
        for (_sym, (mu, var)), k in zip(variables.items(), monom, strict=True):
            # E (mu + √var z)^k with the standard normal moments E z^j = (j-1)!! for even j
            moment = sum(sp.binomial(k, j) * mu ** (k - j) * var ** sp.Rational(j, 2)
                         * (sp.factorial2(j - 1) if j % 2 == 0 else 0) for j in range(k + 1))
            term *= moment
        out += term
    return sp.expand(out)  # expanded, not simplified: the callers simplify the differences they return


@derivation
def derive_dsm_gap_gaussian() -> dict[str, sp.Expr]:
    """1-D Gaussian data ``N(m, c)`` and the linear model ``s(x) = a x + b``: the DSM objective minus
    the explicit objective, in closed form, minus ``1/σ² - 1/(c + σ²)`` (= ``d/σ² - J(q_σ)``): 0.

    Also ``½ explicit - implicit - ½ J`` (score.fisher_divergence, ``tr ∇s = a``): 0.
    """
    a, b, m = sp.symbols("a b m", real=True)
    c, s = sp.symbols("c sigma", positive=True)
    x0, e = sp.symbols("x0 e", real=True)
    xs = x0 + s * e
    dsm = _gaussian_expectation((a * xs + b + e / s) ** 2, {x0: (m, c), e: (0, 1)})
    y = sp.Symbol("y", real=True)  # y ~ q_σ = N(m, c + σ²)
    true_score = -(y - m) / (c + s**2)
    explicit = _gaussian_expectation((a * y + b - true_score) ** 2, {y: (m, c + s**2)})
    fisher = _gaussian_expectation(true_score**2, {y: (m, c + s**2)})
    implicit = _gaussian_expectation((a * y + b) ** 2 / 2 + a, {y: (m, c + s**2)})
    return {"dsm_gap": sp.simplify(dsm - explicit - (1 / s**2 - 1 / (c + s**2))),
            "fisher_information": sp.simplify(fisher - 1 / (c + s**2)),
            "implicit_gap": sp.simplify(explicit / 2 - implicit - fisher / 2)}
