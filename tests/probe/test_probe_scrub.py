"""The probe's public address never reaches what it stores (security audit H1).

On c7f86ae nothing looked the public address up, and even a given ``--public-ip`` survived in a
non-UTF-8 body (stored as base64), a gzip body, IPv4-mapped IPv6 and upper-case or expanded IPv6.
Each test here runs the real probe against a loopback page that shows the address in one form
or encoding, then decodes *everything* stored (base64, then the content-encoding, then Latin-1
and UTF-16 text) and searches it for every spelling of the address, written out by hand below.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from probe_servers import World, closed_port
from typer.testing import CliRunner

from netvigil.cli.main import app
from netvigil.probe.consent import NOTICE
from netvigil.probe.iplookup import lookup_url, parse_answer

PUBLIC_V4 = "203.0.113.77"  # what the world's pages show as the client's public address
PUBLIC_V6 = "2001:db8::77"
# Every spelling a page may use, lower case (the search is on lower-cased text).
SPELLINGS = (
    "203.0.113.77",
    "203-0-113-77",
    "::ffff:203.0.113.77",
    "::ffff:cb00:714d",  # the same IPv4-mapped address in hex
    "2001:db8::77",
    "2001:0db8:0000:0000:0000:0000:0000:0077",
    "2001:db8:0:0:0:0:0:77",
)


def _run(world: World, tmp_path: Path, *args: str, **env: str) -> tuple[Any, list[dict[str, Any]]]:
    out = tmp_path / "m.jsonl"
    result = CliRunner().invoke(
        app, ["probe", "--yes", "--no-progress", "-o", str(out), *args], env=world.env(**env)
    )
    lines = out.read_text().splitlines() if out.exists() else []
    return result, [json.loads(line) for line in lines]


def _texts(value: Any, codings: list[str] | None = None) -> list[str]:
    """Every string stored, with binary and content-encoded bodies decoded as a reader would."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if not isinstance(value, dict):
        return []
    if value.get("format") == "base64" and isinstance(value.get("data"), str):
        data = base64.b64decode(value["data"])
        for coding in reversed(codings or []):
            data = gzip.decompress(data) if coding == "gzip" else zlib.decompress(data)
        texts = [data.decode("latin-1")]
        for codec in ("utf-16", "utf-16-le", "utf-16-be"):
            texts.append(data.decode(codec, errors="ignore"))
        return texts
    pairs = value.get("headers_list") or []
    found = [v.lower() for k, v in pairs if k.lower() == "content-encoding"]
    out = []
    for key, item in value.items():
        nested = found if key == "body" and found else None
        out += [key, *_texts(item, nested)]
    return out


def _leaks(measurements: list[dict[str, Any]]) -> list[str]:
    text = "\n".join(_texts(measurements)).lower()
    return [s for s in SPELLINGS if s in text]


def _body_texts(m: dict[str, Any]) -> list[str]:
    return _texts(m["test_keys"]["requests"][0]["response"])


BOTH = {"NETVIGIL_PROBE__PUBLIC_IPS": f"{PUBLIC_V4},{PUBLIC_V6}"}


# Audit H1: each form and encoding a page may show the public address in.
@pytest.mark.parametrize(
    "kind", ["latin1", "utf16", "gzip", "deflate", "gzip-latin1", "mapped", "v6", "dashed"]
)
def test_h1_the_public_address_is_scrubbed_in_every_encoding(
    world: World, tmp_path: Path, kind: str
) -> None:
    result, [m] = _run(world, tmp_path, f"{world.http}/echo-{kind}", **BOTH)
    assert result.exit_code == 0, result.output
    assert f"/echo-{kind}" in world.behaviour.requests  # the page did show it
    assert m["test_keys"]["requests"][0]["response"]["code"] == 200
    assert _leaks([m]) == []
    # scrubbed, not lost: the marker stands where the address was
    assert any("[scrubbed]" in t for t in _body_texts(m))


# Audit H1: a coding the probe cannot decode cannot be checked, so the body is not kept.
def test_h1_a_body_in_an_unknown_content_encoding_is_not_kept(world: World, tmp_path: Path) -> None:
    result, [m] = _run(world, tmp_path, f"{world.http}/echo-br", **BOTH)
    assert result.exit_code == 0, result.output
    body = m["test_keys"]["requests"][0]["response"]["body"]
    assert body == "[scrubbed: body in br not checked]"
    assert _leaks([m]) == []


# Audit H1: with no --public-ip at all, the address is looked up before measuring (here from a
# lookup service that sees the probe behind NAT) and scrubbed.
def test_h1_the_public_address_is_learned_before_measuring(world: World, tmp_path: Path) -> None:
    lookup = {"NETVIGIL_PROBE__IP_LOOKUP_URL": f"{world.http}/whoami"}
    result, [m] = _run(world, tmp_path, f"{world.http}/echo", **lookup)
    assert result.exit_code == 0, result.output
    assert "/whoami" in world.behaviour.requests
    assert PUBLIC_V4 not in json.dumps(m)
    assert "public [scrubbed]" in m["test_keys"]["requests"][0]["response"]["body"]
    assert "public_ip_unknown" not in m["annotations"]
    assert "unknown" not in result.output


# Audit H1: the default lookup service is the test helper itself (GET /ip).
def test_h1_the_helper_tells_a_probe_its_address(world: World) -> None:
    assert lookup_url(world.helper_url, None) == world.helper_url + "ip"
    answer = httpx.get(world.helper_url + "ip", trust_env=False).json()
    assert answer == {"ip": "127.0.0.1"}
    # the answers of other lookup services are read too
    assert parse_answer(b"fl=1\nip=198.51.100.9\nts=1\n") == "198.51.100.9"  # Cloudflare trace
    assert parse_answer(b'{"ip": "::ffff:198.51.100.9"}') == "198.51.100.9"
    assert parse_answer(b"<html>no</html>") is None


# Audit H1: when the address cannot be learned, the run says so and every measurement is marked;
# the consent notice tells the user beforehand.
@pytest.mark.parametrize("how", ["unreachable", "--no-ip-lookup"])
def test_h1_an_unknown_public_address_is_said_and_marked(
    world: World, tmp_path: Path, how: str
) -> None:
    args = ["--no-ip-lookup"] if how == "--no-ip-lookup" else []
    dead = {"NETVIGIL_PROBE__IP_LOOKUP_URL": f"http://127.0.0.1:{closed_port()}/ip"}
    result, [m] = _run(world, tmp_path, *args, f"{world.http}/", **dead)
    assert result.exit_code == 0, result.output
    assert "warning: your public address is unknown" in result.output
    assert m["annotations"]["public_ip_unknown"] == "true"
    assert "cannot be learned" in NOTICE and "public_ip_unknown" in NOTICE


def test_h1_a_given_public_address_needs_no_lookup_and_no_mark(
    world: World, tmp_path: Path
) -> None:
    dead = {"NETVIGIL_PROBE__IP_LOOKUP_URL": f"http://127.0.0.1:{closed_port()}/ip"}
    result, [m] = _run(world, tmp_path, "--public-ip", PUBLIC_V4, f"{world.http}/echo", **dead)
    assert result.exit_code == 0, result.output
    assert "public_ip_unknown" not in m["annotations"] and PUBLIC_V4 not in json.dumps(m)
