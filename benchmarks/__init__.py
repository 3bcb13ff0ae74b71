"""dgmcheck's benchmark suite: plain scripts, never collected by pytest (``testpaths = ["tests"]``).

Run from the repository root::

    python -m benchmarks                  # every group but the gate
    python -m benchmarks --gate           # also the test gate (pytest -n 2 --durations=0), minutes
    python -m benchmarks --only oracles,memory --repeat 3

Groups (``--only``): ``gate`` (wall time of ``pytest -n 2`` under ``CI=true`` and its per-file split),
``verify`` (``verify`` per family on the reference implementations: DDPM at T = 1000 and 4000, and at
T = 250, 1000, 4000 with the profile's own examples, whole and its ``sampler_law``, and the T = 4000 / 1000
ratio; flows, flow matching, discrete, SDE), ``adapters`` (diffusers' DDPMScheduler, torchcfm),
``oracles`` (cost of the exact oracles against T, K**L and d), ``memory`` (peak memory of the DDPM
sampler, streamed against materialized noise and against the caller's own loop of ``reverse_step``, each
in a fresh process).

Results go to ``benchmarks/results/<UTC time>.json`` (and ``latest.json``); each run prints the ratio of
every number to the previous run's and rewrites ``BENCHMARKS.md`` (a table). Every row records the
1-minute load average while it ran: rows measured while the box was busy with other work are marked.
"""
