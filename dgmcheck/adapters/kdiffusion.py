"""Adapter: hold k-diffusion's σ samplers (``to_d``, ``get_sigmas_karras``, ``sample_euler``, ``sample_heun``) to
dgmcheck's EDM oracles (``dgmcheck.checks.edm``).

    >>> from dgmcheck.adapters.kdiffusion import verify_kdiffusion
    >>> print(verify_kdiffusion(dtype=torch.float64, max_examples=10).summary())  # doctest: +SKIP

Loading ``k_diffusion.sampling`` without the rest of k-diffusion
-----------------------------------------------------------------
``pip install --no-deps k-diffusion`` (0.1.1.post1). ``import k_diffusion.sampling`` runs the package's
``__init__``, which imports every submodule: ``augmentation`` (scikit-image), ``evaluation`` (clean-fid,
CLIP, torchvision), ``utils`` (torchvision, PIL, safetensors), ``layers`` (dctorch, einops), ``config``
(jsonmerge). torchvision must not be installed beside this project's torch (it breaks diffusers'
imports), so that import fails here. ``sampling.py`` itself needs only scipy, torch, torchdiffeq, torchsde
and tqdm (all installed with ``dgmcheck[adapters]``; tqdm comes with diffusers' huggingface_hub) and,
from ``utils``, the one helper ``append_dims``.

``load_sampling`` therefore tries the normal import first (it works where k-diffusion's full
requirements are installed) and otherwise executes k-diffusion's own ``sampling.py`` file, unmodified,
as ``_dgmcheck_k_diffusion.sampling`` inside a stand-in package whose ``utils`` holds exactly the
functions ``sampling.py`` uses from ``k_diffusion/utils.py`` (``append_dims``), their source taken from
that file by ``ast`` and executed as written. So the checked code is k-diffusion's code, byte for byte;
only the import of the unrelated submodules is skipped. If a future ``sampling.py`` uses a helper of
``utils`` that cannot be extracted alone, ``load_sampling`` raises ImportError naming it.

What is checked (``dgmcheck.checks.edm``): ``to_d`` (edm.pf_ode), ``get_sigmas_karras`` (edm.karras_grid,
at float32 tolerance: it builds the ramp with ``torch.linspace`` in the default float32 whatever is
asked), ``sample_euler``/``sample_heun`` single steps (a two-level grid ``[σ, σ']``, and ``[σ, 0]`` for
Heun's Euler fallback), whole paths on Karras grids, and their orders (edm.euler, edm.heun). The
samplers run with ``s_churn = 0`` (the deterministic PF-ODE samplers) and ``disable=True`` (no progress bar).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from dgmcheck.checks import edm as checks

__all__ = ["KDiffusion", "load_sampling", "verify_kdiffusion"]

_STANDIN = "_dgmcheck_k_diffusion"
_CACHE: dict[str, types.ModuleType] = {}


def _standin_utils(root: Path, sampling_src: str) -> types.ModuleType:
    """``_dgmcheck_k_diffusion.utils``: the functions of ``k_diffusion/utils.py`` that ``sampling.py`` uses, as
    written there (``ast`` extraction, executed with ``torch`` and ``math`` in scope)."""
    used = sorted({node.attr for node in ast.walk(ast.parse(sampling_src))
                   if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                   and node.value.id == "utils"})
    utils_tree = ast.parse((root / "utils.py").read_text(encoding="utf-8"))
    defs = {n.name: n for n in utils_tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    missing = [name for name in used if name not in defs]
    if missing:
        raise ImportError(f"k_diffusion/sampling.py uses utils.{', utils.'.join(missing)}, which dgmcheck cannot "
                          "load without k-diffusion's full requirements (torchvision among them)")
    module = types.ModuleType(f"{_STANDIN}.utils")
    module.__dict__.update({"torch": torch, "math": importlib.import_module("math")})
    code = compile(ast.Module(body=[defs[n] for n in used], type_ignores=[]), str(root / "utils.py"), "exec")
    exec(code, module.__dict__)  # k-diffusion's own source of those functions
    return module


def load_sampling() -> types.ModuleType:
    """k-diffusion's ``sampling`` module: ``import k_diffusion.sampling`` where that works, else k-diffusion's
    ``sampling.py`` executed in a stand-in package (module docstring). ImportError when k-diffusion is not
    installed (``pip install --no-deps k-diffusion``)."""
    if "sampling" in _CACHE:
        return _CACHE["sampling"]
    try:
        module = importlib.import_module("k_diffusion.sampling")
    except ImportError as exc:
        first = exc
        spec = importlib.util.find_spec("k_diffusion")  # finds the package without running its __init__
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("dgmcheck.adapters.kdiffusion needs k-diffusion: pip install --no-deps k-diffusion "
                              "(its sampling module needs scipy, torchdiffeq, torchsde and tqdm)") from first
        root = Path(next(iter(spec.submodule_search_locations)))
        src = (root / "sampling.py").read_text(encoding="utf-8")
        package = types.ModuleType(_STANDIN)
        package.__path__ = []  # a package with no files: its submodules are put in sys.modules below
        package.utils = _standin_utils(root, src)
        sys.modules[_STANDIN] = package
        sys.modules[f"{_STANDIN}.utils"] = package.utils
        sub = importlib.util.spec_from_file_location(f"{_STANDIN}.sampling", root / "sampling.py")
        module = importlib.util.module_from_spec(sub)
        sys.modules[sub.name] = module
        try:
            sub.loader.exec_module(module)
        except ImportError as exc:
            sys.modules.pop(sub.name, None)
            raise ImportError(f"k_diffusion/sampling.py could not be loaded: {exc} (the package import failed "
                              f"first with: {first})") from exc
        package.sampling = module
    _CACHE["sampling"] = module
    return module


class KDiffusion:
    """k-diffusion's samplers as a ``dgmcheck.checks.edm`` candidate. Every call looks the function up on the
    module at call time, so a monkeypatched ``sampling.to_d`` reaches ``sample_euler`` as well."""

    def __init__(self, sampling: types.ModuleType | None = None) -> None:
        self.sampling = sampling if sampling is not None else load_sampling()
        for name in ("to_d", "get_sigmas_karras", "sample_euler", "sample_heun"):
            if not callable(getattr(self.sampling, name, None)):
                raise TypeError(f"sampling must be k-diffusion's sampling module with {name}; "
                                f"{getattr(self.sampling, '__name__', self.sampling)!r} has none")

    def to_d(self, x: torch.Tensor, sigma: Any, denoised: torch.Tensor) -> torch.Tensor:
        return self.sampling.to_d(x, torch.as_tensor(sigma, dtype=x.dtype, device=x.device), denoised)

    def karras_sigmas(self, n: int, sigma_min: float, sigma_max: float, rho: float = 7.0) -> torch.Tensor:
        return self.sampling.get_sigmas_karras(n, sigma_min, sigma_max, rho=rho)

    def sample_euler(self, model: Callable, x: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
        return self.sampling.sample_euler(model, x, sigmas, disable=True)

    def sample_heun(self, model: Callable, x: torch.Tensor, sigmas: torch.Tensor) -> torch.Tensor:
        return self.sampling.sample_heun(model, x, sigmas, disable=True)


def verify_kdiffusion(sampling: types.ModuleType | None = None, **verify_kw: Any) -> checks.VerifyReport:
    """``dgmcheck.checks.edm.verify`` on k-diffusion's samplers (``verify_kw``: ``dtype``, ``device``,
    ``properties``, ``max_examples``, ``shrink``, ``data``)."""
    return checks.verify(KDiffusion(sampling), **verify_kw)
