"""Checks of vector quantization (VQ-VAE) and of the KL to a uniform categorical prior against
``dgmcheck.theory.vq``; gradients are read with autograd on tiny tensors.

A candidate exposes ``codebook (K, L)`` and any of ``quantize(z_e) -> (z_q, k)`` (straight-through),
``codebook_loss(z_e)``, ``commitment_loss(z_e)``, ``loss(z_e, beta)``, ``posterior(z_e)`` (one-hot)
and ``kl_uniform(q)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from dgmcheck.checks import _verify
from dgmcheck.checks._assert import assert_close, to_numpy
from dgmcheck.checks.errors import TheoremViolation
from dgmcheck.checks.strategies import Case
from dgmcheck.checks.tolerances import Tolerance, exact
from dgmcheck.theory import vq as th

#: Theorem id -> the slides it cites, built from the registry records (the one source of citations).
SLIDES = __import__("dgmcheck.theorems", fromlist=["slides"]).slides('vq')
#: The keys of ``conventions`` this family's ``verify`` honours (``checks.conventions.declared``).
CONVENTIONS_HONOURED: tuple[str, ...] = ()


@dataclass(frozen=True)
class VQCase(Case):
    z: np.ndarray  # (B, L) encoder outputs, away from ties
    G: np.ndarray  # (B, L) upstream gradient
    q: np.ndarray  # (B, K) with zeros
    beta: float


@st.composite
def vq_cases(draw: st.DrawFn, E: np.ndarray, *, dtype: Any, device: Any = "cpu") -> VQCase:
    K, L = E.shape
    B = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    # codes plus noise, so several rows can share a code (the codebook gradient accumulates)
    z = E[rng.integers(0, K, B)] + rng.normal(size=(B, L)) * draw(st.sampled_from([0.05, 0.5, 2.0]))
    q = rng.random((B, K)) * (rng.random((B, K)) > 0.3)
    q[np.arange(B), rng.integers(0, K, B)] += 0.1
    beta = draw(st.sampled_from([0.25, 1.0]) | st.floats(0.01, 2.0))
    return VQCase(z, rng.normal(size=(B, L)), q / q.sum(-1, keepdims=True), beta, dtype=dtype, device=device,
                  extra={"seed": seed})


def _codebook(candidate: Any) -> np.ndarray:
    cb = getattr(candidate, "codebook", None)
    if cb is None:
        raise TypeError(f"candidate must have a 'codebook' (K, L); {type(candidate).__name__} has none")
    return to_numpy(cb)


def _close(theorem: str, observed: Any, expected: Any, what: str, tol: Tolerance, case: VQCase,
           scale: Any = None) -> None:
    inputs = {"z_e": case.z.tolist(), "beta": case.beta, "dtype": str(case.dtype)}
    assert_close(observed, expected, theorem=theorem, slide=SLIDES[theorem], what=what, tol=tol, scale=scale,
                 inputs=inputs)


def _usable(case: VQCase, E: np.ndarray) -> bool:
    """Rows whose nearest code is unambiguous in the candidate's dtype (a tie flips k*)."""
    from dgmcheck.checks.tolerances import eps

    scale = (np.abs(case.z).max() + np.abs(E).max()) ** 2
    return bool(np.all(th.distance_gap(case.z, E) > 1e3 * eps(case.dtype) * scale))


def _grads(loss: Any, z: Any, cb: Any) -> tuple[np.ndarray, np.ndarray]:
    import torch

    g = torch.autograd.grad(loss, (z, cb), allow_unused=True)
    return tuple(np.zeros(tuple(t.shape)) if gi is None else to_numpy(gi) for gi, t in zip(g, (z, cb), strict=True))


class _GradCodebook:
    """Temporarily make the candidate's codebook a leaf that records gradients."""

    def __init__(self, candidate: Any, case: VQCase) -> None:
        self.candidate, self.case = candidate, case

    def __enter__(self):
        self.saved = self.candidate.codebook
        self.cb = self.saved.detach().clone().requires_grad_(True)
        self.candidate.codebook = self.cb
        return self.cb

    def __exit__(self, *exc: object) -> None:
        self.candidate.codebook = self.saved


# --------------------------------------------------------------------------- properties
def check_straight_through(candidate: Any, case: VQCase, *, tol: Tolerance | None = None) -> None:
    """vq.straight_through: ``quantize(z_e)`` returns ``z_q = e_{k*}``, ``k* = argmin ‖z_e - e_k‖``, and the
    gradient of ``⟨G, z_q⟩`` is ``G`` on ``z_e`` (passed unchanged) and 0 on the codebook."""
    E = _codebook(candidate)
    if not _usable(case, E):
        return
    k_exp = th.nearest_code(case.z, E)
    with _GradCodebook(candidate, case) as cb:
        z = case.tensor(case.z, grad=True)
        z_q, k = candidate.quantize(z)
        tol_ = tol if tol is not None else exact(case.dtype, 4)
        if not np.array_equal(to_numpy(k).astype(np.int64), k_exp):
            raise TheoremViolation("vq.straight_through", f"codes {to_numpy(k).astype(int).tolist()} where the "
                                   f"nearest are {k_exp.tolist()}", slide=SLIDES["vq.straight_through"],
                                   inputs={"z_e": case.z.tolist()})
        # z_e + (e - z_e): one rounding relative to |z_e| + |e|
        _close("vq.straight_through", z_q, E[k_exp], "forward value z_q = e_{k*}", tol_, case,
               scale=np.abs(case.z) + np.abs(E[k_exp]))
        g_z, g_cb = _grads((z_q * case.tensor(case.G)).sum(), z, cb)
    _close("vq.straight_through", g_z, case.G, "∂⟨G, z_q⟩/∂z_e = G (straight through)", tol_, case)
    _close("vq.straight_through", g_cb, 0.0, "∂⟨G, z_q⟩/∂codebook = 0", tol_, case, scale=np.abs(case.G).max())


def check_losses(candidate: Any, case: VQCase, *, tol: Tolerance | None = None) -> None:
    """vq.losses: ``‖sg[z_e] - e_{k*}‖²`` sends ``2(e - z_e)`` to the codebook and nothing to ``z_e``;
    ``‖z_e - sg[e_{k*}]‖²`` sends ``2(z_e - e)`` to ``z_e`` and nothing to the codebook; in
    ``loss(z_e, β)`` the β multiplies the commitment term only."""
    E = _codebook(candidate)
    if not _usable(case, E):
        return
    o = th.loss_gradients(case.z, E, case.beta)
    tol_ = tol if tol is not None else exact(case.dtype, 8)
    mag = (np.abs(case.z) + np.abs(E[th.nearest_code(case.z, E)]))
    scale_E = np.ones_like(E) * 2 * mag.sum()
    terms = [("codebook_loss", 1.0, "codebook"), ("commitment_loss", case.beta, "commitment")]
    for name, b, key in terms:
        fn = getattr(candidate, name, None)
        if not callable(fn):
            continue
        with _GradCodebook(candidate, case) as cb:
            z = case.tensor(case.z, grad=True)
            value = fn(z)
            g_z, g_cb = _grads(value.sum(), z, cb)
        _close("vq.losses", value, o["value"], f"{name} = ‖z_e - e_{{k*}}‖²", tol_, case, scale=(mag**2).sum(-1))
        _close("vq.losses", g_z, o[f"{key}_wrt_z"] / b, f"∂ {name}/∂z_e", tol_, case, scale=2 * mag)
        _close("vq.losses", g_cb, o[f"{key}_wrt_E"] / (b if key == "commitment" else 1.0), f"∂ {name}/∂codebook",
               tol_, case, scale=scale_E)
    if callable(getattr(candidate, "loss", None)):
        with _GradCodebook(candidate, case) as cb:
            z = case.tensor(case.z, grad=True)
            g_z, g_cb = _grads(candidate.loss(z, case.beta).sum(), z, cb)
        _close("vq.losses", g_z, o["commitment_wrt_z"], "∂ loss/∂z_e = 2β(z_e - e) (β on the commitment term)",
               tol_, case, scale=2 * mag * (1 + case.beta))
        _close("vq.losses", g_cb, o["codebook_wrt_E"], "∂ loss/∂codebook = Σ 2(e - z_e) (no β)", tol_, case,
               scale=scale_E)


def check_deterministic_posterior_kl(candidate: Any, case: VQCase, *, tol: Tolerance | None = None) -> None:
    """vq.deterministic_posterior_kl: ``posterior(z_e)`` is one-hot at ``k*`` and its KL to
    ``U{1..K}`` is ``log K`` (its entropy is 0)."""
    E = _codebook(candidate)
    if not _usable(case, E):
        return
    K = E.shape[0]
    q = candidate.posterior(case.tensor(case.z))
    expected = np.eye(K)[th.nearest_code(case.z, E)]
    zero = Tolerance(rtol=0.0, atol=0.0)
    _close("vq.deterministic_posterior_kl", q, expected, "q(c | x) = one-hot at k* = argmin ‖z_e - e_k‖", zero, case)
    if callable(getattr(candidate, "kl_uniform", None)):
        _close("vq.deterministic_posterior_kl", candidate.kl_uniform(case.tensor(expected)), np.full(len(q), np.log(K)),
               "KL(one-hot || U{1..K}) = log K", tol if tol is not None else exact(case.dtype, 4), case)


def check_discrete_kl_uniform(candidate: Any, case: VQCase, *, tol: Tolerance | None = None) -> None:
    """vae.discrete_kl_uniform: ``KL(q || U{1..K}) = log K - H(q)`` for every categorical q."""
    K = case.q.shape[-1]
    expected = th.kl_to_uniform(case.q)
    # Σ q log q rounds relative to Σ q |log q|, log K relative to log K
    scale = np.log(K) + th.entropy(case.q)
    _close("vae.discrete_kl_uniform", candidate.kl_uniform(case.tensor(case.q)), expected, "KL(q || U) = log K - H(q)",
           tol if tol is not None else exact(case.dtype, 4 * K), case, scale=scale)


# --------------------------------------------------------------------------- verify
@dataclass(frozen=True)
class Property(_verify.Property):
    any_of: tuple[str, ...] = ()


PROPERTIES = (
    Property("straight_through", "vq.straight_through", check_straight_through, ("quantize",)),
    Property("losses", "vq.losses", check_losses, (), ("codebook_loss", "commitment_loss", "loss")),
    Property("deterministic_posterior_kl", "vq.deterministic_posterior_kl", check_deterministic_posterior_kl,
             ("posterior",)),
    Property("discrete_kl_uniform", "vae.discrete_kl_uniform", check_discrete_kl_uniform, ("kl_uniform",)),
)
PROPERTY_NAMES = tuple(p.name for p in PROPERTIES)


class VerifyReport(_verify.VerifyReport):
    concept = "vq"


@_verify.family_verify(PROPERTIES, VerifyReport, honours=CONVENTIONS_HONOURED)
def verify(run: _verify.Run, candidate: Any) -> VerifyReport:
    """Run every VQ property the candidate supports under Hypothesis."""
    E = _codebook(candidate)

    def any_of(prop: Property) -> str | None:
        if prop.any_of and not any(callable(getattr(candidate, r, None)) for r in prop.any_of):
            return f"needs {' or '.join(prop.any_of)}"
        return None

    return run.properties(lambda _prop: vq_cases(E, dtype=run.dtype, device=run.device), not_applicable=any_of)
