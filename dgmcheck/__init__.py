"""dgmcheck: exact oracles, reference implementations and Hypothesis checks for deep generative models.

Rooms: ``dgmcheck.theory`` (exact math, no torch), ``dgmcheck.impl`` (PyTorch references),
``dgmcheck.checks`` (properties any implementation must meet, with ``verify()`` per concept).
"""

__version__ = "0.1.0"
