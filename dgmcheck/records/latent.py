"""Registry records of the foundations / normalizing flows / latent variable family.

Flow convention: ``z = f(x)`` maps data to noise, base ``N(0, I)``, ``[J_f]_{ij} = ∂z_i/∂x_j``.
"""

from __future__ import annotations

from typing import Any

from dgmcheck.registry import Source

_L1_COV = Source("000", "L1", "Course Tricks II")
_L1_TRICKS_I = Source("000", "L1", "Course Tricks I")
_L1_TRICKS_III = Source("000", "L1", "Course Tricks III")
_L2_PREREQ = Source("000", "L2", "Normalizing Flows: Prerequisites")
_L2_JACDET = Source("000", "L2", "Jacobian Determinant")
_L2_COMPOSITION = Source("000", "L2", "Composition of Normalizing Flows")
_L2_NF = Source("000", "L2", "Normalizing Flows (NF)")
_L2_STRUCTURE = Source("000", "L2", "Jacobian Structure")
_L2_LINEAR = Source("000", "L2", "Linear Normalizing Flows")
_L2_GAR_MODEL = Source("000", "L2", "Gaussian Autoregressive Model")
_L2_GAR_NF = Source("000", "L2", "Gaussian Autoregressive NF")
_L2_REALNVP = Source("000", "L2", "RealNVP")
_L3_ELBO_I = Source("000", "L3", "ELBO Derivation I")
_L3_ELBO_II = Source("000", "L3", "ELBO Derivation II")
_L3_VPOST = Source("000", "L3", "Variational Posterior")
_L3_OPT = Source("000", "L3", "ELBO optimization")
_L3_GRAD = Source("000", "L3", r"ELBO Gradient: $\nabla_{\phi} \mathcal{L}_{\phi, \theta}(\mathbf{x})$")
_L3_GRADS = Source("000", "L3", r"ELBO Gradients: $\nabla_{\phi} \mathcal{L}_{\phi, \theta}(\mathbf{x})$")
_L3_VAE = Source("000", "L3", "Variational Autoencoder (VAE)")
_L1_HIST = Source("000", "L1", "Histogram as a Generative Model")
_L1_ARM = Source("000", "L1", "Autoregressive Modeling")
_L1_AR_MLP = Source("000", "L1", "Autoregressive Models: MLP")
_L4_DISCRETE = Source("000", "L4", "Discrete VAE Latents")
_L4_VQ = Source("000", "L4", "Vector Quantization")
_L4_VQ_BACKWARD = Source("000", "L4", "Vector Quantized VAE (VQ-VAE): Backward ELBO")
_L4_VQ_FINAL = Source("000", "L4", "Vector Quantized VAE (VQ-VAE): Final algorithm")
_L4_SURGERY = Source("000", "L4", "ELBO Surgery")
_L4_OPT_PRIOR = Source("000", "L4", "Optimal VAE Prior")
_L4_NF_PRIOR = Source("000", "L4", "NF-Based VAE Prior")
_L3_VAE_VS_NF = Source("000", "L3", "VAE vs Normalizing Flows")
_L1_DIVERGENCES = Source("000", "L1", "Divergences")
_L1_MLE_FKL = Source("000", "L1", "Forward KL vs Reverse KL: MLE as Forward KL")

DETAILS: dict[str, dict[str, Any]] = {
    "change_of_variables.density": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.flows:flow_log_density", "dgmcheck.theory.flows:log_abs_det",
                        "dgmcheck.theory.flows:normalization_1d"),
        "impl": "dgmcheck.impl.flows:Flow.log_prob",
        "check": "dgmcheck.checks.flows:check_density",
        "sources": (_L1_COV, _L2_PREREQ, _L2_NF),
        "statement": (
            r"If f: R^m -> R^m is a C^1-diffeomorphism, z = f(x) and z ~ N(0, I), then x has density "
            r"log p(x) = log N(f(x); 0, I) + log|det J_f(x)|, J_f = \partial z/\partial x; the density "
            r"integrates to 1 (checked by quadrature in 1 and 2 dimensions to 1e-9) and the returned "
            r"log-det equals log|det| of the autodiff Jacobian of forward."
        ),
        "notes": (
            "000 L1 'Proof (1D)' assumes f increasing and writes p(y) = p(x) df^{-1}/dy without the "
            "absolute value; for a decreasing f (e.g. the 1-d linear flow W = -1.7 tested here) the "
            "derivative is negative and |df^{-1}/dy| is needed."
        ),
    },
    "change_of_variables.inverse_function": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.flows:inverse_jacobian", "dgmcheck.theory.flows:log_abs_det"),
        "impl": "dgmcheck.impl.flows:CompositeFlow.inverse",
        "check": "dgmcheck.checks.flows:check_inverse_function",
        "sources": (_L2_JACDET,),
        "statement": (
            r"For an invertible f with continuous non-singular Jacobian: f^{-1}(f(x)) = x, "
            r"J_{f^{-1}}(f(x)) = J_f(x)^{-1} and log|det J_{f^{-1}}(f(x))| = -log|det J_f(x)|."
        ),
    },
    "flows.composition": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.flows:composition_log_det", "dgmcheck.theory.flows:log_abs_det"),
        "impl": "dgmcheck.impl.flows:CompositeFlow.forward",
        "check": "dgmcheck.checks.flows:check_composition",
        "sources": (_L2_COMPOSITION, _L2_NF),
        "statement": (
            r"f = f_K o ... o f_1 is a C^1-diffeomorphism and log|det J_f(x)| = \sum_k log|det J_{f_k}"
            r"(x_{k-1})| with x_0 = x, x_k = f_k(x_{k-1}): each factor at its own layer's input "
            r"(chain rule, det of a product)."
        ),
    },
    "flows.linear": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.flows:linear_forward", "dgmcheck.theory.flows:linear_inverse",
                        "dgmcheck.theory.flows:lu_positive_permutations", "dgmcheck.theory.flows:qr_positive"),
        "impl": "dgmcheck.impl.flows:LUFlow.forward",
        "check": "dgmcheck.checks.flows:check_linear",
        "sources": (_L2_STRUCTURE, _L2_LINEAR),
        "statement": (
            r"z = Wx + b has J_f = W (not W^T), log|det J_f| = log|det W| for every x, and inverse "
            r"x = W^{-1}(z - b). Parametrizations (established by computation, tests/test_flows.py): "
            r"(a) W = PLU with L unit lower triangular and U upper triangular with diagonal "
            r"sign*exp(log s) (Glow) represents EVERY invertible W (partial pivoting), log|det W| = "
            r"\sum log s; (b) the slide's W = PLU with L and U both of POSITIVE diagonal represents W "
            r"for a given P iff every leading principal minor of P^T W is positive, hence only W with "
            r"sign det W = det P, and some W for no P at all (W = -I_2); (c) W = QR with Q in O(m) and "
            r"R upper triangular with positive diagonal represents every invertible W uniquely, with "
            r"det Q = sign det W, so a Q restricted to SO(m) (e.g. exp of a skew matrix) represents "
            r"only det W > 0; log|det W| = \sum log R_ii."
        ),
        "notes": (
            "000 L2 'Linear Normalizing Flows' prints J_f = W^T; with the lecture's own Jacobian "
            "[J]_{ij} = dz_i/dx_j (000 L2 'Normalizing Flows: Prerequisites') J_f = W (the log-det is "
            "the same, the Jacobian is not; the planted bug z = W^T x is caught). Its LU with L and U "
            "both positive-diagonal cannot represent W = -I_2 under any permutation, nor any W with "
            "sign det W != det P (the LU must have a unit (or free-sign) diagonal on one factor and "
            "a sign on U). 'There is no surjective function from R^{m^2} to the invertible matrices' "
            "holds only for continuous functions (GL(m) has two components)."
        ),
    },
    "flows.gaussian_ar": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.flows:gaussian_ar_forward", "dgmcheck.theory.flows:gaussian_ar_inverse"),
        "impl": "dgmcheck.impl.flows:GaussianARFlow.forward",
        "check": "dgmcheck.checks.flows:check_gaussian_ar",
        "sources": (_L2_GAR_MODEL, _L2_GAR_NF),
        "statement": (
            r"z_j = (x_j - \mu_j(x_{1:j-1})) / \sigma_j(x_{1:j-1}) with \sigma_j > 0 has a lower "
            r"triangular Jacobian with diagonal 1/\sigma_j, log|det J_f| = -\sum_j log \sigma_j(x_{1:j-1}), "
            r"and the inverse x_j = \sigma_j(x_{1:j-1}) z_j + \mu_j(x_{1:j-1}) computed sequentially "
            r"for j = 1..m."
        ),
    },
    "flows.realnvp": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.flows:coupling_forward", "dgmcheck.theory.flows:coupling_inverse",
                        "dgmcheck.theory.flows:coupling_as_ar"),
        "impl": "dgmcheck.impl.flows:AffineCoupling.forward",
        "check": "dgmcheck.checks.flows:check_realnvp",
        "sources": (_L2_REALNVP,),
        "statement": (
            r"The coupling z_{1:d} = x_{1:d}, z_{d+1:m} = (x_{d+1:m} - \mu(x_{1:d})) / \sigma(x_{1:d}) "
            r"has inverse x_{d+1:m} = z_{d+1:m} \sigma(z_{1:d}) + \mu(z_{1:d}) and log|det dz/dx| = "
            r"-\sum_j log \sigma_j(x_{1:d}); it is the Gaussian AR flow with \mu_j = 0, \sigma_j = 1 "
            r"for j <= d and \mu_j, \sigma_j depending on x_{1:d} only for j > d."
        ),
    },
    "elbo.bound": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.latent:lg_log_marginal", "dgmcheck.theory.latent:lg_elbo",
                        "dgmcheck.theory.latent:disc_log_marginal", "dgmcheck.theory.latent:disc_elbo"),
        "impl": "dgmcheck.impl.vae:LinearGaussianVAE.elbo",
        "check": "dgmcheck.checks.latent:check_bound",
        "sources": (_L3_ELBO_I,),
        "statement": (
            r"For every law q(z) absolutely continuous w.r.t. p_\theta(z|x) (supp q contained in "
            r"supp p(z|x)), L_q(x) = E_q log p_\theta(x, z)/q(z) <= log p_\theta(x); checked exactly "
            r"on the linear-Gaussian model (any Gaussian q) and on enumerable discrete models (q with zeros)."
        ),
        "notes": (
            "000 L3 'ELBO Derivation I' assumes supp q = supp p(z|x) = R^d; only supp q contained in "
            "supp p(z|x) is needed (the discrete checks use q with exact zeros), and if q puts mass "
            "where p(x, z) = 0 the ELBO is -inf, still a bound."
        ),
    },
    "elbo.decomposition": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.latent:gaussian_kl", "dgmcheck.theory.latent:lg_posterior",
                        "dgmcheck.theory.latent:categorical_kl", "dgmcheck.theory.latent:disc_posterior"),
        "impl": "dgmcheck.impl.vae:LinearGaussianVAE.log_marginal",
        "check": "dgmcheck.checks.latent:check_decomposition",
        "sources": (_L3_ELBO_I, _L3_OPT),
        "statement": (
            r"log p_\theta(x) = L_q(x) + KL(q(z) || p_\theta(z|x)) for every q, with the exact "
            r"posterior; in float64 the identity holds to 1e-10 on the oracles (tests/test_theory_latent.py)."
        ),
    },
    "elbo.recon_minus_kl": {
        "oracle": ("closed_form", "quadrature", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.latent:lg_recon", "dgmcheck.theory.latent:lg_kl_prior",
                        "dgmcheck.theory.latent:lg_elbo_quadrature", "dgmcheck.theory.latent:disc_elbo"),
        "impl": "dgmcheck.impl.vae:LinearGaussianVAE.recon",
        "check": "dgmcheck.checks.latent:check_recon_minus_kl",
        # The reconstruction-minus-KL form follows the equality derivation of "ELBO Derivation II";
        # the "Variational Evidence Lower Bound (ELBO)" block of "ELBO Derivation I" holds only the bound.
        "sources": (_L3_ELBO_II,),
        "statement": (
            r"L_q(x) = E_q log p_\theta(x|z) - KL(q(z) || p(z)); for p(x|z) = N(Wz + b, diag psi), "
            r"q = N(m, S): E_q log p(x|z) = log N(x; Wm + b, Psi) - tr(Psi^{-1} W S W^T)/2 and "
            r"KL(q || N(0, I)) = (tr S + m^T m - k - log det S)/2; the direct E_q log p(x,z)/q(z) is "
            r"computed by Gauss-Hermite quadrature (exact: the integrand is quadratic)."
        ),
    },
    "elbo.optimal_q": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.latent:lg_posterior", "dgmcheck.theory.latent:disc_posterior"),
        "impl": "dgmcheck.impl.vae:LinearGaussianVAE.posterior",
        "check": "dgmcheck.checks.latent:check_optimal_q",
        "sources": (_L3_VPOST, _L3_OPT),
        "statement": (
            r"argmax_q L_q(x) = p_\theta(z|x) and L_{p(z|x)}(x) = log p_\theta(x); for the linear-"
            r"Gaussian model p(z|x) = N(Sigma W^T Psi^{-1}(x - b), Sigma), Sigma = (I + W^T Psi^{-1} W)^{-1}."
        ),
    },
    "vae.gaussian_kl": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.latent:diag_gaussian_kl", "dgmcheck.theory.latent:gaussian_kl"),
        "impl": "dgmcheck.impl.vae:gaussian_kl",
        "check": "dgmcheck.checks.vae:check_gaussian_kl",
        "sources": (_L3_GRAD,),
        "statement": (
            r"KL(N(\mu_q, diag e^{v_q}) || N(\mu_p, diag e^{v_p})) = 1/2 \sum_i [v_{p,i} - v_{q,i} + "
            r"(e^{v_{q,i}} + (\mu_{q,i} - \mu_{p,i})^2) e^{-v_{p,i}} - 1] with v the LOG-VARIANCES "
            r"(against scipy quadrature to 1e-9); for p = N(0, I): 1/2 \sum (e^{v} + \mu^2 - 1 - v)."
        ),
        "notes": "000 L3 states the KL term 'admits a closed-form analytic solution' without printing it.",
    },
    "vae.reparametrization": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.latent:quadratic_expectation_grad",
                        "dgmcheck.theory.latent:gauss_hermite_expectation"),
        "impl": "dgmcheck.impl.vae:rsample",
        "check": "dgmcheck.checks.vae:check_reparametrization",
        "sources": (_L3_GRADS,),
        "statement": (
            r"z = g_\phi(\epsilon) = \mu + exp(v/2) \odot \epsilon, \epsilon ~ N(0, I), has law "
            r"N(\mu, diag e^v), and the pathwise gradient is unbiased: E_\epsilon \nabla_{\mu, v} "
            r"f(g_\phi(\epsilon)) = \nabla_{\mu, v} E_{q_\phi} f; for f(z) = a^T z + z^T B z the right "
            r"side is (a + (B + B^T)\mu, diag(B) \odot e^v) and the left side is computed exactly by "
            r"Gauss-Hermite quadrature (3 nodes per axis; the integrand has degree <= 2 in \epsilon)."
        ),
    },
    "vae.elbo_estimator": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.latent:lg_recon", "dgmcheck.theory.latent:lg_kl_prior"),
        "impl": "dgmcheck.impl.vae:GaussianVAE.elbo_estimate",
        "check": "dgmcheck.checks.vae:check_elbo_estimator",
        "sources": (_L3_VAE,),
        "statement": (
            r"The one-sample estimator log p_\theta(x | \mu_\phi(x) + \sigma_\phi(x) \odot \epsilon) - "
            r"KL(q_\phi(z|x) || N(0, I)) is unbiased for the ELBO of q_\phi(z|x) = N(\mu_\phi(x), "
            r"diag \sigma^2_\phi(x)); checked exactly with a linear-Gaussian decoder (the expectation "
            r"over \epsilon by Gauss-Hermite quadrature, exact for the quadratic integrand)."
        ),
    },
    "divergence.kl_nonnegative": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.latent:categorical_kl", "dgmcheck.theory.latent:diag_gaussian_kl"),
        "impl": "dgmcheck.impl.vae:categorical_kl",
        "check": "dgmcheck.checks.vae:check_kl_nonnegative",
        "sources": (_L1_DIVERGENCES,),
        "statement": (
            r"KL(q || p) = E_q log q/p >= 0 with equality iff q = p (a.e.); checked on categorical laws "
            r"(q with zeros, 0 log 0 = 0) and diagonal Gaussians: the value is the exact KL and "
            r"KL(p || p) = 0."
        ),
    },
    "divergence.forward_kl_is_mle": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.latent:forward_kl_from_nll", "dgmcheck.theory.latent:empirical",
                        "dgmcheck.theory.latent:entropy"),
        "impl": "dgmcheck.impl.vae:CategoricalModel.log_prob",
        "check": "dgmcheck.checks.vae:check_forward_kl_is_mle",
        "sources": (_L1_MLE_FKL,),
        "statement": (
            r"For the empirical law \hat p of a discrete sample x_1..x_n, KL(\hat p || p_\theta) = "
            r"-(1/n) \sum_i log p_\theta(x_i) - H(\hat p) exactly, so argmin_\theta KL(\hat p || p_\theta) "
            r"= argmax_\theta likelihood, and over all categorical laws the minimizer (KL = 0) is "
            r"the MLE \hat p (counts / n)."
        ),
        "notes": (
            "000 L1 calls -1/n sum log p_theta(x_i) + const 'a Monte Carlo estimate of the forward KL'; "
            "it is an estimate of the cross-entropy E_{p_data}[-log p_theta], and the constant is "
            "-H(p_data) (the entropy). For continuous data KL(p_hat || p_theta) to the empirical "
            "measure is not defined (p_hat has no density), so the exact identity is stated for "
            "discrete samples, where it holds with constant -H(p_hat)."
        ),
    },
    "ar.factorization": {
        "oracle": ("enumeration",),
        "oracle_refs": ("dgmcheck.theory.autoregressive:conditionals_from_joint",
                        "dgmcheck.theory.autoregressive:joint_from_conditionals",
                        "dgmcheck.theory.autoregressive:all_sequences"),
        "impl": "dgmcheck.impl.autoregressive:TabularAR.log_prob",
        "check": "dgmcheck.checks.autoregressive:check_factorization",
        "sources": (_L1_ARM,),
        "statement": (
            r"Every joint law on {0..V-1}^m is the product of its chain-rule conditionals "
            r"p(x_j | x_{1:j-1}) = p(x_{1:j})/p(x_{1:j-1}); conversely conditionals whose j-th depends on "
            r"x_{1:j-1} only give log p(x) = \sum_j log p(x_j | x_{1:j-1}) with \sum_x p(x) = 1 "
            r"(checked by enumerating all V^m sequences)."
        ),
    },
    "ar.parameter_counts": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.autoregressive:parameter_count",
                        "dgmcheck.theory.autoregressive:jacobian_rank_count"),
        "impl": "dgmcheck.impl.autoregressive:TabularAR.num_parameters",
        "check": "dgmcheck.checks.autoregressive:check_parameter_counts",
        "sources": (_L1_HIST, _L1_AR_MLP),
        "statement": (
            r"Free parameters on m symbols of a V-letter alphabet: histogram V^m - 1; independent "
            r"m (V - 1); order-d Markov \sum_{j=1}^m V^{min(j-1, d)} (V - 1), first order (V - 1) + "
            r"(m - 1) V (V - 1) (binary MNIST: 2^784 - 1, 784, 2*784 - 1); each equals the rank of the "
            r"Jacobian of the joint table w.r.t. the softmax logits (computed)."
        ),
        "notes": (
            "000 L1 'Histogram as a Generative Model' leaves the independent and Markov counts as a "
            "question (answers above). 000 L1 'Autoregressive Models: MLP' writes x_j in {0, 255} "
            "for the 256 grey levels {0, ..., 255}."
        ),
    },
    "vq.straight_through": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.vq:nearest_code",),
        "impl": "dgmcheck.impl.vq:VectorQuantizer.quantize",
        "check": "dgmcheck.checks.vq:check_straight_through",
        "sources": (_L4_VQ, _L4_VQ_BACKWARD),
        "statement": (
            r"With z_q^{st} = z_e + sg[e_{k*} - z_e], k* = argmin_k ||z_e - e_k||: the forward value is "
            r"e_{k*} and for any upstream gradient G, d<G, z_q^{st}>/dz_e = G (passed unchanged to the "
            r"encoder) and d<G, z_q^{st}>/de = 0 (checked with autograd)."
        ),
        "notes": (
            "000 L4 'Vector Quantized VAE (VQ-VAE): Backward ELBO' writes dz_q/dz_e 'approx' I; the true "
            "derivative of the piecewise-constant z_q(z_e) is 0 wherever it exists, so straight-through "
            "is a surrogate (biased) gradient that substitutes I, not an approximation of it."
        ),
    },
    "vq.losses": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.vq:loss_gradients",),
        "impl": "dgmcheck.impl.vq:VectorQuantizer.loss",
        "check": "dgmcheck.checks.vq:check_losses",
        "sources": (_L4_VQ_FINAL,),
        "statement": (
            r"||sg[z_e] - e_{k*}||^2 has gradient 2(e_{k*} - z_e) on e_{k*} (accumulated over the rows "
            r"that chose k*) and 0 on z_e; beta ||z_e - sg[e_{k*}]||^2 has gradient 2 beta (z_e - e_{k*}) "
            r"on z_e and 0 on the codebook; beta multiplies the commitment term only."
        ),
    },
    "vq.deterministic_posterior_kl": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.vq:kl_to_uniform", "dgmcheck.theory.vq:nearest_code"),
        "impl": "dgmcheck.impl.vq:VectorQuantizer.posterior",
        "check": "dgmcheck.checks.vq:check_deterministic_posterior_kl",
        "sources": (_L4_VQ,),
        "statement": (
            r"q(c = k | x) = [k = argmin_j ||z_e - e_j||] is one-hot, H(q) = 0 and "
            r"KL(q || U{1..K}) = log K."
        ),
    },
    "vae.discrete_kl_uniform": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.vq:kl_to_uniform", "dgmcheck.theory.vq:entropy"),
        "impl": "dgmcheck.impl.vq:VectorQuantizer.kl_uniform",
        "check": "dgmcheck.checks.vq:check_discrete_kl_uniform",
        "sources": (_L4_DISCRETE,),
        "statement": r"KL(q || U{1..K}) = \sum_k q_k log(K q_k) = log K - H(q) for every categorical q (0 log 0 = 0).",
    },
    "elbo.surgery": {
        "oracle": ("enumeration",),
        "oracle_refs": ("dgmcheck.theory.latent:elbo_surgery",),
        "impl": "dgmcheck.impl.vae:elbo_surgery",
        "check": "dgmcheck.checks.vae:check_surgery",
        "sources": (_L4_SURGERY,),
        "statement": (
            r"For encoder laws q_i = q_\phi(z|x_i), i = 1..n, and a prior p: (1/n) \sum_i KL(q_i || p) = "
            r"KL(q_agg || p) + I_q[i, z], q_agg = (1/n) \sum_i q_i, I_q = (1/n) \sum_i KL(q_i || q_agg) = "
            r"H(q_agg) - (1/n) \sum_i H(q_i), the mutual information of z and the data index drawn "
            r"uniformly from the n training points (checked by enumeration on categorical latents)."
        ),
        "notes": (
            "000 L4 'ELBO Surgery' says I_q is taken 'under the data distribution p_data(x)'; the "
            "identity holds for the EMPIRICAL distribution (uniform over the n training points), so "
            "I_q <= log n; with p_data itself the average over i is an expectation over p_data."
        ),
    },
    "elbo.optimal_prior": {
        "oracle": ("enumeration",),
        "oracle_refs": ("dgmcheck.theory.latent:average_elbo", "dgmcheck.theory.latent:elbo_surgery"),
        "impl": "dgmcheck.impl.vae:aggregated_posterior",
        "check": "dgmcheck.checks.vae:check_optimal_prior",
        "sources": (_L4_SURGERY, _L4_OPT_PRIOR),
        "statement": (
            r"With the encoder and decoder fixed, the average ELBO depends on the prior only through "
            r"-KL(q_agg || p): avg ELBO(q_agg) - avg ELBO(p) = KL(q_agg || p) >= 0, so the optimal prior "
            r"is the aggregated posterior q_agg = (1/n) \sum_i q_\phi(z|x_i) (enumeration)."
        ),
    },
    "tricks.log_derivative": {
        "oracle": ("closed_form", "enumeration"),
        "oracle_refs": ("dgmcheck.theory.tricks:softmax_expectation_grad",),
        "impl": "dgmcheck.impl.tricks:score_surrogate",
        "check": "dgmcheck.checks.tricks:check_log_derivative",
        "sources": (_L1_TRICKS_I,),
        "statement": (
            r"Where p > 0, \nabla log p = \nabla p / p; hence the score-function identity "
            r"\nabla_\theta E_{p_\theta} f = E_{p_\theta}[f \nabla_\theta log p_\theta] (the surrogate "
            r"sg[f] log p_\theta has this gradient in expectation); for p_\theta = softmax(\theta): "
            r"p \odot (f - E f), checked by exact enumeration."
        ),
        "notes": "000 L1 states the identity for any differentiable p; it needs p(x) > 0 at x.",
    },
    "tricks.jensen": {
        "oracle": ("closed_form",),
        "oracle_refs": ("dgmcheck.theory.tricks:log_mean_exp",),
        "impl": "dgmcheck.impl.tricks:log_mean_exp",
        "check": "dgmcheck.checks.tricks:check_jensen",
        "sources": (_L1_TRICKS_I,),
        "statement": (
            r"For convex f and integrable x, f(x), E f(x) >= f(E x); in particular log (1/n) \sum e^{a_i} "
            r">= (1/n) \sum a_i, with equality iff all a_i are equal (checked on the empirical law)."
        ),
        "notes": (
            "000 L1 restricts Jensen to a continuous x with a density; it holds for every integrable "
            "x (the check uses discrete empirical laws), given E|f(x)| < infinity."
        ),
    },
    "tricks.monte_carlo_unbiased": {
        "oracle": ("enumeration",),
        "oracle_refs": ("dgmcheck.theory.tricks:mc_estimator_expectation",),
        "impl": "dgmcheck.impl.tricks:mc_mean",
        "check": "dgmcheck.checks.tricks:check_monte_carlo_unbiased",
        "sources": (_L1_TRICKS_I,),
        "statement": (
            r"For i.i.d. x_i ~ p, E[(1/n) \sum_{i=1}^n f(x_i)] = E_p f for every n >= 1 (exact expectation "
            r"over all K^n tuples of a K-state law)."
        ),
        "notes": (
            "000 L1 writes the estimator with '≈' only; the exact statement is unbiasedness for every n "
            "(and variance Var f / n), and it needs no density (discrete laws are used here)."
        ),
    },
    "tricks.lotus": {
        "oracle": ("enumeration",),
        "oracle_refs": ("dgmcheck.theory.tricks:pushforward",),
        "impl": "dgmcheck.impl.tricks:pushforward",
        "check": "dgmcheck.checks.tricks:check_lotus",
        "sources": (_L1_TRICKS_III,),
        "statement": (
            r"For y = f(x) with x ~ p, the law of y is the pushforward p_y(B) = p(f^{-1}(B)) "
            r"(discrete: p_y[y] = \sum_{x: f(x) = y} p(x)) and E_{p_y} g(y) = E_p g(f(x)) for every g."
        ),
        "notes": (
            "000 L1 'Course Tricks III' writes E_{p(y)} g(y) = \\int p(y) g(y) dy with a density p(y); "
            "for a non-injective or lower-dimensional f, y has no density, and the identity holds with "
            "the pushforward law (the check uses non-injective maps)."
        ),
    },
    "vae.flow_prior": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.latent:linear_flow_prior", "dgmcheck.theory.latent:lg_elbo_general_prior",
                        "dgmcheck.theory.latent:lg_log_marginal_general_prior"),
        "impl": "dgmcheck.impl.vae:FlowPriorVAE.elbo_estimate",
        "check": "dgmcheck.checks.vae:check_flow_prior",
        "sources": (_L4_NF_PRIOR,),
        "statement": (
            r"A flow prior p_\lambda(z) = N(f_\lambda(z); 0, I) |det J_{f_\lambda}(z)| is a normalized "
            r"density (for the linear flow z* = Az + c it is N(-A^{-1}c, (A^T A)^{-1})), and the "
            r"reparametrized estimator log p(x|z) + log p_\lambda(z) - log q(z|x), z = \mu + \sigma "
            r"\epsilon, has expectation the exact ELBO E_q log p(x|z) - KL(q || p_\lambda) <= log p(x) "
            r"(linear-Gaussian decoder; expectation by Gauss-Hermite quadrature, exact here). Checked "
            r"for linear (affine, LU) flow priors only; the normalization of non-linear flows is "
            r"change_of_variables.density."
        ),
    },
    "vae.nf_as_vae": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.latent:flow_as_vae_elbo", "dgmcheck.theory.flows:flow_log_density"),
        "impl": "dgmcheck.impl.vae:FlowAsVAE.elbo_estimate",
        "check": "dgmcheck.checks.vae:check_nf_as_vae",
        "sources": (_L3_VAE_VS_NF,),
        "statement": (
            r"For a flow z = f(x) (checked for linear f(x) = Wx + b) with encoder q_\sigma(z|x) = "
            r"N(f(x), \sigma^2 I) and decoder p_\sigma(x|z) = N(f^{-1}(z), \sigma^2 J_f^{-1} J_f^{-T}), "
            r"ELBO_\sigma(x) = log p_flow(x) - k \sigma^2 / 2 exactly, so as \sigma -> 0 (the delta "
            r"encoder/decoder) the ELBO equals the flow log-likelihood log N(f(x)) + log|det J_f(x)| "
            r"and maximizing it is the flow's MLE."
        ),
        "notes": (
            "000 L3 'VAE vs Normalizing Flows' states the theorem with q = delta(z - f(x)) and "
            "p(x|z) = delta(x - f^{-1}(z)) directly; with deltas E_q log p(x|z) and the entropy of q "
            "are both infinite, so the ELBO is only defined as the sigma -> 0 limit above. The limit "
            "needs the decoder noise pulled back through f (covariance sigma^2 J^{-1} J^{-T}): the "
            "ratio of the two deltas is |det J_f|, and an isotropic decoder N(f^{-1}(z), sigma^2 I) "
            "leaves a gap log|det J_f| that does not vanish (planted bug, caught)."
        ),
    },
    "tricks.dirac": {
        "oracle": ("closed_form", "quadrature"),
        "oracle_refs": ("dgmcheck.theory.tricks:nascent_delta_quadratic",),
        "impl": "dgmcheck.impl.tricks:nascent_delta_expectation",
        "check": "dgmcheck.checks.tricks:check_dirac",
        "sources": (_L1_TRICKS_III,),
        "statement": (
            r"\delta(x - x_0) is the law of the constant x_0, the sigma -> 0 limit of N(x_0, sigma^2 I): "
            r"for f(x) = a^T x + x^T B x, E_{N(x_0, sigma^2 I)} f = f(x_0) + sigma^2 tr B -> f(x_0) = "
            r"\int \delta(x - x_0) f(x) dx (Gauss-Hermite expectation, exact for the quadratic)."
        ),
        "notes": (
            "000 L1 'Course Tricks III' defines delta(x) = +inf at x = x_0 and 0 elsewhere with integral "
            "1: it mixes delta(x) and delta(x - x_0) (the spike of delta(x) is at 0), and no function "
            "with those values integrates to 1 (it is 0 almost everywhere); delta is a measure, or the "
            "limit of nascent deltas such as N(x_0, sigma^2 I), which is what the check uses."
        ),
    },
}
