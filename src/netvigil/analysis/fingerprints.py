"""OONI's blockpage fingerprints (ooni/blocking-fingerprints CSVs), precompiled for fast matching.

Columns: ``name, scope, other_names, location_found, pattern_type, pattern, confidence_no_fp,
expected_countries, source, exp_url, notes``. ``location_found`` is ``body``, ``header.<name>`` or
``dns``; ``pattern_type`` is ``full``, ``prefix``, ``contains`` or ``regexp``; scope ``fp`` marks
a known false positive, kept so that a match can be recorded without confirming anything.

Body matching runs on every plain-HTTP response, so the ~1,300 ``contains`` patterns go into one
Aho-Corasick automaton (ahocorasick-rs, over UTF-8 bytes): one pass over the body whatever the
number of patterns; each regexp is gated by its leading literal (a C-level substring test).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import ahocorasick_rs
import msgspec

from netvigil._errors import InputError, RemoteError

FILES = ("fingerprints_dns.csv", "fingerprints_http.csv")
PATTERN_TYPES = frozenset({"full", "prefix", "contains", "regexp"})
# Scopes that confirm blocking wherever they match (a national or ISP blocking system).
CONFIRMING_SCOPES = frozenset({"isp", "nat"})


class Fingerprint(msgspec.Struct, frozen=True):
    name: str
    scope: str
    location_found: str
    pattern_type: str
    pattern: str
    expected_countries: tuple[str, ...] = ()

    def confirms(self, probe_cc: str) -> bool:
        """OONI's rule: blocking is confirmed unless the fingerprint is a known false positive,
        when its scope is a national/ISP system or the probe's country is an expected one."""
        if self.scope == "fp":
            return False
        return self.scope in CONFIRMING_SCOPES or probe_cc in self.expected_countries


class Fingerprints:
    """All fingerprints of one load, indexed by where they are found."""

    def __init__(self, rows: Iterable[Fingerprint]) -> None:
        self.rows = tuple(rows)
        self._dns: dict[str, list[Fingerprint]] = {}
        self._body_full: dict[str, list[Fingerprint]] = {}
        self._body_prefix: list[Fingerprint] = []
        self._body_regexp: list[tuple[tuple[str, ...], re.Pattern[str], Fingerprint]] = []
        self._headers: dict[str, list[Fingerprint]] = {}
        contains: dict[str, list[Fingerprint]] = {}
        for fp in self.rows:
            where, kind = fp.location_found, fp.pattern_type
            if where == "dns":
                self._dns.setdefault(fp.pattern, []).append(fp)
            elif where == "body":
                if kind == "contains":
                    contains.setdefault(fp.pattern, []).append(fp)
                elif kind == "full":
                    self._body_full.setdefault(fp.pattern, []).append(fp)
                elif kind == "prefix":
                    self._body_prefix.append(fp)
                else:
                    self._body_regexp.append((_gate(fp.pattern), re.compile(fp.pattern), fp))
            elif where.startswith("header."):
                self._headers.setdefault(where[7:].lower(), []).append(fp)
        self._contains: list[tuple[Fingerprint, ...]] = [tuple(v) for v in contains.values()]
        self._automaton = (
            ahocorasick_rs.BytesAhoCorasick(
                [p.encode() for p in contains], implementation=ahocorasick_rs.Implementation.DFA
            )
            if contains
            else None
        )
        self._prefixes = tuple(fp.pattern for fp in self._body_prefix)
        # per header: (prefix tuple for one C-level startswith, their rows, full values, rest)
        self._header_index: dict[
            str,
            tuple[
                tuple[str, ...], list[Fingerprint], dict[str, list[Fingerprint]], list[Fingerprint]
            ],
        ] = {}
        for header, fps in self._headers.items():
            prefix_fps = [fp for fp in fps if fp.pattern_type == "prefix"]
            full_values: dict[str, list[Fingerprint]] = {}
            for fp in fps:
                if fp.pattern_type == "full":
                    full_values.setdefault(fp.pattern, []).append(fp)
            rest = [fp for fp in fps if fp.pattern_type in ("contains", "regexp")]
            self._header_index[header] = (
                tuple(fp.pattern for fp in prefix_fps),
                prefix_fps,
                full_values,
                rest,
            )

    def __len__(self) -> int:
        return len(self.rows)

    def match_dns(self, ip: str) -> list[Fingerprint]:
        return self._dns.get(ip, [])

    def match_body(self, body: str) -> list[Fingerprint]:
        if not body:
            return []
        found: list[Fingerprint] = []
        if self._automaton is not None:
            for index, _start, _end in self._automaton.find_matches_as_indexes(
                body.encode("utf-8", "surrogatepass"), overlapping=True
            ):
                found.extend(self._contains[index])
        found.extend(self._body_full.get(body, ()))
        if self._prefixes and body.startswith(self._prefixes):
            found.extend(fp for fp in self._body_prefix if body.startswith(fp.pattern))
        for literals, rx, fp in self._body_regexp:
            for literal in literals:  # a loop, not all(genexpr): this runs for every body
                if literal not in body:
                    break
            else:
                if rx.search(body):
                    found.append(fp)
        return found

    def match_headers(self, headers: Mapping[str, object]) -> list[Fingerprint]:
        found: list[Fingerprint] = []
        if not self._headers:
            return found
        for name, value in headers.items():
            index = self._header_index.get(name.lower())
            if index is None or not isinstance(value, str):
                continue
            prefixes, prefix_fps, full, others = index
            if prefixes and value.startswith(prefixes):
                found.extend(fp for fp in prefix_fps if value.startswith(fp.pattern))
            found.extend(full.get(value, ()))
            for fp in others:
                if fp.pattern_type == "contains":
                    if fp.pattern in value:
                        found.append(fp)
                elif re.search(fp.pattern, value):
                    found.append(fp)
        return found

    @classmethod
    def load(cls, source: str | Path) -> Fingerprints:
        """Load ``fingerprints_dns.csv`` and ``fingerprints_http.csv`` from a directory or URL."""
        text = str(source)
        if text.startswith(("http://", "https://")):
            return cls(_rows_from_url(text))
        folder = Path(source)
        if not folder.is_dir():
            raise InputError(
                "expected a directory holding fingerprints_dns.csv and fingerprints_http.csv",
                path=folder,
            )
        rows: list[Fingerprint] = []
        for name in FILES:
            path = folder / name
            if not path.exists():
                raise InputError(f"missing {name}", path=folder, hint="OONI's CSV format")
            rows.extend(parse_csv(path.read_text(encoding="utf-8"), str(path)))
        return cls(rows)


_REGEX_META = frozenset(".^$*+?{}[]\\|()")


# A regexp made only of literal text and ``.*`` (most blockpage regexps): every match contains
# each literal run, so a body lacking one is skipped with C-level substring tests.
_LITERALS_AND_WILDCARDS = re.compile(r"(?:[^.^$*+?{}\[\]\\|()]|\\[^A-Za-z0-9]|\.\*)*")
_TOKEN = re.compile(r"\\(.)|(\.\*)|(.)", re.DOTALL)


def _gate(pattern: str) -> tuple[str, ...]:
    """Substrings a body must contain for ``pattern`` to match in it."""
    if not _LITERALS_AND_WILDCARDS.fullmatch(pattern):
        return (_literal_prefix(pattern),)
    runs = [""]
    for escaped, wildcard, char in _TOKEN.findall(pattern):
        if wildcard:
            runs.append("")
        else:
            runs[-1] += escaped or char
    return tuple(run for run in runs if run)


def _literal_prefix(pattern: str) -> str:
    """The literal text a regexp must contain at its start ("" when it starts with syntax)."""
    out = []
    for ch in pattern:
        if ch in _REGEX_META:
            break
        out.append(ch)
    # a quantifier applies to the last literal character: it is then not required
    if len(out) < len(pattern) and pattern[len(out)] in "*?{":
        out = out[:-1]
    return "".join(out)


def _rows_from_url(base: str) -> list[Fingerprint]:
    import httpx

    rows: list[Fingerprint] = []
    for name in FILES:
        url = f"{base.rstrip('/')}/{name}"
        try:
            response = httpx.get(url, timeout=30, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot fetch fingerprints from {url}: {exc}") from exc
        rows.extend(parse_csv(response.text, url))
    return rows


def parse_csv(text: str, where: str) -> list[Fingerprint]:
    """Rows of one OONI fingerprints CSV; a bad row is an InputError naming file, line, field."""
    rows: list[Fingerprint] = []
    reader = csv.DictReader(io.StringIO(text))
    for field in ("name", "scope", "location_found", "pattern_type", "pattern"):
        if field not in (reader.fieldnames or ()):
            raise InputError("missing column", path=where, line=1, field=field)
    for row in reader:
        line = reader.line_num
        kind = (row.get("pattern_type") or "").strip()
        if kind not in PATTERN_TYPES:
            raise InputError(
                f"expected one of {sorted(PATTERN_TYPES)}, got {kind!r}",
                path=where,
                line=line,
                field="pattern_type",
            )
        where_found = (row.get("location_found") or "").strip()
        if where_found not in ("body", "dns") and not where_found.startswith("header."):
            raise InputError(
                f"expected body, dns or header.<name>, got {where_found!r}",
                path=where,
                line=line,
                field="location_found",
            )
        pattern = row.get("pattern") or ""
        if kind == "regexp":
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(
                    f"invalid regexp: {exc}", path=where, line=line, field="pattern"
                ) from exc
        countries = tuple(
            c.strip().upper() for c in (row.get("expected_countries") or "").split(",") if c.strip()
        )
        rows.append(
            Fingerprint(
                name=(row.get("name") or "").strip(),
                scope=(row.get("scope") or "").strip(),
                location_found=where_found,
                pattern_type=kind,
                pattern=pattern,
                expected_countries=countries,
            )
        )
    return rows
