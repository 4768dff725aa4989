"""`netvigil agg` against counts computed here with plain Python over the same verdicts."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.models.tables import records_table
from netvigil.models.verdicts import Verdict
from netvigil.store import Batch, open_store
from netvigil.store.aggregation import AggregationQuery
from nvtest import shared_path

OUTCOMES = ("ok", "anomaly", "confirmed", "failure")
BLOCKING = {"ok": None, "anomaly": "dns", "confirmed": "http-diff", "failure": None}


def _verdicts(urls: list[str], n: int = 3000, seed: int = 7) -> list[Verdict]:
    rng = random.Random(seed)
    out = []
    start = datetime(2024, 2, 26)  # a Monday, so weeks and a month boundary are both crossed
    for i in range(n):
        when = start + timedelta(seconds=rng.randrange(10 * 86400))
        url = rng.choice(urls)
        outcome = rng.choices(OUTCOMES, weights=(70, 20, 3, 7))[0]
        out.append(
            Verdict(
                measurement_uid=f"uid{i:06d}",
                input=url,
                test_name=rng.choice(("web_connectivity", "web_connectivity", "telegram")),
                probe_cc=rng.choice(("IR", "CN", "HK", "PK")),
                probe_asn=rng.choice(("AS197207", "AS4134", "AS9269")),
                measurement_start_time=when.strftime("%Y-%m-%d %H:%M:%S"),
                blocking=BLOCKING[outcome] or False,
                accessible=outcome == "ok",
                dns_consistency=None,
                outcome=outcome,  # type: ignore[arg-type]
                blocking_detail=None,
                fingerprint=None,
                rule_id="test.synthetic",
                rules_version="test",
                domain=url.split("/")[2],
                blocking_type=BLOCKING[outcome],
            )
        )
    return out


def _test_list_urls() -> tuple[Path, dict[tuple[str, str], str]]:
    """The test-lists dir, and {(cc, url): category} read here with the csv module."""
    directory = shared_path("ooni", "test-lists")
    categories: dict[tuple[str, str], str] = {}
    for name, cc in (("global.csv", "ZZ"), ("cn.csv", "CN"), ("hk.csv", "HK")):
        with open(directory / name, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                categories[(cc, row["url"])] = row["category_code"]
    return directory, categories


@pytest.fixture(scope="module")
def populated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[Verdict], Path, dict[tuple[str, str], str]]:
    lists, categories = _test_list_urls()
    urls = [*sorted({url for _, url in categories})[:200], "https://not-in-any-list.example/"]
    verdicts = _verdicts(urls)
    store_dir = tmp_path_factory.mktemp("agg") / "store"
    with open_store(store_dir) as store:
        for part in (verdicts[:1000], verdicts[1000:]):  # two commits, as two ingest batches
            days = [v.measurement_start_time[:10] for v in part]
            ccs = [v.probe_cc for v in part]
            store.commit(Batch(None, None, records_table(part, Verdict, days, ccs)))
    return store_dir, verdicts, lists, categories


def _counts(rows: list[Verdict]) -> dict[str, int]:
    c = Counter(v.outcome for v in rows)
    return {
        "anomaly_count": c["anomaly"],
        "confirmed_count": c["confirmed"],
        "failure_count": c["failure"],
        "measurement_count": len(rows),
        "ok_count": c["ok"],
    }


def test_probe_cc_by_day_matches_plain_python(populated: tuple) -> None:  # type: ignore[type-arg]
    store_dir, verdicts, _, _ = populated
    store = open_store(store_dir, writable=False)
    query = AggregationQuery(axis_x="measurement_start_day", axis_y="probe_cc")
    rows = store.aggregate(query)
    expected: dict[tuple[str, str], list[Verdict]] = {}
    for v in verdicts:
        expected.setdefault((v.measurement_start_time[:10], v.probe_cc), []).append(v)
    got = {(r["measurement_start_day"], r["probe_cc"]): r for r in rows}
    assert set(got) == set(expected)
    for key, group in expected.items():
        assert {k: got[key][k] for k in _counts(group)} == _counts(group)


@pytest.mark.parametrize("grain", ["hour", "week", "month"])
def test_time_grains(populated: tuple, grain: str) -> None:  # type: ignore[type-arg]
    store_dir, verdicts, _, _ = populated
    store = open_store(store_dir, writable=False)
    rows = store.aggregate(AggregationQuery(axis_x="measurement_start_day", time_grain=grain))  # type: ignore[arg-type]

    def bucket(v: Verdict) -> str:
        t = datetime.strptime(v.measurement_start_time, "%Y-%m-%d %H:%M:%S")
        if grain == "hour":
            return t.strftime("%Y-%m-%dT%H:00:00Z")
        if grain == "week":  # ISO weeks start on Monday, as OONI's API
            return (t.date() - timedelta(days=t.weekday())).isoformat()
        return date(t.year, t.month, 1).isoformat()

    expected = Counter(bucket(v) for v in verdicts)
    assert {r["measurement_start_day"]: r["measurement_count"] for r in rows} == expected
    assert len(expected) > 1


def test_filters_and_asn_axis(populated: tuple) -> None:  # type: ignore[type-arg]
    store_dir, verdicts, _, _ = populated
    store = open_store(store_dir, writable=False)
    since, until = datetime(2024, 2, 28, 12), datetime(2024, 3, 3)
    query = AggregationQuery(
        probe_cc="ir", test_name="web_connectivity", since=since, until=until, axis_x="probe_asn"
    )
    rows = store.aggregate(query)
    chosen = [
        v
        for v in verdicts
        if v.probe_cc == "IR"
        and v.test_name == "web_connectivity"
        and since <= datetime.strptime(v.measurement_start_time, "%Y-%m-%d %H:%M:%S") < until
    ]
    by_asn: dict[int, list[Verdict]] = {}
    for v in chosen:
        by_asn.setdefault(int(v.probe_asn[2:]), []).append(v)
    assert {r["probe_asn"]: r["measurement_count"] for r in rows} == {
        k: len(g) for k, g in by_asn.items()
    }
    total = store.aggregate(AggregationQuery(probe_asn="AS4134", domain=verdicts[0].domain))
    assert total[0]["measurement_count"] == sum(
        1 for v in verdicts if v.probe_asn == "AS4134" and v.domain == verdicts[0].domain
    )


def test_category_code_from_citizen_lab_lists(populated: tuple) -> None:  # type: ignore[type-arg]
    store_dir, verdicts, lists, categories = populated
    store = open_store(store_dir, writable=False)
    rows = store.aggregate(AggregationQuery(axis_x="category_code"), test_lists=lists)

    def category(v: Verdict) -> str | None:
        assert v.input is not None
        return categories.get((v.probe_cc, v.input)) or categories.get(("ZZ", v.input))

    expected = Counter(category(v) for v in verdicts)
    assert {r["category_code"]: r["measurement_count"] for r in rows} == expected
    assert None in expected  # the URL in no list stays uncategorised
    news = store.aggregate(AggregationQuery(category_code="NEWS"), test_lists=lists)
    assert news[0]["measurement_count"] == expected["NEWS"]


def test_cli_csv_like_ooni_download(
    populated: tuple,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store_dir, verdicts, _, _ = populated
    monkeypatch.setenv("NETVIGIL_STORE", str(store_dir))
    args = ["agg", "--axis-x", "probe_cc", "--axis-y", "blocking_type", "--format", "csv"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.output)))
    assert list(table[0]) == [
        "probe_cc",
        "blocking_type",
        "anomaly_count",
        "confirmed_count",
        "failure_count",
        "measurement_count",
        "ok_count",
    ]
    expected = Counter((v.probe_cc, v.blocking_type or "") for v in verdicts)
    got = {(r["probe_cc"], r["blocking_type"]): int(r["measurement_count"]) for r in table}
    assert got == expected
    as_json = CliRunner().invoke(app, ["agg", "--probe-cc", "PK"])
    body = orjson.loads(as_json.output)
    assert body["dimension_count"] == 0
    assert body["result"] == _counts([v for v in verdicts if v.probe_cc == "PK"])


def test_unknown_axis_is_a_clear_error(populated: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    monkeypatch.setenv("NETVIGIL_STORE", str(populated[0]))
    result = CliRunner().invoke(app, ["agg", "--axis-x", "country"])
    assert result.exit_code == 2
    assert "unknown axis 'country'" in result.output


def test_verdicts_interface_for_detection(populated: tuple) -> None:  # type: ignore[type-arg]
    from datetime import timezone

    store_dir, verdicts, _, _ = populated
    store = open_store(store_dir, writable=False)
    # 14:00 at UTC+02:00 is 12:00 UTC: times are compared in UTC, as OONI's are stored
    since = datetime(2024, 3, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    until = datetime(2024, 3, 3)
    table = store.verdicts(
        since=since, until=until, probe_cc="cn", columns=["measurement_uid", "outcome"]
    )
    expected = sorted(
        v.measurement_uid
        for v in verdicts
        if v.probe_cc == "CN"
        and datetime(2024, 3, 1, 12)
        <= datetime.strptime(v.measurement_start_time, "%Y-%m-%d %H:%M:%S")
        < until
    )
    assert table.column_names == ["measurement_uid", "outcome"]
    assert sorted(table.column("measurement_uid").to_pylist()) == expected
