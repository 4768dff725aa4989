"""Python/socket errors -> OONI failure strings (one table, documented in docs/probe.md).

OONI records a failed step as a short string from a closed vocabulary (ooni/probe-cli
``netxlite/errorsx``: ``connection_refused``, ``generic_timeout_error``, ...). The pipeline, OONI's
and ours, keys its verdicts on those exact strings, so every exception a step can raise is mapped
here and nowhere else. Anything unforeseen becomes ``unknown_failure: <text>`` as OONI does.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import sys

import dns.exception
import dns.resolver
import h11

# errno -> OONI failure string (netxlite/errorsx/classify.go).
ERRNO_FAILURES: dict[int, str] = {
    errno.ECONNREFUSED: "connection_refused",
    errno.ECONNRESET: "connection_reset",
    errno.ECONNABORTED: "connection_aborted",
    errno.EHOSTUNREACH: "host_unreachable",
    errno.ENETUNREACH: "network_unreachable",
    errno.ENETDOWN: "network_down",
    errno.ETIMEDOUT: "generic_timeout_error",
    errno.EPIPE: "broken_pipe",
    errno.EADDRNOTAVAIL: "address_not_available",
    errno.EPROTONOSUPPORT: "protocol_not_supported",
    errno.EACCES: "permission_denied",
    errno.EPERM: "operation_not_permitted",
}

# getaddrinfo(3) codes -> OONI failure string (netxlite/getaddrinfo_cgo.go). On Android OONI
# reports EAI_NODATA as ``android_dns_cache_no_data`` (what Android's resolver cache returns when
# a name is censored); on Linux/glibc the same code means "the name exists, no A/AAAA".
GAI_FAILURES: dict[int, str] = {
    socket.EAI_NONAME: "dns_nxdomain_error",
    socket.EAI_AGAIN: "dns_temporary_failure",
    socket.EAI_FAIL: "dns_non_recoverable_failure",
}
EAI_NODATA: int = getattr(socket, "EAI_NODATA", -5)
ON_ANDROID = hasattr(sys, "getandroidapilevel")
NODATA_FAILURE = "android_dns_cache_no_data" if ON_ANDROID else "dns_no_answer"

# OpenSSL X509_V_ERR_* verify codes -> OONI TLS failure strings (netxlite/tls.go classifier).
X509_HOSTNAME_MISMATCH = 62
X509_UNKNOWN_AUTHORITY = frozenset({2, 18, 19, 20, 21, 27})  # no issuer / self-signed / untrusted


def failure_of(exc: BaseException) -> str:
    """The OONI failure string for an exception raised by a DNS/TCP/TLS/HTTP step."""
    if isinstance(exc, TimeoutError | asyncio.TimeoutError | dns.exception.Timeout):
        return "generic_timeout_error"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _tls_verify_failure(exc)
    if isinstance(exc, ssl.SSLEOFError | asyncio.IncompleteReadError | EOFError):
        return "eof_error"
    if isinstance(exc, ssl.SSLError):
        return _ssl_failure(exc)
    if isinstance(exc, socket.gaierror):
        if exc.errno == EAI_NODATA:
            return NODATA_FAILURE
        return GAI_FAILURES.get(exc.errno or 0, f"unknown_failure: {exc}")
    if isinstance(exc, dns.resolver.NXDOMAIN):
        return "dns_nxdomain_error"
    if isinstance(exc, dns.resolver.NoAnswer):
        return "dns_no_answer"
    if isinstance(exc, ConnectionResetError):
        # asyncio's TLS layer raises a bare ConnectionResetError (no errno) when the peer
        # half-closes (FIN) during the handshake; a real RST carries ECONNRESET. OONI: eof_error.
        return "connection_reset" if exc.errno is not None or exc.args else "eof_error"
    if isinstance(exc, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(exc, h11.RemoteProtocolError):
        # The peer closed mid-body ("peer closed connection without sending complete message
        # body") -- OONI reports the read that ended early -- or sent something not HTTP.
        text = str(exc)
        return "eof_error" if "closed" in text else f"unknown_failure: {text}"
    if isinstance(exc, OSError) and exc.errno in ERRNO_FAILURES:
        return ERRNO_FAILURES[exc.errno]
    return f"unknown_failure: {exc}"


def _tls_verify_failure(exc: ssl.SSLCertVerificationError) -> str:
    code = exc.verify_code
    if code == X509_HOSTNAME_MISMATCH:
        return "ssl_invalid_hostname"
    if code in X509_UNKNOWN_AUTHORITY:
        return "ssl_unknown_authority"
    return "ssl_invalid_certificate"


def _ssl_failure(exc: ssl.SSLError) -> str:
    # A censor that injects a RST mid-handshake surfaces as an SSLError wrapping ECONNRESET on
    # some Python builds; an abrupt close as "unexpected eof".
    text = str(exc).lower()
    if exc.errno in ERRNO_FAILURES:
        return ERRNO_FAILURES[exc.errno]
    if "unexpected eof" in text or "eof occurred" in text:
        return "eof_error"
    if "reset" in text:
        return "connection_reset"
    return "ssl_failed_handshake"


def dns_rcode_failure(rcode_text: str) -> str:
    """OONI's string for a DNS response code other than NOERROR (netxlite/dnsdecoder.go)."""
    return {
        "NXDOMAIN": "dns_nxdomain_error",
        "REFUSED": "dns_refused_error",
        "SERVFAIL": "dns_server_misbehaving",
    }.get(rcode_text, "dns_server_misbehaving")
