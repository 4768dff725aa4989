"""Realistic synthetic measurements for benchmarks and scale tests (never for conformance).

Real measurements (OONI's fixtures) are the templates: each synthetic line keeps a template's
``test_keys`` byte for byte (so the analysis does real work on real network traces, with the mix
of outcomes the templates have) under a new envelope: country, ASN, input URL, start time and
report id drawn from pools, so a run covers many countries, networks, domains and days. Large
templates are drawn just often enough that the average line size meets ``mean_bytes`` (the
fixtures' ~18 KB), as OONI's archive mixes many small measurements with a few huge bodies.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

# Country codes drawn for synthetic measurements (a spread of regions, not a claim about them).
_COUNTRY_TEXT = "IR CN RU PK IN TR EG SA AE VN MM ET NG UG ZW SD VE CU BY KZ UZ TM AZ IQ SY LB JO"
_COUNTRY_TEXT += " BD ID MY TH PH BR MX US DE FR GB IT ES NL UA KE TZ DZ MA TN LY"
COUNTRIES = tuple(_COUNTRY_TEXT.split(" "))
_ENVELOPE_KEEP = ("data_format_version", "software_name", "software_version", "test_version")


@dataclass(frozen=True)
class Template:
    test_name: str
    test_keys: bytes  # compact JSON, reused verbatim
    envelope: Mapping[str, Any]


def templates_of(measurements: Sequence[Mapping[str, Any]]) -> list[Template]:
    """Templates from real measurements (anything with a test_name and test_keys)."""
    out = []
    for m in measurements:
        if isinstance(m.get("test_keys"), dict) and isinstance(m.get("test_name"), str):
            envelope = {k: m[k] for k in _ENVELOPE_KEEP if k in m}
            out.append(Template(m["test_name"], orjson.dumps(m["test_keys"]), envelope))
    if not out:
        raise ValueError("no usable template measurements")
    return out


def _weights(templates: Sequence[Template], mean_bytes: int) -> list[float]:
    """Draw weights so that the expected test_keys size is about ``mean_bytes``."""
    sizes = [len(t.test_keys) + 600 for t in templates]  # + the envelope
    small = [s for s in sizes if s <= mean_bytes]
    large = [s for s in sizes if s > mean_bytes]
    if not small or not large:
        return [1.0] * len(templates)
    ms, ml = sum(small) / len(small), sum(large) / len(large)
    p_large = (mean_bytes - ms) / (ml - ms)
    return [p_large / len(large) if s > mean_bytes else (1 - p_large) / len(small) for s in sizes]


def lines(
    templates: Sequence[Template],
    urls: Sequence[str],
    count: int,
    *,
    seed: int = 1,
    start: datetime = datetime(2024, 2, 1),
    days: int = 14,
    countries: Sequence[str] = COUNTRIES,
    asns_per_country: int = 8,
    mean_bytes: int = 18_000,
) -> Iterator[bytes]:
    """``count`` JSONL lines (without newline), deterministic for a given ``seed``."""
    rng = random.Random(seed)
    weights = _weights(templates, mean_bytes)
    asns = {
        cc: [f"AS{rng.randrange(1000, 400000)}" for _ in range(asns_per_country)]
        for cc in countries
    }
    picks = rng.choices(range(len(templates)), weights=weights, k=count)
    span = days * 86400
    for i, pick in enumerate(picks):
        template = templates[pick]
        cc = rng.choice(countries)
        when = start + timedelta(seconds=rng.randrange(span))
        stamp = when.strftime("%Y-%m-%d %H:%M:%S")
        test = template.test_name.replace("_", "")
        envelope = {
            **template.envelope,
            "input": rng.choice(urls) if template.test_name == "web_connectivity" else None,
            "measurement_start_time": stamp,
            "test_start_time": stamp,
            "probe_asn": rng.choice(asns[cc]),
            "probe_cc": cc,
            "probe_ip": "127.0.0.1",
            "report_id": f"{when:%Y%m%dT%H%M%SZ}_{test}_{cc}_{i:08d}_n1_{rng.getrandbits(48):012x}",
            "test_name": template.test_name,
            "test_runtime": round(rng.uniform(0.2, 12.0), 3),
        }
        yield orjson.dumps(envelope)[:-1] + b',"test_keys":' + template.test_keys + b"}"


def write_files(
    directory: Path, measurements: Iterator[bytes], per_file: int = 5_000
) -> tuple[list[Path], int]:
    """Write the lines as ``part-NNNN.jsonl.gz`` files; returns (files, uncompressed bytes)."""
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    total = 0
    while True:
        chunk = list(islice(measurements, per_file))
        if not chunk:
            return files, total
        files.append(directory / f"part-{len(files):04d}.jsonl.gz")
        with gzip.open(files[-1], "wb", compresslevel=1) as fh:
            for line in chunk:
                fh.write(line + b"\n")
                total += len(line) + 1
