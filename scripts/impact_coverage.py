"""How many incidents get an impact estimate, and why the others do not.

Imports Access Now's STOP workbook and the 2020 CSV (../shared/data/stop) into a fresh SQLite
tracker (or reads the tracker given by --db), computes the impact of every published incident
the site lists (one per shutdown) and prints the share with an estimate and the count of each
reason where none is possible.

    python scripts/impact_coverage.py [--db URL] [--today 2026-01-01] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from netvigil.impact.incident import NoEstimate
from netvigil.impact.tracked import impact_of_incident
from netvigil.incidents import Actor, IncidentFilter, Tracker, public_dict
from netvigil.incidents.stop_io import read_stop

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stop"
FILES = ("Keepiton_raw_dataset_2016-2022.xlsx", "KeepItOn-STOP-Data-2020.csv")


def coverage(tracker: Tracker, today: dt.date) -> dict[str, object]:
    reasons: Counter[str] = Counter()
    total = with_estimate = 0
    page, offset = 500, 0
    while True:
        batch = tracker.list_incidents(IncidentFilter(limit=page, offset=offset), public=True)
        for incident in batch:
            total += 1
            result = impact_of_incident(tracker, public_dict(incident), today=today)
            if isinstance(result, NoEstimate):
                reasons[result.reason] += 1
            else:
                with_estimate += 1
        if len(batch) < page:
            break
        offset += page
    return {
        "incidents": total,
        "with_estimate": with_estimate,
        "share": round(with_estimate / total, 4) if total else 0.0,
        "reasons": dict(reasons.most_common()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="an existing tracker URL (default: import the STOP files)")
    parser.add_argument("--today", default=None, help="date for ongoing shutdowns' cost so far")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'coverage.sqlite'}"
        with Tracker(url) as tracker:
            if args.db is None:
                for name in FILES:
                    path = SHARED / name
                    if not path.is_file():
                        print(f"{path}: not found (../shared/data/stop)", file=sys.stderr)
                        return 2
                    rows, _ = read_stop(path)
                    tracker.import_stop_rows(rows, Actor("cli:coverage", "admin"), source=name)
            result = coverage(tracker, today)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"incidents with an impact estimate: {result['with_estimate']} of {result['incidents']} "
        f"({float(result['share']):.1%})"  # type: ignore[arg-type]
    )
    for reason, n in result["reasons"].items():  # type: ignore[attr-defined]
        print(f"  no estimate, {reason}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
