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
the trace (compact per-sample columns; ``_fast.FastProfileCollector``, numba,
twin of ``_profiles_reference.ProfileCollector``) and clipped at the end, when
the goroutines' start and end times are final.
"""

from __future__ import annotations

from dataclasses import dataclass

from goroscope.model.events import GoState

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
