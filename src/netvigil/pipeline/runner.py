"""The continuous pipeline: new verdicts in the store -> per-bin signals -> detectors -> events.

Each :meth:`Pipeline.tick`:

1. reads the verdict feed from its cursor (``AnalyticalStore.verdicts_committed``): which bins
   received measurements since the last tick;
2. steps the live detectors (``detect.live``) over every bin that has closed (its end plus
   ``grace_seconds`` has passed), with the bin's counts read back from the store; a bin that
   received data after it was stepped (late data: a probe's spool after a shutdown) makes the
   detectors re-run from the last checkpoint before it, and the events of that stretch are
   reconciled with the stored ones (the same episode keeps its event; one that the new data shows
   never happened is retracted);
3. writes the signal points of every hour that has new closed bins or late data, as one signal
   source per hour (a rewrite replaces it: never twice);
4. upserts the events (only new or changed versions are written) and then saves its state.

The state is saved last, so a crash repeats a tick's work at worst, which the store makes
harmless; see ``pipeline.state``. Time comes from ``clock`` (wall-clock seconds): tests pass
their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from netvigil._settings import PipelineSettings
from netvigil.detect import live
from netvigil.models.events import RETRACTED, Event, from_epoch
from netvigil.pipeline import bins as binning
from netvigil.pipeline.state import FORMAT, Checkpoint, PipelineState, StateFile

if TYPE_CHECKING:
    from netvigil.models.catalogue import Catalogue
    from netvigil.store.protocol import AnalyticalStore

FEED_ROWS = 200_000  # verdict rows read per feed call (whole commits), to bound memory
HOUR = 3600


@dataclass(frozen=True)
class TickReport:
    """What one tick did."""

    read: int = 0  # verdict rows read from the feed
    stepped: int = 0  # bins stepped for the first time
    replayed: int = 0  # bins stepped again because late data arrived
    signals: int = 0  # signal points written
    events: tuple[Event, ...] = ()  # event versions written (new, changed, retracted)
    next_bin: int = 0  # the next bin to step (epoch seconds)
    cursor: int = 0


@dataclass
class _Index:
    """The live detector's stored events, latest version each, by (kind, entity)."""

    by_key: dict[tuple[str, str], list[Event]] = field(default_factory=dict)

    def add(self, event: Event) -> None:
        versions = self.by_key.setdefault((event.kind, event.entity), [])
        versions[:] = [e for e in versions if e.event_id != event.event_id] + [event]

    def match(self, event: Event) -> Event | None:
        """The stored event of the same episode: same kind and entity, overlapping in time."""
        for old in self.by_key.get((event.kind, event.entity), []):
            if old.retracted:
                continue
            if (old.end is None or old.end > event.start) and (
                event.end is None or event.end > old.start
            ):
                return old
        return None

    def holds(self, event: Event) -> bool:
        """Whether this very version is stored already."""
        return event in self.by_key.get((event.kind, event.entity), [])

    def detected_since(self, moment: datetime) -> list[Event]:
        return [
            e
            for versions in self.by_key.values()
            for e in versions
            if not e.retracted and e.detected_at >= moment
        ]


def event_of(decision: live.Decision) -> Event:
    return Event(
        entity=decision.entity,
        kind=decision.kind,  # type: ignore[arg-type]  # live decides only the three kinds
        start=from_epoch(decision.onset),
        end=None if decision.end is None else from_epoch(decision.end),
        score=decision.score,
        signals=(decision.signal,),
        detector=live.NAME,
        detector_version=live.VERSION,
        detected_at=from_epoch(decision.detected),
    )


class Pipeline:
    """The pipeline over one store (see the module docstring)."""

    def __init__(
        self,
        store: AnalyticalStore,
        settings: PipelineSettings,
        catalogue: Catalogue,
        state_file: StateFile,
        *,
        store_label: str,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.width = settings.bin_seconds
        self.window = max(1, -(-settings.volume_window_seconds // self.width))
        self.targets = binning.Targets(catalogue)
        self.state_file = state_file
        self.clock = clock or time.time
        loaded = state_file.load()
        if loaded is not None and (loaded.bin != self.width or loaded.window != self.window):
            loaded = None  # other bins: the detectors start again (the store keeps the events)
        self.state = loaded or PipelineState(
            format=FORMAT, store=store_label, bin=self.width, window=self.window
        )
        self._index: _Index | None = None

    # -- the tick -----------------------------------------------------------------------------
    def tick(self) -> TickReport:
        now = self.clock()
        width, st = self.width, self.state
        horizon = binning.bin_of(int(now - self.settings.horizon_hours * HOUR), width)
        cursor, generation, read, touched = st.cursor, st.generation, 0, set()
        restarted = False
        while True:
            feed = self.store.verdicts_committed(
                after=cursor,
                generation=generation,
                columns=["measurement_start_time"],
                max_rows=FEED_ROWS,
            )
            restarted |= feed.restarted
            cursor, generation = feed.cursor, feed.generation
            read += feed.rows.num_rows
            for moment in feed.rows.column("measurement_start_time").to_pylist():
                touched.add(binning.bin_of(binning.epoch(moment), width))
            if feed.complete:
                break
        until = binning.bin_of(int(now - self.settings.grace_seconds), width)
        if not st.live:  # a fresh pipeline starts at its earliest data within the horizon
            first = min((b for b in touched if b >= horizon), default=until)
            st.stepped = max(horizon, min(first, until))
            st.live = live.dumps(live.new_state(width, self.window))
            st.checkpoints = [Checkpoint(st.stepped, st.live)]
        late = sorted(b for b in touched if horizon <= b < st.stepped)
        genesis = st.checkpoints[0]
        if late and late[0] < genesis.at and not live.loads(genesis.live).known():
            # Before the first data the detectors know nothing: their empty state holds at any
            # earlier bin, so data older than the pipeline (within the horizon) still counts.
            st.checkpoints[0] = Checkpoint(late[0], genesis.live)
        oldest = st.checkpoints[0].at
        late = [b for b in late if b >= oldest]
        if restarted:  # every verdict may have changed (a rebuild): re-run the whole horizon
            late = [oldest] if oldest < st.stepped else []
        start, state = st.stepped, live.loads(st.live)
        replay_from: int | None = None
        if late:
            checkpoint = max((c for c in st.checkpoints if c.at <= late[0]), key=lambda c: c.at)
            start, state, replay_from = checkpoint.at, live.loads(checkpoint.live), checkpoint.at
            st.checkpoints = [c for c in st.checkpoints if c.at <= checkpoint.at]
        decisions, stepped, replayed, with_data = self._step(state, start, until, st)
        events = self._events(decisions, replay_from)
        # Signals of the bins closed in this tick that have data, and of late data's hours.
        hours = {binning.bin_of(b, HOUR) for b in with_data if b >= st.stepped}
        hours |= {binning.bin_of(b, HOUR) for b in late}
        written = self._signals(sorted(hours), until)
        if events:
            self.store.upsert_events(events)
            for event in events:
                self._known().add(event)
        changed = (cursor, generation) != (st.cursor, st.generation) or stepped > 0
        st.cursor, st.generation = cursor, generation
        st.live = live.dumps(state)
        st.stepped = max(st.stepped, until)
        keep = [c for c in st.checkpoints if c.at > horizon]
        st.checkpoints = [c for c in st.checkpoints if c.at <= horizon][-1:] + keep
        if changed or events:
            self.state_file.save(st)
        return TickReport(
            read=read,
            stepped=stepped - replayed,
            replayed=replayed,
            signals=written,
            events=tuple(events),
            next_bin=st.stepped,
            cursor=cursor,
        )

    def _step(
        self, state: live.LiveState, start: int, until: int, st: PipelineState
    ) -> tuple[list[live.Decision], int, int, set[int]]:
        """Step the bins ``[start, until)``; checkpoints every ``horizon / 8``. Returns the
        decisions, the bins stepped, those stepped again, and the bins that had data."""
        width = self.width
        if start >= until:
            return [], 0, 0, set()
        every = max(width, binning.bin_of(int(self.settings.horizon_hours * HOUR / 8), width))
        counts = self._counts(start - (self.window - 1) * width, until)
        decisions: list[live.Decision] = []
        stepped = replayed = 0
        for t in range(start, until, width):
            if not st.checkpoints or (t % every == 0 and st.checkpoints[-1].at < t):
                st.checkpoints.append(Checkpoint(t, live.dumps(state)))
            decisions += live.step(state, t, binning.tally(counts, t, width, self.window))
            stepped += 1
            replayed += t < st.stepped
        return decisions, stepped, replayed, {b for b in counts if start <= b < until}

    def _counts(self, since: int, until: int) -> dict[int, binning.BinCounts]:
        table = self.store.verdicts(
            since=datetime.fromtimestamp(since, tz=UTC),
            until=datetime.fromtimestamp(until, tz=UTC),
            columns=binning.COLUMNS,
        )
        return binning.count(table.to_pylist(), self.width, self.targets)

    def _signals(self, hours: list[int], until: int) -> int:
        """Rewrite the signal source of each hour (its closed bins only)."""
        written = 0
        for hour in hours:
            counts = self._counts(hour, min(hour + HOUR, until))
            found = binning.points(counts)
            stamp = datetime.fromtimestamp(hour, tz=UTC).strftime("%Y%m%d%H")
            self.store.write_signals(found, source=f"pipeline-{self.width}s-{stamp}")
            written += len(found)
        return written

    # -- events -------------------------------------------------------------------------------
    def _known(self) -> _Index:
        if self._index is None:
            since = from_epoch(self.clock() - self.settings.horizon_hours * HOUR * 2)
            self._index = _Index()
            for stored in self.store.events(since=since).events:
                if stored.event.detector == live.NAME:
                    self._index.add(stored.event)
        return self._index

    def _events(self, decisions: list[live.Decision], replay_from: int | None) -> list[Event]:
        """The event versions to store: each decision on the episode it belongs to (a stored
        event of the same kind and entity overlapping it keeps its identity), and after a
        replay, the retraction of stored events it no longer finds."""
        index = self._known()
        out: dict[str, Event] = {}
        found: set[str] = set()
        episodes: dict[tuple[str, str], Event] = {}  # this run's open episode per key
        for decision in decisions:
            event = event_of(decision)
            key = (event.kind, event.entity)
            mine = episodes.get(key)
            old = mine if mine is not None else index.match(event)
            if old is not None:
                event = replace(event, start=old.start, detected_at=min(old.detected_at,
                                event.detected_at))  # fmt: skip
            found.add(event.event_id)
            out[event.event_id] = event
            if event.end is None:
                episodes[key] = event
            else:
                episodes.pop(key, None)
        if replay_from is not None:
            for old in index.detected_since(from_epoch(replay_from)):
                if old.event_id not in found:
                    gone = replace(old, end=old.start, score=0.0, signals=(RETRACTED,))
                    out[old.event_id] = gone
        return [e for e in out.values() if not index.holds(e)]
