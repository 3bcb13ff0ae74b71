"""Registry records of the σ-parametrized ("EDM") family: the σ-ODE and its denoiser, the VP change of
variables, the Karras grid, and the Euler/Heun samplers in σ (k-diffusion, diffusers' Euler/Heun schedulers)."""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L9_NUMERICAL = Source("000", "L9", "Numerical Solution of ODEs")
_L11_SM_SDE = Source("000", "L11", "Score Matching SDE")
_L11_DIFF_SDE = Source("000", "L11", "Diffusion SDE")
_S001_CT = Source("001", "", "Continuous time models using differential equations")

_ORDER_NOTE = (
    "Order measured in float64 as the least-squares slope of log error vs log(1/n) over Karras grids of "
    "n in (32, 64, 128) steps from sigma_max in [1, 10] to sigma_min in [0.05, 0.5] (rho in [1, 7], no final 0), "
    "against the exact flow (closed form for one Gaussian, DOP853 at 1e-12 for mixtures); band p +- 0.15. "
    "Measured over 300 drawn cases each: Euler 0.957-1.043, Heun 1.971-2.064. The order properties are slow "
    "(about 0.15 s per example) and run under HYPOTHESIS_PROFILE=thorough or when asked for by name; every "
    "profile checks single steps and whole paths exactly."
)

DETAILS: dict[str, dict[str, Any]] = {
    "edm.pf_ode": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.edm:derive_pf_ode", "dgmcheck.theory.edm:denoiser",
                        "dgmcheck.theory.edm:pf_ode_derivative", "dgmcheck.theory.edm:to_d"),
        "impl": "dgmcheck.impl.edm:to_d",
        "check": "dgmcheck.checks.edm:check_to_d",
        "sources": (_L11_SM_SDE, _S001_CT),
        "statement": (
            r"With x = x_0 + \sigma \epsilon (VE, \sigma the noise level used as time), the probability-flow ODE "
            r"dx = -\frac12 \frac{d[\sigma^2]}{dt} \nabla \log p_t dt becomes dx/d\sigma = -\sigma \nabla_x \log "
            r"p_\sigma(x) = (x - D(x; \sigma))/\sigma, where D(x; \sigma) = E[x_0 | x] = x + \sigma^2 \nabla \log "
            r"p_\sigma(x) (Tweedie) is the denoiser; it transports p_\sigma (\partial_\sigma p + div(d p) = 0). "
            r"Exact for Gaussian-mixture data (D by Gaussian conditioning per component)."
        ),
        "notes": ("k-diffusion's to_d(x, sigma, denoised) and the derivative inside diffusers' Euler/Heun steps "
                  "are checked against it (dgmcheck.adapters.kdiffusion, dgmcheck.adapters.diffusers_sigma)."),
    },
    "edm.vp_change_of_variables": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.edm:derive_vp_change_of_variables", "dgmcheck.theory.edm:vp_input",
                        "dgmcheck.theory.edm:alpha_bar", "dgmcheck.theory.edm:vp_pf_ode_via_sigma",
                        "dgmcheck.theory.edm:denoiser_from_eps"),
        "impl": "dgmcheck.impl.edm:vp_input",
        "check": "dgmcheck.checks.edm:check_vp_change_of_variables",
        "sources": (_L11_DIFF_SDE, _L11_SM_SDE),
        "statement": (
            r"With \bar\alpha = 1/(1 + \sigma^2) and x_{VP} = x/\sqrt{1 + \sigma^2}, the \sigma-ODE dx/d\sigma = "
            r"-\sigma \nabla \log p_\sigma(x) along any schedule \sigma(t) is the VP probability-flow ODE "
            r"dx_{VP}/dt = -\frac12 \beta(t)(x_{VP} + \nabla \log p^{VP}_t(x_{VP})), \beta = -d \log \bar\alpha/dt; "
            r"the \epsilon-prediction is the same in both coordinates, \hat\epsilon = -\sigma \nabla \log p_\sigma(x) "
            r"= -\sqrt{1 - \bar\alpha} \nabla \log p^{VP}(x_{VP}), and D = x - \sigma \hat\epsilon."
        ),
        "notes": ("diffusers' Euler/Heun schedulers store sigma_t = sqrt((1 - abar_t)/abar_t), feed the network "
                  "x/sqrt(sigma^2 + 1) (scale_model_input) and form D = x - sigma eps: checked through the adapter."),
    },
    "edm.karras_grid": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.edm:karras_sigmas", "dgmcheck.theory.edm:karras_condition"),
        "impl": "dgmcheck.impl.edm:karras_sigmas",
        "check": "dgmcheck.checks.edm:check_karras_grid",
        "sources": (_L11_DIFF_SDE,),
        "statement": (
            r"\sigma_i = (\sigma_{max}^{1/\rho} + \frac{i}{n-1}(\sigma_{min}^{1/\rho} - \sigma_{max}^{1/\rho}))^\rho, "
            r"i = 0..n-1, followed by \sigma_n = 0: \sigma_0 = \sigma_{max}, \sigma_{n-1} = \sigma_{min}, strictly "
            r"decreasing; \rho = 1 is the uniform grid."
        ),
        "notes": ("The slide 'Efficient Solvers' motivates few-step PF-ODE sampling; the grid itself is Karras et "
                  "al. (2022), as in k-diffusion's get_sigmas_karras and diffusers' use_karras_sigmas (both "
                  "computed in float32: float32 tolerances)."),
    },
    "edm.euler": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.edm:euler_step", "dgmcheck.theory.edm:sample",
                        "dgmcheck.theory.edm:gaussian_flow", "dgmcheck.theory.edm:mixture_flow"),
        "impl": "dgmcheck.impl.edm:sample_euler",
        "check": "dgmcheck.checks.edm:check_euler_step",
        "sources": (_L9_NUMERICAL, _L11_DIFF_SDE, _S001_CT),
        "statement": (
            r"One Euler step of the \sigma-ODE is x' = x + (\sigma' - \sigma)(x - D(x; \sigma))/\sigma; the "
            r"sampler repeats it along a decreasing grid (the step to \sigma' = 0 returns D(x; \sigma)); global "
            r"error O(h) (order 1) against the exact flow."
        ),
        "notes": _ORDER_NOTE,
    },
    "edm.heun": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.edm:heun_step", "dgmcheck.theory.edm:sample",
                        "dgmcheck.theory.edm:gaussian_flow", "dgmcheck.theory.edm:mixture_flow"),
        "impl": "dgmcheck.impl.edm:sample_heun",
        "check": "dgmcheck.checks.edm:check_heun_step",
        "sources": (_L9_NUMERICAL, _L11_DIFF_SDE, _S001_CT),
        "statement": (
            r"Heun in \sigma: \tilde x = x + h d(x, \sigma), x' = x + h \frac12 (d(x, \sigma) + d(\tilde x, \sigma')) "
            r"with h = \sigma' - \sigma and d = (x - D)/\sigma; when \sigma' = 0 (d undefined) the step is the "
            r"Euler step. Global error O(h^2) (order 2); a corrector evaluated at the old \sigma drops it to 1."
        ),
        "notes": _ORDER_NOTE,
    },
}
