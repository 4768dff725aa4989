"""Odd measurement data is data: the analysis never raises on it (mutated real measurements)."""

from __future__ import annotations

import copy
import random
from typing import Any

import orjson
import pytest
from analysis_shared import SHARED_DATA

from netvigil.analysis import Fingerprints, observations_of, verdict_of

MINIPIPELINE = SHARED_DATA / "ooni" / "probecli_minipipeline"
ODD_VALUES: list[Any] = [None, 0, -1, 2**70, 1.5, "", "x", True, [], {}, [None], {"a": None}]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``node`` (dict keys and list indexes)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            out.extend(_paths(value, (*prefix, i)))
    return out


def _mutate(m: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    m = copy.deepcopy(m)
    paths = [p for p in _paths(m["test_keys"], ("test_keys",)) if len(p) > 1]
    for path in rng.sample(paths, k=min(4, len(paths))):
        parent: Any = m
        for step in path[:-1]:
            ok = (isinstance(parent, dict) and step in parent) or (
                isinstance(parent, list) and isinstance(step, int) and step < len(parent)
            )
            parent = parent[step] if ok else None
        last = path[-1]
        # an earlier change may have replaced the container: keep JSON's shapes (str keys)
        if isinstance(parent, dict) and isinstance(last, str):
            if rng.random() < 0.3:
                parent.pop(last, None)
            else:
                parent[last] = rng.choice(ODD_VALUES)
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            parent[last] = rng.choice(ODD_VALUES)
    return m


def test_mutated_measurements_never_raise() -> None:
    paths = sorted(MINIPIPELINE.glob("*/*/measurement.json"))
    if not paths:
        pytest.skip(f"reference data {MINIPIPELINE} is absent")
    fps = Fingerprints.load(SHARED_DATA / "ooni" / "blocking-fingerprints")
    rng = random.Random(20261123)
    docs = [orjson.loads(p.read_bytes()) for p in paths]
    for _ in range(25):
        for doc in docs:
            odd = _mutate(doc, rng)
            v = verdict_of(odd, fingerprints=fps)
            assert v.outcome in {"ok", "anomaly", "confirmed", "failure"}
            for row in observations_of(odd, uid=v.measurement_uid):
                assert row.measurement_uid == v.measurement_uid
