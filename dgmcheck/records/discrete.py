"""Registry records of discrete diffusion (D3PM, absorbing / masked diffusion, MDLM).

Convention of the statements: the lecture's column convention [Q_t]_{ij} = q(x_t = i | x_{t-1} = j)
(columns sum to 1), states as one-hot vectors, steps t = 1..T, abar_t = prod_{s<=t} (1 - beta_s),
abar_0 = 1. Every oracle, impl and check also takes the row convention (D3PM's) as a parameter.
"""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L13_CHAIN = Source("000", "L13", "Forward Discrete Process")
_L13_OVER_TIME = Source("000", "L13", "Forward Process over Time")
_L13_MATRIX = Source("000", "L13", "Transition Matrix")
_L13_UNIFORM_VS_ABSORBING = Source("000", "L13", "Uniform vs. Absorbing Transition Matrix")
_L13_POSTERIOR = Source("000", "L13", "Posterior of the Forward Process")
_L13_ELBO = Source("000", "L13", "Discrete-time ELBO for Discrete Diffusion")
_L14_SEQUENCE = Source("000", "L14", "From Token to Sequence")
_L14_ABSORBING_FORWARD = Source("000", "L14", "Absorbing Diffusion: Forward Process")
_L14_ABSORBING = Source("000", "L14", "Absorbing Diffusion")
_L14_MASK_RATE = Source("000", "L14", "From Discrete Time to Mask Rate")
_L14_MDLM = Source("000", "L14", "Algorithm: Masked Diffusion Language Model (MDLM)")
_S004_POSTERIOR = Source("004", "L14", "Posterior in Absorbing Diffusion: Unmask vs Stay Masked")
_S004_ELBO = Source("004", "L14", "ELBO Term for Absorbing Diffusion")
_S004_SIMPLIFIED = Source("004", "L14", "Simplified Training: Predict Clean Token at Masked Positions")
_S004_SEQUENCE = Source("004", "L14", "Absorbing / Masked Diffusion: Sequence View")

_T = "dgmcheck.theory.discrete"
_I = "dgmcheck.impl.discrete"
_C = "dgmcheck.checks.discrete"

DETAILS: dict[str, dict[str, Any]] = {
    "discrete.transition": {
        "oracle": ("enumeration",),
        "oracle_refs": (f"{_T}:validate_transition", f"{_T}:to_column", f"{_T}:uniform_matrix",
                        f"{_T}:absorbing_matrix"),
        "impl": f"{_I}:DiscreteDiffusion.q_step_probs",
        "check": f"{_C}:check_transition",
        "sources": (_L13_CHAIN, _L13_OVER_TIME),
        "statement": (
            r"q(x_t | x_{t-1}) = Cat(Q_t x_{t-1}) with [Q_t]_{ij} = q(x_t = i | x_{t-1} = j), "
            r"[Q_t]_{ij} >= 0 and \sum_i [Q_t]_{ij} = 1 (column convention); in the row "
            r"convention (D3PM) the matrix is the transpose and rows sum to 1."
        ),
    },
    "discrete.cumulative": {
        "oracle": ("symbolic", "enumeration", "closed_form"),
        "oracle_refs": (f"{_T}:cumulative", f"{_T}:forward_probs",
                        f"{_T}:derive_cumulative_closed_forms"),
        "impl": f"{_I}:DiscreteDiffusion.cumulative",
        "check": f"{_C}:check_cumulative",
        "sources": (_L13_OVER_TIME, _L13_MATRIX, _L14_ABSORBING_FORWARD),
        "statement": (
            r"q(x_t | x_0) = Cat(Q_{1:t} x_0) with Q_{1:t} = Q_t Q_{t-1} \cdots Q_1 (column "
            r"convention; \bar Q_t = Q_1 \cdots Q_t in the row convention). For Q_t = (1-\beta_t) I "
            r"+ \beta_t U: Q_{1:t} = \bar\alpha_t I + (1-\bar\alpha_t) U; for Q_t = (1-\beta_t) I + "
            r"\beta_t e_m 1^T: Q_{1:t} = \bar\alpha_t I + (1-\bar\alpha_t) e_m 1^T."
        ),
    },
    "discrete.stationary": {
        "oracle": ("closed_form",),
        "oracle_refs": (f"{_T}:stationary_law",),
        "impl": f"{_I}:DiscreteDiffusion.stationary",
        "check": f"{_C}:check_stationary",
        "sources": (_L13_MATRIX, _L13_UNIFORM_VS_ABSORBING),
        "statement": (
            r"The uniform law 1/K is invariant under every uniform kernel and e_m under every "
            r"absorbing kernel (Q_t \pi = \pi: \pi is the eigenvector of eigenvalue 1 of Q_t, not "
            r"of Q_t^T), and ||Q_{1:t} x_0 - \pi||_1 = \bar\alpha_t ||x_0 - \pi||_1 -> 0 as "
            r"\bar\alpha_t -> 0."
        ),
        "notes": (
            "The slide's table writes Q_{1:infinity} = Cat(e_m) for absorbing diffusion; the "
            "matrix limit is e_m 1^T (every column e_m), the law Cat(e_m)."
        ),
    },
    "discrete.posterior": {
        "oracle": ("enumeration",),
        "oracle_refs": (f"{_T}:posterior", f"{_T}:posterior_enumeration"),
        "impl": f"{_I}:DiscreteDiffusion.posterior",
        "check": f"{_C}:check_posterior",
        "sources": (_L13_POSTERIOR,),
        "statement": (
            r"q(x_{t-1} | x_t, x_0) = Cat(Q_t^T x_t \odot Q_{1:t-1} x_0 / (x_t^T Q_{1:t} x_0)) in "
            r"the column convention (Q_t x_t \odot \bar Q_{t-1}^T x_0 / (x_t^T \bar Q_t^T x_0) in "
            r"the row convention), equal to brute-force Bayes over the enumerated paths."
        ),
        "notes": (
            "000 L13 prints Q_t x_t in the numerator; with the lecture's own column convention "
            "that is a column of Q_t (q(x_t = . | x_{t-1} = x_t)), wrong unless Q_t is symmetric "
            "(uniform kernels hide the error). The correct factor is Q_t^T x_t, i.e. "
            "q(x_t | x_{t-1} = .). The slide's 'Cat(Q_t) Cat(Q_{1:t-1}) / Cat(Q_{1:t})' is "
            "shorthand, not a formula."
        ),
    },
    "discrete.absorbing_posterior": {
        "oracle": ("enumeration", "closed_form"),
        "oracle_refs": (f"{_T}:absorbing_posterior", f"{_T}:posterior_enumeration"),
        "impl": f"{_I}:AbsorbingDiffusion.absorbing_posterior",
        "check": f"{_C}:check_absorbing_posterior",
        "sources": (_L14_ABSORBING, _S004_POSTERIOR),
        "statement": (
            r"For absorbing diffusion, q(x_{t-1} | x_t, x_0) = [x_{t-1} = x_t] if x_t != e_m, and "
            r"\rho_t [x_{t-1} = x_0] + (1-\rho_t) [x_{t-1} = e_m] if x_t = e_m, with \rho_t = "
            r"\beta_t \bar\alpha_{t-1} / (1-\bar\alpha_t) and 1-\rho_t = (1-\bar\alpha_{t-1})/"
            r"(1-\bar\alpha_t); derived exactly (rationals) from the general posterior."
        ),
        "notes": "At t = 1, rho_1 = 1: a token masked at t = 1 was clean at t = 0.",
    },
    "discrete.categorical_kl": {
        "oracle": ("closed_form",),
        "oracle_refs": (f"{_T}:categorical_kl", f"{_T}:cross_entropy", f"{_T}:entropy"),
        "impl": f"{_I}:categorical_kl",
        "check": f"{_C}:check_categorical_kl",
        "sources": (_L13_ELBO, _S004_ELBO),
        "statement": (
            r"KL(Cat(q) || Cat(p)) = \sum_k q_k log(q_k/p_k) = H(q, p) - H(q) >= 0 with "
            r"0 log 0 = 0; H(q) does not depend on the model, so minimizing L_t is minimizing the "
            r"cross-entropy E_{q(x_t|x_0)} H(q(x_{t-1}|x_t,x_0), p_\theta(x_{t-1}|x_t))."
        ),
    },
    "discrete.elbo_decomposition": {
        "oracle": ("enumeration",),
        "oracle_refs": (f"{_T}:elbo_terms", f"{_T}:elbo_enumeration",
                        f"{_T}:log_likelihood_enumeration", f"{_T}:true_reverse_model"),
        "impl": f"{_I}:DiscreteDiffusion.elbo",
        "check": f"{_C}:check_elbo_decomposition",
        "sources": (_L13_POSTERIOR, _L13_ELBO),
        "statement": (
            r"E_{q(x_1|x_0)} log p_\theta(x_0|x_1) - KL(q(x_T|x_0) || p(x_T)) - \sum_{t=2}^T "
            r"E_{q(x_t|x_0)} KL(q(x_{t-1}|x_t,x_0) || p_\theta(x_{t-1}|x_t)) = E_{q(x_{1:T}|x_0)} "
            r"log p_\theta(x_{0:T})/q(x_{1:T}|x_0) <= log p_\theta(x_0) = log \sum_{x_{1:T}} "
            r"p_\theta(x_{0:T}), with equality when p_\theta is the time reversal of q under a data "
            r"law (then log p_\theta(x_0) = log p_data(x_0)); all exact by enumeration."
        ),
    },
    "discrete.sequence_factorization": {
        "oracle": ("enumeration",),
        "oracle_refs": (f"{_T}:sequence_forward_law", f"{_T}:sequence_posterior_law"),
        "impl": f"{_I}:DiscreteDiffusion.posterior",
        "check": f"{_C}:check_sequence_factorization",
        "sources": (_L14_SEQUENCE, _S004_SEQUENCE),
        "statement": (
            r"For a sequence X in {0..K-1}^m noised position-wise with shared Q_t, the joint chain "
            r"on sequences has q(X_t | X_0) = \prod_i q(x^i_t | x^i_0) and q(X_{t-1} | X_t, X_0) = "
            r"\prod_i q(x^i_{t-1} | x^i_t, x^i_0), so KL(q(X_{t-1}|X_t,X_0) || \prod_i "
            r"p_\theta(x^i_{t-1}|X_t)) = \sum_i KL(q(x^i_{t-1}|x^i_t,x^i_0) || p_\theta(x^i_{t-1}|X_t))."
        ),
        "notes": (
            "000 L14 writes q(X_t | X_{t-1}) = Cat(Q_{1:t} X_0); it means q(X_t | X_0). Its 'Final "
            "objective: masked LM' (sum over all t and i of -log p(x_0^i | X_t)) drops the mask "
            "indicator and the weight rho_t; see discrete.absorbing_loss."
        ),
    },
    "discrete.absorbing_loss": {
        "oracle": ("enumeration",),
        "oracle_refs": (f"{_T}:absorbing_loss_enumeration", f"{_T}:absorbing_loss_closed_form"),
        "impl": f"{_I}:AbsorbingDiffusion.absorbing_loss",
        "check": f"{_C}:check_absorbing_loss",
        "sources": (_L14_ABSORBING, _S004_SIMPLIFIED),
        "statement": (
            r"With the x_0-parametrized reverse model p_\theta(x^i_{t-1}|X_t) = \sum_{\hat x_0} "
            r"q(x^i_{t-1}|x^i_t, \hat x_0) p_\theta(\hat x_0^i|X_t), L_t = E_{q(X_t|X_0)} \sum_i "
            r"KL(q(x^i_{t-1}|x^i_t,x^i_0) || p_\theta(x^i_{t-1}|X_t)) = E_{q(X_t|X_0)} \sum_i "
            r"\rho_t [x^i_t = e_m] (-log p_\theta(x^i_0 | X_t)): unmasked positions contribute "
            r"exactly 0."
        ),
        "notes": (
            "The slide's '+ const' is exactly 0 for the x_0-parametrization (the mask/unmask "
            "split 1-rho_t is shared by q and p_theta)."
        ),
    },
    "discrete.mask_rate": {
        "oracle": ("symbolic", "enumeration"),
        "oracle_refs": (f"{_T}:mdlm_weight", f"{_T}:masked_ce_polynomial",
                        f"{_T}:continuous_mask_objective", f"{_T}:discrete_mask_objective"),
        "impl": f"{_I}:mdlm_loss",
        "check": f"{_C}:check_mask_rate",
        "sources": (_L14_MASK_RATE, _L14_MDLM),
        "statement": (
            r"With \bar\alpha_t = \alpha(t/T) for a mask schedule \alpha decreasing from 1 to 0, "
            r"\sum_t \rho_t f(1-\bar\alpha_t) -> \int_0^1 w(t) f(1-\alpha(t)) dt as T -> \infty, "
            r"with w(t) = -\alpha'(t)/(1-\alpha(t)) >= 0, i.e. w(\lambda) = 1/\lambda in the mask "
            r"rate \lambda = 1-\alpha, where f(\lambda) = E_{q_\lambda} \sum_i [x^i_\lambda = e_m] "
            r"(-log p_\theta(x^i_0|X_\lambda)); the error is at most 1/2 max|g'| \sum \Delta\lambda^2 "
            r"for g(\lambda) = f(\lambda)/\lambda."
        ),
        "notes": (
            "The slide leaves w(lambda) unspecified and says 'sample lambda ~ w(lambda)'; the "
            "derived w = 1/lambda is not integrable, so one samples t (or lambda) uniformly and "
            "weights by 1/lambda."
        ),
    },
    "discrete.mdlm_sampling": {
        "oracle": ("enumeration", "monte_carlo"),
        "oracle_refs": (f"{_T}:mdlm_sampler_law", f"{_T}:mdlm_step_law", f"{_T}:exact_denoiser"),
        "impl": f"{_I}:mdlm_sample",
        "check": f"{_C}:check_mdlm_sampling",
        "sources": (_L14_MDLM,),
        "statement": (
            r"One step from mask rate \lambda to \lambda' < \lambda keeps a masked position masked "
            r"with probability \lambda'/\lambda (the absorbing posterior with 1-\bar\alpha -> "
            r"\lambda) and otherwise fills it from p(x^i_0 | X). Drawing the newly unmasked "
            r"positions jointly from the exact q(X_0 | X) gives output law = data law for every "
            r"schedule; the lecture's parallel (factorized) fill is exact for product data laws and "
            r"in the limit of fine schedules (at most one position unmasked per step)."
        ),
        "notes": (
            "The slide's parallel unmasking does not reproduce correlated data exactly: for the "
            "data law uniform on {(0,1),(1,0)} one step from lambda = 1 to 0 gives the product of "
            "marginals (total variation 1/2); the error vanishes as the schedule is refined."
        ),
    },
}
