"""Score-based samplers through SDEs, batched in torch: PF-ODE, reverse SDE, predictor–corrector.

For the forward SDE ``dx = f(x, t) dt + g(t) dw`` and a score ``s(x, t) ≈ ∇_x log p_t(x)``
(``000 L10 "Probability Flow ODE"``, ``"Reverse SDE"``; ``000 L11 "Score-Based Generative Models
Through SDEs"`` (Sampling); ``001 "Continuous time models using differential equations"``):

* ``pf_ode_drift``  ``f - ½ g² s`` (theorem ``sde.probability_flow_ode``), integrated from ``T`` down to
  ``ε`` by ``pf_ode_sample`` with Euler or Heun (``impl.ode``);
* ``reverse_drift`` ``f - g² s`` (theorem ``sde.reverse_sde``), run with ``dt < 0`` by
  ``reverse_sde_sample`` (Euler–Maruyama, ``impl.sde.euler_maruyama`` on decreasing times);
* ``reverse = PF-ODE + Langevin`` (theorem ``sde.pf_ode_plus_langevin``): ``f - g²s = (f - ½g²s) - ½g²s``;
  ``predictor_corrector_sample`` alternates a predictor step with Langevin corrector steps
  ``x + (η/2) s(x, t) + √η z`` (theorem ``sde.langevin_stationary``: the Euler–Maruyama step with
  ``dτ = η`` of ``dx = ½∇log p_t dτ + dw``, which leaves ``p_t`` invariant).

Protocol: ``sde`` exposes ``drift(x, t)`` (like ``x``) and ``diffusion(x, t)`` (``(batch,)``) and, when it
has one, ``T`` (times must lie in ``[0, T]``); ``score(x, t)`` returns a tensor shaped like ``x``; ``t``
reaches ``score`` as a ``(batch,)`` tensor like ``x``. All randomness is passed in (``noises``). An
``sde`` whose ``diffusion``/``marginal`` still take ``(t, x)`` works for one release, with a
``DeprecationWarning`` (``impl.sde.xt_order``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from . import _validate as V
from . import ode
from .langevin import _coefficients, _step
from .sde import _euler_maruyama, _noises, as_xt, sde_times, xt_order

Score = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

__all__ = [
    "ScoreSDE",
    "exact_mixture_score",
    "kfp_residual",
    "langevin_corrector_step",
    "pf_ode_drift",
    "pf_ode_sample",
    "predictor_corrector_sample",
    "reverse_drift",
    "reverse_sde_sample",
]


# ------------------------------------------------------------------------------------------ helpers
def _times(sde: object, t: object, x: torch.Tensor, name: str = "t") -> torch.Tensor:
    T = getattr(sde, "T", None)
    if T is None:
        return V.per_row(t, x, name)
    return sde_times(t, x, float(T), name)


def _sde(sde: object, *methods: str) -> object:
    """``sde`` must have the callable protocol methods its caller uses."""
    missing = [m for m in methods or ("drift", "diffusion") if not callable(getattr(sde, m, None))]
    if missing:
        raise TypeError(f"sde must have callable {', '.join(f'{m}(x, t)' for m in missing)}, got {V._got(sde)}")
    return sde


def _col(v: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return v.reshape(-1, *([1] * (x.ndim - 1)))


def _score(score: Score, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    if not callable(score):
        raise TypeError(f"score must be callable, got {type(score).__name__}")
    s = score(x, t)
    if not isinstance(s, torch.Tensor) or s.shape != x.shape:
        got = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
        raise ValueError(f"score(x, t) must return a tensor of shape {tuple(x.shape)} like x, got {got}")
    return s


def _g(sde: object, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    g = torch.as_tensor(xt_order(sde.diffusion, "diffusion", 3)(x, t), dtype=x.dtype, device=x.device)
    if g.ndim == 0:
        g = g.expand(x.shape[0])
    if g.shape != (x.shape[0],):
        raise ValueError(f"sde.diffusion(x, t) must return shape ({x.shape[0]},), got {tuple(g.shape)}")
    return g


def _grid(sde: object, ts: object, x: torch.Tensor, decreasing: bool = True) -> torch.Tensor:
    ts = ode.time_grid(ts, x)
    if decreasing and not bool((ts[1:] < ts[:-1]).all()):
        raise ValueError(f"ts must be strictly decreasing (from T towards 0) for a reverse-time sampler, "
                         f"got {ts.tolist()}")
    T = getattr(sde, "T", None)
    if T is not None and (float(ts.min()) < 0 or float(ts.max()) > float(T)):
        raise ValueError(f"ts must lie in [0, T] = [0, {T}], got values in [{float(ts.min())}, {float(ts.max())}]")
    return ts


# ------------------------------------------------------------------------------------------- drifts
def pf_ode_drift(sde: object, score: Score, x: torch.Tensor, t: object) -> torch.Tensor:
    """Probability-flow ODE drift ``f(x, t) - ½ g(t)² s(x, t)`` (theorem ``sde.probability_flow_ode``)."""
    _sde(sde)
    V.function(score, "score")
    V.batch(x, "x")
    return _pf_ode_drift(sde, score, x, _times(sde, t, x))


def _pf_ode_drift(sde: object, score: Score, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    g = _g(sde, t, x)
    return sde.drift(x, t) - 0.5 * _col(g**2, x) * _score(score, x, t)


def reverse_drift(sde: object, score: Score, x: torch.Tensor, t: object) -> torch.Tensor:
    """Reverse-SDE drift ``f(x, t) - g(t)² s(x, t)``, to be run with ``dt < 0`` (theorem ``sde.reverse_sde``)."""
    _sde(sde)
    V.function(score, "score")
    V.batch(x, "x")
    return _reverse_drift(sde, score, x, _times(sde, t, x))


def _reverse_drift(sde: object, score: Score, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    g = _g(sde, t, x)
    return sde.drift(x, t) - _col(g**2, x) * _score(score, x, t)


def langevin_corrector_step(score: Score, x: torch.Tensor, t: object, step_size: object,
                            noise: torch.Tensor) -> torch.Tensor:
    """One Langevin step on ``p_t``: ``x + (η/2) s(x, t) + √η z`` (η = ``step_size`` > 0, z = ``noise``):
    ``impl.langevin.langevin_step`` with the score frozen at time ``t``."""
    V.function(score, "score")
    V.batch(x, "x")
    eta = V.positive(step_size, "step_size")
    V.batch(noise, "noise", like_=x, like_name="x")
    if noise.shape != x.shape:
        raise ValueError(f"noise must have the shape of x {tuple(x.shape)}, got {tuple(noise.shape)}")
    return _corrector(score, x, V.per_row(t, x, "t"), eta, noise)


def _corrector(score: Score, x: torch.Tensor, t: torch.Tensor, eta: float, noise: torch.Tensor) -> torch.Tensor:
    a, b = _coefficients(eta, x, "eta")
    return _step(lambda y: _score(score, y, t), x, a, b, noise)


# ------------------------------------------------------------------------------------------ samplers
def pf_ode_sample(sde: object, score: Score, x_T: torch.Tensor, ts: object, method: str = "heun", *,
                  return_path: bool = False) -> torch.Tensor:
    """Integrate the PF-ODE along decreasing ``ts`` (``T → ε``) with ``impl.ode.euler`` or ``impl.ode.heun``."""
    _sde(sde)
    V.function(score, "score")
    V.batch(x_T, "x_T")
    V.choice(method, "method", tuple(ode.SOLVERS))
    V.flag(return_path, "return_path")
    ts = _grid(sde, ts, x_T)
    return ode._solve(ode._STEPS[method], lambda x, t: _pf_ode_drift(sde, score, x, t), x_T, ts, return_path)


def reverse_sde_sample(sde: object, score: Score, x_T: torch.Tensor, ts: object, noises: torch.Tensor, *,
                       return_path: bool = False) -> torch.Tensor:
    """Euler–Maruyama on the reverse SDE along decreasing ``ts``:
    ``x_{k+1} = x_k + (f - g² s)(x_k, t_k) Δt_k + g(t_k) √|Δt_k| z_k`` with ``Δt_k < 0``."""
    _sde(sde)
    V.function(score, "score")
    V.batch(x_T, "x_T")
    V.flag(return_path, "return_path")
    ts = _grid(sde, ts, x_T)
    _noises(noises, x_T, ts, "x_T")
    return _reverse_em(sde, score, x_T, ts, noises, return_path)


def _reverse_em(sde: object, score: Score, x_T: torch.Tensor, ts: torch.Tensor, noises: torch.Tensor,
                return_path: bool = False) -> torch.Tensor:
    return _euler_maruyama(lambda x, t: _reverse_drift(sde, score, x, t), xt_order(sde.diffusion, "diffusion"),
                           x_T, ts, noises, return_path)


PREDICTORS = ("reverse_sde", "pf_ode")


def predictor_corrector_sample(sde: object, score: Score, x_T: torch.Tensor, ts: object, noises: torch.Tensor,
                               corrector_noises: torch.Tensor, step_size: object,
                               predictor: str = "reverse_sde", *, return_path: bool = False) -> torch.Tensor:
    """Predictor–corrector sampling along decreasing ``ts``.

    For each step ``t_k → t_{k+1}``: a predictor step (reverse-SDE Euler–Maruyama with ``noises[k]``, or a
    PF-ODE Euler step, which ignores ``noises``), then ``corrector_noises.shape[1]`` Langevin corrector
    steps of size ``step_size`` at time ``t_{k+1}`` with ``corrector_noises[k, j]``.
    ``noises``: ``(len(ts) - 1, *x_T.shape)``; ``corrector_noises``: ``(len(ts) - 1, n_corrector, *x_T.shape)``.
    """
    _sde(sde)
    V.function(score, "score")
    V.batch(x_T, "x_T")
    V.choice(predictor, "predictor", PREDICTORS)
    eta = V.positive(step_size, "step_size")
    V.flag(return_path, "return_path")
    ts = _grid(sde, ts, x_T)
    n = ts.numel() - 1
    if predictor == "reverse_sde" or noises is not None:  # the PF-ODE predictor reads no noise
        _noises(noises, x_T, ts, "x_T")
    V.like(corrector_noises, x_T, "corrector_noises", "x_T", same_shape=False)
    if corrector_noises.ndim != x_T.ndim + 2 or corrector_noises.shape[0] != n \
            or corrector_noises.shape[2:] != x_T.shape:
        raise ValueError(f"corrector_noises must have shape (len(ts) - 1, n_corrector, *x_T.shape) = "
                         f"({n}, n_corrector, {', '.join(map(str, x_T.shape))}), got {tuple(corrector_noises.shape)}")
    V.finite(corrector_noises, "corrector_noises")
    x = x_T
    path = [x] if return_path else None
    for k in range(n):  # validated once above: the unchecked inner steps
        pair = ts[k: k + 2]
        if predictor == "reverse_sde":
            x = _reverse_em(sde, score, x, pair, noises[k: k + 1])
        else:
            x = ode._solve(ode._euler_step, lambda y, t: _pf_ode_drift(sde, score, y, t), x, pair)
        t_next = ts[k + 1].expand(x.shape[0])
        for j in range(corrector_noises.shape[1]):
            x = _corrector(score, x, t_next, eta, corrector_noises[k, j])
        if path is not None:
            path.append(x)
    return torch.stack(path) if path is not None else x


# ------------------------------------------------------------------------------- KFP by autograd
def kfp_residual(drift: Callable, diffusion: Callable, log_prob: Callable, x: torch.Tensor, t: object,
                 second_order: float = -0.5) -> torch.Tensor:
    """``(∂_t p + div(f p) + c g² Δp)/p`` by autograd, from ``log p``:
    ``∂_t log p + div f + f·∇log p + c g² (Δ log p + |∇log p|²)`` (theorem ``sde.kfp`` for ``c = -½``;
    ``c = 0`` with the PF-ODE drift: continuity equation; ``c = +½`` with the reverse drift: the
    time-reversed KFP). ``log_prob(x, t)`` -> ``(batch,)``; ``diffusion(x, t)``; returns ``(batch,)``.
    Use float64."""
    for name, fn in (("drift", drift), ("diffusion", diffusion), ("log_prob", log_prob)):
        V.function(fn, name)
    V.tensor(x, "x", ndim=2)
    second_order = V.real(second_order, "second_order")
    diffusion = xt_order(diffusion, "diffusion")
    t = V.per_row(t, x, "t")
    x = x.detach().requires_grad_(True)
    t = t.detach().clone().requires_grad_(True)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True to a scalar")
        lp = log_prob(x, t)
        gx, gt = torch.autograd.grad(lp.sum(), (x, t), create_graph=True)
        lap = sum(torch.autograd.grad(gx[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(x.shape[1]))
        f = drift(x, t)
        div_f = sum(torch.autograd.grad(f[:, i].sum(), x, create_graph=True, allow_unused=True)[0][:, i]
                    if f.requires_grad else torch.zeros_like(lp) for i in range(x.shape[1]))
        g2 = torch.as_tensor(diffusion(x, t), dtype=x.dtype, device=x.device) ** 2
        res = gt + div_f + (f * gx).sum(-1) + second_order * g2 * (lap + (gx**2).sum(-1))
    return res.detach()


# ------------------------------------------------------------------------------- exact-score model
def exact_mixture_score(sde: object, model: object) -> Score:
    """The exact score of ``p_t`` for mixture data ``model`` (an ``impl.mixture.GaussianMixtureModel``)
    under an SDE with a Gaussian ``marginal(x, t) -> (a, s)``: ``∇log Σ w_k N(a m_k, a² C_k + s² I)``."""
    _sde(sde, "marginal")
    if not callable(getattr(model, "score", None)):
        raise TypeError(f"model must be a mixture with score(x, scale, std), got {V._got(model)}")
    marginal = xt_order(sde.marginal, "marginal")

    def score(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a, s = marginal(x, t)
        return model.score(x, a, s)

    return score


class ScoreSDE:
    """An SDE with a score: the object ``checks.samplers.verify`` takes (``drift``, ``diffusion``,
    ``score``; the samplers as methods). ``data`` (optional) records the data law the score belongs to."""

    def __init__(self, sde: object, score: Score, data: object = None) -> None:
        for name in ("drift", "diffusion"):
            if not callable(getattr(sde, name, None)):
                raise TypeError(f"sde must have a callable {name}(), got {type(sde).__name__}")
        if not callable(score):
            raise TypeError(f"score must be callable, got {type(score).__name__}")
        self.sde, self._score, self.data = as_xt(sde), score, data
        self.T = getattr(sde, "T", None)

    def drift(self, x, t):
        return self.sde.drift(x, t)

    def diffusion(self, x, t):
        return self.sde.diffusion(x, t)

    def marginal(self, x, t):
        return self.sde.marginal(x, t)

    def score(self, x, t):
        return self._score(x, _times(self.sde, t, x))

    def pf_ode_drift(self, x, t):
        return pf_ode_drift(self.sde, self._score, x, t)

    def reverse_drift(self, x, t):
        return reverse_drift(self.sde, self._score, x, t)

    def pf_ode_sample(self, x_T, ts, method="heun"):
        return pf_ode_sample(self.sde, self._score, x_T, ts, method)

    def reverse_sde_sample(self, x_T, ts, noises):
        return reverse_sde_sample(self.sde, self._score, x_T, ts, noises)

    def pc_sample(self, x_T, ts, noises, corrector_noises, step_size, predictor="reverse_sde"):
        return predictor_corrector_sample(self.sde, self._score, x_T, ts, noises, corrector_noises, step_size,
                                          predictor)

    def corrector_step(self, x, t, step_size, noise):
        return langevin_corrector_step(self._score, x, t, step_size, noise)
