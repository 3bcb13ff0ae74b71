"""Per-step noise of the reference samplers: handed in all at once, or streamed one step at a time.

A sampler that runs ``n`` noisy steps reads its noise through a :class:`NoiseFeed`, built from exactly one
of these sources:

* a tensor of shape ``(n, *x.shape)`` (or a sequence of ``n`` tensors) read by index: every step's noise
  is alive at once, ``O(n)`` memory (what the checks pass: the exact same numbers on every run);
* a callable ``step -> z``, called once per step in sampling order with the sampler's step label;
* any other iterable (a generator of tensors, ...), consumed lazily in sampling order;
* a ``torch.Generator``: ``z = torch.randn(x.shape, generator=..., dtype=x.dtype, device=x.device)`` per step.

The last three keep one step's noise alive at a time: peak memory ``O(1)`` in ``n``. A streamed item must
have the shape, dtype and device of ``x`` (checked per item, like the tensor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

import torch

from dgmcheck.impl import _validate

NoiseSource = torch.Tensor | Sequence[torch.Tensor] | Iterable[torch.Tensor] | Callable[[int], torch.Tensor]


class NoiseFeed:
    """The noise of a sampler's steps: ``feed(i, step)`` is the ``i``-th noise as a tensor source indexes it
    (``noises[i]``), ``step`` the label a callable source receives. Streamed sources must be read in
    sampling order."""

    def __init__(self, noises: NoiseSource | None, generator: torch.Generator | None, like: torch.Tensor,
                 count: int, *, name: str = "noises", like_name: str = "x") -> None:
        if (noises is None) == (generator is None):
            raise TypeError(f"pass exactly one of {name}= (a tensor ({count}, *{like_name}.shape), a sequence, an "
                            f"iterable or a callable step -> noise) and generator= (a torch.Generator)")
        self.like, self.count, self.name, self.like_name = like, count, name, like_name
        self.generator = generator
        self._indexed: torch.Tensor | Sequence[torch.Tensor] | None = None
        self._call: Callable[[int], torch.Tensor] | None = None
        self._iter: Iterator[torch.Tensor] | None = None
        self._taken = 0
        if generator is not None:
            if not isinstance(generator, torch.Generator):
                raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        elif isinstance(noises, torch.Tensor):
            if noises.shape != (count, *like.shape):
                raise ValueError(f"{name} must have shape ({count}, *{like_name}.shape) = {(count, *like.shape)}, "
                                 f"got {tuple(noises.shape)}")
            _validate.like(noises[0], like, f"{name}[i]", like_name)
            self._indexed = noises
        elif isinstance(noises, Sequence) and not isinstance(noises, (str, bytes)):
            if len(noises) != count:
                raise ValueError(f"{name} must hold {count} tensors (one per step), got {len(noises)}")
            self._indexed = noises
        elif callable(noises):
            self._call = noises
        elif isinstance(noises, Iterable):
            self._iter = iter(noises)
        else:
            raise TypeError(f"{name} must be a tensor, a sequence or iterable of tensors, or a callable step -> "
                            f"noise, got {type(noises).__name__}")

    @property
    def streamed(self) -> bool:
        """Whether the noise is drawn or handed over one step at a time (peak memory O(1) in the steps)."""
        return self._indexed is None

    def __call__(self, i: int, step: int) -> torch.Tensor:
        if self._indexed is not None:
            z = self._indexed[i]
            if not isinstance(self._indexed, torch.Tensor):
                _validate.like(z, self.like, f"{self.name}[{i}]", self.like_name)
            return z
        if self.generator is not None:
            return torch.randn(self.like.shape, generator=self.generator, dtype=self.like.dtype,
                               device=self.like.device)
        if self._call is not None:
            z = self._call(step)
            _validate.like(z, self.like, f"{self.name}({step})", self.like_name)
            return z
        try:
            z = next(self._iter)  # type: ignore[arg-type]
        except StopIteration:
            raise ValueError(f"{self.name} ran out after {self._taken} items; the sampler reads one per noisy "
                             f"step, in sampling order") from None
        _validate.like(z, self.like, f"item {self._taken} of {self.name}", self.like_name)
        self._taken += 1
        return z
