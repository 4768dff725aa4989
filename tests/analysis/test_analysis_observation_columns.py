"""ObservationColumns builds the same observation table as rows_table over observation_rows.

Ingest stores the table built column by column; the reference is the row-by-row path
(``observation_rows`` + ``models.tables.rows_table``) that defines the tier. Compared on synthetic
ingest chunks (the benchmark's generator), on every real fixture, and on odd data.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from analysis_shared import SHARED_DATA

from netvigil.analysis import ObservationColumns, measurement_uid, observation_rows
from netvigil.ingest import synthetic
from netvigil.models.observations import Observation
from netvigil.models.tables import rows_table

FIXTURES = sorted(SHARED_DATA.glob("ooni/probecli_minipipeline/*/*/measurement.json")) + sorted(
    (Path(__file__).parent / "fixtures").glob("*.json")
)
ODD_VALUES: list[Any] = [None, 0, -1, 1.5, "", "x", "1.2.3.4", "[::1]:443", True, [], {}, [None]]
EVENT_KEYS = ("queries", "tcp_connect", "tls_handshakes", "requests")


def _key(m: Any) -> tuple[str, str]:
    """The day and cc ingest would store ``m`` under (odd envelopes get placeholders)."""
    start, cc = m.get("measurement_start_time"), m.get("probe_cc")
    day = start[:10] if isinstance(start, str) else "?"
    return day, cc.upper() if isinstance(cc, str) else "?"


def _by_rows(ms: Sequence[Any]) -> Any:
    rows, days, ccs = [], [], []
    for m in ms:
        found = observation_rows(m, uid=measurement_uid(m))
        day, cc = _key(m)
        rows += found
        days += [day] * len(found)
        ccs += [cc] * len(found)
    return rows_table(rows, Observation, days, ccs)


def _by_columns(ms: Sequence[Any]) -> Any:
    columns = ObservationColumns()
    for m in ms:
        added = columns.add(m, measurement_uid(m), *_key(m))
        assert added == len(observation_rows(m, uid="u"))
    return columns.table()


def _assert_same_table(ms: Sequence[Any]) -> None:
    expected, got = _by_rows(ms), _by_columns(ms)
    assert got.schema == expected.schema
    assert got.equals(expected), next(
        name for name in expected.column_names if not got[name].equals(expected[name])
    )


def _fixtures() -> list[dict[str, Any]]:
    if not FIXTURES:
        pytest.skip("reference data absent")
    docs = [orjson.loads(p.read_bytes()) for p in FIXTURES]
    # the hand-written fixtures wrap the measurement with its reason and expected verdict
    return [d.get("measurement", d) for d in docs]


def test_same_table_as_rows_on_synthetic_ingest_chunks() -> None:
    templates = synthetic.templates_of(_fixtures())
    urls = [f"https://site{i}.example/path" for i in range(200)] + ["https://[2001:db8::1]/"]
    lines = list(synthetic.lines(templates, urls, 1200, seed=11))
    for start in range(0, len(lines), 500):  # ingest's chunk size
        _assert_same_table([orjson.loads(line) for line in lines[start : start + 500]])


def test_same_table_as_rows_on_every_fixture_alone_and_together() -> None:
    ms = _fixtures()
    for m in ms:
        _assert_same_table([m])
    _assert_same_table(ms)


def _odd(m: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``m`` with a few fields of its events, control or envelope replaced by odd values."""
    m = copy.deepcopy(m)
    tk = m["test_keys"]
    targets: list[Any] = [tk, tk.get("control"), m]
    for key in EVENT_KEYS:
        events = tk.get(key)
        if isinstance(events, list) and events:
            targets.append(events)
            targets += [e for e in events[:2] if isinstance(e, dict)]
            targets += [a for e in events[:2] for a in _answers(e)]
    targets = [t for t in targets if t]
    for target in rng.sample(targets, k=min(5, len(targets))):
        if isinstance(target, list):
            target[rng.randrange(len(target))] = rng.choice(ODD_VALUES)
        elif isinstance(target, dict):
            target[rng.choice(sorted(target))] = rng.choice(ODD_VALUES)
    return m


def _answers(event: Any) -> list[Any]:
    answers = event.get("answers") if isinstance(event, dict) else None
    return [a for a in answers[:2] if isinstance(a, dict)] if isinstance(answers, list) else []


def test_same_table_as_rows_on_odd_data() -> None:
    rng = random.Random(20261123)
    odd = [_odd(m, rng) for _ in range(8) for m in _fixtures()]
    odd += [
        {"test_name": "web_connectivity", "test_keys": "x"},
        {"test_keys": {"queries": [1, {"failure": 5}], "requests": None}},
        {"test_keys": {"tcp_connect": [{"ip": "::1", "port": 443, "status": "x"}]}},
        {"test_keys": {"tls_handshakes": [{"address": "[::1]:4x3"}, {"address": 7}]}},
        {"test_keys": {"requests": [{"response": {"headers": {"LOCATION": "a", "location": 1}}}]}},
        {"probe_cc": 5, "input": ["x"], "test_keys": {"queries": [{"answers": [{"ipv6": "::"}]}]}},
        {"measurement_start_time": "2024-02-30 25:00:00", "test_keys": {"queries": [{}]}},
    ]
    for m in odd:
        _assert_same_table([m])
    _assert_same_table(odd)


def test_no_rows_is_the_empty_tier_table() -> None:
    columns = ObservationColumns()
    assert columns.add({"test_keys": []}, "uid", "2024-02-01", "IT") == 0
    assert columns.add({"test_keys": {"queries": "x"}}, "uid", "2024-02-01", "IT") == 0
    assert len(columns) == 2
    assert columns.table().equals(rows_table([], Observation, [], []))
    assert ObservationColumns().table().equals(rows_table([], Observation, [], []))


def test_rows_of_the_measurements_asked_for_in_that_order() -> None:
    ms = _fixtures()
    columns = ObservationColumns()
    for m in ms:
        columns.add(m, measurement_uid(m), *_key(m))
    # ingest's order: by day, country and time; and a subset, with a measurement twice
    by_time = sorted(range(len(ms)), key=lambda i: (*_key(ms[i]), ms[i]["measurement_start_time"]))
    for picked in (by_time, [5, 0, 5, 3], [len(ms) - 1], []):
        assert columns.table(picked).equals(_by_rows([ms[i] for i in picked]))
    with pytest.raises(IndexError):
        columns.table([len(ms)])


class _Failing(dict[str, Any]):
    """test_keys whose TLS handshakes cannot be read (a bug in the analysis, not odd data)."""

    def get(self, key: str, default: Any = None) -> Any:
        if key == "tls_handshakes":
            raise RuntimeError("boom")
        return super().get(key, default)


def test_a_measurement_whose_analysis_raises_adds_nothing() -> None:
    ms = _fixtures()[:3]
    columns = ObservationColumns()
    columns.add(ms[0], measurement_uid(ms[0]), *_key(ms[0]))
    failing = {**ms[1], "test_keys": _Failing(ms[1]["test_keys"])}  # DNS and TCP come first
    with pytest.raises(RuntimeError):
        columns.add(failing, "uid", *_key(ms[1]))
    columns.add(ms[2], measurement_uid(ms[2]), *_key(ms[2]))
    assert len(columns) == 2
    assert columns.table().equals(_by_rows([ms[0], ms[2]]))
