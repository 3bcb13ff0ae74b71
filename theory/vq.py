"""Exact oracles of vector quantization (VQ-VAE) and of the KL to a uniform categorical prior.

- ``k*(z) = argmin_k ‖z - e_k‖``, ``z_q = e_{k*}`` (000 L4 "Vector Quantization").
- vae.discrete_kl_uniform: ``KL(q || U{1..K}) = log K - H(q)``; vq.deterministic_posterior_kl: a
  one-hot q has ``H(q) = 0``, so ``KL = log K``.
- vq.straight_through: with ``z_q^{st} = z_e + sg[z_q - z_e]`` the forward value is ``z_q`` and
  ``∂⟨G, z_q^{st}⟩/∂z_e = G`` (the decoder's gradient passes unchanged), ``∂/∂e = 0``.
- vq.losses: ``‖sg[z_e] - e_k‖²`` has gradient ``2(e_k - z_e)`` on ``e_k`` and 0 on ``z_e``;
  ``β ‖z_e - sg[e_k]‖²`` has ``2β(z_e - e_k)`` on ``z_e`` and 0 on the codebook.
"""

from __future__ import annotations

import numpy as np

from dgmcheck.theory import _validate as V


def _codes(z: object, E: object) -> tuple[np.ndarray, np.ndarray]:
    """Encoder outputs ``z (B, L)`` and a codebook ``E (K, L)``."""
    z, E = V.array(z, "z", ndim=2), V.array(E, "E", ndim=2)
    if z.shape[1] != E.shape[1]:
        raise ValueError(f"z has rows of length {z.shape[1]} but the codebook E has {E.shape[1]}")
    return z, E


def nearest_code(z: np.ndarray, E: np.ndarray) -> np.ndarray:
    """``argmin_k ‖z_i - e_k‖²`` per row (``(B,)``)."""
    z, E = _codes(z, E)
    d = ((z[:, None, :] - E[None]) ** 2).sum(-1)
    return d.argmin(-1)


def distance_gap(z: np.ndarray, E: np.ndarray) -> np.ndarray:
    """Squared-distance gap between the nearest and second-nearest code (ties make k* ambiguous)."""
    z, E = _codes(z, E)
    d = np.sort(((z[:, None, :] - E[None]) ** 2).sum(-1), -1)
    return d[:, 1] - d[:, 0] if d.shape[1] > 1 else np.full(len(d), np.inf)


def entropy(q: np.ndarray) -> np.ndarray:
    """``H(q) = -Σ q log q`` over the last axis (``0 log 0 = 0``)."""
    q = V.law(q, "q", ndim=None)
    return -np.sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0), -1)


def kl_to_uniform(q: np.ndarray) -> np.ndarray:
    """``KL(q || U{1..K}) = Σ q log(q K) = log K - H(q)``."""
    q = V.law(q, "q", ndim=None)
    return np.log(q.shape[-1]) - entropy(q)


def loss_gradients(z: np.ndarray, E: np.ndarray, beta: float) -> dict[str, np.ndarray]:
    """Gradients of ``Σ_i ‖sg[z_i] - e_{k_i}‖²`` and ``β Σ_i ‖z_i - sg[e_{k_i}]‖²`` (sums over the batch)."""
    z, E = _codes(z, E)
    beta = V.real(beta, "beta", lo=0.0, closed="lo")
    k = nearest_code(z, E)
    diff = z - E[k]  # z - e_k
    g_codebook = np.zeros_like(E)
    np.add.at(g_codebook, k, -2.0 * diff)
    return {"codebook_wrt_E": g_codebook, "codebook_wrt_z": np.zeros_like(diff),
            "commitment_wrt_z": 2.0 * beta * diff, "commitment_wrt_E": np.zeros_like(g_codebook),
            "value": (diff**2).sum(-1)}
