"""The lab story with alerts: ``netvigil lab observe``'s networks, collector, pipeline and probes,
plus the notifier, a webhook receiver, an SMTP server (aiosmtpd) and the country's Atom feed.

Run by ``tests/notify/test_notify_lab_story.py`` and ``bench/speed_to_alert.py``::

    python tests/notify/labalerts.py --workdir /tmp/la --step a1 --step b --json out.json
    python tests/notify/labalerts.py --workdir /tmp/la --calm 1200 --json calm.json

It re-runs itself inside the lab's sandbox (new network, mount and PID namespaces): the receivers
listen on the sandbox's own loopback, and everything ends with it. For each step it records, as
seen by the receivers themselves: T0, the first measurement showing the change, its verdict, the
event, the webhook's notification, the email and the Atom feed entry; for a calm run, every event
and every notification (there must be none). Time is compressed as ``lab observe`` compresses it
(``--scale``: the notifier's group wait, group interval and repeat interval are divided by it too);
``--real`` runs at a deployment's default settings (probes every 60 s, bins of 60 s, group wait
30 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
for extra in (REPO / "src", HERE, HERE.parent):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from notifykit import Inbox, WebhookReceiver, free_port  # noqa: E402

from netvigil._settings import load_settings  # noqa: E402
from netvigil.incidents import Tracker  # noqa: E402
from netvigil.lab import sandbox  # noqa: E402
from netvigil.lab.networks import NETWORKS  # noqa: E402
from netvigil.notify import Notifier, Owner, Subscriptions, check_request  # noqa: E402
from netvigil.notify.destinations import allow_networks  # noqa: E402

# A deployment's defaults (docs/notify.md, docs/pipeline.md) and lab observe's compressed ones.
REAL = {"interval": 60.0, "bin": 60, "grace": 30.0, "window": 300}
COMPRESSED = {"interval": 5.0, "bin": 5, "grace": 3.0, "window": 10}
NOTIFY_DEFAULTS = {"group_wait": 30.0, "group_interval": 300.0, "repeat_interval": 14400.0}


class Arrivals:
    """When each receiver first got something, by a key (the event's entity)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: dict[tuple[str, str], float] = {}
        self.all: list[dict[str, Any]] = []

    def note(self, channel: str, key: str, detail: dict[str, Any]) -> None:
        with self.lock:
            self.first.setdefault((channel, key), time.time())
            self.all.append({"channel": channel, "key": key, "at": time.time(), **detail})


def _receivers(arrivals: Arrivals) -> tuple[WebhookReceiver, Any, int, Inbox]:
    from aiosmtpd.controller import Controller

    hook = WebhookReceiver().start()
    original = hook.received

    class Noting(list):  # type: ignore[type-arg]
        def append(self, item: Any) -> None:
            super().append(item)
            body = item.json()
            for alert in body["alerts"]:
                arrivals.note("webhook", alert["labels"]["entity"], {
                    "alertname": alert["labels"]["alertname"], "status": alert["status"],
                    "measurements": len(alert["evidence"].get("measurements") or []),
                })  # fmt: skip

    hook.received = Noting(original)

    class NotingInbox(Inbox):
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            answer = await super().handle_DATA(server, session, envelope)
            body = self.messages[-1].get_body(preferencelist=("plain",)).get_content()
            for line in body.splitlines():
                if line.strip().startswith("Where / what:"):
                    arrivals.note("email", line.split(":", 1)[1].strip(), {
                        "subject": str(self.messages[-1]["Subject"])})  # fmt: skip
            return answer

    inbox = NotingInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return hook, controller, port, inbox


def _feed_watcher(settings: Any, tracker: Tracker, arrivals: Arrivals, stop: threading.Event,
                  countries: list[str]) -> threading.Thread:  # fmt: skip
    """Reads each country's Atom feed (through the web app) every half second."""
    import feedparser
    from fastapi.testclient import TestClient

    from netvigil.web import create_app

    client = TestClient(create_app(settings, tracker=tracker))

    def watch() -> None:
        while not stop.is_set():
            for cc in countries:
                parsed = feedparser.parse(client.get(f"/feeds/countries/{cc}.atom").content)
                for entry in parsed.entries:
                    if "/events/" in entry.link:
                        from urllib.parse import unquote

                        event_id = unquote(entry.link.rsplit("/events/", 1)[1])
                        entity = event_id.split(":", 1)[1].rsplit(":", 2)[0]
                        arrivals.note("atom", entity, {"title": entry.title})
            stop.wait(0.5)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _subscribe(tracker: Tracker, settings: Any, hook_url: str) -> None:
    owner_actor = tracker.create_user("desk@newsroom.example", "desk-password", role="viewer")
    owner = Owner(user_id=owner_actor.user_id, name=owner_actor.name)
    allow = allow_networks(settings.notify.webhook_allow)
    entities = " ".join(
        [
            *(f"country:{n.cc}" for n in NETWORKS),
            *(f"asn:{n.asn}" for n in NETWORKS),
            "service:telegram",
            "service:signal",
        ]
    )
    subs = Subscriptions(tracker)
    for data in (
        {"entities": entities, "channel": "webhook", "url": hook_url},
        {"entities": entities, "channel": "email", "email": "desk@newsroom.example"},
        {"entities": f"country:{NETWORKS[0].cc}", "channel": "atom"},
    ):
        subs.create(check_request(data, allow=allow, email_enabled=True), owner)


def run_inside(args: argparse.Namespace) -> dict[str, Any]:
    from netvigil.lab.observe import ObserveSettings, observe, prepare_workdir

    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)  # the sandbox's loopback
    work = Path(args.workdir).resolve()
    prepare_workdir(work)
    scale = 1.0 if args.real else args.scale
    timing = dict(REAL if args.real else COMPRESSED)
    for key in ("interval", "bin", "grace", "window"):
        if getattr(args, key) is not None:
            timing[key] = getattr(args, key)
    arrivals = Arrivals()
    hook, controller, smtp_port, inbox = _receivers(arrivals)
    notify = {k: v / scale for k, v in NOTIFY_DEFAULTS.items()}
    if args.group_wait is not None:
        notify["group_wait"] = args.group_wait
    notify.update(
        base_url="http://127.0.0.1:8000", webhook_allow=["127.0.0.1/32"],
        poll_interval=0.5, retry_initial=max(1.0, 30.0 / scale), retry_max=60.0,
        smtp={"host": "127.0.0.1", "port": smtp_port, "starttls": False},
    )  # fmt: skip
    (work / "notify").mkdir(exist_ok=True)
    settings = load_settings(
        data_dir=work / "notify", db=f"sqlite:///{work / 'notify' / 'tracker.sqlite'}",
        store=str(work / "store"), notify=notify,
    )  # fmt: skip
    stop_feeds = threading.Event()
    started = time.time()
    with Tracker(settings.tracker_url) as tracker:
        _subscribe(tracker, settings, hook.url)
        notifier = Notifier(settings.notify, tracker, store_url=str(work / "store"))
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(notifier.run(stop))

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        feeds = _feed_watcher(settings, tracker, arrivals, stop_feeds, [n.cc for n in NETWORKS])
        conf = ObserveSettings(
            work, timing["interval"], int(timing["bin"]), timing["grace"], int(timing["window"]),
            step_timeout=args.step_timeout, steps=tuple(args.step) if args.step else ("none",),
        )  # fmt: skip

        def say(text: str) -> None:
            print(f"{time.time() - started:7.1f}s {text}", file=sys.stderr, flush=True)

        results: list[dict[str, Any]] = []
        if args.calm:
            story = _calm(conf, args.calm, say)
        else:
            story = observe(conf, say)
            for r in story.results:
                entity = r.step.entity
                results.append({
                    "step": r.step.key, "kind": r.step.kind, "entity": entity, "t0": r.t0,
                    "first": r.first, "verdict": r.verdict, "event": r.event,
                    **{ch: _wait_first(arrivals, ch, entity, args.step_timeout)
                       for ch in ("webhook", "email", "atom")},
                })  # fmt: skip
        loop.call_soon_threadsafe(stop.set)
        thread.join(60)
        stop_feeds.set()
        feeds.join(10)
        deliveries = [
            {"status": d.status, "alerts": [[a["labels"]["alertname"], a["labels"]["entity"],
                                             a["status"]] for a in d.notification["alerts"]]}
            for d in notifier.ledger.deliveries()
        ]  # fmt: skip
    hook.stop()
    controller.stop()
    return {
        "scale": scale, "timing": timing, "notify": {k: notify[k] for k in NOTIFY_DEFAULTS},
        "steps": results, "deliveries": deliveries, "arrivals": arrivals.all,
        "events": [[e.kind, e.entity, e.start.isoformat(), None if e.end is None else
                    e.end.isoformat(), e.retracted] for _, e in story.versions],
        "verdicts": story.verdicts, "calm_seconds": args.calm, "emails": len(inbox.messages),
        "elapsed": time.time() - started,
    }  # fmt: skip


def _wait_first(arrivals: Arrivals, channel: str, entity: str, limit: float) -> float | None:
    """When ``channel`` first got ``entity`` (waiting on that state, bounded by ``limit``)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with arrivals.lock:
            found = arrivals.first.get((channel, entity))
        if found is not None or (channel == "atom" and not entity.startswith("country:")):
            return found
        time.sleep(0.2)
    return None


def _calm(conf: Any, seconds: float, say: Any) -> Any:
    """The lab with nothing happening for ``seconds``: every event the pipeline stored."""
    from netvigil.lab.networks import build_networks
    from netvigil.lab.observe import Observer, Processes, Story, start_observatory
    from netvigil.lab.plan import ISP_RESOLVER, make_plan
    from netvigil.lab.story import SITES, SPOOF
    from netvigil.lab.topology import Lab

    sandbox.prepare(ISP_RESOLVER)
    plan = make_plan((), extra_sites=SITES, extra_faults=(SPOOF,))
    run_dir = conf.workdir / "lab"
    run_dir.mkdir(parents=True, exist_ok=True)
    lab = Lab("nv", plan, run_dir)
    build_networks(lab, NETWORKS)
    procs = Processes(lab)
    observer = Observer(str(conf.workdir / "store"))
    started = time.time()
    try:
        start_observatory(lab, conf, procs)
        say(f"calm lab: {len(NETWORKS)} networks measuring, no censorship, for {seconds:g} s")
        while time.time() - started < seconds:
            procs.check()
            observer.poll()
            time.sleep(1)
        observer.poll()
        say(f"calm run over: {len(observer.rows)} verdicts, {len(observer.versions)} events")
    finally:
        procs.stop()
    return Story([], observer.versions, len(observer.rows), started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--step", action="append", default=[])
    parser.add_argument("--calm", type=float, default=0.0, help="seconds of a calm lab")
    parser.add_argument(
        "--scale",
        type=float,
        default=12.0,
        help="time compression (a deployment's 60 s bins / the lab's 5 s)",
    )
    parser.add_argument("--real", action="store_true", help="a deployment's default settings")
    parser.add_argument("--step-timeout", type=float, default=180.0)
    parser.add_argument("--interval", type=float, help="s between a probe's runs")
    parser.add_argument("--bin", type=int, help="s per pipeline bin")
    parser.add_argument("--grace", type=float, help="s a bin waits for late data")
    parser.add_argument("--window", type=int, help="s of own volume per window")
    parser.add_argument("--group-wait", type=float, help="the notifier's group wait, s")
    parser.add_argument("--json", required=True)
    args = parser.parse_args()
    if not sandbox.inside():
        return sandbox.enter([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    result = run_inside(args)
    Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
