"""Removing the probe's own addresses from a measurement, in every form a server may echo them.

Servers echo the client's address in bodies, headers, titles and redirect URLs ("your IP is",
CDN and captcha pages). OONI scrubs the probe's IP from the whole measurement and so do we, in
keys and values alike, and -- the gaps the security audit found (H1) -- also:

- in every spelling: an IPv4 address with leading zeros (``203.000.113.050``), dashed as in a
  reverse-DNS name (``203-0-113-50.dyn.example``), IPv4-mapped (``::ffff:203.0.113.50``); an
  IPv6 address in upper case or expanded (``2001:DB8:0:0:0:0:0:50``): every address-like token
  is parsed and compared by value, not by text;
- inside bodies that are not UTF-8 text, which OONI stores as ``{"format": "base64", "data"}``:
  the bytes are decoded and scrubbed (also as UTF-16) and encoded again;
- inside bodies sent with a ``Content-Encoding`` (gzip, deflate; several in a row): decoded,
  scrubbed and, when the address was there, encoded again with the same codings, so the record
  stays what a client would have received. A body whose coding cannot be decoded here (br, a
  corrupt stream, one larger than ``MAX_DECODED`` once decoded) cannot be checked, so it is not
  kept: it is replaced by ``[scrubbed: ...]`` and the reason.

Addresses the probe connected *to* are servers' (public in DNS) and are never passed here.
"""

from __future__ import annotations

import base64
import gzip
import ipaddress
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

SCRUBBED = "[scrubbed]"  # OONI's replacement for the probe's address inside recorded data
MAX_DECODED = 64 << 20  # a content-encoded body larger than this once decoded is not kept
_DECODERS = ("gzip", "x-gzip", "deflate", "identity")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Targets:
    """The addresses to scrub, parsed once."""

    v4: frozenset[ipaddress.IPv4Address]
    v6: frozenset[ipaddress.IPv6Address]

    @classmethod
    def of(cls, addresses: Iterable[str]) -> Targets:
        v4: set[ipaddress.IPv4Address] = set()
        v6: set[ipaddress.IPv6Address] = set()
        for text in addresses:
            try:
                addr = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError:
                continue
            if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
                addr = addr.ipv4_mapped
            (v4 if isinstance(addr, ipaddress.IPv4Address) else v6).add(addr)  # type: ignore[arg-type]
        return cls(frozenset(v4), frozenset(v6))

    def __bool__(self) -> bool:
        return bool(self.v4 or self.v6)

    @cached_property
    def anchors(self) -> frozenset[str]:
        """Substrings (lower case) one of which every spelling of every target contains."""
        out: set[str] = set()
        for a4 in self.v4:
            out.add(max(str(a4).split("."), key=len))  # dotted, dashed, mapped dotted
            n = int(a4)
            out.add(max(f"{n >> 16:x}", f"{n & 0xFFFF:x}", key=len))  # mapped as hex
        for a6 in self.v6:
            groups = [int(g, 16) for g in a6.exploded.split(":")]
            if any(groups[:6]):
                out.add(max((f"{g:x}" for g in groups[:6] if g), key=len))
            else:  # ::a.b.c.d and the like: the low 32 bits as hex or as a dotted address
                low = groups[6] << 16 | groups[7]
                out.add(max(f"{groups[6]:x}", f"{groups[7]:x}", key=len))
                out.add(max(str(ipaddress.IPv4Address(low)).split("."), key=len))
        return frozenset(out)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """One regular expression of every spelling of every target (see the module doc)."""
        alternatives = [p for a in sorted(self.v6) for p in _v6_spellings(a)]
        dotted = []
        for a4 in sorted(self.v4):
            alternatives += _v6_spellings(ipaddress.IPv6Address(f"::ffff:{a4}"))
            octets = [_decimal(int(o), 3) for o in str(a4).split(".")]
            dotted += [r"\.".join(octets), "-".join(octets)]  # dashed: reverse-DNS names
        parts = []
        if alternatives:
            parts.append(r"(?<![0-9a-f])(?:" + "|".join(alternatives) + r")(?![0-9a-f])")
        if dotted:
            before, after = r"(?<![0-9])(?<![0-9][.-])", r"(?![0-9])(?![.-][0-9])"
            parts.append(before + "(?:" + "|".join(dotted) + ")" + after)
        return re.compile("|".join(parts), re.IGNORECASE)


def scrub(value: Any, addresses: Iterable[str]) -> Any:
    """``value`` (plain JSON values) with every one of ``addresses`` replaced by ``[scrubbed]``."""
    targets = Targets.of(a for a in addresses if a)
    if not targets:
        return value
    return _walk(value, targets)


def scrub_text(text: str, targets: Targets) -> str:
    """``text`` with every spelling of the target addresses replaced by ``[scrubbed]``.

    The expression of every spelling is slow to run over a whole page (a few seconds for 4 MB),
    so it runs only around the places where an anchor is found: a substring every spelling of
    an address contains (e.g. ``113`` for 203.0.113.50, ``2001`` for 2001:db8::50).
    """
    low = text.translate(_HEX_LOWER)  # str.lower() may change the length of non-ASCII text
    spans: list[tuple[int, int]] = []
    for anchor in targets.anchors:
        at = low.find(anchor)
        while at >= 0:
            spans.append((max(0, at - _MARGIN), at + len(anchor) + _MARGIN))
            at = low.find(anchor, at + 1)
    if not spans:
        return text
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    if sum(e - s for s, e in merged) * 2 > len(text):
        return targets.pattern.sub(SCRUBBED, text)
    out, last = [], 0
    for start, end in merged:
        out += [text[last:start], targets.pattern.sub(SCRUBBED, text[start:end])]
        last = end
    out.append(text[last:])
    return "".join(out)


# Around an anchor, the longest spelling (0000:0000:0000:0000:0000:ffff:203.000.113.050, 45
# characters) and the two characters the expression looks at on either side.
_MARGIN = 50
_HEX_LOWER = str.maketrans("ABCDEF", "abcdef")


def _decimal(value: int, width: int) -> str:
    """A number with up to ``width`` digits in all, leading zeros allowed (``0{0,2}50``)."""
    digits = str(value)
    return f"0{{0,{width - len(digits)}}}{digits}" if value else f"0{{1,{width}}}"


def _hextet(value: int) -> str:
    digits = f"{value:x}"
    return f"0{{0,{4 - len(digits)}}}{digits}" if value else "0{1,4}"


def _v6_spellings(addr: ipaddress.IPv6Address) -> list[str]:
    """Regular expressions of every way to write ``addr``: with or without leading zeros,
    any run of zero groups compressed to ``::`` (or none), and the last 32 bits as a dotted
    IPv4 address (``::ffff:203.0.113.50``) or as two groups (``::ffff:cb00:7132``)."""
    groups = [int(g, 16) for g in addr.exploded.split(":")]
    low = groups[6] << 16 | groups[7]
    tail_v4 = r"\.".join(_decimal(low >> s & 0xFF, 3) for s in (24, 16, 8, 0))
    out = []
    for tail in ("hex", "dotted"):
        cells = [_hextet(g) for g in groups[:6]] + (
            [_hextet(g) for g in groups[6:]] if tail == "hex" else [tail_v4]
        )
        values = groups[:6] + (groups[6:] if tail == "hex" else [low])
        out.append(":".join(cells))
        for i in range(len(cells)):
            for j in range(i + 1, len(cells) + 1):
                if any(values[k] for k in range(i, j)):
                    break
                if tail == "dotted" and j == len(cells):
                    continue  # "::" cannot stand for the dotted part
                out.append(":".join(cells[:i]) + "::" + ":".join(cells[j:]))
    return out


def scrub_bytes(data: bytes, targets: Targets) -> bytes:
    """Bytes of any text encoding: ASCII-compatible ones (Latin-1, Windows-125x, GBK, UTF-8...)
    and UTF-16 (both byte orders) are searched; the rest of the bytes stay as they are."""
    text = data.decode("latin-1")  # one char per byte: offsets and other bytes survive
    scrubbed = scrub_text(text, targets).encode("latin-1", errors="replace")
    for codec in ("utf-16-le", "utf-16-be"):
        for spelling in _spellings(targets):
            scrubbed = scrubbed.replace(spelling.encode(codec), SCRUBBED.encode(codec))
    return scrubbed


def _spellings(targets: Targets) -> list[str]:
    out = [str(a) for a in targets.v4]
    for a6 in targets.v6:
        out += [str(a6), a6.exploded, str(a6).upper()]
    return out


def _walk(value: Any, targets: Targets) -> Any:
    if isinstance(value, str):
        return scrub_text(value, targets)
    if isinstance(value, dict):
        if _is_binary(value):
            raw = base64.b64decode(value["data"])
            return {**value, "data": base64.b64encode(scrub_bytes(raw, targets)).decode("ascii")}
        if "body" in value and ("headers_list" in value or "headers" in value):
            value = _http_message(value, targets)
        return {_walk(k, targets): _walk(v, targets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, targets) for v in value]
    return value


def _is_binary(value: dict[str, Any]) -> bool:
    """OONI's MaybeBinaryValue: ``{"format": "base64", "data": "..."}``."""
    if value.get("format") != "base64" or not isinstance(value.get("data"), str):
        return False
    try:
        base64.b64decode(value["data"], validate=True)
    except ValueError:
        return False
    return True


def _codings(message: dict[str, Any]) -> list[str]:
    """The Content-Encoding codings of an HTTP message record, in the order applied."""
    pairs = message.get("headers_list")
    if isinstance(pairs, list):
        values = [
            str(p[1]) for p in pairs if isinstance(p, list | tuple) and len(p) == 2
            and str(p[0]).lower() == "content-encoding"
        ]  # fmt: skip
    else:
        headers = message.get("headers") if isinstance(message.get("headers"), dict) else {}
        assert isinstance(headers, dict)
        values = [str(v) for k, v in headers.items() if str(k).lower() == "content-encoding"]
    return [c.strip().lower() for v in values for c in v.split(",") if c.strip()]


def _http_message(message: dict[str, Any], targets: Targets) -> dict[str, Any]:
    """An HTTP request/response record whose body is content-encoded: scrubbed inside."""
    codings = [c for c in _codings(message) if c != "identity"]
    body = message.get("body")
    if not codings or body is None:
        return message
    if isinstance(body, str):
        raw = body.encode("utf-8", errors="surrogateescape")
    elif isinstance(body, dict) and _is_binary(body):
        raw = base64.b64decode(body["data"])
    else:
        return message
    if not raw:
        return message
    unknown = [c for c in codings if c not in _DECODERS]
    if unknown:
        return {**message, "body": f"{SCRUBBED[:-1]}: body in {', '.join(unknown)} not checked]"}
    try:
        plain = raw
        for coding in reversed(codings):
            plain = _decode(coding, plain)
    except (OSError, EOFError, zlib.error, ValueError) as exc:
        return {**message, "body": f"{SCRUBBED[:-1]}: undecodable {codings[0]} body: {exc}]"}
    cleaned = scrub_bytes(plain, targets)
    if cleaned == plain:
        return message  # nothing of ours inside: the body stays byte for byte
    for coding in codings:
        cleaned = _encode(coding, cleaned)
    data = base64.b64encode(cleaned).decode("ascii")
    return {**message, "body": {"format": "base64", "data": data}}


def _decode(coding: str, data: bytes) -> bytes:
    if coding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header, auto-detected
    else:  # deflate: zlib-wrapped as the RFC says, or raw as some servers send it
        inflater = zlib.decompressobj(wbits=15 if data[:1] == b"\x78" else -15)
    out = inflater.decompress(data, MAX_DECODED + 1)
    if len(out) > MAX_DECODED:
        raise ValueError(f"larger than {MAX_DECODED} bytes once decoded")
    return out


def _encode(coding: str, data: bytes) -> bytes:
    if coding in ("gzip", "x-gzip"):
        return gzip.compress(data, mtime=0)
    return zlib.compress(data)
