"""Blocking profiles (net, sync, syscall, sched) and the CPU profile of a trace (L2).

Blocking profiles follow ``cmd/trace/pprof.go`` exactly (what ``go tool trace
-pprof=TYPE`` prints):

=========  ==============  ==========================================
kind       state entered   reason predicate
=========  ==============  ==========================================
net        Waiting         ``reason == "network"``
sync       Waiting         reason contains ``chan``, ``sync`` or ``select``
syscall    Syscall         any
sched      Runnable        any
=========  ==============  ==========================================

``tool_minor`` picks the ``go tool trace`` whose rules to follow: up to Go 1.25
it skipped every transition without a stack (``Event.Stack() == NoStack``),
even as the end of an interval; from 1.26 on every transition counts. Records
keep at most 128 frames (1.26 and earlier kept 129; trace stacks never have
more than 128 frames, so this never shows).

A goroutine transition *into* the state with a matching reason starts an
interval (unless one is already tracked); the next transition of that
goroutine to another state ends it. The interval is clipped to the goroutine's
``[StartTime, EndTime]`` from Go's summary (``EndTime`` 0 → the trace end;
``StartTime`` 0 when it never ran), and when the overlap is positive it is
charged — count 1, delay = overlap — to the stack of the *starting* event
(``Event.Stack()``, not the transition stack). Records are merged by their
first 128 PCs; a record keeps the frames of the latest stack merged into it.

The CPU profile counts ``StackSample`` events per stack (whole trace, one
goroutine, or a time range). The trace does not record the sampling period, so
its only value is the sample count.

Intervals are collected while :func:`goroscope.analysis.summary.analyze` streams
the trace (compact per-sample columns) and clipped at the end, when the
goroutines' start and end times are final.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from goroscope.model.events import EventKind, EventTable, GoState, ResourceKind

#: blocking profile kinds, as in ``go tool trace -pprof=``
BLOCKING_KINDS = ("net", "sync", "syscall", "sched")
PROFILE_KINDS = (*BLOCKING_KINDS, "cpu")
PPROF_MAX_STACK = 128

_STATE = {
    "net": int(GoState.Waiting),
    "sync": int(GoState.Waiting),
    "syscall": int(GoState.Syscall),
    "sched": int(GoState.Runnable),
}


def track_reason(kind: str, reason: str) -> bool:
    """cmd/trace's ``trackReason`` predicate of a blocking profile kind."""
    if kind == "net":
        return reason == "network"
    if kind == "sync":
        return "chan" in reason or "sync" in reason or "select" in reason
    return True


@dataclass
class ProfileRecord:
    """traceviewer's ``ProfileRecord``: ``frames`` leaf first ``[(pc, func, file, line)]``."""

    frames: list[tuple[int, str, str, int]]
    count: int
    time_ns: int


class _Stacks:
    """Stack handles (generation, stack ID) → dense handle IDs, and each handle's dedup key.

    Go's ``stackMap`` deduplicates by the first 128 PCs in a zero-padded array, so
    an empty stack and a stack of PC 0 frames share a record (the key here strips
    trailing zero PCs); a record shows the frames of the *last* stack merged into it.
    """

    def __init__(self) -> None:
        self.handles: dict[tuple[int, int], int] = {}
        self.pcs_keys: dict[tuple[int, ...], int] = {}
        self.key_of: list[int] = []  # handle → dedup key
        self.frames: list[list[tuple[int, str, str, int]]] = []  # handle → frames

    def handle(self, ev: EventTable, gen_idx: int, stack_id: int) -> int:
        h = self.handles.get((gen_idx, stack_id))
        if h is None:
            frames = ev.generations[gen_idx].frames(stack_id) if gen_idx >= 0 and stack_id else []
            pcs = [f[0] for f in frames[:PPROF_MAX_STACK]]
            while pcs and pcs[-1] == 0:
                pcs.pop()
            k = self.pcs_keys.setdefault(tuple(pcs), len(self.pcs_keys))
            h = self.handles[(gen_idx, stack_id)] = len(self.frames)
            self.frames.append(frames[:PPROF_MAX_STACK])
            self.key_of.append(k)
        return h


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

    def cpu_records(
        self, goid: int | None = None, start_ns: int | None = None, end_ns: int | None = None
    ) -> list[ProfileRecord]:
        """CPU samples per stack, optionally of one goroutine and/or in ``[start_ns, end_ns)``."""
        t = np.asarray(self.cpu_samples[0], np.int64)
        g = np.asarray(self.cpu_samples[1], np.int64)
        k = np.asarray(self.cpu_samples[2], np.int64)
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


def blocking_profile(source, kind: str, tool_minor: int = 27) -> list[ProfileRecord]:
    """``go tool trace -pprof=KIND`` of a trace (path, bytes, EventTable or chunks), with the
    rules of ``go tool trace`` from Go 1.``tool_minor``."""
    from goroscope.analysis.summary import analyze

    if kind not in BLOCKING_KINDS:
        raise ValueError(f"unknown blocking profile kind {kind!r}")
    return analyze(source, profiles=(kind,), profile_tool_minor=tool_minor).profiles[kind]


def cpu_profile(
    source, goid: int | None = None, start_ns: int | None = None, end_ns: int | None = None
) -> list[ProfileRecord]:
    """CPU samples (``StackSample`` events) per stack: whole trace, one goroutine or a time range."""
    from goroscope.analysis.summary import analyze

    a = analyze(source, profiles=("cpu",))
    if goid is None and start_ns is None and end_ns is None:
        return a.profiles["cpu"]
    return a.collector.cpu_records(goid, start_ns, end_ns)


def flame_graph(records: list[ProfileRecord], value: str = "time_ns") -> dict:
    """Flame-graph data: a tree ``{"name", "value", "children": [...]}`` rooted at ``"root"``,
    children by function name from the root frame down, values summed (``time_ns`` or ``count``)."""
    root: dict = {"name": "root", "value": 0, "children": {}}
    for r in records:
        v = getattr(r, value)
        node = root
        node["value"] += v
        for _pc, fn, _file, _line in reversed(r.frames):
            node = node["children"].setdefault(fn, {"name": fn, "value": 0, "children": {}})
            node["value"] += v

    def freeze(n: dict) -> dict:
        kids = sorted(n["children"].values(), key=lambda c: (-c["value"], c["name"]))
        return {"name": n["name"], "value": n["value"], "children": [freeze(c) for c in kids]}

    return freeze(root)
