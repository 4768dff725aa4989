"""The plain series CSV: what is accepted, and bad input named by line and field."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netvigil._errors import InputError
from netvigil.detect.series import check_entity, read_series_csv


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.csv"
    path.write_text(text)
    return path


def test_iso_and_epoch_timestamps_on_one_grid_with_missing_bins(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "timestamp,value\n"
        "2024-01-01T00:00:00Z,10\n"
        "1704067500,11\n"  # 00:05 as epoch seconds
        "2024-01-01T00:10:00+00:00,\n"  # empty value: a missing bin
        "2024-01-01T00:25:00,13\n",  # naive = UTC; 00:15 and 00:20 absent
    )
    s = read_series_csv(path, entity="country:IR")
    assert (s.start, s.step) == (1704067200, 300)
    assert np.array_equal(s.values, [10, 11, np.nan, np.nan, np.nan, 13], equal_nan=True)


def test_unsorted_timestamps_are_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "timestamp,value\n600,1\n900,2\n300,3\n")
    with pytest.raises(InputError) as err:
        read_series_csv(path, entity="country:IR")
    assert (err.value.line, err.value.field) == (4, "timestamp")
    assert "line 3" in err.value.message
    assert "s.csv:4" in err.value.render()


def test_exact_duplicates_are_dropped_conflicting_ones_rejected(tmp_path: Path) -> None:
    ok = read_series_csv(write(tmp_path, "0,1\n300,2\n300,2\n600,3\n"), entity="asn:12880")
    assert list(ok.values) == [1, 2, 3]
    with pytest.raises(InputError) as err:
        read_series_csv(write(tmp_path, "0,1\n300,2\n300,5\n"), entity="asn:12880")
    assert err.value.line == 3 and "duplicate" in err.value.message


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("0,1\n300,lots\n", 2, "value"),
        ("0,1\n300,inf\n", 2, "value"),
        ("0,1\nyesterday,2\n", 2, "timestamp"),
        ("0,1\n300\n", 2, None),
    ],
)
def test_bad_cells_name_line_and_field(tmp_path: Path, text: str, line: int, field: str) -> None:
    with pytest.raises(InputError) as err:
        read_series_csv(write(tmp_path, text), entity="country:IR")
    assert (err.value.line, err.value.field) == (line, field)


def test_entities_are_normalised_or_rejected() -> None:
    assert check_entity("country:ir") == "country:IR"
    assert check_entity("asn:12880") == "asn:AS12880"
    for bad in ("IR", "country:IRN", "asn:ASx", "city:Tehran"):
        with pytest.raises(InputError):
            check_entity(bad)
