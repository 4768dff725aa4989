"""Both detectors on the real labelled series in ../shared/data/outages/real_signals."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import shared_path

from netvigil._errors import InputError
from netvigil.detect.evaluate import evaluate_real
from netvigil.detect.real_signals import read_real_signals

REAL = ("outages", "real_signals")


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return evaluate_real(["ioda", "netvigil"], shared_path(*REAL))


def test_the_reader_places_labels_on_each_series_grid() -> None:
    cases = {c.series_id: c for c in read_real_signals(shared_path(*REAL))}
    assert len(cases) == 46
    kenya = cases["ke-2016-atlas-probes"]
    assert kenya.series.step == 300 and kenya.series.signal == "atlas-connected-probes"
    [label] = kenya.truths  # 2016-06-07 08:30 .. 12:30 UTC; the series starts 06-01 00:10
    assert kenya.series.time_of(label.first) == 1465288200  # 08:30
    assert kenya.series.time_of(label.stop) == 1465302600  # 12:30
    iran = cases["ir-2019-monash-national"]
    [cut] = iran.truths  # labelled until 11-24, the series ends 11-20: cut to the series
    assert cut.stop == len(iran.series.values)


def test_netvigil_scores_at_least_0_8_on_every_real_dataset(report: dict) -> None:
    ours = report["detectors"]["netvigil"]
    for name, scores in ours["datasets"].items():
        assert scores["f1"] >= 0.8, name
    assert ours["overall"]["f1"] > report["detectors"]["ioda"]["overall"]["f1"]
    assert ours["overall"]["precision"] == 1.0  # no false alarm on 46 real series


def test_kenya_grid_failure_is_one_event_and_the_reconnect_dip_is_none(report: dict) -> None:
    # 5 June 10:05: six of 17 probes drop and reconnect within 25 minutes (no outage);
    # 7 June 08:35: 17 -> 13 for hours (the grid failure).
    events = report["detectors"]["netvigil"]["series"]["ke-2016-atlas-probes"]
    assert [(e["start"], e["end"]) for e in events] == [
        ("2016-06-07T08:35:00Z", "2016-06-07T11:30:00Z")
    ]


def test_a_manifest_without_its_columns_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text("id,entity\nx,country:IR\n")
    with pytest.raises(InputError) as err:
        read_real_signals(tmp_path)
    assert err.value.path == str(tmp_path / "manifest.csv") and err.value.line == 1
    assert "group" in err.value.message
