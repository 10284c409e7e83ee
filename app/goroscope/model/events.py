"""Go's high-level trace events as columns: :class:`EventTable` (L1, numpy only).

One row per event Go's ``internal/trace.Reader.ReadEvent`` returns, in the order
it returns them, with Go's times (absolute trace-clock ns, after the +1 ns
fix-up). Values and names are Go's: :class:`EventKind`, :class:`GoState`,
:class:`ProcState` and :class:`ResourceKind` print as ``EventKind.String()`` etc.

Columns hold IDs (``-1`` = none, Go's ``NoGoroutine``/``NoProc``/``NoThread``),
wire stack IDs (resolve them with ``gen_idx``: stacks are per generation) and
string *codes* into ``EventTable.strings`` (code 0 is ``""``). ``table[i]`` gives
a small read-only :class:`EventView` whose ``str()`` follows Go's
``Event.String()``. Per-kind detail columns are meaningful only for their kind
and hold 0 / -1 elsewhere:

=====================  =====================================================
kind                   detail columns
=====================  =====================================================
Sync                   ``value`` = N; clock snapshot via ``gen_idx``
Metric                 ``name`` (metric name), ``value``
Label                  ``name`` (label), ``resource_kind/id`` (the goroutine)
RangeBegin/Active/End  ``name`` (range name), ``resource_kind/id`` (scope);
                       End of "GC incremental sweep": ``value`` = bytes swept,
                       ``value2`` = bytes reclaimed
TaskBegin/End          ``task_id``, ``parent_task_id``, ``name`` (type)
RegionBegin/End        ``task_id``, ``name`` (type)
Log                    ``task_id``, ``name`` (category), ``message``
StateTransition        ``resource_kind/id``, ``state_from``, ``state_to`` (Go's
                       GoState or ProcState by resource kind), ``reason``,
                       ``transition_stack_id``
StackSample            (the sample's stack is ``stack_id``)
Experimental           ``name`` (event name); raw args via ``source_row``
=====================  =====================================================
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from goroscope.format.columns import Generation

NO_ID = -1
#: Go's ``trace.NoTask`` (``^uint64(0)``)
NO_TASK = (1 << 64) - 1
#: Go's ``trace.BackgroundTask``
BACKGROUND_TASK = 0
#: wire type stored for Sync events (Go's ``evSync = ^EventType(0)``)
EV_SYNC = 255


class EventKind(IntEnum):
    """Go's ``trace.EventKind``."""

    Bad = 0
    Sync = 1
    Metric = 2
    Label = 3
    StackSample = 4
    RangeBegin = 5
    RangeActive = 6
    RangeEnd = 7
    TaskBegin = 8
    TaskEnd = 9
    RegionBegin = 10
    RegionEnd = 11
    Log = 12
    StateTransition = 13
    Experimental = 14

    def __str__(self) -> str:
        return self.name


class GoState(IntEnum):
    """Go's ``trace.GoState``."""

    Undetermined = 0
    NotExist = 1
    Runnable = 2
    Running = 3
    Waiting = 4
    Syscall = 5

    def __str__(self) -> str:
        return self.name


class ProcState(IntEnum):
    """Go's ``trace.ProcState``."""

    Undetermined = 0
    NotExist = 1
    Running = 2
    Idle = 3

    def __str__(self) -> str:
        return self.name


class ResourceKind(IntEnum):
    """Go's ``trace.ResourceKind``."""

    None_ = 0
    Goroutine = 1
    Proc = 2
    Thread = 3

    def __str__(self) -> str:
        return "None" if self == ResourceKind.None_ else self.name


def go_state_name(v: int) -> str:
    return str(GoState(v)) if 0 <= v <= 5 else "Bad"


def proc_state_name(v: int) -> str:
    return str(ProcState(v)) if 0 <= v <= 3 else "Bad"


@dataclass(frozen=True, slots=True)
class GenerationTables:
    """What the events of one generation need to resolve stacks and strings.

    ``columns`` is the decoded generation; ``strings`` maps wire string ID → text.
    ``stack_frames``, when set, resolves stacks instead of ``columns.stacks`` (which is
    then empty): ``TraceChunks(lazy_stacks=True)`` decodes each stack from the file
    when asked (``model.lazy_stacks``) instead of keeping 32 B per frame.
    """

    gen: int
    columns: Generation
    strings: dict[int, str]
    stack_frames: Callable[[int], list[tuple[int, str, str, int]]] | None = None

    def frames(self, stack_id: int) -> list[tuple[int, str, str, int]]:
        """``[(pc, func, file, line), ...]`` of a stack, leaf first; ``[]`` for 0 or unknown."""
        if self.stack_frames is not None:
            return self.stack_frames(stack_id)
        st = self.columns.stacks
        if stack_id == 0 or len(st.ids) == 0:
            return []
        i = int(np.searchsorted(st.ids, np.uint64(stack_id)))
        if i >= len(st.ids) or int(st.ids[i]) != stack_id:
            return []
        a = int(st.frame_start[i])
        out = []
        for pc, fn, fl, line in st.frames[a : a + int(st.nframes[i])].tolist():
            out.append((pc, self.strings.get(fn, ""), self.strings.get(fl, ""), line))
        return out


@dataclass(frozen=True, slots=True)
class EventTable:
    """Go's ``Event`` stream of one trace, struct-of-arrays (see the module doc).

    kind : (n,) uint8 — :class:`EventKind`
    time_ns : (n,) int64 — Go's ``Event.Time()``, absolute trace-clock ns, strictly increasing
    goroutine, proc, thread : (n,) int64 — the context before the event; -1 = none
    ev_type : (n,) uint8 — wire event type that produced the row (255 = Sync)
    stack_id : (n,) uint64 — ``Event.Stack()`` (wire ID in generation ``gen_idx``; 0 = none)
    gen_idx : (n,) int32 — index into ``generations``; -1 for Syncs without a generation
    source_row : (n,) int64 — row in that generation's ``EventColumns``; -1 if synthesized
    resource_kind : (n,) uint8 — :class:`ResourceKind` of the transition / range scope / label
    resource_id : (n,) int64
    state_from, state_to : (n,) uint8 — :class:`GoState` or :class:`ProcState`
    reason : (n,) int32 — string code of the transition reason
    transition_stack_id : (n,) uint64 — ``StateTransition.Stack`` (wire ID)
    name : (n,) int32 — string code: range/metric/experimental name, label, task/region type, log category
    message : (n,) int32 — string code of a Log message
    value, value2 : (n,) uint64 — metric value, Sync N, sweep attributes
    task_id, parent_task_id : (n,) uint64 — Go's TaskID (``NO_TASK`` = none)
    strings : code → text
    generations : per generation, what resolves its stacks and strings
    """

    kind: NDArray[np.uint8]
    time_ns: NDArray[np.int64]
    goroutine: NDArray[np.int64]
    proc: NDArray[np.int64]
    thread: NDArray[np.int64]
    ev_type: NDArray[np.uint8]
    stack_id: NDArray[np.uint64]
    gen_idx: NDArray[np.int32]
    source_row: NDArray[np.int64]
    resource_kind: NDArray[np.uint8]
    resource_id: NDArray[np.int64]
    state_from: NDArray[np.uint8]
    state_to: NDArray[np.uint8]
    reason: NDArray[np.int32]
    transition_stack_id: NDArray[np.uint64]
    name: NDArray[np.int32]
    message: NDArray[np.int32]
    value: NDArray[np.uint64]
    value2: NDArray[np.uint64]
    task_id: NDArray[np.uint64]
    parent_task_id: NDArray[np.uint64]
    strings: tuple[str, ...]
    generations: tuple[GenerationTables, ...]

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    def __getitem__(self, i: int) -> EventView:
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        return EventView(self, i)

    def __iter__(self):
        for i in range(len(self)):
            yield EventView(self, i)

    def string(self, code: int) -> str:
        return self.strings[code]


#: column name → dtype, in declaration order (used by builders)
COLUMNS: dict[str, type] = {
    "kind": np.uint8,
    "time_ns": np.int64,
    "goroutine": np.int64,
    "proc": np.int64,
    "thread": np.int64,
    "ev_type": np.uint8,
    "stack_id": np.uint64,
    "gen_idx": np.int32,
    "source_row": np.int64,
    "resource_kind": np.uint8,
    "resource_id": np.int64,
    "state_from": np.uint8,
    "state_to": np.uint8,
    "reason": np.int32,
    "transition_stack_id": np.uint64,
    "name": np.int32,
    "message": np.int32,
    "value": np.uint64,
    "value2": np.uint64,
    "task_id": np.uint64,
    "parent_task_id": np.uint64,
}


#: GoCreate, GoCreateBlocked
_GO_CREATE_TYPES = (14, 47)


def _quote(s: str) -> str:
    """Approximately Go's ``%q`` (exact for printable ASCII)."""
    return json.dumps(s, ensure_ascii=False)


def _print_stack(frames, prefix: str) -> str:
    return "".join(
        f"{prefix}{fn} @ 0x{pc:x}\n{prefix}\t{fl}:{line}\n" for pc, fn, fl, line in frames
    )


class EventView:
    """A read-only view of one row of an :class:`EventTable` (Go's ``Event``)."""

    __slots__ = ("_i", "_t")

    def __init__(self, table: EventTable, i: int):
        self._t = table
        self._i = i

    def _col(self, name: str) -> int:
        return int(getattr(self._t, name)[self._i])

    @property
    def kind(self) -> EventKind:
        return EventKind(self._col("kind"))

    @property
    def time_ns(self) -> int:
        return self._col("time_ns")

    @property
    def goroutine(self) -> int:
        return self._col("goroutine")

    @property
    def proc(self) -> int:
        return self._col("proc")

    @property
    def thread(self) -> int:
        return self._col("thread")

    @property
    def tables(self) -> GenerationTables | None:
        g = self._col("gen_idx")
        return self._t.generations[g] if g >= 0 else None

    def _s(self, col: str) -> str:
        return self._t.strings[self._col(col)]

    @property
    def stack(self) -> list[tuple[int, str, str, int]]:
        """``Event.Stack()`` frames: ``[(pc, func, file, line), ...]``."""
        tb = self.tables
        return tb.frames(self._col("stack_id")) if tb is not None else []

    @property
    def details(self) -> dict:
        """The kind-specific details, as Go's accessor for this kind would return them."""
        k = self.kind
        t = self._t
        i = self._i
        if k == EventKind.Sync:
            d: dict = {"N": int(t.value[i])}
            tb = self.tables
            clock = tb.columns.clock if tb is not None else None
            if clock is not None:
                d["ClockSnapshot"] = {
                    "Trace": clock.trace_ns,
                    "Mono": clock.mono_ns,
                    "WallSec": clock.wall_sec,
                    "WallNsec": clock.wall_nsec,
                }
            return d
        if k == EventKind.Metric:
            return {"Name": self._s("name"), "Value": int(t.value[i])}
        if k == EventKind.Label:
            return {"Label": self._s("name"), "Resource": self._resource()}
        if k in (EventKind.RangeBegin, EventKind.RangeActive, EventKind.RangeEnd):
            d = {"Name": self._s("name"), "Scope": self._resource()}
            if k == EventKind.RangeEnd and self._s("name") == "GC incremental sweep":
                d["Attributes"] = {
                    "bytes swept": int(t.value[i]),
                    "bytes reclaimed": int(t.value2[i]),
                }
            return d
        if k in (EventKind.TaskBegin, EventKind.TaskEnd):
            return {
                "ID": int(t.task_id[i]),
                "Parent": int(t.parent_task_id[i]),
                "Type": self._s("name"),
            }
        if k in (EventKind.RegionBegin, EventKind.RegionEnd):
            return {"Task": int(t.task_id[i]), "Type": self._s("name")}
        if k == EventKind.Log:
            return {
                "Task": int(t.task_id[i]),
                "Category": self._s("name"),
                "Message": self._s("message"),
            }
        if k == EventKind.StateTransition:
            rk = ResourceKind(self._col("resource_kind"))
            f, to = self._col("state_from"), self._col("state_to")
            name = go_state_name if rk == ResourceKind.Goroutine else proc_state_name
            return {
                "Resource": self._resource(),
                "From": name(f),
                "To": name(to),
                "Reason": self._s("reason"),
                "Stack": self.tables.frames(self._col("transition_stack_id"))
                if self.tables
                else [],
            }
        if k == EventKind.Experimental:
            return {"Name": self._s("name")}
        return {}

    def _resource(self) -> str:
        rk = ResourceKind(self._col("resource_kind"))
        if rk == ResourceKind.None_:
            return "None"
        return f"{rk}({self._col('resource_id')})"

    def __repr__(self) -> str:
        return f"<EventView {self._i}: {self.kind} Time={self.time_ns}>"

    def __str__(self) -> str:
        k = self.kind
        out = [f"M={self.thread} P={self.proc} G={self.goroutine} {k} Time={self.time_ns}"]
        d = self.details
        if k == EventKind.Metric:
            out.append(f" Name={_quote(d['Name'])} Value=Value{{Uint64({d['Value']})}}")
        elif k == EventKind.Label:
            out.append(f" Label={_quote(d['Label'])} Resource={d['Resource']}")
        elif k in (EventKind.RangeBegin, EventKind.RangeActive, EventKind.RangeEnd):
            out.append(f" Name={_quote(d['Name'])} Scope={d['Scope']}")
            if k == EventKind.RangeEnd:
                attrs = d.get("Attributes", {})
                inner = " ".join(f"{_quote(a)}=Value{{Uint64({v})}}" for a, v in attrs.items())
                out.append(f" Attributes=[{inner}]")
        elif k in (EventKind.TaskBegin, EventKind.TaskEnd):
            out.append(f" ID={d['ID']} Parent={d['Parent']} Type={_quote(d['Type'])}")
        elif k in (EventKind.RegionBegin, EventKind.RegionEnd):
            out.append(f" Task={d['Task']} Type={_quote(d['Type'])}")
        elif k == EventKind.Log:
            out.append(
                f" Task={d['Task']} Category={_quote(d['Category'])} Message={_quote(d['Message'])}"
            )
        elif k == EventKind.StateTransition:
            rk = ResourceKind(self._col("resource_kind"))
            label = "GoID" if rk == ResourceKind.Goroutine else "ProcID"
            out.append(f" {label}={self._col('resource_id')} {d['From']}->{d['To']}")
            out.append(f" Reason={_quote(d['Reason'])}")
            # NOTE: Go compares the transition's Stack handle with NoStack; GoCreate's
            # handle always carries the generation's table, so it prints the header even
            # for stack ID 0 (see HACKING.md § Event.String quirks).
            if d["Stack"] or self._col("ev_type") in _GO_CREATE_TYPES:
                out.append("\nTransitionStack=\n" + _print_stack(d["Stack"], "\t"))
        elif k == EventKind.Experimental:
            out.append(f" Name={d['Name']} Args=[{self._experimental_args()}]")
        elif k == EventKind.Sync:
            out.append(f" N={d['N']}")
            c = d.get("ClockSnapshot")
            if c is not None:
                wall = _dt.datetime.fromtimestamp(c["WallSec"], tz=_dt.UTC)
                stamp = wall.strftime("%Y-%m-%dT%H:%M:%S")
                if c["WallNsec"]:
                    stamp += "." + f"{c['WallNsec']:09d}".rstrip("0")
                out.append(f" Trace={c['Trace']} Mono={c['Mono']} Wall={stamp}Z")
        stk = self.stack
        if stk:
            out.append("\nStack=\n" + _print_stack(stk, "\t"))
        return "".join(out)

    def _experimental_args(self) -> str:
        from goroscope.model._gospec import SPECS

        tb = self.tables
        row = self._col("source_row")
        spec = SPECS[self._col("ev_type")]
        if tb is None or row < 0 or spec is None:
            return ""
        vals = tb.columns.events.args[row].tolist()
        parts = []
        for j, a in enumerate(spec.args[1:]):
            if a.endswith("string"):
                parts.append(f"{a}={tb.strings.get(vals[j], '')}")
            else:
                parts.append(f"{a}=Value{{Uint64({vals[j]})}}")
        return ", ".join(parts)
