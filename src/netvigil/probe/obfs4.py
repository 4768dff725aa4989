"""The obfs4 handshake with a Tor bridge, through Debian's ``obfs4proxy`` (tor's own transport).

obfs4 (Elligator2 keys, an ntor-like handshake, padding) is not something to write again: the
probe runs the maintained implementation, ``obfs4proxy`` (``apt-get install obfs4proxy``), as a
managed pluggable-transport client (Tor's PT 1.0 protocol: environment in, ``CMETHOD`` line out)
and asks its SOCKS5 port to reach the bridge, with the bridge's ``cert`` and ``iat-mode`` as the
SOCKS credentials. obfs4proxy answers the SOCKS request only after the obfs4 handshake is done,
so its reply is the handshake's outcome: success, or a SOCKS error code that tells a connect
failure (refused, unreachable) from a handshake failure. The TCP connect to the bridge is made by
obfs4proxy: its ``tcp_connect`` record is written from that reply. SOCKS5 is spoken here in a few
lines because only its reply code matters (python-socks would hide it in an exception text).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import struct
import tempfile

from netvigil.probe.fetch import Network
from netvigil.probe.records import NetworkEvent, TcpConnect, TcpStatus
from netvigil.probe.steps import Trace, endpoint
from netvigil.probe.targets import CONNECT, TLS_HANDSHAKE, Outcome
from netvigil.probe.tor_targets import TorTarget

BINARY = "obfs4proxy"
HANDSHAKE_FAILED = "unknown_failure: obfs4 handshake failed"
NOT_INSTALLED = "unknown_failure: obfs4proxy is not installed (apt-get install obfs4proxy)"
# SOCKS5 reply codes obfs4proxy sends (goptlib's socks server) -> OONI failure, and whether the
# failure came before the handshake (the connect).
SOCKS_FAILURES: dict[int, tuple[str, bool]] = {
    1: (HANDSHAKE_FAILED, False),  # the obfs4 handshake failed (no finer reason given)
    3: ("network_unreachable", True),
    4: ("host_unreachable", True),
    5: ("connection_refused", True),
    6: ("generic_timeout_error", True),
}


async def obfs4_target(trace: Trace, net: Network, target: TorTarget) -> Outcome:
    """Connect to the bridge and do the obfs4 handshake; the outcome as OONI's tor records it."""
    host, port = target.host_port
    tid = trace.new_id()
    t0 = trace.now()
    if shutil.which(BINARY) is None:
        return Outcome(NOT_INSTALLED, TLS_HANDSHAKE)
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        return Outcome("unknown_failure: an obfs4 bridge needs an IP address", CONNECT)
    limit = net.tcp_timeout + net.tls_timeout
    with tempfile.TemporaryDirectory(prefix="nv-obfs4-") as state:
        proc = await asyncio.create_subprocess_exec(
            BINARY,
            "-enableLogging=false",
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "TOR_PT_MANAGED_TRANSPORT_VER": "1",
                "TOR_PT_CLIENT_TRANSPORTS": "obfs4",
                "TOR_PT_STATE_LOCATION": state,
                "TOR_PT_EXIT_ON_STDIN_CLOSE": "1",
            },
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            socks = await asyncio.wait_for(_socks_port(proc), limit)
            code = await asyncio.wait_for(_socks_connect(socks, address, port, target), limit)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            code = 6 if isinstance(exc, TimeoutError) else 1
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    failure, at_connect = SOCKS_FAILURES.get(code, (HANDSHAKE_FAILED, False))
    failure_or_none = None if code == 0 else failure
    connect_failure = failure_or_none if at_connect else None
    t = trace.now()
    where = endpoint(address, port)
    trace.network_events.append(
        NetworkEvent("connect", connect_failure, t0, t, tid, address=where, proto="tcp")
    )
    trace.tcp_connect.append(
        TcpConnect(address, port, TcpStatus(connect_failure, connect_failure is None), t, [], tid)
    )
    if code == 0:
        return Outcome(None, None, [address], where)
    return Outcome(failure, CONNECT if at_connect else TLS_HANDSHAKE, [address], where)


async def _socks_port(proc: asyncio.subprocess.Process) -> int:
    """Read obfs4proxy's PT handshake on stdout until it names its SOCKS5 port."""
    assert proc.stdout is not None
    while True:
        line = (await proc.stdout.readline()).decode("ascii", "replace").strip()
        if not line:
            raise ValueError("obfs4proxy exited before naming its SOCKS port")
        words = line.split()
        if words[0] == "CMETHOD" and len(words) >= 4 and words[1] == "obfs4":
            return int(words[3].rsplit(":", 1)[1])
        if words[0] in ("CMETHOD-ERROR", "ENV-ERROR", "VERSION-ERROR"):
            raise ValueError(line)


def _credentials(target: TorTarget) -> tuple[bytes, bytes]:
    """The bridge's parameters as PT 1.0 SOCKS credentials (``k=v;k=v`` split over two fields)."""
    args = ";".join(
        f"{key}={value.replace(chr(92), chr(92) * 2).replace(';', chr(92) + ';')}"
        for key in ("cert", "iat-mode")
        for value in target.params.get(key, ["0"] if key == "iat-mode" else [])[:1]
    ).encode()
    return args[:255], (args[255:] or b"\x00")


async def _socks_connect(socks_port: int, address: str, port: int, target: TorTarget) -> int:
    """SOCKS5 CONNECT through obfs4proxy; its reply code (0 = connected, handshake done)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", socks_port)
    try:
        writer.write(b"\x05\x01\x02")  # version 5, one method: username/password
        if await reader.readexactly(2) != b"\x05\x02":
            raise ValueError("obfs4proxy refused username/password authentication")
        user, password = _credentials(target)
        writer.write(bytes([1, len(user)]) + user + bytes([len(password)]) + password)
        if (await reader.readexactly(2))[1] != 0:
            raise ValueError("obfs4proxy refused the bridge's parameters")
        packed = ipaddress.ip_address(address).packed
        kind = 1 if len(packed) == 4 else 4
        writer.write(b"\x05\x01\x00" + bytes([kind]) + packed + struct.pack(">H", port))
        reply = await reader.readexactly(2)
        return reply[1]
    finally:
        writer.close()
