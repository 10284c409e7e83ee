"""``goroscope.stats``: event counts with the keys and meanings of Go's ``tracecount -json -v`` (L1).

``tracecount`` (``../shared/tools/tracecount``) reads a trace with Go's own
``internal/trace.Reader`` and counts what ``ReadEvent`` returns until ``io.EOF``
or the first error. :func:`stats` does the same over the fast reader
(``model.order``; ``engine="reference"`` for the pure-Python twin): the ordering
kernel's rows are counted straight away by a numba kernel
(``_order_kernel.count_rows``, no :class:`~goroscope.model.events.EventTable`
columns; ``count_chunk`` for tables after a hand-over to the reference reader)
while a worker thread orders the next chunk (``PIPELINE``). Every semantic key
must agree with tracecount exactly:

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

import gc
import os
import queue
import resource
import threading
import time
from collections.abc import Callable, Iterator

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
    # The fast loop allocates little, but each numba call makes short-lived objects that set
    # off Python's cyclic collector, which then walks every object numba keeps (~2 % of the
    # time): off while the kernels run (on again for the reference reader, which allocates).
    gc_was_enabled = gc.isenabled()
    try:
        return _stats(os.fspath(path), progress, engine, gc_was_enabled)
    finally:
        if gc_was_enabled:
            gc.enable()


def _stats(name: str, progress, engine: str, gc_on: bool) -> dict:
    from goroscope.format.tracefile import TraceFile
    from goroscope.model._errors import TraceFormatError, UnsupportedVersionError
    from goroscope.model.order import TraceChunks
    from goroscope.model.trace import loss_summary

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
            chunks = TraceChunks(
                src, keep_columns=False, engine=engine, progress=progress, _reuse=True
            )
        except (TraceFormatError, UnsupportedVersionError) as e:  # header: nothing to count
            out["error"] = e.message
            return _finish(out, start)
        out["version"] = f"go1.{chunks.version}"
        acc = EventCounter()
        pages = _table_pages(tf)
        items = chunks.rows()
        if engine == "fast":
            gc.disable()
            if PIPELINE and type(chunks) is TraceChunks:  # not an old-format reader
                items = _pipelined(chunks, PIPELINE)
        for item in items:
            if isinstance(item, EventTable):  # after a hand-over to the reference reader
                if gc_on:
                    gc.enable()
                acc.add(item)
            else:
                acc.add_rows(item, chunks)
                if pages is not None and item.gen_idx >= 0:
                    pages.release(item.gen_idx)  # and the one the reader decodes ahead
                    pages.release(item.gen_idx + 1)
        if getattr(chunks, "rejected", False):  # an old trace Go's parser rejects: no events
            out.pop("version")  # as when the reader's constructor rejects it
            out["error"] = chunks.error.message
            return _finish(out, start)
        out.update(acc.result())
        if chunks.error is not None:
            out["error"] = chunks.error.message
            out["lost"] = loss_summary(src, chunks.error)
    finally:
        del chunks
        if tf is not None:
            tf.close()
    return _finish(out, start)


def _table_pages(tf):
    """Drops what the decode of each generation's string/stack tables paged in (mapped pages
    count in RSS: a generation of 615 k distinct stacks has 107 MB of stack batches, read
    once); None for bytes and old-format traces."""
    if tf is None or int(tf.version) < 22:
        return None
    from goroscope.format.index import index_trace
    from goroscope.model.lazy_stacks import TablePages

    try:
        return TablePages(tf, index_trace(tf))  # a header scan: 26 ms on 211 MB
    except Exception:  # noqa: BLE001 - the reader reports damage in Go's words
        return None


#: order on a worker thread while this one counts, with this many kernel row buffers in
#: turn (0: order and count in turn on one thread)
PIPELINE = 3


def _pipelined(chunks, depth: int) -> Iterator:
    """``chunks.rows(buffers=depth)``, produced on a worker thread (the kernels release the GIL).

    The worker may run ``depth`` chunks ahead: it takes a permit before asking for
    each chunk, the consumer returns one when it is done with a chunk, so a buffer is
    refilled only after its chunk was counted. Errors in the worker re-raise here.
    """
    q: queue.SimpleQueue = queue.SimpleQueue()
    permits = threading.Semaphore(depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            it = chunks.rows(buffers=depth)
            while True:
                while not permits.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                item = next(it, done)
                q.put(item)
                if item is done:
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            q.put(e)

    worker = threading.Thread(target=produce, name="goroscope-stats-order", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            permits.release()
    finally:
        stop.set()
        worker.join()


def count_events(ev: EventTable) -> dict:
    """The counting part of :func:`stats` over one :class:`EventTable`."""
    acc = EventCounter()
    acc.add(ev)
    return acc.result()


class EventCounter:
    """tracecount's counters, fed in order with :class:`EventTable` chunks (``count_chunk``)
    or the ordering kernel's rows (``add_rows``, ``count_rows``), or both.

    String-valued keys are counted per string code inside a chunk and turned into
    text after it, so chunks may come from readers with different string tables.
    """

    def __init__(self) -> None:
        from goroscope.model._order_kernel import new_hash

        self.events = 0
        self.first = 0
        self.last: int | None = None
        self.detail: dict[str, int] = {}
        self._kinds = np.zeros(16, np.int64)
        self._trans = np.zeros((4, 8, 8), np.int64)
        self._names = np.zeros((16, 64), np.int64)
        self._touched = np.zeros(1024, np.int64)
        # Goroutine IDs below 2^24 in a bitmap (2 MiB, pages touched as used), the rest
        # (and procs, threads) in hash sets.
        self._gbits = np.zeros(1 << 21, np.uint8)
        self._sets = [new_hash(1024), new_hash(64), new_hash(256)]
        self._sizes = np.zeros(5, np.int64)
        self._fix = np.zeros(0, np.int64)

    def _prepare(self, n: int, n_strings: int, times: np.ndarray) -> tuple:
        """Room for ``n`` more events with string codes below ``n_strings``; first/last time."""
        from goroscope.model import _order_kernel as K

        self.events += n
        if self.first == 0:
            nz = np.flatnonzero(times != 0)
            if len(nz):
                self.first = int(times[nz[0]])
        self.last = int(times[-1])
        for j, used in ((0, 4), (1, 1), (2, 2)):
            h = self._sets[j]
            need = 2 * (int(self._sizes[used]) + n)
            if need > h.shape[0]:
                grown = K.new_hash(1 << need.bit_length())
                K.set_rehash(h, grown)
                self._sets[j] = grown
        if self._names.shape[1] < n_strings:
            self._names = np.zeros((16, 2 * n_strings), np.int64)
        if self._touched.shape[0] < n:
            self._touched = np.zeros(2 * n, np.int64)
        return (self._kinds, self._trans, self._names, self._touched, self._gbits,
                *self._sets, self._sizes)  # fmt: skip

    def add(self, ev: EventTable) -> None:
        from goroscope.model import _order_kernel as K

        n = len(ev)
        if n == 0:
            return
        acc = self._prepare(n, len(ev.strings), ev.time_ns)
        K.count_chunk(
            ev.kind, ev.goroutine, ev.proc, ev.thread, ev.resource_kind, ev.state_from,
            ev.state_to, ev.reason, ev.name, acc,
        )  # fmt: skip
        self._flush(ev.strings)

    def add_rows(self, rc, chunks) -> None:
        """Count the kernel rows ``rc`` (an ``order.RowChunk`` of the reader ``chunks``)."""
        from goroscope.model import _order_kernel as K

        n = rc.n
        if n == 0:
            return
        strings = chunks.strings
        acc = self._prepare(n, len(strings), rc.out[1][:n])
        if self._fix.shape[0] < n:
            self._fix = np.zeros(max(n, 1024), np.int64)
        nfix = K.count_rows(
            rc.out, n, chunks.row_luts, rc.s_ids, rc.s_set, rc.codes, rc.code_map, acc, self._fix
        )
        self._flush(strings)
        if nfix:  # stop-the-world ranges: Go formats their names
            from goroscope.model.order import KIND as _KIND

            o_typ, o_args = rc.out[0], rc.out[3]
            d = self.detail
            for j in self._fix[:nfix].tolist():
                label = f"{EventKind(int(_KIND[o_typ[j]]))} " + chunks.stw_name(
                    rc.gen_idx, int(o_args[j, 0])
                )
                d[label] = d.get(label, 0) + 1

    def _flush(self, s) -> None:
        """Turn the string codes counted since the last flush into ``detail`` keys."""
        d = self.detail
        for key in self._touched[: self._sizes[3]].tolist():
            k, code = key >> 32, key & 0xFFFFFFFF
            c = int(self._names[k, code])
            self._names[k, code] = 0
            text = s[code]
            if k == 15:
                if text == "":
                    continue
                label = "GoReason " + text
            else:
                label = _NAME_PREFIX[k] + text
            d[label] = d.get(label, 0) + c
        self._sizes[3] = 0

    def result(self) -> dict:
        out: dict = {"events": self.events}
        kinds = self._kinds
        out["by_kind"] = {str(EventKind(k)): int(c) for k, c in enumerate(kinds[:15]) if c}
        if self.last is not None:
            out["span_ns"] = self.last - self.first
        out["generations"] = int(kinds[EventKind.Sync])
        out["goroutines"] = int(self._sizes[0])
        out["procs"] = int(self._sizes[1])
        out["threads"] = int(self._sizes[2])
        d = dict(self.detail)
        for rk, f, t in zip(*np.nonzero(self._trans), strict=True):
            c = int(self._trans[rk, f, t])
            if rk == ResourceKind.Goroutine:
                key = f"Go {go_state_name(int(f))}->{go_state_name(int(t))}"
            elif rk == ResourceKind.Proc:
                key = f"Proc {proc_state_name(int(f))}->{proc_state_name(int(t))}"
            else:
                key = f"Transition {ResourceKind(int(rk))}"
            d[key] = d.get(key, 0) + c
        out["detail"] = dict(sorted(d.items()))
        return out


#: detail key prefix by EventKind (tracecount's addDetail)
_NAME_PREFIX = {
    EventKind.Metric: "Metric ",
    EventKind.Label: "Label ",
    EventKind.RangeBegin: "RangeBegin ",
    EventKind.RangeActive: "RangeActive ",
    EventKind.RangeEnd: "RangeEnd ",
    EventKind.TaskBegin: "TaskBegin ",
    EventKind.RegionBegin: "RegionBegin ",
    EventKind.Log: "Log category=",
    EventKind.Experimental: "Experimental ",
}


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
