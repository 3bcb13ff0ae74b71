"""Checks of score matching: any implementation of the score-matching losses held to exact oracles.

A candidate (a module or any object) exposes some of the functions of ``ScoreCandidate``; ``verify``
runs each property whose functions exist under Hypothesis. Expectations are Gauss-Hermite sums over
Gaussian-mixture data (``dgmcheck.theory.score``), never samples: the candidate's per-sample loss is
evaluated at the quadrature nodes and summed with the quadrature weights.

Why the DSM and NCSN identities are exact at the quadrature level: the denoising rule writes
``ε = A u₁ + B u₂`` with ``x_σ`` a function of ``u₁`` only and integrates ``u₂`` exactly (the loss is
quadratic in ε), so the rule's DSM sum equals, node by node, ``‖s‖² - 2 s·∇log φ_k + (terms whose
u₁-sum is exactly d/σ²)``; the explicit objective is ``E‖s‖² - 2 Σ_k w_k E_k[s·∇log φ_k] + J`` on the
same ``x_σ`` nodes (``∇q = Σ_k w_k ∇φ_k``). The identity then holds to rounding for every model s, and
the tolerance is the candidate's rounding only. (The Hyvärinen form integrates by parts, which
Gauss-Hermite reproduces only to its accuracy: ``QUAD_RTOL`` is added there.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.strategies import Case, arrays, case_rng, edged, gaussian_mixtures
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import score as th
from dgmcheck.theory.gaussian_mixture import GaussianMixture

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('score')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()
#: Gauss-Hermite nodes per coordinate used by the checks (the identities they test hold at the
#: rule's level for any n, see the module docstring; 16 keeps the integrals close to the truth).
N_NODES = 16
#: The relative accuracy to which the Hyvärinen check refines Gauss-Hermite (the declared 1e-9).
QUAD_RTOL = 1e-9


class ScoreCandidate(Protocol):
    """What a score-matching implementation exposes (all optional; tensors batched on dim 0)."""

    def score_from_log_density(self, log_density: Callable, x: Any) -> Any: ...
    def noise_kernel_score(self, x_noisy: Any, x0: Any, sigma: Any) -> Any: ...
    def dsm_loss(self, score_fn: Callable, x0: Any, sigma: Any, noise: Any) -> Any: ...  # (batch,)
    def implicit_loss(self, score_fn: Callable, x: Any) -> Any: ...  # ½‖s‖² + tr ∇s, (batch,)
    def hutchinson_implicit_loss(self, score_fn: Callable, x: Any, probe: Any) -> Any: ...
    def ncsn_loss(self, score_fn: Callable, x0: Any, sigmas: Any, t: Any, noise: Any) -> Any: ...


@dataclass(frozen=True)
class ScoreCase(Case):
    """Inputs of one check: data mixture (d <= 2), a noise level, score-model parameters, points."""

    mixture: GaussianMixture
    sigma: float
    A: np.ndarray  # (d, d) linear model s(x) = A x + b
    b: np.ndarray
    mlp: dict[str, np.ndarray]  # W1 (h, d), b1 (h,), W2 (d, h), b2 (d,)
    x: np.ndarray  # (B, d) free points
    x0: np.ndarray  # (B, d)
    noise: np.ndarray  # (B, d)
    log_z: float  # log of the normalizing constant added to log p
    sigmas: np.ndarray  # ascending NCSN levels

    def describe(self) -> dict[str, Any]:
        return {"mixture.weights": self.mixture.weights, "mixture.means": self.mixture.means,
                "mixture.covs": self.mixture.covs, "sigma": self.sigma, "A": self.A, "b": self.b,
                "x": self.x, "x0": self.x0, "noise": self.noise, "log_z": self.log_z,
                "sigmas": self.sigmas, "dtype": str(self.dtype), "device": str(self.device), **self.extra}


# --------------------------------------------------------------------------- score models (θ)
class _Model:
    """A score model ``s_θ`` used by the checks, in torch (for the candidate, in the case's dtype) and
    in float64 numpy (for the oracle), with a first-order magnitude bound of its rounding."""

    def __init__(self, kind: str, case: ScoreCase) -> None:
        self.kind, self.case = kind, case
        if kind == "linear":
            self.params = {"A": case.A, "b": case.b}
        else:
            self.params = dict(case.mlp)
        # the oracle sees the parameters as the candidate's dtype stores them
        self.params = {k: to_numpy(case.tensor(v)) for k, v in self.params.items()}

    def torch(self) -> Callable:
        import torch

        p = {k: self.case.tensor(v) for k, v in self.params.items()}
        if self.kind == "linear":
            return lambda x: x @ p["A"].T + p["b"]
        return lambda x: torch.tanh(x @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]

    def numpy(self, x: np.ndarray) -> np.ndarray:
        p = self.params
        if self.kind == "linear":
            return x @ p["A"].T + p["b"]
        return np.tanh(x @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]

    def magnitude(self, x: np.ndarray) -> np.ndarray:
        """Sum of the magnitudes of the terms of ``s(x)`` (a bound on its rounding, per row)."""
        p = self.params
        ax = np.abs(x)
        if self.kind == "linear":
            return np.sum(ax @ np.abs(p["A"]).T + np.abs(p["b"]), axis=-1)
        pre = ax @ np.abs(p["W1"]).T + np.abs(p["b1"])  # tanh' <= 1 carries the argument's rounding
        return np.sum((1.0 + pre) @ np.abs(p["W2"]).T + np.abs(p["b2"]), axis=-1)


def _models(case: ScoreCase) -> list[_Model]:
    return [_Model("linear", case), _Model("mlp", case)]


def _torch_log_prob(mixture: GaussianMixture, x: Any) -> Any:
    """``log p(x)`` of the mixture in torch, in x's dtype (what a user's EBM would hand over)."""
    import torch

    m = torch.as_tensor(mixture.means, dtype=x.dtype, device=x.device)
    P = torch.as_tensor(np.linalg.inv(mixture.covs), dtype=x.dtype, device=x.device)
    logdet = torch.as_tensor(np.linalg.slogdet(mixture.covs)[1], dtype=x.dtype, device=x.device)
    logw = torch.as_tensor(np.log(mixture.weights), dtype=x.dtype, device=x.device)
    diff = x[:, None, :] - m
    quad = torch.einsum("bki,kij,bkj->bk", diff, P, diff)
    return torch.logsumexp(logw - 0.5 * (quad + logdet + mixture.dim * math.log(2 * math.pi)), dim=1)


def _tol(case: ScoreCase, condition: float) -> Tolerance:
    return exact(case.dtype, condition)


# --------------------------------------------------------------------------- score.unnormalized
def check_unnormalized(candidate: Any, case: ScoreCase, *, tol: Tolerance | None = None) -> None:
    """score.unnormalized: the score computed from ``log p̃ = log p + log Z`` (any Z) is ``∇ log p``."""
    theorem = "score.unnormalized"
    mix = case.mixture
    x = case.tensor(case.x)
    observed = candidate.score_from_log_density(lambda y: _torch_log_prob(mix, y) + case.log_z, x)
    expected = mix.score(case.x)
    # the softmax weights carry the rounding of the component log-terms (|log c_k| large far out)
    diff = case.x[:, None, :] - mix.means  # (B, K, d)
    prec = np.linalg.solve(mix.covs, diff[..., None])[..., 0]  # C_k⁻¹(x - m_k)
    logc = np.log(mix.weights) - 0.5 * np.sum(diff * prec, axis=-1)
    r = mix.responsibilities(case.x)
    scale = np.sum(r[..., None] * np.abs(prec) * (1.0 + np.abs(logc)[..., None]), axis=-2) + np.abs(expected)
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem],
                 what="∇ log(p̃) with p̃ = Z·p equals ∇ log p", tol=tol or _tol(case, 4 + mix.dim),
                 scale=scale, inputs=case.describe())


# --------------------------------------------------------------------------- noise kernel
def check_noise_kernel_gradient(candidate: Any, case: ScoreCase, *, tol: Tolerance | None = None) -> None:
    """score.noise_kernel_gradient: ``∇_{x_σ} log N(x_σ|x_0, σ²I) = -(x_σ - x_0)/σ² = -ε/σ``."""
    theorem = "score.noise_kernel_gradient"
    s = case.sigma
    x_noisy = case.x0 + s * case.noise
    expected = th.noise_kernel_score(x_noisy, case.x0, s)
    observed = candidate.noise_kernel_score(case.tensor(x_noisy), case.tensor(case.x0), s)
    tol_ = tol or _tol(case, 4)
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem],
                 what="-(x_σ - x_0)/σ² at free points", tol=tol_,
                 scale=(np.abs(x_noisy) + np.abs(case.x0)) / s**2, inputs=case.describe())
    assert_close(observed, -case.noise / s, theorem=theorem, slide=SLIDES[theorem],
                 what="on x_σ = x_0 + σε the kernel score is -ε/σ", tol=tol_,
                 scale=(np.abs(x_noisy) + np.abs(case.x0)) / s**2, inputs=case.describe())


# --------------------------------------------------------------------------- DSM equivalence
def _integrate_losses(values: Any, weights: np.ndarray) -> float:
    return float(weights @ to_numpy(values).reshape(-1))


def check_dsm_equivalence(candidate: Any, case: ScoreCase, *, tol: Tolerance | None = None) -> None:
    """score.dsm_equivalence: for each model θ (linear, MLP), the candidate's DSM objective
    ``E_{x,ε} dsm_loss`` minus the explicit objective ``E_{q_σ}‖s_θ - ∇log q_σ‖²`` equals
    ``d/σ² - J(q_σ)`` (the same constant for every θ)."""
    theorem = "score.dsm_equivalence"
    mix, s = case.mixture, case.sigma
    q = mix.noised(1.0, s**2)
    J = th.fisher_information(q, N_NODES)
    const = th.dsm_constant(mix, s, N_NODES, fisher=J)
    x0, e, w = th.denoising_rule(mix, s, N_NODES)
    xs = x0 + s * e
    for model in _models(case):
        losses = candidate.dsm_loss(model.torch(), case.tensor(x0), s, case.tensor(e))
        obs = _integrate_losses(losses, w)
        explicit = th.explicit_objective(q, model.numpy, N_NODES, fisher=J)
        # per node the loss rounds like (|s| + |ε|/σ)² (the square of a sum of rounded terms)
        scale = float(w @ (model.magnitude(xs) + np.sum(np.abs(e), axis=-1) / s) ** 2) + abs(explicit) + abs(J)
        assert_close(obs - explicit, const, theorem=theorem, slide=SLIDES[theorem],
                     what=f"E dsm_loss - E‖s_θ - ∇log q_σ‖² = d/σ² - J(q_σ) ({model.kind} model)",
                     tol=tol or _tol(case, 4 + mix.dim), scale=scale,
                     inputs={**case.describe(), "model": model.kind, "constant": const})


# --------------------------------------------------------------------------- Fisher divergence
def _jacobian_trace_np(model: _Model, x: np.ndarray) -> np.ndarray:
    p = model.params
    if model.kind == "linear":
        return np.full(len(x), np.trace(p["A"]))
    t = np.tanh(x @ p["W1"].T + p["b1"])  # tr(W2 diag(1-t²) W1)
    return (1 - t**2) @ np.einsum("hi,ih->h", p["W1"], p["W2"])


def check_fisher_divergence(candidate: Any, case: ScoreCase, *, tol: Tolerance | None = None) -> None:
    """score.fisher_divergence: ``E_q implicit_loss + ½J(q) = ½ E_q‖s - ∇log q‖²`` (Hyvärinen), for the
    linear and the MLP model, with ``q`` the σ-noised data; and with ``hutchinson_implicit_loss`` (when
    present) averaged over all 2^d Rademacher probes, the same value (``E vvᵀ = I`` exactly).

    Gauss-Hermite reproduces the integration by parts only to its accuracy: the rule is refined
    (n = 24, 48, 96) until the oracle's own defect ``|E_n[½‖s‖² + tr ∇s] - (½ explicit - ½J)|`` is below
    ``QUAD_RTOL`` of the scale, and that computed defect is added to the tolerance.
    """
    theorem = "score.fisher_divergence"
    q = case.mixture.noised(1.0, case.sigma**2)
    probes = np.array(np.meshgrid(*([[-1.0, 1.0]] * q.dim), indexing="ij")).reshape(q.dim, -1).T
    what = "E[½‖s‖² + tr ∇s] = ½E‖s - ∇log q‖² - ½J(q)"
    for model in _models(case):
        for n in (24, 48, 96):
            J = th.fisher_information(q, n)
            x, w = th.mixture_rule(q, n)
            expected = 0.5 * th.explicit_objective(q, model.numpy, n, fisher=J) - 0.5 * J
            tr = _jacobian_trace_np(model, x)
            defect = abs(float(w @ (0.5 * np.sum(model.numpy(x) ** 2, axis=-1) + tr)) - expected)
            mag = model.magnitude(x)
            # ½‖s‖² rounds like mag², tr ∇s like the sum of magnitudes of its terms (<= mag + |tr|)
            scale = float(w @ (0.5 * mag**2 + mag + np.abs(tr))) + 0.5 * J
            if defect <= QUAD_RTOL * scale:
                break
        base = tol or _tol(case, 4 + q.dim)
        tol_ = Tolerance(base.rtol, base.atol + defect)
        inputs = {**case.describe(), "model": model.kind, "nodes": n, "quadrature_defect": defect}
        obs = _integrate_losses(candidate.implicit_loss(model.torch(), case.tensor(x)), w)
        assert_close(obs, expected, theorem=theorem, slide=SLIDES[theorem], what=f"{what} ({model.kind})",
                     tol=tol_, scale=scale, inputs=inputs)
        if callable(getattr(candidate, "hutchinson_implicit_loss", None)):
            # pointwise: the mean of vᵀ∇s v over all 2^d sign vectors is tr ∇s exactly
            xp = case.x
            vals = [to_numpy(candidate.hutchinson_implicit_loss(model.torch(), case.tensor(xp), case.tensor(
                np.broadcast_to(v, xp.shape).copy()))) for v in probes]
            exp_pt = 0.5 * np.sum(model.numpy(xp) ** 2, axis=-1) + _jacobian_trace_np(model, xp)
            mag = model.magnitude(xp)
            assert_close(np.mean(vals, axis=0), exp_pt, theorem=theorem, slide=SLIDES[theorem],
                         what=f"Hutchinson: mean over all Rademacher probes of ½‖s‖² + vᵀ∇s v ({model.kind})",
                         tol=base, scale=0.5 * mag**2 + mag + np.abs(_jacobian_trace_np(model, xp)),
                         inputs={**case.describe(), "model": model.kind})


# --------------------------------------------------------------------------- NCSN objective
def _ncsn_model(model: _Model) -> tuple[Callable, Callable]:
    """A noise-conditional model ``s(x, σ) = s_θ(x)/σ`` in torch and numpy."""
    f = model.torch()
    return (lambda x, sig: f(x) / sig.reshape(-1, 1)), (lambda x, sig: model.numpy(x) / sig)


def _gaussian_score(m: np.ndarray, C: np.ndarray, case: ScoreCase) -> Callable:
    """``∇ log N(x; m, C + σ² I)`` in torch, ``σ`` per row."""
    import torch

    mt, Ct = case.tensor(m), case.tensor(C)
    eye = torch.eye(len(m), dtype=Ct.dtype, device=Ct.device)

    def score(x: Any, sig: Any) -> Any:
        cov = Ct + sig.reshape(-1, 1, 1) ** 2 * eye
        return -torch.linalg.solve(cov, (x - mt)[..., None])[..., 0]

    return score


def check_weighted_objective(candidate: Any, case: ScoreCase, *, tol: Tolerance | None = None) -> None:
    """ncsn.weighted_objective, with ``λ(σ) = σ²``:

    1. per sample ``ncsn_loss = σ_t² ‖s(x_t, σ_t) + (x_t - x_0)/σ_t²‖² = ‖σ_t s(x_t, σ_t) + ε‖²``;
    2. ``Σ_t E ncsn_loss(·, t) = Σ_t σ_t² (E_{q_{σ_t}}‖s - ∇log q_{σ_t}‖² + d/σ_t² - J(q_{σ_t}))`` on the
       mixture, so the minimizer over all functions is ``∇ log q_{σ_t}`` at every level;
    3. on Gaussian data (the first component) the objective at ``∇log q_σ + δ`` exceeds the one at
       ``∇log q_σ`` by exactly ``Σ_t σ_t² E_{q_{σ_t}}‖δ‖²``.
    """
    theorem = "ncsn.weighted_objective"
    slide = SLIDES[theorem]
    sig = case.sigmas
    T = len(sig)
    tol_ = tol or _tol(case, 6 + case.mixture.dim)
    model = _models(case)[1]
    s_torch, s_np = _ncsn_model(model)
    # 1. per sample, at every level
    B = len(case.x0)
    t = (np.arange(B) % T) + 1
    st_ = sig[t - 1][:, None]
    xt = case.x0 + st_ * case.noise
    pred = s_np(xt, st_)
    expected = np.sum((st_ * pred + case.noise) ** 2, axis=-1)
    import torch

    t_tensor = torch.as_tensor(t, dtype=torch.long, device=case.device)
    observed = candidate.ncsn_loss(s_torch, case.tensor(case.x0), case.tensor(sig), t_tensor, case.tensor(case.noise))
    # σ_t s = s_θ(x_t): the square of a sum of rounded terms
    scale = 2 * (model.magnitude(xt) + np.sum(np.abs(case.noise), axis=-1)) ** 2
    assert_close(observed, expected, theorem=theorem, slide=slide,
                 what="per-sample loss σ_t²‖s + (x_t - x_0)/σ_t²‖² = ‖σ_t s + ε‖²", tol=tol_, scale=scale,
                 inputs={**case.describe(), "t": t.tolist()})
    # 2. the weighted objective on the mixture, level by level
    total_obs, total_exp, total_scale = 0.0, 0.0, 0.0
    for level, s in enumerate(sig, start=1):
        s = float(s)
        q = case.mixture.noised(1.0, s**2)
        J = th.fisher_information(q, N_NODES)
        x0, e, w = th.denoising_rule(case.mixture, s, N_NODES)
        steps = torch.full((len(x0),), level, dtype=torch.long, device=case.device)
        obs = _integrate_losses(candidate.ncsn_loss(s_torch, case.tensor(x0), case.tensor(sig), steps,
                                                    case.tensor(e)), w)
        explicit = th.explicit_objective(q, lambda x, s=s: s_np(x, s), N_NODES, fisher=J)
        total_obs += obs
        total_exp += s**2 * (explicit + th.dsm_constant(case.mixture, s, N_NODES, fisher=J))
        total_scale += float(w @ (model.magnitude(x0 + s * e) + np.sum(np.abs(e), axis=-1) / s) ** 2) * s**2 \
            + s**2 * (abs(explicit) + J)
    assert_close(total_obs, total_exp, theorem=theorem, slide=slide,
                 what="Σ_t E ncsn_loss = Σ_t σ_t² (E‖s - ∇log q_σt‖² + d/σ_t² - J(q_σt))", tol=tol_,
                 scale=total_scale, inputs=case.describe())
    # 3. Gaussian data: the exact score is the minimizer, with the exact excess
    data = GaussianMixture(np.ones(1), case.mixture.means[:1], case.mixture.covs[:1])
    m, C = data.means[0], data.covs[0]
    exact_score = _gaussian_score(m, C, case)

    def perturbed(x: Any, sg: Any) -> Any:
        return exact_score(x, sg) + s_torch(x, sg)

    obs_excess, exp_excess, scale3 = 0.0, 0.0, 0.0
    for level, s in enumerate(sig, start=1):
        s = float(s)
        x0, e, w = th.denoising_rule(data, s, N_NODES)
        steps = torch.full((len(x0),), level, dtype=torch.long, device=case.device)
        args = (case.tensor(x0), case.tensor(sig), steps, case.tensor(e))
        at_min = _integrate_losses(candidate.ncsn_loss(exact_score, *args), w)
        at_pert = _integrate_losses(candidate.ncsn_loss(perturbed, *args), w)
        obs_excess += at_pert - at_min
        exp_excess += th.ncsn_excess(data, np.array([s]), s_np, N_NODES)
        xs = x0 + s * e
        P = np.linalg.inv(C + s**2 * np.eye(len(m)))
        mag = np.sum(np.abs(xs - m) @ np.abs(P).T, axis=-1) + model.magnitude(xs) / s
        scale3 += s**2 * float(w @ (mag + np.sum(np.abs(e), axis=-1) / s) ** 2) * 2
    assert_close(obs_excess, exp_excess, theorem=theorem, slide=slide,
                 what="objective(∇log q + δ) - objective(∇log q) = Σ_t σ_t² E‖δ‖² (Gaussian data)",
                 tol=tol_, scale=scale3, inputs=case.describe())
    if not exp_excess > 0:
        raise AssertionError("internal: the perturbation δ must be non-zero")


# --------------------------------------------------------------------------- strategies, verify
@st.composite
def score_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", batch: int = 6) -> ScoreCase:
    mix = draw(gaussian_mixtures(min_dim=1, max_dim=2, max_components=3))
    d = mix.dim
    h = 6
    rng = case_rng(draw)  # one seed for every number below (a draw each was most of a case's cost)
    sigma = rng.uniform(0.2, 3.0)
    mlp = {"W1": rng.standard_normal((h, d)), "b1": rng.standard_normal(h),
           "W2": rng.standard_normal((d, h)) / np.sqrt(h), "b2": rng.standard_normal(d)}
    n_levels = draw(st.integers(1, 4))
    # distinct levels in [0.1, 5] at least 1e-3 apart: distinct cells of width 0.01, a point in each
    # cell's first 0.009
    sigmas = np.sort(0.1 + 0.01 * rng.choice(490, size=n_levels, replace=False) + rng.uniform(0, 0.009, n_levels))
    return ScoreCase(mixture=mix, sigma=sigma, A=edged(rng, (d, d), -2.0, 2.0), b=edged(rng, (d,), -2.0, 2.0),
                     mlp=mlp, x=draw(arrays((batch, d), -4.0, 4.0)), x0=edged(rng, (batch, d), -4.0, 4.0),
                     noise=rng.standard_normal((batch, d)), log_z=rng.uniform(-30.0, 30.0), sigmas=sigmas,
                     dtype=dtype, device=device)


PROPERTIES: tuple[Property, ...] = (
    Property("unnormalized", "score.unnormalized", check_unnormalized, ("score_from_log_density",)),
    Property("noise_kernel_gradient", "score.noise_kernel_gradient", check_noise_kernel_gradient,
             ("noise_kernel_score",)),
    Property("dsm_equivalence", "score.dsm_equivalence", check_dsm_equivalence, ("dsm_loss",)),
    Property("fisher_divergence", "score.fisher_divergence", check_fisher_divergence, ("implicit_loss",)),
    Property("weighted_objective", "ncsn.weighted_objective", check_weighted_objective, ("ncsn_loss",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "score"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every score-matching property the candidate supports under Hypothesis; raises
    ``TheoremViolation`` on the first failing one. ``properties`` selects by name (``PROPERTY_NAMES``)."""
    return run.properties(lambda _p: score_cases(dtype=run.dtype, device=run.device),
                          provides="score-matching functions (see ScoreCandidate)")
