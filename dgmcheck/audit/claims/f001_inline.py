"""Claims of 001 stated outside display formulas: inline formulas, table rows and claims made in words.

Each claim quotes the statements it holds (ids of :mod:`dgmcheck.audit.statements`, ``"001:<line>:i<k>"`` /
``":t"`` / ``":p"``); ``SCOPE`` maps every such id of 001 that the rules of :mod:`dgmcheck.audit.scope` leave
open to its claim id, or to ``"not_a_claim:<reason>"``. 001's notation: ``alpha_t = 1 - beta_t``,
``abar_t = prod_{j=1}^t alpha_j`` (001 "Forward diffusion process", line 166), steps ``t = 1..T``.

:func:`stated` and :func:`scoped` build such claims; the other ``f00N_inline`` modules reuse them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np
import sympy as sp
from scipy import integrate, stats

from dgmcheck.audit.formulas import Place, load_index
from dgmcheck.audit.model import (
    Claim,
    all_of,
    holds_if,
    imprecise,
    num_compare,
    num_equal,
    points,
    slip,
    sym_equal,
)
from dgmcheck.audit.statements import load_statements
from dgmcheck.theory import ddpm, sde
from dgmcheck.theory import latent as lat
from dgmcheck.theory import linear_gaussian as lg

_BETAS = np.array([0.1, 0.2, 0.3, 0.25])
#: DDPM's linear schedule as 001 states it ("beta_t in [0.0001, 0.02]", "T = 1000", line 159).
_DDPM_BETAS = np.linspace(1e-4, 0.02, 1000)


def stated(cid: str, sids: Sequence[str], *, meaning: str, check: Callable[[], object] | None = None,
           kind: str = "claim", corrected: str = "", theorem: str | None = None, note: str = "") -> Claim:
    """A :class:`Claim` quoting the indexed statements ``sids``: inline formulas as ``$...$``, table rows and
    prose as written; its places are every place of every statement."""
    index = load_statements()
    texts, places = [], []
    for sid in sids:
        if sid not in index:
            raise ValueError(f"sids: {sid!r} is not a statement id of the shipped index")
        s = index[sid]
        texts.append(f"${s.text}$" if s.kind == "inline" else s.text)
        places.extend(p for p in s.places if p not in places)
    return Claim(id=cid, kind=kind, meaning=meaning, check=check, theorem=theorem, corrected=corrected,
                 text=" | ".join(texts), places=tuple(sorted(places, key=lambda p: (p.file, p.line))), note=note)


def scoped(entries: Sequence[tuple[Sequence[str], Claim]],
           others: dict[str, str]) -> tuple[list[Claim], dict[str, str]]:
    """``CLAIMS`` and ``SCOPE`` of a module from ``(statement ids, claim)`` pairs and explicit other entries
    (statement id -> an existing claim id or ``"not_a_claim:<reason>"``)."""
    claims, scope = [], dict(others)
    for sids, claim in entries:
        claims.append(claim)
        for sid in sids:
            if sid in scope:
                raise ValueError(f"statement {sid} is classified twice")
            scope[sid] = claim.id
    return claims, scope


def line_place(file: str, line: int) -> Place:
    """The :class:`Place` (file, lecture, slide, line) of a line that holds an indexed formula or statement."""
    for p in [p for f in load_index().values() for p in f.places] + [
            p for s in load_statements().values() for p in s.places]:
        if p.file == file and p.line == line:
            return p
    raise ValueError(f"line {file}:{line} holds no indexed display formula or statement")


def _abar(betas: np.ndarray) -> np.ndarray:
    """``[abar_0 = 1, abar_1, ..., abar_T]``."""
    return np.concatenate([[1.0], np.cumprod(1.0 - np.asarray(betas, dtype=float))])


# ------------------------------------------------------------------------------------------------- forward
def _t_to_infinity():
    # KL(q(x_T | x_0) || N(0, 1)) for a constant beta (sum beta_t = inf) vs a summable schedule
    def kl(x0: float, betas: np.ndarray) -> float:
        coef, var = ddpm.forward_marginal(betas, len(betas))
        return lg.gaussian_kl(coef * x0, var, 0.0, 1.0)
    pts = [{"x0": x} for x in (-3.0, 0.5, 4.0)]
    inside = num_compare(lambda x0: kl(x0, np.full(5000, 0.02)), "<", lambda x0: 1e-12, pts,
                         what="KL(q(x_T|x_0) || N(0,1)), beta_t = 0.02, T = 5000")
    outside = num_compare(lambda x0: kl(x0, 0.5 / np.arange(1, 5001) ** 2), "<", lambda x0: 1e-12, pts,
                          what="KL(q(x_T|x_0) || N(0,1)), beta_t = 1/(2 t^2) (summable), T = 5000")
    return holds_if("sum_t beta_t = infinity (e.g. beta_t >= beta_min > 0)", inside, outside)


def _beta_open_interval():
    # inside (0, 1): the kernel N(sqrt(1 - beta) x, beta) is a proper Gaussian that keeps some of x (both > 0)
    # and preserves unit variance; at either end it degenerates (beta = 0: no noise; beta = 1: x forgotten)
    inner = points(20, seed=11, beta=(1e-6, 1 - 1e-6))
    proper = num_compare(lambda beta: min(beta, 1.0 - beta), ">", lambda beta: 0.0, inner,
                         what="min(variance beta, squared coefficient 1 - beta) of the kernel")
    vp = num_equal(lambda beta: (1 - beta) * 1.0 + beta, lambda beta: 1.0, inner,
                   what="Var x_t = (1 - beta) Var x_{t-1} + beta with Var x_{t-1} = 1")
    ends = num_compare(lambda beta: min(beta, 1.0 - beta), "==", lambda beta: 0.0, [{"beta": 0.0}, {"beta": 1.0}],
                       what="the kernel degenerates at beta = 0 and beta = 1")
    return all_of(proper, vp, ends)


def _ddpm_linear_schedule():
    rng = num_compare(lambda: float(np.ptp(_DDPM_BETAS) - (0.02 - 1e-4)), "==", lambda: 0.0, [{}],
                      what="the linear schedule spans [0.0001, 0.02]")
    steps = num_compare(lambda: len(_DDPM_BETAS), "==", lambda: 1000, [{}], what="T = 1000 steps")
    prior = num_compare(lambda: _abar(_DDPM_BETAS)[-1], "<", lambda: 1e-4, [{}],
                        what="abar_T of that schedule (x_T close to N(0, I) needs abar_T close to 0)")
    return all_of(rng, steps, prior)


def _abar_upper_T():
    T = len(_BETAS)
    alphas = 1.0 - _BETAS
    steps = [{"t": t} for t in range(1, T + 1)]
    written = num_equal(lambda t: float(np.prod(alphas[:T])), lambda t: float(np.prod(alphas[:t])), steps,
                        what="prod_{i=1}^T alpha_i (as printed) vs abar_t = prod_{j=1}^t alpha_j (line 166)")
    corrected = num_equal(lambda t: float(np.prod(alphas[:t])), lambda t: 1 - ddpm.forward_marginal(_BETAS, t)[1],
                          steps, what="prod_{i=1}^t alpha_i vs abar_t of q(x_t|x_0) (ddpm.forward_marginal)")
    return slip(written, corrected, evidence=[line_place("001", 229), line_place("001", 166), line_place("001", 168)],
                why="line 229, three lines on, writes beta_tilde_t with abar_{t-1} and abar_t, which a product up to "
                    "T would make equal; line 166 defines abar_t = prod_{j=1}^t alpha_j: the upper limit T is a "
                    "typo for t")


def _merged_gaussian():
    a1, a2 = sp.symbols("alpha_t alpha_tm1", positive=True)
    std = sym_equal(sp.sqrt((1 - a1) + a1 * (1 - a2)), sp.sqrt(1 - a1 * a2), what="merged standard deviation")

    def composed(xt, x, a_t, a_p):  # int q(x_t | y) q(y | x_{t-2}) dy by quadrature
        return integrate.quad(lambda y: stats.norm.pdf(xt, np.sqrt(a_t) * y, np.sqrt(1 - a_t))
                              * stats.norm.pdf(y, np.sqrt(a_p) * x, np.sqrt(1 - a_p)), -15, 15, epsabs=1e-14)[0]

    def gaussian(xt, x, a_t, a_p):
        return stats.norm.pdf(xt, np.sqrt(a_t * a_p) * x, np.sqrt(1 - a_t * a_p))
    dens = num_equal(composed, gaussian, points(6, seed=12, xt=(-2, 2), x=(-2, 2), a_t=(0.5, 0.99), a_p=(0.5, 0.99)),
                     what="q(x_t|x_{t-2}) by quadrature vs N(sqrt(alpha_t alpha_{t-1}) x, 1 - alpha_t alpha_{t-1})")
    return all_of(std, dens)


def _abar_decreasing():
    # any beta_t in (0, 1), in any order (not sorted): abar_t strictly decreases
    draws = [{"betas": b} for b in np.random.default_rng(13).uniform(0.001, 0.999, size=(20, 8))]
    return num_compare(lambda betas: float(np.max(np.diff(_abar(betas)[1:]))), "<", lambda betas: 0.0, draws,
                       what="max_t (abar_{t+1} - abar_t) for unsorted beta_t in (0, 1)")


def _q_xT_exact():
    # data x_0 ~ N(2, 0.5^2): q(x_T) = N(sqrt(abar_T) 2, abar_T 0.25 + 1 - abar_T); DDPM's schedule vs a longer one
    def moments(m, s2, betas):
        coef, var = ddpm.forward_marginal(betas, len(betas))
        return np.array([coef * m, coef ** 2 * s2 + var])
    exact = num_equal(lambda m, s2: moments(m, s2, _DDPM_BETAS), lambda m, s2: np.array([0.0, 1.0]),
                      [{"m": 2.0, "s2": 0.25}], what="(mean, variance) of q(x_T) (DDPM's schedule) vs N(0, 1)")
    limit = num_compare(lambda m, s2: float(np.max(np.abs(moments(m, s2, np.full(5000, 0.02)) - [0.0, 1.0]))), "<",
                        lambda m, s2: 1e-12, [{"m": 2.0, "s2": 0.25}, {"m": -5.0, "s2": 9.0}],
                        what="|moments of q(x_T) - (0, 1)| for beta_t = 0.02, T = 5000 (abar_T -> 0)")
    return imprecise(exact, limit, evidence=[line_place("001", 159), line_place("001", 185)],
                     why="q(x_T) = N(0, I) holds only in the limit abar_T -> 0; p_theta(x_T) = N(0, I) is the "
                         "model's choice, and x_T ~ N(0, I) is used for sampling because q(x_T) is close to it")


def _sde_prior_exact():
    # VP SDE dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw, beta(t) = 0.1 + 19.9 t, x(0) ~ N(2, 0.25): p_T at T = 1
    # (exact reading) and at T = 3 (the gap -> 0 as int_0^T beta -> infinity)
    def moments(m, s2, T):
        coef, v = sde.moments_quadrature(lambda t: -0.5 * (0.1 + 19.9 * t), lambda t: 0.1 + 19.9 * t, T, 1.0, 0.0)
        return np.array([coef * m, coef ** 2 * s2 + v])
    exact = num_equal(lambda m, s2: moments(m, s2, 1.0), lambda m, s2: np.array([0.0, 1.0]), [{"m": 2.0, "s2": 0.25}],
                      what="(mean, variance) of p_T for the VP SDE (beta from 0.1 to 20 on [0, 1]) vs N(0, 1)")
    limit = num_compare(lambda m, s2: float(np.max(np.abs(moments(m, s2, 3.0) - [0.0, 1.0]))), "<",
                        lambda m, s2: 1e-12, [{"m": 2.0, "s2": 0.25}],
                        what="|moments of p_T - (0, 1)| at T = 3 (int beta = 89.85)")
    return imprecise(exact, limit, evidence=[line_place("001", 579)],
                     why="p_T is N(0, I) only as int_0^T beta(t) dt -> infinity; the reverse SDE is started from "
                         "N(0, I) as an approximation of p_T")


def _marginal_over_x1T():
    # a discrete reverse chain (K = 3 states, T = 3): summing p(x_T) prod_{t=1}^T p(x_{t-1}|x_t), enumerated in the
    # order x_T -> x_{T-1} -> ... -> x_0, over x_1..x_T gives p(x_0) (propagating the law through t = T..1)
    rng = np.random.default_rng(14)
    K, T = 3, 3
    prior = rng.dirichlet(np.ones(K))
    kernels = [rng.dirichlet(np.ones(K), size=K) for _ in range(T)]  # kernels[t-1][x_t, x_{t-1}]

    def by_sum(x0):
        total = 0.0
        for path in itertools.product(range(K), repeat=T):  # (x_T, ..., x_1)
            states = [*path, x0]
            p = prior[states[0]]
            for k in range(T):
                t = T - k
                p *= kernels[t - 1][states[k], states[k + 1]]
            total += p
        return total

    def propagated(x0):
        law = prior
        for t in range(T, 0, -1):
            law = law @ kernels[t - 1]
        return law[x0]
    return num_equal(by_sum, propagated, [{"x0": k} for k in range(K)],
                     what="sum over x_{1:T} of the joint vs the law propagated from t = T down to t = 1")


def _q_given_x0_unknown():
    # as written (x = x_0): "unknown" would mean no closed form, but the chain's q(x_{t-1}|x_0) (by recursion) is
    # N(sqrt(abar_{t-1}) x_0, 1 - abar_{t-1}); corrected (x_t): q(x_{t-1}|x_t) depends on the unknown q(x_0)
    def gap(t):
        mean, var = 1.0, 0.0
        for b in _BETAS[:t - 1]:
            mean, var = np.sqrt(1 - b) * mean, (1 - b) * var + b
        coef, closed_var = ddpm.forward_marginal(_BETAS, t - 1)
        return max(abs(mean - coef), abs(var - closed_var))
    steps = [{"t": t} for t in (2, 3, 4)]
    written = num_compare(gap, ">", lambda t: 1e-9, steps,
                          what="|recursion - closed form| of q(x_{t-1}|x_0) (0 means it is known in closed form)")

    def reverse_mean(t, m):  # E[x_{t-1} | x_t = 0.5] for data x_0 ~ N(m, 1): joint Gaussian of (x_{t-1}, x_t)
        c1, v1 = ddpm.forward_marginal(_BETAS, t - 1)
        a = 1 - _BETAS[t - 1]
        mean1, var1 = c1 * m, c1 ** 2 + v1
        cov = np.sqrt(a) * var1
        return mean1 + cov / (a * var1 + _BETAS[t - 1]) * (0.5 - np.sqrt(a) * mean1)
    corrected = num_compare(lambda t: abs(reverse_mean(t, 1.0) - reverse_mean(t, -1.0)), ">", lambda t: 1e-3, steps,
                            what="|E[x_{t-1}|x_t] for data N(1, 1) - for data N(-1, 1)| (depends on q(x_0))")
    return slip(written, corrected, evidence=[line_place("001", 274), line_place("001", 187), line_place("001", 209)],
                why="line 274, twelve lines before, names the kernel the network learns, p_theta(x_{t-1} | x_t), "
                    "whose target is q(x_{t-1} | x_t); lines 187 and 209 say q(x_{t-1} | x_t) cannot be "
                    "computed (it needs the whole data set); "
                    "q(x_{t-1} | x) with x = x_0 is the forward marginal, known in closed form")


def _vlb_index_range():
    # L_VLB = L_T + sum_{t=1}^{T-1} L_t + L_0 with L_t = E KL(q(x_t|x_{t+1},x_0) || p(x_t|x_{t+1})), computed
    # term by term for a 1-D linear reverse chain, vs -ELBO of linear_gaussian.elbo
    T = len(_BETAS)
    a, b, v = np.array([0.9, 0.8, 0.85, 0.7]), np.array([0.1, -0.2, 0.05, 0.3]), np.array([0.05, 0.12, 0.2, 0.25])
    chain = lg.LinearReverseChain(a, b, v)
    ab = _abar(_BETAS)

    def slide(x0):
        total = lg.gaussian_kl(np.sqrt(ab[T]) * x0, 1 - ab[T], 0.0, 1.0)  # L_T
        for t in range(1, T):  # 1 <= t <= T-1: posterior of x_t given x_{t+1}, x_0
            c0, ct, var = ddpm.posterior(_BETAS, t + 1)
            m, s = np.sqrt(ab[t + 1]) * x0, 1 - ab[t + 1]  # x_{t+1} | x_0
            d_lin, d_off = ct - a[t], c0 * x0 - b[t]  # mu_q - mu_p = d_lin x_{t+1} + d_off
            sq = (d_lin * m + d_off) ** 2 + d_lin ** 2 * s
            total += 0.5 * (np.log(v[t] / var) + (var + sq) / v[t] - 1)
        m1, s1 = np.sqrt(ab[1]) * x0, 1 - ab[1]  # L_0 = -E log p(x_0 | x_1)
        total += 0.5 * np.log(2 * np.pi * v[0]) + ((x0 - a[0] * m1 - b[0]) ** 2 + a[0] ** 2 * s1) / (2 * v[0])
        return total
    return num_equal(slide, lambda x0: -lg.elbo(chain, _BETAS, np.array([x0])), [{"x0": x} for x in (-1.0, 0.3, 2.0)],
                     what="L_T + sum_{t=1}^{T-1} L_t + L_0 vs -ELBO (linear_gaussian.elbo)")


def _x_t_printed():
    steps = [{"t": t} for t in (1, 2, 3)]
    written = num_equal(lambda t: np.sqrt(1 - _BETAS[t - 1]), lambda t: ddpm.forward_marginal(_BETAS, t)[0], steps,
                        what="coefficient of x_0 in x_t: sqrt(alpha_t) (as printed) vs sqrt(abar_t)")
    a, _ = sde.ddpm_chain_moments(_BETAS)
    corrected = num_equal(lambda t: np.sqrt(_abar(_BETAS)[t]), lambda t: a[t], steps,
                          what="sqrt(abar_t) vs the coefficient of x_0 after t chain steps (sde.ddpm_chain_moments)")
    return slip(written, corrected, evidence=[line_place("001", 231), line_place("001", 229), line_place("001", 168)],
                why="the same sentence (line 231) gives the noise coefficient sqrt(1 - abar_t), which with "
                    "unit-variance x_t needs sqrt(abar_t) on x_0; line 229 and the display of line 168 derive "
                    "x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps; the bar is lost "
                    "on sqrt(alpha_t) only")


def _x0_printed():
    # x_t from the true marginal, then x_0 recovered by the printed 1/sqrt(alpha_t) and by 1/sqrt(abar_t)
    def recovered(t, x0, eps, abar):
        c, var = ddpm.forward_marginal(_BETAS, t)
        xt = c * x0 + np.sqrt(var) * eps
        return (xt - np.sqrt(var) * eps) / np.sqrt(_abar(_BETAS)[t] if abar else 1 - _BETAS[t - 1])
    pts = [{"t": 2, "x0": 1.5, "eps": 0.3}, {"t": 3, "x0": -0.7, "eps": 1.1}]
    written = num_equal(lambda t, x0, eps: recovered(t, x0, eps, False), lambda t, x0, eps: x0, pts,
                        what="x_0 by the printed inversion vs x_0")
    corrected = num_equal(lambda t, x0, eps: recovered(t, x0, eps, True), lambda t, x0, eps: x0, pts,
                          what="x_0 by 1/sqrt(abar_t)(x_t - sqrt(1 - abar_t) eps_t) vs x_0")
    return slip(written, corrected, evidence=[line_place("001", 168), line_place("001", 233)],
                why="the inversion of x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_t (line 168) divides by "
                    "sqrt(abar_t); the display of line 233 carries the same 1/sqrt(alpha_t)")


def _mu_tilde_printed():
    # mu~_t: the posterior mean c_0 x_0 + c_t x_t (ddpm.posterior), x_0 = (x_t - sqrt(1 - abar_t) eps)/sqrt(abar_t)
    def from_posterior(t, xt, eps):
        c0, ct, _ = ddpm.posterior(_BETAS, t)
        ab = _abar(_BETAS)[t]
        return c0 * (xt - np.sqrt(1 - ab) * eps) / np.sqrt(ab) + ct * xt

    def printed(t, xt, eps):
        a = 1 - _BETAS[t - 1]
        return (xt - (1 - a) / np.sqrt(1 - a) * eps) / np.sqrt(a)

    def barred(t, xt, eps):
        a, ab = 1 - _BETAS[t - 1], _abar(_BETAS)[t]
        return (xt - (1 - a) / np.sqrt(1 - ab) * eps) / np.sqrt(a)
    pts = [{"t": 2, "xt": 0.8, "eps": 0.5}, {"t": 3, "xt": -0.4, "eps": 1.2}]
    written = num_equal(printed, from_posterior, pts, what="mu~_t with sqrt(1 - alpha_t) (as printed) vs the posterior "
                                                           "mean in terms of eps")
    corrected = num_equal(barred, from_posterior, pts, what="mu~_t with sqrt(1 - abar_t) vs the posterior mean")
    return slip(written, corrected, evidence=[line_place("001", 233), line_place("001", 361)],
                why="the display of line 233 derives mu~_t = 1/sqrt(alpha_t)(x_t - (1 - alpha_t)/sqrt(1 - abar_t) "
                    "eps_t) and the L_t display of line 361 uses the same")


def _sampling_step():
    def printed(t, xt, eps):
        a, ab = 1 - _BETAS[t - 1], _abar(_BETAS)[t]
        return (xt - (1 - a) / np.sqrt(1 - ab) * eps) / np.sqrt(a)

    def true(t, xt, eps):
        cx, ce = ddpm.eps_mean(_BETAS, t)
        return cx * xt + ce * eps
    mean = num_equal(printed, true, [{"t": t, "xt": 0.8, "eps": -0.5} for t in (1, 2, 3, 4)],
                     what="mean of the sampling step vs ddpm.eps_mean")
    last = num_compare(lambda t: float(ddpm.posterior(_BETAS, t)[2]), "==", lambda t: 0.0, [{"t": 1}],
                       what="beta~_1 (z = 0 at t = 1 is exact for sigma_t^2 = beta~_t)")
    rest = num_compare(lambda t: float(ddpm.posterior(_BETAS, t)[2]), ">", lambda t: 0.0,
                       [{"t": t} for t in (2, 3, 4)], what="beta~_t for t > 1 (noise z ~ N(0, I) needed)")
    return all_of(mean, last, rest)


def _training_t_range():
    # every t of {1..T} has 1 - abar_t > 0, so the eps-target sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps carries noise
    # and the L_t weight (1 - alpha_t)^2 / (alpha_t (1 - abar_t)) is finite; t = 0 (abar_0 = 1) would have neither
    ab = _abar(_BETAS)
    inside = num_compare(lambda t: 1 - ab[t], ">", lambda t: 0.0, [{"t": t} for t in range(1, len(_BETAS) + 1)],
                         what="1 - abar_t for t in {1..T}")
    zero = num_compare(lambda t: 1 - ab[t], "==", lambda t: 0.0, [{"t": 0}], what="1 - abar_0 (t = 0 excluded)")
    return all_of(inside, zero)


def _lambda_sigma_sq():
    # lambda(i) = sigma_i^2 > 0 and lambda(i) E ||grad log N(x~; x, sigma^2 I)||^2 = D: one scale for every term
    z, s = sp.symbols("z sigma", positive=True)
    dens = sp.exp(-z ** 2 / (2 * s ** 2)) / sp.sqrt(2 * sp.pi * s ** 2)
    per_dim = sp.integrate((z / s ** 2) ** 2 * dens, (z, -sp.oo, sp.oo))
    scale = sym_equal(s ** 2 * per_dim, 1, what="sigma^2 E (d/dx~ log N(x~; x, sigma^2))^2 per dimension")
    pos = num_compare(lambda sigma: sigma ** 2, ">", lambda sigma: 0.0, points(10, seed=15, sigma=(0.01, 50)),
                      what="lambda(i) = sigma_i^2")
    return all_of(scale, pos)


def _drift_positive():
    # the VP drift f(x, t) = -1/2 beta(t) x of 001's own SDE slides (line 680 reading) has negative entries
    pts = points(10, seed=16, x1=(-2, 2), x2=(-2, 2), t=(0, 1))

    def drift(x1, x2, t):
        return -0.5 * (0.1 + 19.9 * t) * np.array([x1, x2])
    written = num_compare(lambda x1, x2, t: float(np.min(drift(x1, x2, t))), ">=", lambda x1, x2, t: 0.0, pts,
                          what="min entry of the VP drift -1/2 beta(t) x (R_+^d needs >= 0)")
    corrected = num_compare(lambda x1, x2, t: float(np.all(np.isfinite(drift(x1, x2, t)))), "==",
                            lambda x1, x2, t: 1.0, pts, what="the VP drift is a finite real vector (in R^d)")
    return slip(written, corrected, evidence=[line_place("001", 547), line_place("001", 550), line_place("001", 598),
                                              line_place("001", 682)],
                why="line 547, three lines before, defines the general SDE whose drift f(x_t, t) is any vector field, "
                    "and the drift of the slides' own VP SDE (-1/2 beta(t) x, lines 598 and 682) takes both signs; "
                    "the subscript + does not belong to the drift (g(t) in R, next to it, is right)")


def _exp_sde_variance():
    # dx = e^t dw: mean unchanged (zero-mean noise), Var x(t) - Var x(0) = (e^{2t} - 1)/2
    def moments(t):
        return np.array(sde.moments_quadrature(lambda u: 0.0, lambda u: np.exp(2 * u), t, 1.0, 0.0))
    closed = num_equal(moments, lambda t: np.array([1.0, (np.exp(2 * t) - 1) / 2]), [{"t": t} for t in (0.5, 1, 3)],
                       what="(mean factor, added variance) of dx = e^t dw vs (1, (e^{2t} - 1)/2)")
    growth = num_compare(lambda t: moments(t + 1)[1] / moments(t)[1], ">", lambda t: np.exp(2) * 0.99,
                         [{"t": t} for t in (3.0, 5.0)], what="Var(t + 1) / Var(t) (tends to e^2)")
    return all_of(closed, growth)


def check_wiener_increments():
    # on a grid (w(0) = 0): Var(w_{t+u} - w_t) = u and Cov(w_{t+u} - w_t, w_s) = 0 for s < t (Gaussian: independent)
    ts = np.array([0.0, 0.3, 0.7, 1.2, 2.0, 2.5])
    C = sde.brownian_covariance(ts)

    def cov_inc(i, j, k):  # increment w(ts[j]) - w(ts[i]) with past value w(ts[k])
        return C[j, k] - C[i, k]

    def var_inc(i, j):
        return C[j, j] - 2 * C[i, j] + C[i, i]
    pairs = [(i, j) for i in range(len(ts)) for j in range(i + 1, len(ts))]
    var = num_equal(lambda i, j: var_inc(i, j), lambda i, j: ts[j] - ts[i], [{"i": i, "j": j} for i, j in pairs],
                    what="Var(w_{t+u} - w_t) vs u")
    indep = num_equal(lambda i, j, k: cov_inc(i, j, k), lambda i, j, k: 0.0,
                      [{"i": i, "j": j, "k": k} for i, j in pairs for k in range(i + 1)],
                      what="Cov(w_{t+u} - w_t, w_s) for s <= t")
    start = num_compare(lambda: C[0, 0], "==", lambda: 0.0, [{}], what="Var w_0")
    return all_of(var, indep, start)


def _conditionally_gaussian():
    # "only for t > 0 and given x_0": q(x_2 | x_0) by composing kernels (quadrature) is N(sqrt(abar_2) x_0, 1 - abar_2),
    # while q(x_0) itself (a two-mode data law) is not the Gaussian with its mean and variance
    ab = _abar(_BETAS)

    def composed(x2, x0):
        return integrate.quad(lambda y: stats.norm.pdf(x2, np.sqrt(1 - _BETAS[1]) * y, np.sqrt(_BETAS[1]))
                              * stats.norm.pdf(y, np.sqrt(1 - _BETAS[0]) * x0, np.sqrt(_BETAS[0])), -15, 15,
                              epsabs=1e-14)[0]
    gaussian = num_equal(composed, lambda x2, x0: stats.norm.pdf(x2, np.sqrt(ab[2]) * x0, np.sqrt(1 - ab[2])),
                         points(5, seed=17, x2=(-2, 2), x0=(-2, 2)), what="q(x_2|x_0) vs its Gaussian")

    def data(x):
        return 0.5 * stats.norm.pdf(x, -2, 0.5) + 0.5 * stats.norm.pdf(x, 2, 0.5)
    only = num_compare(lambda x: abs(data(x) - stats.norm.pdf(x, 0, np.sqrt(4.25))), ">", lambda x: 1e-3,
                       [{"x": 0.0}, {"x": 2.0}], what="|q(x_0) (two modes) - the Gaussian with its moments|")
    return all_of(gaussian, only)


def _vp_drift_printed():
    # 001 line 598: x_t = x_{t-1} - beta(t) dt/2 x_{t-1} + ..., i.e. drift (mean increment / dt) -1/2 beta(t) x
    x, b, dt = sp.symbols("x beta Delta_t", positive=True)
    from_598 = ((x - b * dt / 2 * x) - x) / dt
    written = sym_equal(-b / 2, from_598, what="printed drift -1/2 beta(t) vs the mean increment / dt of line 598")
    corrected = sym_equal(-b / 2 * x, from_598, what="-1/2 beta(t) x vs the mean increment / dt of line 598")
    return slip(written, corrected, evidence=[line_place("001", 598), line_place("001", 682)],
                why="line 598 discretises the VP SDE with drift -1/2 beta(t) x_{t-1}; the x is dropped only here")


def _vp_diffusion():
    b = sp.symbols("beta", positive=True)
    dt = sp.symbols("Delta_t", positive=True)
    return sym_equal(sp.sqrt(b) ** 2 * dt, b * dt, what="g(t)^2 dt vs the noise variance beta(t) dt of line 598")


# ------------------------------------------------------------------------------------------------- table
_W = np.array([[1.0, 0.3], [-0.4, 0.8], [0.2, 0.5]])  # D = 3, L = 2
_B = np.array([0.1, -0.2, 0.3])
_PSI = np.array([0.3, 0.5, 0.2])


def check_vae_row():
    # density "LB": the ELBO of any Gaussian q(z) = N(m, S) on z in R^L is <= log p(x), = at the posterior
    x = np.array([0.4, -0.3, 1.1])
    qs = [{"m": np.array(m), "S": np.diag(s)} for m, s in (([0.0, 0.0], [1.0, 1.0]), ([0.5, -0.2], [0.3, 0.6]))]
    bound = num_compare(lambda m, S: lat.lg_elbo(_W, _B, _PSI, x, m, S), "<=",
                        lambda m, S: lat.lg_log_marginal(_W, _B, _PSI, x), qs, what="ELBO vs log p(x), z in R^2")
    m, S = lat.lg_posterior(_W, _B, _PSI, x)
    tight = num_equal(lambda: lat.lg_elbo(_W, _B, _PSI, x, m, S), lambda: lat.lg_log_marginal(_W, _B, _PSI, x), [{}],
                      what="ELBO at the true posterior vs log p(x)")
    return all_of(bound, tight)


def _flow_row():
    # density "Exact", latents R^D: x = A z + b with A invertible D x D: change of variables = N(b, A A^T)
    A = np.array([[1.2, 0.3, 0.0], [-0.5, 0.9, 0.4], [0.2, 0.1, 0.7]])

    def cov(x1, x2, x3):
        x = np.array([x1, x2, x3])
        z = np.linalg.solve(A, x - _B)
        return float(stats.multivariate_normal.logpdf(z, np.zeros(3)) - np.log(abs(np.linalg.det(A))))
    return num_equal(cov, lambda x1, x2, x3: float(stats.multivariate_normal.logpdf([x1, x2, x3], _B, A @ A.T)),
                     points(4, seed=19, x1=(-2, 2), x2=(-2, 2), x3=(-2, 2)),
                     what="log p(x) by change of variables vs the exact Gaussian log-density")


def check_diffusion_row():
    # density "LB": the diffusion ELBO <= log p_theta(x_0); latents R^D: x_t has x_0's dimension
    chain = lg.LinearReverseChain(np.array([[0.9, 0.8]] * 4), np.zeros((4, 2)), np.full((4, 2), 0.2))
    pts = [{"x0": np.array(x)} for x in ([0.3, -1.0], [1.5, 0.2])]
    bound = num_compare(lambda x0: lg.elbo(chain, _BETAS, x0), "<=", lambda x0: lg.log_likelihood(chain, x0), pts,
                        what="diffusion ELBO vs exact log p_theta(x_0)")
    dim = num_compare(lambda x0: np.shape(ddpm.forward_marginal(_BETAS, 2)[0] * x0)[0], "==", lambda x0: len(x0), pts,
                      what="dimension of x_t vs dimension of x_0")
    return all_of(bound, dim)


def _gan_row():
    # density "N/A", latents R^L (L < D): G(z) = W z pushes N(0, I_L) to N(0, W W^T), singular in R^D: no density
    return num_compare(lambda: abs(float(np.linalg.det(_W @ _W.T))), "<", lambda: 1e-12, [{}],
                       what="det of the covariance W W^T of the generated law (D = 3, L = 2)")


def _chain_rule_rows():
    # "Exact" likelihood of directed models: an autoregressive chain p(x_1) p(x_2|x_1) p(x_3|x_1,x_2) (ARM) and a
    # DAG x_1 -> x_3 <- x_2 (PGM-D) with random binary conditionals: the product is a normalised joint whose
    # conditionals are the given ones (enumeration of all 8 states)
    rng = np.random.default_rng(23)
    p1, p2_given, p3_given = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9, 2), rng.uniform(0.1, 0.9, (2, 2))

    def bern(p, x):
        return p if x == 1 else 1 - p

    def joint(x1, x2, x3, dag):
        second = bern(p2_given[0], x2) if dag else bern(p2_given[x1], x2)
        return bern(p1, x1) * second * bern(p3_given[x1, x2], x3)
    states = list(itertools.product((0, 1), repeat=3))
    cases = [{"dag": d} for d in (False, True)]
    total = num_equal(lambda dag: sum(joint(*x, dag) for x in states), lambda dag: 1.0, cases,
                      what="sum of the product of conditionals over all states")
    conditional = num_equal(lambda dag: np.array([joint(a, b, 1, dag) / (joint(a, b, 0, dag) + joint(a, b, 1, dag))
                                                  for a in (0, 1) for b in (0, 1)]),
                            lambda dag: p3_given.ravel(), cases, what="p(x_3 = 1 | x_1, x_2) from the joint")
    return all_of(total, conditional)


_NOT_COMPUTED = ("The speed, sampling, training and architecture columns are descriptions of practice, "
                 "which no computation decides; the check covers the density and latent-space cells.")

_ENTRIES: list[tuple[Sequence[str], Claim]] = [
    (["001:35:p"], stated(
        "001.inline.data_unknown", ["001:35:p"], kind="definition",
        meaning="The premise of the lecture: the data law p_d is not available, only samples.")),
    (["001:43:i3", "001:130:i1", "001:137:i1", "001:185:i2", "001:238:i1", "001:383:i1", "001:401:i1"], stated(
        "001.inline.sampling_notation",
        ["001:43:i3", "001:130:i1", "001:137:i1", "001:185:i2", "001:238:i1", "001:383:i1", "001:401:i1"],
        kind="definition", meaning="Which law a sample is drawn from (data, model, prior, training and sampling "
                                   "noise); q(x_0) = p_d(x) names the data law as the chain's start.")),
    (["001:98:p"], stated(
        "001.inline.inference_is_reverse", ["001:98:p"], kind="definition",
        meaning="Sampling from the trained model is defined as running the reverse chain.")),
    (["001:142:p"], stated(
        "001.inline.x_T_gaussian_limit", ["001:142:p"], check=_t_to_infinity, theorem="ddpm.forward_marginal",
        meaning="q(x_T | x_0) = N(sqrt(abar_T) x_0, (1 - abar_T) I) tends to N(0, I) as T -> infinity; checked as "
                "KL(q(x_T|x_0) || N(0, I)) at T = 5000 for a constant and for a summable schedule.")),
    (["001:150:i2"], stated(
        "001.inline.beta_range", ["001:150:i2"], check=_beta_open_interval,
        meaning="beta_t in (0, 1) against the kernel N(sqrt(1 - beta_t) x_{t-1}, beta_t I) (line 145): the "
                "variance and the squared coefficient are positive and the step preserves unit variance; the "
                "kernel degenerates at both ends.")),
    (["001:159:i1", "001:159:i2"], stated(
        "001.inline.ddpm_linear_schedule", ["001:159:i1", "001:159:i2"], check=_ddpm_linear_schedule,
        meaning="DDPM's linear schedule from 0.0001 to 0.02 over T = 1000 steps; its abar_T is below 1e-4, so "
                "x_T is close to N(0, I) as the slides use.")),
    (["001:166:i2"], stated(
        "001.inline.abar_definition", ["001:166:i2"], kind="definition",
        meaning="abar_t = prod_{j=1}^t alpha_j defines abar_t (001's definition used throughout).")),
    (["001:226:i2"], stated(
        "001.inline.abar_upper_T", ["001:226:i2"], check=_abar_upper_T,
        meaning="The definition repeated on the posterior slide, upper limit T, compared with line 166's "
                "abar_t = prod_{j=1}^t alpha_j at t = 1..T.",
        corrected="\\bar{\\alpha}_t = \\prod_{i=1}^t \\alpha_i")),
    (["001:180:i2", "001:180:p"], stated(
        "001.inline.merged_gaussian", ["001:180:i2", "001:180:p"], check=_merged_gaussian,
        meaning="q(x_t | x_{t-2}) = int q(x_t|x_{t-1}) q(x_{t-1}|x_{t-2}) dx_{t-1} is Gaussian with standard "
                "deviation sqrt((1 - alpha_t) + alpha_t (1 - alpha_{t-1})) = sqrt(1 - alpha_t alpha_{t-1}).")),
    (["001:181:i1"], stated(
        "001.inline.beta_increasing_choice", ["001:181:i1"], kind="definition",
        meaning="'Usually' an increasing schedule is used: a design choice.")),
    (["001:181:i2"], stated(
        "001.inline.abar_decreasing", ["001:181:i2"], check=_abar_decreasing,
        meaning="abar_1 > ... > abar_T, checked for unsorted beta_t in (0, 1).",
        note="It holds for every schedule in (0, 1), not 'hence' from beta_1 < ... < beta_T.")),
    (["001:208:i1", "001:208:p"], stated(
        "001.inline.conditionally_gaussian", ["001:208:i1", "001:208:p"], check=_conditionally_gaussian,
        meaning="For t > 0 and given x_0 the forward variables are Gaussian (q(x_t | x_0) by composing kernels); "
                "x_0 itself follows the data law. The same text 't > 0' also reads as a Wiener time (line 567).")),
]
_ENTRIES += [
    (["001:231:i1"], stated(
        "001.inline.x_t_printed", ["001:231:i1"], check=_x_t_printed, theorem="ddpm.forward_marginal",
        meaning="x_t in terms of x_0 and eps_t, compared with q(x_t|x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) "
                "(line 168).", corrected="\\mathbf{x}_t = \\sqrt{\\bar{\\alpha}_t}\\mathbf{x}_0 + "
                                         "\\sqrt{1 - \\bar{\\alpha}_t}\\boldsymbol{\\epsilon}_t")),
    (["001:231:i2"], stated(
        "001.inline.x0_printed", ["001:231:i2"], check=_x0_printed, theorem="ddpm.forward_marginal",
        meaning="x_0 recovered from x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_t by the printed inversion.",
        corrected="\\mathbf{x}_0 = \\frac{1}{\\sqrt{\\bar{\\alpha}_t}}(\\mathbf{x}_t - "
                  "\\sqrt{1 - \\bar{\\alpha}_t}\\boldsymbol{\\epsilon}_t)")),
    (["001:255:i1"], stated(
        "001.inline.q_xT_exact", ["001:255:i1"], check=_q_xT_exact, theorem="ddpm.forward_marginal",
        meaning="p_theta(x_T) = N(0, I) is the model's choice; q(x_T) = int q(x_T|x_0) q(x_0) dx_0 has mean "
                "sqrt(abar_T) E x_0 and variance abar_T Var x_0 + 1 - abar_T; checked with x_0 ~ N(2, 0.25) and "
                "DDPM's schedule (line 159).",
        corrected="p_\\theta(\\mathbf{x}_T) = \\mathcal{N}(\\mathbf{0}, \\mathbf{I}) \\approx q(\\mathbf{x}_T) "
                  "(equal only in the limit \\bar{\\alpha}_T \\to 0)")),
    (["001:258:i1"], stated(
        "001.inline.sigma_isotropic", ["001:258:i1"], kind="definition",
        meaning="An isotropic covariance Sigma = sigma I; sigma is a variance here (line 350 writes sigma_t^2 I).")),
    (["001:277:i1", "001:277:i2", "001:281:i2"], stated(
        "001.inline.marginal_over_steps", ["001:277:i1", "001:277:i2", "001:281:i2"], check=_marginal_over_x1T,
        meaning="p_theta(x_0) marginalises the reverse chain x_T -> ... -> x_0 over steps t = T down to t = 1 "
                "(x_1..x_T); checked by enumeration on a discrete chain. The text 't = 1' also ends the ODE time "
                "interval [0, 1] of the Euler slides (lines 533, 537), consistent with line 529.")),
    (["001:282:p"], stated(
        "001.inline.trajectory_integral_intractable", ["001:282:p"], kind="definition",
        meaning="A statement about computational cost (no closed form for a neural reverse model), which the "
                "audit records but no computation decides.")),
    (["001:286:p"], stated(
        "001.inline.q_given_x_unknown", ["001:286:p"], check=_q_given_x0_unknown, theorem="ddpm.forward_marginal",
        meaning="Read as written, q(x_{t-1} | x) with x = x_0 is the forward marginal: 'unknown' would mean it has "
                "no closed form; checked by comparing the chain's recursion with N(sqrt(abar_{t-1}) x_0, "
                "(1 - abar_{t-1}) I).",
        corrected="Since q(x_{t-1} | x_t) is unknown (it needs q(x_0)), ... ; q(x_{t-1} | x_0) and "
                  "q(x_{t-1} | x_t, x_0) are Gaussians in closed form")),
    (["001:342:i1"], stated(
        "001.inline.vlb_index_range", ["001:342:i1"], check=_vlb_index_range, theorem="ddpm.posterior",
        meaning="The range of L_t = KL(q(x_t|x_{t+1},x_0) || p_theta(x_t|x_{t+1})): with it, L_T + sum L_t + L_0 "
                "equals -ELBO; checked term by term for a linear reverse chain.")),
    (["001:350:i1", "001:359:i1"], stated(
        "001.inline.reverse_isotropic", ["001:350:i1", "001:359:i1"], kind="definition",
        meaning="The reverse covariance is fixed to sigma_t^2 I.")),
    (["001:350:i3"], stated(
        "001.inline.mu_tilde_printed", ["001:350:i3"], check=_mu_tilde_printed, theorem="ddpm.eps_mean",
        meaning="The training target mu~_t in terms of x_t and eps_t, compared with the posterior mean "
                "(ddpm.eps_mean).",
        corrected="\\tilde{\\boldsymbol{\\mu}}_t = \\frac{1}{\\sqrt{\\alpha_t}} \\left( \\mathbf{x}_t - "
                  "\\frac{1-\\alpha_t}{\\sqrt{1-\\bar{\\alpha}_t}} \\boldsymbol{\\epsilon}_t \\right)")),
    (["001:374:i1"], stated(
        "001.inline.simple_objective", ["001:374:i1"], kind="definition",
        meaning="L_simple is defined as L_t^simple up to a constant C independent of theta.")),
    (["001:384:i1"], stated(
        "001.inline.training_t_range", ["001:384:i1"], check=_training_t_range,
        meaning="t drawn uniformly from the forward steps {1..T}; at each such t the noised input carries noise "
                "(1 - abar_t > 0), which t = 0 would not.")),
    (["001:400:i1", "001:401:i2", "001:401:i3", "001:402:i1"], stated(
        "001.inline.sampling_loop", ["001:400:i1", "001:401:i2", "001:401:i3", "001:402:i1"], check=_sampling_step,
        theorem="ddpm.eps_mean",
        meaning="Algorithm 2: for t = T..1 the mean 1/sqrt(alpha_t)(x_t - (1 - alpha_t)/sqrt(1 - abar_t) eps) "
                "(ddpm.eps_mean), noise only for t > 1: with sigma_t^2 = beta~_t the last step is deterministic.")),
    (["001:429:i1", "001:430:i1", "001:430:i2"], stated(
        "001.inline.mixture_supports", ["001:429:i1", "001:430:i1", "001:430:i2"], kind="definition",
        meaning="The two-component data law and the supports of its components.")),
    (["001:453:i1", "001:496:i2", "001:580:i3"], stated(
        "001.inline.score_model_targets", ["001:453:i1", "001:496:i2", "001:580:i3"], kind="definition",
        meaning="What the score networks are trained to approximate.")),
    (["001:506:i1", "001:506:i2"], stated(
        "001.inline.lambda_sigma_sq", ["001:506:i1", "001:506:i2"], check=_lambda_sigma_sq,
        meaning="lambda(i) = sigma_i^2 is positive and makes every weighted term of the same scale: "
                "sigma^2 E||grad log N(x~; x, sigma^2 I)||^2 = D.")),
    (["001:533:i1"], stated(
        "001.inline.ode_interval", ["001:533:i1"], kind="definition",
        meaning="The ODE is run on t in [0, 1], from t = 0 (line 529).")),
    (["001:550:i1"], stated(
        "001.inline.drift_positive", ["001:550:i1"], check=_drift_positive,
        meaning="The drift f(x_t, t) of the SDE of line 547 said to lie in R_+^d; checked against the VP drift "
                "-1/2 beta(t) x of 001's own SDE slides (lines 598, 680).",
        corrected="f(\\mathbf{x}_t, t) \\in \\mathbb{R}^d")),
    (["001:552:i1"], stated(
        "001.inline.exp_sde_variance", ["001:552:i1"], check=_exp_sde_variance, theorem="sde.moment_odes",
        meaning="dx = e^t dw adds zero-mean Gaussian noise of variance (e^{2t} - 1)/2, growing exponentially.")),
    (["001:565:i1"], stated(
        "001.inline.wiener_start", ["001:565:i1"], kind="definition", meaning="The Wiener process starts at 0.")),
    (["001:567:i2", "001:567:i5", "001:567:p", "001:568:i2"], stated(
        "001.inline.wiener_increments", ["001:567:i2", "001:567:i5", "001:567:p", "001:568:i2"],
        check=check_wiener_increments, theorem="sde.wiener",
        meaning="Increments w_{t+u} - w_t (u >= 0) are N(0, u) and uncorrelated with (Gaussian: independent of) "
                "w_s, s < t; checked on the covariance min(s, t) of sde.brownian_covariance.")),
    (["001:578:i1"], stated(
        "001.inline.sde_prior_exact", ["001:578:i1"], check=_sde_prior_exact, theorem="sde.moment_odes",
        meaning="p_T of the VP SDE (beta(t) = 0.1 + 19.9 t on [0, 1]) for x(0) ~ N(2, 0.25), compared with "
                "N(0, I).", corrected="p_T(\\mathbf{x}_T) \\approx \\mathcal{N}(0, \\mathbf{I})")),
    (["001:600:i1"], stated(
        "001.inline.taylor_function", ["001:600:i1"], kind="definition", meaning="The function being expanded.")),
    (["001:680:i1"], stated(
        "001.inline.vp_drift_printed", ["001:680:i1"], check=_vp_drift_printed,
        meaning="The VP drift that turns the SDE into the discretisation of line 598 "
                "(x_t = x_{t-1} - beta(t) dt/2 x_{t-1} + ...).",
        corrected="f(\\mathbf{x}, t) = -\\frac{1}{2}\\beta(t)\\mathbf{x}")),
    (["001:680:i2"], stated(
        "001.inline.vp_diffusion", ["001:680:i2"], check=_vp_diffusion,
        meaning="g(t) = sqrt(beta(t)): g^2 dt is the noise variance beta(t) dt of line 598.")),
    (["001:757:t"], stated(
        "001.table.vae_row", ["001:757:t"], check=check_vae_row, note=_NOT_COMPUTED,
        meaning="VAE: density a lower bound (LB) with latents in R^L; checked on a linear-Gaussian VAE.")),
    (["001:759:t"], stated(
        "001.table.flow_row", ["001:759:t"], check=_flow_row, note=_NOT_COMPUTED,
        meaning="Flows: exact density, latents in R^D (an invertible map keeps the dimension).")),
    (["001:761:t"], stated(
        "001.table.diffusion_row", ["001:761:t"], check=check_diffusion_row, theorem="ddpm.elbo_decomposition",
        note=_NOT_COMPUTED,
        meaning="Diffusion: density a lower bound (the ELBO), latents x_1..x_T in R^D.")),
    (["001:762:t"], stated(
        "001.table.gan_row", ["001:762:t"], check=_gan_row, note=_NOT_COMPUTED,
        meaning="GAN: no density (N/A), latents in R^L: a generator from R^L, L < D, has no density on R^D.")),
]

_ENTRIES += [
    (["001:755:t", "001:758:t"], stated(
        "001.table.directed_rows", ["001:755:t", "001:758:t"], check=_chain_rule_rows, note=_NOT_COMPUTED,
        meaning="PGM-D and ARM: exact density, the product of the model's conditionals (a normalised joint).")),
    (["001:756:t", "001:760:t"], stated(
        "001.table.undirected_rows", ["001:756:t", "001:760:t"], kind="definition",
        meaning="PGM-U and EBM: approximate density and training (the normaliser is not computed); cost and "
                "architecture are descriptions of practice, which no computation decides.")),
]

CLAIMS, SCOPE = scoped(_ENTRIES, {
    "001:453:i2": "not_a_claim:declaration",
    "001:459:p": "001.dm.implicit_sm_as_printed",
    "001:491:i3": "001.dm.noise_perturbation",
})
