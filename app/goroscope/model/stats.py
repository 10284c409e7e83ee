"""``goroscope.stats``: event counts with the keys and meanings of Go's ``tracecount -json -v`` (L1).

``tracecount`` (``../shared/tools/tracecount``) reads a trace with Go's own
``internal/trace.Reader`` and counts what ``ReadEvent`` returns until ``io.EOF``
or the first error. :func:`stats` does the same over our
:class:`~goroscope.model.events.EventTable`, so every semantic key must agree
with it exactly:

``file``
    the path as given; ``bytes`` its size; ``mode`` is ``"parsed"``.
``events``
    events returned before EOF or the error (Syncs included).
``by_kind``
    ``EventKind.String()`` → count, non-zero kinds only.
``detail``
    tracecount's ``addDetail`` breakdown: ``"Go From->To"`` and ``"GoReason r"``
    for goroutine transitions, ``"Proc From->To"``, ``"<RangeKind> <name>"``,
    ``"Metric <name>"``, ``"Label <label>"``, ``"Log category=<c>"``,
    ``"TaskBegin <type>"``, ``"RegionBegin <type>"``, ``"Experimental <name>"``.
``goroutines``, ``procs``, ``threads``
    distinct non-none ``Event.Goroutine()/Proc()/Thread()`` values (the
    *context* of each event, not transition targets).
``generations``
    the number of Sync events (one per generation plus the final one).
``span_ns``
    last event time minus the first non-zero event time.
``error``
    Go's error message when the trace is damaged (then everything before the
    error is still counted and the CLI exits 1).
``lost``
    ours, with ``error``: what was not delivered (``generation``, byte ``offset``
    of the damage, ``start`` of what was not returned, ``bytes``, ``share`` of
    the file); see :class:`goroscope.model.trace.Lost`.
``version``
    ``"go1.N"`` from the header (tracecount prints it only in ``-raw`` mode).

Like Go's ``encoding/json`` with ``omitempty``, zero ``generations``,
``span_ns``, ``goroutines``, ``procs``, ``threads`` and an empty ``detail`` are
left out. Timing keys (``seconds``, ``mb_per_s``, ``events_per_s``, ``mem``) are
ours, not Go's.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable

import numpy as np

from goroscope.model.events import (
    EventKind,
    EventTable,
    ResourceKind,
    go_state_name,
    proc_state_name,
)

#: result keys in tracecount's struct order (its JSON field order)
KEYS = (
    "file",
    "mode",
    "version",
    "bytes",
    "events",
    "seconds",
    "mb_per_s",
    "events_per_s",
    "by_kind",
    "detail",
    "generations",
    "span_ns",
    "goroutines",
    "procs",
    "threads",
    "error",
    "lost",
    "mem",
)
#: keys whose values depend on the machine and the run, not on the trace
TIMING_KEYS = frozenset({"seconds", "mb_per_s", "events_per_s", "mem", "mode"})


def stats(
    path: str | os.PathLike[str],
    *,
    progress: Callable[[float], None] | None = None,
    engine: str = "fast",
) -> dict:
    """Count the events of the trace at ``path`` as ``tracecount -json -v`` does.

    Never raises for a damaged or unreadable trace: the message goes under
    ``"error"`` and everything read before it is counted. Memory stays bounded
    by the file, one generation and one chunk of events. Job thread; pure.
    """
    from goroscope.format.tracefile import TraceFile
    from goroscope.model._errors import TraceFormatError, UnsupportedVersionError
    from goroscope.model.order import TraceChunks
    from goroscope.model.trace import loss_summary

    name = os.fspath(path)
    out: dict = {"file": name, "mode": "parsed", "by_kind": {}}
    start = time.perf_counter()
    try:
        with open(name, "rb") as f:
            size = os.fstat(f.fileno()).st_size
    except OSError as e:
        out["error"] = f"open {name}: {e.strerror.lower() if e.strerror else e}"
        return _finish(out, start)
    out["bytes"] = size
    tf = None
    chunks = None
    try:
        try:
            # Map the file (pages stay shared and reclaimable) rather than copying it.
            src: TraceFile | bytes = b""
            if size:
                try:
                    src = tf = TraceFile(name, allow_v1=True)
                except (TraceFormatError, UnsupportedVersionError):
                    with open(name, "rb") as f:  # not a trace: Go's header error below
                        src = f.read()
            chunks = TraceChunks(src, keep_columns=False, engine=engine, progress=progress)
        except (TraceFormatError, UnsupportedVersionError) as e:  # header: nothing to count
            out["error"] = e.message
            return _finish(out, start)
        out["version"] = f"go1.{chunks.version}"
        acc = EventCounter()
        for table in chunks:
            acc.add(table)
        out.update(acc.result())
        if chunks.error is not None:
            out["error"] = chunks.error.message
            out["lost"] = loss_summary(src, chunks.error)
    finally:
        del chunks
        if tf is not None:
            tf.close()
    return _finish(out, start)


def count_events(ev: EventTable) -> dict:
    """The counting part of :func:`stats` over one :class:`EventTable`."""
    acc = EventCounter()
    acc.add(ev)
    return acc.result()


class EventCounter:
    """tracecount's counters, fed :class:`EventTable` chunks in order (numpy per chunk)."""

    def __init__(self) -> None:
        self.events = 0
        self.kinds = np.zeros(16, np.int64)
        self.first = 0
        self.last: int | None = None
        self.goroutines: set[int] = set()
        self.procs: set[int] = set()
        self.threads: set[int] = set()
        self.detail: dict[str, int] = {}

    def add(self, ev: EventTable) -> None:
        n = len(ev)
        if n == 0:
            return
        self.events += n
        self.kinds += np.bincount(ev.kind, minlength=16)[:16]
        times = ev.time_ns
        if self.first == 0:
            nz = np.flatnonzero(times != 0)
            if len(nz):
                self.first = int(times[nz[0]])
        self.last = int(times[-1])
        self.goroutines.update(np.unique(ev.goroutine[ev.goroutine != -1]).tolist())
        self.procs.update(np.unique(ev.proc[ev.proc != -1]).tolist())
        self.threads.update(np.unique(ev.thread[ev.thread != -1]).tolist())
        for k, v in _detail(ev).items():
            self.detail[k] = self.detail.get(k, 0) + v

    def result(self) -> dict:
        out: dict = {"events": self.events}
        out["by_kind"] = {str(EventKind(k)): int(c) for k, c in enumerate(self.kinds[:15]) if c}
        if self.last is not None:
            out["span_ns"] = self.last - self.first
        out["generations"] = int(self.kinds[EventKind.Sync])
        out["goroutines"] = len(self.goroutines)
        out["procs"] = len(self.procs)
        out["threads"] = len(self.threads)
        out["detail"] = dict(sorted(self.detail.items()))
        return out


def _detail(ev: EventTable) -> dict[str, int]:
    d: dict[str, int] = {}
    s = ev.strings

    def add(key: str, count: int) -> None:
        d[key] = d.get(key, 0) + count

    kind = ev.kind
    st = kind == EventKind.StateTransition
    # Transitions: count (resource kind, from, to) triples.
    if st.any():
        key = (
            ev.resource_kind[st].astype(np.int64) << 16
            | ev.state_from[st].astype(np.int64) << 8
            | ev.state_to[st].astype(np.int64)
        )
        for k, c in zip(*np.unique(key, return_counts=True), strict=True):
            rk, f, t = int(k) >> 16, (int(k) >> 8) & 0xFF, int(k) & 0xFF
            if rk == ResourceKind.Goroutine:
                add(f"Go {go_state_name(f)}->{go_state_name(t)}", int(c))
            elif rk == ResourceKind.Proc:
                add(f"Proc {proc_state_name(f)}->{proc_state_name(t)}", int(c))
            else:
                add(f"Transition {ResourceKind(rk)}", int(c))
        gst = st & (ev.resource_kind == ResourceKind.Goroutine) & (ev.reason != 0)
        for code, c in zip(*np.unique(ev.reason[gst], return_counts=True), strict=True):
            if s[code] != "":
                add("GoReason " + s[code], int(c))

    def by_name(mask: np.ndarray, prefix: Callable[[int], str], col: np.ndarray) -> None:
        if not mask.any():
            return
        key = kind[mask].astype(np.int64) << 32 | col[mask].astype(np.int64)
        for k, c in zip(*np.unique(key, return_counts=True), strict=True):
            add(prefix(int(k) >> 32) + s[int(k) & 0xFFFFFFFF], int(c))

    rng = (kind >= EventKind.RangeBegin) & (kind <= EventKind.RangeEnd)
    by_name(rng, lambda k: f"{EventKind(k)} ", ev.name)
    by_name(kind == EventKind.Metric, lambda k: "Metric ", ev.name)
    by_name(kind == EventKind.Label, lambda k: "Label ", ev.name)
    by_name(kind == EventKind.Log, lambda k: "Log category=", ev.name)
    by_name(kind == EventKind.TaskBegin, lambda k: "TaskBegin ", ev.name)
    by_name(kind == EventKind.RegionBegin, lambda k: "RegionBegin ", ev.name)
    by_name(kind == EventKind.Experimental, lambda k: "Experimental ", ev.name)
    return dict(sorted(d.items()))


def go_json_text(s: str) -> str:
    """What Go's ``encoding/json`` makes of a Go string: each invalid UTF-8 byte becomes U+FFFD.

    Our strings decode trace bytes with ``surrogateescape`` (one lone surrogate
    per undecodable byte), so this is a 1:1 replacement.
    """
    if s.isascii():
        return s
    return "".join("\ufffd" if "\udc80" <= ch <= "\udcff" else ch for ch in s)


def _finish(out: dict, start: float) -> dict:
    secs = time.perf_counter() - start
    out["seconds"] = secs
    size = out.get("bytes", 0)
    n = out.get("events", 0)
    out["bytes"] = size
    out["events"] = n
    out["mb_per_s"] = size / 1e6 / secs if secs > 0 else 0.0
    out["events_per_s"] = n / secs if secs > 0 else 0.0
    out["by_kind"] = dict(sorted(out.get("by_kind", {}).items()))
    if "detail" in out:
        detail: dict[str, int] = {}
        for k, v in out["detail"].items():
            k = go_json_text(k)
            detail[k] = detail.get(k, 0) + v
        out["detail"] = dict(sorted(detail.items()))
    if "error" in out:
        out["error"] = go_json_text(out["error"])
    # encoding/json omitempty
    for k in ("generations", "span_ns", "goroutines", "procs", "threads"):
        if not out.get(k):
            out.pop(k, None)
    if not out.get("detail"):
        out.pop("detail", None)
    out["mem"] = {"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10}
    return {k: out[k] for k in KEYS if k in out}
