"""Registry records of the KFP / probability-flow ODE / reverse SDE / sampler family (000 L10-L11, 001).

Convention of every statement: forward SDE dx = f(x, t) dt + g(t) dw on [0, T] with marginals p_t,
score s(x, t) = grad_x log p_t(x); the reverse SDE and the PF-ODE are run from T down to 0 (dt < 0).
Langevin convention of the lecture: dx = 1/2 grad log p dt + dw (equivalently grad log p dt + sqrt(2) dw),
discretized as x + (eta/2) grad log p + sqrt(eta) z.
"""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L10_SDE = Source("000", "L10", "Stochastic Differential Equation (SDE)")
_L10_PF = Source("000", "L10", "Probability Flow ODE")
_L10_REV = Source("000", "L10", "Reverse SDE")
_L11_SBGM = Source("000", "L11", "Score-Based Generative Models Through SDEs")
_S001_CT = Source("001", "", "Continuous time models using differential equations")

_T = "dgmcheck.theory.fokker_planck"
_I = "dgmcheck.impl.samplers"
_C = "dgmcheck.checks.samplers"

_SCORE_SIGMA_NOTE = (
    '000 L11 "Score-Based Generative Models Through SDEs" (Continuous-Time Objective) writes the Gaussian '
    "score as grad log N(x; mu, sigma^2 I) = -(x - mu)/sigma; it is -(x - mu)/sigma^2 (with sigma the "
    "standard deviation). Counterexample: N(0, 4), x = 2: d/dx log p = -x/4 = -0.5, the slide gives -1."
)

DETAILS: dict[str, dict[str, Any]] = {
    "sde.kfp": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (f"{_T}:kfp_residual_1d", f"{_T}:closed_form_consistent", f"{_T}:path_derivatives",
                        f"{_T}:kfp_residual"),
        "impl": f"{_I}:kfp_residual",
        "check": f"{_C}:check_kfp",
        "sources": (_L10_SDE,),
        "statement": (
            r"If x(t) solves dx = f(x, t) dt + g(t) dw with density p_t, then "
            r"\partial_t p_t = -div(f p_t) + 1/2 g(t)^2 \Delta_x p_t. Checked exactly: for the VP "
            r"(beta linear) and VE SDEs with Gaussian or Gaussian-mixture data the marginal "
            r"p_t = sum_k w_k N(a(t) m_k, a(t)^2 C_k + s(t)^2 I) has residual "
            r"(\partial_t p + div(f p) - 1/2 g^2 \Delta p)/p identically 0 (sympy in 1-D, closed form "
            r"in any dimension)."
        ),
        "notes": (
            "A diffusion returning g^2 (beta) where g = sqrt(beta) belongs makes the second-order term "
            "1/2 g^4 Delta p; the residual is then O(1) (planted bug VPDiffusionSquared). "
            "The KFP slides are in Lecture 10 of seed 000 (after the 'Lecture 10' title slide), not L11."
        ),
    },
    "sde.langevin_stationary": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (f"{_T}:langevin_stationary_residual_1d", f"{_T}:ula_stationary_cov", f"{_T}:ula_step"),
        "impl": f"{_I}:langevin_corrector_step",
        "check": f"{_C}:check_langevin_stationary",
        "sources": (_L10_SDE,),
        "statement": (
            r"p is a stationary law of the Langevin SDE dx = 1/2 \nabla \log p(x) dt + dw (lecture "
            r"convention; equivalently dx = \nabla \log p dt + \sqrt 2 dw): the KFP residual "
            r"div(1/2 p \nabla \log p) - 1/2 \Delta p vanishes. Its Euler-Maruyama step with dt = eta is "
            r"x + (eta/2) \nabla \log p + \sqrt{eta} z; on N(mu, Sigma) that chain has the stationary "
            r"covariance (Sigma^{-1} - (eta/4) Sigma^{-2})^{-1} = Sigma + O(eta) (eta < 4 lambda_min)."
        ),
        "notes": (
            "The slide's derivation divides by the divergence: from d/dx[f p] = 1/2 g^2 d2p/dx2 it concludes "
            "f p = 1/2 g^2 dp/dx, dropping a divergence-free term in d > 1; f = 1/2 g^2 grad log p is "
            "sufficient for stationarity, not the only stationary drift. "
            "Mixing conventions (eta/2 drift with sqrt(2 eta) noise) doubles the stationary covariance "
            "(planted bug CorrectorNoiseSqrt2, caught)."
        ),
    },
    "sde.probability_flow_ode": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (f"{_T}:pf_ode_residual_1d", f"{_T}:exact_drifts", f"{_T}:gaussian_flow_map",
                        f"{_T}:pf_ode_scheme"),
        "impl": f"{_I}:pf_ode_drift",
        "check": f"{_C}:check_probability_flow_ode",
        "sources": (_L10_PF, _L11_SBGM, _S001_CT),
        "statement": (
            r"The ODE dx/dt = f(x, t) - 1/2 g(t)^2 \nabla_x \log p_t(x) has the same marginals p_t as the "
            r"SDE dx = f dt + g dw: its drift solves the continuity equation \partial_t p + div(v p) = 0. "
            r"For Gaussian data N(m, C) and a linear SDE its flow from t to u is the affine map "
            r"x -> a_u m + Sigma_u^{1/2} Sigma_t^{-1/2}(x - a_t m), Sigma_t = a_t^2 C + s_t^2 I."
        ),
        "notes": (
            '001 "Continuous time models using differential equations" says "We can derive the probability '
            'flow ODE from the reverse-time SDE dx = [f - g^2 s] dt" (the full g^2; dropping the noise of the '
            "reverse SDE does not give the PF-ODE, whose coefficient is 1/2 g^2), and then sets "
            "f(x, t) = -1/2 beta(t) (missing the factor x); its final VP PF-ODE -1/2 beta (x + s) is correct. "
            "Counterexample to the g^2 version: 1-D VE SDE, Gaussian data: v = -g^2 s gives the continuity "
            "residual -1/2 g^2 (d2p/dx2)/p != 0 (theory.pf_ode_residual_1d(score_weight=1) != 0)."
        ),
    },
    "sde.reverse_sde": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (f"{_T}:reverse_kfp_residual_1d", f"{_T}:exact_drifts", f"{_T}:reverse_em_moments",
                        f"{_T}:reverse_em_scheme"),
        "impl": f"{_I}:reverse_drift",
        "check": f"{_C}:check_reverse_sde",
        "sources": (_L10_REV, _L11_SBGM, _S001_CT),
        "statement": (
            r"The SDE dx = (f(x, t) - g(t)^2 \nabla_x \log p_t(x)) dt + g(t) d\bar w run backwards in time "
            r"(dt < 0) from x(T) ~ p_T has marginals p_t: its drift solves the time-reversed KFP "
            r"\partial_t p + div(\bar f p) + 1/2 g^2 \Delta p = 0. For Gaussian data the Euler-Maruyama "
            r"chain on decreasing times is affine and its exact moment recursion converges to the moments of "
            r"p_epsilon as the step goes to 0 (measured weak rate 1 for VP)."
        ),
        "notes": (
            "Sign and factor slips (+ g^2 s; 1/2 g^2 s, i.e. the PF-ODE drift in the SDE sampler) and a score "
            "evaluated at the step's end time are caught (planted bugs). " + _SCORE_SIGMA_NOTE
        ),
    },
    "sde.pf_ode_plus_langevin": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (f"{_T}:pf_ode_plus_langevin_1d", f"{_T}:pc_scheme", f"{_T}:exact_drifts"),
        "impl": f"{_I}:predictor_corrector_sample",
        "check": f"{_C}:check_pf_ode_plus_langevin",
        "sources": (_S001_CT, _L10_REV),
        "statement": (
            r"f - g^2 \nabla \log p_t = (f - 1/2 g^2 \nabla \log p_t) - 1/2 g^2 \nabla \log p_t: the reverse "
            r"SDE is the PF-ODE plus the Langevin SDE dx = 1/2 g^2 \nabla \log p_t d\tau + g dw at frozen t "
            r"(run with d\tau = -dt > 0), which leaves p_t invariant; a predictor-corrector sampler "
            r"alternates a predictor step with Langevin corrector steps x + (eta/2) s + \sqrt{eta} z."
        ),
        "notes": (
            '001 writes the VP case as -1/2 beta [x + s] dt - 1/2 beta s dt + sqrt(beta) dw; correct. '
            "The identity is exact; PC's corrector targets p_{t_{k+1}} at the predictor's end time."
        ),
    },
}
