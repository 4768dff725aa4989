"""The ClickHouse tables of the store, their keys and engines, and versioned migrations.

Columns come from the same Arrow schemas as the embedded store's (``netvigil.models.tables``),
so the two cannot drift. Choices, and why (docs/scale.md has the long form):

- **Partitions by month** (``toYYYYMM(day)``), as OONI's tables: a month is the unit a
  retention or a re-analysis drops or rewrites, and a partition holds a few large parts.
- **ORDER BY (day, cc, measurement_uid)** for raw, observations and verdicts: a day's rows of a
  country together (the aggregations' filters and groups), and ``measurement_uid`` last so that
  "is this measurement stored" is a primary-key lookup on (day, uid) and a measurement is one
  row per tier. OONI orders its fastpath by time then uid for the same reasons.
- **LowCardinality** for codes (countries, ASNs, test names, outcomes, failure strings, rule ids),
  as OONI: dictionary-encoded, which makes grouping and filtering on them cheap.
- **MergeTree, not ReplacingMergeTree**, for the measurement tiers, unlike OONI: every row
  carries the ``batch`` that wrote it and is visible only once that batch's row is in
  ``commits`` (the commit point). The commit protocol (``clickhouse.py``) lets no two committed
  batches hold one measurement, so queries are exact before any merge, with neither FINAL nor
  argMax. A ReplacingMergeTree keyed on the uid would be wrong here: a merge may keep the copy
  of a batch that never committed (a writer killed mid-commit) and drop the committed one.
- ``commits``: one row per commit, ``seq`` its place in the change order; insert deduplication
  (``non_replicated_deduplication_window``) makes the claim of a seq atomic (see clickhouse.py).
- Raw lines are ``String CODEC(ZSTD(3))``: compressed by blocks of consecutive lines, as the
  embedded store's Parquet pages.

A schema change is a new entry of :data:`MIGRATIONS`; a store records the versions it has in
``schema_version``, and a netvigil meeting a newer version than it knows refuses to touch it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from netvigil.models.tables import EVENT_SCHEMA, RAW_SCHEMA, SIGNAL_SCHEMA, layout_of

SCHEMA_VERSION = 1
FIRST_GENERATION = "0"
MEASUREMENT_TIERS = ("raw", "observations", "verdicts")
DERIVED = ("observations", "verdicts")  # rebuilt by `analyze --rebuild`, one table per generation
KEY_COLUMNS = frozenset(
    {"measurement_uid", "day", "cc", "batch", "event_id", "observation_idx"}
    | {"entity_type", "entity_code", "signal", "timestamp"}
)
LOW_CARDINALITY = frozenset(
    {
        "cc",
        "ip_cc",
        "probe_cc",
        "probe_asn",
        "test_name",
        "outcome",
        "blocking",
        "blocking_type",
        "blocking_detail",
        "dns_consistency",
        "fingerprint",
        "rule_id",
        "rules_version",
        "kind",
        "failure",
        "dns_engine",
        "dns_query_type",
        "dns_answer_type",
        "tls_version",
        "tls_cipher_suite",
        "control_dns_failure",
        "control_tcp_failure",
        "control_tls_failure",
        "control_http_failure",
        "source",
        "batch",
        "entity_type",
        "signal",
        "detector",
        "detector_version",
    }
)
MONTHLY = "PARTITION BY toYYYYMM(day)"
MEASUREMENT_ORDER = "ORDER BY (day, cc, measurement_uid)"
# A commit claims its seq by an insert whose deduplication token is the seq: the window must
# cover the commits that can race for one seq (a handful); 10,000 is generous.
DEDUP = "SETTINGS non_replicated_deduplication_window = 10000"


def column_type(field: pa.Field) -> str:
    """The ClickHouse type of an Arrow field of a tier's table."""
    t = field.type
    if pa.types.is_timestamp(t):
        base = "DateTime('UTC')"
    elif pa.types.is_date(t):
        base = "Date"
    elif pa.types.is_boolean(t):
        base = "Bool"
    elif pa.types.is_int32(t):
        base = "Int32"
    elif pa.types.is_integer(t):
        base = "Int64"
    elif pa.types.is_floating(t):
        base = "Float64"
    elif pa.types.is_list(t):
        return "Array(String)"
    elif pa.types.is_binary(t):
        return "String CODEC(ZSTD(3))"
    else:
        base = "String"
    if field.name in KEY_COLUMNS:
        return f"LowCardinality({base})" if field.name in LOW_CARDINALITY else base
    if field.name in ("timestamp", "value", "start", "score", "signals"):
        return base  # never null in their records
    nullable = f"Nullable({base})"
    return f"LowCardinality({nullable})" if field.name in LOW_CARDINALITY else nullable


def tier_schema(tier: str) -> pa.Schema:
    """The Arrow schema of a tier's rows as stored (with ``day`` a date), without ``batch``."""
    from netvigil.models.observations import Observation
    from netvigil.models.verdicts import Verdict

    if tier == "raw":
        fields = [f for f in RAW_SCHEMA if f.name not in ("day", "cc")]
    elif tier == "observations":
        # the IP enrichment columns (analysis.iptable), null without an IP table
        fields = [*layout_of(Observation).schema, pa.field("ip_asn", pa.int64())]
        fields.append(pa.field("ip_cc", pa.string()))
    elif tier == "verdicts":
        fields = list(layout_of(Verdict).schema)
    elif tier == "signals":
        return SIGNAL_SCHEMA
    elif tier == "events":
        return EVENT_SCHEMA
    else:
        raise ValueError(tier)
    return pa.schema([*fields, pa.field("day", pa.date32()), pa.field("cc", pa.string())])


def _columns(schema: pa.Schema) -> str:
    fields = [*schema, pa.field("batch", pa.string())]
    return ",\n    ".join(f"`{f.name}` {column_type(f)}" for f in fields)


def table_name(tier: str, generation: str) -> str:
    return f"{tier}_g{generation}" if tier in DERIVED else tier


def measurement_table(database: str, tier: str, generation: str = FIRST_GENERATION) -> str:
    order = MEASUREMENT_ORDER
    if tier == "observations":
        order = "ORDER BY (day, cc, measurement_uid, observation_idx)"
    name = table_name(tier, generation)
    return (
        f"CREATE TABLE IF NOT EXISTS `{database}`.`{name}` (\n    {_columns(tier_schema(tier))}\n)"
        f" ENGINE = MergeTree {MONTHLY} {order}"
    )


def _version_1(database: str) -> list[str]:
    return [
        f"""CREATE TABLE IF NOT EXISTS `{database}`.commits (
    seq UInt64,
    batch String,
    writer String,
    kind LowCardinality(String),
    source String,
    rows String,
    at DateTime64(6, 'UTC') DEFAULT now64(6)
) ENGINE = MergeTree ORDER BY seq {DEDUP}""",
        *(measurement_table(database, tier) for tier in MEASUREMENT_TIERS),
        f"CREATE TABLE IF NOT EXISTS `{database}`.signals (\n    {_columns(SIGNAL_SCHEMA)}\n)"
        " ENGINE = MergeTree PARTITION BY toYYYYMM(toDateTime(timestamp, 'UTC'))"
        " ORDER BY (entity_type, entity_code, signal, timestamp)",
        f"CREATE TABLE IF NOT EXISTS `{database}`.events (\n    {_columns(EVENT_SCHEMA)}\n)"
        " ENGINE = MergeTree ORDER BY (event_id, batch)",
    ]


# version -> DDL (idempotent: every statement may be run again by a writer racing another)
MIGRATIONS = {1: _version_1}


def bootstrap(database: str) -> list[str]:
    """What exists before any version: the database and the table of applied versions."""
    return [
        f"CREATE DATABASE IF NOT EXISTS `{database}`",
        f"""CREATE TABLE IF NOT EXISTS `{database}`.schema_version (
    version UInt32,
    software String,
    at DateTime DEFAULT now()
) ENGINE = MergeTree ORDER BY version SETTINGS non_replicated_deduplication_window = 1000""",
    ]


def pending(current: int) -> Iterable[int]:
    return range(current + 1, SCHEMA_VERSION + 1)
