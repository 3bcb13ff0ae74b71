"""Input validation for impl/: clear ValueError/TypeError naming the argument, never ``assert``."""

from __future__ import annotations

import torch


def floating(x: object, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating dtype, got {x.dtype}")
    return x


def like(x: torch.Tensor, ref: torch.Tensor, name: str, ref_name: str,
         same_shape: bool = True) -> torch.Tensor:
    """``x`` must share the dtype, device (and shape) of ``ref``."""
    floating(x, name)
    if x.dtype != ref.dtype:
        raise TypeError(f"{name} has dtype {x.dtype} but {ref_name} has {ref.dtype}")
    if x.device != ref.device:
        raise ValueError(f"{name} is on {x.device} but {ref_name} is on {ref.device}")
    if same_shape and x.shape != ref.shape:
        raise ValueError(f"{name} has shape {tuple(x.shape)} but {ref_name} has {tuple(ref.shape)}")
    return x


def steps(t: object, T: int, batch: int, device: torch.device) -> torch.Tensor:
    """Steps ``t`` as a long tensor of shape ``(batch,)`` with values in ``1..T``.

    An int or a 0-d tensor is broadcast to the batch; a float tensor is refused.
    """
    if isinstance(t, bool):
        raise TypeError("t must be an integer step or an integer tensor, got bool")
    if isinstance(t, int):
        t = torch.full((batch,), t, dtype=torch.long, device=device)
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"t must be an int or an integer torch.Tensor, got {type(t).__name__}")
    if t.is_floating_point() or t.is_complex():
        raise TypeError(f"t must hold integer steps, got dtype {t.dtype}")
    if t.ndim == 0:
        t = t.expand(batch)
    if t.shape != (batch,):
        raise ValueError(f"t must have shape ({batch},) to match the batch, got {tuple(t.shape)}")
    if t.numel() and (int(t.min()) < 1 or int(t.max()) > T):
        raise ValueError(f"t must lie in 1..T = 1..{T}, got values in "
                         f"{int(t.min())}..{int(t.max())}")
    return t.to(device=device, dtype=torch.long)
