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

Filtered blocking profiles (``go tool trace``'s web UI: ``/block?name=G`` per
goroutine group, ``/regionblock?type=R`` per region type, and the io/syscall/sched
twins) charge each interval only its overlap with a set of intervals per
goroutine (cmd/trace's ``pprofByGoroutine``/``pprofByRegion``):
:func:`goroutine_intervals`, :func:`region_intervals`, :func:`time_intervals`
build those sets, :func:`filtered_blocking_profile` applies one.

Intervals are collected while :func:`goroscope.analysis.summary.analyze` streams
the trace (compact per-sample columns; ``_fast.FastProfileCollector``, numba,
twin of ``_profiles_reference.ProfileCollector``) and clipped at the end, when
the goroutines' start and end times are final.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from goroscope.model.events import GoState

#: blocking profile kinds, as in ``go tool trace -pprof=``
BLOCKING_KINDS = ("net", "sync", "syscall", "sched")
PROFILE_KINDS = (*BLOCKING_KINDS, "cpu")
PPROF_MAX_STACK = 128


class StackFrames(Sequence):
    """Frames per stack handle (``frames[h]``: ``[(pc, func, file, line), ...]``, leaf first,
    at most ``limit`` frames), resolved when asked.

    A handle of a generation whose tables decode stacks from the file
    (``TraceChunks(lazy_stacks=True)``: ``GenerationTables.stack_frames``) keeps only
    its generation and stack ID (16 B) and the generation's resolver; other handles
    (eagerly decoded tables, e.g. an ``EventTable`` of the whole trace) keep their
    frames. A million distinct stacks kept as frame lists cost several GB
    (HACKING.md § Analyses, "Stacks of the profile pass"); the resolvers hold the
    generations' stack indexes and a view of the mapped file.
    """

    __slots__ = ("_eager", "_gen", "_limit", "_resolve", "_sid")

    def __init__(self, limit: int | None = PPROF_MAX_STACK) -> None:
        self._limit = limit
        self._gen = array("q")  # per handle: generation index, -1 = frames kept in _eager
        self._sid = array("Q")  # per handle: wire stack ID
        self._resolve: dict[int, Callable[[int], list]] = {}
        self._eager: dict[int, list] = {}  # handle → frames (non-empty ones)

    def append(self, tables, gen_idx: int, stack_id: int, frames: list) -> int:
        """A new handle for ``frames`` (already resolved: ``tables.frames(stack_id)``)."""
        h = len(self._gen)
        fn = getattr(tables, "stack_frames", None) if frames else None
        if fn is not None:
            self._resolve.setdefault(gen_idx, fn)
            self._gen.append(gen_idx)
            self._sid.append(stack_id)
        else:
            self._gen.append(-1)
            self._sid.append(0)
            if frames:
                self._eager[h] = frames[: self._limit]
        return h

    def __len__(self) -> int:
        return len(self._gen)

    def __getitem__(self, h):
        if isinstance(h, slice):
            return [self[i] for i in range(*h.indices(len(self)))]
        h = int(h)
        g = self._gen[h]  # IndexError past the end, as a list
        if h < 0:
            h += len(self)
        if g < 0:
            return self._eager.get(h, [])
        return self._resolve[g](self._sid[h])[: self._limit]


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
    """Flame-graph data: a tree ``{"name", "value", "self", "children": [...]}`` rooted at
    ``"root"``; children by function name from the root frame down, siblings by value
    (descending) then name. ``value`` is the total (``time_ns`` or ``count`` summed over
    the records passing through the node), ``self`` the part of records whose leaf
    frame is the node: ``value == self + sum(child values)`` at every node."""
    root: dict = {"name": "root", "value": 0, "self": 0, "children": {}}
    for r in records:
        v = getattr(r, value)
        node = root
        node["value"] += v
        for _pc, fn, _file, _line in reversed(r.frames):
            node = node["children"].setdefault(
                fn, {"name": fn, "value": 0, "self": 0, "children": {}}
            )
            node["value"] += v
        node["self"] += v

    def freeze(n: dict) -> dict:
        kids = sorted(n["children"].values(), key=lambda c: (-c["value"], c["name"]))
        return {
            "name": n["name"],
            "value": n["value"],
            "self": n["self"],
            "children": [freeze(c) for c in kids],
        }

    return freeze(root)


def cpu_flame_graph(
    analysis,
    goid: int | None = None,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> dict:
    """The CPU profile as flame-graph data (:func:`flame_graph` of sample counts): the
    whole trace, one goroutine (``goid``) and/or the samples in ``[start_ns, end_ns)``
    (absolute ns). ``analysis`` must come from ``analyze(..., profiles=("cpu", ...))``."""
    c = analysis.collector
    if c is None or not getattr(c, "cpu", False):
        raise ValueError("the analysis has no CPU samples: analyze(..., profiles=('cpu',))")
    return flame_graph(c.cpu_records(goid, start_ns, end_ns), "count")


def blocking_flame_graph(
    analysis, kind: str, intervals: Intervals | None = None, value: str = "time_ns"
) -> dict:
    """A blocking profile (optionally filtered, see :func:`filtered_blocking_profile`) as
    flame-graph data; ``value`` ``"time_ns"`` (delay) or ``"count"``."""
    if intervals is None:
        return flame_graph(analysis.profiles[kind], value)
    return flame_graph(filtered_blocking_profile(analysis, kind, intervals), value)


# --- filtered blocking profiles ------------------------------------------------------------

#: goroutine ID → intervals ``[(start_ns, end_ns), ...]`` (absolute trace-clock ns)
Intervals = dict[int, list[tuple[int, int]]]


def goroutine_intervals(analysis, name: str | None = None) -> Intervals:
    """cmd/trace's ``pprofMatchingGoroutines``: each goroutine (of start function ``name``;
    all when None or ``""``) with its ``[StartTime, EndTime or trace end]``.

    Raises ``ValueError`` when no goroutine matches (Go's HTTP handler fails there).
    """
    out: Intervals = {}
    for goid, g in analysis.goroutines.items():
        if name and g.name != name:
            continue
        out[goid] = [(g.start_ns, g.end_ns if g.end_ns != 0 else analysis.last_ns)]
    if not out:
        raise ValueError(f"failed to find matching goroutines for name: {name}")
    return out


def region_intervals(
    analysis,
    region_type: str | None = None,
    *,
    latmin_ns: int | None = None,
    latmax_ns: int | None = None,
    task_id: int | None = None,
) -> Intervals:
    """cmd/trace's ``pprofMatchingRegions``: per goroutine, the intervals of its regions
    matching the filter, nested ones dropped (sorted by start, then end; a region
    starting before the previous kept one ended is skipped).

    region_type : ``r.Name == region_type`` (Go's ``type=`` parameter)
    latmin_ns, latmax_ns : duration bounds (Go's ``latmin``/``latmax``), inclusive
    task_id : only regions of this task (no Go equivalent: the task panel's filter)

    A region's interval is ``regionInterval``: a missing start/end is the trace's
    first/last event time. Go's ``pc=`` filter needs the region's start stack, which
    the summary does not keep: not offered.
    """
    from goroscope.analysis.summary import region_interval

    out: Intervals = {}
    for goid, g in analysis.goroutines.items():
        for r in g.regions:
            if region_type is not None and r.name != region_type:
                continue
            if task_id is not None and r.task_id != task_id:
                continue
            s, e = region_interval(analysis, r)
            if latmin_ns is not None and e - s < latmin_ns:
                continue
            if latmax_ns is not None and e - s > latmax_ns:
                continue
            out.setdefault(goid, []).append((s, e))
    for goid, ivs in out.items():
        ivs.sort()
        kept, last = [], 0
        for s, e in ivs:
            if last <= s:
                kept.append((s, e))
                last = e
        out[goid] = kept
    return out


def time_intervals(analysis, start_ns: int, end_ns: int, name: str | None = None) -> Intervals:
    """Each goroutine's (of start function ``name``, or all) lifetime interval clipped to
    ``[start_ns, end_ns]``: the blocking profile of a time range (the timeline's
    selection). Goroutines not alive in the range are left out."""
    out: Intervals = {}
    for goid, ivs in goroutine_intervals(analysis, name).items():
        s, e = ivs[0]
        s, e = max(s, start_ns), min(e, end_ns)
        if s <= e:
            out[goid] = [(s, e)]
    return out


def filtered_blocking_profile(
    analysis, kind: str, intervals: Intervals | None
) -> list[ProfileRecord]:
    """Blocking profile ``kind`` with cmd/trace's ``gToIntervals`` = ``intervals``.

    ``analysis`` must come from ``analyze(..., profiles=(kind, ...))``. Each blocking
    interval (start at a transition into the state, end at the next transition out)
    counts once with a delay equal to the summed positive overlap with its goroutine's
    ``intervals`` (``None``: its whole duration, no clipping at all). Equal to
    ``go tool trace``'s ``/block?name=…&raw=1`` (with :func:`goroutine_intervals`) and
    ``/regionblock?type=…&raw=1`` (with :func:`region_intervals`), and the io, syscall
    and sched twins (``tests/analysis/test_filtered_profiles.py``).
    """
    c = analysis.collector
    if c is None or kind not in getattr(c, "kinds", ()):
        raise ValueError(
            f"the analysis has no {kind!r} intervals: analyze(..., profiles=({kind!r},))"
        )
    return c.filtered_records(kind, intervals)
