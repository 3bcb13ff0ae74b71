"""Exact oracles: closed forms in float64, sympy, enumeration, quadrature (numpy/scipy/sympy, no torch)."""

if __name__ != "dgmcheck.theory":
    # From the repository root the folder is also importable as `theory`: a second copy of every
    # module, whose classes `isinstance` and `except` would not match.
    raise ImportError(
        f"import dgmcheck.theory, not {__name__}: the folder theory/ is the package dgmcheck.theory "
        "(pip install -e .); importing it under another name loads every module twice"
    )
