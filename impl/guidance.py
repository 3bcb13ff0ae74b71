"""Classifier guidance and classifier-free guidance (CFG), batched in torch.

Conventions (both exposed, by name):

* classifier guidance with scale γ (``000 L9 "Classifier Guidance: Guidance Scale"``):
  ``s^γ(x, y) = s(x) + γ ∇_x log p(y | x)``; γ = 1 is the conditional score ``∇ log p(x | y)``
  (theorem ``guidance.classifier``), γ > 1 the score of ``p(x) p(y|x)^γ`` (``guidance.scale_sharpening``).
* CFG, "w" convention (the lecture's γ, ``000 L9 "Classifier-Free Guidance: Formulation"``):
  ``cfg_score(s_u, s_c, w) = s_u + w (s_c - s_u) = (1 - w) s_u + w s_c`` — w = 0 unconditional,
  w = 1 conditional.
* CFG, "1 + w" convention (Ho & Salimans 2022): ``cfg_score_one_plus_w(s_u, s_c, w) = (1 + w) s_c - w s_u``
  — w = 0 conditional; equal to ``cfg_score(s_u, s_c, 1 + w)``.
* ``cfg_eps`` applies either combination to ε-predictions (linear, so with ``ε = -σ s`` it is
  ``-σ`` times the guided score). Theorem ``guidance.classifier_free``.

``gamma``/``w`` are Python numbers, ``(batch,)`` tensors (one weight per row) or tensors of any shape
broadcastable to the scores (``(batch, 1)``, ``(batch, 1, 1, 1)`` for images): no reshaping needed.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from . import _validate as V
from ._validate import floating
from .mixture import GaussianMixtureModel

CONVENTIONS = ("w", "one_plus_w")


def _weight(w: object, x: torch.Tensor, name: str) -> torch.Tensor:
    """A finite weight as a tensor broadcastable against ``x`` (batch, ...): a number, a ``(batch,)``
    tensor (one per row), or a shape of ``x``'s rank at most that broadcasts to ``x.shape`` without
    enlarging it (``(batch, 1)``, ``(batch, 1, 1, 1)`` for images, ``(1,)``), so the caller need not
    reshape it."""
    if not isinstance(w, torch.Tensor) or w.ndim == 0:
        return torch.as_tensor(V.real(w, name), dtype=x.dtype, device=x.device)
    if w.ndim == 1 and w.shape[0] != 1:  # one weight per row (not per feature: (d,) is refused)
        return V.per_row(w, x, name).reshape(-1, *([1] * (x.ndim - 1)))
    floating(w, name)
    if w.device != x.device:
        raise ValueError(f"{name} is on {w.device} but the scores are on {x.device}")
    try:
        fits = w.ndim <= x.ndim and torch.broadcast_shapes(w.shape, x.shape) == x.shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(f"{name} must be a number, shape ({x.shape[0]},) or a shape broadcastable to the scores "
                         f"{tuple(x.shape)} such as ({x.shape[0]}, {', '.join(['1'] * (x.ndim - 1))}), "
                         f"got {tuple(w.shape)}")
    V.finite(w, name)
    return w.to(x.dtype)


def _pair(a: torch.Tensor, b: torch.Tensor, na: str, nb: str) -> None:
    V.batch(a, na)
    V.batch(b, nb, like_=a, like_name=na, same_shape=True)


def classifier_guided_score(score: torch.Tensor, classifier_grad: torch.Tensor, gamma: object = 1.0) -> torch.Tensor:
    """``s(x) + γ ∇_x log p(y|x)`` (the guidance scale multiplies the classifier term only)."""
    _pair(score, classifier_grad, "score", "classifier_grad")
    return score + _weight(gamma, score, "gamma") * classifier_grad


def cfg_score(s_uncond: torch.Tensor, s_cond: torch.Tensor, w: object) -> torch.Tensor:
    """CFG in the "w" convention: ``s_u + w (s_c - s_u)`` (= ``(1 - w) s_u + w s_c``)."""
    _pair(s_uncond, s_cond, "s_uncond", "s_cond")
    return s_uncond + _weight(w, s_uncond, "w") * (s_cond - s_uncond)


def cfg_score_one_plus_w(s_uncond: torch.Tensor, s_cond: torch.Tensor, w: object) -> torch.Tensor:
    """CFG in the "1 + w" convention: ``(1 + w) s_c - w s_u`` (= ``cfg_score(s_u, s_c, 1 + w)``)."""
    _pair(s_uncond, s_cond, "s_uncond", "s_cond")
    w = _weight(w, s_uncond, "w")
    return (1 + w) * s_cond - w * s_uncond


def cfg_eps(eps_uncond: torch.Tensor, eps_cond: torch.Tensor, w: object, convention: str = "w") -> torch.Tensor:
    """CFG on ε-predictions, ``convention`` ``"w"`` or ``"one_plus_w"`` (same combination as the scores)."""
    V.choice(convention, "convention", CONVENTIONS)
    _pair(eps_uncond, eps_cond, "eps_uncond", "eps_cond")
    if convention == "w":
        return cfg_score(eps_uncond, eps_cond, w)
    return cfg_score_one_plus_w(eps_uncond, eps_cond, w)


def _labels(y: object, x: torch.Tensor, K: int | None = None) -> torch.Tensor:
    if isinstance(y, bool) or not isinstance(y, (int, torch.Tensor)):
        raise TypeError(f"y must be an int class label or a (batch,) integer tensor, got {V._got(y)}")
    if isinstance(y, torch.Tensor) and y.device.type == "meta":
        raise ValueError("y is on the meta device, which holds no values; pass a tensor on cpu or cuda")
    y = torch.as_tensor(y, device=x.device)
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise TypeError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.ndim == 0:
        y = y.expand(x.shape[0])
    if y.shape != (x.shape[0],):
        raise ValueError(f"y must be an int or have shape ({x.shape[0]},), got {tuple(y.shape)}")
    if K is not None and y.numel() and (int(y.min()) < 0 or int(y.max()) >= K):
        raise ValueError(f"y must lie in 0..{K - 1}, got values in {int(y.min())}..{int(y.max())}")
    return y.long()


def classifier_gradient(log_probs: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, y: object, *,
                        logits: bool = False) -> torch.Tensor:
    """``∇_x log p(y | x)`` by autograd; ``log_probs(x)`` returns ``(batch, K)`` log-probabilities
    (or unnormalised logits with ``logits=True``, normalised here by ``log_softmax``)."""
    V.function(log_probs, "log_probs")
    V.batch(x, "x")
    V.flag(logits, "logits")
    _labels(y, x)
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        lp = log_probs(xg)
        if not isinstance(lp, torch.Tensor) or lp.ndim != 2 or lp.shape[0] != x.shape[0]:
            got = tuple(lp.shape) if isinstance(lp, torch.Tensor) else type(lp).__name__
            raise ValueError(f"log_probs(x) must return shape (batch, K) = ({x.shape[0]}, K), got {got}")
        if logits:
            lp = torch.log_softmax(lp, dim=1)
        yy = _labels(y, x, lp.shape[1])
        (g,) = torch.autograd.grad(lp.gather(1, yy[:, None]).sum(), xg)
    return g


class MixtureGuidance:
    """Guidance for the exact-score mixture model whose classes are its components.

    ``guided_score(x, y, gamma)`` uses the autograd gradient of the exact classifier
    ``log p(y | x)``; ``cfg(x, y, w, convention)`` combines the exact unconditional score and the
    conditional (component) score; ``scale``/``std`` (numbers) noise the data as ``a x₀ + s ε``.
    """

    def __init__(self, model: GaussianMixtureModel) -> None:
        if not isinstance(model, GaussianMixtureModel):
            raise TypeError(f"model must be a GaussianMixtureModel, got {type(model).__name__}")
        self.model = model

    def class_log_probs(self, x: torch.Tensor, scale: object = None, std: object = None) -> torch.Tensor:
        """``log p(k | x)`` as a log-softmax of the component log-joints (finite where p(k|x) underflows)."""
        floating(x, "x")
        a = 1.0 if scale is None else scale
        s = 0.0 if std is None else std
        eye = torch.eye(x.shape[1], dtype=x.dtype, device=x.device)
        covs = float(a) ** 2 * self.model.covs.to(x) + float(s) ** 2 * eye
        dist = torch.distributions.MultivariateNormal(float(a) * self.model.means.to(x), covariance_matrix=covs)
        return torch.log_softmax(self.model.weights.to(x).log() + dist.log_prob(x[:, None, :]), dim=1)

    def classifier_grad(self, x: torch.Tensor, y: object, scale: object = None, std: object = None) -> torch.Tensor:
        return classifier_gradient(lambda z: self.class_log_probs(z, scale, std), x, y)

    def conditional_score(self, x: torch.Tensor, y: object, scale: object = None, std: object = None) -> torch.Tensor:
        K = int(self.model.weights.shape[0])
        yy = _labels(y, x, K)
        per_class = torch.stack([self.model.class_score(x, k, scale, std) for k in range(K)], 1)
        return per_class[torch.arange(x.shape[0], device=x.device), yy]

    def guided_score(self, x: torch.Tensor, y: object, gamma: object = 1.0, scale: object = None,
                     std: object = None) -> torch.Tensor:
        return classifier_guided_score(self.model.score(x, scale, std), self.classifier_grad(x, y, scale, std), gamma)

    def cfg(self, x: torch.Tensor, y: object, w: object, convention: str = "w", scale: object = None,
            std: object = None) -> torch.Tensor:
        s_u, s_c = self.model.score(x, scale, std), self.conditional_score(x, y, scale, std)
        if convention == "w":
            return cfg_score(s_u, s_c, w)
        if convention == "one_plus_w":
            return cfg_score_one_plus_w(s_u, s_c, w)
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
