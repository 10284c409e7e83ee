"""Reference ordering: a literal pure-Python port of Go's trace reader (L1, slow, exact).

What
----
Go's ``internal/trace`` turns the per-thread batches of a generation into one
stream of high-level events. Each M (OS thread) writes its own batches, so the
file holds as many totally ordered event streams as there were threads; the
reader merges them. Timestamps alone cannot do it (clocks drift, equal
timestamps are common at 64 ns resolution), so the runtime adds *sequence
numbers* to the few events that hand a resource from one thread to another
(GoStart/GoUnblock/GoSwitch carry the goroutine's seq, ProcStart/ProcSteal and
GoSyscallBegin the proc's, GCBegin/GCActive/GCEnd a global GC seq) and the
reader simulates the scheduler: an event may be taken only when the state
machine of every resource it touches allows it (``ordering.Advance``). Among
the candidates (the head event of every M) the reader tries the earliest by
time first (a min-heap of cursors); when that one cannot advance, it sorts the
frontier and tries the others in time order; when none can, the trace is
broken. This module ports, in Go's own order and with Go's names:

* ``order.go``: ``ordering`` (gStates/pStates/mStates, seq counters as
  ``(gen, n)`` pairs, GC seq and state, active tasks, ``initialGen`` = the
  first generation seen, Undetermined vs NotExist old states) and every
  ``advance*`` handler, including GoSwitch's three events, the ProcSteal that
  GoDestroySyscall synthesizes, and the values Go "smuggles" into spare args;
* ``batchcursor.go``: the heap routines (``heapInsert``, ``heapUpdate``,
  ``heapRemove``, ``heapSiftUp``, ``heapSiftDown``, ``min3``) literally, because
  with equal timestamps the output order *is* their tie-breaking; and, for the
  frontier fallback and the CPU samples, Go's ``slices.SortFunc`` (an unstable
  pdqsort, :mod:`goroscope.model._gosort`) rather than a stable sort;
* ``reader.go``: ``ReadEvent`` (queue first, then generation refresh with the
  Go 1.26 and pre-1.26 ("spill") paths, CPU samples injected by time, the
  frontier-sort fallback, the Sync event per generation at ``mul(minTs)`` and a
  final one, the +1 ns monotonic fix-up and ``validateTableIDs`` on every
  returned event).

Why a literal port
------------------
It is the twin the fast numba ordering kernel will be checked against, so it
optimises for being checkable against ``order.go`` line by line: one function
per Go handler, Go's error strings, no cleverness. It reads one generation at a
time from :mod:`goroscope.model._wire_reference` (a
:class:`goroscope.format.columns.Generation` plus the error the lazily decoding
cursor of an M would hit) and emits rows into an :class:`EventTable` builder.

What we deliberately don't do
-----------------------------
* No speed: a Python loop per event (10-15 µs each, 60-100k events/s). The
  numba kernel is a later step; this module must stay the readable definition.
* No Go map-order effects: where Go iterates a map (the ``dumpOrdering`` text in
  "failed to advance" errors, the SyscallAbandoned thread search) we iterate in
  insertion order. Only the error *text* can differ.
* No v1 (Go ≤ 1.21) traces: Go converts them with a separate parser.
* No recovery past an error: like Go we stop at the first one and keep what
  was returned before it (``ReadResult.error``); see HACKING.md § Damaged traces
  per version.

How it is checked
-----------------
``tests/model``: the event stream is byte-identical to ``go tool trace
-d=parsed`` (Go's ``Event.String()`` per event) on committed traces of every
toolchain and on Go's ``.test`` corpus as written and rewritten as Go 1.26;
``goroscope.stats`` equals ``tracecount -json -v`` on every committed trace
and on damaged copies; each ``.test`` gives SUCCESS or its expected FAILURE.

Towards the numba kernel (design notes)
---------------------------------------
(Built: ``model._order_kernel`` + ``model.order``, checked equal to this module by
``tests/model/test_fast_reader.py``; the notes below are the plan it followed,
except that errors make the fast reader hand over to this one.)
The kernel should take the format layer's columns (``decode_generation``) and
return, per generation, a *permutation*: for each output row the source row
(or a code for the few synthesized events: GoSwitch's GoBlock/GoDestroy and
GoStart, GoDestroySyscall's ProcSteal, Sync, CPU samples), the context
(G, P, M), the fixed-up time and the smuggled values (old states, STW kind
string ID, task parent). Everything else in :class:`EventTable` (kind, names,
detail columns) is then vectorised numpy over ``ev_type``/args, as
``TableBuilder`` does one row at a time here. State lives in flat arrays:
dense indices for threads (per generation, ``np.unique`` of the thread
column), procs (small IDs) and goroutines (an open-addressing hash from GoID,
carried across generations), seq pairs as two int64 columns, regions and
in-flight ranges as linked lists in preallocated arrays, active tasks in a
hash keyed by task ID. The heap and the frontier fallback port as they are
(a fixed-size cursor array); the output capacity is known up front (events +
2·GoSwitch* + GoDestroySyscall + CPU samples + 1). Errors come back as a status
code and row index; Python maps them to Go's message. The ``advance``
functions here are written so that each becomes one kernel branch.
"""

from __future__ import annotations

import mmap
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from goroscope.model._errors import TraceFormatError
from goroscope.model._gosort import sort_func
from goroscope.model._gospec import EV, EXPERIMENTS, NUM_SPECS, SPECS, start_ev
from goroscope.model._wire_reference import (
    DecodedGeneration,
    EventDecoder,
    _ReadError,
    finish_generation,
    read_generation,
    read_generation_with_spill,
    read_header,
    wrap64,
)
from goroscope.model.events import (
    COLUMNS,
    EV_SYNC,
    NO_TASK,
    EventKind,
    EventTable,
    GenerationTables,
    GoState,
    ProcState,
    ResourceKind,
)

NO_G = NO_P = NO_M = -1
U64 = (1 << 64) - 1
MAX_TIME = (1 << 63) - 1

# tracev2.GoStatus
GO_BAD, GO_RUNNABLE, GO_RUNNING, GO_SYSCALL, GO_WAITING = range(5)
# tracev2.ProcStatus
PROC_BAD, PROC_RUNNING, PROC_IDLE, PROC_SYSCALL, PROC_SYSCALL_ABANDONED = range(5)
_GO_STATUS_NAMES = ("Bad", "Runnable", "Running", "Syscall", "Waiting")
_PROC_STATUS_NAMES = ("Bad", "Running", "Idle", "Syscall", "SyscallAbandoned")

#: tracev2GoStatus2GoState / tracev2ProcStatus2ProcState (index 0 = Go's zero value)
GO_STATUS_TO_STATE = (0, GoState.Runnable, GoState.Running, GoState.Syscall, GoState.Waiting)
PROC_STATUS_TO_STATE = (0, ProcState.Running, ProcState.Idle, ProcState.Running, ProcState.Idle)

# gcState
GC_UNDETERMINED, GC_NOT_RUNNING, GC_RUNNING = range(3)
_GC_STATE_NAMES = ("Undetermined", "NotRunning", "Running")

# schedReqs constraints
MUST_NOT_HAVE, MAY_HAVE, MUST_HAVE = range(3)


def _go_status_name(s: int) -> str:
    return _GO_STATUS_NAMES[s] if 0 <= s < 5 else "Bad"


def _proc_status_name(s: int) -> str:
    return _PROC_STATUS_NAMES[s] if 0 <= s < 5 else "Bad"


def _i64(x: int) -> int:
    x &= U64
    return x - (1 << 64) if x >= 1 << 63 else x


# --- Go's Event, as the ordering queues it -------------------------------------------------


@dataclass(slots=True)
class Ev:
    """Go's ``Event``: ``{table, ctx, base}`` plus where the row came from.

    ``args`` are the four args after ``dt`` (Go's ``timedEventArgs``), mutable
    because Go's handlers smuggle values into them. ``extra_str`` carries the
    task type that Go smuggles into UserTaskEnd via ``addExtraString``.
    """

    typ: int
    time: int
    args: list[int]
    g: int = NO_G
    p: int = NO_P
    m: int = NO_M
    gen_idx: int = -1  # which generation's tables (-1: none, for a Sync without table)
    row: int = -1  # source row in that generation's EventColumns; -1 when synthesized
    offset: int = -1  # byte offset of the wire event (for errors)
    extra_str: str = ""

    def copy_with_ctx(self, g: int, p: int, m: int) -> Ev:
        return Ev(
            self.typ,
            self.time,
            list(self.args),
            g,
            p,
            m,
            self.gen_idx,
            self.row,
            self.offset,
            self.extra_str,
        )


def make_event(base: Ev, ctx: tuple[int, int, int], typ: int, time: int, *args: int) -> Ev:
    """Go's ``makeEvent``: a synthesized event (no source row)."""
    a = [0, 0, 0, 0]
    a[: len(args)] = args
    g, p, m = ctx
    return Ev(typ, time, a, g, p, m, base.gen_idx, -1, base.offset)


def _extra_index(typ: int) -> int:
    """Go's ``baseEvent.extra(Go122)``: first spare slot in ``args``."""
    return len(SPECS[typ].args) - 1


# --- ordering state ----------------------------------------------------------------------


@dataclass(slots=True)
class Seq:
    gen: int
    seq: int

    def succeeds(self, b: Seq) -> bool:
        return self.gen == b.gen and self.seq == b.seq + 1

    def __str__(self) -> str:
        return f"{self.seq} (gen={self.gen})"


@dataclass(slots=True)
class RangeState:
    """Go's ``rangeState``: in-flight ranges as ``(begin event type, desc string ID)``."""

    in_flight: list[tuple[int, int]] = field(default_factory=list)

    def begin_range(self, typ: tuple[int, int]) -> None:
        if typ in self.in_flight:
            raise _OrderError(
                f"discovered event already in-flight for when starting event {SPECS[typ[0]].name}"
            )
        self.in_flight.append(typ)

    def active_range(self, typ: tuple[int, int], is_initial_gen: bool) -> None:
        if is_initial_gen:
            if typ in self.in_flight:
                raise _OrderError(
                    f"found named active range already in first gen: {{{typ[0]} {typ[1]}}}"
                )
            self.in_flight.append(typ)
        elif typ not in self.in_flight:
            raise _OrderError(
                f"resource is missing active range: {SPECS[typ[0]].name} "
                + "["
                + " ".join(f"{{{a} {b}}}" for a, b in self.in_flight)
                + "]"
            )

    def end_range(self, typ: int) -> int:
        st = start_ev(typ)
        idx = -1
        for i, r in enumerate(self.in_flight):
            if r[0] == st:
                idx = i
                break
        if idx < 0:
            raise _OrderError(f"tried to end event {SPECS[st].name}, but not in-flight")
        desc = self.in_flight[idx][1]
        self.in_flight[idx], self.in_flight[-1] = self.in_flight[-1], self.in_flight[idx]
        self.in_flight.pop()
        return desc


@dataclass(slots=True)
class GState(RangeState):
    id: int = 0
    status: int = 0
    seq: Seq = field(default_factory=lambda: Seq(0, 0))
    regions: list[tuple[int, str]] = field(default_factory=list)

    def begin_region(self, r: tuple[int, str]) -> None:
        self.regions.append(r)

    def end_region(self, r: tuple[int, str]) -> None:
        if not self.regions:
            return  # regions that began before tracing started are unknown
        nxt = self.regions[-1]
        if nxt != r:
            raise _OrderError(
                f"misuse of region in goroutine {self.id}: region end {{{r[0]} {r[1]}}} "
                f"when the inner-most active region start event is {{{nxt[0]} {nxt[1]}}}"
            )
        self.regions.pop()


@dataclass(slots=True)
class PState(RangeState):
    id: int = 0
    status: int = 0
    seq: Seq = field(default_factory=lambda: Seq(0, 0))


@dataclass(slots=True)
class MState:
    g: int = NO_G
    p: int = NO_P


class _OrderError(Exception):
    """An ordering error (Go's ``err`` from an ``advance*`` handler)."""


def make_range_type(typ: int, desc: int) -> tuple[int, int]:
    return (start_ev(typ), desc)


def validate_ctx(ctx: tuple[int, int, int], reqs: tuple[int, int, int]) -> None:
    """Go's ``validateCtx``; ``ctx`` = (G, P, M), ``reqs`` = (M, P, G) constraints."""
    g, p, m = ctx
    rm, rp, rg = reqs
    if rm == MUST_HAVE and m == NO_M:
        raise _OrderError("expected a thread but didn't have one")
    if rm == MUST_NOT_HAVE and m != NO_M:
        raise _OrderError("expected no thread but had one")
    if rp == MUST_HAVE and p == NO_P:
        raise _OrderError("expected a proc but didn't have one")
    if rp == MUST_NOT_HAVE and p != NO_P:
        raise _OrderError("expected no proc but had one")
    if rg == MUST_HAVE and g == NO_G:
        raise _OrderError("expected a goroutine but didn't have one")
    if rg == MUST_NOT_HAVE and g != NO_G:
        raise _OrderError("expected no goroutine but had one")


USER_GO_REQS = (MUST_HAVE, MUST_HAVE, MUST_HAVE)

Ctx = tuple[int, int, int]  # (G, P, M)


class Ordering:
    """Go's ``ordering``: scheduler emulation that decides which event may come next."""

    def __init__(self, version: int, tables: list[DecodedGeneration]):
        self.version = version
        self.g_states: dict[int, GState] = {}
        self.p_states: dict[int, PState] = {}
        self.m_states: dict[int, MState] = {}
        self.active_tasks: dict[int, tuple[str, int]] = {}  # id → (name, parent)
        self.gc_seq = 0
        self.gc_state = GC_UNDETERMINED
        self.initial_gen = 0
        self.queue: deque[Ev] = deque()
        self._tables = tables
        self._dispatch: dict[int, Callable] = {
            EV["ProcsChange"]: self.advance_annotation,
            EV["ProcStart"]: self.advance_proc_start,
            EV["ProcStop"]: self.advance_proc_stop,
            EV["ProcSteal"]: self.advance_proc_steal,
            EV["ProcStatus"]: self.advance_proc_status,
            EV["GoCreate"]: self.advance_go_create,
            EV["GoCreateSyscall"]: self.advance_go_create_syscall,
            EV["GoStart"]: self.advance_go_start,
            EV["GoDestroy"]: self.advance_go_stop_exec,
            EV["GoDestroySyscall"]: self.advance_go_destroy_syscall,
            EV["GoStop"]: self.advance_go_stop_exec,
            EV["GoBlock"]: self.advance_go_stop_exec,
            EV["GoUnblock"]: self.advance_go_unblock,
            EV["GoSyscallBegin"]: self.advance_go_syscall_begin,
            EV["GoSyscallEnd"]: self.advance_go_syscall_end,
            EV["GoSyscallEndBlocked"]: self.advance_go_syscall_end_blocked,
            EV["GoStatus"]: self.advance_go_status,
            EV["STWBegin"]: self.advance_go_range_begin,
            EV["STWEnd"]: self.advance_go_range_end,
            EV["GCActive"]: self.advance_gc_active,
            EV["GCBegin"]: self.advance_gc_begin,
            EV["GCEnd"]: self.advance_gc_end,
            EV["GCSweepActive"]: self.advance_gc_sweep_active,
            EV["GCSweepBegin"]: self.advance_gc_sweep_begin,
            EV["GCSweepEnd"]: self.advance_gc_sweep_end,
            EV["GCMarkAssistActive"]: self.advance_go_range_active,
            EV["GCMarkAssistBegin"]: self.advance_go_range_begin,
            EV["GCMarkAssistEnd"]: self.advance_go_range_end,
            EV["HeapAlloc"]: self.advance_heap_metric,
            EV["HeapGoal"]: self.advance_heap_metric,
            EV["GoLabel"]: self.advance_annotation,
            EV["UserTaskBegin"]: self.advance_user_task_begin,
            EV["UserTaskEnd"]: self.advance_user_task_end,
            EV["UserRegionBegin"]: self.advance_user_region_begin,
            EV["UserRegionEnd"]: self.advance_user_region_end,
            EV["UserLog"]: self.advance_annotation,
            EV["GoSwitch"]: self.advance_go_switch,
            EV["GoSwitchDestroy"]: self.advance_go_switch,
            EV["GoCreateBlocked"]: self.advance_go_create,
            EV["GoStatusStack"]: self.advance_go_status,
        }
        for name in (
            "Span",
            "SpanAlloc",
            "SpanFree",
            "HeapObject",
            "HeapObjectAlloc",
            "HeapObjectFree",
            "GoroutineStack",
            "GoroutineStackAlloc",
            "GoroutineStackFree",
        ):
            self._dispatch[EV[name]] = self.advance_alloc_free

    def ev_name(self, typ: int) -> str:
        """Go's ``Version.EventName``: names outside the version's spec slice are Invalid."""
        limit = {22: EV["UserLog"], 23: EV["ExperimentalBatch"], 25: EV["ClockSnapshot"]}.get(
            self.version, 255
        )
        spec = SPECS[typ] if typ < NUM_SPECS else None
        if typ <= limit and spec is not None:
            return spec.name
        return f"Invalid({typ})"

    def _strings(self, ev: Ev) -> dict[int, str]:
        return self._tables[ev.gen_idx].strings

    def push(self, ev: Ev, ctx: Ctx) -> None:
        g, p, m = ctx
        self.queue.append(ev.copy_with_ctx(g, p, m))

    # Advance ------------------------------------------------------------------------------

    def advance(self, ev: Ev, m: int, gen: int) -> bool:
        """Go's ``Advance``: True if ``ev`` (from thread ``m``) was ordered; raises on error."""
        if self.initial_gen == 0:
            self.initial_gen = gen
        ms = None
        if m == NO_M:
            cur = (NO_G, NO_P, m)
        else:
            ms = self.m_states.get(m)
            if ms is None:
                ms = MState(NO_G, NO_P)
                self.m_states[m] = ms
            cur = (ms.g, ms.p, m)
        f = self._dispatch.get(ev.typ)
        if f is None:
            raise _OrderError(f"bad event type found while ordering: {ev.typ}")
        new_ctx, ok = f(ev, m, gen, cur)
        if ok and ms is not None:
            ms.g, ms.p = new_ctx[0], new_ctx[1]
        return ok

    def next(self) -> Ev | None:
        return self.queue.popleft() if self.queue else None

    # Procs --------------------------------------------------------------------------------

    def advance_proc_status(self, ev: Ev, m: int, gen: int, cur: Ctx):
        pid = _i64(ev.args[0])
        status = ev.args[1] & 0xFF  # tracev2.ProcStatus is a uint8
        if status >= len(PROC_STATUS_TO_STATE):
            raise _OrderError(f"invalid status for proc {pid}: {status}")
        old_state = PROC_STATUS_TO_STATE[status]
        s = self.p_states.get(pid)
        if s is not None:
            if status == PROC_SYSCALL_ABANDONED and s.status == PROC_SYSCALL:
                old_state = ProcState.Running
                ev.args[1] = PROC_SYSCALL
            elif status == PROC_SYSCALL_ABANDONED and s.status == PROC_SYSCALL_ABANDONED:
                old_state = ProcState.Idle
                ev.args[1] = PROC_SYSCALL_ABANDONED
            elif s.status != status:
                raise _OrderError(
                    f"inconsistent status for proc {pid}: old {_proc_status_name(s.status)} "
                    f"vs. new {_proc_status_name(status)}"
                )
            s.seq = Seq(gen, 0)
        else:
            self.p_states[pid] = PState(id=pid, status=status, seq=Seq(gen, 0))
            old_state = ProcState.Undetermined if gen == self.initial_gen else ProcState.NotExist
        ev.args[_extra_index(ev.typ)] = int(old_state)

        new = cur
        if status in (PROC_RUNNING, PROC_SYSCALL):
            new = (cur[0], pid, cur[2])
        if status == PROC_SYSCALL_ABANDONED and old_state == ProcState.Running:
            found = False
            for mid, ms in self.m_states.items():
                if ms.p == pid:
                    cur = (ms.g, pid, mid)
                    found = True
            if not found:
                raise _OrderError(
                    f"failed to find sched context for proc {pid} that's about to be stolen"
                )
        self.push(ev, cur)
        return new, True

    def advance_proc_start(self, ev: Ev, m: int, gen: int, cur: Ctx):
        pid = _i64(ev.args[0])
        seq = Seq(gen, ev.args[1])
        state = self.p_states.get(pid)
        if (
            state is None
            or state.status != PROC_IDLE
            or not seq.succeeds(state.seq)
            or cur[1] != NO_P
        ):
            return cur, False
        validate_ctx(cur, (MUST_HAVE, MUST_NOT_HAVE, MAY_HAVE))
        state.status = PROC_RUNNING
        state.seq = seq
        self.push(ev, cur)
        return (cur[0], pid, cur[2]), True

    def advance_proc_stop(self, ev: Ev, m: int, gen: int, cur: Ctx):
        state = self.p_states.get(cur[1])
        if state is None:
            raise _OrderError(
                f"event {self.ev_name(ev.typ)} for proc ({cur[1]}) that doesn't exist"
            )
        if state.status not in (PROC_RUNNING, PROC_SYSCALL):
            raise _OrderError(
                f"{self.ev_name(ev.typ)} event for proc that's not Running or Syscall"
            )
        validate_ctx(cur, (MUST_HAVE, MUST_HAVE, MAY_HAVE))
        state.status = PROC_IDLE
        self.push(ev, cur)
        return (cur[0], NO_P, cur[2]), True

    def advance_proc_steal(self, ev: Ev, m: int, gen: int, cur: Ctx):
        pid = _i64(ev.args[0])
        seq = Seq(gen, ev.args[1])
        state = self.p_states.get(pid)
        if (
            state is None
            or state.status not in (PROC_SYSCALL, PROC_SYSCALL_ABANDONED)
            or not seq.succeeds(state.seq)
        ):
            return cur, False
        validate_ctx(cur, (MUST_HAVE, MAY_HAVE, MAY_HAVE))
        old_status = state.status
        ev.args[_extra_index(ev.typ)] = old_status
        state.status = PROC_IDLE
        state.seq = seq
        if old_status == PROC_SYSCALL_ABANDONED:
            self.push(ev, cur)
            return cur, True
        mid = _i64(ev.args[2])
        if mid == cur[2]:
            if cur[1] != pid:
                raise _OrderError(
                    f"tried to self-steal proc {pid} (thread {mid}), but got proc {cur[1]} instead"
                )
            self.push(ev, cur)
            return (cur[0], NO_P, cur[2]), True
        ms = self.m_states.get(mid)
        if ms is None:
            raise _OrderError(f"stole proc from non-existent thread {mid}")
        if ms.p != pid:
            raise _OrderError(
                f"tried to steal proc {pid} from thread {mid}, but got proc {ms.p} instead"
            )
        ms.p = NO_P
        self.push(ev, cur)
        return cur, True

    # Goroutines ---------------------------------------------------------------------------

    def advance_go_status(self, ev: Ev, m: int, gen: int, cur: Ctx):
        gid = _i64(ev.args[0])
        mid = _i64(ev.args[1])
        status = ev.args[2] & 0xFF  # tracev2.GoStatus is a uint8
        if status >= len(GO_STATUS_TO_STATE):
            raise _OrderError(f"invalid status for goroutine {gid}: {status}")
        old_state = GO_STATUS_TO_STATE[status]
        s = self.g_states.get(gid)
        if s is not None:
            if s.status != status:
                raise _OrderError(
                    f"inconsistent status for goroutine {gid}: old {_go_status_name(s.status)} "
                    f"vs. new {_go_status_name(status)}"
                )
            s.seq = Seq(gen, 0)
        elif gen == self.initial_gen:
            self.g_states[gid] = GState(id=gid, status=status, seq=Seq(gen, 0))
            old_state = GoState.Undetermined
        else:
            raise _OrderError(
                f"found goroutine status for new goroutine after the first generation: "
                f"id={gid} status={_go_status_name(status)}"
            )
        ev.args[2] = (int(old_state) << 32) | status

        new = cur
        if status == GO_RUNNING:
            new = (gid, cur[1], cur[2])
        elif status == GO_SYSCALL:
            if mid == NO_M:
                raise _OrderError(f"found goroutine {gid} in syscall without a thread")
            if mid == cur[2]:
                if gen != self.initial_gen and cur[0] != gid:
                    raise _OrderError(
                        f"inconsistent thread for syscalling goroutine {gid}: "
                        f"thread has goroutine {cur[0]}"
                    )
                new = (gid, cur[1], cur[2])
            else:
                ms = self.m_states.get(mid)
                if ms is not None:
                    if ms.g != gid:
                        raise _OrderError(
                            f"inconsistent thread for syscalling goroutine {gid}: "
                            f"thread has goroutine {ms.g}"
                        )
                    cur = (ms.g, cur[1], cur[2])
                else:
                    self.m_states[mid] = MState(gid, NO_P)
                cur = (cur[0], cur[1], mid)
        self.push(ev, cur)
        return new, True

    def advance_go_create(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, (MUST_HAVE, MUST_HAVE, MAY_HAVE))
        state = self.g_states.get(cur[0])
        if state is not None and state.status != GO_RUNNING:
            raise _OrderError(f"{self.ev_name(ev.typ)} event for goroutine that's not Running")
        newgid = _i64(ev.args[0])
        if newgid in self.g_states:
            raise _OrderError(f"tried to create goroutine ({newgid}) that already exists")
        status = GO_WAITING if ev.typ == EV["GoCreateBlocked"] else GO_RUNNABLE
        self.g_states[newgid] = GState(id=newgid, status=status, seq=Seq(gen, 0))
        self.push(ev, cur)
        return cur, True

    def advance_go_stop_exec(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, USER_GO_REQS)
        state = self.g_states.get(cur[0])
        if state is None:
            raise _OrderError(
                f"event {self.ev_name(ev.typ)} for goroutine ({cur[0]}) that doesn't exist"
            )
        if state.status != GO_RUNNING:
            raise _OrderError(f"{self.ev_name(ev.typ)} event for goroutine that's not Running")
        if ev.typ == EV["GoDestroy"]:
            del self.g_states[cur[0]]
        elif ev.typ == EV["GoStop"]:
            state.status = GO_RUNNABLE
        elif ev.typ == EV["GoBlock"]:
            state.status = GO_WAITING
        self.push(ev, cur)
        return (NO_G, cur[1], cur[2]), True

    def advance_go_start(self, ev: Ev, m: int, gen: int, cur: Ctx):
        gid = _i64(ev.args[0])
        seq = Seq(gen, ev.args[1])
        state = self.g_states.get(gid)
        if state is None or state.status != GO_RUNNABLE or not seq.succeeds(state.seq):
            return cur, False
        validate_ctx(cur, (MUST_HAVE, MUST_HAVE, MUST_NOT_HAVE))
        state.status = GO_RUNNING
        state.seq = seq
        self.push(ev, cur)
        return (gid, cur[1], cur[2]), True

    def advance_go_unblock(self, ev: Ev, m: int, gen: int, cur: Ctx):
        gid = _i64(ev.args[0])
        seq = Seq(gen, ev.args[1])
        state = self.g_states.get(gid)
        if state is None or state.status != GO_WAITING or not seq.succeeds(state.seq):
            return cur, False
        state.status = GO_RUNNABLE
        state.seq = seq
        self.push(ev, cur)
        return cur, True

    def advance_go_switch(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, USER_GO_REQS)
        cur_g = self.g_states.get(cur[0])
        if cur_g is None:
            raise _OrderError(
                f"event {self.ev_name(ev.typ)} for goroutine ({cur[0]}) that doesn't exist"
            )
        if cur_g.status != GO_RUNNING:
            raise _OrderError(f"{self.ev_name(ev.typ)} event for goroutine that's not Running")
        nextg = _i64(ev.args[0])
        seq = Seq(gen, ev.args[1])
        next_g = self.g_states.get(nextg)
        if next_g is None or next_g.status != GO_WAITING or not seq.succeeds(next_g.seq):
            return cur, False
        self.push(ev, cur)
        if ev.typ == EV["GoSwitch"]:
            cur_g.status = GO_WAITING
            self.queue.append(make_event(ev, cur, EV["GoBlock"], ev.time, 0, 0))
        elif ev.typ == EV["GoSwitchDestroy"]:
            del self.g_states[cur[0]]
            self.queue.append(make_event(ev, cur, EV["GoDestroy"], ev.time))
        next_g.status = GO_RUNNING
        next_g.seq = seq
        start_ctx = (NO_G, cur[1], cur[2])
        self.queue.append(
            make_event(ev, start_ctx, EV["GoStart"], ev.time, nextg & U64, ev.args[1])
        )
        return (nextg, cur[1], cur[2]), True

    def advance_go_syscall_begin(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, USER_GO_REQS)
        state = self.g_states.get(cur[0])
        if state is None:
            raise _OrderError(
                f"event {self.ev_name(ev.typ)} for goroutine ({cur[0]}) that doesn't exist"
            )
        if state.status != GO_RUNNING:
            raise _OrderError(f"{self.ev_name(ev.typ)} event for goroutine that's not Running")
        state.status = GO_SYSCALL
        p = self.p_states.get(cur[1])
        if p is None:
            raise _OrderError(f"uninitialized proc {cur[1]} found during {self.ev_name(ev.typ)}")
        p.status = PROC_SYSCALL
        p_seq = Seq(gen, ev.args[0])
        if not p_seq.succeeds(p.seq):
            raise _OrderError(
                f"failed to advance {self.ev_name(ev.typ)}: can't make sequence: {p.seq} -> {p_seq}"
            )
        p.seq = p_seq
        self.push(ev, cur)
        return cur, True

    def advance_go_syscall_end(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, USER_GO_REQS)
        state = self.g_states.get(cur[0])
        if state is None:
            raise _OrderError(
                f"event {self.ev_name(ev.typ)} for goroutine ({cur[0]}) that doesn't exist"
            )
        if state.status != GO_SYSCALL:
            raise _OrderError(f"{self.ev_name(ev.typ)} event for goroutine that's not Running")
        state.status = GO_RUNNING
        p = self.p_states.get(cur[1])
        if p is None:
            raise _OrderError(f"uninitialized proc {cur[1]} found during {self.ev_name(ev.typ)}")
        if p.status != PROC_SYSCALL:
            raise _OrderError(
                f"expected proc {cur[1]} in state Syscall, but got {_proc_status_name(p.status)} instead"
            )
        p.status = PROC_RUNNING
        self.push(ev, cur)
        return cur, True

    def advance_go_syscall_end_blocked(self, ev: Ev, m: int, gen: int, cur: Ctx):
        if cur[1] != NO_P:
            p = self.p_states.get(cur[1])
            if p is None:
                raise _OrderError(
                    f"uninitialized proc {cur[1]} found during {self.ev_name(ev.typ)}"
                )
            if p.status == PROC_SYSCALL:
                return cur, False
        validate_ctx(cur, (MUST_HAVE, MAY_HAVE, MUST_HAVE))
        state = self.g_states.get(cur[0])
        if state is None:
            raise _OrderError(
                f"event {self.ev_name(ev.typ)} for goroutine ({cur[0]}) that doesn't exist"
            )
        if state.status != GO_SYSCALL:
            raise _OrderError(f"{self.ev_name(ev.typ)} event for goroutine that's not Running")
        state.status = GO_RUNNABLE
        self.push(ev, cur)
        return (NO_G, cur[1], cur[2]), True

    def advance_go_create_syscall(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, (MUST_HAVE, MAY_HAVE, MUST_NOT_HAVE))
        newgid = _i64(ev.args[0])
        if newgid in self.g_states:
            raise _OrderError(
                f"tried to create goroutine ({newgid}) in syscall that already exists"
            )
        self.g_states[newgid] = GState(id=newgid, status=GO_SYSCALL, seq=Seq(gen, 0))
        self.push(ev, cur)
        return (newgid, cur[1], cur[2]), True

    def advance_go_destroy_syscall(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, (MUST_HAVE, MAY_HAVE, MUST_HAVE))
        state = self.g_states.get(cur[0])
        if state is None:
            raise _OrderError(
                f"event {self.ev_name(ev.typ)} for goroutine ({cur[0]}) that doesn't exist"
            )
        if state.status != GO_SYSCALL:
            raise _OrderError(f"{self.ev_name(ev.typ)} event for goroutine that's not Syscall")
        del self.g_states[cur[0]]
        new = (NO_G, cur[1], cur[2])
        if cur[1] != NO_P:
            p = self.p_states.get(cur[1])
            if p is None:
                raise _OrderError(f"found invalid proc {cur[1]} during {self.ev_name(ev.typ)}")
            if p.status != PROC_SYSCALL:
                raise _OrderError(
                    f"proc {cur[1]} in unexpected state {_proc_status_name(p.status)} "
                    f"during {self.ev_name(ev.typ)}"
                )
            p.status = PROC_SYSCALL_ABANDONED
            new = (NO_G, NO_P, cur[2])
            extra = make_event(ev, cur, EV["ProcSteal"], ev.time, cur[1] & U64)
            extra.args[_extra_index(EV["ProcSteal"])] = PROC_SYSCALL
            self.queue.append(extra)
        self.push(ev, cur)
        return new, True

    # Annotations --------------------------------------------------------------------------

    def advance_user_task_begin(self, ev: Ev, m: int, gen: int, cur: Ctx):
        tid = ev.args[0]
        if tid in self.active_tasks:
            raise _OrderError(f"task ID conflict: {tid}")
        parent = ev.args[1]
        if parent == 0:
            parent = NO_TASK
            ev.args[1] = NO_TASK
        name_id = ev.args[2]
        strings = self._strings(ev)
        if name_id != 0 and name_id not in strings:
            raise _OrderError(f"invalid string ID {name_id} for {ev.typ} event")
        self.active_tasks[tid] = (strings.get(name_id, ""), parent)
        validate_ctx(cur, USER_GO_REQS)
        self.push(ev, cur)
        return cur, True

    def advance_user_task_end(self, ev: Ev, m: int, gen: int, cur: Ctx):
        tid = ev.args[0]
        x = _extra_index(ev.typ)
        ts = self.active_tasks.pop(tid, None)
        if ts is not None:
            ev.args[x] = ts[1]
            ev.extra_str = ts[0]
        else:
            ev.args[x] = NO_TASK
            ev.extra_str = ""
        validate_ctx(cur, USER_GO_REQS)
        self.push(ev, cur)
        return cur, True

    def _region(self, ev: Ev, cur: Ctx, begin: bool):
        validate_ctx(cur, USER_GO_REQS)
        tid = ev.args[0]
        name_id = ev.args[1]
        strings = self._strings(ev)
        if name_id != 0 and name_id not in strings:
            raise _OrderError(f"invalid string ID {name_id} for {ev.typ} event")
        name = strings.get(name_id, "")
        g = self.g_states.get(cur[0])
        what = "EvUserRegionBegin" if begin else "EvUserRegionEnd"
        if g is None:
            raise _OrderError(
                f"encountered {what} without known state for current goroutine {cur[0]}"
            )
        if begin:
            g.begin_region((tid, name))
        else:
            g.end_region((tid, name))
        self.push(ev, cur)
        return cur, True

    def advance_user_region_begin(self, ev: Ev, m: int, gen: int, cur: Ctx):
        return self._region(ev, cur, True)

    def advance_user_region_end(self, ev: Ev, m: int, gen: int, cur: Ctx):
        return self._region(ev, cur, False)

    # GC -----------------------------------------------------------------------------------

    def advance_gc_active(self, ev: Ev, m: int, gen: int, cur: Ctx):
        seq = ev.args[0]
        if gen == self.initial_gen:
            if self.gc_state != GC_UNDETERMINED:
                raise _OrderError("GCActive in the first generation isn't first GC event")
            self.gc_seq = seq
            self.gc_state = GC_RUNNING
            self.push(ev, cur)
            return cur, True
        if seq != self.gc_seq + 1:
            return cur, False
        if self.gc_state != GC_RUNNING:
            raise _OrderError("encountered GCActive while GC was not in progress")
        self.gc_seq = seq
        validate_ctx(cur, USER_GO_REQS)
        self.push(ev, cur)
        return cur, True

    def advance_gc_begin(self, ev: Ev, m: int, gen: int, cur: Ctx):
        seq = ev.args[0]
        if self.gc_state == GC_UNDETERMINED:
            self.gc_seq = seq
            self.gc_state = GC_RUNNING
            self.push(ev, cur)
            return cur, True
        if seq != self.gc_seq + 1:
            return cur, False
        if self.gc_state == GC_RUNNING:
            raise _OrderError("encountered GCBegin while GC was already in progress")
        self.gc_seq = seq
        self.gc_state = GC_RUNNING
        validate_ctx(cur, USER_GO_REQS)
        self.push(ev, cur)
        return cur, True

    def advance_gc_end(self, ev: Ev, m: int, gen: int, cur: Ctx):
        seq = ev.args[0]
        if seq != self.gc_seq + 1:
            return cur, False
        if self.gc_state == GC_NOT_RUNNING:
            raise _OrderError("encountered GCEnd when GC was not in progress")
        if self.gc_state == GC_UNDETERMINED:
            raise _OrderError("encountered GCEnd when GC was in an undetermined state")
        self.gc_seq = seq
        self.gc_state = GC_NOT_RUNNING
        validate_ctx(cur, USER_GO_REQS)
        self.push(ev, cur)
        return cur, True

    def advance_annotation(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, USER_GO_REQS)
        self.push(ev, cur)
        return cur, True

    def advance_heap_metric(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, (MUST_HAVE, MUST_HAVE, MAY_HAVE))
        self.push(ev, cur)
        return cur, True

    def advance_gc_sweep_begin(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, (MUST_HAVE, MUST_HAVE, MAY_HAVE))
        self.p_states[cur[1]].begin_range(make_range_type(ev.typ, 0))
        self.push(ev, cur)
        return cur, True

    def advance_gc_sweep_active(self, ev: Ev, m: int, gen: int, cur: Ctx):
        pid = _i64(ev.args[0])
        p = self.p_states.get(pid)
        if p is None:
            raise _OrderError(f"encountered GCSweepActive for unknown proc {pid}")
        p.active_range(make_range_type(ev.typ, 0), gen == self.initial_gen)
        self.push(ev, cur)
        return cur, True

    def advance_gc_sweep_end(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, (MUST_HAVE, MUST_HAVE, MAY_HAVE))
        self.p_states[cur[1]].end_range(ev.typ)
        self.push(ev, cur)
        return cur, True

    def advance_go_range_begin(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, USER_GO_REQS)
        desc = ev.args[0] if ev.typ == EV["STWBegin"] else 0
        g = self.g_states.get(cur[0])
        if g is None:
            raise _OrderError(
                f"encountered event of type {ev.typ} without known state for current goroutine {cur[0]}"
            )
        g.begin_range(make_range_type(ev.typ, desc))
        self.push(ev, cur)
        return cur, True

    def advance_go_range_active(self, ev: Ev, m: int, gen: int, cur: Ctx):
        gid = _i64(ev.args[0])
        g = self.g_states.get(gid)
        if g is None:
            raise _OrderError(f"uninitialized goroutine {gid} found during {self.ev_name(ev.typ)}")
        g.active_range(make_range_type(ev.typ, 0), gen == self.initial_gen)
        self.push(ev, cur)
        return cur, True

    def advance_go_range_end(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, USER_GO_REQS)
        g = self.g_states.get(cur[0])
        if g is None:
            raise _OrderError(
                f"encountered event of type {ev.typ} without known state for current goroutine {cur[0]}"
            )
        desc = g.end_range(ev.typ)
        if ev.typ == EV["STWEnd"]:
            ev.args[0] = desc
        self.push(ev, cur)
        return cur, True

    def advance_alloc_free(self, ev: Ev, m: int, gen: int, cur: Ctx):
        validate_ctx(cur, (MUST_HAVE, MAY_HAVE, MAY_HAVE))
        self.push(ev, cur)
        return cur, True

    def dump(self) -> str:
        """Go's ``dumpOrdering`` (map order: insertion order here)."""
        out = []
        for gid, s in self.g_states.items():
            out.append(f"G {gid} [status={_go_status_name(s.status)} seq={s.seq}]\n")
        out.append("\n")
        for pid, s in self.p_states.items():
            out.append(f"P {pid} [status={_proc_status_name(s.status)} seq={s.seq}]\n")
        out.append("\n")
        for mid, s in self.m_states.items():
            out.append(f"M {mid} [g={s.g} p={s.p}]\n")
        out.append("\n")
        out.append(f"GC {self.gc_seq} {_GC_STATE_NAMES[self.gc_state]}\n")
        return "".join(out)


# --- batch cursors and Go's heap (batchcursor.go) -----------------------------------------


class Cursor:
    """Go's ``batchCursor`` over the rows of one M in a decoded generation."""

    __slots__ = ("m", "rows", "idx", "ev", "_gi", "_dg")

    def __init__(self, m: int, rows: np.ndarray, gen_idx: int, dg: DecodedGeneration):
        self.m = m
        self.rows = rows
        self.idx = 0
        self.ev: Ev | None = None
        self._gi = gen_idx
        self._dg = dg

    def next_event(self) -> bool:
        """Load the next event; False at the end; raises where Go's lazy decode would fail."""
        if self.idx == len(self.rows):
            err = self._dg.cursor_errors.get(self.m)
            if err is not None:
                raise _ReaderError(err[0], err[1])
            return False
        r = int(self.rows[self.idx])
        self.idx += 1
        cols = self._dg.generation.events
        self.ev = Ev(
            int(cols.ev_type[r]),
            int(cols.time_ns[r]),
            cols.args[r].tolist(),
            gen_idx=self._gi,
            row=r,
            offset=int(cols.offset[r]),
        )
        return True

    @property
    def time(self) -> int:
        return self.ev.time


def _cmp_cursor_time(a: Cursor, b: Cursor) -> int:
    """Go's ``batchCursor.compare``: ``cmp.Compare`` of the current events' times."""
    return (a.ev.time > b.ev.time) - (a.ev.time < b.ev.time)


def heap_insert(heap: list[Cursor], bc: Cursor) -> None:
    heap.append(bc)
    heap_sift_up(heap, len(heap) - 1)


def heap_update(heap: list[Cursor], i: int) -> None:
    if heap_sift_up(heap, i) != i:
        return
    heap_sift_down(heap, i)


def heap_remove(heap: list[Cursor], i: int) -> None:
    while i > 0:
        j = (i - 1) // 2
        heap[j], heap[i] = heap[i], heap[j]
        i = j
    heap[0], heap[-1] = heap[-1], heap[0]
    heap.pop()
    heap_sift_down(heap, 0)


def heap_sift_up(heap: list[Cursor], i: int) -> int:
    while i > 0 and heap[(i - 1) // 2].ev.time > heap[i].ev.time:
        j = (i - 1) // 2
        heap[j], heap[i] = heap[i], heap[j]
        i = j
    return i


def heap_sift_down(heap: list[Cursor], i: int) -> int:
    while True:
        m = min3(heap, i, 2 * i + 1, 2 * i + 2)
        if m == i:
            break
        heap[i], heap[m] = heap[m], heap[i]
        i = m
    return i


def min3(b: list[Cursor], i0: int, i1: int, i2: int) -> int:
    min_idx = i0
    min_t = MAX_TIME
    if i0 < len(b):
        min_t = b[i0].ev.time
    if i1 < len(b):
        t = b[i1].ev.time
        if t < min_t:
            min_t = t
            min_idx = i1
    if i2 < len(b):
        t = b[i2].ev.time
        if t < min_t:
            min_t = t
            min_idx = i2
    return min_idx


# --- the reader (reader.go) ----------------------------------------------------------------


class _ReaderError(Exception):
    def __init__(self, msg: str, offset: int, gen: int | None = None):
        super().__init__(msg)
        self.msg = msg
        self.offset = offset
        self.gen = gen


class _Done(Exception):
    """Go's ``io.EOF`` from ``ReadEvent``."""


class Reader:
    """Go's ``Reader`` over a v2 trace in memory; :meth:`read_event` returns one :class:`Ev`."""

    def __init__(self, buf: bytes):
        self.buf = buf
        self.version, self.pos = read_header(buf)
        if self.version < 22:
            from goroscope.model._errors import UnsupportedVersionError

            raise UnsupportedVersionError(
                f"go 1.{self.version} traces (the pre-1.22 format) are not supported yet",
                header=bytes(buf[:16]),
                version=self.version,
            )
        self.tables: list[DecodedGeneration] = []
        self.order = Ordering(self.version, self.tables)
        self.last_ts = 0
        self.gen: DecodedGeneration | None = None
        self.gen_idx = -1
        self.frontier: list[Cursor] = []
        self.cpu_samples: list[int] = []  # rows of gen.cpu_samples still to inject
        self.syncs = 0
        self.read_gen_err: _ReaderError | None = None
        self.done = False
        self.spill = None
        self.spill_err: _ReaderError | None = None
        self.spill_err_sync = False
        #: called once before the first generation is installed (``model.order`` resumes
        #: a trace here with the ordering state the fast kernel reached: see :meth:`resume`)
        self.before_first_install: Callable[[Reader], None] | None = None
        #: the generation number before the first one this reader reads (``resume``)
        self.prev_gen: int | None = None
        #: decodes a generation's M events (None: the pure-Python ``decode_cursor_events``)
        self.event_decoder: EventDecoder | None = None

    @classmethod
    def resume(
        cls,
        buf: bytes,
        pos: int,
        *,
        last_ts: int,
        syncs: int,
        prev_gen: int | None,
        load_state: Callable[[Ordering], None],
    ) -> Reader:
        """A reader that starts at the generation beginning at byte ``pos``.

        As if it had read everything before ``pos`` itself: ``last_ts`` and ``syncs``
        are the reader's, ``prev_gen`` the number of the generation before ``pos``
        (None: none) and ``load_state(ordering)`` fills the ordering state (called only
        when a generation is installed: a read error needs none).
        """
        r = cls(buf)
        r.pos = pos
        r.last_ts = last_ts
        r.syncs = syncs
        r.prev_gen = prev_gen

        def load(reader: Reader) -> None:
            load_state(reader.order)

        r.before_first_install = load
        return r

    # ReadEvent with its deferred fix-up.
    def read_event(self) -> Ev:
        if self.done:
            raise _Done
        ev = self._read_event()
        self._validate_table_ids(ev)
        if ev.time <= self.last_ts:
            ev.time = wrap64(self.last_ts + 1)
        self.last_ts = ev.time
        return ev

    def _sync_event(self, with_table: bool, ts: int) -> Ev:
        self.syncs += 1
        return Ev(EV_SYNC, ts, [self.syncs, 0, 0, 0], gen_idx=self.gen_idx if with_table else -1)

    def _read_event(self) -> Ev:
        ev = self.order.next()
        if ev is not None:
            return ev
        if not self.frontier and not self.cpu_samples:
            if self.version < 26:
                return self._next_gen_with_spill()
            if self.read_gen_err is not None:
                raise self.read_gen_err
            start = self.pos
            try:
                g, self.pos = read_generation(self.buf, self.pos, self.version)
                dg = (
                    None
                    if g is None
                    else finish_generation(g, self.buf, self.version, start, self.event_decoder)
                )
            except _ReadError as e:
                self.read_gen_err = _ReaderError(e.msg, e.offset, e.gen)
                self.gen = None
                return self._sync_event(False, self.last_ts)
            return self._install_gen(dg)

        # Inject a CPU sample if it comes next.
        cpu = self.gen.generation.cpu_samples
        if self.cpu_samples:
            i = self.cpu_samples[0]
            if not self.frontier or int(cpu.time_ns[i]) < self.frontier[0].ev.time:
                self.cpu_samples.pop(0)
                return Ev(
                    EV["CPUSample"],
                    int(cpu.time_ns[i]),
                    [int(cpu.stack_id[i]), 0, 0, 0],
                    int(cpu.goroutine[i]),
                    int(cpu.proc[i]),
                    int(cpu.thread[i]),
                    self.gen_idx,
                    -1,
                )
        if not self.frontier:
            raise _ReaderError(
                f"broken trace: frontier is empty:\n[gen={self.gen.generation.gen}]\n\n\n"
                f"{self.order.dump()}\n",
                -1,
            )
        if not self._try_advance(0):
            sort_func(self.frontier, _cmp_cursor_time)  # Go's slices.SortFunc (pdqsort)
            success = False
            for i in range(1, len(self.frontier)):
                if self._try_advance(i):
                    success = True
                    break
            if not success:
                raise _ReaderError(
                    f"broken trace: failed to advance: frontier:\n[gen={self.gen.generation.gen}]\n\n"
                    f"{self._dump_frontier()}\n{self.order.dump()}\n",
                    self.frontier[0].ev.offset,
                )
        ev = self.order.next()
        assert ev is not None, "invariant violation: advance successful, but queue is empty"
        return ev

    def _try_advance(self, i: int) -> bool:
        bc = self.frontier[i]
        try:
            ok = self.order.advance(bc.ev, bc.m, self.gen.generation.gen)
        except _OrderError as e:
            raise _ReaderError(str(e), bc.ev.offset) from None
        if not ok:
            return False
        if bc.next_event():
            heap_update(self.frontier, i)
        else:
            heap_remove(self.frontier, i)
        return True

    def _next_gen_with_spill(self) -> Ev:
        if self.spill_err is not None:
            if self.spill_err_sync:
                raise self.spill_err
            self.spill_err_sync = True
            return self._sync_event(False, self.last_ts)
        if self.gen is not None and self.spill is None:
            self.done = True
            return self._sync_event(False, self.last_ts)
        start = self.pos
        try:
            g, self.pos, self.spill, spill_err = read_generation_with_spill(
                self.buf, self.pos, self.spill, self.version
            )
            if spill_err is not None:
                self.spill_err = _ReaderError(spill_err.msg, spill_err.offset, spill_err.gen)
            dg = finish_generation(g, self.buf, self.version, start, self.event_decoder)
        except _ReadError as e:
            self.spill_err = _ReaderError(e.msg, e.offset, e.gen)
            self.gen = None
            self.spill_err_sync = True
            return self._sync_event(False, self.last_ts)
        return self._install_gen(dg)

    def _install_gen(self, dg: DecodedGeneration | None) -> Ev:
        if dg is None:
            self.gen = None
            self.done = True
            return self._sync_event(False, self.last_ts)
        if self.before_first_install is not None:
            self.before_first_install(self)
            self.before_first_install = None
        self.gen = dg
        self.tables.append(dg)
        self.gen_idx = len(self.tables) - 1
        cols = dg.generation
        self.cpu_samples = list(range(len(cols.cpu_samples.time_ns)))
        # One cursor per M, in order of the M's first batch (rows are in file order).
        # (numpy index arrays, not Python lists: a generation can hold millions of events)
        thread = cols.events.thread
        by_m = np.argsort(thread, kind="stable")
        ms_sorted, first, counts = np.unique(thread[by_m], return_index=True, return_counts=True)
        rows_by_m = {
            int(m): by_m[f : f + c] for m, f, c in zip(ms_sorted, first, counts, strict=True)
        }
        first_row = {m: int(rows[0]) for m, rows in rows_by_m.items()}
        ms = sorted(rows_by_m, key=first_row.__getitem__)
        for m in dg.cursor_errors:
            if m not in rows_by_m:
                rows_by_m[m] = np.zeros(0, np.int64)
                ms.append(m)  # NOTE: approximate position; only matters for which error wins
        for m in ms:
            bc = Cursor(m, rows_by_m[m], self.gen_idx, dg)
            if not bc.next_event():
                continue
            heap_insert(self.frontier, bc)
        return self._sync_event(True, cols.min_time_ns)

    def _dump_frontier(self) -> str:
        out = []
        for bc in self.frontier:
            spec = SPECS[bc.ev.typ]
            s = f"M {bc.m} [{spec.name} time={bc.ev.time}"
            for j, a in enumerate(spec.args[1:]):
                s += f" {a}={bc.ev.args[j]}"
            out.append(s + "]\n")
        return "".join(out)

    def _validate_table_ids(self, ev: Ev) -> None:
        if ev.typ == EV_SYNC:
            return
        dg = self.tables[ev.gen_idx]
        spec = SPECS[ev.typ]
        stack_ids = dg.generation.stacks.ids
        for i in spec.stack_ids:
            sid = ev.args[i - 1]
            if sid != 0 and not _contains(stack_ids, sid):
                raise _ReaderError(f"found invalid stack ID {sid} for event {spec.name}", ev.offset)
        for i in spec.string_ids:
            sid = ev.args[i - 1]
            if sid != 0 and sid not in dg.strings:
                raise _ReaderError(
                    f"found invalid string ID {sid} for event {spec.name}", ev.offset
                )


def _contains(sorted_ids: np.ndarray, x: int) -> bool:
    if len(sorted_ids) == 0:
        return False
    i = int(np.searchsorted(sorted_ids, np.uint64(x)))
    return i < len(sorted_ids) and int(sorted_ids[i]) == x


# --- events → columns -------------------------------------------------------------------

#: tracev2Type2Kind
_KIND = dict.fromkeys(range(256), EventKind.Bad)
for _n, _k in {
    "CPUSample": EventKind.StackSample,
    "ProcsChange": EventKind.Metric,
    "HeapAlloc": EventKind.Metric,
    "HeapGoal": EventKind.Metric,
    "STWBegin": EventKind.RangeBegin,
    "STWEnd": EventKind.RangeEnd,
    "GCActive": EventKind.RangeActive,
    "GCBegin": EventKind.RangeBegin,
    "GCEnd": EventKind.RangeEnd,
    "GCSweepActive": EventKind.RangeActive,
    "GCSweepBegin": EventKind.RangeBegin,
    "GCSweepEnd": EventKind.RangeEnd,
    "GCMarkAssistActive": EventKind.RangeActive,
    "GCMarkAssistBegin": EventKind.RangeBegin,
    "GCMarkAssistEnd": EventKind.RangeEnd,
    "GoLabel": EventKind.Label,
    "UserTaskBegin": EventKind.TaskBegin,
    "UserTaskEnd": EventKind.TaskEnd,
    "UserRegionBegin": EventKind.RegionBegin,
    "UserRegionEnd": EventKind.RegionEnd,
    "UserLog": EventKind.Log,
}.items():
    _KIND[EV[_n]] = _k
for _n in [
    "ProcStart",
    "ProcStop",
    "ProcSteal",
    "ProcStatus",
    "GoCreate",
    "GoCreateSyscall",
    "GoStart",
    "GoDestroy",
    "GoDestroySyscall",
    "GoStop",
    "GoBlock",
    "GoUnblock",
    "GoSyscallBegin",
    "GoSyscallEnd",
    "GoSyscallEndBlocked",
    "GoStatus",
    "GoSwitch",
    "GoSwitchDestroy",
    "GoCreateBlocked",
    "GoStatusStack",
]:
    _KIND[EV[_n]] = EventKind.StateTransition
for _c in range(128, 137):
    _KIND[_c] = EventKind.Experimental
_KIND[EV_SYNC] = EventKind.Sync
#: EventKind by wire type (tracev2Type2Kind)
KIND_OF_TYPE = _KIND

_METRIC_NAMES = {
    EV["ProcsChange"]: "/sched/gomaxprocs:threads",
    EV["HeapAlloc"]: "/memory/classes/heap/objects:bytes",
    EV["HeapGoal"]: "/gc/heap/goal:bytes",
}


class TableBuilder:
    """Accumulates returned events into :class:`EventTable` columns (Go's accessors, eagerly)."""

    def __init__(self, tables: list[DecodedGeneration]):
        self._tables = tables
        self.cols: dict[str, list[int]] = {c: [] for c in COLUMNS}
        self.strings: list[str] = [""]
        self._codes: dict[str, int] = {"": 0}

    def code(self, s: str) -> int:
        c = self._codes.get(s)
        if c is None:
            c = len(self.strings)
            self.strings.append(s)
            self._codes[s] = c
        return c

    def add(self, ev: Ev) -> None:  # noqa: C901 - one branch per kind, like Go's accessors
        c = self.cols
        kind = KIND_OF_TYPE[ev.typ]
        strings = self._tables[ev.gen_idx].strings if ev.gen_idx >= 0 else {}
        a = ev.args
        stack = 0
        if ev.typ == EV["CPUSample"]:
            stack = a[0]
        elif ev.typ != EV_SYNC and SPECS[ev.typ].stack_ids:
            stack = a[SPECS[ev.typ].stack_ids[0] - 1]
        rk, rid, sfrom, sto, reason, tstack = 0, -1, 0, 0, 0, 0
        name, message, value, value2, task, parent = 0, 0, 0, 0, 0, 0
        t = ev.typ
        if kind == EventKind.Sync:
            value = a[0]
        elif kind == EventKind.Metric:
            name = self.code(_METRIC_NAMES[t])
            value = a[0]
        elif kind == EventKind.Label:
            name = self.code(strings.get(a[0], ""))
            rk, rid = ResourceKind.Goroutine, ev.g
        elif kind in (EventKind.RangeBegin, EventKind.RangeActive, EventKind.RangeEnd):
            if t in (EV["STWBegin"], EV["STWEnd"]):
                name = self.code("stop-the-world (" + strings.get(a[0], "") + ")")
                rk, rid = ResourceKind.Goroutine, ev.g
            elif t in (EV["GCBegin"], EV["GCActive"], EV["GCEnd"]):
                name = self.code("GC concurrent mark phase")
                rk, rid = ResourceKind.None_, 0
            elif t in (EV["GCSweepBegin"], EV["GCSweepActive"], EV["GCSweepEnd"]):
                name = self.code("GC incremental sweep")
                rk = ResourceKind.Proc
                rid = _i64(a[0]) if t == EV["GCSweepActive"] else ev.p
                if t == EV["GCSweepEnd"]:
                    value, value2 = a[0], a[1]
            else:
                name = self.code("GC mark assist")
                rk = ResourceKind.Goroutine
                rid = _i64(a[0]) if t == EV["GCMarkAssistActive"] else ev.g
        elif kind in (EventKind.TaskBegin, EventKind.TaskEnd):
            task = a[0]
            if t == EV["UserTaskBegin"]:
                parent = a[1]
                name = self.code(strings.get(a[2], ""))
            else:
                parent = a[_extra_index(t)]
                name = self.code(ev.extra_str)
        elif kind in (EventKind.RegionBegin, EventKind.RegionEnd):
            task = a[0]
            name = self.code(strings.get(a[1], ""))
        elif kind == EventKind.Log:
            task = a[0]
            name = self.code(strings.get(a[1], ""))
            message = self.code(strings.get(a[2], ""))
        elif kind == EventKind.StateTransition:
            rk, rid, sfrom, sto, reason, tstack = self._transition(ev, strings, stack)
        elif kind == EventKind.Experimental:
            name = self.code(SPECS[t].name)
        c["kind"].append(int(kind))
        c["time_ns"].append(ev.time)
        c["goroutine"].append(ev.g)
        c["proc"].append(ev.p)
        c["thread"].append(ev.m)
        c["ev_type"].append(t)
        c["stack_id"].append(stack)
        c["gen_idx"].append(ev.gen_idx)
        c["source_row"].append(ev.row)
        c["resource_kind"].append(int(rk))
        c["resource_id"].append(rid)
        c["state_from"].append(int(sfrom))
        c["state_to"].append(int(sto))
        c["reason"].append(reason)
        c["transition_stack_id"].append(tstack)
        c["name"].append(name)
        c["message"].append(message)
        c["value"].append(value)
        c["value2"].append(value2)
        c["task_id"].append(task)
        c["parent_task_id"].append(parent)

    def _transition(self, ev: Ev, strings: dict[int, str], stack: int):
        """Go's ``Event.StateTransition()``: (kind, id, from, to, reason code, stack)."""
        t, a = ev.typ, ev.args
        G, P = ResourceKind.Goroutine, ResourceKind.Proc
        if t == EV["ProcStart"]:
            return P, _i64(a[0]), ProcState.Idle, ProcState.Running, 0, 0
        if t == EV["ProcStop"]:
            return P, ev.p, ProcState.Running, ProcState.Idle, 0, 0
        if t == EV["ProcSteal"]:
            before = ProcState.Running
            if a[_extra_index(t)] == PROC_SYSCALL_ABANDONED:
                before = ProcState.Idle
            return P, _i64(a[0]), before, ProcState.Idle, 0, 0
        if t == EV["ProcStatus"]:
            # NOTE: Go indexes with the raw arg (and panics past 4); a[1] is < 5 after ordering
            # unless its high bits were set, so mask like the uint8 the ordering compared.
            return P, _i64(a[0]), a[_extra_index(t)], PROC_STATUS_TO_STATE[a[1] & 0xFF], 0, 0
        if t in (EV["GoCreate"], EV["GoCreateBlocked"]):
            to = GoState.Waiting if t == EV["GoCreateBlocked"] else GoState.Runnable
            return G, _i64(a[0]), GoState.NotExist, to, 0, a[1]
        if t == EV["GoCreateSyscall"]:
            return G, _i64(a[0]), GoState.NotExist, GoState.Syscall, 0, 0
        if t == EV["GoStart"]:
            return G, _i64(a[0]), GoState.Runnable, GoState.Running, 0, 0
        if t == EV["GoDestroy"]:
            return G, ev.g, GoState.Running, GoState.NotExist, 0, 0
        if t == EV["GoDestroySyscall"]:
            return G, ev.g, GoState.Syscall, GoState.NotExist, 0, 0
        if t in (EV["GoStop"], EV["GoBlock"]):
            to = GoState.Runnable if t == EV["GoStop"] else GoState.Waiting
            return G, ev.g, GoState.Running, to, self.code(strings.get(a[0], "")), stack
        if t in (EV["GoUnblock"], EV["GoSwitch"], EV["GoSwitchDestroy"]):
            return G, _i64(a[0]), GoState.Waiting, GoState.Runnable, 0, 0
        if t == EV["GoSyscallBegin"]:
            return G, ev.g, GoState.Running, GoState.Syscall, 0, stack
        if t == EV["GoSyscallEnd"]:
            return G, ev.g, GoState.Syscall, GoState.Running, 0, 0
        if t == EV["GoSyscallEndBlocked"]:
            return G, ev.g, GoState.Syscall, GoState.Runnable, 0, 0
        if t in (EV["GoStatus"], EV["GoStatusStack"]):
            packed = a[2]
            frm, to = packed >> 32, packed & 0xFFFFFFFF
            to_state = GO_STATUS_TO_STATE[to] if to < len(GO_STATUS_TO_STATE) else 0
            return G, _i64(a[0]), frm & 0xFF, to_state, 0, stack
        raise AssertionError(f"unexpected wire-format event type for StateTransition kind: {t}")

    def build(self) -> EventTable:
        """The rows added since the last :meth:`build` as an :class:`EventTable` (then reset)."""
        arrays = {name: np.array(self.cols[name], dtype=dt) for name, dt in COLUMNS.items()}
        for arr in arrays.values():
            arr.flags.writeable = False
        self.cols = {c: [] for c in COLUMNS}
        gens = tuple(
            GenerationTables(dg.generation.gen, dg.generation, dg.strings) for dg in self._tables
        )
        return EventTable(**arrays, strings=tuple(self.strings), generations=gens)

    def __len__(self) -> int:
        return len(self.cols["kind"])


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Everything Go's reader returned before it stopped.

    ``error`` is None for a clean trace; else the :class:`TraceFormatError` Go's
    ``ReadEvent`` returned (``str(error)`` is Go's message; ``.offset`` and
    ``.generation`` say where), and ``events`` holds every event returned before it.
    """

    events: EventTable
    version: int
    error: TraceFormatError | None
    size: int


def read_trace(
    buf: bytes,
    progress: Callable[[float], None] | None = None,
) -> ReadResult:
    """Read a whole v2 trace with the reference reader. Never raises for bad *content*.

    buf : the trace bytes (``bytes``, ``mmap`` or a uint8 array)
    progress : called with the fraction of bytes consumed, once per generation

    Raises :class:`TraceFormatError` only for a bad header (nothing to keep).
    """
    chunks = TraceChunks(buf, chunk_events=None, progress=progress)
    tables = list(chunks)
    return ReadResult(tables[-1], chunks.version, chunks.error, chunks.size)


class TraceChunks:
    """Iterate a trace's events as :class:`EventTable` chunks of ``chunk_events`` rows.

    ``chunk_events=None`` yields one table with everything. With
    ``keep_columns=False`` the decoded columns of finished generations are
    released (the chunks' ``generations`` then keep only their strings and
    stacks), so memory stays bounded by one generation plus one chunk. After
    iteration, ``error`` is the :class:`TraceFormatError` Go's reader stopped
    with (None for a clean trace) and ``version`` the header's minor version.
    """

    def __init__(
        self,
        buf,
        *,
        chunk_events: int | None = 1 << 18,
        keep_columns: bool = True,
        progress: Callable[[float], None] | None = None,
        reader: Reader | None = None,
        strings: tuple[list[str], dict[str, int]] | None = None,
    ):
        """``reader``: read with this one (``Reader.resume``) instead of a fresh one;
        ``strings``: the (texts, code by text) table the string codes extend (shared
        with the caller, as ``model.order`` does when it hands over mid-trace)."""
        if not isinstance(buf, bytes | bytearray | mmap.mmap):
            buf = bytes(buf)
        self._buf = buf
        self.size = len(buf)
        # header errors propagate: there is nothing to keep
        self._reader = Reader(buf) if reader is None else reader
        self._strings = strings
        self.version = self._reader.version
        self.error: TraceFormatError | None = None
        self._chunk = chunk_events
        self._keep = keep_columns
        self._progress = progress

    def __iter__(self):
        r = self._reader
        tb = TableBuilder(r.tables)
        if self._strings is not None:
            tb.strings, tb._codes = self._strings
        last_gen_idx = -1
        while True:
            try:
                ev = r.read_event()
            except _Done:
                break
            except _ReaderError as e:
                if e.msg == "EOF":
                    # Go returned a bare io.EOF from inside a table or sync batch: its callers
                    # cannot tell that from the end of the trace (HACKING.md § Damaged traces).
                    break
                if e.gen is not None:
                    gen = e.gen
                elif r.gen is not None:
                    gen = r.gen.generation.gen
                else:
                    gen = _next_gen_number(r)
                offset = e.offset if e.offset >= 0 else r.pos
                self.error = TraceFormatError(e.msg, offset=offset, generation=gen)
                break
            tb.add(ev)
            if r.gen_idx != last_gen_idx:
                if not self._keep and last_gen_idx >= 0:
                    _release_columns(r.tables, last_gen_idx)
                last_gen_idx = r.gen_idx
                if self._progress is not None:
                    self._progress(min(1.0, r.pos / max(1, self.size)))
            if self._chunk is not None and len(tb) >= self._chunk:
                yield tb.build()
        if self._progress is not None:
            self._progress(1.0)
        if self._chunk is None or len(tb):
            yield tb.build()


def _release_columns(tables: list[DecodedGeneration], upto: int) -> None:
    """Drop the event columns of generations ``<= upto`` (their strings and stacks stay)."""
    import dataclasses

    from goroscope.format.columns import EventColumns

    for i in range(upto + 1):
        dg = tables[i]
        if len(dg.generation.events) == 0:
            continue
        empty = EventColumns(
            np.zeros(0, np.uint8),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int32),
            np.zeros((0, 4), np.uint64),
            np.zeros(0, np.int64),
        )
        gen = dataclasses.replace(dg.generation, events=empty)
        tables[i] = dataclasses.replace(dg, generation=gen)


def _next_gen_number(r: Reader) -> int | None:
    """The generation a read error belongs to: the one after the last installed."""
    if r.tables:
        return r.tables[-1].generation.gen + 1
    if r.prev_gen is not None:
        return r.prev_gen + 1
    return None


__all__ = [
    "EXPERIMENTS",
    "KIND_OF_TYPE",
    "Ordering",
    "ReadResult",
    "Reader",
    "TraceChunks",
    "read_trace",
]
