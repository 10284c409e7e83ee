"""The fast trace reader: format.decode → numba ordering kernel → :class:`EventTable` (L1).

What
----
:class:`TraceChunks` and :func:`read_trace` return exactly the events Go's
``internal/trace.Reader`` returns (the same columns as the reference reader,
``model._order_reference``), one generation at a time:

1. ``goroscope.format`` indexes the file and decodes one generation's tables
   (strings, stacks, CPU samples; reused :class:`~goroscope.format.decode.DecodeBuffers`);
   ``_order_kernel.count_batches`` counts its M batches' events. For streaming
   readers this runs for generation g+1 on a worker thread while g is ordered;
2. ``model._order_kernel.order_generation`` decodes each M's batches lazily (one
   batch per M at a time, Go's ``batchCursor``), merges the per-M streams like Go
   (heap, frontier fallback with Go's pdqsort, CPU samples, state machines,
   Sync, +1 ns fix-up) and writes one row per returned event;
3. ``_order_kernel.build_columns`` turns those rows into :class:`EventTable`
   columns (kinds, states, names as string codes), resolving only the string IDs
   actually used. :meth:`TraceChunks.rows` hands out the rows themselves
   (:class:`RowChunk`) for consumers that need less: ``stats`` counts them
   (``_order_kernel.count_rows``) on one thread while another orders.

Memory is one decoded batch per M plus the output rows, whatever the size of a
generation; file pages are released after each generation (HACKING.md § Memory).
Readers that keep the columns (``keep_columns=True``: ``read_trace``) give the kernel
the generation's whole event columns instead of per-M slots: each batch decodes in
place at its source rows (``_in_place_events``), so the kept columns are the kernel's
own decode, not a second one.

Errors
------
The kernel reports *that* Go's reader would stop, not Go's message. Every
generation before the damage is read by the kernel; the generation where the
index found a problem, whose tables fail to decode, or where the kernel returns
an error status, is handed to the reference reader (``_resume``), resumed at that
generation's first byte as if it had read everything before: the fast reader's
last time, Sync count and string codes, and — only when Go's reader gets as far as
ordering that generation — the kernel's ordering state converted to the reference's
maps (``_load_reference_state``). When the kernel failed *inside* a generation, the
reference takes over at the failing step itself: ``_replay_to`` runs the kernel again
from the start, without output before that generation, and pauses it exactly before
the step that failed (the kernel pauses at step boundaries when its output is full);
``_reader_at_step`` then gives the reference the kernel's state, its frontier in
Go's heap order with each cursor at its current event, and the CPU samples left.
(``_replay_state`` rebuilds the state at a generation's start the same way, for the
rare case where the pause cannot be used.) The reference then produces Go's exact
message, byte offset and the events Go returns from there on. So damage costs the
reference's framing and tables of one generation (Go's read error: every truncation
of a Go 1.26+ trace), or a second kernel pass up to the failing step plus one step in
Python (an ordering error), not the whole file in Python. The generation's M events
are decoded by the format layer's numba decoder (``_cursor_events``) for the resumed
reference.
Equal to the reference reading from byte 0 at every cut and seeded mutant of the
hostile suite's seed traces (``tests/model/test_damaged_fast_path.py``).

Before Go 1.26 a generation's read takes the next generation's first batch (the
"spill"), so a problem in the index's last batches belongs to the last indexed
generation (``_first_unsure``), and the resumed reader starts after the spilled
batch as Go's does (its byte offsets count from there).

``engine="reference"`` selects the reference reader for the whole trace (tests,
debugging).
"""

from __future__ import annotations

import dataclasses
import mmap
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from goroscope.format import _kernels as FK
from goroscope.format import spec as wire
from goroscope.format.columns import (
    MAX_ARGS,
    CPUSampleColumns,
    EventColumns,
    Generation,
    StackTable,
)
from goroscope.format.decode import DecodeBuffers, decode_generation
from goroscope.format.errors import TraceFormatError
from goroscope.format.index import index_trace
from goroscope.format.tracefile import TraceFile, as_buffer
from goroscope.model import _order_kernel as K
from goroscope.model.events import (
    COLUMNS,
    EventKind,
    EventTable,
    GenerationTables,
    GoState,
    ProcState,
    ResourceKind,
)

__all__ = ["ReadResult", "RowChunk", "TraceChunks", "read_trace", "warm_up"]

_U64 = (1 << 64) - 1
_KIND_EVENTS = 0  # format._kernels.KIND_EVENTS: an M event batch
#: decode generation g+1's tables and count its M batches (``count_batches``, ≈6 ns/event)
#: on a worker thread while generation g is ordered (streaming readers; ``read_trace``
#: keeps whole generations and does not)
_PREFETCH = True
#: kernel output rows per call (a chunk that stays in cache; 85 B per row)
_KERNEL_ROWS = 1 << 16


def _lut(pairs: dict[int, int], default: int = 0, dtype=np.uint8) -> np.ndarray:
    out = np.full(256, default, dtype)
    for k, v in pairs.items():
        out[k] = v
    return out


_E = wire.EventType
_ST = EventKind.StateTransition
#: tracev2Type2Kind, by wire type (255 = Sync)
KIND = _lut(
    {
        _E.CPUSample: EventKind.StackSample,
        _E.ProcsChange: EventKind.Metric,
        _E.HeapAlloc: EventKind.Metric,
        _E.HeapGoal: EventKind.Metric,
        _E.STWBegin: EventKind.RangeBegin,
        _E.STWEnd: EventKind.RangeEnd,
        _E.GCActive: EventKind.RangeActive,
        _E.GCBegin: EventKind.RangeBegin,
        _E.GCEnd: EventKind.RangeEnd,
        _E.GCSweepActive: EventKind.RangeActive,
        _E.GCSweepBegin: EventKind.RangeBegin,
        _E.GCSweepEnd: EventKind.RangeEnd,
        _E.GCMarkAssistActive: EventKind.RangeActive,
        _E.GCMarkAssistBegin: EventKind.RangeBegin,
        _E.GCMarkAssistEnd: EventKind.RangeEnd,
        _E.GoLabel: EventKind.Label,
        _E.UserTaskBegin: EventKind.TaskBegin,
        _E.UserTaskEnd: EventKind.TaskEnd,
        _E.UserRegionBegin: EventKind.RegionBegin,
        _E.UserRegionEnd: EventKind.RegionEnd,
        _E.UserLog: EventKind.Log,
        **dict.fromkeys(range(_E.ProcStart, _E.GoStatus + 1), _ST),
        **dict.fromkeys((_E.GoSwitch, _E.GoSwitchDestroy, _E.GoCreateBlocked), _ST),
        _E.GoStatusStack: _ST,
        **dict.fromkeys(range(128, 137), EventKind.Experimental),
        K.EV_SYNC: EventKind.Sync,
    }
)
_G, _P = ResourceKind.Goroutine, ResourceKind.Proc
_GS, _PS = GoState, ProcState
#: StateTransition by wire type: (resource kind, from, to); from/to -1 = computed per row
_TRANSITION = {
    _E.ProcStart: (_P, _PS.Idle, _PS.Running),
    _E.ProcStop: (_P, _PS.Running, _PS.Idle),
    _E.ProcSteal: (_P, -1, _PS.Idle),
    _E.ProcStatus: (_P, -1, -1),
    _E.GoCreate: (_G, _GS.NotExist, _GS.Runnable),
    _E.GoCreateBlocked: (_G, _GS.NotExist, _GS.Waiting),
    _E.GoCreateSyscall: (_G, _GS.NotExist, _GS.Syscall),
    _E.GoStart: (_G, _GS.Runnable, _GS.Running),
    _E.GoDestroy: (_G, _GS.Running, _GS.NotExist),
    _E.GoDestroySyscall: (_G, _GS.Syscall, _GS.NotExist),
    _E.GoStop: (_G, _GS.Running, _GS.Runnable),
    _E.GoBlock: (_G, _GS.Running, _GS.Waiting),
    _E.GoUnblock: (_G, _GS.Waiting, _GS.Runnable),
    _E.GoSwitch: (_G, _GS.Waiting, _GS.Runnable),
    _E.GoSwitchDestroy: (_G, _GS.Waiting, _GS.Runnable),
    _E.GoSyscallBegin: (_G, _GS.Running, _GS.Syscall),
    _E.GoSyscallEnd: (_G, _GS.Syscall, _GS.Running),
    _E.GoSyscallEndBlocked: (_G, _GS.Syscall, _GS.Runnable),
    _E.GoStatus: (_G, -1, -1),
    _E.GoStatusStack: (_G, -1, -1),
}
_T_RK = _lut({t: int(v[0]) for t, v in _TRANSITION.items()})
_T_FROM = _lut({t: int(v[1]) for t, v in _TRANSITION.items()}, dtype=np.int16)
_T_TO = _lut({t: int(v[2]) for t, v in _TRANSITION.items()}, dtype=np.int16)
#: transitions whose resource is the target in args[0] (else the event's context)
_T_TARGET_ARG = _lut(
    dict.fromkeys(
        (
            _E.ProcStart,
            _E.ProcSteal,
            _E.ProcStatus,
            _E.GoCreate,
            _E.GoCreateBlocked,
            _E.GoCreateSyscall,
            _E.GoStart,
            _E.GoUnblock,
            _E.GoSwitch,
            _E.GoSwitchDestroy,
            _E.GoStatus,
            _E.GoStatusStack,
        ),  # fmt: skip
        1,
    )
)
#: transitions whose StateTransition.Stack is the event's stack
_T_STACK = _lut(
    dict.fromkeys((_E.GoStop, _E.GoBlock, _E.GoSyscallBegin, _E.GoStatus, _E.GoStatusStack), 1)
)
_GO_STATUS_TO_STATE = np.array([0, 2, 3, 5, 4], np.int64)
_PROC_STATUS_TO_STATE = np.array([0, 2, 3, 2, 3], np.int64)
_METRIC_NAMES = {
    _E.ProcsChange: "/sched/gomaxprocs:threads",
    _E.HeapAlloc: "/memory/classes/heap/objects:bytes",
    _E.HeapGoal: "/gc/heap/goal:bytes",
}
_RANGE_NAMES = {
    **dict.fromkeys((_E.GCBegin, _E.GCActive, _E.GCEnd), "GC concurrent mark phase"),
    **dict.fromkeys((_E.GCSweepBegin, _E.GCSweepActive, _E.GCSweepEnd), "GC incremental sweep"),
    **dict.fromkeys(
        (_E.GCMarkAssistBegin, _E.GCMarkAssistActive, _E.GCMarkAssistEnd), "GC mark assist"
    ),
}


def _arg_table(attr: str) -> np.ndarray:
    out = np.zeros((256, 2), np.int8)
    for t, s in enumerate(wire.EVENT_SPECS):
        for k, i in enumerate(getattr(s, attr)[:2]):
            out[t, k] = i
    out.flags.writeable = False
    return out


#: (256, 2) — 1-based indexes (into args incl. dt) of each type's stack / string IDs, 0 = none
STACK_ARGS = _arg_table("stack_ids")
STRING_ARGS = _arg_table("string_ids")


class RowChunk(NamedTuple):
    """One call's output of the ordering kernel (``TraceChunks.rows``): rows ``out[:n]``.

    ``out`` = (wire type, time, (g, p, m), args, source row, (offset, length))
    columns (``_order_kernel.order_generation``); ``gen_idx`` indexes the
    reader's ``GenerationTables`` (-1: the final Sync); ``s_ids``/``s_set``/
    ``codes`` (``code_map``) resolve this generation's string IDs to the reader's
    string codes.
    """

    out: tuple
    n: int
    gen_idx: int
    buf: np.ndarray
    s_ids: np.ndarray
    s_set: np.ndarray
    codes: np.ndarray
    #: string code by string ID when the IDs are small (``s_set`` non-empty), else empty
    code_map: np.ndarray


@dataclasses.dataclass(frozen=True, slots=True)
class ReadResult:
    """Everything Go's reader returned before it stopped (see ``_order_reference.ReadResult``)."""

    events: EventTable
    version: int
    error: TraceFormatError | None
    size: int


def read_trace(
    buf,
    progress: Callable[[float], None] | None = None,
    *,
    engine: str = "fast",
) -> ReadResult:
    """Read a whole v2 trace. Never raises for bad *content* (see :class:`ReadResult`).

    buf : the trace bytes (``bytes``, ``mmap``, a uint8 array or a ``TraceFile``)
    engine : ``"fast"`` (default) or ``"reference"`` (the pure-Python twin)

    Raises TraceFormatError / UnsupportedVersionError only for a bad header.
    """
    chunks = TraceChunks(buf, chunk_events=None, progress=progress, engine=engine)
    tables = list(chunks)
    return ReadResult(tables[-1], chunks.version, chunks.error, chunks.size)


class _Inline:
    """``ThreadPoolExecutor``'s surface, running each task when its result is asked for.

    (Not at submit: without prefetch both generations share one buffer set.)
    """

    class _Lazy:
        def __init__(self, fn, arg):
            self._fn, self._arg = fn, arg

        def result(self):
            return self._fn(self._arg)

    def submit(self, fn, arg):
        return self._Lazy(fn, arg)

    def shutdown(self, **_kw) -> None:
        pass


class _Fallback(Exception):
    """Go's reader may stop in generation row ``g``: the reference reader takes over there.

    ``g`` indexes the trace's ``GenerationIndex``; ``g == len(generations)`` is the
    unindexed bytes after the last indexed generation.
    """

    def __init__(self, g: int):
        super().__init__(g)
        self.g = g


class TraceChunks:
    """Iterate a trace's events as :class:`EventTable` chunks of at most ``chunk_events`` rows.

    ``chunk_events=None`` yields one table with everything. With
    ``keep_columns=False`` the decoded event columns of finished generations are
    not kept (the chunks' ``generations`` keep only strings, stacks and CPU
    samples), so memory stays bounded by one generation. After iteration,
    ``error`` is the :class:`TraceFormatError` Go's reader stopped with (None for
    a clean trace) and ``version`` the header's minor version.

    ``lazy_stacks=True`` (with ``keep_columns=False`` and chunks): stack frames are not
    decoded; each generation's ``GenerationTables.frames`` decodes a stack from the file
    when asked (``model.lazy_stacks``: 16 B per stack instead of 32 B per frame; 1 M
    distinct stacks kept ~2 GB) and no CPU-sample tables are kept. Each lookup decodes
    from the mapped file (µs): for consumers that resolve each stack once.
    """

    def __new__(cls, buf, **kw):
        # Old-format (Go 1.11-1.21) traces: model._v1convert (issue 7).
        head = buf.buf[:16].tobytes() if isinstance(buf, TraceFile) else bytes(buf[:16])
        if head[:8] in (b"go 1.11 ", b"go 1.19 ", b"go 1.21 "):
            from goroscope.model._v1convert import V1Chunks

            kw.pop("lazy_stacks", None)  # one generation: its eager tables
            return V1Chunks(buf, **kw)
        return super().__new__(cls)

    def __init__(
        self,
        buf,
        *,
        chunk_events: int | None = 1 << 18,
        keep_columns: bool = True,
        progress: Callable[[float], None] | None = None,
        engine: str = "fast",
        _reuse: bool = False,
        lazy_stacks: bool = False,
    ):
        """``_reuse``: chunks share their column buffers (each is overwritten by the next);
        for consumers that fold a chunk before asking for the next (``stats``)."""
        from goroscope.model._order_reference import Reader

        if engine not in ("fast", "reference"):
            raise ValueError(f"engine must be 'fast' or 'reference', not {engine!r}")
        self._tf = buf if isinstance(buf, TraceFile) else None
        if self._tf is not None:
            raw = self._tf._mm if self._tf._mm is not None else self._tf.buf.tobytes()
        elif isinstance(buf, bytes | bytearray | mmap.mmap):
            raw = buf
        else:
            raw = bytes(buf)
        self._raw = raw
        self.size = len(raw)
        # Go's header check (version.ReadHeader): errors propagate, there is nothing to keep.
        self.version = Reader(raw).version
        self.error: TraceFormatError | None = None
        self._chunk = chunk_events
        self._keep = keep_columns
        self._progress = progress
        self._engine = engine
        self._strings: list[str] = [""]
        self._codes: dict[str, int] = {"": 0}
        self._gens: list[GenerationTables] = []
        # each generation's strings by gen_idx, never dropped: a damaged generation's
        # hand-over (``_reference``) truncates ``_gens`` while the consumer thread may still
        # resolve names of the row chunks the kernel yielded before it (``stw_name``)
        self._gen_strings: dict[int, dict] = {}
        # ``rows``: nothing resolves stacks or CPU samples later, keep only the strings
        self._tables = True
        self._lazy = lazy_stacks and not keep_columns and chunk_events is not None
        self._reuse = _reuse and chunk_events is not None
        const = np.zeros(256, np.int32)
        for t, nm in {**_METRIC_NAMES, **_RANGE_NAMES}.items():
            const[t] = self._code(nm)
        for t in range(128, 137):
            const[t] = self._code(wire.EVENT_SPECS[t].name)
        self._luts = (KIND, STACK_ARGS[:, 0].copy(), _T_RK, _T_FROM, _T_TO, _T_TARGET_ARG,
                      _T_STACK, const)  # fmt: skip
        self._cols: dict[str, np.ndarray] | None = None
        self._fix = np.empty(0, np.int64)
        # Where the fast reader stands (for a hand-over, ``_resume``): the index, the
        # kernel state, and for the current generation its scalars at the start, the
        # tables before it, the rows yielded so far and whether the kernel began it.
        self._ix = None
        self._state: K.KernelState | None = None
        self._sc0 = np.zeros(K.N_SCALARS, np.int64)
        self._gens_base = 0
        self._g_rows = 0
        self._dirty = False
        #: rows of the current generation before the kernel's failing step (0: none / unknown)
        self._fail_rows = 0
        #: stop before this generation row (``_replay_state``), or with ``_stop_rows`` ≥ 0
        #: inside it, after that many of its rows (``_replay_to``; ``_paused`` then holds the
        #: kernel's cursors: scratch, resumable state)
        self._stop_at = -1
        self._stop_rows = -1
        self._paused: tuple | None = None
        self._n_out = 1
        #: the hand-over comes after the kernel ordered the generation (``_deferred_tail``)
        self._at_end = False
        #: (generation row, kernel state at its start) of the generation ``_deferred_tail``
        #: names; a replay (``_replay_to``) starts from it instead of the file's start
        self._snap: tuple[int, K.KernelState] | None = None
        #: start at this generation row with this state (``_replay_to`` from ``_snap``)
        self._start_at = 0
        self._start_state: K.KernelState | None = None

    # --- what row consumers need (``rows``) ---------------------------------------------------

    @property
    def strings(self) -> list[str]:
        """Text of each string code so far (grows as generations are read)."""
        return self._strings

    @property
    def row_luts(self) -> tuple:
        """Per-wire-type lookup tables of ``_order_kernel.build_columns`` / ``count_rows``."""
        return self._luts

    def stw_name(self, gen_idx: int, kind_id: int) -> str:
        """A stop-the-world range's name (Go: ``"stop-the-world (" + kind + ")"``)."""
        strings = self._gen_strings.get(gen_idx)
        if strings is None:
            strings = self._gens[gen_idx].strings if 0 <= gen_idx < len(self._gens) else {}
        return "stop-the-world (" + strings.get(kind_id, "") + ")"

    # --- iteration -------------------------------------------------------------------------

    def __iter__(self) -> Iterator[EventTable]:
        if self._engine == "reference":
            yield from self._reference(0)
            return
        pending: list[EventTable] = []
        try:
            for table in self._fast():
                if self._chunk is None:
                    pending.append(table)
                    continue
                for a in range(0, len(table), self._chunk):
                    yield _slice(table, a, a + self._chunk)
        except _Fallback as f:
            for table in self._resume(f.g):
                if self._chunk is None:
                    pending.append(table)
                else:
                    yield table
        if self._chunk is None:
            yield _concat(pending, self._strings, tuple(self._gens))
        if self._progress is not None:
            self._progress(1.0)

    def rows(self, buffers: int = 1) -> Iterator[RowChunk | EventTable]:
        """The ordering kernel's raw rows (:class:`RowChunk`) instead of :class:`EventTable` s.

        For consumers that need less than the columns (``stats`` counts straight from
        the rows, ``_order_kernel.count_rows``). From the generation where Go's
        reader may stop, the rest comes from the reference reader as
        :class:`EventTable` chunks (after the rows already yielded), as in plain
        iteration. The kernel writes its
        chunks into ``buffers`` row buffers in turn, so a chunk stays valid until
        ``buffers - 1`` more have been yielded (1: fold each before asking for the
        next; more: hand chunks to another thread, see ``stats``). Rows resolve no stacks:
        stack frames are not decoded (``decode_generation(frames=False)``) and no
        generation's stack or CPU-sample table is kept.
        """
        if self._engine == "reference":
            yield from self._reference(0)
            return
        # A RowChunk carries no tables: a generation's stacks and CPU samples are not
        # needed once it is ordered (1 M distinct 20-frame stacks kept 790 MB to the end).
        self._tables = False
        try:
            yield from self._fast_rows(buffers)
        except _Fallback as f:
            yield from self._resume(f.g)
            return
        if self._progress is not None:
            self._progress(1.0)

    def _reference(self, skip: int) -> Iterator[EventTable]:
        """The reference reader's chunks (``engine="reference"``), without the first ``skip`` rows."""
        from goroscope.model._order_reference import TraceChunks as RefChunks

        ref = RefChunks(
            self._raw, chunk_events=self._chunk, keep_columns=self._keep, progress=self._progress
        )
        yield from _skip_rows(ref, skip, self._chunk is not None)
        self.error = ref.error

    def _resume(self, g: int) -> Iterator[EventTable]:
        """Go's reader from generation row ``g`` on, by the reference reader (see module doc).

        The reference starts at the generation's first byte with the fast reader's state
        there (time, Sync count, and — only if it installs the generation — the ordering
        state, ``_load_reference_state``) and its chunks continue the fast reader's:
        the same string codes, generation indexes after the fast reader's, and without
        the rows of generation ``g`` the kernel already yielded.
        """
        from goroscope.model._order_reference import Reader
        from goroscope.model._order_reference import TraceChunks as RefChunks

        ix = self._ix
        gi = ix.generations
        ng = len(gi)
        if g < ng:
            start = int(gi.byte_start[g])
        elif ng:
            start = int(gi.byte_end[ng - 1])
        else:
            start = int(ix.header_size)
        skip = self._g_rows
        base = self._gens_base
        dirty, state = self._dirty, self._state
        raw = self._raw
        mid = self if self._at_end else None
        snap = self._snap[1] if self._snap is not None and self._snap[0] == g else None
        if dirty and self._fail_rows > 0 and not self._at_end:
            # The kernel failed inside the generation: run it again up to the step that
            # failed (its rows after those already yielded go out now) and let the
            # reference take over at that step, with the kernel's cursors and state.
            again = self._replay_to(g, self._fail_rows, snap)
            seen = 0
            for rc in again._fast_rows(self._n_out):
                if rc.gen_idx != base:
                    continue
                lo = max(0, skip - seen)
                seen += rc.n
                if lo < rc.n:
                    yield self._build(
                        rc.out, lo, rc.n, base, rc.buf, rc.s_ids, rc.s_set, rc.codes
                    )  # fmt: skip
            if again._paused is not None and seen == self._fail_rows:
                mid = again
            skip = seen
        del self._gens[base:]

        def load(ordering) -> None:
            st = state
            if dirty:
                st = snap if snap is not None else self._replay_state(g)
            _load_reference_state(ordering, st, as_buffer(raw))

        reader = Reader.resume(
            raw,
            start,
            last_ts=int(self._sc0[K.S_LAST_TS]),
            syncs=int(self._sc0[K.S_SYNCS]),
            prev_gen=int(gi.gen[g - 1]) if 0 < g <= ng else None,
            load_state=load,
        )
        reader.event_decoder = _cursor_events
        if int(ix.version) < 26 and 0 < g < ng:
            # Before Go 1.26 the previous generation's read took this one's first batch
            # (the "spill"): the reader goes on after it (its offsets count from there).
            from goroscope.model._wire_reference import Spill, read_batch

            batch, gen_no, reader.pos = read_batch(raw, start)
            reader.spill = Spill(gen_no, batch)
        if mid is not None:
            _reader_at_step(reader, mid, as_buffer(raw))
            skip = 0
        ref = RefChunks(
            raw,
            chunk_events=self._chunk,
            keep_columns=self._keep,
            progress=self._progress,
            reader=reader,
            strings=(self._strings, self._codes),
        )
        prefix = tuple(self._gens)
        gens = [prefix]

        def rebased() -> Iterator[EventTable]:
            # the reference's generation indexes after the fast reader's
            for table in ref:
                gens[0] = prefix + table.generations
                col = table.gen_idx
                col = np.where(col >= 0, col + base, col).astype(col.dtype)
                col.flags.writeable = False
                yield dataclasses.replace(
                    table, gen_idx=col, generations=gens[0], strings=tuple(self._strings)
                )

        yield from _skip_rows(rebased(), skip, self._chunk is not None)
        self._gens = list(gens[0])
        self.error = ref.error

    def _replay_to(self, g: int, rows: int, snap: K.KernelState | None = None) -> TraceChunks:
        """A fast reader that stops in generation row ``g`` after its first ``rows`` rows
        (iterate its ``_fast_rows``; then ``_paused`` and ``_state`` are the kernel's
        cursors and state at that step), sharing this reader's string codes. With
        ``snap`` (the kernel state at the start of ``g``) it starts at ``g``, else at the
        file's start."""
        src = self._tf if self._tf is not None else self._raw
        again = TraceChunks(src, chunk_events=_KERNEL_ROWS, keep_columns=False)
        again._tables = False
        again._strings, again._codes = self._strings, self._codes
        again._stop_at = g
        again._stop_rows = rows
        if snap is not None:
            again._start_at = g
            again._start_state = _copy_state(snap)
            again._gens = list(self._gens[: self._gens_base])
        return again

    def _replay_state(self, g: int) -> K.KernelState:
        """The kernel state at the start of generation row ``g``: the fast reader again,
        from the start, without output (generations before ``g`` read without a problem)."""
        src = self._tf if self._tf is not None else self._raw
        again = TraceChunks(src, chunk_events=_KERNEL_ROWS, keep_columns=False)
        again._tables = False
        again._stop_at = g
        for _ in again._fast_rows():
            pass
        return again._state

    def _fast(self) -> Iterator[EventTable]:
        for rc in self._fast_rows():
            yield self._build(rc.out, 0, rc.n, rc.gen_idx, rc.buf, rc.s_ids, rc.s_set, rc.codes)

    def _fast_rows(self, n_out: int = 1) -> Iterator[RowChunk]:
        self._n_out = n_out
        tf = self._tf if self._tf is not None else TraceFile(self._raw_bytes())
        src = tf
        ix = index_trace(src)
        self._ix = ix
        ng = len(ix.generations)
        buf = as_buffer(src)
        state = K.KernelState() if self._start_state is None else self._start_state
        self._state = state
        # Generation g+1 decodes on a worker thread (the kernels release the GIL) while
        # generation g is ordered: two buffer sets, used in turn.
        prefetch = _PREFETCH and not self._keep
        if self._keep:
            buffers = [None, None]
        else:
            b = DecodeBuffers()
            buffers = [b, DecodeBuffers() if prefetch else b]
        pool = ThreadPoolExecutor(1) if prefetch else _Inline()
        # Output chunks of kernel rows, reused in turn (each chunk becomes one EventTable).
        cap = max(8, min(self._chunk or _KERNEL_ROWS, _KERNEL_ROWS))
        out = [_out_arrays(cap) for _ in range(max(1, n_out))]
        rs = np.zeros(K.RS_LEN, np.int64)

        def decode(g: int):
            # the kernel decodes the M batches itself, lazily; read_trace keeps the columns
            dg = decode_generation(
                src,
                ix,
                g,
                buffers=buffers[g % 2],
                events=False,
                frames=(self._tables or self._keep) and not self._lazy,
            )
            return dg, _count_batches(ix, g, buf)

        first = self._start_at
        nxt = pool.submit(decode, first) if first < ng and _first_unsure(ix) != 0 else None
        try:
            yield from self._order_all(src, ix, buf, state, out, rs, pool, decode, nxt)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._stop_at >= 0:
            return
        # The final Sync (Go: io.EOF from the next generation read).
        state.sc[K.S_SYNCS] += 1
        t = int(state.sc[K.S_LAST_TS]) + 1
        state.sc[K.S_LAST_TS] = t
        o = _out_arrays(1)
        o[0][0] = K.EV_SYNC
        o[1][0] = t
        o[2][0] = -1
        o[3][0, 0] = state.sc[K.S_SYNCS]
        o[4][0] = -1
        o[5][0] = (-1, 0)
        none = np.zeros(0, np.uint64)
        no = np.zeros(0, np.int32)
        yield RowChunk(o, 1, -1, buf, none, np.zeros(0, np.uint8), no, no)

    def _order_all(self, src, ix, buf, state, outs, rs, pool, decode, nxt):
        scratch = None
        calls = 0
        gi, bi = ix.generations, ix.batches
        ng = len(gi)
        stop = _first_unsure(ix)
        after = _deferred_tail(ix)
        if self._stop_at >= 0:
            stop, after = self._stop_at, -1
        for g in range(self._start_at, ng + 1):
            self._sc0 = state.sc.copy()
            self._gens_base = len(self._gens)
            self._g_rows = 0
            self._fail_rows = 0
            self._dirty = False
            partial = g == stop and self._stop_rows >= 0
            if g == stop and not partial:
                if self._stop_at >= 0:
                    return
                raise _Fallback(g)
            if g == ng:
                break
            try:
                dg, batches = nxt.result()
            except TraceFormatError:
                raise _Fallback(g) from None
            if batches is None:
                raise _Fallback(g)
            if g + 1 < ng and (g + 1 != stop or self._stop_rows >= 0):
                nxt = pool.submit(decode, g + 1)
            counts, gid_range, cur, mb_rows, slot_rows, bat, sel, b_count = batches
            if g == after:
                self._snap = (g, _copy_state(state))
            n_m = cur.shape[1] - 1
            n_batches = int(gi.batch_end[g] - gi.batch_start[g])
            state.reserve(
                new_g=int(counts[[_E.GoCreate, _E.GoCreateBlocked, _E.GoCreateSyscall,
                                  _E.GoStatus, _E.GoStatusStack]].sum()),
                new_p=int(counts[_E.ProcStatus]),
                new_m=n_batches + int(counts[_E.GoStatus] + counts[_E.GoStatusStack]),
                new_t=int(counts[_E.UserTaskBegin]),
                new_x=int(counts[[_E.STWBegin, _E.GCMarkAssistBegin, _E.GCMarkAssistActive,
                                  _E.UserRegionBegin, _E.GCSweepBegin, _E.GCSweepActive]].sum()),
                gid_range=(int(gid_range[0]), int(gid_range[1])),
                new_gh=int(counts[_E.GoStatus] + counts[_E.GoStatusStack] + gid_range[2]),
            )  # fmt: skip
            cpu = dg.cpu_samples
            n_cpu = len(cpu.time_ns)
            if scratch is None or scratch[4].shape[0] < slot_rows or scratch[1].shape[0] < n_m + 1:
                old = 0 if scratch is None else scratch[4].shape[0]
                cap = max(slot_rows, old * 5 // 4, 64)
                mcap = max(n_m + 1, 64)
                scratch = (
                    None, np.empty(mcap, np.int64), np.empty(0, np.int64), K.pdq_work(),
                    np.empty(cap, np.uint8), np.empty(cap, np.int64), np.empty((cap, 4), np.uint64),
                    np.empty(cap, np.int64),
                )  # fmt: skip
            if scratch[2].shape[0] < n_cpu:
                scratch = (*scratch[:2], np.empty(2 * n_cpu, np.int64), *scratch[3:])
            scratch = (cur, *scratch[1:])
            kernel_scratch = scratch
            if self._keep:
                # The kept columns are the kernel's own decode: every batch decodes in place
                # (slot rows = its source rows), so no second decode (``decode_generation``).
                dg, slots = _in_place_events(dg, ix, sel, b_count, int(counts.sum()))
                cur[7, :] = -1
                kernel_scratch = (*scratch[:4], *slots)
            s_set = K.dense_set(dg.strings.ids)
            gen_idx = len(self._gens)
            tables, codes = self._gen_tables(dg, buf)
            if self._lazy and self._tables:
                from goroscope.model.lazy_stacks import LazyStacks

                lazy = LazyStacks(buf, ix, g, tables.strings)
                tables = dataclasses.replace(tables, stack_frames=lazy.frames)
            code_map = np.zeros(s_set.shape[0], np.int32)
            if code_map.shape[0]:
                code_map[dg.strings.ids.astype(np.int64)] = codes
                code_map[0] = 0  # string 0 is always ""
            self._gens.append(tables)
            self._gen_strings[gen_idx] = tables.strings
            stack_set = K.dense_set(dg.stacks.ids)
            rs[:] = 0
            rs[K.RS_NM] = n_m
            nspt = float(gi.ns_per_tick[g])
            rs[K.RS_SHIFT] = K.tick_shift(nspt) + 1
            self._dirty = True
            while True:
                out = outs[calls % len(outs)]  # the next chunk's buffer (see ``rows``)
                if partial and self._stop_rows - self._g_rows + 3 < out[0].shape[0]:
                    # the kernel pauses at the first step that starts with > cap - 4 rows
                    out = tuple(a[: self._stop_rows - self._g_rows + 3] for a in out)
                status, n = K.order_generation(
                    dg.gen, dg.min_time_ns, nspt, wire.NARGS, wire.TIMED, bat, mb_rows,
                    cpu.time_ns, cpu.goroutine, cpu.proc, cpu.thread, cpu.stack_id,
                    dg.stacks.ids, stack_set, dg.strings.ids, s_set,
                    dg.strings.offset, dg.strings.length,
                    STACK_ARGS, STRING_ARGS, buf, _state_tuple(state), out, kernel_scratch, rs,
                )  # fmt: skip
                if status < 0:
                    self._fail_rows = self._g_rows + n  # rows before the failing step
                    raise _Fallback(g)
                if status == K.NEED_ROWS:  # out of goroutine rows: a pause at a step start
                    state.grow_g()
                    status = K.PAUSED
                if n:
                    calls += 1
                    self._g_rows += n
                    yield RowChunk(out, n, gen_idx, buf, dg.strings.ids, s_set, codes, code_map)
                if partial and self._g_rows >= self._stop_rows:
                    if status == K.PAUSED and self._g_rows == self._stop_rows:
                        self._paused = (kernel_scratch, rs)
                    return
                if status == K.OK:
                    break
            if self._keep:
                ev = dg.events
                for arr in (ev.ev_type, ev.time_ns, ev.args, ev.offset):
                    arr.flags.writeable = False
            if self._tf is not None:
                end = int(bi.data_offset[gi.batch_end[g] - 1] + bi.size[gi.batch_end[g] - 1])
                self._tf.release_pages(int(gi.byte_start[g]), end)
            if self._progress is not None:
                self._progress(min(1.0, int(gi.byte_end[g]) / max(1, self.size)))
            if g == after:
                # Go ordered what it could read of this generation; the reference reads it
                # again for the deferred error (after a Sync), from the kernel's end state.
                end = rs.copy()
                end[K.RS_HN] = 0
                end[K.RS_CI] = n_cpu
                self._paused = (kernel_scratch, end)
                self._at_end = True
                raise _Fallback(g)

    def _raw_bytes(self) -> bytes:
        raw = self._raw
        return raw if isinstance(raw, bytes) else bytes(raw)

    # --- column building --------------------------------------------------------------------

    def _code(self, s: str) -> int:
        c = self._codes.get(s)
        if c is None:
            c = len(self._strings)
            self._strings.append(s)
            self._codes[s] = c
        return c

    def _gen_tables(self, dg: Generation, buf: np.ndarray) -> tuple[GenerationTables, np.ndarray]:
        """The generation's tables and the string code of each entry of its string table."""
        st = dg.strings
        strings = {}
        codes = np.empty(st.ids.shape[0], np.int32)
        for j, (i, o, n) in enumerate(
            zip(st.ids.tolist(), st.offset.tolist(), st.length.tolist(), strict=True)
        ):
            text = buf[o : o + n].tobytes().decode("utf-8", "surrogateescape")
            strings[i] = text
            codes[j] = self._code(text)
        cols = dg
        if not self._keep:
            eager = self._tables and not self._lazy
            cols = dataclasses.replace(
                dg,
                events=_EMPTY_EVENTS,
                strings=_copy(dg.strings),
                stacks=_copy(dg.stacks) if eager else _EMPTY_STACKS,
                cpu_samples=_copy(dg.cpu_samples) if eager else _EMPTY_CPU,
            )
        return GenerationTables(dg.gen, cols, strings), codes

    def _build(self, out, lo, hi, gen_idx, buf, s_ids, s_set, codes) -> EventTable:
        """EventTable columns of the kernel's rows ``out[lo:hi]`` (numba, one pass)."""
        n = hi - lo
        if self._reuse and self._cols is not None and self._cols["kind"].shape[0] >= n:
            c = {name: arr[:n] for name, arr in self._cols.items()}
        else:
            c = {name: np.empty(max(n, 1), dt) for name, dt in COLUMNS.items()}
            if self._reuse:
                self._cols = c
            c = {name: arr[:n] for name, arr in c.items()}
        for arr in c.values():
            arr.flags.writeable = True
        if self._fix.shape[0] < n:
            self._fix = np.empty(n, np.int64)
        cols = tuple(c[name] for name in COLUMNS)
        nfix = K.build_columns(
            out, lo, hi, gen_idx, self._luts, s_ids, s_set, codes, cols, self._fix
        )
        if nfix:
            o_typ, o_args, o_x = out[0], out[3], out[5]
            for j in self._fix[:nfix].tolist():
                if o_typ[j] == _E.UserTaskEnd:
                    o, ln = int(o_x[j, 0]), int(o_x[j, 1])
                    text = (
                        buf[o : o + ln].tobytes().decode("utf-8", "surrogateescape")
                        if o >= 0
                        else ""
                    )
                else:  # STWBegin/STWEnd: the kind string, resolved in this generation
                    text = self.stw_name(gen_idx, int(o_args[j, 0]))
                c["name"][j - lo] = self._code(text)
        for arr in c.values():
            arr.flags.writeable = False
        return EventTable(**c, strings=tuple(self._strings), generations=tuple(self._gens))


def _deferred_tail(ix) -> int:
    """Before Go 1.26: the row of the last generation when Go's reader orders it although
    reading it failed (-1: no such generation).

    Go's ``readGenerationWithSpill`` *defers* an error of ``readBatch`` met after the
    generation's first batch (truncation, a bad type byte, size or varint): the batches
    read so far are ordered, then come a Sync and the error. Generation number 0 (an
    EndOfGeneration byte reads as one) and "generations out of order" fail at once.
    """
    bi = ix.batches
    ng = len(ix.generations)
    if int(ix.version) >= 26 or ng == 0 or bi.error is None or ix.error is not bi.error:
        return -1
    if bi.error_code in (FK.ERR_GEN_ZERO, FK.ERR_EOG_OLD) or ix.generations.complete[ng - 1]:
        return -1
    return ng - 1


def _first_unsure(ix) -> int:
    """The first generation row the fast reader must not read alone (-1: none).

    That is the first one the index could not read completely (Go's reader stops
    there or orders what it could read: the reference reader knows which, and its
    message), or, when the index stopped at a problem after its last generation,
    that generation's successor (Go 1.26+: generations end with their own
    EndOfGeneration byte) or the last generation itself (before Go 1.26 Go reads the
    next generation's first batch as part of the current one: a bad one there is an
    error of the current generation, deferred or not). An empty index (nothing read
    or a header-only file) hands over from the start.
    """
    gi = ix.generations
    ng = len(gi)
    if ng == 0:
        return 0
    if _deferred_tail(ix) >= 0:
        return -1  # the kernel reads it; the reference takes over at its end
    bad = np.flatnonzero(~gi.complete)
    if bad.shape[0]:
        return int(bad[0])
    if ix.error is None:
        return -1
    if int(ix.version) >= 26:
        return ng
    return ng - 1


def _cursor_events(g, buf, ns_per_tick: float):
    """``_wire_reference.decode_cursor_events`` with the format layer's numba decoder.

    For the generation the reference reader reads when it takes over a damaged trace:
    the events of each M up to its first malformed one (Go's lazy per-M cursor; the
    other Ms go on), in file order, and per M with one: (Go's message, byte offset).
    """
    from goroscope.format.decode import _go_event_message

    batches = sorted((b for m in g.batch_ms for b in g.batches[m]), key=lambda b: b.offset)
    nb = len(batches)
    doff = np.array([b.data_off for b in batches], np.int64)
    size = np.array([b.data_len for b in batches], np.int64)
    btime = np.array([b.time for b in batches], np.uint64)
    thread = np.array([b.m for b in batches], np.int64)
    cap = int(size.sum()) // 2 + 1  # a timed event is at least 2 bytes (type, dt)
    cols = (
        np.empty(cap, np.uint8),
        np.empty(cap, np.int64),
        np.empty(cap, np.int64),
        np.empty(cap, np.int32),
        np.empty((cap, MAX_ARGS), np.uint64),
        np.empty(cap, np.int64),
    )
    counts = np.zeros(256, np.int64)
    data = as_buffer(buf)
    errors: dict[int, tuple[str, int]] = {}
    rows = np.arange(nb)
    n = 0
    while rows.shape[0]:
        got, st, at = FK.decode_events(
            data, doff[rows], size[rows], btime[rows], thread[rows], rows.astype(np.int32),
            ns_per_tick, wire.NARGS, wire.TIMED, *(c[n:] for c in cols), counts,
        )  # fmt: skip
        n += got
        if st == FK.OK:
            break
        k = int(np.searchsorted(doff[rows], at, side="right")) - 1
        bad_m = int(thread[rows[k]])
        errors[bad_m] = (_go_event_message(st, int(data[at])), int(at))
        rest = rows[k + 1 :]
        rows = rest[thread[rest] != bad_m]
    ev = EventColumns(*(np.ascontiguousarray(c[:n]) for c in cols))
    # in the reference's order (Ms by first batch): it decides which M's error comes first
    return ev, {m: errors[m] for m in g.batch_ms if m in errors}


def _copy_state(st: K.KernelState) -> K.KernelState:
    """A deep copy of the kernel's ordering state."""
    new = K.KernelState()
    for name in ("sc", "g", "p", "m", "t", "gh", "gd", "ph", "mh", "th", "x", "xfree"):
        setattr(new, name, getattr(st, name).copy())
    return new


def _reader_at_step(reader, paused: TraceChunks, buf: np.ndarray) -> None:
    """Put the reference ``reader`` (resumed at a generation's start) where the kernel of
    ``paused`` (``TraceChunks._replay_to``) stopped inside that generation.

    The reader reads and installs the generation itself (its Sync, already among the
    kernel's rows), then takes the kernel's ordering state, time and Sync count, its
    frontier in the kernel's heap order (Go's heap; after a frontier sort, the sorted
    order) with each cursor at the kernel's current event, and the CPU samples not yet
    injected. Its next event is the step at which the kernel stopped.
    """
    reader.before_first_install = None
    reader.read_event()  # install the generation (Go read it: the kernel ordered in it)
    st = paused._state
    scratch, rs = paused._paused
    cur, heap = scratch[0], scratch[1]
    _load_reference_state(reader.order, st, buf)
    reader.last_ts = int(st.sc[K.S_LAST_TS])
    reader.syncs = int(st.sc[K.S_SYNCS])
    cursors = {bc.m: bc for bc in reader.frontier}
    frontier = []
    for i in range(int(rs[K.RS_HN])):
        k = int(heap[i])
        bc = cursors[int(cur[0, k])]
        row = int(cur[5, k] + cur[8, k])  # the current event's source row
        pos = int(np.searchsorted(bc.rows, row))
        bc.idx = pos
        bc.next_event()
        frontier.append(bc)
    reader.frontier = frontier
    n_cpu = len(reader.gen.generation.cpu_samples.time_ns)
    reader.cpu_samples = list(range(int(rs[K.RS_CI]), n_cpu))


def _load_reference_state(o, st: K.KernelState, buf: np.ndarray) -> None:
    """Fill the reference reader's ``Ordering`` ``o`` from the kernel's state ``st``.

    Rows are taken in the order Go's maps were filled in (the reference iterates them in
    insertion order: the proc search of a SyscallAbandoned ProcStatus, the state dump of
    "failed to advance"): row order, but goroutines by birth number (``R_ALIVE``: dead
    rows are reused, and Go's map deletes a destroyed goroutine). IDs and
    sequence numbers come back as the reference holds them (goroutine, proc and thread
    IDs signed; task IDs, string IDs, sequence numbers and generations unsigned).
    """
    from goroscope.model._order_reference import GState, MState, PState, Seq

    sc = st.sc
    o.gc_seq = int(sc[K.S_GC_SEQ]) & _U64
    o.gc_state = int(sc[K.S_GC_STATE])
    o.initial_gen = int(sc[K.S_INITIAL_GEN]) & _U64
    xs = st.x

    def text(off: int, n: int) -> str:
        if off < 0 or n <= 0:
            return ""
        return buf[off : off + n].tobytes().decode("utf-8", "surrogateescape")

    def ranges(x: int) -> list[tuple[int, int]]:
        if x < 0:
            return []
        out = []
        for k in range(int(xs[x, K.R_NRANGE])):
            c = K.R_RANGE0 + 2 * k
            out.append((int(xs[x, c]), int(xs[x, c + 1]) & _U64))
        return out

    def regions(x: int) -> list[tuple[int, str]]:
        if x < 0:
            return []
        out = []
        for k in range(int(xs[x, K.R_NREG])):
            c = K.R_REG0 + 3 * k
            out.append((int(xs[x, c]) & _U64, text(int(xs[x, c + 1]), int(xs[x, c + 2]))))
        return out

    o.g_states.clear()
    g = st.g[: int(sc[K.S_NG])]
    g = g[g[:, K.R_ALIVE] > 0]
    for row in g[np.argsort(g[:, K.R_ALIVE], kind="stable")].tolist():
        x = row[K.R_EXT] - 1
        o.g_states[row[K.R_ID]] = GState(
            in_flight=ranges(x),
            id=row[K.R_ID],
            status=row[K.R_STATUS],
            seq=Seq(row[K.R_SEQ_GEN] & _U64, row[K.R_SEQ] & _U64),
            regions=regions(x),
        )
    o.p_states.clear()
    for row in st.p[: int(sc[K.S_NP])].tolist():
        x = row[K.R_EXT] - 1
        o.p_states[row[K.R_ID]] = PState(
            in_flight=ranges(x),
            id=row[K.R_ID],
            status=row[K.R_STATUS],
            seq=Seq(row[K.R_SEQ_GEN] & _U64, row[K.R_SEQ] & _U64),
        )
    o.m_states.clear()
    for row in st.m[: int(sc[K.S_NM])].tolist():
        o.m_states[row[K.M_ID]] = MState(row[K.M_G], row[K.M_P])
    o.active_tasks.clear()
    for row in st.t[: int(sc[K.S_NT])].tolist():
        if row[K.T_ALIVE] == 1:
            o.active_tasks[row[K.T_ID] & _U64] = (
                text(row[K.T_NOFF], row[K.T_NLEN]),
                row[K.T_PARENT] & _U64,
            )


def _count_batches(ix, g: int, buf: np.ndarray):
    """Generation ``g``'s M batches, counted (``count_batches``) for the kernel's lazy decode.

    Returns (event counts by type, (lowest, highest) goroutine ID created, cursors,
    per-M batch rows, slot rows, (data offset, size, base time, first source row) per
    batch), or None when an event is malformed.
    """
    gi, bi = ix.generations, ix.batches
    a, b = int(gi.batch_start[g]), int(gi.batch_end[g])
    sel = np.flatnonzero(bi.kind[a:b] == _KIND_EVENTS) + a
    b_doff = bi.data_offset[sel]
    b_size = bi.size[sel]
    b_count = np.zeros(sel.shape[0], np.int64)
    counts = np.zeros(256, np.int64)
    # lowest and highest ID created, creates of IDs outside [0, 2^62) (they miss the window)
    gid_range = np.array([1 << 62, -1, 0], np.int64)
    if K.count_batches(buf, b_doff, b_size, wire.NARGS, wire.TIMED, b_count, counts, gid_range):
        return None
    b_row0 = np.zeros(sel.shape[0], np.int64)
    np.cumsum(b_count[:-1], out=b_row0[1:])
    cur, mb_rows, slot_rows = _cursors(bi.thread[sel], b_count)
    bat = (b_doff, b_size, bi.base_time[sel], b_row0)
    return counts, gid_range, cur, mb_rows, slot_rows, bat, sel, b_count


def _in_place_events(dg: Generation, ix, sel: np.ndarray, b_count: np.ndarray, n: int):
    """Generation ``dg`` with event columns for the kernel to decode into in place.

    ``decode_generation``'s columns (file order; thread and batch row per event filled
    here), whose type, time, args and offset arrays the ordering kernel fills as its
    cursors reach each batch (slot start -1, ``_order_kernel._load_batch``): once the
    generation is ordered they hold all its events. Returns (generation, slots).
    """
    slots = (
        np.empty(n, np.uint8),
        np.empty(n, np.int64),
        np.empty((n, MAX_ARGS), np.uint64),
        np.empty(n, np.int64),
    )
    thread = np.repeat(ix.batches.thread[sel], b_count)
    batch = np.repeat(sel.astype(np.int32), b_count)
    thread.flags.writeable = batch.flags.writeable = False
    ev = EventColumns(slots[0], slots[1], thread, batch, slots[2], slots[3])
    return dataclasses.replace(dg, events=ev), slots


def _cursors(thread: np.ndarray, count: np.ndarray):
    """The kernel's per-M cursors over a generation's M batches (file order).

    Returns (cur (9, m + 1) int64 with rows 0 M id, 1/2 batch range in ``mb_rows``,
    7 slot start filled), ``mb_rows`` (each M's non-empty batches, file order, M
    after M) and the slot rows needed (each M: its largest batch). Ms are in order
    of their first event, as Go's reader builds its heap from them.
    """
    ne = np.flatnonzero(count > 0)
    th = thread[ne]
    uniq, first, label = np.unique(th, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # M ids by first event
    rank = np.empty(order.shape[0], np.int64)
    rank[order] = np.arange(order.shape[0])
    lab = rank[label.reshape(-1)]
    perm = np.argsort(lab, kind="stable")
    mb_rows = ne[perm].astype(np.int64)
    n_m = order.shape[0]
    per_m = np.bincount(lab, minlength=n_m)
    cur = np.zeros((9, n_m + 1), np.int64)
    cur[0, :n_m] = uniq[order]
    ends = np.cumsum(per_m)
    cur[2, :n_m] = ends
    cur[1, :n_m] = ends - per_m
    slot = np.zeros(n_m, np.int64)
    if n_m:
        np.maximum.at(slot, lab, count[ne])
    cur[7, 1 : n_m + 1] = np.cumsum(slot)
    return cur, mb_rows, int(slot.sum())


def _out_arrays(cap: int):
    return (
        np.empty(cap, np.uint8),
        np.empty(cap, np.int64),
        np.empty((cap, 3), np.int64),
        np.empty((cap, 4), np.uint64),
        np.empty(cap, np.int64),
        np.empty((cap, 2), np.int64),
    )


def _state_tuple(s: K.KernelState):
    return (s.g, s.p, s.m, s.t, s.gh, s.ph, s.mh, s.th, s.sc, s.x, s.xfree, s.gd)


_EMPTY_EVENTS = EventColumns(
    np.zeros(0, np.uint8),
    np.zeros(0, np.int64),
    np.zeros(0, np.int64),
    np.zeros(0, np.int32),
    np.zeros((0, 4), np.uint64),
    np.zeros(0, np.int64),
)

_EMPTY_STACKS = StackTable(
    np.zeros(0, np.uint64),
    np.zeros(0, np.int64),
    np.zeros(0, np.int32),
    np.zeros((0, 4), np.uint64),
)
_EMPTY_CPU = CPUSampleColumns(*(np.zeros(0, np.int64) for _ in range(4)), np.zeros(0, np.uint64))


def _copy(dc):
    return dataclasses.replace(
        dc, **{f.name: np.array(getattr(dc, f.name)) for f in dataclasses.fields(dc)}
    )


def _skip_rows(tables: Iterator[EventTable], skip: int, chunked: bool) -> Iterator[EventTable]:
    """``tables`` without their first ``skip`` rows (already yielded by the fast reader);
    chunked: whole chunks within them are dropped, else the one table is sliced."""
    for table in tables:
        n = len(table)
        if skip >= n and chunked:
            skip -= n
            continue
        yield _slice(table, skip, n) if skip else table
        skip = 0


def _slice(t: EventTable, a: int, b: int) -> EventTable:
    if a == 0 and b >= len(t):
        return t
    return dataclasses.replace(t, **{name: getattr(t, name)[a:b] for name in COLUMNS})


def _concat(tables: list[EventTable], strings: list[str], gens) -> EventTable:
    cols = {}
    for name, dt in COLUMNS.items():
        arr = np.concatenate([getattr(t, name) for t in tables]) if tables else np.zeros(0, dt)
        arr.flags.writeable = False
        cols[name] = arr
    return EventTable(**cols, strings=tuple(strings), generations=gens)


def tiny_trace() -> bytes:
    """A minimal valid Go 1.26 trace that Go's reader orders without error.

    Like ``format.decode.tiny_trace`` (every batch kind), with events the ordering
    accepts: a proc and a goroutine status, GoStart, a stop-the-world range, GoBlock
    with a reason and a stack, an AllocFree event and a CPU sample.
    """
    from goroscope.format.decode import _uv
    from goroscope.format.version import Version

    def batch(m: int, t: int, data: bytes, exp: int | None = None) -> bytes:
        head = bytes([49, exp]) if exp is not None else b"\x01"
        pad = bytes([0x80 | (len(data) & 0x7F)] + [0x80] * 8 + [0])
        return head + _uv(1) + _uv(m) + _uv(t) + pad + data

    def ev(typ: int, *args: int) -> bytes:
        return bytes([typ]) + b"".join(_uv(a) for a in (1, *args))

    no = (1 << 64) - 1
    sync = bytes([50, 8]) + _uv(15625000) + bytes([51]) + _uv(1) + _uv(64) + _uv(1) + _uv(2)
    strings = bytes([4, 5]) + _uv(1) + _uv(4) + b"main" + bytes([5]) + _uv(2) + _uv(1) + b"f"
    stacks = bytes([2, 3]) + _uv(1) + _uv(1) + _uv(0x401000) + _uv(1) + _uv(2) + _uv(7)
    cpu = bytes([6, 7]) + _uv(101) + _uv(5) + _uv(0) + _uv(0) + _uv(1)
    evs = (
        ev(_E.ProcStatus, 0, 1)
        + ev(_E.GoStatus, 1, 5, 1)
        + ev(_E.GoStart, 1, 1)
        + ev(_E.STWBegin, 1, 1)
        + ev(_E.STWEnd)
        + ev(_E.GoBlock, 1, 1)
        + ev(_E.Span, 3, 1, 2)
    )
    return (
        Version.GO126.header
        + batch(no, 100, sync)
        + batch(5, 100, evs)
        + batch(no, 100, strings)
        + batch(no, 100, stacks)
        + batch(no, 100, cpu)
        + batch(5, 100, b"\x00", exp=1)
        + b"\x34"
    )


def warm_up() -> None:
    """Call every kernel of the fast reader and of ``stats`` once (loads the JIT cache).

    For a background job at startup, like ``goroscope.format.warm_up`` (which it calls).
    """
    import tempfile

    from goroscope.format.decode import warm_up as format_warm_up
    from goroscope.model.stats import stats

    format_warm_up()
    data = tiny_trace()
    read_trace(data)
    with tempfile.NamedTemporaryFile(suffix=".trace") as f:
        f.write(data)
        f.flush()
        stats(f.name)
