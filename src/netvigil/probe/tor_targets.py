"""The tor test's targets, in OONI's format (ts-023-tor, "Expected inputs").

OONI's backend hands them out at check-in as one JSON object, target id -> target::

    {"<id>": {"address": "198.51.100.7:9001", "protocol": "or_port_dirauth",
              "name": "moria1", "fingerprint": "...", "params": {"cert": ["..."]}}}

``protocol`` is ``dir_port``, ``or_port``, ``or_port_dirauth`` or ``obfs4`` (anything else is a
plain TCP connect, as in the specification). The file is checked whole before anything is
measured: JSON that does not parse, or a target without an address or with one that is not
``HOST:PORT``, is an error naming the file, the line and the field. Bridges' addresses are
secret: they are never printed (errors name the target id and field, not the address).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netvigil._errors import InputError
from netvigil.probe.steps import split_endpoint

PROTOCOLS = ("dir_port", "or_port", "or_port_dirauth", "obfs4")
# Bridges handed out privately (``"source": "bridgedb"``) are secret: their addresses are
# scrubbed from the measurement, as OONI's probe does; directory authorities and default bridges
# are public and stay.
PRIVATE_SOURCE = "bridgedb"


@dataclass(frozen=True)
class TorTarget:
    id: str
    address: str  # HOST:PORT
    protocol: str
    name: str = ""
    fingerprint: str = ""
    params: dict[str, list[str]] = field(default_factory=dict)
    source: str = ""  # "bridgedb": a private bridge, whose address is scrubbed from the data

    @property
    def host_port(self) -> tuple[str, int]:
        return split_endpoint(self.address)

    @property
    def private(self) -> bool:
        return self.source == PRIVATE_SOURCE


def load_targets(path: Path) -> tuple[TorTarget, ...]:
    """The targets in ``path``, in file order; InputError (file, line, field) if it is bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the tor targets: {exc}", path=path) from None
    return parse_targets(text, path)


def parse_targets(text: str, path: Path | str) -> tuple[TorTarget, ...]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not JSON: {exc.msg} (column {exc.colno})",
            path=path,
            line=exc.lineno,
            hint='OONI\'s format: {"<id>": {"address": "HOST:PORT", "protocol": "obfs4"}}',
        ) from None
    if isinstance(raw, dict) and isinstance(raw.get("tor"), dict):
        raw = raw["tor"]  # a check-in answer's "tor" section, as the backend sends it
    if not isinstance(raw, dict) or not raw:
        raise InputError(
            "expected a JSON object of targets by id",
            path=path,
            line=1,
            hint='{"<id>": {"address": "HOST:PORT", "protocol": "or_port_dirauth"}}',
        )
    return tuple(_target(tid, value, text, path) for tid, value in raw.items())


def _line_of(text: str, key: str) -> int | None:
    """The line of ``"key":`` in the JSON text (json.loads keeps no positions)."""
    match = re.search(re.escape(json.dumps(key)) + r"\s*:", text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _target(tid: str, value: Any, text: str, path: Path | str) -> TorTarget:
    line = _line_of(text, tid)

    def bad(name: str, message: str) -> InputError:
        return InputError(message, path=path, line=line, field=f"{tid}.{name}")

    if not isinstance(value, dict):
        raise InputError("a target must be an object", path=path, line=line, field=tid)
    address, protocol = value.get("address"), value.get("protocol")
    if not isinstance(address, str) or not address:
        raise bad("address", "missing: HOST:PORT expected")
    try:
        split_endpoint(address)
    except ValueError:
        raise bad("address", "not HOST:PORT (e.g. 198.51.100.7:9001)") from None
    if not isinstance(protocol, str) or not protocol:
        raise bad("protocol", f"missing: one of {', '.join(PROTOCOLS)} expected")
    params = value.get("params") or {}
    if not isinstance(params, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in params.values()
    ):
        raise bad("params", "expected an object of string lists")
    if protocol == "obfs4" and not params.get("cert"):
        raise bad("params", "an obfs4 bridge needs params.cert")
    name, fingerprint = value.get("name") or "", value.get("fingerprint") or ""
    source = value.get("source") or ""
    if not all(isinstance(v, str) for v in (name, fingerprint, source)):
        raise bad("name", "name, fingerprint and source must be strings")
    return TorTarget(tid, address, protocol, name, fingerprint, params, source)
