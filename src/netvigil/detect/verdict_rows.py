"""The verdict rows detection reads from the store: the one place detect reads verdicts.

Both the own-verdict signals (``own_signals``) and the blocking onsets (``blocking``) read the
same columns; a probe's IP is never among them. ``measurement_start_time`` comes back as an aware
UTC datetime (the store keeps naive UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from netvigil.store.protocol import AnalyticalStore

COLUMNS = ("measurement_start_time", "probe_cc", "probe_asn", "test_name", "outcome", "domain")


def verdict_rows(
    store: AnalyticalStore, *, since: datetime | None = None, probe_cc: str | None = None
) -> list[dict[str, Any]]:
    """Verdicts from ``since`` on (of one country if ``probe_cc``), ordered by time."""
    table = store.verdicts(since=since, probe_cc=probe_cc, columns=COLUMNS)
    rows: list[dict[str, Any]] = table.to_pylist()
    for row in rows:
        moment = row["measurement_start_time"]
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        row["measurement_start_time"] = moment
    return rows
