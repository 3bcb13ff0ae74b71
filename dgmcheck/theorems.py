r"""The theorem registry: one :class:`~dgmcheck.registry.Theorem` per id of THEOREMS.md.

Records appear in the inventory's order; titles follow the inventory's words. A record starts as
``todo`` (no oracle, no check); coverage is measured by :func:`dgmcheck.registry.coverage` from
the tests' ``theorem`` / ``planted_bug`` markers, never typed here.

Sources cite the seeds (``../shared/seeds``) as seed file id, lecture and slide title, the title
as the slide's ``#`` heading reads (markdown emphasis dropped). Seed 001 is one lecture without a
number, so its lecture is ``""``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from dgmcheck.registry import Source, Theorem

__all__ = ["BY_ID", "FAMILIES", "THEOREMS", "get"]

# ---------------------------------------------------------------------------------------------
# Lecture slides cited by the DDPM slice.
# ---------------------------------------------------------------------------------------------

_L7_FORWARD = Source("000", "L7", "Forward Gaussian Diffusion Process")
_L7_ANCESTRAL = Source("000", "L7", "Reverse Gaussian Diffusion Process (Ancestral Sampling)")
_L8_CONDITIONED = Source("000", "L8", "Conditioned Reverse Distribution")
_L8_AS_VAE = Source("000", "L8", "Gaussian Diffusion Model as VAE")
_L8_ELBO = Source("000", "L8", "ELBO for Gaussian Diffusion Model")
_L8_REPARAM = Source("000", "L8", "Reparametrization of DDPM")
_L8_DDPM = Source("000", "L8", "Denoising Diffusion Probabilistic Model (DDPM)")
_L9_SCORE = Source("000", "L9", "Denoising Diffusion as a Score-Based Generative Model")
_L9_OBJECTIVES = Source("000", "L9", "DDPM vs NCSN: Objectives")
_L9_SAMPLING = Source("000", "L9", "DDPM vs NCSN: Sampling")
_L9_SUMMARY = Source("000", "L9", "DDPM vs NCSN: Summary")
_S001_DDPM = Source("001", "", "Denoising diffusion probabilistic models")
_S003_SCORE = Source("003", "L9", "Denoising Diffusion as a Score-Based Generative Model")
_S003_OBJECTIVES = Source("003", "L9", "DDPM vs NCSN: Objectives")
_S003_SAMPLING = Source("003", "L9", "DDPM vs NCSN: Sampling")

# Notation shared by the statements below: beta_t in (0, 1), alpha_t = 1 - beta_t,
# abar_t = prod_{s<=t} alpha_s (abar_0 = 1), t = 1..T.

# ---------------------------------------------------------------------------------------------
# The inventory: (id, title) in THEOREMS.md order, and the details of the records filled so far.
# ---------------------------------------------------------------------------------------------

_INVENTORY: tuple[tuple[str, str], ...] = (
    # Foundations (L1-L2)
    ("tricks.log_derivative", "Log-derivative trick"),
    ("tricks.jensen", "Jensen's inequality"),
    ("tricks.monte_carlo_unbiased", "Monte Carlo estimation is unbiased"),
    ("tricks.lotus", "Law of the unconscious statistician (LOTUS)"),
    ("tricks.dirac", "Dirac delta function"),
    ("change_of_variables.density", "Change of variables: density of an invertible map"),
    ("change_of_variables.inverse_function", "Inverse function theorem: Jacobian of the inverse"),
    ("divergence.kl_nonnegative", "KL divergence is non-negative"),
    (
        "divergence.forward_kl_is_mle",
        "Minimizing forward KL = maximizing likelihood up to a constant",
    ),
    (
        "ar.factorization",
        "Autoregressive factorization: log-likelihood is the sum of conditionals; "
        "sequential sampling draws from the joint",
    ),
    ("ar.parameter_counts", "Parameter counts of histogram / independent / Markov models"),
    ("flows.composition", "Composition of flows: log-dets add"),
    ("flows.linear", "Linear flow z = Wx: Jacobian and log-det; LU and QR parametrizations"),
    ("flows.gaussian_ar", "Gaussian autoregressive flow: triangular Jacobian, forward/inverse"),
    ("flows.realnvp", "RealNVP coupling: inverse and log-det; coupling as a special AR flow"),
    # Latent variable models (L2-L4)
    ("elbo.bound", "ELBO <= log p for any q"),
    ("elbo.decomposition", "log p = ELBO + KL(q || posterior)"),
    ("elbo.recon_minus_kl", "ELBO = reconstruction term - KL(q || prior)"),
    ("elbo.optimal_q", "The optimal variational distribution is the posterior"),
    ("vae.gaussian_kl", "Closed-form KL of diagonal Gaussians"),
    ("vae.reparametrization", "Reparametrization trick: unbiased pathwise gradient"),
    ("vae.elbo_estimator", "Monte Carlo ELBO estimator"),
    ("vae.nf_as_vae", "Flow MLE equals an ELBO with delta encoder/decoder"),
    ("vae.discrete_kl_uniform", "KL to a uniform prior = log K - entropy"),
    ("vq.deterministic_posterior_kl", "KL of a deterministic (one-hot) posterior"),
    ("vq.straight_through", "Straight-through gradient estimator"),
    ("vq.losses", "VQ-VAE codebook and commitment terms with stop-gradient"),
    ("elbo.surgery", "ELBO surgery: average KL = marginal KL + mutual information"),
    ("elbo.optimal_prior", "The optimal prior is the aggregated posterior"),
    ("vae.flow_prior", "VAE with a flow prior"),
    # Likelihood-free models and metrics (L5-L6)
    ("gan.optimal_discriminator", "Optimal GAN discriminator"),
    ("gan.value_at_optimum", "GAN value at the optimal discriminator = 2 JSD - 2 log 2"),
    ("gan.global_optimum", "Global optimum of the GAN game"),
    ("divergence.jsd_properties", "Jensen-Shannon divergence properties"),
    ("divergence.disjoint_supports", "Disjoint supports (the parallel-lines example): KL, JSD, W"),
    ("divergence.convergence_hierarchy", "Convergence hierarchy of divergences"),
    ("wasserstein.kantorovich_rubinstein", "Kantorovich-Rubinstein duality: primal = dual"),
    ("wasserstein.gaussian_w2", "Closed-form Wasserstein-2 distance between Gaussians"),
    ("metrics.fid", "Frechet Inception Distance (FID)"),
    ("metrics.precision_recall", "Precision and recall of generative models"),
    ("score.unnormalized", "Score of an unnormalized density: the normalizing constant drops out"),
    (
        "langevin.stationary",
        "ULA on a Gaussian target: exact stationary law and its O(eta) bias",
    ),
    ("langevin.annealed", "Annealed Langevin dynamics"),
    # Score matching and diffusion (L6-L9, seed 001, seed 003)
    ("score.fisher_divergence", "Fisher divergence"),
    ("score.dsm_equivalence", "Denoising score matching objective = explicit objective + const"),
    ("score.noise_kernel_gradient", "Score of the Gaussian noise kernel"),
    ("ncsn.weighted_objective", "NCSN weighted denoising objective"),
    ("ncsn.annealed_sampling", "NCSN sampling by annealed Langevin dynamics"),
    ("ddpm.forward_marginal", "Forward marginal q(x_t | x_0)"),
    ("ddpm.stationary", "N(0, I) is the stationary law of the forward chain"),
    ("ddpm.forward_as_langevin", "Forward diffusion step as a Langevin step on N(0, I)"),
    ("ddpm.posterior", "Posterior q(x_{t-1} | x_t, x_0): mean and variance"),
    ("ddpm.elbo_decomposition", "DDPM ELBO as a sum of KL terms"),
    ("ddpm.kl_same_variance", "KL between Gaussians with the same variance"),
    ("ddpm.optimal_variance", "Optimal reverse variance: beta-tilde vs beta"),
    ("ddpm.eps_mean", "Posterior mean in terms of noise"),
    ("ddpm.loss_weight", "Weight of the noise-prediction ELBO term"),
    ("ddpm.simple_loss", "Simplified DDPM objective"),
    ("ddpm.ancestral_sampling", "DDPM ancestral sampling"),
    ("ddpm.score_reparametrization", "Noise prediction <-> score"),
    ("ddpm.sampling_in_score_form", "Ancestral sampling step in score form"),
    ("ddpm.elbo_equals_dsm", "DDPM ELBO = denoising score matching"),
    ("guidance.classifier", "Classifier guidance: Bayes for scores"),
    ("guidance.scale_sharpening", "Guidance scale sharpens the conditional distribution"),
    ("guidance.classifier_free", "Classifier-free guidance"),
    ("schedules.linear", "Linear variance schedule"),
    ("schedules.cosine", "Cosine variance schedule"),
    # Continuous time (L9-L11, seed 001)
    ("ode.euler", "Euler method: convergence order"),
    ("ode.heun", "Heun method: convergence order"),
    ("ode.picard_reversibility", "Picard theorem: reversibility of the ODE flow"),
    (
        "ode.continuity_equation",
        "Continuity equation: log-density along a trajectory; exact trace and Hutchinson estimator",
    ),
    ("sde.wiener", "Wiener process increments"),
    ("sde.euler_maruyama", "Euler-Maruyama scheme"),
    ("sde.kfp", "Kolmogorov-Fokker-Planck equation"),
    ("sde.langevin_stationary", "Langevin SDE: the target is stationary"),
    ("sde.probability_flow_ode", "Probability-flow ODE: same marginals as the SDE"),
    ("sde.reverse_sde", "Reverse-time SDE"),
    ("sde.ve", "VE SDE as the limit of the NCSN chain"),
    ("sde.vp", "VP SDE as the limit of the DDPM chain"),
    ("sde.moment_odes", "Moment ODEs of linear SDEs"),
    ("sde.ve_marginal", "VE SDE marginal"),
    ("sde.vp_marginal", "VP SDE marginal"),
    ("sde.continuous_dsm", "Continuous-time denoising score matching"),
    ("sde.pf_ode_plus_langevin", "Reverse SDE = PF-ODE drift + Langevin part"),
    # Flow matching (L11-L13, seed 002)
    (
        "fm.marginal_vector_field",
        "The posterior-averaged conditional field generates the marginal path",
    ),
    (
        "fm.cfm_equals_fm",
        "CFM vs FM: what exactly is equal (objectives, gradients, minimizers, minimum values)",
    ),
    ("fm.gaussian_path_field", "Vector field of a Gaussian conditional path"),
    ("fm.conical_path", "Conical Gaussian path"),
    ("fm.linear_interpolation", "Linear interpolation path"),
    ("fm.boundary_conditions", "Boundary conditions of the probability path"),
    ("fm.ve_path", "VE score SDE as a flow-matching path"),
    ("fm.vp_path", "VP score SDE as a flow-matching path"),
    ("fm.ode_sampling", "Sampling by integrating the flow-matching ODE"),
    # Discrete diffusion (L13-L14, seed 004)
    ("discrete.transition", "Transition matrix (column convention)"),
    ("discrete.cumulative", "Cumulative transition: uniform and absorbing closed forms"),
    ("discrete.stationary", "Stationary distribution of the discrete forward process"),
    ("discrete.posterior", "Posterior q(x_{t-1} | x_t, x_0) for a general transition matrix"),
    ("discrete.absorbing_posterior", "Absorbing-state posterior"),
    ("discrete.categorical_kl", "Categorical KL = cross-entropy - entropy"),
    ("discrete.elbo_decomposition", "Discrete diffusion ELBO decomposition"),
    ("discrete.sequence_factorization", "Factorization over sequence positions"),
    ("discrete.absorbing_loss", "Absorbing loss: only masked positions contribute"),
    ("discrete.mask_rate", "Continuous-time mixture of masked-LM losses"),
    ("discrete.mdlm_sampling", "MDLM sampling"),
)

_DETAILS: dict[str, dict[str, Any]] = {
    "ddpm.forward_marginal": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:forward_marginal", "dgmcheck.theory.ddpm:derive_forward_marginal_step"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.q_sample",
        "check": "dgmcheck.checks.ddpm:check_forward_marginal",
        "sources": (_L7_FORWARD, _S001_DDPM),
        "statement": (
            r"The chain q(x_t | x_{t-1}) = N(\sqrt{1-\beta_t} x_{t-1}, \beta_t I) has the t-step "
            r"marginal q(x_t | x_0) = N(\sqrt{\bar\alpha_t} x_0, (1-\bar\alpha_t) I), i.e. "
            r"x_t = \sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t} \epsilon, "
            r"\epsilon ~ N(0, I) (Statement 1)."
        ),
    },
    "ddpm.stationary": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:forward_step", "dgmcheck.theory.ddpm:prior_kl"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.q_step",
        "check": "dgmcheck.checks.ddpm:check_stationary",
        "sources": (_L7_FORWARD,),
        "statement": (
            r"N(0, I) is invariant under every kernel q(x_t | x_{t-1}) (if x_{t-1} ~ N(0, I) "
            r"then x_t ~ N(0, I)), and for any data law with finite second moment q(x_t) -> "
            r"N(0, I) as \bar\alpha_t -> 0: W_2(q(x_t), N(0, I)) <= \sqrt{\bar\alpha_t} "
            r"(E||x_0||^2)^{1/2} + (1 - \sqrt{1-\bar\alpha_t}) \sqrt{d} (Statement 2)."
        ),
        "notes": (
            "The slide's p_infinity = N(0, I) holds only in the limit; for finite T the "
            "marginal q(x_T) keeps a sqrt(abar_T)-scaled copy of the data."
        ),
    },
    "ddpm.forward_as_langevin": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (
            "dgmcheck.theory.ddpm:langevin_remainder",
            "dgmcheck.theory.ddpm:langevin_remainder_bounds",
            "dgmcheck.theory.ddpm:derive_langevin_remainder",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.q_step",
        "check": "dgmcheck.checks.ddpm:check_forward_as_langevin",
        "sources": (_L7_FORWARD,),
        "statement": (
            r"The forward step x_t = \sqrt{1-\beta_t} x_{t-1} + \sqrt{\beta_t}\epsilon agrees to "
            r"first order in \beta_t with one unadjusted Langevin step of size \eta = \beta_t on "
            r"N(0, I), x + (\eta/2) \nabla \log N(x; 0, I) + \sqrt{\eta}\epsilon = (1-\eta/2) x "
            r"+ \sqrt{\eta}\epsilon; the drift coefficients differ by \sqrt{1-\beta} - "
            r"(1-\beta/2) = -\beta^2/8 + O(\beta^3). The forward kernel keeps N(0, I) exactly, "
            r"the Langevin step has stationary law N(0, I/(1-\eta/4))."
        ),
    },
    "ddpm.posterior": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:posterior", "dgmcheck.theory.ddpm:derive_posterior"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior",
        "check": "dgmcheck.checks.ddpm:check_posterior",
        "sources": (_L8_CONDITIONED, _S001_DDPM),
        "statement": (
            r"For t >= 2, q(x_{t-1} | x_t, x_0) = N(\tilde\mu_t(x_t, x_0), \tilde\beta_t I) with "
            r"\tilde\mu_t = \sqrt{\bar\alpha_{t-1}}\beta_t/(1-\bar\alpha_t) x_0 + "
            r"\sqrt{\alpha_t}(1-\bar\alpha_{t-1})/(1-\bar\alpha_t) x_t and "
            r"\tilde\beta_t = (1-\bar\alpha_{t-1})\beta_t/(1-\bar\alpha_t); at t = 1 "
            r"(\bar\alpha_0 = 1) it degenerates to the point mass at x_0."
        ),
    },
    "ddpm.elbo_decomposition": {
        "oracle": ("closed_form",),
        "oracle_refs": (
            "dgmcheck.theory.linear_gaussian:elbo",
            "dgmcheck.theory.linear_gaussian:elbo_terms",
            "dgmcheck.theory.linear_gaussian:posterior_kl_gap",
            "dgmcheck.theory.linear_gaussian:log_likelihood",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior_kl",
        "check": "dgmcheck.checks.ddpm:check_elbo_decomposition",
        "sources": (_L8_AS_VAE, _L8_ELBO, _S001_DDPM),
        "statement": (
            r"With p_\theta(x_{0:T}) = p(x_T) \prod_t p_\theta(x_{t-1} | x_t) and q(x_{1:T} | x_0)"
            r" = \prod_t q(x_t | x_{t-1}): log p_\theta(x_0) >= L(x_0) = E_{q(x_1|x_0)} log "
            r"p_\theta(x_0 | x_1) - KL(q(x_T | x_0) || p(x_T)) - \sum_{t=2}^T E_{q(x_t|x_0)} "
            r"KL(q(x_{t-1} | x_t, x_0) || p_\theta(x_{t-1} | x_t)), with equality of L and "
            r"E_q log p_\theta(x_{0:T}) / q(x_{1:T} | x_0), and log p_\theta(x_0) - L(x_0) = "
            r"KL(q(x_{1:T} | x_0) || p_\theta(x_{1:T} | x_0))."
        ),
    },
    "ddpm.kl_same_variance": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.linear_gaussian:gaussian_kl",),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior_kl",
        "check": "dgmcheck.checks.ddpm:check_kl_same_variance",
        "sources": (_L8_ELBO,),
        "statement": (
            r"KL(N(\mu_1, \sigma^2 I) || N(\mu_2, \sigma^2 I)) = ||\mu_1 - \mu_2||^2 / "
            r"(2\sigma^2); with \sigma^2 = \tilde\beta_t, L_t = E_{q(x_t|x_0)} "
            r"||\tilde\mu_t(x_t, x_0) - \mu_{\theta,t}(x_t)||^2 / (2\tilde\beta_t)."
        ),
    },
    "ddpm.optimal_variance": {
        "oracle": ("closed_form",),
        "oracle_refs": (
            "dgmcheck.theory.linear_gaussian:optimal_reverse_variance",
            "dgmcheck.theory.ddpm:reverse_variance",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.reverse_variance",
        "check": "dgmcheck.checks.ddpm:check_optimal_variance",
        "sources": (_L8_ELBO,),
        "statement": (
            r"For p_\theta(x_{t-1} | x_t) = N(\mu(x_t), \sigma_t^2 I) with the optimal mean "
            r"\mu^*(x_t) = E[\tilde\mu_t | x_t], the ELBO-optimal variance is \sigma_t^{2*} = "
            r"\tilde\beta_t + E||\tilde\mu_t - \mu^*(x_t)||^2 / d = E tr Cov(x_{t-1} | x_t) / d "
            r">= \tilde\beta_t; it equals \tilde\beta_t for point-mass data and \beta_t for "
            r"x_0 ~ N(0, I). For x_0 ~ N(0, s^2 I): \sigma_t^{2*} = v\beta_t/(\alpha_t v + "
            r"\beta_t), v = \bar\alpha_{t-1}s^2 + 1 - \bar\alpha_{t-1}, which exceeds \beta_t "
            r"exactly when s > 1."
        ),
        "notes": (
            "The slide's interval [beta-tilde, beta] holds for data with covariance <= I, "
            "not for every data law (wider data give sigma*^2 > beta_t)."
        ),
    },
    "ddpm.eps_mean": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:eps_mean", "dgmcheck.theory.ddpm:derive_eps_mean"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.posterior_mean_from_eps",
        "check": "dgmcheck.checks.ddpm:check_eps_mean",
        "sources": (_L8_REPARAM, _S001_DDPM),
        "statement": (
            r"With x_0 = (x_t - \sqrt{1-\bar\alpha_t}\epsilon)/\sqrt{\bar\alpha_t}: "
            r"\tilde\mu_t(x_t, x_0) = (1/\sqrt{\alpha_t}) (x_t - \beta_t/\sqrt{1-\bar\alpha_t} "
            r"\epsilon), and \mu_{\theta,t}(x_t) = (1/\sqrt{\alpha_t}) (x_t - \beta_t / "
            r"\sqrt{1-\bar\alpha_t} \epsilon_{\theta,t}(x_t))."
        ),
        "notes": (
            "Seed 001 writes (1-alpha_t)/sqrt(1-alpha_t) in places where sqrt(1-abar_t) belongs; the audit records it."
        ),
    },
    "ddpm.loss_weight": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:loss_weight", "dgmcheck.theory.ddpm:derive_loss_weight"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.loss_weight",
        "check": "dgmcheck.checks.ddpm:check_loss_weight",
        "sources": (_L8_REPARAM, _S001_DDPM),
        "statement": (
            r"With \sigma_t^2 = \tilde\beta_t and the \epsilon-parametrized mean, L_t = E_\epsilon "
            r"[\beta_t^2 / (2\tilde\beta_t\alpha_t(1-\bar\alpha_t)) ||\epsilon - "
            r"\epsilon_{\theta,t}(\sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon)||^2], "
            r"and the weight simplifies to \beta_t / (2\alpha_t(1-\bar\alpha_{t-1})) for t >= 2."
        ),
    },
    "ddpm.simple_loss": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:forward_marginal",),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.simple_loss",
        "check": "dgmcheck.checks.ddpm:check_simple_loss",
        "sources": (_L8_REPARAM, _L8_DDPM, _S001_DDPM),
        "statement": (
            r"L_simple = E_{t ~ U\{1..T\}} E_{x_0, \epsilon} ||\epsilon - \epsilon_\theta("
            r"\sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t)||^2 is the ELBO's "
            r"noise-prediction terms with their weights dropped; for a network with a separate "
            r"output per t it has the same minimizer \epsilon^*(x_t, t) = E[\epsilon | x_t] as "
            r"every positively weighted sum of the L_t."
        ),
        "notes": "L8 writes t ~ U{2, T} on one slide and t ~ U{1, T} on the next.",
    },
    "ddpm.ancestral_sampling": {
        "oracle": ("closed_form",),
        "oracle_refs": (
            "dgmcheck.theory.ddpm:eps_mean",
            "dgmcheck.theory.linear_gaussian:ddpm_sampler_chain",
            "dgmcheck.theory.linear_gaussian:sampler_law",
        ),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.sample",
        "check": "dgmcheck.checks.ddpm:check_sampler_law",
        "sources": (_L7_ANCESTRAL, _L8_ELBO, _L8_DDPM, _S001_DDPM),
        "statement": (
            r"x_T ~ N(0, I); for t = T..1: x_{t-1} = \mu_{\theta,t}(x_t) + \sigma_t z with "
            r"z ~ N(0, I) for t > 1 and z = 0 at t = 1. The chain draws from p(x_T) \prod_t "
            r"p_\theta(x_{t-1} | x_t); for a linear-Gaussian model its output law is the "
            r"Gaussian obtained by composing the steps exactly."
        ),
    },
    "ddpm.score_reparametrization": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:score_from_eps", "dgmcheck.theory.gaussian_mixture:posterior_mean_noise"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.score_from_eps",
        "check": "dgmcheck.checks.ddpm:check_score_reparametrization",
        "sources": (_L9_SCORE, _S003_SCORE),
        "statement": (
            r"\nabla_{x_t} log q(x_t | x_0) = -(x_t - \sqrt{\bar\alpha_t} x_0)/(1-\bar\alpha_t) = "
            r"-\epsilon/\sqrt{1-\bar\alpha_t}; the marginal score is \nabla log q(x_t) = "
            r"-E[\epsilon | x_t]/\sqrt{1-\bar\alpha_t}, so s_\theta(x_t, t) = "
            r"-\epsilon_\theta(x_t, t)/\sqrt{1-\bar\alpha_t}."
        ),
        "notes": (
            "The slides write s = eps_theta / sqrt(1 - abar_t) without the minus sign, while "
            "the score-form sampling step of the same lecture needs it."
        ),
    },
    "ddpm.sampling_in_score_form": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": ("dgmcheck.theory.ddpm:score_step", "dgmcheck.theory.ddpm:derive_score_step"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.reverse_step_score",
        "check": "dgmcheck.checks.ddpm:check_score_form_step",
        "sources": (_L9_SAMPLING, _S003_SAMPLING),
        "statement": (
            r"With s_\theta = -\epsilon_\theta/\sqrt{1-\bar\alpha_t}: \mu_{\theta,t}(x_t) = "
            r"(1/\sqrt{\alpha_t})(x_t - \beta_t/\sqrt{1-\bar\alpha_t} \epsilon_\theta) = "
            r"(1/\sqrt{1-\beta_t})(x_t + \beta_t s_\theta(x_t, t))."
        ),
    },
    "ddpm.elbo_equals_dsm": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.ddpm:dsm_weight", "dgmcheck.theory.ddpm:loss_weight"),
        "impl": "dgmcheck.impl.ddpm:GaussianDiffusion.dsm_term",
        "check": "dgmcheck.checks.ddpm:check_elbo_equals_dsm",
        "sources": (_L9_SCORE, _L9_OBJECTIVES, _L9_SUMMARY, _S003_OBJECTIVES),
        "statement": (
            r"L_t = C_{1,t} E||\epsilon_\theta - \epsilon||^2 = C_{2,t} E_{q(x_t|x_0)} "
            r"||s_\theta(x_t) - \nabla log q(x_t | x_0)||^2 with C_{1,t} = \beta_t^2 / "
            r"(2\tilde\beta_t\alpha_t(1-\bar\alpha_t)), C_{2,t} = (1-\bar\alpha_t) C_{1,t} = "
            r"\beta_t^2/(2\tilde\beta_t\alpha_t); averaged over the data this equals C_{2,t} "
            r"E_{q(x_t)} ||s_\theta(x_t) - \nabla log q(x_t)||^2 + const(\theta) (denoising "
            r"score matching), so maximizing the ELBO is weighted score matching."
        ),
    },
    "schedules.linear": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.schedules:linear_betas",),
        "impl": "dgmcheck.impl.schedules:linear_betas",
        "check": "dgmcheck.checks.schedules:check_linear_schedule",
        "sources": (_S001_DDPM,),
        "statement": (
            r"\beta_t = \beta_1 + (t-1)(\beta_T - \beta_1)/(T-1), with \beta_1 = 10^{-4}, "
            r"\beta_T = 0.02, T = 1000 (Ho et al. 2020): \beta_t in (0, 1) increasing, "
            r"\bar\alpha_t strictly decreasing, \bar\alpha_T ~= 4.04e-5."
        ),
    },
    "schedules.cosine": {
        "oracle": ("symbolic", "closed_form"),
        "oracle_refs": (
            "dgmcheck.theory.schedules:cosine_betas",
            "dgmcheck.theory.schedules:symbolic_cosine_telescoping",
        ),
        "impl": "dgmcheck.impl.schedules:cosine_betas",
        "check": "dgmcheck.checks.schedules:check_cosine_schedule",
        "sources": (_S001_DDPM,),
        "statement": (
            r"\bar\alpha_t = f(t)/f(0), f(t) = cos^2(((t/T + s)/(1 + s)) \pi/2), s = 0.008; "
            r"\beta_t = 1 - \bar\alpha_t/\bar\alpha_{t-1} clipped to at most 0.999 (Nichol & "
            r"Dhariwal 2021): \bar\alpha_t decreases from ~1 to 0, \beta_t in (0, 0.999]."
        ),
        "notes": (
            "Seed 001 only names the cosine schedule ('works better than linear'); the formula "
            "is Nichol & Dhariwal's. Clipping beta changes abar at the last steps."
        ),
    },
}


def _build() -> tuple[Theorem, ...]:
    records = []
    for theorem_id, title in _INVENTORY:
        details = _DETAILS.get(theorem_id, {})
        records.append(Theorem(id=theorem_id, title=title, family=theorem_id.split(".", 1)[0], **details))
    return tuple(records)


#: Every theorem of the inventory, in THEOREMS.md order.
THEOREMS: tuple[Theorem, ...] = _build()

#: The records by id (read-only).
BY_ID: Mapping[str, Theorem] = MappingProxyType({t.id: t for t in THEOREMS})

#: The families (id prefixes) in order of first appearance.
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(t.family for t in THEOREMS))


def get(theorem_id: str) -> Theorem:
    """The record of ``theorem_id``; :class:`KeyError` naming the id when unknown."""
    try:
        return BY_ID[theorem_id]
    except KeyError:
        raise KeyError(f"unknown theorem id {theorem_id!r}") from None
