"""Domain mutation testing of generative-model code (``dgmcheck mutate``).

One planted bug at a time — the bugs that actually happen in diffusion, flow and VAE code (a dropped
√, σ for σ², ᾱ_{t−1} for ᾱ_t, a flipped score sign, a lost ½, a transposed transition matrix, a
sum for a mean, a swapped KL, a uniform for a Gaussian, a clamp too many or too few) — and the
user's gate is run against each mutant: their test command (``--run``) or dgmcheck's ``verify``
(``--verify``). A mutant is *killed* (the gate failed), *survived* (it passed: the diff shows the
bug the gate misses), *equivalent* on the checked domain (every result the module returned during
the checks is bit-identical to the unmutated run's), *timeout*, or *not applicable* (the mutated
expression is never evaluated by the gate).

Modules: :mod:`~dgmcheck.mutate.operators` (the transformers), :mod:`~dgmcheck.mutate.mutants`
(sites, mutants, diffs), :mod:`~dgmcheck.mutate._bootstrap` (the import hook that loads a mutant
in place of the file), :mod:`~dgmcheck.mutate.recorder` (fingerprints for equivalence),
:mod:`~dgmcheck.mutate.verify_job` and :mod:`~dgmcheck.mutate.runner` (running them),
:mod:`~dgmcheck.mutate.command` (the CLI).
"""

from dgmcheck.mutate.mutants import Mutant, generate
from dgmcheck.mutate.operators import OPERATORS
from dgmcheck.mutate.runner import STATUSES, MutateError, Outcome, run_command, run_verify

__all__ = ["OPERATORS", "STATUSES", "Mutant", "MutateError", "Outcome", "generate", "run_command", "run_verify"]
