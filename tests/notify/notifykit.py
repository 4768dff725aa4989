"""Notify test kit: a manual clock, real receivers (an HTTP server on loopback, aiosmtpd), a store
holding real measurements (OONI's QA fixtures under new envelopes) and events.

Imported by the notify tests as ``from notifykit import ...``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from netvigil._settings import NotifySettings, Settings, load_settings
from netvigil.incidents import Actor, Tracker
from netvigil.models.events import Event
from netvigil.notify import Notifier, Owner, Subscriptions, check_request
from netvigil.notify.destinations import allow_networks
from nvtest import SHARED_DATA

SCENARIOS = SHARED_DATA / "ooni" / "probecli_minipipeline" / "generated"
T0 = dt.datetime(2024, 6, 4, 12, 0, tzinfo=dt.UTC)
LOOPBACK = ["127.0.0.1/32"]


class ManualClock:
    """Time that moves only when the test says so."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.moment = start

    def now(self) -> dt.datetime:
        return self.moment

    def advance(self, seconds: float) -> dt.datetime:
        self.moment += dt.timedelta(seconds=seconds)
        return self.moment

    def at(self, moment: dt.datetime) -> None:
        self.moment = moment


# --- measurements and events -----------------------------------------------------------------


def measurement(scenario: str, *, cc: str, asn: str, url: str, when: dt.datetime) -> bytes:
    """One of OONI's QA measurements (``generated/<scenario>``) under a new envelope."""
    data = json.loads((SCENARIOS / scenario / "measurement.json").read_bytes())
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    data.update(
        probe_cc=cc,
        probe_asn=asn,
        input=url,
        measurement_start_time=stamp,
        test_start_time=stamp,
        report_id=f"{when:%Y%m%dT%H%M%SZ}_webconnectivity_{cc}_{asn[2:]}_n1_{scenario[:12]}",
    )
    return orjson.dumps(data)


def store_with(
    path: Path, lines: Sequence[bytes] = (), events: Sequence[Event] = ()
) -> tuple[str, list[dict[str, Any]]]:
    """A store at ``path`` holding ``lines`` (analysed as ingest does) and ``events``; returns its
    URL and the verdict rows of the lines."""
    from netvigil.store import open_store
    from storekit import batch_of

    url = str(path)
    with open_store(url) as store:
        if lines:
            store.commit(batch_of(lines))
        if events:
            store.upsert_events(events)
        verdicts = store.verdicts(
            columns=("measurement_uid", "outcome", "domain", "probe_cc", "probe_asn")
        ).to_pylist()
    return url, verdicts


def upsert(url: str, events: Sequence[Event]) -> None:
    from netvigil.store import open_store

    with open_store(url) as store:
        store.upsert_events(events)


def blocking(
    domain: str = "lihkg.com",
    *,
    cc: str = "HK",
    asn: str = "AS4760",
    start: dt.datetime = T0,
    end: dt.datetime | None = None,
    score: float = 9.0,
) -> Event:
    return Event(
        entity=f"country:{cc}/asn:{asn}/domain:{domain}",
        kind="blocking",
        start=start,
        end=end,
        score=score,
        signals=("verdicts",),
        detector="cusum",
        detector_version="1.0",
        detected_at=start + dt.timedelta(minutes=5),
    )


def outage(
    cc: str = "HK", *, start: dt.datetime = T0, end: dt.datetime | None = None, score: float = 5000
) -> Event:
    return Event(
        entity=f"country:{cc}",
        kind="outage",
        start=start,
        end=end,
        score=score,
        signals=("measurements",),
        detector="netvigil",
        detector_version="2.0",
        detected_at=start + dt.timedelta(minutes=30),
    )


def platform_outage(
    service: str = "telegram", *, start: dt.datetime = T0, end: dt.datetime | None = None
) -> Event:
    return Event(
        entity=f"service:{service}",
        kind="platform_outage",  # type: ignore[arg-type]
        start=start,
        end=end,
        score=12.0,
        signals=(f"{service}.reachable",),
        detector="platform",
        detector_version="1.0",
        detected_at=start + dt.timedelta(minutes=5),
    )


# --- receivers ---------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """A real HTTP server on 127.0.0.1 recording every POST. ``status`` is what it answers;
    ``hold`` (an Event) makes it accept a request and not answer until set; ``stop()`` closes
    the port (connection refused) and ``start()`` opens it again on the same port."""

    status: int = 200
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self) -> WebhookReceiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if owner.hold is not None:
                    owner.arrived.set()
                    owner.hold.wait(120)
                if owner.status == 200:
                    owner.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def payloads(self) -> list[Any]:
        return [r.json() for r in self.received]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    """aiosmtpd's handler: every message the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


# --- settings, tracker, notifier ----------------------------------------------------------------


def notify_settings(tmp: Path, **notify: Any) -> Settings:
    values: dict[str, Any] = {
        "base_url": "https://observatory.example.org",
        "webhook_allow": LOOPBACK,
        **notify,
    }
    return load_settings(
        data_dir=tmp / "data", db=f"sqlite:///{tmp / 'tracker.sqlite'}", notify=values
    )


def subscribe(
    tracker: Tracker, settings: NotifySettings, owner: Owner | None = None, **data: Any
) -> Any:
    if owner is None:
        user = next((u for u in tracker.list_users() if u.email == "desk@example.org"), None)
        if user is None:
            actor = tracker.create_user("desk@example.org", "desk-password", role="viewer")
            owner = Owner(user_id=actor.user_id, name=actor.name)
        else:
            owner = Owner(user_id=user.id, name=user.email)
    request = check_request(
        data, allow=allow_networks(settings.webhook_allow), email_enabled=bool(settings.smtp.host)
    )
    return Subscriptions(tracker).create(request, owner)


def notifier(
    settings: Settings, tracker: Tracker, store_url: str | None, clock: ManualClock
) -> Notifier:
    return Notifier(settings.notify, tracker, store_url=store_url, clock=clock)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def tick_and_settle(n: Notifier) -> Any:
    report = await n.tick()
    await n.settle()
    return report


def editor() -> Actor:
    return Actor("editor@example.org", "editor")


def wait_for(check: Callable[[], bool], what: str) -> None:
    """Wait on state (a thread's effect), never on time; the limit only stops a hung test."""
    import time

    deadline = time.monotonic() + 60
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


def texts(items: Iterable[Any]) -> str:
    return "\n".join(str(i) for i in items)
