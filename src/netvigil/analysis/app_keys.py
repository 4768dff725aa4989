"""The app tests' summary keys, derived again from the events a measurement recorded.

A telegram, whatsapp, signal, facebook_messenger or tor measurement carries both the records of
what the probe did (``queries``, ``tcp_connect``, ``tls_handshakes``, ``requests``, per-target
records for tor) and the probe's own summary of them (``telegram_tcp_blocking``,
``whatsapp_endpoints_status``, ``signal_backend_status``, ``facebook_dns_blocking``, tor's
counts...). :func:`derive` recomputes the summary from the records alone, the way the test's
specification defines it, so that a probe's summary can be checked (:func:`disagreements`) and a
probe whose summary is wrong (OONI has had some, ooni/probe-engine#341) can be read from its
evidence. Which request is the web client's, which host is an endpoint, which ASN Facebook's is:
the service catalogue says (``netvigil.models.catalogue``), so a lab's or a deployment's
catalogue reads its own measurements.

Records link to their target by ``transaction_id`` where the probe wrote one (netvigil, probe-cli
since 2020), else by address (the answers of the host's lookup) and port. A key the records
cannot decide (no ASN for an answer, endpoints sharing addresses without transaction ids) is
:data:`UNKNOWN` and left out of comparisons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from netvigil.models.catalogue import Catalogue, Service, load_catalogue

AsnOf = Callable[[str], int | None]
Derived = dict[str, Any]


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()  # the records cannot decide this key
TOR_PROTOCOLS = ("dir_port", "or_port", "or_port_dirauth", "obfs4")


def _list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port


def _url(request: Mapping[str, Any]) -> str:
    inner = request.get("request")
    url = inner.get("url") if isinstance(inner, dict) else None
    return url if isinstance(url, str) else ""


def _hosts(service: Service, component: str) -> set[str]:
    return {e.host.lower() for e in service.endpoints if e.component == component}


def _answers(query: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [a for a in _list(query.get("answers")) if a.get("ipv4") or a.get("ipv6")]


def _ip(answer: Mapping[str, Any]) -> str:
    return str(answer.get("ipv4") or answer.get("ipv6"))


def _succeeded(entry: Mapping[str, Any]) -> bool | None:
    status = entry.get("status")
    success = status.get("success") if isinstance(status, dict) else None
    return success if isinstance(success, bool) else None


def _pick_web(requests: list[Mapping[str, Any]], hosts: set[str]) -> Mapping[str, Any] | None:
    """The request to the web client: over HTTPS if there is one (older probes also tried
    plain HTTP, which no longer counts), else the plain one."""
    mine = [r for r in requests if _host_port(_url(r))[0] in hosts]
    https = [r for r in mine if _url(r).startswith("https://")]
    chosen = https or mine
    return chosen[-1] if chosen else None


def _status(request: Mapping[str, Any] | None) -> tuple[Any, Any]:
    if request is None:
        return UNKNOWN, UNKNOWN
    failure = request.get("failure")
    return ("ok" if failure is None else "blocked"), failure


def telegram(tk: Mapping[str, Any], service: Service, asn_of: AsnOf | None) -> Derived:
    """ts-020: TCP blocked when no data-centre endpoint connected; HTTP blocked when no
    data-centre request got a response; web blocked when the web client's request failed."""
    requests = _list(tk.get("requests"))
    web_hosts = _hosts(service, "web")
    dc_requests = [r for r in requests if _host_port(_url(r))[0] not in web_hosts]
    dc_endpoints = {(e.host, e.port) for e in service.endpoints if e.component in ("tcp", "http")}
    dc_endpoints |= {_host_port(_url(r)) for r in dc_requests}
    connected = any(
        _succeeded(c) and (str(c.get("ip")), c.get("port")) in dc_endpoints
        for c in _list(tk.get("tcp_connect"))
    )
    answered = any(r.get("failure") is None for r in dc_requests)
    status, failure = _status(_pick_web(requests, web_hosts))
    return {
        "telegram_tcp_blocking": not (connected or answered),
        "telegram_http_blocking": not answered,
        "telegram_web_status": status,
        "telegram_web_failure": failure,
    }


def whatsapp(tk: Mapping[str, Any], service: Service, asn_of: AsnOf | None) -> Derived:
    """ts-018: endpoints ok when one endpoint connected; a host blocked when every one of its
    ports failed; registration and web blocked when their request failed."""
    requests = _list(tk.get("requests"))
    out: Derived = {}
    for component, status_key, failure_key in (
        ("registration", "registration_server_status", "registration_server_failure"),
        ("web", "whatsapp_web_status", "whatsapp_web_failure"),
    ):
        out[status_key], out[failure_key] = _status(_pick_web(requests, _hosts(service, component)))
    hosts = _hosts(service, "endpoints")
    ports = {e.port for e in service.endpoints if e.component == "endpoints"}
    per_host = _connects_by_host(tk, hosts, ports)
    failed_lookups = {
        str(q.get("hostname")).lower()
        for q in _list(tk.get("queries"))
        if str(q.get("hostname")).lower() in hosts and q.get("failure")
    }
    reached = any(_succeeded(c) for entries in per_host.values() for c in entries)
    out["whatsapp_endpoints_status"] = "ok" if reached else "blocked"
    any_failure = failed_lookups or any(
        _succeeded(c) is False for entries in per_host.values() for c in entries
    )
    if not any_failure:
        out["whatsapp_endpoints_blocked"] = []
    elif _linked(tk):
        blocked = []
        for host in sorted(hosts, key=_endpoint_order):
            entries = per_host.get(host, [])
            ok_ports = {c.get("port") for c in entries if _succeeded(c)}
            if host in failed_lookups or (entries and not ok_ports):
                blocked.append(host)
        out["whatsapp_endpoints_blocked"] = blocked
    else:
        out["whatsapp_endpoints_blocked"] = UNKNOWN  # endpoints share addresses: no telling
    return out


def _endpoint_order(host: str) -> tuple[int, str]:
    digits = "".join(ch for ch in host.split(".")[0] if ch.isdigit())
    return (int(digits) if digits else 0, host)


def _linked(tk: Mapping[str, Any]) -> bool:
    return any(isinstance(c.get("transaction_id"), int) for c in _list(tk.get("tcp_connect")))


def _connects_by_host(
    tk: Mapping[str, Any], hosts: set[str], ports: set[int | None]
) -> dict[str, list[Mapping[str, Any]]]:
    """The tcp_connect entries of each host's targets: by transaction id when the records have
    them, else by the host's answered addresses (and the endpoints' ports)."""
    queries = [q for q in _list(tk.get("queries")) if str(q.get("hostname")).lower() in hosts]
    out: dict[str, list[Mapping[str, Any]]] = {}
    connects = _list(tk.get("tcp_connect"))
    if _linked(tk):
        by_tid = {q.get("transaction_id"): str(q.get("hostname")).lower() for q in queries}
        for c in connects:
            host = by_tid.get(c.get("transaction_id"))
            if host is not None:
                out.setdefault(host, []).append(c)
        return out
    for q in queries:
        host = str(q.get("hostname")).lower()
        ips = {_ip(a) for a in _answers(q)}
        mine = [c for c in connects if c.get("ip") in ips and c.get("port") in ports]
        known = out.setdefault(host, [])
        known += [c for c in mine if c not in known]
    return out


def signal(tk: Mapping[str, Any], service: Service, asn_of: AsnOf | None) -> Derived:
    """ts-029: the backend is blocked when one of its requests failed (every request of the test
    is to a backend host; the uptime lookup makes none). The failure is the last one."""
    failed = [r for r in _list(tk.get("requests")) if r.get("failure") is not None]
    return {
        "signal_backend_status": "blocked" if failed else "ok",
        "signal_backend_failure": failed[-1].get("failure") if failed else None,
    }


def facebook_messenger(tk: Mapping[str, Any], service: Service, asn_of: AsnOf | None) -> Derived:
    """ts-019: a host's DNS is consistent when its lookup worked and every answer is in one of
    the service's ASNs; it is reachable when (its DNS consistent) a connect to it worked."""
    expected = set(service.asns)
    tcp_hosts = {e.host for e in service.endpoints if e.component == "tcp"}
    keyed = {e.host.lower(): e.key for e in service.endpoints if e.key}
    connects = _connects_by_host(tk, set(keyed), {443})
    queries = _list(tk.get("queries"))
    out: Derived = {}
    for host, key in keyed.items():
        mine = [q for q in queries if str(q.get("hostname")).lower() == host]
        consistent: Any = UNKNOWN
        if any(q.get("failure") for q in mine):
            consistent = False
        elif mine:
            asns = [_asn(a, asn_of) for q in mine for a in _answers(q)]
            if any(a is not None and a not in expected for a in asns):
                consistent = False
            elif asns and all(a is not None for a in asns):
                consistent = True
        out[f"facebook_{key}_dns_consistent"] = consistent
        if host in tcp_hosts:
            entries = connects.get(host, [])
            if consistent is False or consistent is UNKNOWN:
                reachable: Any = None if consistent is False else UNKNOWN
            elif not entries:
                reachable = UNKNOWN
            else:
                reachable = any(_succeeded(c) for c in entries)
            out[f"facebook_{key}_reachable"] = reachable
    dns = [v for k, v in out.items() if k.endswith("_dns_consistent")]
    tcp = [v for k, v in out.items() if k.endswith("_reachable")]
    out["facebook_dns_blocking"] = (
        True if False in dns else (UNKNOWN if any(v is UNKNOWN for v in dns) else False)
    )
    out["facebook_tcp_blocking"] = (
        True if False in tcp else (UNKNOWN if any(v is UNKNOWN for v in tcp) else False)
    )
    return out


def _asn(answer: Mapping[str, Any], asn_of: AsnOf | None) -> int | None:
    """The answer's ASN as the probe recorded it (0 / absent: not looked up), else the table's
    (0 for an address the table does not route, e.g. a censor's bogon); None: no way to tell."""
    asn = answer.get("asn")
    if isinstance(asn, int) and not isinstance(asn, bool) and asn > 0:
        return asn
    return (asn_of(_ip(answer)) or 0) if asn_of is not None else None


def tor(tk: Mapping[str, Any], service: Service | None, asn_of: AsnOf | None) -> Derived:
    """ts-023: per protocol, the targets and those whose ``failure`` is null."""
    targets = tk.get("targets")
    if not isinstance(targets, dict):
        return {}
    out: Derived = {}
    for protocol in TOR_PROTOCOLS:
        mine = [t for t in targets.values() if isinstance(t, dict)]
        mine = [t for t in mine if t.get("target_protocol") == protocol]
        out[f"{protocol}_total"] = len(mine)
        out[f"{protocol}_accessible"] = sum(1 for t in mine if t.get("failure") is None)
    return out


def platform_down(control: Any) -> bool | None:
    """netvigil's ``x_platform_down`` from the helper's answer (``x_control``): true when the
    helper could neither fetch the app's URL nor reach any endpoint the probe could not; None
    without a usable answer. docs/outcomes.md, "A platform down everywhere"."""
    if not isinstance(control, dict):
        return None
    http, tcp = control.get("http_request"), control.get("tcp_connect")
    if not isinstance(http, dict) or not isinstance(tcp, dict):
        return None
    fetched = http.get("failure") is None
    reached = any(isinstance(v, dict) and v.get("status") is True for v in tcp.values())
    return not fetched and not reached


_DERIVERS: dict[str, Callable[[Mapping[str, Any], Any, AsnOf | None], Derived]] = {
    "telegram": telegram,
    "whatsapp": whatsapp,
    "signal": signal,
    "facebook_messenger": facebook_messenger,
    "tor": tor,
}
TESTS = tuple(_DERIVERS)


def derive(
    m: Mapping[str, Any], catalogue: Catalogue | None = None, asn_of: AsnOf | None = None
) -> Derived:
    """The summary keys of ``m`` recomputed from its records ({} for other tests)."""
    test = m.get("test_name")
    tk = m.get("test_keys")
    if not isinstance(test, str) or test not in _DERIVERS or not isinstance(tk, dict):
        return {}
    service = (catalogue or load_catalogue()).by_nettest(test)
    if service is None and test != "tor":
        return {}
    out = _DERIVERS[test](tk, service, asn_of)
    if "x_control" in tk:
        out["x_platform_down"] = platform_down(tk.get("x_control"))
    return out


def disagreements(
    m: Mapping[str, Any], catalogue: Catalogue | None = None, asn_of: AsnOf | None = None
) -> dict[str, tuple[Any, Any]]:
    """Keys the probe wrote whose value differs from the derived one: key -> (written, derived).

    Only keys the measurement carries and the records decide are compared (a 2020 tor
    measurement has no counts; a probe without an ASN table leaves DNS undecided)."""
    tk = m.get("test_keys")
    if not isinstance(tk, dict):
        return {}
    out: dict[str, tuple[Any, Any]] = {}
    for key, derived in derive(m, catalogue, asn_of).items():
        if derived is UNKNOWN or key not in tk:
            continue
        written = tk[key]
        if isinstance(written, list) and isinstance(derived, list):
            same = sorted(map(str, written)) == sorted(map(str, derived))
        else:
            same = written == derived
        if not same:
            out[key] = (written, derived)
    return out
