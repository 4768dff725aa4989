"""The detector as a continuous pipeline runs it: one bin at a time, the state kept in between."""

from __future__ import annotations

import numpy as np

from netvigil.detect import seasonal, streaming
from netvigil.detect.kinds import kind_of

STEP, DAY = 300, 288


def three_series() -> np.ndarray:
    rng = np.random.default_rng(9)
    t = np.arange(8 * DAY)
    base = 1000 * (1 + 0.25 * np.sin(2 * np.pi * t / DAY))
    x = np.stack([base * (1 + 0.02 * rng.standard_normal(t.size)) for _ in range(3)])
    x[0, 5 * DAY + 10 : 5 * DAY + 70] *= 0.1  # a five-hour outage
    x[1, 3 * DAY : 3 * DAY + 30] = np.nan  # missing data, not an outage
    x[2, 6 * DAY :] *= 0.3  # an outage still going on at the end
    return x


def stream(values: np.ndarray, *, save_every_bin: bool) -> list[list[tuple[int, int | None, int]]]:
    """Events per series from bin-by-bin decisions, the state through bytes after every bin."""
    n = values.shape[0]
    state = streaming.new_state(n, STEP, kind_of("ping-slash24"))
    found: list[list[tuple[int, int | None, int]]] = [[] for _ in range(n)]
    opened: dict[int, tuple[int, int]] = {}
    for column in values.T:
        if save_every_bin:
            state = streaming.loads(streaming.dumps(state))
        state, decisions = streaming.step(state, column)
        for d in decisions:
            if d.stop is None:
                opened[d.series] = (d.first, d.detected)
            else:
                assert opened.pop(d.series) == (d.first, d.detected)
                found[d.series].append((d.first, d.stop, d.detected))
    for i, (first, detected) in opened.items():
        found[i].append((first, None, detected))
    return found


def test_bin_by_bin_with_the_state_saved_between_bins_gives_the_batch_events() -> None:
    x = three_series()
    batch = [
        [(e.first, e.stop, e.detected) for e in seasonal.detect(x[i], 0, STEP, "ping-slash24")]
        for i in range(3)
    ]
    assert batch[0] == [(5 * DAY + 10, 5 * DAY + 70, 5 * DAY + 11)]
    assert batch[1] == []
    assert [(a, b) for a, b, _ in batch[2]] == [(6 * DAY, None)]
    # Three series in one state, bin by bin, the state through bytes at every bin.
    assert stream(x, save_every_bin=True) == batch


def test_an_event_is_reported_at_its_confirmation_bin_not_later() -> None:
    x = three_series()[:1]
    state = streaming.new_state(1, STEP, kind_of("ping-slash24"))
    reported = []
    for t, column in enumerate(x.T):
        state, decisions = streaming.step(state, column)
        reported.extend((t, d.first, d.stop) for d in decisions)
    onset = 5 * DAY + 10
    assert reported == [(onset + 1, onset, None), (onset + 61, onset, onset + 60)]


def test_the_state_round_trips_through_bytes() -> None:
    x = three_series()
    state = streaming.new_state(3, STEP, kind_of("ping-slash24"))
    for column in x.T[: 4 * DAY]:
        state, _ = streaming.step(state, column)
    again = streaming.loads(streaming.dumps(state))
    assert (again.t, again.step, again.kind) == (state.t, state.step, state.kind)
    assert state.arrays.keys() == again.arrays.keys()
    for name, array in state.arrays.items():
        assert np.array_equal(array, again.arrays[name], equal_nan=True), name
