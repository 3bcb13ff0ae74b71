"""The memo of symbolic derivations: once per process, copies out, seen as a call of its module."""

from __future__ import annotations

import sys

from dgmcheck.theory import fokker_planck, sde


def test_a_derivation_runs_once_and_hands_out_copies():
    first = sde.derive_vp_marginal()
    first.clear()  # a caller editing its result must not edit the memo
    again = sde.derive_vp_marginal()
    assert again and again == sde.derive_vp_marginal()
    assert sde.derive_vp_marginal.__wrapped__.__module__ == "dgmcheck.theory.sde"


def test_unhashable_arguments_run_afresh_and_agree():
    comps = fokker_planck.default_components()
    assert fokker_planck.kfp_residual_1d("vp", tuple(comps)) == fokker_planck.kfp_residual_1d("vp", list(comps))


def test_a_memo_hit_is_still_a_call_into_the_module():
    sde.derive_moment_odes()  # warm the memo
    seen = []

    def profile(frame, event, arg):
        if event == "call":
            seen.append(frame.f_globals.get("__name__"))

    sys.setprofile(profile)
    try:
        sde.derive_moment_odes()
    finally:
        sys.setprofile(None)
    assert "dgmcheck.theory.sde" in seen
