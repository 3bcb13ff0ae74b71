"""Checks of classifier guidance and classifier-free guidance against exact mixture oracles.

A candidate (e.g. the module ``dgmcheck.impl.guidance``) exposes any of::

    classifier_gradient(log_probs, x, y) -> ∇_x log p(y | x)         log_probs(x): (batch, K)
    classifier_guided_score(score, classifier_grad, gamma)          s + γ ∇ log p(y|x)
    cfg_score(s_uncond, s_cond, w)                                  the declared scale (below)
    cfg_score_one_plus_w(s_uncond, s_cond, w)                       "1 + w" convention: (1+w) s_c - w s_u
    cfg_eps(eps_uncond, eps_cond, w[, convention])                  the same on ε-predictions

``cfg_score`` (and ``cfg_eps`` without a ``convention`` argument) is held to the declared
``conventions.guidance_scale``: ``"w"`` (the lecture's, ``s_u + w (s_c - s_u)``, the default) or
``"one_plus_w"`` (``(1 + w) s_c - w s_u``), so a ``(1 + w)`` implementation named ``cfg_score``
declares ``verify(..., conventions=Conventions(guidance_scale="one_plus_w"))`` and keeps its name. A
failure the other scale explains carries a hint. ``cfg_score_one_plus_w`` is always the ``1 + w``
combination; a ``cfg_eps`` with a ``convention`` argument is called with each scale it is checked in.

``gamma``/``w`` are ``(batch,)`` tensors (one weight per row, so a swap that only coincides at
w = ½ still shows); a CFG candidate that takes ``w`` only in the scores' shape gets it as a ``(batch,
1)`` column. The data is a Gaussian mixture whose classes are its components, noised as
``a x₀ + s ε``; every score and the classifier are exact (``dgmcheck.theory.guidance``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks._verify import Property
from dgmcheck.checks.conventions import Conventions
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case, arrays, gaussian_mixtures
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import guidance as th
from dgmcheck.theory.gaussian_mixture import GaussianMixture

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('guidance')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED = ("guidance_scale",)


@dataclass(frozen=True)
class GuidanceCase(Case):
    """A mixture (data law, classes = components), noising ``scale``/``std``, points ``x`` (B, d),
    a class ``k`` and per-row weights ``gammas`` (B,)."""

    mixture: GaussianMixture
    scale: float
    std: float
    x: np.ndarray
    k: int
    gammas: np.ndarray
    conventions: Conventions = field(default_factory=Conventions, kw_only=True)  # guidance_scale: what cfg_score means

    @property
    def noised(self) -> GaussianMixture:
        return th.noised(self.mixture, self.scale, self.std)

    def describe(self) -> dict[str, Any]:
        m = self.mixture
        return {"weights": m.weights, "means": m.means, "covs": m.covs, "scale": self.scale, "std": self.std,
                "x": self.x, "k": self.k, "gammas": self.gammas, "dtype": str(self.dtype),
                "device": str(self.device)}


def _condition(mix: GaussianMixture) -> float:
    """The largest condition number of the (noised) component covariances: ``Σ⁻¹(x - m)`` loses
    that factor of relative accuracy."""
    ev = np.linalg.eigvalsh(mix.covs)
    return float((ev[:, -1] / ev[:, 0]).max())


def _scores(case: GuidanceCase) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact ``∇ log p(x)``, ``∇ log p(x | k)``, ``∇ log p(k | x)`` of the noised mixture, float64."""
    mix = case.noised
    s_u = mix.score(case.x)
    s_c = th.component_score(mix, case.x, case.k)
    return s_u, s_c, s_c - s_u


def _col(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)[:, None]


# ------------------------------------------------------------------------------ classifier

def check_classifier(candidate: Any, case: GuidanceCase, *, tol: Tolerance | None = None) -> None:
    """``guidance.classifier``: ``∇ log p(x | y) = ∇ log p(x) + ∇ log p(y | x)``.

    (1) ``classifier_gradient`` of the exact classifier ``log p(y | x)`` (torch, the mixture's
    posterior at the case's noise level) equals ``∇ log p(x|k) - ∇ log p(x)``; (2) with γ = 1
    ``classifier_guided_score(∇ log p(x), ∇ log p(k|x), 1)`` equals the component score."""
    import torch

    theorem = "guidance.classifier"
    mix = case.noised
    s_u, s_c, g = _scores(case)
    resp = mix.responsibilities(case.x)
    comp_norms = np.stack([np.abs(th.component_score(mix, case.x, j)) for j in range(mix.n_components)], 1)
    g_scale = np.abs(s_c) + np.einsum("bk,bkd->bd", resp, comp_norms)
    if hasattr(candidate, "classifier_gradient"):
        x = case.tensor(case.x)
        means, covs = case.tensor(mix.means), case.tensor(mix.covs)
        logw = case.tensor(np.log(mix.weights))

        def log_probs(z):
            # the exact classifier log p(k | z) as a log-softmax of the component log-joints (finite
            # in float32 even where a posterior underflows)
            dist = torch.distributions.MultivariateNormal(means, covariance_matrix=covs)
            return torch.log_softmax(logw + dist.log_prob(z[:, None, :]), dim=1)

        # log-density magnitudes M enter the softmax weights' relative error, κ the solves
        M = float(np.abs(th.component_log_joint(mix, case.x)).max())
        cond = (mix.dim + 4) * _condition(mix) + M
        observed = candidate.classifier_gradient(log_probs, x, case.k)
        assert_close(observed, g, theorem=theorem, slide=SLIDES[theorem],
                     what="∇_x log p(y|x) of the exact classifier (= ∇log p(x|y) - ∇log p(x))",
                     tol=tol or exact(case.dtype, cond), scale=g_scale, inputs=case.describe())
    if hasattr(candidate, "classifier_guided_score"):
        observed = candidate.classifier_guided_score(case.tensor(s_u), case.tensor(g), 1.0)
        assert_close(observed, s_c, theorem=theorem, slide=SLIDES[theorem],
                     what="s(x) + ∇ log p(y|x) (must be ∇ log p(x|y))", tol=tol or exact(case.dtype, 4),
                     scale=np.abs(s_u) + np.abs(g), inputs=case.describe())


# ---------------------------------------------------------------------------- guidance scale

def check_scale_sharpening(candidate: Any, case: GuidanceCase, *, tol: Tolerance | None = None) -> None:
    """``guidance.scale_sharpening``: ``s(x) + γ ∇ log p(y|x)`` is the score of ``p(x) p(y|x)^γ``.

    (1) pointwise, for one γ per row, against the exact tilted score; (2) in 1-D, the density the
    candidate's guided score defines (its integral on a grid, normalised by the same trapezoid rule)
    gives the exact ``E_{p_γ}[p(y|x)]`` for γ ∈ {1, 2, 4}, and that mass does not decrease with γ."""
    theorem = "guidance.scale_sharpening"
    s_u, _s_c, g = _scores(case)
    gam = case.gammas
    expected = th.guided_score(case.noised, case.x, case.k, gam)
    observed = candidate.classifier_guided_score(case.tensor(s_u), case.tensor(g), case.tensor(gam))
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem],
                 what="s(x) + γ ∇ log p(y|x) vs the score of p(x) p(y|x)^γ", tol=tol or exact(case.dtype, 4),
                 scale=np.abs(s_u) + np.abs(_col(gam) * g), inputs=case.describe())
    if case.mixture.dim == 1:
        _check_sharpening_1d(candidate, case, tol)


def _check_sharpening_1d(candidate: Any, case: GuidanceCase, tol: Tolerance | None) -> None:
    theorem = "guidance.scale_sharpening"
    mix = case.noised
    pts, wts = th.quadrature_grid(mix, n=2001)
    h = float(pts[1, 0] - pts[0, 0])
    xs = pts[:, 0]
    s_u = mix.score(pts)
    s_c = th.component_score(mix, pts, case.k)
    g = s_c - s_u
    post = np.exp(th.log_class_posterior(mix, pts, case.k))
    prev = -np.inf
    for gamma in (1.0, 2.0, 4.0):
        gam = np.full(len(xs), gamma)
        obs = to_numpy(candidate.classifier_guided_score(case.tensor(s_u), case.tensor(g), case.tensor(gam)))[:, 0]
        # log p̂ by the cumulative trapezoid rule of the candidate's score
        log_q = np.concatenate([[0.0], np.cumsum(0.5 * h * (obs[1:] + obs[:-1]))])
        dens = wts * np.exp(log_q - log_q.max())
        mean_post = float(dens @ post / dens.sum())
        exact_mean = th.tilted_moments(mix, case.k, gamma, (pts, wts))["mean_post"]
        # The trapezoid rule integrates the exact score to the exact log-density with error
        # ≤ L h² max|s''| / 12 (s'' from second differences of the exact score, doubled for
        # the between-node maximum), plus the candidate's rounding integrated over L; a log-density
        # error ≤ B moves a normalised expectation of a [0, 1] quantity by at most e^{2B} - 1.
        ex = (1 - gamma) * s_u[:, 0] + gamma * s_c[:, 0]
        s2 = 2 * np.abs(np.diff(ex, 2)).max() / h**2
        L = xs[-1] - xs[0]
        rnd = L * exact(case.dtype, 4).rtol * (np.abs(s_u) + gamma * np.abs(g)).max()
        B = L * h**2 * s2 / 12 + float(rnd)
        bound = Tolerance(rtol=0.0, atol=float(np.expm1(2 * B)) + 1e-12)
        assert_close(mean_post, exact_mean, theorem=theorem, slide=SLIDES[theorem],
                     what=f"E[p(y|x)] under the density of the guided score, γ = {gamma}",
                     tol=tol or bound, scale=0.0, inputs=case.describe())
        if not mean_post >= prev - 2 * bound.atol:
            raise TheoremViolation(theorem, f"E[p(y|x)] decreased from {prev:.6g} to {mean_post:.6g} as γ grew to "
                                   f"{gamma}: guidance scale does not sharpen", slide=SLIDES[theorem],
                                   inputs=case.describe())
        prev = mean_post


# ------------------------------------------------------------------------------ classifier-free

def _takes_convention(fn: Callable) -> bool:
    """Whether ``cfg_eps`` takes the scale as a fourth argument (``cfg_eps(e_u, e_c, w, convention)``)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    try:
        sig.bind(None, None, None, "w")
    except TypeError:
        return False
    return True


def _with_weight(fn: Callable[..., Any], a: Any, b: Any, w: Any, *more: Any) -> Any:
    """``fn(a, b, w, *more)`` with the ``(batch,)`` weights, or, for a candidate that takes them only
    in the scores' shape (``s_u + w * (s_c - s_u)`` as written), as a ``(batch, 1, ...)`` column:
    the weight's shape is the caller's choice, not part of the theorem. The first error stands if
    neither shape is accepted."""
    try:
        return fn(a, b, w, *more)
    except (RuntimeError, ValueError, TypeError) as first:
        try:
            return fn(a, b, w.reshape(-1, *([1] * (a.ndim - 1))), *more)
        except Exception:
            raise first from None


def check_classifier_free(candidate: Any, case: GuidanceCase, *, tol: Tolerance | None = None) -> None:
    """``guidance.classifier_free``: with exact ``s_u = ∇ log p(x)`` and ``s_c = ∇ log p(x|y)``,
    ``s_u + w (s_c - s_u)`` is the score of ``p(x) p(y|x)^w`` and ``(1 + w) s_c - w s_u`` that of
    ``p(x) p(y|x)^{1+w}`` (000 L9 "Classifier-Free Guidance: Formulation"). ``cfg_score`` is held to
    the declared ``case.conventions.guidance_scale``, ``cfg_score_one_plus_w`` to ``1 + w``; the two
    agree at shifted weights; on ε-predictions ``ε = -σ s`` (σ the noise std) ``cfg_eps`` gives
    ``-σ`` × the tilted score."""
    theorem = "guidance.classifier_free"
    s_u, s_c, _ = _scores(case)
    w = case.gammas
    su_t, sc_t, w_t = case.tensor(s_u), case.tensor(s_c), case.tensor(w)
    sig = case.std
    declared = case.conventions.guidance_scale
    eps_fn = getattr(candidate, "cfg_eps", None)
    switch = callable(eps_fn) and _takes_convention(eps_fn)
    results = {}
    for name, conv in (("cfg_score", declared), ("cfg_score_one_plus_w", "one_plus_w")):
        fn = getattr(candidate, name, None)
        if not callable(fn):
            continue
        gam = th.cfg_gamma(w, conv)
        expected = th.guided_score(case.noised, case.x, case.k, gam)
        scale = np.abs(_col(1 - gam) * s_u) + np.abs(_col(gam) * s_c) + np.abs(_col(w) * (s_u - s_c))
        tol_ = tol or exact(case.dtype, 6)
        label = "w: s_u + w (s_c - s_u)" if conv == "w" else "1 + w: (1 + w) s_c - w s_u"
        results[name] = to_numpy(_with_weight(fn, su_t, sc_t, w_t))
        assert_close(results[name], expected, theorem=theorem, slide=SLIDES[theorem],
                     what=f"{name} (guidance_scale={conv!r}, {label}) vs the score of p(x) p(y|x)^γ, "
                     f"γ = {'w' if conv == 'w' else '1+w'}",
                     tol=tol_, scale=scale, inputs=case.describe())
        if callable(eps_fn) and (switch or name == "cfg_score"):
            e_u, e_c = case.tensor(-sig * s_u), case.tensor(-sig * s_c)
            eps = _with_weight(eps_fn, e_u, e_c, w_t, *((conv,) if switch else ()))
            how = f"convention={conv!r}" if switch else f"guidance_scale={conv!r}"
            assert_close(eps, -sig * expected, theorem=theorem, slide=SLIDES[theorem],
                         what=f"cfg_eps ({how}) vs -σ × the tilted score", tol=tol_, scale=sig * scale,
                         inputs=case.describe())
    if len(results) == 2:
        # (1 + w) s_c - w s_u is the w-combination at weight 1 + w
        shift, said = (1 + w, "1 + w") if declared == "w" else (w, "w")
        shifted = to_numpy(_with_weight(candidate.cfg_score, su_t, sc_t, case.tensor(shift)))
        assert_close(results["cfg_score_one_plus_w"], shifted, theorem=theorem, slide=SLIDES[theorem],
                     what=f"cfg_score_one_plus_w(s_u, s_c, w) vs cfg_score(s_u, s_c, {said}) "
                     f"(guidance_scale={declared!r})",
                     tol=tol or exact(case.dtype, 12),
                     scale=np.abs(s_u) * (1 + np.abs(_col(w))) + np.abs(s_c) * (2 + np.abs(_col(w))),
                     inputs=case.describe())
    if not results:
        raise TypeError(f"{type(candidate).__name__} provides neither cfg_score nor cfg_score_one_plus_w")


# ------------------------------------------------------------------------------------- cases

@st.composite
def guidance_cases(draw: st.DrawFn, *, dtype: Any, device: Any = "cpu", max_dim: int = 2,
                   batch: int = 4) -> GuidanceCase:
    """Mixtures of 2-3 components in 1-2 dimensions, noise ``a ∈ [0.3, 1]``, ``s ∈ [0.1, 1]``, points
    in ``[-4, 4]^d``, one guidance weight per row in ``[-1, 6]`` (negative weights included)."""
    mix = draw(gaussian_mixtures(min_dim=1, max_dim=max_dim, min_components=2, max_components=3,
                                 max_condition=20.0))
    gammas = draw(arrays((batch,), -1.0, 6.0))
    return GuidanceCase(mixture=mix, scale=draw(st.floats(0.3, 1.0)), std=draw(st.floats(0.1, 1.0)),
                        x=draw(arrays((batch, mix.dim), -4.0, 4.0)), k=draw(st.integers(0, mix.n_components - 1)),
                        gammas=gammas, dtype=dtype, device=device)


# ------------------------------------------------------------------------------------ verify


PROPERTIES: tuple[Property, ...] = (
    Property("classifier", "guidance.classifier", check_classifier, ("classifier_guided_score",)),
    Property("scale_sharpening", "guidance.scale_sharpening", check_scale_sharpening, ("classifier_guided_score",)),
    Property("classifier_free", "guidance.classifier_free", check_classifier_free, ("cfg_score",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "guidance"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every guidance property the candidate supports under Hypothesis (the module
    ``dgmcheck.impl.guidance`` is a candidate); dtype/device default to float64 on the CPU.
    ``conventions`` (a :class:`~dgmcheck.checks.conventions.Conventions`, a mapping or
    ``"key=value"`` pairs) may declare ``guidance_scale="one_plus_w"``: ``cfg_score(s_u, s_c, w)``
    is then held to ``(1 + w) s_c - w s_u``; a failure the other scale explains carries a hint."""
    return run.properties(lambda _p: guidance_cases(dtype=run.dtype, device=run.device),
                          provides="guidance methods (see dgmcheck.checks.guidance)", carry_conventions=True)
