r"""The theorem registry: one :class:`~dgmcheck.registry.Theorem` per id of the inventory below.

Records appear in the inventory's order; titles follow the inventory's words. A record starts as
``todo`` (no oracle, no check); coverage is measured by :func:`dgmcheck.registry.coverage` from
the tests' ``theorem`` / ``planted_bug`` markers, never typed here.

Sources cite the lecture files (``000``..``004``) as file id, lecture and slide title, the title
as the slide's ``#`` heading reads (markdown emphasis dropped). Seed 001 is one lecture without a
number, so its lecture is ``""``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from types import MappingProxyType

from dgmcheck import records
from dgmcheck.registry import FAMILY_ALIASES, FAMILY_OF_NAME, Theorem, family_of

__all__ = ["BY_ID", "FAMILIES", "THEOREMS", "family", "get", "slide", "slides"]

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
    # Beyond the lectures' floor: the sigmoid schedule, DDIM, respacing, grids, prediction parametrizations
    ("schedules.sigmoid", "Sigmoid variance schedule"),
    ("ddim.marginals", "DDIM's non-Markovian forward process keeps the marginals q(x_t | x_0)"),
    ("ddim.step", "DDIM step for any eta"),
    ("ddim.eta_one_is_ddpm", "DDIM with eta = 1 is DDPM ancestral sampling"),
    ("ddim.eta_zero_is_pf_ode_euler", "DDIM with eta = 0 is an Euler step of the probability-flow ODE"),
    ("ddim.respacing", "Respaced DDPM chain on a sub-sequence of steps"),
    ("ddim.grids", "Timestep grids: linspace, leading, trailing"),
    ("parametrization.affine", "Prediction parametrizations (eps, x0, v, score) are affine images"),
    ("parametrization.loss_weights", "x0-, v- and score-losses are weighted eps-losses"),
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
    # The σ-parametrized ("EDM") view and its samplers (beyond the lectures' floor, built on L9-L11)
    ("edm.pf_ode", "Sigma-ODE dx/dsigma = (x - D(x; sigma))/sigma with the denoiser D = E[x0 | x]"),
    ("edm.vp_change_of_variables", "x_VP = x/sqrt(1 + sigma^2) maps the sigma-ODE to the VP PF-ODE; D = x - sigma eps"),
    ("edm.karras_grid", "Karras noise-level grid"),
    ("edm.euler", "Euler step in sigma: order 1"),
    ("edm.heun", "Heun step in sigma (Euler on the last step): order 2"),
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
    ("fm.schrodinger_bridge_path", "Schrodinger-bridge (Brownian-bridge) conditional path and its field"),
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



def _build() -> tuple[Theorem, ...]:
    details_by_id = records.all_details()
    unknown = sorted(set(details_by_id) - {tid for tid, _ in _INVENTORY})
    if unknown:
        raise LookupError(f"dgmcheck.records define details for ids not in the inventory: {unknown}")
    built = []
    for theorem_id, title in _INVENTORY:
        details = details_by_id.get(theorem_id, {})
        built.append(Theorem(id=theorem_id, title=title, family=family_of(theorem_id), **details))
    return tuple(built)


#: Every theorem of the inventory, in THEOREMS.md order.
THEOREMS: tuple[Theorem, ...] = _build()

#: The records by id (read-only).
BY_ID: Mapping[str, Theorem] = MappingProxyType({t.id: t for t in THEOREMS})

#: The families' canonical names (:func:`dgmcheck.registry.family_of`), in order of first appearance.
FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(t.family for t in THEOREMS))


def family(name: str) -> str:
    """The canonical family a name denotes: a family, a check or records module serving one
    (``samplers`` -> ``sde``), or an old spelling (``fm`` -> ``flow_matching``, with a
    DeprecationWarning: accepted for one more release). Anything else is a ValueError listing the
    families."""
    if name in FAMILIES:
        return name
    if name in FAMILY_OF_NAME:
        return FAMILY_OF_NAME[name]
    if name in FAMILY_ALIASES:
        canonical = FAMILY_ALIASES[name]
        warnings.warn(f"family {name!r} is now called {canonical!r}; the old name goes in the next release",
                      DeprecationWarning, stacklevel=2)
        return canonical
    raise ValueError(f"unknown family {name!r}; expected one of: {', '.join(FAMILIES)}")


def get(theorem_id: str) -> Theorem:
    """The record of ``theorem_id``; :class:`KeyError` naming the id when unknown."""
    try:
        return BY_ID[theorem_id]
    except KeyError:
        raise KeyError(f"unknown theorem id {theorem_id!r}") from None


def slide(theorem_id: str) -> str:
    """The slides ``theorem_id`` cites, as one string: ``'000 L8 "Conditioned Reverse Distribution";
    001 "Denoising diffusion probabilistic models"'`` (its record's sources, in order)."""
    return "; ".join(str(source) for source in get(theorem_id).sources)


def slides(module: str) -> Mapping[str, str]:
    """Read-only ``theorem id -> slide citation`` (:func:`slide`) of the theorems whose record names a
    check in ``dgmcheck.checks.<module>``: what a check module reports, taken from the records (the
    one source), e.g. ``SLIDES = slides("ddpm")``. A module no record names is a ValueError."""
    prefix = f"dgmcheck.checks.{module}:"
    table = {t.id: slide(t.id) for t in THEOREMS if t.check and t.check.startswith(prefix)}
    if not table:
        raise ValueError(f"module must be a checks module named by a record's check, got {module!r}")
    return MappingProxyType(table)
