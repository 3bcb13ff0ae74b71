"""Batched PyTorch references, device- and dtype-agnostic, written independently of ``dgmcheck.theory``."""

if __name__ != "dgmcheck.impl":
    # From the repository root the folder is also importable as `impl`: a second copy of every
    # module, whose classes `isinstance` and `except` would not match.
    raise ImportError(
        f"import dgmcheck.impl, not {__name__}: the folder impl/ is the package dgmcheck.impl "
        "(pip install -e .); importing it under another name loads every module twice"
    )
