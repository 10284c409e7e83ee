"""Reference blocking-profile trackers: ``cmd/trace/pprof.go``'s loop, one Python step per
goroutine transition (L2, slow, exact).

The twin of :class:`goroscope.analysis._fast.FastProfileCollector` (numba); see
:mod:`goroscope.analysis.profiles` for the rules.
"""

from __future__ import annotations

from array import array

import numpy as np

from goroscope.analysis.profiles import (
    _STATE,
    BLOCKING_KINDS,
    PPROF_MAX_STACK,
    PROFILE_KINDS,
    ProfileRecord,
    StackFrames,
    track_reason,
)
from goroscope.model.events import EventKind, EventTable, ResourceKind


def _pcs_key(frames: list) -> tuple[int, ...]:
    """Go's ``stackMap`` key: the first 128 PCs, zero-padded (trailing zero PCs stripped)."""
    pcs = [f[0] for f in frames[:PPROF_MAX_STACK]]
    while pcs and pcs[-1] == 0:
        pcs.pop()
    return tuple(pcs)


class _Stacks:
    """Stack handles (generation, stack ID) → dense handle IDs, and each handle's dedup key.

    Go's ``stackMap`` deduplicates by the first 128 PCs in a zero-padded array, so
    an empty stack and a stack of PC 0 frames share a record (the key here strips
    trailing zero PCs); a record shows the frames of the *last* stack merged into it.

    Memory per distinct stack: no PCs or frames are kept. A key is found by the hash of
    its PCs (``hash`` of the int tuple) and confirmed by re-resolving the PCs of the
    key's first handle; a stack whose hash collides with another key's goes to an exact
    table (never seen in practice). ``frames`` resolves on demand (:class:`StackFrames`).
    """

    def __init__(self) -> None:
        self.handles: dict[tuple[int, int], int] = {}  # the reference twin's lookups
        self._by_hash: dict[int, int] = {}  # hash of the PCs → key (its first stack)
        self._exact: dict[tuple[int, ...], int] = {}  # keys whose hash collided
        self._first = array("q")  # key → its first handle
        self.key_of = array("q")  # handle → dedup key
        self.frames = StackFrames()  # handle → frames

    def handle(self, ev: EventTable, gen_idx: int, stack_id: int) -> int:
        h = self.handles.get((gen_idx, stack_id))
        if h is None:
            h = self.handles[(gen_idx, stack_id)] = self.new(ev, gen_idx, stack_id)
        return h

    def new(self, ev: EventTable, gen_idx: int, stack_id: int) -> int:
        """A handle for (generation, stack) not seen before (the caller deduplicates)."""
        tables = ev.generations[gen_idx] if gen_idx >= 0 and stack_id else None
        frames = tables.frames(stack_id) if tables is not None else []
        pcs = _pcs_key(frames)
        hk = hash(pcs)
        k = self._by_hash.get(hk)
        if k is None:
            k = self._by_hash[hk] = len(self._first)
            self._first.append(len(self.key_of))
        elif _pcs_key(self.frames[self._first[k]]) != pcs:  # a hash collision
            k = self._exact.get(pcs, -1)
            if k < 0:
                k = self._exact[pcs] = len(self._first)
                self._first.append(len(self.key_of))
        self.key_of.append(k)
        return self.frames.append(tables, gen_idx, stack_id, frames)


class ProfileCollector:
    """Collects blocking intervals and CPU samples while a trace streams by (job thread)."""

    def __init__(self, kinds: tuple[str, ...], tool_minor: int = 27):
        for k in kinds:
            if k not in PROFILE_KINDS:
                raise ValueError(f"unknown profile kind {k!r}")
        self.kinds = tuple(k for k in BLOCKING_KINDS if k in kinds)
        self.cpu = "cpu" in kinds
        # go tool trace <= 1.25 skipped every event without a stack (even as an interval end)
        self.skip_no_stack = tool_minor <= 25
        self.stacks = _Stacks()
        # kind → goid → (start time, stack key) of the tracked interval
        self.tracking: dict[str, dict[int, tuple[int, int]]] = {k: {} for k in self.kinds}
        # kind → closed intervals: goid, start, end, stack key (lists of ints)
        self.samples: dict[str, list[list[int]]] = {k: [[], [], [], []] for k in self.kinds}
        self.cpu_samples: list[list[int]] = [[], [], []]  # time, goid, stack key

    def add(self, ev: EventTable, _summarizer=None) -> None:
        """Feed one chunk (in trace order)."""
        if self.cpu:
            m = np.flatnonzero(ev.kind == EventKind.StackSample)
            for i in m.tolist():
                k = self.stacks.handle(ev, int(ev.gen_idx[i]), int(ev.stack_id[i]))
                self.cpu_samples[0].append(int(ev.time_ns[i]))
                self.cpu_samples[1].append(int(ev.goroutine[i]))
                self.cpu_samples[2].append(k)
        if not self.kinds:
            return
        sel = (ev.kind == EventKind.StateTransition) & (ev.resource_kind == ResourceKind.Goroutine)
        if self.skip_no_stack:
            sel &= ev.stack_id != 0
        m = np.flatnonzero(sel)
        if len(m) == 0:
            return
        strings = ev.strings
        rows = zip(
            ev.resource_id[m].tolist(),
            ev.state_to[m].tolist(),
            ev.reason[m].tolist(),
            ev.time_ns[m].tolist(),
            ev.gen_idx[m].tolist(),
            ev.stack_id[m].tolist(),
            strict=True,
        )
        specs = [(k, _STATE[k], self.tracking[k], self.samples[k]) for k in self.kinds]
        for goid, new, reason, t, gi, sid in rows:
            for kind, state, tracking, out in specs:
                start = tracking.get(goid)
                if start is None:
                    if new == state and track_reason(kind, strings[reason]):
                        tracking[goid] = (t, self.stacks.handle(ev, gi, sid))
                    continue
                if new == state:
                    continue
                del tracking[goid]
                out[0].append(goid)
                out[1].append(start[0])
                out[2].append(t)
                out[3].append(start[1])

    def finish(self, analysis) -> dict[str, list[ProfileRecord]]:
        """Clip the intervals to the goroutines' lifetimes (Go's ``pprofByGoroutine``)."""
        out: dict[str, list[ProfileRecord]] = {}
        gs = analysis.goroutines
        end_default = analysis.last_ns
        key_of = self.stacks.key_of
        for kind in self.kinds:
            count: dict[int, int] = {}
            total: dict[int, int] = {}
            rep: dict[int, int] = {}  # dedup key → the last handle merged into it
            goids, starts, ends, handles = self.samples[kind]
            for goid, a, b, h in zip(goids, starts, ends, handles, strict=True):
                g = gs.get(goid)
                if g is None:
                    continue
                lo, hi = g.start_ns, g.end_ns if g.end_ns != 0 else end_default
                if hi < a or b < lo:
                    continue
                o = min(hi, b) - max(lo, a)
                if o > 0:
                    k = key_of[h]
                    count[k] = count.get(k, 0) + 1
                    total[k] = total.get(k, 0) + o
                    rep[k] = h
            out[kind] = [
                ProfileRecord(self.stacks.frames[rep[k]], count[k], total[k]) for k in count
            ]
        if self.cpu:
            out["cpu"] = self.cpu_records()
        return out

    def cpu_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The CPU samples: time (ns), goroutine ID, stack handle — (n,) int64 each."""
        return tuple(np.asarray(c, np.int64) for c in self.cpu_samples)

    def cpu_records(
        self, goid: int | None = None, start_ns: int | None = None, end_ns: int | None = None
    ) -> list[ProfileRecord]:
        """CPU samples per stack, optionally of one goroutine and/or in ``[start_ns, end_ns)``."""
        t, g, k = self.cpu_columns()
        m = np.ones(len(t), bool)
        if goid is not None:
            m &= g == goid
        if start_ns is not None:
            m &= t >= start_ns
        if end_ns is not None:
            m &= t < end_ns
        key_of = np.asarray(self.stacks.key_of, np.int64)
        count: dict[int, int] = {}
        rep: dict[int, int] = {}
        for h in k[m].tolist():
            kk = int(key_of[h])
            count[kk] = count.get(kk, 0) + 1
            rep[kk] = h
        return [ProfileRecord(self.stacks.frames[rep[kk]], c, 0) for kk, c in count.items()]

    # --- filtered profiles (cmd/trace's pprofByGoroutine / pprofByRegion) ------------------

    def samples_of(self, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The closed intervals of a blocking kind, in Go's order (the event ending each):
        goroutine ID, start, end (ns), stack handle — (n,) int64 each."""
        return tuple(np.asarray(c, np.int64) for c in self.samples[kind])

    def filtered_records(
        self, kind: str, intervals: dict[int, list[tuple[int, int]]] | None
    ) -> list[ProfileRecord]:
        """cmd/trace's ``makeComputePprofFunc`` with ``gToIntervals`` = ``intervals``: each
        interval is charged the summed positive overlap with its goroutine's intervals
        (``pprofOverlappingDuration``); ``None`` charges every interval whole."""
        key_of = self.stacks.key_of
        count: dict[int, int] = {}
        total: dict[int, int] = {}
        rep: dict[int, int] = {}
        goids, starts, ends, handles = self.samples[kind]
        for goid, a, b, h in zip(goids, starts, ends, handles, strict=True):
            if intervals is None:
                o = b - a
            else:
                o = 0
                for s, e in intervals.get(goid, ()):
                    if e < a or b < s:
                        continue
                    d = min(e, b) - max(s, a)
                    if d > 0:
                        o += d
            if o > 0:
                k = key_of[h]
                count[k] = count.get(k, 0) + 1
                total[k] = total.get(k, 0) + o
                rep[k] = h
        return [ProfileRecord(self.stacks.frames[rep[k]], count[k], total[k]) for k in count]
