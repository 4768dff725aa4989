"""IP -> (ASN, country) enrichment of observations, from an MMDB database or a CSV range table.

Optional (``analysis.ip_table``): measurements carry the ASN of DNS answers only when the probe
looked them up, and OONI's pipeline adds both sides from its own GeoIP database. netvigil adds
``ip_asn`` / ``ip_cc`` to every observation row with an address, from:

- a MaxMind-format database (``.mmdb``: GeoLite2 ASN/Country, DB-IP, ipinfo), read with
  ``maxminddb``; or
- a CSV or TSV range table with a header naming ``network`` (CIDR) or ``start`` and ``end``
  (first and last address; ``range_start``/``range_end`` accepted), ``asn`` (``123`` or
  ``AS123``; 0 = not routed) and ``country`` (``cc`` / ``country_code``). Ranges must not overlap.
  No library reads such tables into a range index, hence the few lines of bisect below.
"""

from __future__ import annotations

import bisect
import csv
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from netvigil._errors import ConfigError, InputError

_ALIASES = {
    "network": ("network", "cidr", "prefix"),
    "start": ("start", "range_start", "start_ip", "first"),
    "end": ("end", "range_end", "end_ip", "last"),
    "asn": ("asn", "as_number", "autonomous_system_number"),
    "country": ("country", "cc", "country_code"),
}


def record_fields(record: Any) -> tuple[int | None, str | None]:
    """(ASN, upper-case country) of an MMDB record in GeoLite2 / DB-IP / ipinfo shape."""
    if not isinstance(record, Mapping):
        return None, None
    country = record.get("country")
    cc = country.get("iso_code") if isinstance(country, Mapping) else country
    return parse_asn(record.get("autonomous_system_number") or record.get("asn")), (
        str(cc).upper() if cc else None
    )


def parse_asn(value: Any) -> int | None:
    """``123``, ``"123"`` or ``"AS123"`` -> 123; anything else (and 0, "not routed") -> None."""
    if isinstance(value, bool) or value is None:
        return None
    digits = str(value).strip().upper().removeprefix("AS")
    return (int(digits) or None) if digits.isdigit() else None


@dataclass
class _Ranges:
    """Non-overlapping ``[start, end]`` integer ranges of one IP version, sorted by start."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    values: list[tuple[int | None, str | None]] = field(default_factory=list)

    def find(self, ip: int) -> tuple[int | None, str | None]:
        i = bisect.bisect_right(self.starts, ip) - 1
        if i >= 0 and ip <= self.ends[i]:
            return self.values[i]
        return None, None


class IpTable:
    """Looks addresses up; ``annotate`` adds ``ip_asn``/``ip_cc`` to an observations table."""

    def __init__(self, lookup: Any, source: Path) -> None:
        self.source = source
        self.lookup = lru_cache(maxsize=1 << 16)(lookup)

    @classmethod
    def load(cls, path: Path) -> IpTable:
        if not path.is_file():
            raise ConfigError(f"analysis.ip_table {path}: no such file")
        if path.suffix.lower() == ".mmdb":
            return cls(_mmdb_lookup(path), path)
        return cls(_ranges_lookup(_read_ranges(path)), path)

    def asn_of(self, ip: str) -> int | None:
        return self.lookup(ip)[0]  # type: ignore[no-any-return]

    def annotate(self, table: Any) -> Any:
        """``table`` with ``ip_asn`` (int64) and ``ip_cc`` (string) looked up from its ``ip``."""
        import pyarrow as pa
        import pyarrow.compute as pc

        ips = table.column("ip")
        unique = pc.unique(ips).drop_null()
        found = [self.lookup(ip) for ip in unique.to_pylist()]
        index = pc.index_in(ips, value_set=unique)
        asn = pa.array([f[0] for f in found], pa.int64()).take(index)
        cc = pa.array([f[1] for f in found], pa.string()).take(index)
        return with_ip_columns(table, asn, cc)


def with_ip_columns(table: Any, asn: Any = None, cc: Any = None) -> Any:
    """``table`` with the enrichment columns (all null when no IP table is configured), so that
    the observations tier has the same columns either way."""
    import pyarrow as pa

    rows = table.num_rows
    asn = pa.nulls(rows, pa.int64()) if asn is None else asn
    cc = pa.nulls(rows, pa.string()) if cc is None else cc
    at = table.schema.get_field_index("day")  # before the partition columns, as other fields
    at = table.num_columns if at < 0 else at
    return table.add_column(at, "ip_asn", asn).add_column(at + 1, "ip_cc", cc)


def _mmdb_lookup(path: Path) -> Any:
    import maxminddb

    try:
        reader = maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigError(
            f"analysis.ip_table {path}: cannot read it as an MMDB file: {exc}"
        ) from exc

    def lookup(ip: str) -> tuple[int | None, str | None]:
        try:
            return record_fields(reader.get(ip))
        except ValueError:  # not an address (odd measurement data)
            return None, None

    return lookup


def _ranges_lookup(tables: dict[int, _Ranges]) -> Any:
    def lookup(ip: str) -> tuple[int | None, str | None]:
        try:
            addr = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return None, None
        ranges = tables.get(addr.version)
        return ranges.find(int(addr)) if ranges is not None else (None, None)

    return lookup


def _columns(header: list[str], path: Path) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    found: dict[str, int] = {}
    for key, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in names:
                found[key] = names.index(alias)
                break
    has_range = "network" in found or ("start" in found and "end" in found)
    if not has_range or ("asn" not in found and "country" not in found):
        raise InputError(
            "expected a header with 'network' (or 'start' and 'end') and 'asn' and/or"
            f" 'country', got {header}",
            path=path,
            line=1,
        )
    return found


def _read_ranges(path: Path) -> dict[int, _Ranges]:
    rows: list[tuple[int, int, int, tuple[int | None, str | None], int]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            raise InputError("empty IP table", path=path)
        cols = _columns(header, path)
        for number, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            rows.append((*_range_of(row, cols, path, number), number))
    tables: dict[int, _Ranges] = {}
    for version, start, end, value, number in sorted(rows):
        ranges = tables.setdefault(version, _Ranges())
        if ranges.ends and start <= ranges.ends[-1]:
            raise InputError("range overlaps an earlier one", path=path, line=number)
        ranges.starts.append(start)
        ranges.ends.append(end)
        ranges.values.append(value)
    return tables


def _range_of(
    row: list[str], cols: dict[str, int], path: Path, number: int
) -> tuple[int, int, int, tuple[int | None, str | None]]:
    def cell(key: str) -> str:
        index = cols[key]
        if index >= len(row):
            raise InputError(f"missing column {key!r}", path=path, line=number, field=key)
        return row[index].strip()

    try:
        if "network" in cols:
            net = ipaddress.ip_network(cell("network"), strict=False)
            version, start, end = net.version, int(net.network_address), int(net.broadcast_address)
        else:
            first, last = ipaddress.ip_address(cell("start")), ipaddress.ip_address(cell("end"))
            if first.version != last.version or int(last) < int(first):
                raise ValueError(f"{first} .. {last} is not a range")
            version, start, end = first.version, int(first), int(last)
    except ValueError as exc:
        key = "network" if "network" in cols else "start"
        raise InputError(f"expected an IP range: {exc}", path=path, line=number, field=key) from exc
    asn = parse_asn(cell("asn")) if "asn" in cols else None
    country = cell("country").upper() if "country" in cols else ""
    country = "" if country in ("NONE", "ZZ", "-") else country  # ip2asn's "None": not routed
    if country and (len(country) != 2 or not country.isalpha()):
        raise InputError(
            f"expected a two-letter country code, got {country!r}",
            path=path,
            line=number,
            field="country",
        )
    return version, start, end, (asn, country or None)
