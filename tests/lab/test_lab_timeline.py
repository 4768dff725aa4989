"""How the lab story's timeline writes a delay for people."""

from __future__ import annotations

from netvigil.lab.timeline import _plus


def test_a_delay_under_half_a_second_either_way_reads_plus_zero_never_minus_zero() -> None:
    assert _plus(100.3, 100.0) == "+0 s"
    assert _plus(99.7, 100.0) == "+0 s"  # a measurement started a moment before T0


def test_early_and_late_delays_keep_their_sign_and_a_missing_time_is_a_dash() -> None:
    assert _plus(98.6, 100.0) == "-1 s"
    assert _plus(119.4, 100.0) == "+19 s"
    assert _plus(None, 100.0) == "-"
