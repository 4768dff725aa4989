"""The probe's side of OONI's test-helper protocol (the "control" measurement).

POST ``{http_request, http_request_headers, tcp_connect:["ip:port", ...]}`` as JSON to the helper
(ours, ``netvigil helper``, or OONI's ``https://0.th.ooni.org/``); the answer becomes
``test_keys.control``. An unreachable or broken helper is data (``control_failure``), never a
crash: the verdict is then ``blocking: null`` as in OONI.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import orjson

from netvigil.probe.failures import failure_of
from netvigil.probe.fetch import REQUEST_HEADERS
from netvigil.probe.steps import endpoint

CONTROL_KEYS = ("tcp_connect", "http_request", "dns")  # what a usable answer must contain


def control_request(url: str, addresses: list[str], port: int) -> dict[str, Any]:
    """The TH request body, as OONI Probe sends it (headers as lists of values)."""
    return {
        "http_request": url,
        "http_request_headers": {name: [value] for name, value in REQUEST_HEADERS},
        "tcp_connect": [endpoint(ip, port) for ip in addresses],
        "x_quic_enabled": False,
    }


def helper_client(tls: ssl.SSLContext, timeout: float, concurrency: int) -> httpx.AsyncClient:
    """One pooled client for every control request of a run (one helper, many URLs)."""
    return httpx.AsyncClient(
        verify=tls,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        trust_env=False,  # never route control traffic through an ambient proxy setting
    )


async def ask_helper(
    client: httpx.AsyncClient, helper_url: str, body: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """(control, control_failure): the helper's JSON answer or OONI's failure string."""
    try:
        response = await client.post(
            helper_url, content=orjson.dumps(body), headers={"Content-Type": "application/json"}
        )
    except httpx.TimeoutException:
        return None, "generic_timeout_error"
    except httpx.HTTPError as exc:
        return None, failure_of(_root_cause(exc))
    if response.status_code != 200:
        return None, "http_request_failed"  # OONI's string for a non-2xx helper answer
    try:
        control = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None, "unknown_failure: the test helper did not answer JSON"
    if not isinstance(control, dict) or not all(k in control for k in CONTROL_KEYS):
        return None, "unknown_failure: the test helper's answer lacks tcp_connect/http_request/dns"
    return control, None


def _root_cause(exc: BaseException) -> BaseException:
    """The socket/TLS error under httpx's wrappers (httpx -> httpcore -> anyio -> OSError)."""
    stack, seen = [exc], set()
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if not failure_of(current).startswith("unknown_failure"):
            return current
        stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
    return exc
