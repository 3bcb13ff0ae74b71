"""000 Lecture 11: the NCSN and DDPM chains as SDEs (VE / VP), their probability flow ODEs and reverse SDEs,
the moment ODEs and the Gaussian transition kernels, continuous-time normalizing flows and flow matching.

Claims linked to a registry theorem take their reference side from its oracle: ``theory.sde`` (VE / VP
closed forms with sigma(t) = 0.1 * 20^t, i.e. ``VE(0.1, 2.0)``, and beta(t) = 0.1 + 4t, i.e. ``VP(0.1, 4.1)``;
the NCSN / DDPM chain moments; the moment ODEs), ``theory.score`` (the Gaussian kernel's score),
``theory.flow_matching`` (conditional fields, the marginal field's continuity residual). The PF-ODE /
reverse-SDE / continuity checks reuse ``f000_l09_l10_f003_l09_ode_sde`` (``theory.fokker_planck`` / ``theory.ode``).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import integrate

from dgmcheck.audit.claims.f000_l09_l10_f003_l09_ode_sde import _continuity_both, _pf_ode, _reverse
from dgmcheck.audit.formulas import Place
from dgmcheck.audit.model import Claim, all_of, imprecise, num_compare, num_equal, points, slip, sym_equal
from dgmcheck.theory import flow_matching as fm_th
from dgmcheck.theory import quadrature
from dgmcheck.theory import score as score_th
from dgmcheck.theory import sde as sde_th
from dgmcheck.theory.flow_matching import PathSpec, linear_model_objectives

S, T = sp.symbols("s t", positive=True)
_VE = sde_th.VE(0.1, 2.0)  # sigma(t) = 0.1 * 20^t
_VP = sde_th.VP(0.1, 4.1)  # beta(t) = 0.1 + 4t


def _sig2(t):
    return 0.01 * 400.0**t  # VE: sigma(t)^2 = (0.1 * 20^t)^2, as on the slide's sigma^2(t)


def _dsig2(t):
    return _sig2(t) * np.log(400.0)  # the slide's g^2 = d[sigma^2(t)]/dt


def _beta(t):
    return 0.1 + 4 * t  # VP


def _int_beta(t):
    return integrate.quad(_beta, 0.0, t, epsabs=1e-14)[0]  # the slide's int_0^t beta(s) ds


# ---------------------------------------------------------------------------------- VE: the NCSN chain
def _ncsn_chain_step():
    var_prev, var_t = sp.symbols("sigma_prev2 sigma_t2", positive=True)
    written = sym_equal(var_prev + (var_t - var_prev), var_t,
                        what="Var(x_{t-1} | x) + (sigma_t^2 - sigma_{t-1}^2) = sigma_t^2 (independent Gaussian noise)")
    sigmas = _VE.chain_sigmas(10)

    def slide():  # x_0 ~ N(x, sigma_0^2); each step adds independent N(0, sigma_t^2 - sigma_{t-1}^2)
        v = [sigmas[0] ** 2]
        for i in range(1, len(sigmas)):
            v.append(v[-1] + (sigmas[i] ** 2 - sigmas[i - 1] ** 2))
        return np.array(v)

    chain = num_equal(slide, lambda: sigmas[0] ** 2 + sde_th.ncsn_chain_moments(sigmas)[1], [{}],
                      what="Var(x_t | x) of the slide's chain vs sigma_0^2 + theory.sde.ncsn_chain_moments")
    marginal = num_equal(slide, lambda: sigmas**2, [{}],
                         what="Var(x_t | x) of the slide's chain vs sigma_t^2 (000:4019)")
    return all_of(written, chain, marginal)


def _sqrt_dt_typo():
    delta, dt = sp.symbols("Delta dt", positive=True)  # Delta = sigma^2(t) - sigma^2(t - dt)
    written = sym_equal(sp.sqrt(delta / dt) * dt, sp.sqrt(delta), domains={"dt": (0.001, 0.1), "Delta": (0.001, 0.1)},
                        what="line 2 coefficient sqrt(Delta/dt) * dt vs line 1 coefficient sqrt(Delta)")

    def line1(t, dt):  # increment std of the NCSN chain (theory.sde.ncsn_chain_moments over [t - dt, t])
        return float(np.sqrt(sde_th.ncsn_chain_moments(_VE.sigma(np.array([t - dt, t])))[1][-1]))

    def line2(t, dt):
        return float(np.sqrt((_sig2(t) - _sig2(t - dt)) / dt) * dt)

    at = [{"t": 0.6, "dt": 0.01}, {"t": 0.3, "dt": 0.05}]
    numeric = num_equal(line2, line1, at,
                        what="line 2 coefficient vs the chain's increment std (VE sigma(t) = 0.1 20^t)")
    corrected = all_of(
        sym_equal(sp.sqrt(delta / dt) * sp.sqrt(dt), sp.sqrt(delta), what="corrected sqrt(Delta/dt) sqrt(dt) vs "
                  "sqrt(Delta)"),
        num_equal(lambda t, dt: line2(t, dt) / np.sqrt(dt), line1, at,
                  what="corrected coefficient sqrt(Delta/dt) sqrt(dt) vs the chain's increment std"))
    return slip(all_of(written, numeric), corrected,
                evidence=(Place("000", "L11", "Denoising Score Matching", 4023),
                          Place("000", "L11", "Score Matching SDE", 4031)),
                why="dt for sqrt(dt): the first line (the chain step of line 4023) has std sqrt(Delta), and the "
                    "third line and the next slide write the same step as sqrt(d sigma^2/dt) dw with dw = sqrt(dt) "
                    "eps, so the factor outside the root is sqrt(dt)")


def _ve_increment_limit():
    # line 1 -> line 3: the chain increment std (theory.sde.ncsn_chain_moments on VE.chain_sigmas(N), step i = 0.6 N)
    # vs the slide's sqrt(d sigma^2/dt) * sqrt(dt) (dw = eps sqrt(dt)), ratio -> 1 as dt = 1/N -> 0.
    t = 0.6

    def ratio(n):
        v = sde_th.ncsn_chain_moments(_VE.chain_sigmas(n))[1]
        i = round(t * n)
        return np.sqrt(v[i] - v[i - 1]) / (np.sqrt(_dsig2(t)) * np.sqrt(1.0 / n))

    g2 = num_equal(lambda: _dsig2(t), lambda: float(_VE.g2(t)), [{}], what="slide's d[sigma^2]/dt vs theory.sde.VE.g2")
    limit = num_compare(lambda n: abs(ratio(n) - 1), "<=", lambda n: 5.0 / n, [{"n": n} for n in (100, 1000, 10000)],
                        what="|chain increment std / (sqrt(d sigma^2/dt) sqrt(dt)) - 1| <= 5 dt (first order)")
    return all_of(g2, limit)


def _ve_marginal_variance():
    # The slide's VE SDE dx = sqrt(d sigma^2/dt) dw from x(0): its Euler-Maruyama variance (theory.sde.em_moments)
    # converges at rate 1/N to the chain's telescoped variance (theory.sde.ncsn_chain_moments) = VE.marginal(1).
    exact = float(_VE.marginal(1.0)[1])
    chain = num_equal(lambda: float(sde_th.ncsn_chain_moments(_VE.chain_sigmas(50))[1][-1]), lambda: exact, [{}],
                      what="NCSN chain variance at t = 1 vs theory.sde.VE.marginal(1)")

    def em(n):
        return float(sde_th.em_moments(lambda t: 0.0, _dsig2, np.arange(n + 1) / n, m0=0.0)[1][-1])

    sde_limit = num_compare(lambda n: abs(em(n) - exact) * n, "<=", lambda n: 20 * exact,
                            [{"n": n} for n in (100, 1000)],
                            what="N |Var_EM(N) of the slide's SDE - Var of the chain| stays bounded (error O(1/N))")
    return all_of(chain, sde_limit)


# ---------------------------------------------------------------------------------- VP: the DDPM chain
def _ddpm_to_vp_chain():
    u, x, e, dt = sp.symbols("u x epsilon dt", positive=True)
    first_order = sym_equal(sp.limit((sp.sqrt(1 - u) - (1 - u / 2)) / u, u, 0), 0,
                            what="(sqrt(1 - u) - (1 - u/2))/u -> 0 as u = beta dt -> 0 (first-order expansion)")
    b = sp.Symbol("beta", positive=True)
    rewrite = sym_equal((1 - b * dt / 2) * x + sp.sqrt(b * dt) * e, x - b * x * dt / 2 + sp.sqrt(b) * (e * sp.sqrt(dt)),
                        what="line 2 vs line 3 with dw = eps sqrt(dt)")

    def gap(n):  # the linearized chain (line 2) vs the DDPM chain (theory.sde.ddpm_chain_moments), betas VP.chain_betas
        betas = _VP.chain_betas(n)
        a, v = sde_th.ddpm_chain_moments(betas)
        al, vl = 1.0, 0.0
        for beta in betas:
            al, vl = (1 - beta / 2) * al, (1 - beta / 2) ** 2 * vl + beta
        return abs(al - a[-1]) + abs(vl - v[-1])

    chains = num_compare(lambda n: gap(n) * n, "<=", lambda n: 10.0, [{"n": n} for n in (100, 1000)],
                         what="N |moments of the linearized chain - theory.sde.ddpm_chain_moments| stays bounded")
    return all_of(first_order, rewrite, chains)


def _vp_chain_limit():
    coeffs = num_equal(lambda t: np.array([-0.5 * _beta(t), _beta(t)]), lambda t: np.array([_VP.f(t), _VP.g2(t)]),
                       points(4, seed=52, t=(0.0, 1.0)),
                       what="slide's drift coefficient -beta(t)/2 and g^2 = beta(t) vs theory.sde.VP.f, VP.g2")
    limit = num_compare(lambda n: sde_th.vp_chain_error(_VP, n) * n, "<=", lambda n: 10.0,
                        [{"n": n} for n in (100, 1000)],
                        what="N x theory.sde.vp_chain_error (DDPM chain with beta_i = beta(t_i)/N vs the VP marginals) "
                             "stays bounded")
    return all_of(coeffs, limit)


def _vp_variance_preserved():
    ts = np.array([0.25, 0.5, 1.0])

    def var_path(v0):  # Var x(t) = a(t)^2 Var x(0) + v(t), (a, v) = theory.sde.VP.marginal
        a, v = _VP.marginal(ts)
        return a**2 * v0 + v

    preserving = sym_equal(sde_th.derive_vp_marginal()["preserving"], 0,
                           what="theory.sde.derive_vp_marginal: v = 1 - a^2")
    inside = num_equal(lambda v0: var_path(v0), lambda v0: np.full(3, v0), [{"v0": 1.0}],
                       what="Var x(t) at t = 0.25, 0.5, 1 (theory.sde.VP.marginal) vs Var x(0)")
    # 'as long as': the sentence states the condition itself, so the claim is checked with it (holds), and the
    # condition is shown to matter: another initial variance is not preserved
    only_then = num_compare(lambda v0: float(np.max(np.abs(var_path(v0) - v0))), ">", lambda v0: 1e-3,
                            [{"v0": 2.0}, {"v0": 0.3}],
                            what="and only then: max_t |Var x(t) - Var x(0)| for Var x(0) = 2, 0.3")
    return all_of(preserving, inside, only_then)


# ---------------------------------------------------------------------------------- score, moments
def _gaussian_score_std():
    oracle_ok = all_of(*(sym_equal(r, 0, what="theory.score.derive_noise_kernel_gradient closed form")
                         for r in score_th.derive_noise_kernel_gradient(2)["closed_form"]))
    at = points(6, seed=53, x=lambda r: r.uniform(-2, 2, size=2), mu=lambda r: r.uniform(-1, 1, size=2),
                sigma=(0.3, 2.0))
    slide = num_equal(lambda x, mu, sigma: -(1 / sigma) * (x - mu),
                      lambda x, mu, sigma: score_th.noise_kernel_score(x, mu, sigma), at,
                      what="slide's -(1/sigma) (x(t) - mu) vs theory.score.noise_kernel_score (sigma the std)")
    corrected = num_equal(lambda x, mu, sigma: -(1 / sigma**2) * (x - mu),
                          lambda x, mu, sigma: score_th.noise_kernel_score(x, mu, sigma), at,
                          what="corrected -(1/sigma^2) (x(t) - mu) vs theory.score.noise_kernel_score")
    return slip(all_of(oracle_ok, slide), all_of(oracle_ok, corrected),
                evidence=(Place("000", "L11", "Continuous-Time Objective", 4122),),
                why="sigma for sigma^2: the line before defines q(x(t)|x(0)) = N(mu, sigma^2 I), whose log-density "
                    "gradient is -(x(t) - mu)/sigma^2")


def _mean_ode():
    # The slide: d mu/dt = E[f(x(t), t) | x(0)]; for VP, f = -beta(t) x/2, so E[f] = -beta(t) mu(t)/2.
    # mu(t) by the closed form of theory.sde.moments_quadrature (m0 e^{F(t)}); d mu/dt by a central difference.
    h = 1e-5

    def mu(t, x0):
        return sde_th.moments_quadrature(_VP.f, _VP.g2, t, m0=x0)[0]

    at = points(4, seed=54, t=(0.1, 0.9), x0=(-2.0, 2.0))
    ode = num_equal(lambda t, x0: (mu(t + h, x0) - mu(t - h, x0)) / (2 * h),
                    lambda t, x0: -_beta(t) / 2 * mu(t, x0), at, rtol=1e-6,
                    what="VP: d mu/dt (theory.sde.moments_quadrature) vs E[f(x(t))|x(0)] = -beta(t)/2 mu")
    init = num_equal(lambda x0: sde_th.moments_quadrature(_VP.f, _VP.g2, 0.0, m0=x0)[0], lambda x0: x0,
                     [{"x0": 0.7}], what="mu(0) = x(0)")
    general = sym_equal(sde_th.derive_moment_odes()["mean_residual"], 0,
                        what="theory.sde.derive_moment_odes: d mu/dt - f mu = 0 for arbitrary f")
    return all_of(ode, init, general)


def _vp_mean():
    at = points(4, seed=55, t=(0.05, 1.0), x0=(-2.0, 2.0))
    slide = num_equal(lambda t, x0: x0 * np.exp(-0.5 * _int_beta(t)), lambda t, x0: x0 * float(_VP.marginal(t)[0]), at,
                      what="slide's x(0) exp(-1/2 int_0^t beta) vs theory.sde.VP.marginal mean")
    derived = sym_equal(sde_th.derive_vp_marginal()["mean_residual"], 0,
                        what="theory.sde.derive_vp_marginal: a' = -beta a/2")
    return all_of(slide, derived)


def _increment_mean():
    # E[g dw | x(0)] = g sqrt(dt) E[eps] = 0 exactly (Gauss-Hermite nodes are symmetric); then E[dx|x0] = E[f|x0] dt.
    u, w = sde_th.gauss_hermite(20)
    g, dt = 0.7, 1e-3
    mean_noise = num_equal(lambda: float(w @ (g * np.sqrt(dt) * u)), lambda: 0.0, [{}], what="E[g dw | x(0)]")
    # one Euler-Maruyama increment from x(t) | x(0) ~ N(0.4, 0.3), nonlinear f = sin:
    xs = 0.4 + np.sqrt(0.3) * u
    inc = num_equal(lambda: float(np.einsum("i,j,ij->", w, w, np.sin(xs)[:, None] * dt + g * np.sqrt(dt) * u[None, :])),
                    lambda: float(w @ np.sin(xs)) * dt, [{}], what="E[dx | x(0)] vs E[f(x, t) | x(0)] dt (f = sin)")

    def em_increment(t, m):  # mean of one Euler-Maruyama step (theory.sde.em_moments) minus the starting mean
        return sde_th.em_moments(_VP.f, _VP.g2, [t, t + dt], m0=m)[0][-1] - m

    linear = num_equal(em_increment, lambda t, m: float(_VP.f(t)) * m * dt, points(3, seed=56, t=(0.1, 0.9), m=(-1, 1)),
                       what="VP: E[dx | x(0)] of one step (theory.sde.em_moments) vs E[f(x, t) | x(0)] dt")
    return all_of(mean_noise, inc, linear)


def _cov_ode():
    # dx = A x dt + g dw in 2-D from a fixed x(0): Sigma(t) = int_0^t e^{As} g^2 e^{A^T s} ds must solve
    # dSigma/dt = E[f (x - mu)^T + (x - mu) f^T] + g^2 I = A Sigma + Sigma A^T + g^2 I (f = A x).
    A, g2 = np.array([[-0.8, 0.5], [-0.3, -1.1]]), 0.6

    nodes, weights = quadrature.legendre(30)
    lam, vec = np.linalg.eig(A)
    vinv = np.linalg.inv(vec)

    def expm(s):  # e^{A s} by the eigendecomposition (A has distinct eigenvalues)
        return np.real(vec @ np.diag(np.exp(lam * s)) @ vinv)

    def sigma(t):  # Gauss-Legendre on [0, t] of the smooth integrand (exact to ~1e-15)
        s = (nodes + 1) * t / 2
        return sum(w * t / 2 * g2 * expm(si) @ expm(si).T for w, si in zip(weights, s, strict=True))

    def dsigma(t):
        h = 1e-5
        return (sigma(t + h) - sigma(t - h)) / (2 * h)

    at = [{"t": 0.3}, {"t": 0.9}]
    matrix = num_equal(dsigma, lambda t: A @ sigma(t) + sigma(t) @ A.T + g2 * np.eye(2), at, rtol=1e-6,
                       what="2-D OU: dSigma/dt vs A Sigma + Sigma A^T + g^2 I")
    # VP (1-D): Sigma(t) by the closed form of theory.sde.moments_quadrature; the slide's right side with
    # E[f (x - mu)] = -beta/2 Sigma: 2 (-beta/2) Sigma + beta.
    h = 1e-5

    def var(t):
        return sde_th.moments_quadrature(_VP.f, _VP.g2, t, m0=0.5)[1]

    vp = num_equal(lambda t: (var(t + h) - var(t - h)) / (2 * h), lambda t: 2 * (-_beta(t) / 2) * var(t) + _beta(t),
                   [{"t": 0.3}, {"t": 0.8}], rtol=1e-6,
                   what="VP: dSigma/dt (theory.sde.moments_quadrature) vs 2 E[f (x - mu)] + g^2 = -beta Sigma + beta")
    general = sym_equal(sde_th.derive_moment_odes()["variance_residual"], 0,
                        what="theory.sde.derive_moment_odes: dv/dt - 2 f v - g^2 = 0 for arbitrary f, g")
    return all_of(matrix, vp, general)


def _ve_marginal():
    at = points(4, seed=57, t=(0.05, 1.0), x0=(-2.0, 2.0))
    slide = num_equal(lambda t, x0: np.array([x0, _sig2(t) - _sig2(0.0)]),
                      lambda t, x0: np.array([x0 * float(_VE.marginal(t)[0]), float(_VE.marginal(t)[1])]), at,
                      what="slide's (mean, variance) = (x(0), sigma^2(t) - sigma^2(0)) vs theory.sde.VE.marginal")
    d = sde_th.derive_ve_marginal()
    derived = all_of(*(sym_equal(d[k], 0, what=f"theory.sde.derive_ve_marginal {k}") for k in ("variance_residual",
                                                                                              "initial")))
    return all_of(slide, derived)


def _vp_marginal():
    at = points(4, seed=58, t=(0.05, 1.0), x0=(-2.0, 2.0))
    slide = num_equal(lambda t, x0: np.array([x0 * np.exp(-0.5 * _int_beta(t)), 1 - np.exp(-_int_beta(t))]),
                      lambda t, x0: np.array([x0 * float(_VP.marginal(t)[0]), float(_VP.marginal(t)[1])]), at,
                      what="slide's (mean, variance) vs theory.sde.VP.marginal (beta(t) = 0.1 + 4t)")
    d = sde_th.derive_vp_marginal()
    derived = all_of(*(sym_equal(d[k], 0, what=f"theory.sde.derive_vp_marginal {k}")
                       for k in ("mean_residual", "variance_residual", "initial")))
    return all_of(slide, derived)


# ---------------------------------------------------------------------------------- flow matching
def _fm_marginal_field_chain():
    # z ~ 0.3 delta(-1) + 0.7 delta(2); p_t(x|z) = N(t z, (1-t)^2), f(x, z, t) = (z - x)/(1 - t): the conditional
    # field of theory.flow_matching.PathSpec("conical") (sigma_min = 0), which generates p_t(x|z).
    x, t = sp.symbols("x t", real=True)
    zs, pz = (-1, 2), (sp.Rational(3, 10), sp.Rational(7, 10))
    cond = [sp.exp(-(x - t * z) ** 2 / (2 * (1 - t) ** 2)) / sp.sqrt(2 * sp.pi * (1 - t) ** 2) for z in zs]
    fz = [(z - x) / (1 - t) for z in zs]
    spec = PathSpec("conical")
    at = points(8, seed=51, x=(-2.5, 2.5), t=(0.05, 0.9))
    field_fns = [sp.lambdify((x, t), f_, "numpy") for f_ in fz]
    field_ok = [num_equal(lambda x, t, fn=fn: fn(x, t),
                          lambda x, t, z=z: float(spec.conditional_field(np.array([[x]]), np.array([[float(z)]]),
                                                                         np.array([t]))[0, 0]), at,
                          what=f"f(x, z = {z}, t) vs theory.flow_matching.PathSpec('conical').conditional_field")
                for fn, z in zip(field_fns, zs, strict=True)]
    p = sum(w * c for w, c in zip(pz, cond, strict=True))
    f_marg = sum(w * f_ * c for w, f_, c in zip(pz, fz, cond, strict=True)) / p
    lines = [sp.diff(p, t),
             sum(w * sp.diff(c, t) for w, c in zip(pz, cond, strict=True)),
             sum(w * (-sp.diff(f_ * c, x)) for w, f_, c in zip(pz, fz, cond, strict=True)),
             -sp.diff(sum(w * f_ * c for w, f_, c in zip(pz, fz, cond, strict=True)), x),
             -sp.diff(f_marg * p, x)]
    fns = [sp.lambdify((x, t), e_, "numpy") for e_ in lines]
    cond_fns = [(sp.lambdify((x, t), sp.diff(c, t), "numpy"), sp.lambdify((x, t), -sp.diff(f_ * c, x), "numpy"))
                for c, f_ in zip(cond, fz, strict=True)]
    cond_ok = [num_equal(lambda x, t, lf=lf: lf(x, t), lambda x, t, rf=rf: rf(x, t), at,
                         what="conditional continuity equation for each z") for lf, rf in cond_fns]
    steps = [num_equal(lambda x, t, i=i: fns[i](x, t), lambda x, t, i=i: fns[i + 1](x, t), at,
                       what=f"proof line {i + 1} vs line {i + 2}") for i in range(4)]
    R = sp.Rational
    res = fm_th.continuity_residual_1d(list(pz), list(zs), [0, 0], sp.Integer(0),
                                       [(R(1, 4), R(1, 2)), (R(3, 5), R(-6, 5))], digits=40)
    oracle = num_compare(lambda: max(res), "<=", lambda: 1e-30, [{}],
                         what="theory.flow_matching.continuity_residual_1d of the marginal field, same z law and path")
    return all_of(*field_ok, *cond_ok, *steps, oracle)


def _cfm_optimal_values():
    spec = PathSpec("conical")
    mean, cov = np.array([0.5, -1.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    W, b = np.zeros((2, 2)), np.zeros(2)
    res = {t: linear_model_objectives(spec, t, mean, cov, W, b) for t in (0.25, 0.5, 0.75)}
    values = num_equal(lambda t: res[t].min_fm, lambda t: res[t].min_cfm, [{"t": t} for t in res],
                       what="min over affine fields of L_FM vs of L_CFM at time t (Gaussian data, conical path)")
    # the optimum as a point: at every affine field (W, b) the two objectives have equal gradients and differ by
    # the same theta-free constant, so they have the same minimizers
    rng = np.random.default_rng(71)
    at = [{"t": t, "W": rng.normal(size=(2, 2)), "b": rng.normal(size=2)} for t in res for _ in range(3)]

    def obj(t, W, b):
        return linear_model_objectives(spec, t, mean, cov, W, b)

    grads = num_equal(lambda t, W, b: np.concatenate([obj(t, W, b).grad_fm[0].ravel(), obj(t, W, b).grad_fm[1]]),
                      lambda t, W, b: np.concatenate([obj(t, W, b).grad_cfm[0].ravel(), obj(t, W, b).grad_cfm[1]]),
                      at, what="gradients in (W, b) of L_FM and L_CFM at random affine fields")
    offset = num_equal(lambda t, W, b: obj(t, W, b).cfm - obj(t, W, b).fm,
                       lambda t, W, b: res[t].min_cfm - res[t].min_fm, at,
                       what="L_CFM - L_FM at random affine fields vs at the optimum (a theta-free constant)")
    return imprecise(values, all_of(grads, offset), evidence=_p("Proof", 4311),
                     why="'the optimal value' names the wrong object: the two objectives differ by a theta-free "
                         "constant (the denoising score matching theorem the proof cites gives exactly that), so "
                         "their gradients and optimal parameters coincide (checked), while the optimal values differ "
                         "by that constant")


# ------------------------------------------------------------------------------------- the claims
def _p(slide: str, line: int) -> tuple[Place, ...]:
    return (Place("000", "L11", slide, line),)


CLAIMS: list[Claim] = [
    Claim(id="000.L11.ncsn_perturbation", formulas=("000:4019", "000:4021"), kind="definition",
          meaning="The NCSN perturbations of x at noise levels sigma_t and sigma_{t-1} (sigma a standard deviation)."),
    Claim(id="000.L11.ncsn_markov_step", formulas=("000:4023",), theorem="sde.ve",
          meaning="With sigma_{t-1} < sigma_t, adding independent N(0, (sigma_t^2 - sigma_{t-1}^2) I) noise to x_{t-1} "
                  "gives x_t with the marginal N(x, sigma_t^2 I) of 000:4019.",
          check=_ncsn_chain_step),
    Claim(id="000.L11.ve_limit_step", formulas=("000:4027",), theorem="sde.ve",
          meaning="The second line as written: sqrt((sigma^2(t) - sigma^2(t-dt))/dt) multiplied by dt (outside the "
                  "root), claimed equal to the first line's sqrt(sigma^2(t) - sigma^2(t-dt)). Judgement: slip (dt for "
                  "sqrt(dt); the third line's dw = sqrt(dt) eps fixes it).",
          check=_sqrt_dt_typo,
          corrected=r"\mathbf{x}(t - dt) + \sqrt{\frac{\sigma^2(t) - \sigma^2(t - dt)}{dt}} \sqrt{dt} \cdot \epsilon",
          note="The factor should be sqrt(dt) (so that sqrt(dt) eps = dw); the first and last lines agree to first "
               "order."),
    Claim(id="000.L11.ve_limit", formulas=("000:4027", "000:4031"), theorem="sde.ve",
          meaning="First line to last line: the chain increment sqrt(sigma^2(t) - sigma^2(t-dt)) eps equals "
                  "sqrt(d[sigma^2]/dt) dw to first order in dt (sigma(t) = 0.1 * 20^t, t = 0.6).",
          check=_ve_increment_limit),
    Claim(id="000.L11.ve_sde", formulas=("000:4035", "000:4128"), theorem="sde.ve",
          meaning="The VE SDE as the T -> infinity limit of the NCSN chain: both give Var x(1) - Var x(0) = "
                  "sigma^2(1) - sigma^2(0), and the Euler-Maruyama chain converges to it at rate 1/N.",
          check=_ve_marginal_variance),
    Claim(id="000.L11.ve_as_general_sde", formulas=("000:4039",), kind="definition",
          meaning="VE identified as dx = f dt + g dw with f = 0, g = sqrt(d sigma^2/dt)."),
    Claim(id="000.L11.ve_pf_ode", formulas=("000:4041",), theorem="sde.probability_flow_ode",
          meaning="The PF-ODE of 000:3828 with f = 0, g^2 = d sigma^2/dt; checked that the VE marginals (mixture data) "
                  "solve its continuity equation.",
          check=lambda: _pf_ode("ve")),
    Claim(id="000.L11.ve_reverse_sde", formulas=("000:4043",), theorem="sde.reverse_sde",
          meaning="The reverse SDE of 000:3897 with f = 0 (run with dt < 0, i.e. in tau = 1 - t); KFP in tau with "
                  "the VE marginals.",
          check=lambda: _reverse("ve", 1)),
    Claim(id="000.L11.ddpm_chain", formulas=("000:4049",), kind="definition",
          meaning="The DDPM forward step and its kernel."),
    Claim(id="000.L11.ddpm_to_vp", formulas=("000:4053",), theorem="sde.vp",
          meaning="beta_t = beta(t/T)/T, dt = 1/T; the '≈' is the first-order expansion sqrt(1 - u) = 1 - u/2 + o(u) "
                  "(u = beta dt), the last step uses dw = eps sqrt(dt).",
          check=_ddpm_to_vp_chain),
    Claim(id="000.L11.vp_sde", formulas=("000:4057", "000:4130"), theorem="sde.vp",
          meaning="The VP SDE as the limit of the DDPM chain: the chain's abar_N = prod (1 - beta(t_i)/N) converges "
                  "to exp(-int_0^1 beta), the signal coefficient of the VP SDE, at rate 1/N (beta(t) = 0.1 + 4t; "
                  "theory.sde.vp_chain_error, which also compares the variances).",
          check=_vp_chain_limit),
    Claim(id="000.L11.vp_variance_preserved", text="Variance is preserved as long as x(0) has unit variance.",
          places=_p("Variance Preserving SDE", 4067), theorem="sde.vp_marginal",
          meaning="For the VP SDE, Var x(t) solves dv/dt = -beta v + beta; it stays equal to Var x(0) for all t "
                  "when Var x(0) = 1, and not otherwise. Judgement: holds, not holds_if 'Var x(0) = 1': the "
                  "sentence states that condition itself ('as long as x(0) has unit variance').",
          check=_vp_variance_preserved),
    Claim(id="000.L11.vp_as_general_sde", formulas=("000:4065",), kind="definition",
          meaning="VP identified as dx = f dt + g dw with f = -beta x/2, g = sqrt(beta)."),
    Claim(id="000.L11.vp_pf_ode", formulas=("000:4069",), theorem="sde.probability_flow_ode",
          meaning="The PF-ODE of 000:3828 with the VP drift and g^2 = beta; checked with VP marginals of mixture data.",
          check=lambda: _pf_ode("vp")),
    Claim(id="000.L11.vp_reverse_sde", formulas=("000:4071",), theorem="sde.reverse_sde",
          meaning="The reverse SDE of 000:3897 for VP (dt < 0, i.e. in tau = 1 - t); KFP in tau.",
          check=lambda: _reverse("vp", 1)),
    Claim(id="000.L11.score_objectives", formulas=("000:4106", "000:4112", "000:4120", "000:4174"), kind="definition",
          theorem="sde.continuous_dsm",
          meaning="The discrete-time and continuous-time denoising score matching objectives."),
    Claim(id="000.L11.gaussian_kernel_notation", formulas=("000:4122", "000:4136", "000:4176"), kind="notation",
          meaning="The transition kernel of an SDE with affine drift is Gaussian with mean mu(t, x(0)) and "
                  "covariance sigma^2 I (resp. Sigma)."),
    Claim(id="000.L11.kernel_score_sigma", formulas=("000:4124",), theorem="score.noise_kernel_gradient",
          meaning="q(x(t)|x(0)) = N(mu, sigma^2 I) (000:4122): sigma is the standard deviation; the gradient of its "
                  "log-density, coordinate-wise. Judgement: slip (sigma for sigma^2; the line before fixes it).",
          check=_gaussian_score_std,
          corrected=r"\nabla_{\mathbf{x}(t)} \log q(\mathbf{x}(t)|\mathbf{x}(0)) = -\frac{1}{\sigma^2} \odot "
                    r"(\mathbf{x}(t) - \boldsymbol{\mu})"),
    Claim(id="000.L11.mean_ode", formulas=("000:4142", "000:4154", "000:4160"), theorem="sde.moment_odes",
          meaning="mu(t, x(0)) = E[x(t)|x(0)]; checked for the VP SDE with beta(t) = 0.1 + 4t (mu from "
                  "theory.sde.moments_quadrature, derivative by central difference) and for arbitrary f "
                  "(theory.sde.derive_moment_odes).",
          check=_mean_ode),
    Claim(id="000.L11.mean_ode_proof", formulas=("000:4148", "000:4158"), theorem="sde.moment_odes",
          meaning="E[g dw | x(0)] = 0 since dw is independent of the past; checked exactly with Gauss-Hermite nodes "
                  "for one Euler-Maruyama increment (f = sin, x(t)|x(0) ~ N(0.4, 0.3)).",
          check=_increment_mean),
    Claim(id="000.L11.cov_ode", formulas=("000:4144",), theorem="sde.moment_odes",
          meaning="Sigma(t, x(0)) = Cov(x(t)|x(0)); checked for a 2-D OU SDE (f = A x, Sigma by quadrature of the "
                  "exact solution), for VP (Sigma from theory.sde.moments_quadrature) and in 1-D for arbitrary f, g "
                  "(theory.sde.derive_moment_odes).",
          check=_cov_ode),
    Claim(id="000.L11.vp_mean", formulas=("000:4168",), theorem="sde.vp_marginal",
          meaning="The solution of d mu/dt = -beta(t) mu/2 with mu(0) = x(0); checked for beta(t) = 0.1 + 4t against "
                  "the VP marginal mean of theory.sde.VP.marginal (and derive_vp_marginal).",
          check=_vp_mean),
    Claim(id="000.L11.ve_marginal", formulas=("000:4180",), theorem="sde.ve_marginal",
          meaning="VE (f = 0, g^2 = d sigma^2/dt): mean x(0) and variance int_0^t g^2 = sigma^2(t) - sigma^2(0); "
                  "checked against theory.sde.VE.marginal (sigma(t) = 0.1 * 20^t) and derive_ve_marginal.",
          check=_ve_marginal),
    Claim(id="000.L11.vp_marginal", formulas=("000:4185",), theorem="sde.vp_marginal",
          meaning="VP: mean x(0) e^{-B/2}, variance 1 - e^{-B}, B = int_0^t beta; checked against "
                  "theory.sde.VP.marginal (beta(t) = 0.1 + 4t, the integral by quadrature) and "
                  "theory.sde.derive_vp_marginal (linear beta, symbolic).",
          check=_vp_marginal),
    Claim(id="000.L11.cnf_ode", formulas=("000:4217",), kind="definition",
          meaning="The continuous-time flow from x_0 ~ p_0 (noise) to x_1 ~ p_data."),
    Claim(id="000.L11.continuity_equivalence", formulas=("000:4221",), theorem="ode.continuity_equation",
          meaning="PDE form and trajectory form of the continuity equation (linear test ODE of "
                  "f000_l09_l10_f003_l09_ode_sde, x(0) ~ N(m, S), p_t by theory.ode.pushforward_logpdf).",
          check=_continuity_both),
    Claim(id="000.L11.fm_objective", formulas=("000:4238",), kind="definition",
          meaning="The flow matching objective -> min."),
    Claim(id="000.L11.latent_path", formulas=("000:4269",), kind="definition",
          meaning="The marginal probability path as a mixture of conditional paths."),
    Claim(id="000.L11.conditional_field_def", formulas=("000:4273", "000:4283"), kind="definition",
          meaning="f(x, z, t) is a conditional vector field: one that generates p_t(x|z) (continuity equation)."),
    Claim(id="000.L11.conditional_ode", formulas=("000:4277",), kind="notation",
          meaning="The ODE with the marginal field, and with the conditional field."),
    Claim(id="000.L11.marginal_field", formulas=("000:4289", "000:4293"), theorem="fm.marginal_vector_field",
          meaning="The posterior-averaged conditional field generates p_t; each line of the proof checked for "
                  "z ~ 0.3 delta(-1) + 0.7 delta(2), p_t(x|z) = N(t z, (1-t)^2), f(x, z, t) = (z - x)/(1 - t) "
                  "(which generates p_t(x|z); it is theory.flow_matching's conical conditional field), and the "
                  "marginal field's continuity residual of theory.flow_matching for the same example.",
          check=_fm_marginal_field_chain),
    Claim(id="000.L11.cfm_objective", formulas=("000:4303",), kind="definition",
          meaning="The conditional flow matching objective -> min."),
    Claim(id="000.L11.cfm_equal_optimal_values",
          text="If supp(p_t(x)) = R^m, then the optimal value of the FM objective equals the optimal value of the "
               "CFM objective.",
          places=_p("Theorem", 4307), theorem="fm.cfm_equals_fm",
          meaning="Optimal values over the model class (here affine fields, which contain the exact marginal field "
                  "for Gaussian data), per time t; conical path, 2-D Gaussian data. Judgement: imprecise, not "
                  "fails: the objectives are equal up to a theta-free constant, so the optimum (the minimizing "
                  "field) is the same, and 'optimal value' names the value where the optimizer is meant.",
          check=_cfm_optimal_values,
          corrected=r"L_{CFM}(\theta) = L_{FM}(\theta) + C, \; C = \mathbb{E}_t \mathbb{E}_{p_t(\mathbf{x})} "
                    r"\mathbb{E}_{p_t(\mathbf{z}|\mathbf{x})} \|\mathbf{f}(\mathbf{x},\mathbf{z},t) - "
                    r"\mathbf{f}(\mathbf{x},t)\|^2 \ge 0 \text{ independent of } \theta: \text{ same gradients and "
                    r"minimizers, optimal values differ by } C",
          note="The slide's proof refers to the DSM theorem, which also gives equality only up to a constant."),
]
