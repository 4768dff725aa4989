"""Reading damaged and odd inputs: what survives, and how each problem is reported."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson
import pytest

from netvigil.ingest.chunks import analyze_chunk, envelope_problem
from netvigil.ingest.sources import Damage, Line, discover, read_lines
from nvtest import shared_path

FIXTURES = ("probecli_minipipeline", "generated")


def _measurements(count: int) -> list[bytes]:
    base = shared_path("ooni", *FIXTURES)
    files = sorted(base.glob("*/measurement.json"))[:count]
    return [orjson.dumps(json.loads(f.read_text())) for f in files]


def test_truncated_last_line_keeps_the_whole_lines(tmp_path: Path) -> None:
    lines = _measurements(3)
    path = tmp_path / "cut.jsonl"
    path.write_bytes(lines[0] + b"\n" + lines[1] + b"\n" + lines[2][: len(lines[2]) // 2])
    items = list(read_lines(path))
    assert [i.number for i in items] == [1, 2, 3]
    assert all(isinstance(i, Line) for i in items)
    result = analyze_chunk(path.name, [i for i in items if isinstance(i, Line)], None)
    assert result.batch.raw is not None and result.batch.raw.num_rows == 2
    assert [n for n, _ in result.bad] == [3]
    assert "truncated line" in result.bad[0][1]


def test_invalid_lines_are_reported_with_their_line_number(tmp_path: Path) -> None:
    good = _measurements(2)
    missing_cc = orjson.loads(good[0])
    del missing_cc["probe_cc"]
    wrong_type = orjson.loads(good[0])
    wrong_type["test_keys"] = "oops"
    body = [good[0], b"{not json", orjson.dumps(missing_cc), b"[1, 2]", orjson.dumps(wrong_type)]
    body.append(good[1])
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(body) + b"\n\n")
    lines = [i for i in read_lines(path) if isinstance(i, Line)]
    result = analyze_chunk(path.name, lines, None)
    reasons = dict(result.bad)
    assert sorted(reasons) == [2, 3, 4, 5]
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "missing envelope field 'probe_cc'"
    assert reasons[4] == "expected a JSON object, got list"
    assert reasons[5] == "field 'test_keys': expected an object, got str"
    assert result.batch.raw is not None and result.batch.raw.num_rows == 2


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (
            "measurement_start_time",
            12,
            "field 'measurement_start_time': expected a string, got int",
        ),
        ("measurement_start_time", "yesterday", "expected 'YYYY-MM-DD HH:MM:SS'"),
        ("probe_cc", "IRN", "expected a two-letter country code"),
        ("input", ["a", "b"], "field 'input': expected a string or null, got list"),
        ("test_name", None, "missing envelope field 'test_name'"),
    ],
)
def test_envelope_problems_name_the_field(field: str, value: object, expected: str) -> None:
    m = orjson.loads(_measurements(1)[0])
    m[field] = value
    problem = envelope_problem(m)
    assert problem is not None and expected in problem


def test_gz_cut_in_the_middle_keeps_what_was_read(tmp_path: Path) -> None:
    lines = _measurements(40)
    whole = gzip.compress(b"\n".join(lines) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    items = list(read_lines(path))
    damage = [i for i in items if isinstance(i, Damage)]
    kept = [i for i in items if isinstance(i, Line)]
    assert len(damage) == 1 and "compressed stream cut" in damage[0].reason
    assert 0 < len(kept) < 40
    assert damage[0].number == kept[-1].number + 1
    # every line read before the cut is a whole, parseable measurement
    assert all(orjson.loads(i.data)["test_name"] == "web_connectivity" for i in kept)


def test_s3_layout_is_walked_in_order(tmp_path: Path) -> None:
    line = _measurements(1)[0] + b"\n"
    names = [
        "raw/20240212/21/IT/webconnectivity/2024021221_IT_webconnectivity.n1.0.jsonl.gz",
        "raw/20240212/03/IR/telegram/2024021203_IR_telegram.n1.0.jsonl.gz",
        "raw/20240211/23/PK/webconnectivity/2024021123_PK_webconnectivity.n1.0.jsonl.gz",
    ]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(gzip.compress(line))
    (tmp_path / "raw" / "20240212" / "README.txt").write_text("not a measurement")
    found = [str(p.relative_to(tmp_path)) for p in discover([tmp_path / "raw"])]
    assert found == sorted(names)


def test_jsonc_document_with_comment_lines(tmp_path: Path) -> None:
    m = orjson.loads(_measurements(1)[0])
    text = "// a comment line as in OONI's testdata\n" + json.dumps(m, indent=2) + "\n"
    path = tmp_path / "one.jsonc"
    path.write_text(text)
    items = list(read_lines(path))
    assert len(items) == 1 and isinstance(items[0], Line)
    assert orjson.loads(items[0].data)["input"] == m["input"]


def test_the_probe_ip_is_never_stored(tmp_path: Path) -> None:
    m = orjson.loads(_measurements(1)[0])
    m["probe_ip"] = "203.0.113.77"
    result = analyze_chunk("x.jsonl", [Line(1, orjson.dumps(m), True)], None)
    raw = result.batch.raw
    assert raw is not None
    stored = raw.column("line")[0].as_py()
    assert raw.column("line_size")[0].as_py() == len(stored)
    assert b"203.0.113.77" not in stored
    assert orjson.loads(stored)["probe_ip"] == "127.0.0.1"


def test_a_big_jsonl_file_is_split_into_line_aligned_spans(tmp_path: Path) -> None:
    from netvigil.ingest.sources import SPLIT_BYTES, read_span, split

    lines = _measurements(50)
    path = tmp_path / "spool.jsonl"
    with open(path, "wb") as fh:
        written = 0
        while written < SPLIT_BYTES + 1:
            for line in lines:
                fh.write(line + b"\n")
                written += len(line) + 1
        fh.write(lines[0])  # a last line without newline
    total = path.read_bytes().count(b"\n") + 1
    spans = split(path, 2)
    assert spans is not None and len(spans) >= 2
    assert [s.last for s in spans].count(True) == 1 and spans[-1].last
    seen: list[int] = []
    for span in spans:
        for item in read_span(span):
            assert isinstance(item, Line)
            assert orjson.loads(item.data)["test_name"] == "web_connectivity"
            seen.append(item.number)
    # every line exactly once, numbered as in the file
    assert seen == list(range(1, total + 1))


def test_gz_members_padding_and_trailing_garbage(tmp_path: Path) -> None:
    one, two, three = _measurements(3)
    path = tmp_path / "members.jsonl.gz"
    # Two members (as `cat a.gz b.gz` makes), then gzip's tolerated zero padding.
    path.write_bytes(gzip.compress(one + b"\n" + two + b"\n") + gzip.compress(three) + b"\0" * 64)
    items = list(read_lines(path))
    assert [i.data for i in items if isinstance(i, Line)] == [one, two, three]
    assert not any(isinstance(i, Damage) for i in items)
    assert isinstance(items[-1], Line) and not items[-1].complete  # no newline after the last

    garbage = tmp_path / "garbage.jsonl.gz"
    garbage.write_bytes(gzip.compress(one + b"\n") + b"not a gzip member")
    items = list(read_lines(garbage))
    assert isinstance(items[0], Line) and items[0].data == one  # kept: read before the damage
    assert isinstance(items[1], Damage) and items[1].number == 2

    empty = tmp_path / "empty.jsonl.gz"
    empty.write_bytes(b"")
    assert list(read_lines(empty)) == []


def test_gz_corrupt_in_the_middle_keeps_the_lines_before(tmp_path: Path) -> None:
    lines = _measurements(200)
    data = bytearray(gzip.compress(b"\n".join(lines) + b"\n", compresslevel=1))
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    path = tmp_path / "corrupt.jsonl.gz"
    path.write_bytes(bytes(data))
    items = list(read_lines(path))
    kept = [i for i in items if isinstance(i, Line) and i.data in lines]
    assert isinstance(items[-1], Damage) and "corrupt" in items[-1].reason
    assert 0 < len(kept) < 200
    assert [i.data for i in kept] == lines[: len(kept)]  # the intact prefix, in order
    # the fast inflater stops at the corrupt byte and zlib takes over: no line comes twice
    numbers = [i.number for i in items if isinstance(i, Line)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_pipe_is_read_like_a_jsonl_file(tmp_path: Path) -> None:
    # `netvigil ingest <(zcat day.jsonl.gz)` names a pipe, not a regular file
    import os
    import threading

    lines = _measurements(3)
    pipe = tmp_path / "in.pipe"
    os.mkfifo(pipe)

    def feed() -> None:
        with open(pipe, "wb") as fh:
            fh.write(b"\n".join(lines) + b"\n")

    writer = threading.Thread(target=feed)
    writer.start()
    assert discover([pipe]) == [pipe]
    items = list(read_lines(pipe))
    writer.join()
    assert [i.data for i in items if isinstance(i, Line)] == lines
