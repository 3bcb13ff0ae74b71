"""``python -m benchmarks``: see :mod:`benchmarks` and ``benchmarks/run.py``."""

from benchmarks.run import main

raise SystemExit(main())
