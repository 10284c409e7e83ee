"""Goroutine, task, region and MMU analysis of a whole trace, in one streaming pass (L2).

:func:`analyze` reads a trace chunk by chunk (:class:`~goroscope.model.TraceChunks`,
released generations, so memory stays bounded by one generation, one chunk and
the per-goroutine/per-task results) and feeds each chunk to:

* the goroutine summarizer (Go's ``internal/trace/summary.go``,
  :mod:`goroscope.analysis._summary_reference`);
* the mutator utilization tracker (Go's ``MutatorUtilizationV2`` with
  STW | Background | Assist | Sweep, :mod:`goroscope.analysis._mmu_reference`);
* the transition digests of ``tracecount -summary`` (compact columns per chunk:
  goroutine/proc ID, time, states, reason code; formatted and hashed at the end);
* optionally the blocking-profile trackers (:mod:`goroscope.analysis.profiles`).

:func:`summary` reduces an :class:`Analysis` to exactly the keys and meanings of
``tracecount -summary`` (``../shared/tools/tracecount/summary.go``):

``events``, ``first_ns``, ``last_ns``
    events Go's reader returned before EOF or the error; first and last ``Event.Time()``.
``goroutines``, ``groups``
    goroutines in Go's summary; count per name (the root frame of the first
    transition stack seen, ``""`` if none).
``totals_ns``
    per category of ``NonOverlappingStats`` summed over goroutines, plus ``Total time``.
``range_ns``
    ``RangeTime`` summed (GC mark assist, incremental sweep, ...).
``tasks``, ``tasks_complete``, ``task_types``, ``task_logs``
    tasks seen (begin, end, log or region), those with begin and end, count per
    type name, logs.
``regions``, ``region_exec_ns``
    per region name: regions of all goroutines and their summed execution time.
``g_transitions_sha256``, ``p_transitions_sha256``
    SHA-256 of ``"<id> <time> <from>-><to> <reason>"`` lines (``reason`` only
    for goroutines) grouped by ascending ID, event order within an ID.
``g_stats_sha256``
    SHA-256 of the sorted ``"<id> <%q name> <created> <started> <ended> <exec>
    <sched wait> <syscall> <total>"`` lines.
``mmu``
    minimum mutator utilization for windows 1ms, 10ms, 100ms, 1s; empty when
    the trace is damaged (tracecount computes it only for clean traces).
``error``
    Go's error message (left out when there is none).

Memory: the pass keeps, besides the reader's generation, the summarizer's arrays
(per goroutine ~200 B, per region ~200 B plus its stat maps), the utilization
changes, 22 bytes per state transition for the digests (``digests=False`` skips
them) and, with profiles, 32 bytes per blocking interval. :func:`summary` reads
the tracecount keys straight from those arrays; ``Analysis.goroutines`` builds
Go's summary objects (~1 KB per goroutine or region) only when asked.

Beyond tracecount, :func:`group_distributions` gives per start-function group
and category the min / median / p90 / p99 / max over goroutines, and
:func:`task_stats` / :func:`region_stats` the per-type counts, go tool trace's
log-bucket duration histograms and per-instance breakdowns.
"""

from __future__ import annotations

import functools
import hashlib
import math
import mmap
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from goroscope.analysis._mmu_reference import UTIL_ALL, MMUCurve, MutatorUtilization
from goroscope.analysis._summary_reference import (
    GoroutineSummary,
    RegionSummary,
    Summarizer,
    TaskSummary,
)
from goroscope.model.events import (
    EventKind,
    EventTable,
    ResourceKind,
    go_state_name,
    proc_state_name,
)

#: tracecount -summary's MMU windows: name → ns
MMU_WINDOWS = {"1ms": 1_000_000, "10ms": 10_000_000, "100ms": 100_000_000, "1s": 1_000_000_000}
#: result keys in tracecount's struct order
SUMMARY_KEYS = (
    "file",
    "events",
    "error",
    "first_ns",
    "last_ns",
    "goroutines",
    "groups",
    "totals_ns",
    "range_ns",
    "tasks",
    "tasks_complete",
    "task_types",
    "task_logs",
    "regions",
    "region_exec_ns",
    "g_transitions_sha256",
    "p_transitions_sha256",
    "g_stats_sha256",
    "mmu",
)


@dataclass
class Analysis:
    """Everything one pass over a trace produced (job thread; pure data once returned).

    goroutines : GoID → Go's ``GoroutineSummary``; tasks : TaskID → ``UserTaskSummary``
    util_times_ns, util : the mutator utilization series (``MutatorUtilizationV2``)
    """

    file: str = ""
    events: int = 0
    first_ns: int = 0
    last_ns: int = 0
    error: str | None = None
    header_error: bool = False
    _goroutines: dict[int, GoroutineSummary] | None = None
    _tasks: dict[int, TaskSummary] | None = None
    _summarizer: object = None  # a finished FastSummarizer whose objects are built on demand
    util_times_ns: list[int] = field(default_factory=list)
    util: list[float] = field(default_factory=list)
    g_digest: str = ""
    p_digest: str = ""
    profiles: dict = field(default_factory=dict)
    collector: object = None  # the ProfileCollector, for re-filtering CPU samples

    def _build(self) -> None:
        if self._goroutines is None:
            if self._summarizer is not None:
                self._goroutines, self._tasks = self._summarizer.finalize()
            else:
                self._goroutines, self._tasks = {}, {}

    @property
    def goroutines(self) -> dict[int, GoroutineSummary]:
        """GoID → Go's ``GoroutineSummary`` (built on first access on the fast path)."""
        self._build()
        return self._goroutines

    @property
    def tasks(self) -> dict[int, TaskSummary]:
        """TaskID → Go's ``UserTaskSummary``."""
        self._build()
        return self._tasks

    def mmu_curve(self) -> MMUCurve:
        return MMUCurve(self.util_times_ns, self.util)


class _Digests:
    """The transition lines of tracecount -summary, kept as compact columns per chunk."""

    def __init__(self) -> None:
        self.g: list[tuple[np.ndarray, ...]] = []
        self.p: list[tuple[np.ndarray, ...]] = []
        from goroscope.analysis._fast import GlobalStrings  # numpy only

        self._str = GlobalStrings()
        self.reasons = self._str.strings

    def add(self, ev: EventTable) -> None:
        st = ev.kind == EventKind.StateTransition
        if not st.any():
            return
        gmap = self._str.remap(ev.strings)
        for rk, out, with_reason in (
            (ResourceKind.Goroutine, self.g, True),
            (ResourceKind.Proc, self.p, False),
        ):
            m = st & (ev.resource_kind == rk)
            if m.any():
                cols = (ev.resource_id[m], ev.time_ns[m], ev.state_from[m], ev.state_to[m])
                if with_reason:
                    cols += (gmap[ev.reason[m]].astype(np.int32),)
                out.append(cols)

    def _digest(self, parts, with_reason: bool, name, fast: bool = True, consume=False) -> str:
        h = hashlib.sha256()
        if not parts:
            return h.hexdigest()
        ids = np.concatenate([p[0] for p in parts])
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        cols = [ids]
        # one column at a time; with ``consume`` each chunk's piece is dropped once copied
        # (peak: the parts and two columns)
        for j in range(1, len(parts[0])):
            col = np.concatenate([p[j] for p in parts])
            if consume:
                for k, p in enumerate(parts):
                    parts[k] = p[:j] + (None,) + p[j + 1 :]
            cols.append(col[order])
            del col
        if consume:
            parts.clear()
        del order
        strings = self.reasons
        names = [name(v) for v in range(256)]
        if not fast:  # the reference: one formatted line per transition
            lines = []
            if with_reason:
                for gid, t, f, to, r in zip(*(c.tolist() for c in cols), strict=True):
                    lines.append(f"{gid} {t} {names[f]}->{names[to]} {strings[r]}\n")
            else:
                for pid, t, f, to in zip(*(c.tolist() for c in cols), strict=True):
                    lines.append(f"{pid} {t} {names[f]}->{names[to]}\n")
            h.update("".join(lines).encode("utf-8", "surrogateescape"))
            return h.hexdigest()
        from goroscope.analysis._kernels import format_transitions

        name_b = [s.encode() for s in names]
        name_off = np.zeros(257, np.int64)
        name_off[1:] = np.cumsum([len(b) for b in name_b])
        name_arr = np.frombuffer(b"".join(name_b), np.uint8)
        if with_reason:
            codes, ridx = np.unique(cols[4], return_inverse=True)
            rb = [strings[c].encode("utf-8", "surrogateescape") for c in codes.tolist()]
            rlen = np.array([len(b) for b in rb], np.int64)
            ridx = ridx.astype(np.int64)
        else:
            rb, rlen = [], np.zeros(0, np.int64)
            ridx = np.full(len(ids), -1, np.int64)
        rs_off = np.zeros(len(rb) + 1, np.int64)
        rs_off[1:] = np.cumsum(rlen)
        rs = np.frombuffer(b"".join(rb) or b"\0", np.uint8)
        # at most 20 + 1 + 20 + 1 + names + 2 + 1 + reason + 1 bytes per line, in blocks
        block = 1 << 18
        max_name = int(np.diff(name_off).max())
        for a in range(0, len(ids), block):
            b = min(a + block, len(ids))
            ri = ridx[a:b]
            extra = int(rlen[ri[ri >= 0]].sum()) if len(rlen) else 0
            buf = np.empty((b - a) * (48 + 2 * max_name) + extra, np.uint8)
            used = format_transitions(
                cols[0][a:b], cols[1][a:b], cols[2][a:b], cols[3][a:b], ri,
                name_arr, name_off, rs, rs_off, buf,
            )  # fmt: skip
            h.update(buf[:used].tobytes())
        return h.hexdigest()

    def result(self, fast: bool = True, consume: bool = False) -> tuple[str, str]:
        """The two digests; ``consume`` frees the columns while hashing (then call once)."""
        return (
            self._digest(self.g, True, go_state_name, fast, consume),
            self._digest(self.p, False, proc_state_name, fast, consume),
        )


def _open(source) -> tuple[str, object, object]:
    """(name, buffer, closer) for a path or a buffer."""
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        f = open(name, "rb")  # noqa: SIM115 - closed by the caller via closer
        size = os.fstat(f.fileno()).st_size
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        return name, buf, f
    return "", source, None


def analyze(
    source,
    *,
    profiles: Iterable[str] = (),
    profile_tool_minor: int = 27,
    chunk_events: int = 1 << 16,
    reference: bool = False,
    digests: bool = True,
) -> Analysis:
    """One pass over a trace: goroutine/task summary, utilization, digests, profiles.

    source : a path, the trace bytes (``bytes``/``mmap``), an :class:`EventTable`
        or an iterable of EventTable chunks (in trace order)
    profiles : blocking profile kinds to collect (``"net"``, ``"sync"``, ``"syscall"``,
        ``"sched"``) and/or ``"cpu"``; see :mod:`goroscope.analysis.profiles`
    profile_tool_minor : follow ``go tool trace`` of Go 1.N for blocking profiles
    reference : use the pure-Python reference twins instead of the numba fast path
        (the same results, slowly; for tests)
    digests : compute tracecount's transition digests; they keep 22 bytes per state
        transition until the end (the lines are hashed grouped by ID), the one part of
        the pass whose memory grows with the trace rather than with its goroutines

    Never raises for damaged traces: the reader's error goes to ``Analysis.error``
    and everything before it is analysed. Job thread; pure.
    """
    from goroscope.model import TraceChunks
    from goroscope.model._errors import TraceFormatError

    if reference:
        from goroscope.analysis._profiles_reference import ProfileCollector

        summ = Summarizer()
        util = MutatorUtilization(UTIL_ALL)
    else:
        from goroscope.analysis._fast import FastMutatorUtilization, FastSummarizer
        from goroscope.analysis._fast import FastProfileCollector as ProfileCollector

        summ = FastSummarizer()
        util = FastMutatorUtilization(UTIL_ALL)
    out = Analysis()
    dig = _Digests()
    prof = ProfileCollector(tuple(profiles), profile_tool_minor) if profiles else None

    def feed(table: EventTable) -> None:
        n = len(table)
        if n == 0:
            return
        if out.events == 0:
            out.first_ns = int(table.time_ns[0])
        out.last_ns = int(table.time_ns[-1])
        out.events += n
        summ.add(table)
        util.add(table)
        if digests:
            dig.add(table)
        if prof is not None:
            prof.add(table, summ)

    closer = None
    try:
        if isinstance(source, EventTable):
            feed(source)
        elif isinstance(source, str | os.PathLike | bytes | bytearray | mmap.mmap | memoryview):
            name, buf, closer = _open(source)
            out.file = name
            try:
                chunks = TraceChunks(buf, chunk_events=chunk_events, keep_columns=False)
            except TraceFormatError as e:
                out.error = e.message
                out.header_error = True
                return out
            for table in chunks:
                feed(table)
            if chunks.error is not None:
                out.error = chunks.error.message
            chunks = table = None  # the reader's state, before the digests need memory
        else:
            for table in source:
                feed(table)
    except OSError as e:
        out.error = f"open {out.file or source}: {e.strerror.lower() if e.strerror else e}"
        out.header_error = True
        return out
    finally:
        if closer is not None:
            closer.close()
    if reference:
        out._goroutines, out._tasks = summ.finalize()
    else:
        summ.finish()
        out._summarizer = summ
    series = util.finish()
    if series is not None:
        out.util_times_ns, out.util = series
    if digests:
        out.g_digest, out.p_digest = dig.result(fast=not reference, consume=True)
    if prof is not None:
        out.profiles = prof.finish(out)
        out.collector = prof
    return out


@functools.lru_cache(maxsize=4096)
def go_quote(s: str) -> str:
    """Go's ``%q`` (``strconv.Quote``) of a string; undecodable bytes as ``\\xNN``."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return '"' + s + '"'
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"' or ch == "\\":
            out.append("\\" + ch)
        elif 0xDC80 <= c <= 0xDCFF:  # surrogateescape'd invalid byte
            out.append(f"\\x{c - 0xDC00:02x}")
        elif ch in "\a\b\f\n\r\t\v":
            out.append(
                {
                    "\a": "\\a",
                    "\b": "\\b",
                    "\f": "\\f",
                    "\n": "\\n",
                    "\r": "\\r",
                    "\t": "\\t",
                    "\v": "\\v",
                }[ch]
            )
        elif c < 0x20 or c == 0x7F:
            out.append(f"\\x{c:02x}")
        elif c < 0x80 or ch.isprintable():
            out.append(ch)
        elif c < 0x10000:
            out.append(f"\\u{c:04x}")
        else:
            out.append(f"\\U{c:08x}")
    out.append('"')
    return "".join(out)


def _hash_lines(lines: list[str]) -> str:
    h = hashlib.sha256()
    h.update("".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def summary(source) -> dict:
    """``tracecount -summary`` of a trace (a path, bytes, an EventTable or chunks).

    Returns a dict with exactly tracecount's keys in its order (``error`` only
    when there is one); strings are Python strings (undecodable trace bytes as
    surrogates: :func:`goroscope.model.stats.go_json_text` gives Go's JSON text).
    """
    a = source if isinstance(source, Analysis) else analyze(source)
    return summary_of(a)


def summary_of(a: Analysis) -> dict:
    """:func:`summary` of an existing :class:`Analysis`."""
    out: dict = {
        "file": a.file,
        "events": a.events,
        "first_ns": a.first_ns,
        "last_ns": a.last_ns,
        "goroutines": 0,
        "groups": {},
        "totals_ns": {},
        "range_ns": {},
        "tasks": 0,
        "tasks_complete": 0,
        "task_types": {},
        "task_logs": 0,
        "regions": {},
        "region_exec_ns": {},
        "g_transitions_sha256": "",
        "p_transitions_sha256": "",
        "g_stats_sha256": "",
        "mmu": {},
    }
    if a.error is not None:
        out["error"] = a.error
    if a.header_error:
        return {k: out[k] for k in SUMMARY_KEYS if k in out}

    def add(d: dict, k, v) -> None:
        d[k] = d.get(k, 0) + v

    if a._goroutines is None and a._summarizer is not None:
        # the fast path: straight from the arrays, no object per goroutine or region
        cols = a._summarizer.tracecount_summary()
        stat_lines = cols.pop("stat_lines")
        out.update(cols)
        tasks = a._summarizer.tasks
    else:
        stat_lines = _stat_lines_of(a, out, add)
        tasks = a.tasks
    out["tasks"] = len(tasks)
    for t in tasks.values():
        if t.complete:
            out["tasks_complete"] += 1
        add(out["task_types"], t.name, 1)
        out["task_logs"] += len(t.logs)
    out["g_transitions_sha256"] = a.g_digest
    out["p_transitions_sha256"] = a.p_digest
    stat_lines.sort(key=lambda s: s.encode("utf-8", "surrogateescape"))
    out["g_stats_sha256"] = _hash_lines(stat_lines)
    if a.error is None and a.events > 0 and a.util_times_ns:
        curve = a.mmu_curve()
        out["mmu"] = {k: curve.mmu(w) for k, w in MMU_WINDOWS.items()}
    for k in ("groups", "totals_ns", "range_ns", "task_types", "regions", "region_exec_ns", "mmu"):
        out[k] = dict(
            sorted(out[k].items(), key=lambda kv: kv[0].encode("utf-8", "surrogateescape"))
        )
    return {k: out[k] for k in SUMMARY_KEYS if k in out}


def _stat_lines_of(a: Analysis, out: dict, add) -> list[str]:
    """The goroutine and region keys of :func:`summary_of` from Go's summary objects."""
    out["goroutines"] = len(a.goroutines)
    stat_lines = []
    for goid, g in a.goroutines.items():
        add(out["groups"], g.name, 1)
        for k, v in g.stats.non_overlapping().items():
            add(out["totals_ns"], k, v)
        add(out["totals_ns"], "Total time", g.stats.total_ns)
        for k, v in g.stats.range_ns.items():
            add(out["range_ns"], k, v)
        for r in g.regions:
            add(out["regions"], r.name, 1)
            add(out["region_exec_ns"], r.name, r.stats.exec_ns)
        s = g.stats
        stat_lines.append(
            f"{goid} {go_quote(g.name)} {g.creation_ns} {g.start_ns} {g.end_ns} "
            f"{s.exec_ns} {s.sched_wait_ns} {s.syscall_ns} {s.total_ns}"
        )
    return stat_lines


# --- beyond tracecount: distributions, tasks and regions -----------------------------------


def _quantiles(v: np.ndarray) -> dict[str, float]:
    v = np.sort(v)
    n = len(v)

    def q(p: float) -> float:
        # nearest rank (ceil(p*n)), as latency tables usually report
        return float(v[max(0, math.ceil(p * n) - 1)])

    return {
        "count": n,
        "total": float(v.sum()),
        "min": float(v[0]),
        "median": q(0.5),
        "p90": q(0.9),
        "p99": q(0.99),
        "max": float(v[-1]),
    }


def group_distributions(a: Analysis) -> dict[str, dict[str, dict[str, float]]]:
    """Per start-function group and category: count, total, min, median, p90, p99, max (ns).

    Categories are Go's ``NonOverlappingStats`` names, ``Total time`` and each
    range name; a goroutine without a category counts as 0 in it (nearest-rank
    quantiles over the goroutines of the group).
    """
    per: dict[str, list[dict[str, int]]] = {}
    for g in a.goroutines.values():
        row = dict(g.stats.non_overlapping())
        row["Total time"] = g.stats.total_ns
        for k, v in g.stats.range_ns.items():
            row[k] = row.get(k, 0) + v
        per.setdefault(g.name, []).append(row)
    out = {}
    for name, rows in sorted(per.items()):
        cats = sorted({k for r in rows for k in r})
        out[name] = {c: _quantiles(np.array([r.get(c, 0) for r in rows], np.float64)) for c in cats}
    return out


#: go tool trace's TimeHistogram: five buckets per power of 10
_LOG_DIV = math.log(math.pow(10, 1.0 / 5))


def duration_histogram(durations_ns: Iterable[int]) -> dict[int, int]:
    """go tool trace's ``TimeHistogram``: bucket → count; bucket b holds [10^(b/5), 10^((b+1)/5)) ns."""
    out: dict[int, int] = {}
    for d in durations_ns:
        b = int(math.log(float(d)) / _LOG_DIV) if d > 0 else 0
        out[b] = out.get(b, 0) + 1
    return dict(sorted(out.items()))


def bucket_min_ns(bucket: int) -> int:
    """Go's ``TimeHistogram.BucketMin``."""
    return int(math.exp(bucket * _LOG_DIV))


def task_stats(a: Analysis) -> dict[str, dict]:
    """Per task type: count, complete count, go tool trace's histogram of complete tasks' durations,
    and per instance (id, start, end, duration or None, logs, regions, goroutines)."""
    out: dict[str, dict] = {}
    for t in a.tasks.values():
        s = out.setdefault(t.name, {"count": 0, "complete": 0, "durations_ns": [], "instances": []})
        s["count"] += 1
        dur = t.end_ns - t.start_ns if t.complete else None
        if dur is not None:
            s["complete"] += 1
            s["durations_ns"].append(dur)
        s["instances"].append(
            {
                "id": t.task_id,
                "parent": t.parent,
                "start_ns": t.start_ns,
                "end_ns": t.end_ns,
                "duration_ns": dur,
                "logs": [(lg.time_ns, lg.goid, lg.category, lg.message) for lg in t.logs],
                "regions": len(t.regions),
                "goroutines": sorted(t.goroutines),
            }
        )
    for s in out.values():
        s["histogram"] = duration_histogram(s.pop("durations_ns"))
    return dict(sorted(out.items()))


def region_interval(a: Analysis, r: RegionSummary) -> tuple[int, int]:
    """cmd/trace's ``regionInterval``: a missing start/end is the trace start/end."""
    return (
        r.start_ns if r.start_ns is not None else a.first_ns,
        r.end_ns if r.end_ns is not None else a.last_ns,
    )


def region_stats(a: Analysis) -> dict[str, dict]:
    """Per region name: count, histogram of durations (go tool trace's), total exec time and
    per instance (goroutine, task, start, end, duration, Go's exec stats of the region)."""
    out: dict[str, dict] = {}
    for goid, g in a.goroutines.items():
        for r in g.regions:
            s = out.setdefault(
                r.name, {"count": 0, "exec_ns": 0, "durations_ns": [], "instances": []}
            )
            start, end = region_interval(a, r)
            s["count"] += 1
            s["exec_ns"] += r.stats.exec_ns
            s["durations_ns"].append(end - start)
            s["instances"].append(
                {
                    "goid": goid,
                    "task": r.task_id,
                    "start_ns": start,
                    "end_ns": end,
                    "duration_ns": end - start,
                    "stats": dict(r.stats.non_overlapping(), **{"Total time": r.stats.total_ns}),
                }
            )
    for s in out.values():
        s["histogram"] = duration_histogram(s.pop("durations_ns"))
    return dict(sorted(out.items()))


def mmu(source, windows_ns: Iterable[int] = MMU_WINDOWS.values(), worst: int = 0) -> dict:
    """MMU per window (ns) and, with ``worst`` > 0, Go's ``Examples``: the worst disjoint windows
    as ``[(start_ns, utilization), ...]``."""
    a = source if isinstance(source, Analysis) else analyze(source)
    curve = a.mmu_curve()
    out = {}
    for w in windows_ns:
        d: dict = {"mmu": curve.mmu(w) if curve.series else 1.0}
        if worst:
            d["worst"] = (
                [(x.time_ns, x.util) for x in curve.examples(w, worst)] if curve.series else []
            )
        out[w] = d
    return out
