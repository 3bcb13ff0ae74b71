"""Reference normalizing flows (batched torch; device and dtype follow the parameters/inputs).

Every flow maps data to noise (000 L2 "Normalizing Flows (NF)"): ``forward(x) -> (z, log|det ∂z/∂x|)``,
``inverse(z) -> (x, log|det ∂x/∂z|)``, ``log_prob(x)`` with base ``N(0, I)``. Points are rows.

- ``LinearFlow``: ``z = W x + b`` (flows.linear); ``LUFlow``: ``W = P L U`` with L unit lower and U
  upper with diagonal ``sign·exp(log_s)`` (Glow; represents every invertible W); ``QRFlow``:
  ``W = Q R``, Q orthogonal, R upper with diagonal ``exp(log_r)`` (represents every invertible W).
- ``GaussianARFlow``: ``z_j = (x_j - μ_j(x_{<j})) e^{-log σ_j(x_{<j})}`` with a MADE conditioner
  (flows.gaussian_ar); ``AffineCoupling``: RealNVP coupling (flows.realnvp); ``CompositeFlow``:
  ``f_K ∘ … ∘ f_1`` with summed log-dets (flows.composition).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from dgmcheck.impl import _validate as V
from dgmcheck.impl._validate import floating


def _points(x: object, dim: int, name: str, ref: torch.Tensor) -> torch.Tensor:
    x = floating(x, name)
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"{name} must have shape (batch, {dim}), got {tuple(x.shape)}")
    if x.dtype != ref.dtype or x.device != ref.device:
        raise TypeError(f"{name} has dtype {x.dtype} on {x.device} but the flow's parameters are "
                        f"{ref.dtype} on {ref.device} (use flow.to(...))")
    return x


def _normal_logpdf(z: torch.Tensor) -> torch.Tensor:
    return -0.5 * (z * z).sum(-1) - 0.5 * z.shape[-1] * math.log(2 * math.pi)


class Flow:
    """Shared ``log_prob`` and ``to`` (subclasses list their tensors in ``_tensors``)."""

    dim: int
    _tensors: tuple[str, ...] = ()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x) = log N(f(x); 0, I) + log|det J_f(x)|``."""
        z, log_det = self.forward(x)
        return _normal_logpdf(z) + log_det

    def to(self, device: object = None, dtype: torch.dtype | None = None) -> Flow:
        for name in self._tensors:
            value = getattr(self, name)
            setattr(self, name, value.to(device=device, dtype=dtype if value.is_floating_point() else None))
        return self

    @property
    def _ref(self) -> torch.Tensor:
        return getattr(self, self._tensors[0])


def _square(W: object, name: str) -> torch.Tensor:
    W = V.tensor(W, name)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {tuple(W.shape)}")
    return W


def _part(v: object, name: str, ref: torch.Tensor, ref_name: str, shape: tuple[int, ...]) -> torch.Tensor:
    """A parameter of the flow shaped ``shape`` with the dtype and device of ``ref``."""
    V.tensor(v, name, like_=ref, like_name=ref_name)
    if tuple(v.shape) != shape:
        raise ValueError(f"{name} must have shape {shape} to match {ref_name}, got {tuple(v.shape)}")
    return v


class LinearFlow(Flow):
    """flows.linear: ``z = W x + b``, ``J_f = W``, ``log|det J_f| = log|det W|``."""

    _tensors = ("W", "b")

    def __init__(self, W: torch.Tensor, b: torch.Tensor | None = None) -> None:
        W = _square(W, "W")
        svals = torch.linalg.svdvals(W.detach().double())
        if not bool(svals[-1] > svals[0] * 1e3 * torch.finfo(W.dtype).eps):
            raise ValueError(f"W must be invertible; its singular values are {svals.tolist()}")
        self.dim = W.shape[0]
        self.W = W
        zero = torch.zeros(self.dim, dtype=W.dtype, device=W.device)
        self.b = zero if b is None else _part(b, "b", W, "W", (self.dim,))

    def weight(self) -> torch.Tensor:
        return self.W

    def forward(self, x):
        x = _points(x, self.dim, "x", self.W)
        log_det = torch.linalg.slogdet(self.weight())[1]
        return x @ self.weight().T + self.b, log_det.expand(x.shape[0])

    def inverse(self, z):
        z = _points(z, self.dim, "z", self.W)
        x = torch.linalg.solve(self.weight(), (z - self.b).T).T
        return x, (-torch.linalg.slogdet(self.weight())[1]).expand(z.shape[0])


class LUFlow(LinearFlow):
    """``W = P L U``: P a fixed permutation, L unit lower triangular, U upper triangular with diagonal
    ``sign·exp(log_s)`` (sign fixed at initialization); ``log|det W| = Σ log_s``."""

    _tensors = ("P", "L_strict", "U_strict", "log_s", "sign", "b")

    def __init__(self, P, L_strict, U_strict, log_s, sign, b=None) -> None:
        self.P = _square(P, "P")
        self.dim = n = self.P.shape[0]
        self.L_strict = _part(L_strict, "L_strict", P, "P", (n, n))
        self.U_strict = _part(U_strict, "U_strict", P, "P", (n, n))
        self.log_s, self.sign = _part(log_s, "log_s", P, "P", (n,)), _part(sign, "sign", P, "P", (n,))
        if not bool(torch.all(sign.abs() == 1)):
            raise ValueError(f"sign must hold ±1, got {sign.tolist()}")
        self.b = torch.zeros(n, dtype=P.dtype, device=P.device) if b is None else _part(b, "b", P, "P", (n,))

    @classmethod
    def from_weight(cls, W: torch.Tensor) -> LUFlow:
        """Initialize from an invertible W by LU with partial pivoting (``W = P L U``)."""
        W = _square(W, "W")
        LinearFlow(W)  # refuses a singular W
        P, L, U = torch.linalg.lu(W)
        d = torch.diagonal(U)
        return cls(P, L.tril(-1), U.triu(1), d.abs().log(), d.sign())

    def factors(self) -> dict[str, torch.Tensor]:
        eye = torch.eye(self.dim, dtype=self.P.dtype, device=self.P.device)
        L = self.L_strict.tril(-1) + eye
        U = self.U_strict.triu(1) + torch.diag(self.sign * self.log_s.exp())
        return {"P": self.P, "L": L, "U": U}

    def weight(self) -> torch.Tensor:
        f = self.factors()
        return f["P"] @ f["L"] @ f["U"]

    def forward(self, x):
        x = _points(x, self.dim, "x", self.P)
        return x @ self.weight().T + self.b, self.log_s.sum().expand(x.shape[0])

    def inverse(self, z):
        z = _points(z, self.dim, "z", self.P)
        f = self.factors()
        y = (z - self.b) @ f["P"]  # rows of Pᵀ (z - b)
        y = torch.linalg.solve_triangular(f["L"], y.T, upper=False, unitriangular=True)
        x = torch.linalg.solve_triangular(f["U"], y, upper=True).T
        return x, (-self.log_s.sum()).expand(z.shape[0])


class QRFlow(LinearFlow):
    """``W = Q R``: Q orthogonal, R upper triangular with diagonal ``exp(log_r)``;
    ``log|det W| = Σ log_r``."""

    _tensors = ("Q", "R_strict", "log_r", "b")

    def __init__(self, Q, R_strict, log_r, b=None) -> None:
        self.Q = _square(Q, "Q")
        self.dim = self.Q.shape[0]
        eye = torch.eye(self.dim, dtype=Q.dtype, device=Q.device)
        err = (Q.T @ Q - eye).abs().max()
        if not bool(err <= 1e3 * torch.finfo(Q.dtype).eps * self.dim):
            raise ValueError(f"Q must be orthogonal, max |QᵀQ - I| = {float(err):.3e}")
        n = self.dim
        self.R_strict, self.log_r = _part(R_strict, "R_strict", Q, "Q", (n, n)), _part(log_r, "log_r", Q, "Q", (n,))
        self.b = torch.zeros(n, dtype=Q.dtype, device=Q.device) if b is None else _part(b, "b", Q, "Q", (n,))

    @classmethod
    def from_weight(cls, W: torch.Tensor) -> QRFlow:
        W = _square(W, "W")
        LinearFlow(W)
        Q, R = torch.linalg.qr(W)
        s = torch.diagonal(R).sign()
        Q, R = Q * s, s[:, None] * R
        return cls(Q, R.triu(1), torch.diagonal(R).log())

    def factors(self) -> dict[str, torch.Tensor]:
        return {"Q": self.Q, "R": self.R_strict.triu(1) + torch.diag(self.log_r.exp())}

    def weight(self) -> torch.Tensor:
        f = self.factors()
        return f["Q"] @ f["R"]

    def forward(self, x):
        x = _points(x, self.dim, "x", self.Q)
        return x @ self.weight().T + self.b, self.log_r.sum().expand(x.shape[0])

    def inverse(self, z):
        z = _points(z, self.dim, "z", self.Q)
        f = self.factors()
        y = (z - self.b) @ f["Q"]  # rows of Qᵀ (z - b)
        x = torch.linalg.solve_triangular(f["R"], y.T, upper=True).T
        return x, (-self.log_r.sum()).expand(z.shape[0])


# --------------------------------------------------------------------------- autoregressive
def made_masks(dim: int, hidden: int) -> tuple[torch.Tensor, torch.Tensor]:
    """MADE masks: input degree i (1..m), hidden degree ``k mod m`` (0..m-1), output degree j;
    hidden sees inputs of degree ≤ its own, output j sees hidden of degree < j."""
    V.count(dim, "dim")
    V.count(hidden, "hidden")
    deg_in = torch.arange(1, dim + 1)
    deg_h = torch.arange(hidden) % dim
    M1 = (deg_h[:, None] >= deg_in[None, :]).double()
    M2 = (deg_in[:, None] > deg_h[None, :]).double()
    return M1, M2


def _check_masks(M1: torch.Tensor, M2: torch.Tensor, dim: int) -> None:
    reach = (M2.double() @ M1.double()) != 0  # output j reachable from input i
    upper = torch.triu(torch.ones(dim, dim, dtype=torch.bool, device=reach.device))
    if bool((reach & upper).any()):
        bad = [(int(i), int(j)) for i, j in (reach & upper).nonzero()]
        raise ValueError(f"masks must be strictly lower triangular (output j sees only inputs < j); "
                         f"(output, input) pairs {bad} break it")


class GaussianARFlow(Flow):
    """flows.gaussian_ar with a one-hidden-layer MADE conditioner
    ``h = tanh((W1⊙M1) x + b1)``, ``μ = (Wm⊙M2) h + bm``, ``log σ = (Ws⊙M2) h + bs``."""

    _tensors = ("W1", "b1", "Wm", "bm", "Ws", "bs", "M1", "M2")

    def __init__(self, dim: int, hidden: int = 8, *, seed: int = 0, scale: float = 0.5,
                 masks: tuple[torch.Tensor, torch.Tensor] | None = None) -> None:
        V.count(dim, "dim")
        V.count(hidden, "hidden")
        V.count(seed, "seed", lo=0)
        V.positive(scale, "scale")
        if masks is not None and not (isinstance(masks, (tuple, list)) and len(masks) == 2
                                      and all(isinstance(m, torch.Tensor) for m in masks)):
            raise TypeError(f"masks must be None or a pair of tensors (M1, M2), got {V._got(masks)}")
        g = torch.Generator().manual_seed(seed)
        self.dim = dim
        self.M1, self.M2 = made_masks(dim, hidden) if masks is None else masks
        _check_masks(self.M1, self.M2, dim)
        r = lambda *s: scale * torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
        self.W1, self.b1 = r(hidden, dim), r(hidden)
        self.Wm, self.bm, self.Ws, self.bs = r(dim, hidden), r(dim), r(dim, hidden), r(dim)

    def conditioner(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(μ(x), log σ(x))``; output j depends on ``x_{<j}`` only."""
        h = torch.tanh(x @ (self.W1 * self.M1).T + self.b1)
        return h @ (self.Wm * self.M2).T + self.bm, h @ (self.Ws * self.M2).T + self.bs

    def forward(self, x):
        x = _points(x, self.dim, "x", self.W1)
        mu, log_sigma = self.conditioner(x)
        return (x - mu) * torch.exp(-log_sigma), -log_sigma.sum(-1)

    def inverse(self, z):
        z = _points(z, self.dim, "z", self.W1)
        x = torch.zeros_like(z)
        for j in range(self.dim):  # sequential: x_j needs x_{<j}
            mu, log_sigma = self.conditioner(x)
            x = x.clone()
            x[:, j] = torch.exp(log_sigma[:, j]) * z[:, j] + mu[:, j]
        return x, self.conditioner(x)[1].sum(-1)


class AffineCoupling(Flow):
    """flows.realnvp: ``z_{1:d} = x_{1:d}``, ``z_{d+1:m} = (x_{d+1:m} - μ(x_{1:d})) e^{-log σ(x_{1:d})}``
    with ``μ, log σ`` from ``h = tanh(A x_{1:d} + a)``."""

    _tensors = ("A", "a", "Wm", "bm", "Ws", "bs")

    def __init__(self, dim: int, d: int, hidden: int = 8, *, seed: int = 0, scale: float = 0.5) -> None:
        V.count(dim, "dim", lo=2)
        V.count(d, "d")
        V.count(hidden, "hidden")
        V.count(seed, "seed", lo=0)
        V.positive(scale, "scale")
        if not 1 <= d < dim:
            raise ValueError(f"d must satisfy 1 <= d < dim = {dim}, got d={d}")
        g = torch.Generator().manual_seed(seed)
        self.dim, self.d = dim, d
        r = lambda *s: scale * torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
        self.A, self.a = r(hidden, d), r(hidden)
        self.Wm, self.bm, self.Ws, self.bs = r(dim - d, hidden), r(dim - d), r(dim - d, hidden), r(dim - d)

    def coupling_conditioner(self, x1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(x1 @ self.A.T + self.a)
        return h @ self.Wm.T + self.bm, h @ self.Ws.T + self.bs

    def forward(self, x):
        x = _points(x, self.dim, "x", self.A)
        x1, x2 = x[:, : self.d], x[:, self.d:]
        mu, log_sigma = self.coupling_conditioner(x1)
        return torch.cat([x1, (x2 - mu) * torch.exp(-log_sigma)], -1), -log_sigma.sum(-1)

    def inverse(self, z):
        z = _points(z, self.dim, "z", self.A)
        z1, z2 = z[:, : self.d], z[:, self.d:]
        mu, log_sigma = self.coupling_conditioner(z1)
        return torch.cat([z1, z2 * torch.exp(log_sigma) + mu], -1), log_sigma.sum(-1)


class CompositeFlow(Flow):
    """flows.composition: ``f = f_K ∘ … ∘ f_1``, ``log|det J_f(x)| = Σ_k log|det J_{f_k}(x_{k-1})|``."""

    def __init__(self, layers: Sequence[Flow]) -> None:
        if not isinstance(layers, Sequence) or isinstance(layers, str):
            raise TypeError(f"layers must be a sequence of flows, got {V._got(layers)}")
        if not layers:
            raise ValueError("layers must hold at least one flow, got none")
        for i, layer in enumerate(layers):
            if not all(callable(getattr(layer, m, None)) for m in ("forward", "inverse")) or not hasattr(layer, "dim"):
                raise TypeError(f"layers[{i}] must be a flow (forward, inverse, dim), got {V._got(layer)}")
        dims = {layer.dim for layer in layers}
        if len(dims) != 1:
            raise ValueError(f"layers must share one dimension, got {sorted(dims)}")
        self.layers = list(layers)
        self.dim = dims.pop()

    def to(self, device=None, dtype=None):
        for layer in self.layers:
            layer.to(device, dtype)
        return self

    def forward(self, x):
        total = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.layers:
            x, log_det = layer.forward(x)
            total = total + log_det
        return x, total

    def inverse(self, z):
        total = torch.zeros(z.shape[0], dtype=z.dtype, device=z.device)
        for layer in reversed(self.layers):
            z, log_det = layer.inverse(z)
            total = total + log_det
        return z, total
