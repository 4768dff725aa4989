"""The probe's side of OONI's probe-services API: check-in, open report, submit a measurement.

Speaks to any collector that follows OONI's spec (netvigil's, or OONI's own). Errors are
classified the way the retry rule needs them: :class:`Unreachable` (the network or the server
failed: connection refused or reset, timeout, 5xx; retried), :class:`Throttled` (429: wait as
told), :class:`Refused` (another 4xx: this request will never succeed as it is).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from netvigil import __version__
from netvigil.probe.envelope import SOFTWARE_NAME


class Unreachable(Exception):
    """The collector could not be reached, or failed (5xx): try again later."""


class Throttled(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class Refused(Exception):
    """A 4xx: the collector will not take this request as it is."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(f"{status} {field}: {message}")
        self.status, self.field, self.message = status, field, message


@dataclass(frozen=True)
class CheckIn:
    urls: list[tuple[str, str | None]]  # (url, category_code)
    report_ids: dict[str, str]  # test name -> report id
    helpers: list[str]  # web connectivity test helpers' addresses


class ProbeServices:
    """An HTTP client of one collector (``base_url``)."""

    def __init__(
        self, base_url: str, timeout: float, *, client: httpx.AsyncClient | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = client or httpx.AsyncClient(
            timeout=timeout, headers={"User-Agent": f"{SOFTWARE_NAME}/{__version__}"}
        )
        self.compress = True  # until the collector answers 415 (OONI's spec: then send plain)

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, path: str, body: bytes, *, compress: bool = False) -> Any:
        headers = {"Content-Type": "application/json"}
        if compress:
            body = gzip.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        try:
            answer = await self._client.post(self.base_url + path, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
        return self._json(answer)

    @staticmethod
    def _json(answer: httpx.Response) -> Any:
        status = answer.status_code
        if status >= 500:
            raise Unreachable(f"the collector answered {status}")
        if status == 429:
            raise Throttled(float(answer.headers.get("retry-after") or 60))
        if status >= 400:
            try:
                error = answer.json()["error"]
                raise Refused(status, str(error.get("field")), str(error.get("message")))
            except (ValueError, KeyError, TypeError):
                raise Refused(status, "", answer.text[:200]) from None
        try:
            return answer.json()
        except ValueError as exc:
            raise Unreachable(f"the collector answered {status} without JSON") from exc

    async def check_in(
        self, probe_cc: str, probe_asn: str, categories: list[str], run_type: str = "timed"
    ) -> CheckIn:
        body = {
            "probe_cc": probe_cc,
            "probe_asn": probe_asn,
            "platform": "linux",
            "software_name": SOFTWARE_NAME,
            "software_version": __version__,
            "run_type": run_type,
            "charging": True,
            "on_wifi": True,
            "web_connectivity": {"category_codes": categories},
        }
        found = await self._post("/api/v1/check-in", orjson.dumps(body))
        tests = found.get("tests", {})
        urls = [
            (str(u["url"]), u.get("category_code") or None)
            for u in tests.get("web_connectivity", {}).get("urls", [])
        ]
        ids = {name: str(t["report_id"]) for name, t in tests.items() if "report_id" in t}
        helpers = [
            str(h["address"])
            for h in found.get("conf", {}).get("test_helpers", {}).get("web-connectivity", [])
        ]
        return CheckIn(urls, ids, helpers)

    async def open_report(self, m: dict[str, Any]) -> str:
        """A new report for a measurement's test, country and network."""
        body = {
            "data_format_version": m.get("data_format_version") or "0.2.0",
            "format": "json",
            "probe_asn": m.get("probe_asn"),
            "probe_cc": m.get("probe_cc"),
            "software_name": m.get("software_name") or SOFTWARE_NAME,
            "software_version": m.get("software_version") or __version__,
            "test_name": m.get("test_name"),
            "test_start_time": m.get("test_start_time"),
            "test_version": m.get("test_version") or "0.0.1",
        }
        found = await self._post("/report", orjson.dumps(body))
        return str(found["report_id"])

    async def submit(self, report_id: str, content: bytes) -> str:
        """Submit one measurement (its exact bytes); returns the measurement_uid."""
        body = b'{"format":"json","content":' + content + b"}"
        try:
            found = await self._post(f"/report/{report_id}", body, compress=self.compress)
        except Refused as exc:
            if exc.status != 415 or not self.compress:
                raise
            self.compress = False
            found = await self._post(f"/report/{report_id}", body)
        return str(found.get("measurement_uid") or found.get("measurement_id") or "")
