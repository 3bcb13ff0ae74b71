"""A DDPM candidate seen in the lecture's conventions: the bridge between declared conventions and
the checks of ``dgmcheck.checks.ddpm``.

``Declared(candidate, conventions)`` exposes the methods of ``DDPMCandidate`` with lecture steps
``t = 1..T``, ε-predictions, per-sample sums in nats and explicit ``noise`` arguments, and calls
the candidate in its own conventions: steps shifted or made continuous, ε turned into x₀ / v / score
before it reaches the candidate (the conversion in float64 from the same inputs), a mean over
coordinates multiplied back by ``d``, bits by ``log 2``. A candidate method without a ``noise``
parameter draws its own noise: it is fed the check's variates through
:mod:`dgmcheck.checks.capture`. What cannot be undone by relabelling inputs (x̂₀ clipping, a mean
over the batch) the checks handle themselves, reading ``declared.conventions``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dgmcheck.checks._assert import to_numpy
from dgmcheck.checks.conventions import Conventions
from dgmcheck.theory import parametrization

# The lecture protocol: method -> (index of t, index of the noise argument or None).
METHODS: dict[str, tuple[int | None, int | None]] = {
    "q_step": (1, 2), "q_sample": (1, 2), "posterior": (2, None), "posterior_mean_from_eps": (1, None),
    "reverse_variance": (0, None), "reverse_step": (1, 3), "sample": (None, 2), "score_from_eps": (1, None),
    "reverse_step_score": (1, 3), "loss_weight": (0, None), "elbo_term_eps": (1, 2), "dsm_term": (1, 2),
    "simple_loss": (2, 3), "posterior_kl": (2, None), "prior_kl": (None, None),
    "decoder_log_likelihood": (None, None),
}
# Per-sample log-likelihood / KL terms: a mean over coordinates and bits are undone here.
LOG_TERMS = ("elbo_term_eps", "dsm_term", "posterior_kl", "prior_kl", "decoder_log_likelihood")


def takes_noise(fn: Callable, position: int) -> bool:
    """Whether ``fn`` accepts a ``noise`` argument at ``position`` (or by the name ``noise``)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    if any(p.name == "noise" for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) > position


class Declared:
    """``candidate`` in the lecture's conventions (see the module docstring)."""

    def __init__(self, candidate: Any, conventions: Conventions, betas: np.ndarray) -> None:
        self.candidate = candidate
        self.conventions = conventions
        self.mean_route = getattr(candidate, "mean_route", None)  # how its mean is evaluated (checks.ddpm)
        self.betas_np = betas
        self.T = len(betas)
        self._abar = np.exp(np.cumsum(np.log1p(-betas)))
        for name in METHODS:
            if callable(getattr(candidate, name, None)):
                setattr(self, name, self._wrap(name))

    def __repr__(self) -> str:
        return f"{type(self.candidate).__name__} ({self.conventions})" if str(self.conventions) else \
            type(self.candidate).__name__

    @property
    def betas(self) -> Any:
        return self.candidate.betas

    # ------------------------------------------------------------------ steps
    def to_candidate_t(self, t: Any) -> Any:
        c = self.conventions
        if c.steps == "one_based":
            return t
        if c.steps == "zero_based":
            return t - 1
        frac = t.double() / self.T
        return frac if c.time_direction == "data_to_noise" else 1.0 - frac

    def from_candidate_t(self, t_c: Any) -> Any:
        import torch

        c = self.conventions
        if c.steps == "one_based":
            return t_c
        if c.steps == "zero_based":
            return t_c + 1
        frac = t_c.double() if c.time_direction == "data_to_noise" else 1.0 - t_c.double()
        return torch.round(frac * self.T).long()

    # ------------------------------------------------------------------ predictions
    def eps_to_prediction(self, eps: Any, x_t: Any, t: Any) -> Any:
        """ε → the declared prediction at ``x_t`` (float64 from the same inputs, then cast back)."""
        kind = self.conventions.prediction
        if kind == "eps":
            return eps
        ab = self._abar[to_numpy(t).astype(np.int64) - 1]
        return eps.new_tensor(parametrization.convert(to_numpy(eps), to_numpy(x_t), ab, "eps", kind))

    def prediction_loss_weight(self, t: Any) -> np.ndarray:
        """‖pred − pred_θ‖² = w_t ‖ε − ε_θ‖²: w = 1, (1−ᾱ)/ᾱ, 1/ᾱ, 1/(1−ᾱ) for ε, x₀, v, score."""
        ab = self._abar[to_numpy(t).astype(np.int64) - 1]
        return np.broadcast_to(parametrization.loss_weight(self.conventions.prediction, ab), ab.shape)

    def model(self, eps_model: Callable) -> Callable:
        """The check's ε-model as the candidate sees it: its steps, its prediction."""

        def wrapped(x: Any, t_c: Any, *args: Any, **kwargs: Any) -> Any:
            t = self.from_candidate_t(t_c)
            return self.eps_to_prediction(eps_model(x, t), x, t)

        return wrapped

    # ------------------------------------------------------------------ output scaling
    def undo_reduction(self, out: Any, like: Any, log_term: bool) -> Any:
        c = self.conventions
        factor = 1.0
        if c.reduction == "mean":
            factor *= float(np.prod(like.shape[1:]))
        if log_term and c.log_base == "2":
            factor *= math.log(2.0)
        return out if factor == 1.0 else out * factor

    # ------------------------------------------------------------------ calls
    def _wrap(self, name: str) -> Callable:
        fn = getattr(self.candidate, name)
        noise_pos = METHODS[name][1]
        feeds = noise_pos is not None and not takes_noise(fn, noise_pos)

        def call(*args: Any) -> Any:
            return self._call(name, fn, list(args), feed=feeds)

        call.__name__ = name
        return call

    def _call(self, name: str, fn: Callable, args: list, *, feed: bool, free: bool = False) -> Any:
        t_pos, noise_pos = METHODS[name]
        t = args[t_pos] if t_pos is not None else None
        args = self._convert_inputs(name, args, t)
        if t_pos is not None:
            args[t_pos] = self.to_candidate_t(t)
        if free:
            args.pop(noise_pos)
            out = fn(*args)
        elif feed:
            noise = args.pop(noise_pos)
            out = _with_draws(fn, args, noise, many=(name == "sample"))
        else:
            out = fn(*args)
        return self._convert_output(name, out, args)

    def drawing_freely(self, name: str) -> Callable | None:
        """``name`` called with the candidate's own draws (the ``noise`` argument ignored), for the
        law of a step whose draws cannot be matched one to one; ``None`` when the candidate takes
        its noise as an argument (then there is nothing to fall back from)."""
        fn = getattr(self.candidate, name, None)
        noise_pos = METHODS.get(name, (None, None))[1]
        if fn is None or noise_pos is None or takes_noise(fn, noise_pos):
            return None
        return lambda *args: self._call(name, fn, list(args), feed=False, free=True)

    def _convert_inputs(self, name: str, args: list, t: Any) -> list:
        if self.conventions.prediction == "eps":
            if name in ("sample", "simple_loss"):
                args[0] = self.model(args[0])
            return args
        if name in ("posterior_mean_from_eps", "reverse_step"):
            args[2] = self.eps_to_prediction(args[2], args[0], t)
        elif name == "elbo_term_eps":
            x0, noise = to_numpy(args[0]), to_numpy(args[2])
            ab = self._abar[to_numpy(t).astype(np.int64) - 1].reshape((-1,) + (1,) * (x0.ndim - 1))
            x_t = args[0].new_tensor(np.sqrt(ab) * x0 + np.sqrt(1 - ab) * noise)
            args[3] = self.eps_to_prediction(args[3], x_t, t)
        elif name in ("sample", "simple_loss"):
            args[0] = self.model(args[0])
        return args

    def _convert_output(self, name: str, out: Any, args: list) -> Any:
        if name in LOG_TERMS or name == "simple_loss":
            like = args[1] if name == "simple_loss" else args[0]
            out = self.undo_reduction(out, like, log_term=name in LOG_TERMS)
        return out


def _with_draws(fn: Callable, args: list, noise: Any, many: bool) -> Any:
    """Call ``fn(*args)`` feeding its own draws from ``noise``: one tensor, or for a sampler the
    tensors ``noise[T-1], ..., noise[0]`` in the order a reverse loop draws them."""
    from dgmcheck.checks.capture import captured

    values = [to_numpy(n) for n in noise.flip(0)] if many else [to_numpy(noise)]
    with captured(values=values, allow_unused=True):
        return fn(*args)
