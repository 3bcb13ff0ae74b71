"""Adapter: run dgmcheck's SDEs through ``torchsde.sdeint`` and hold the result to the exact marginals.

    >>> from dgmcheck.impl.sde import VPSDE
    >>> from dgmcheck.adapters.torchsde import check_sdeint_marginal
    >>> check_sdeint_marginal(VPSDE(0.1, 5.0), t1=0.5, seed=0)  # doctest: +SKIP

Conventions (torchsde 0.2)
--------------------------
torchsde's SDE object has ``f(t, y)`` (drift) and ``g(t, y)`` (diffusion), ``t`` a 0-d tensor, and
declares ``noise_type`` and ``sde_type``. dgmcheck's protocol is ``drift(x, t)`` with ``t`` of shape
``(batch,)`` and a scalar ``diffusion(x, t)`` of shape ``(batch,)`` (the same g on every coordinate),
so the wrapper ``TorchSDE`` uses ``noise_type="diagonal"`` with ``g`` broadcast over the coordinates
and ``sde_type="ito"``. ``method="euler"`` is Euler–Maruyama on the grid ``t0, t0 + dt, ...``; its law is
known exactly for the linear VE/VP SDEs (``theory.sde.em_moments``), so the declared-rate tests compare
with that law, and the gap to the SDE's exact marginal (``O(dt)``) is reported and bounded separately.

``FromTorchSDE`` goes the other way: it wraps a user's torchsde-style object (``f``, ``g`` with the
same g on every coordinate) as a dgmcheck candidate (``drift(x, t)``, ``diffusion(x, t)``, plus an
optional ``marginal(x, t)`` and VE/VP parameters) so ``dgmcheck.checks.sde.verify`` can check it.
torchsde's own order ``f(t, y)``/``g(t, y)`` is the wrapped object's business: the wrapper swaps it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from dgmcheck.checks._assert import assert_mean_matches
from dgmcheck.checks.sde import SLIDES, spec_of
from dgmcheck.impl.sde import as_xt, xt_order
from dgmcheck.theory import sde as th


class TorchSDE(torch.nn.Module):
    """A dgmcheck SDE (``drift(x, t)``, ``diffusion(x, t)``) as a torchsde Itô SDE with diagonal noise."""

    noise_type = "diagonal"
    sde_type = "ito"

    def __init__(self, sde: Any) -> None:
        super().__init__()
        from dgmcheck.adapters._validate import has

        self.sde = as_xt(has(sde, "sde", "a dgmcheck SDE", callable_=("drift", "diffusion")))

    def _t(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(t, dtype=y.dtype, device=y.device).reshape(()).expand(y.shape[0])

    def f(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.sde.drift(y, self._t(t, y))

    def g(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.sde.diffusion(y, self._t(t, y))[:, None].expand_as(y)


class FromTorchSDE:
    """A torchsde-style SDE (``f(t, y)``, ``g(t, y)`` with equal columns) as a dgmcheck candidate.

    ``marginal(x, t) -> (a, s)`` and the VE/VP parameters (``sigma_min=...`` or ``beta_min=...``,
    ``T=...``) are passed in, since a torchsde SDE does not carry them.
    """

    def __init__(self, sde: Any, marginal: Any = None, **params: float) -> None:
        from dgmcheck.adapters._validate import function, has

        has(sde, "sde", "a torchsde SDE", callable_=("f", "g"))
        if marginal is not None:
            function(marginal, "marginal")
        self.torchsde = sde
        self._marginal = None if marginal is None else xt_order(marginal, "marginal")
        for k, v in params.items():
            setattr(self, k, v)

    def _call(self, fn: Any, t: Any, x: torch.Tensor) -> torch.Tensor:
        """``fn(t, x)`` with ``t`` as a ``(batch, 1)`` column (broadcasts in the usual elementwise
        formulas); row by row with a 0-d ``t`` when the SDE needs a scalar time."""
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).reshape(-1)
        t = t.expand(x.shape[0]) if t.numel() == 1 else t
        try:
            out = fn(t[:, None], x)
            if out.shape == x.shape:
                return out
        except (RuntimeError, ValueError, TypeError):
            pass
        return torch.cat([fn(t[i], x[i:i + 1]) for i in range(x.shape[0])])

    def drift(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self._call(self.torchsde.f, t, x)

    def diffusion(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self._call(self.torchsde.g, t, x)[:, 0]

    def __getattr__(self, name: str) -> Any:
        if name == "marginal" and self.__dict__.get("_marginal") is not None:
            return self.__dict__["_marginal"]
        raise AttributeError(name)


def sdeint_final(sde: Any, x0: torch.Tensor, t1: float, *, dt: float, seed: int, t0: float = 0.0,
                 method: str = "euler") -> torch.Tensor:
    """``torchsde.sdeint`` of ``sde`` from ``x0`` at ``t0`` to ``t1`` with a seeded ``BrownianInterval``."""
    import torchsde

    bm = torchsde.BrownianInterval(t0=t0, t1=t1, size=tuple(x0.shape), dtype=x0.dtype, device=x0.device,
                                   entropy=seed)
    ts = torch.tensor([t0, t1], dtype=x0.dtype, device=x0.device)
    return torchsde.sdeint(TorchSDE(sde), x0, ts, bm=bm, method=method, dt=dt)[-1]


def euler_law(spec: th.VE | th.VP, t1: float, dt: float, m0: float, v0: float) -> tuple[float, float]:
    """Exact mean and variance at ``t1`` of Euler–Maruyama on torchsde's grid ``0, dt, 2dt, ..., t1``
    (the last step shortened), from data ``N(m0, v0)``."""
    n = int(np.floor(t1 / dt + 1e-9))
    ts = np.arange(n + 1) * dt
    if t1 - ts[-1] > 1e-12 * max(t1, 1.0):
        ts = np.append(ts, t1)
    ts[-1] = t1
    m, v = th.em_moments(spec.f, spec.g2, ts, m0, v0)
    return float(m[-1]), float(v[-1])


def check_sdeint_marginal(sde: Any, *, t1: float, seed: int = 0, n: int = 1000, d: int = 1,
                          data_mean: float = 0.7, data_var: float = 0.3, dt: float = 5e-3,
                          dtype: torch.dtype = torch.float64, bias_ratio: float = 0.1) -> dict[str, Any]:
    """torchsde's Euler solution of the VE/VP SDE from Gaussian data ``N(m0, v0 I)`` (``n`` draws of
    dimension ``d``, fixed seed) against the exact laws, with ``assert_mean_matches`` (declared
    false-failure rate 1e-9) on ``x`` and ``x²``:

    - against the exact law of Euler–Maruyama on torchsde's grid (the test is exact), and
    - against the SDE's exact marginal ``N(a m0, a² v0 + s²)``, after checking that the
      discretization gap is below ``bias_ratio`` standard errors (else ValueError: take a smaller dt).

    Raises TheoremViolation (``sde.ve_marginal``/``sde.vp_marginal``) when a mean does not match.
    Returns the statistics.
    """
    spec = spec_of(sde)
    if spec is None:
        raise TypeError("sde must be a VE or VP SDE (sigma_min/sigma_max or beta_min/beta_max)")
    theorem = "sde.ve_marginal" if isinstance(spec, th.VE) else "sde.vp_marginal"
    if not 0.0 < t1 <= spec.T:
        raise ValueError(f"t1 must lie in (0, T] = (0, {spec.T}], got {t1!r}")
    g = torch.Generator().manual_seed(seed)
    x0 = (data_mean + np.sqrt(data_var) * torch.randn(n, d, generator=g, dtype=torch.float64)).to(dtype)
    x = sdeint_final(sde, x0, t1, dt=dt, seed=seed).detach().double().cpu().numpy().ravel()
    a, v = spec.marginal(t1)
    exact_m, exact_v = float(a) * data_mean, float(a) ** 2 * data_var + float(v)
    em_m, em_v = euler_law(spec, t1, dt, data_mean, data_var)
    inputs = {"sde": repr(spec), "t1": t1, "dt": dt, "n": n, "d": d, "seed": seed, "data": (data_mean, data_var)}
    slide = SLIDES[theorem]
    stats = {
        "euler_mean": assert_mean_matches(x, em_m, theorem=theorem, slide=slide,
                                          what="torchsde Euler: mean vs the exact Euler–Maruyama law", inputs=inputs),
        "euler_second": assert_mean_matches(x**2, em_v + em_m**2, theorem=theorem, slide=slide,
                                            what="torchsde Euler: second moment vs the exact Euler–Maruyama law",
                                            inputs=inputs),
    }
    se_m, se_2 = stats["euler_mean"]["stderr"], stats["euler_second"]["stderr"]
    gap_m, gap_2 = abs(em_m - exact_m), abs(em_v + em_m**2 - exact_v - exact_m**2)
    if gap_m > bias_ratio * se_m or gap_2 > bias_ratio * se_2:
        raise ValueError(f"dt = {dt} leaves a discretization gap of {gap_m / se_m:.2f} and {gap_2 / se_2:.2f} "
                         f"standard errors (> {bias_ratio}); take a smaller dt or fewer samples")
    stats["mean"] = assert_mean_matches(x, exact_m, theorem=theorem, slide=slide,
                                        what="torchsde solution: mean vs the exact SDE marginal a(t) m0",
                                        inputs=inputs)
    stats["second"] = assert_mean_matches(x**2, exact_v + exact_m**2, theorem=theorem, slide=slide,
                                          what="torchsde solution: E x² vs a² (v0 + m0²) + s²", inputs=inputs)
    stats["gap_in_stderr"] = (gap_m / se_m, gap_2 / se_2)
    return stats
