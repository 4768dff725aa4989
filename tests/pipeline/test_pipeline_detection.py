"""The continuous pipeline on real measurements in a real store, tick by tick with a test clock:
blocking in one network, a platform down for everyone, a network gone silent, late data."""

from __future__ import annotations

from pathlib import Path

from netvigil.models.events import Event
from pipelinekit import T0, World, world

HOSTS = ("news.example", "signal.org", "web.telegram.org")


def _run(
    w: World,
    bins: int,
    kind_of: object,
    *,
    skip: object = lambda net, b: False,
    extra: object = lambda b: [],
) -> list[tuple[int, Event]]:
    """Every network measures every host once per 10-second bin; the pipeline ticks after each
    bin has closed. Returns (bin, event version) for every version the ticks wrote."""
    pipeline = w.pipeline()
    written: list[tuple[int, Event]] = []
    for b in range(bins):
        t = T0 + 10 * b
        rows = [
            (kind_of(net, host, b), net, host, t + 2)  # type: ignore[operator]
            for net in "ABC"
            for host in HOSTS
            if not skip(net, b)  # type: ignore[operator]
        ]
        w.commit(rows + extra(b))  # type: ignore[operator]
        w.now = t + 10 + w.settings.grace_seconds
        written += [(b, e) for e in pipeline.tick().events]
    return written


def test_blocking_in_one_network_is_a_blocking_event_of_that_network_only(tmp_path: Path) -> None:
    w = world(tmp_path)

    def kind(net: str, host: str, b: int) -> str:
        if net == "A" and host == "news.example" and b >= 6:
            return "dns"  # DNS spoofing from bin 6
        if net == "A" and host == "signal.org" and b >= 12:
            return "reset"  # SNI reset from bin 12
        return "ok"

    written = _run(w, 20, kind)
    stored = {(e.kind, e.entity): e for e in w.events()}
    assert set(stored) == {
        ("blocking", "country:XA/asn:AS64496/domain:news.example"),
        ("blocking", "country:XA/asn:AS64496/service:signal"),  # signal.org is Signal's website
    }
    news = stored[("blocking", "country:XA/asn:AS64496/domain:news.example")]
    assert news.start.timestamp() == T0 + 60 and news.end is None
    # reported within three bins of the first blocked measurement, by the tick after that bin
    first_tick = min(b for b, e in written if e.event_id == news.event_id)
    assert first_tick - 6 <= 2
    assert all(e.detector == "live" for e in stored.values())


def test_a_platform_down_everywhere_is_a_platform_outage_and_no_blocking(tmp_path: Path) -> None:
    w = world(tmp_path)

    def kind(net: str, host: str, b: int) -> str:
        return "down" if host == "web.telegram.org" and 6 <= b < 14 else "ok"

    written = _run(w, 22, kind)
    events = w.events()
    assert [(e.kind, e.entity) for e in events] == [("platform_outage", "service:telegram")]
    [down] = events
    assert down.start.timestamp() == T0 + 60 and down.end is not None
    assert down.end.timestamp() == T0 + 140  # the first bin back
    assert not [e for _, e in written if e.kind == "blocking"]


def test_down_in_one_network_only_is_not_a_platform_outage(tmp_path: Path) -> None:
    # The control also fails from one network only (e.g. a server that refuses that network):
    # two of the three networks reach it, so it is not down for everyone.
    w = world(tmp_path)

    def kind(net: str, host: str, b: int) -> str:
        return "down" if net == "B" and host == "web.telegram.org" and b >= 6 else "ok"

    _run(w, 20, kind)
    assert not [e for e in w.events() if e.kind == "platform_outage"]


def test_a_silent_network_is_an_outage_and_its_spool_fills_the_gap(tmp_path: Path) -> None:
    w = world(tmp_path)
    silent = range(8, 16)  # network C cut off: its probe measures (all fail) and cannot upload

    def spool(b: int) -> list[tuple[str, str, str, int]]:
        if b != 18:
            return []
        return [("failure", "C", h, T0 + 10 * x + 2) for x in silent for h in HOSTS]

    written = _run(
        w, 24, lambda net, host, b: "ok", skip=lambda net, b: net == "C" and b in silent,
        extra=spool,
    )  # fmt: skip
    events = {(e.kind, e.entity): e for e in w.events()}
    assert set(events) == {("outage", "country:XC"), ("outage", "asn:AS64498")}
    for event in events.values():
        assert event.start.timestamp() == T0 + 80  # the first silent bin
        assert event.end is not None and event.end.timestamp() == T0 + 160  # back
        assert not event.retracted
    # the late spool re-ran the detectors and changed nothing: still one event each
    assert {b for b, _ in written} <= set(range(8, 18))
    # the gap's bins now hold the spooled measurements (all failed: no usable one)
    from netvigil.store import open_store

    points = open_store(w.url, writable=False).signals(entity_type="asn", entity_code="AS64498")
    gap = {p.signal: p.value for p in points if p.timestamp == T0 + 100}
    assert {k: gap[k] for k in ("measurements", "ok_share", "usable_measurements")} == {
        "measurements": 3.0,
        "ok_share": 0.0,
        "usable_measurements": 0.0,
    }
    assert gap["telegram.reachable"] == 0.0


def test_late_data_that_shows_the_network_was_up_retracts_the_outage(tmp_path: Path) -> None:
    # The collector, not the network, was unreachable: the probe's spool arrives late and its
    # measurements succeeded. The outage reported from the silence is withdrawn.
    w = world(tmp_path)
    silent = range(8, 16)

    def spool(b: int) -> list[tuple[str, str, str, int]]:
        return [("ok", "C", h, T0 + 10 * x + 2) for x in silent for h in HOSTS] if b == 18 else []

    written = _run(
        w, 22, lambda net, host, b: "ok", skip=lambda net, b: net == "C" and b in silent,
        extra=spool,
    )  # fmt: skip
    assert {e.entity for _, e in written if e.kind == "outage" and not e.retracted} == {
        "country:XC",
        "asn:AS64498",
    }
    events = w.events()
    assert len(events) == 2 and all(e.retracted and e.score == 0 for e in events)
    assert all(b == 18 for b, e in written if e.retracted)


def test_late_blocking_evidence_lands_in_its_own_bins(tmp_path: Path) -> None:
    # Network B's measurements of bins 6-11 arrive only at bin 16: they show DNS blocking.
    w = world(tmp_path)
    late = range(6, 12)

    def spool(b: int) -> list[tuple[str, str, str, int]]:
        if b != 16:
            return []
        return [("dns" if h == "news.example" else "ok", "B", h, T0 + 10 * x + 2) for x in late
                for h in HOSTS]  # fmt: skip

    _run(w, 20, lambda net, host, b: "ok", skip=lambda net, b: net == "B" and b in late,
         extra=spool)  # fmt: skip
    blocking = [e for e in w.events() if e.kind == "blocking"]
    assert [(e.entity, e.start.timestamp(), e.end is not None) for e in blocking] == [
        ("country:XB/asn:AS64497/domain:news.example", T0 + 60, True)
    ]


def test_data_older_than_the_pipeline_still_counts(tmp_path: Path) -> None:
    # The pipeline started (and ticked) before any probe had uploaded: the first uploads are
    # of measurements made before it started.
    w = world(tmp_path)
    pipeline = w.pipeline()
    w.now = T0 + 300
    assert pipeline.tick().events == ()
    rows = [("dns" if b >= 6 else "ok", "A", "news.example", T0 + 10 * b + 2) for b in range(20)]
    w.commit(rows)
    w.now = T0 + 310
    written = pipeline.tick().events
    assert [(e.kind, e.entity, e.start.timestamp()) for e in written if e.kind == "blocking"] == [
        ("blocking", "country:XA/asn:AS64496/domain:news.example", T0 + 60)
    ]
