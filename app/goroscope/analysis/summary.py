"""Goroutine, task, region and MMU analysis of a whole trace, in one streaming pass (L2).

:func:`analyze` reads a trace chunk by chunk (:class:`~goroscope.model.TraceChunks`,
released generations, so memory stays bounded by one generation, one chunk and
the per-goroutine/per-task results) and feeds each chunk to:

* the goroutine summarizer (Go's ``internal/trace/summary.go``,
  :mod:`goroscope.analysis._summary_reference`);
* the mutator utilization tracker (Go's ``MutatorUtilizationV2`` with
  STW | Background | Assist | Sweep, :mod:`goroscope.analysis._mmu_reference`);
* the transition digests of ``tracecount -summary`` (fixed-width records per
  chunk, spilled to a temporary file; formatted and hashed by ID range at the end);
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
changes, the digests' transition records (22 B per goroutine transition, 18 B per
proc transition, in memory up to 64 MB and then in an anonymous temporary file,
hashed at the end in ID ranges of 4 Mi records: ~250 MB peak whatever the size;
``digests=False`` skips them) and, with profiles, 32 bytes per blocking interval.
:func:`summary` reads the tracecount keys straight from those arrays; ``Analysis.goroutines`` builds
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


_G_REC = np.dtype([("id", "<i8"), ("t", "<i8"), ("f", "u1"), ("to", "u1"), ("r", "<i4")])
_P_REC = np.dtype([("id", "<i8"), ("t", "<i8"), ("f", "u1"), ("to", "u1")])


class _Spill:
    """Fixed-width transition records in trace order: in memory up to ``mem_bytes``, then
    appended to an anonymous temporary file (page cache, not RSS); read back in blocks."""

    def __init__(self, dtype: np.dtype, mem_bytes: int) -> None:
        self.dtype = dtype
        self.mem_bytes = mem_bytes
        self.parts: list[np.ndarray] = []
        self.held = 0
        self.n = 0
        self.file = None

    def append(self, rec: np.ndarray) -> None:
        self.parts.append(rec)
        self.held += rec.nbytes
        self.n += len(rec)
        if self.held > self.mem_bytes:
            if self.file is None:
                import tempfile

                self.file = tempfile.TemporaryFile(prefix="goroscope-digest-")  # noqa: SIM115
            self.file.seek(0, os.SEEK_END)
            for p in self.parts:
                self.file.write(p.view(np.uint8).data)
            self.parts, self.held = [], 0

    def blocks(self, rows: int):
        """The records in order, ``rows`` at a time (views of memory parts, or fresh reads)."""
        if self.file is not None:
            self.file.seek(0)
            on_disk = (self.n - sum(len(p) for p in self.parts)) * self.dtype.itemsize
            left = on_disk // self.dtype.itemsize
            while left > 0:
                k = min(rows, left)
                b = np.frombuffer(self.file.read(k * self.dtype.itemsize), self.dtype)
                left -= k
                yield b
        yield from self.parts

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self.file, self.parts, self.held, self.n = None, [], 0, 0


class _Digests:
    """The transition lines of tracecount -summary, hashed in Go's order in bounded memory.

    Go hashes the lines grouped by ascending ID, event order within an ID. Transitions
    arrive in event order, so each chunk appends fixed-width records (22 B per goroutine
    transition: ID, time, states, global reason code; 18 B per proc transition) to a
    :class:`_Spill` (a temporary file past ``mem_bytes``). :meth:`result` counts
    transitions per ID, cuts the ID axis into ranges of at most ``pass_rows`` records
    (one ID never splits), scatters the records into one temporary file per range
    (trace order kept within each) and per range reads them back, sorts them stably by
    ID and hashes their lines: peak memory ~60 B × ``pass_rows`` whatever the trace's
    size, at the cost of three reads and one write of the records.
    """

    def __init__(self, mem_bytes: int = 64 << 20, pass_rows: int = 1 << 22) -> None:
        from goroscope.analysis._fast import GlobalStrings  # numpy only

        self.g = _Spill(_G_REC, mem_bytes)
        self.p = _Spill(_P_REC, mem_bytes)
        self.pass_rows = pass_rows
        self._str = GlobalStrings()
        self.reasons = self._str.strings

    def add(self, ev: EventTable) -> None:
        st = ev.kind == EventKind.StateTransition
        if not st.any():
            return
        gmap = self._str.remap(ev.strings)
        for rk, out in ((ResourceKind.Goroutine, self.g), (ResourceKind.Proc, self.p)):
            m = st & (ev.resource_kind == rk)
            if m.any():
                rec = np.empty(int(m.sum()), out.dtype)
                rec["id"] = ev.resource_id[m]
                rec["t"] = ev.time_ns[m]
                rec["f"] = ev.state_from[m]
                rec["to"] = ev.state_to[m]
                if out is self.g:
                    rec["r"] = gmap[ev.reason[m]]
                out.append(rec)

    def _ranges(self, spill: _Spill) -> list[tuple[int, int]]:
        """Inclusive ID ranges of at most ``pass_rows`` records each (or one ID)."""
        if spill.n <= self.pass_rows:
            return [(-(1 << 63), (1 << 63) - 1)]
        dense = np.zeros(0, np.int64)  # counts per ID while IDs are small and >= 0
        uids = cnts = None
        for b in spill.blocks(self.pass_rows):
            ids = b["id"]
            if uids is None and len(ids) and ids.min() >= 0 and ids.max() < (1 << 26):
                c = np.bincount(ids)
                if len(c) > len(dense):
                    c[: len(dense)] += dense
                    dense = c
                else:
                    dense[: len(c)] += c
                continue
            if uids is None:  # large or negative IDs: sorted (ID, count) pairs
                uids = np.flatnonzero(dense).astype(np.int64)
                cnts = dense[uids]
            u, c = np.unique(ids, return_counts=True)
            uids, inv = np.unique(np.concatenate([uids, u]), return_inverse=True)
            acc = np.zeros(len(uids), np.int64)
            np.add.at(acc, inv, np.concatenate([cnts, c]))
            cnts = acc
        if uids is None:
            uids = np.flatnonzero(dense).astype(np.int64)
            cnts = dense[uids]
        del dense
        out = []
        cum = np.cumsum(cnts)
        start, base = 0, 0
        while start < len(uids):
            # the last ID whose cumulative count stays within this range's budget
            end = int(np.searchsorted(cum, base + self.pass_rows, side="right")) - 1
            end = max(end, start)
            out.append((int(uids[start]), int(uids[end])))
            base = int(cum[end])
            start = end + 1
        return out

    def _partitions(self, spill: _Spill):
        """The records of each ID range in turn (trace order within a range): one read to
        count per ID, one to scatter the records into a temporary file per range, then
        each range's file once."""
        ranges = self._ranges(spill)
        if len(ranges) == 1:
            parts = list(spill.blocks(self.pass_rows))
            yield np.concatenate(parts) if len(parts) != 1 else parts[0]
            return
        import tempfile

        his = np.array([hi for _, hi in ranges], np.int64)
        files = [tempfile.TemporaryFile(prefix="goroscope-digest-") for _ in ranges]  # noqa: SIM115
        try:
            for b in spill.blocks(self.pass_rows):
                j = np.searchsorted(his, b["id"], side="left")
                order = np.argsort(j, kind="stable")
                js = j[order]
                cuts = np.searchsorted(js, np.arange(len(ranges) + 1), side="left")
                b = b[order]
                del j, order, js
                for r in range(len(ranges)):
                    if cuts[r + 1] > cuts[r]:
                        files[r].write(b[cuts[r] : cuts[r + 1]].view(np.uint8).data)
                del b
            for r, f in enumerate(files):
                f.seek(0)
                yield np.frombuffer(f.read(), spill.dtype)
                f.close()
                files[r] = None
        finally:
            for f in files:
                if f is not None:
                    f.close()

    def _digest(self, spill: _Spill, with_reason: bool, name, fast: bool = True) -> str:
        h = hashlib.sha256()
        if spill.n == 0:
            return h.hexdigest()
        strings = self.reasons
        names = [name(v) for v in range(256)]
        if fast:
            from goroscope.analysis._kernels import format_transitions

            name_b = [s.encode() for s in names]
            name_off = np.zeros(257, np.int64)
            name_off[1:] = np.cumsum([len(b) for b in name_b])
            name_arr = np.frombuffer(b"".join(name_b), np.uint8)
            max_name = int(np.diff(name_off).max())
            if with_reason:
                rb = [s.encode("utf-8", "surrogateescape") for s in strings]
            else:
                rb = []
            rlen = np.array([len(b) for b in rb], np.int64)
            rs_off = np.zeros(len(rb) + 1, np.int64)
            rs_off[1:] = np.cumsum(rlen)
            rs = np.frombuffer(b"".join(rb) or b"\0", np.uint8)
        for recs in self._partitions(spill):
            recs = recs[np.argsort(recs["id"], kind="stable")]
            if not fast:  # the reference: one formatted line per transition
                cols = [recs[k].tolist() for k in recs.dtype.names]
                if with_reason:
                    lines = [
                        f"{gid} {t} {names[f]}->{names[to]} {strings[r]}\n"
                        for gid, t, f, to, r in zip(*cols, strict=True)
                    ]
                else:
                    lines = [
                        f"{pid} {t} {names[f]}->{names[to]}\n"
                        for pid, t, f, to in zip(*cols, strict=True)
                    ]
                h.update("".join(lines).encode("utf-8", "surrogateescape"))
                continue
            # at most 20 + 1 + 20 + 1 + names + 2 + 1 + reason + 1 bytes per line, in blocks
            block = 1 << 18
            for a in range(0, len(recs), block):
                part = recs[a : a + block]
                if with_reason:
                    ri = part["r"].astype(np.int64)
                    extra = int(rlen[ri].sum())
                else:
                    ri = np.full(len(part), -1, np.int64)
                    extra = 0
                buf = np.empty(len(part) * (48 + 2 * max_name) + extra, np.uint8)
                used = format_transitions(
                    np.ascontiguousarray(part["id"]), np.ascontiguousarray(part["t"]),
                    np.ascontiguousarray(part["f"]), np.ascontiguousarray(part["to"]), ri,
                    name_arr, name_off, rs, rs_off, buf,
                )  # fmt: skip
                h.update(buf[:used].data)
            del recs
        return h.hexdigest()

    def result(self, fast: bool = True, consume: bool = False) -> tuple[str, str]:
        """The two digests; ``consume`` drops the records afterwards (then call once)."""
        out = (
            self._digest(self.g, True, go_state_name, fast),
            self._digest(self.p, False, proc_state_name, fast),
        )
        if consume:
            self.g.close()
            self.p.close()
        return out


def _open(source) -> tuple[str, object, object]:
    """(name, buffer, closer) for a path or a buffer.

    A path is opened as a :class:`~goroscope.format.TraceFile`: the reader then drops
    each finished generation's mapped pages (``release_pages``). A bare ``mmap`` handed
    to the reader would be copied to ``bytes`` whole (+1× the file in RSS).
    """
    if isinstance(source, str | os.PathLike):
        from goroscope.format.tracefile import TraceFile

        name = os.fspath(source)
        if os.path.getsize(name) == 0:
            return name, b"", None
        try:
            tf = TraceFile(name)
        except Exception:  # noqa: BLE001 - any header problem: the reader words it as Go
            # the reader reports header problems in Go's words: hand it the bytes' map
            f = open(name, "rb")  # noqa: SIM115 - closed by the caller via closer
            return name, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ), f
        return name, tf, tf
    return "", source, None


def _table_pages(buf):
    """A :class:`~goroscope.model.lazy_stacks.TablePages` for a v2 TraceFile, else None
    (bytes have no pages to drop; v1 traces and damaged indexes keep what they read)."""
    from goroscope.format.tracefile import TraceFile

    if not isinstance(buf, TraceFile) or int(buf.version) < 22:
        return None
    from goroscope.format.index import index_trace
    from goroscope.model.lazy_stacks import TablePages

    try:
        return TablePages(buf, index_trace(buf))
    except Exception:  # noqa: BLE001 - the reader reports damage in Go's words
        return None


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
    digests : compute tracecount's transition digests; they spill 22 bytes per state
        transition to a temporary file past 64 MB (the lines are hashed grouped by ID at
        the end, one ID range at a time), so their memory stays bounded

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
                # lazy_stacks: stacks are resolved once each, from the file (16 B per stack
                # kept instead of 32 B per frame: 1 M distinct stacks held ~2 GB)
                chunks = TraceChunks(
                    buf, chunk_events=chunk_events, keep_columns=False, lazy_stacks=True
                )
            except TraceFormatError as e:
                out.error = e.message
                out.header_error = True
                return out
            pages = _table_pages(buf)
            for table in chunks:
                feed(table)
                if pages is not None and len(table):
                    g = int(table.gen_idx[-1])  # its stack lookups and the next one's decode
                    pages.release(g)
                    pages.release(g + 1)
            if chunks.error is not None:
                out.error = chunks.error.message
            if getattr(chunks, "rejected", False):  # an old trace Go's parser rejects: nothing
                return Analysis(file=out.file, error=out.error, header_error=True)
            chunks = table = None  # the reader's state, before the digests need memory
            from goroscope.model.spans import release_free_memory

            release_free_memory()  # and its freed heap pages back to the OS
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
        stat_lines = None  # the fast path hashes them itself (g_stats_sha256)
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
    if stat_lines is not None:
        stat_lines.sort(key=lambda s: s.encode("utf-8", "surrogateescape"))
        out["g_stats_sha256"] = _hash_lines(stat_lines)
    del stat_lines
    if a.error is None and a.events > 0:
        # NOTE: an empty utilization series (no GOMAXPROCS metric: old-format traces whose
        # only Gomaxprocs event ends Go's v1 init) gives 1 per window, as in Go
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
