"""Tabular autoregressive models on ``{0..V-1}^m`` (batched torch; dtype/device follow the logits).

``TabularAR(V, m, order)``: the j-th conditional ``p(x_j | x_{j-d:j-1}) = softmax(logits_j[context])``
sees the last ``min(j-1, order)`` symbols (``order=None``: the whole history, i.e. the histogram;
``order=0``: the independent model). 000 L1 "Histogram as a Generative Model", "Autoregressive Modeling".
"""

from __future__ import annotations

import torch

from dgmcheck.impl import _validate

#: The most logits the conditional tables of a ``TabularAR`` may hold (2^22: 32 MiB in float64).
MAX_PARAMETERS = 2**22


class TabularAR:
    """``conditionals(x) -> (B, m, V)``, ``log_prob(x) = Σ_j log p(x_j | context_j)``,
    ``num_parameters()`` (free parameters: ``V - 1`` per conditional row)."""

    def __init__(self, V: int, m: int, order: int | None = None, *, seed: int = 0,
                 dtype: torch.dtype = torch.float64) -> None:
        V, m = _validate.count(V, "V", lo=2), _validate.count(m, "m")
        if order is not None:
            _validate.count(order, "order", lo=0)
        _validate.count(seed, "seed", lo=0)
        _validate.dtype_(dtype)
        self.V, self.m, self.order = V, m, order
        self.context = [j if order is None else min(j, order) for j in range(m)]
        # the tables hold Σ_j V^{c_j} rows of V logits: V**m for the histogram, so the size is bounded first
        size = sum(V ** min(c, 64) * V for c in self.context)
        if size > MAX_PARAMETERS:
            raise ValueError(f"V = {V}, m = {m}, order = {order} need {size} logits, over MAX_PARAMETERS = "
                             f"{MAX_PARAMETERS}; take a smaller V or m, or a lower order")
        g = torch.Generator().manual_seed(seed)
        self.logits = [torch.randn(V**c, V, generator=g, dtype=torch.float64).to(dtype) for c in self.context]

    def to(self, device=None, dtype=None) -> TabularAR:
        self.logits = [t.to(device=device, dtype=dtype) for t in self.logits]
        return self

    def _tokens(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dtype != torch.long:
            raise TypeError(f"x must be a long tensor of symbols, got {getattr(x, 'dtype', type(x).__name__)}")
        if x.ndim != 2 or x.shape[1] != self.m:
            raise ValueError(f"x must have shape (batch, {self.m}), got {tuple(x.shape)}")
        if bool(((x < 0) | (x >= self.V)).any()):
            raise ValueError(f"x must lie in 0..{self.V - 1}")
        return x

    def _row(self, x: torch.Tensor, j: int) -> torch.Tensor:
        """Index of the context ``x_{j-c:j-1}`` (base-V number, most recent symbol last)."""
        idx = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        for s in range(j - self.context[j], j):
            idx = idx * self.V + x[:, s]
        return idx

    def conditionals(self, x: torch.Tensor) -> torch.Tensor:
        x = self._tokens(x)
        rows = [torch.softmax(self.logits[j][self._row(x, j)], -1) for j in range(self.m)]
        return torch.stack(rows, 1)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        x = self._tokens(x)
        logp = torch.stack([torch.log_softmax(self.logits[j][self._row(x, j)], -1) for j in range(self.m)], 1)
        return logp.gather(-1, x[..., None])[..., 0].sum(-1)

    def num_parameters(self) -> int:
        return sum(t.shape[0] * (t.shape[1] - 1) for t in self.logits)
