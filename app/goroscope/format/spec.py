"""The event table of the v2 wire format, one row per event type (mirrors ``tracev2``).

Layer L0, purely data. ``EVENT_SPECS`` is indexed by the wire type byte and has
137 rows (0..136) like Go's ``tracev2.Specs()``: 52 concrete types (1..52), 9
experimental ones (128..136) and empty rows for unused bytes (0, 53..127).
Names, argument names and ID indexes are spelled exactly as Go spells them.

Per version the valid prefix is ``specs_for(version)`` (Go's ``version.Specs``):
Go 1.22 ``[:45]``, 1.23 ``[:50]``, 1.25 ``[:52]``, 1.26 all 137. Only the *raw*
reader (and ``raw_counts``) is gated by that prefix; like Go's main reader, the
event decoder accepts every type of the full table in every v2 version.

``NARGS``/``TIMED``/... are numpy lookup tables (256 rows) handed to the kernels.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from goroscope.format.version import Version

__all__ = [
    "EVENT_SPECS",
    "MAX_BATCH_SIZE",
    "MAX_EVENT_TRAILER_DATA_SIZE",
    "MAX_FRAMES_PER_STACK",
    "MAX_TIMED_EVENT_ARGS",
    "EventSpec",
    "EventType",
    "event_name",
    "specs_for",
]

#: Largest batch data size (bytes) Go accepts (``tracev2.MaxBatchSize``).
MAX_BATCH_SIZE = 64 << 10
#: Most frames per stack (``tracev2.MaxFramesPerStack``).
MAX_FRAMES_PER_STACK = 128
#: Longest string / trailer data in bytes (``tracev2.MaxEventTrailerDataSize``).
MAX_EVENT_TRAILER_DATA_SIZE = 1 << 10
#: Most args of a timed event *including* dt (``tracev2.MaxTimedEventArgs``).
MAX_TIMED_EVENT_ARGS = 5


class EventType(enum.IntEnum):
    """Wire event type byte (``tracev2.Ev*`` without the ``Ev`` prefix)."""

    NONE = 0
    EventBatch = 1
    Stacks = 2
    Stack = 3
    Strings = 4
    String = 5
    CPUSamples = 6
    CPUSample = 7
    Frequency = 8
    ProcsChange = 9
    ProcStart = 10
    ProcStop = 11
    ProcSteal = 12
    ProcStatus = 13
    GoCreate = 14
    GoCreateSyscall = 15
    GoStart = 16
    GoDestroy = 17
    GoDestroySyscall = 18
    GoStop = 19
    GoBlock = 20
    GoUnblock = 21
    GoSyscallBegin = 22
    GoSyscallEnd = 23
    GoSyscallEndBlocked = 24
    GoStatus = 25
    STWBegin = 26
    STWEnd = 27
    GCActive = 28
    GCBegin = 29
    GCEnd = 30
    GCSweepActive = 31
    GCSweepBegin = 32
    GCSweepEnd = 33
    GCMarkAssistActive = 34
    GCMarkAssistBegin = 35
    GCMarkAssistEnd = 36
    HeapAlloc = 37
    HeapGoal = 38
    GoLabel = 39
    UserTaskBegin = 40
    UserTaskEnd = 41
    UserRegionBegin = 42
    UserRegionEnd = 43
    UserLog = 44
    GoSwitch = 45
    GoSwitchDestroy = 46
    GoCreateBlocked = 47
    GoStatusStack = 48
    ExperimentalBatch = 49
    Sync = 50
    ClockSnapshot = 51
    EndOfGeneration = 52
    # Experimental (AllocFree), MaxEvent = 127.
    Span = 128
    SpanAlloc = 129
    SpanFree = 130
    HeapObject = 131
    HeapObjectAlloc = 132
    HeapObjectFree = 133
    GoroutineStack = 134
    GoroutineStackAlloc = 135
    GoroutineStackFree = 136

    @property
    def experimental(self) -> bool:
        return 127 < self < 137


#: Experiment names by ID (``tracev2.Experiments()``).
EXPERIMENTS = ("None", "AllocFree")
ALLOC_FREE = 1


@dataclass(frozen=True, slots=True)
class EventSpec:
    """One row of the table (``tracev2.EventSpec``).

    args : argument names in wire order (timed events start with ``dt``)
    string_ids, stack_ids : 0-based indexes into ``args`` (``stack_ids[0]`` is the event's own stack)
    since : first format version containing the type (None for unused rows)
    """

    name: str = ""
    args: tuple[str, ...] = ()
    string_ids: tuple[int, ...] = ()
    stack_ids: tuple[int, ...] = ()
    start_ev: int = 0
    timed: bool = False
    has_data: bool = False
    is_stack: bool = False
    experiment: int = 0
    since: Version | None = None

    @property
    def experimental(self) -> bool:
        return self.experiment != 0


def _t(name, args, *, stack=(), string=(), start=0, since=Version.GO122, exp=0):
    return EventSpec(
        name=name,
        args=tuple(args.split()),
        string_ids=tuple(string),
        stack_ids=tuple(stack),
        start_ev=int(start),
        timed=True,
        experiment=exp,
        since=since,
    )


def _s(name, args="", *, since=Version.GO122, has_data=False, is_stack=False, stack=()):
    return EventSpec(
        name=name,
        args=tuple(args.split()),
        stack_ids=tuple(stack),
        has_data=has_data,
        is_stack=is_stack,
        since=since,
    )


E = EventType
_V23, _V25, _V26 = Version.GO123, Version.GO125, Version.GO126
_ROWS: dict[int, EventSpec] = {
    # Structural events.
    E.EventBatch: _s("EventBatch", "gen m time size"),
    E.Stacks: _s("Stacks"),
    E.Stack: _s("Stack", "id nframes", is_stack=True),
    E.Strings: _s("Strings"),
    E.String: _s("String", "id", has_data=True),
    E.CPUSamples: _s("CPUSamples"),
    E.CPUSample: _s("CPUSample", "time m p g stack", stack=(4,)),
    E.Frequency: _s("Frequency", "freq"),
    E.ExperimentalBatch: _s("ExperimentalBatch", "exp gen m time", since=_V23, has_data=True),
    E.Sync: _s("Sync", since=_V25),
    E.EndOfGeneration: _s("EndOfGeneration", since=_V26),
    # Timed events.
    E.ProcsChange: _t("ProcsChange", "dt procs_value stack", stack=(2,)),
    E.ProcStart: _t("ProcStart", "dt p p_seq"),
    E.ProcStop: _t("ProcStop", "dt"),
    E.ProcSteal: _t("ProcSteal", "dt p p_seq m"),
    E.ProcStatus: _t("ProcStatus", "dt p pstatus"),
    E.GoCreate: _t("GoCreate", "dt new_g new_stack stack", stack=(3, 2)),
    E.GoCreateSyscall: _t("GoCreateSyscall", "dt new_g"),
    E.GoStart: _t("GoStart", "dt g g_seq"),
    E.GoDestroy: _t("GoDestroy", "dt"),
    E.GoDestroySyscall: _t("GoDestroySyscall", "dt"),
    E.GoStop: _t("GoStop", "dt reason_string stack", stack=(2,), string=(1,)),
    E.GoBlock: _t("GoBlock", "dt reason_string stack", stack=(2,), string=(1,)),
    E.GoUnblock: _t("GoUnblock", "dt g g_seq stack", stack=(3,)),
    E.GoSyscallBegin: _t("GoSyscallBegin", "dt p_seq stack", stack=(2,)),
    E.GoSyscallEnd: _t("GoSyscallEnd", "dt", start=E.GoSyscallBegin),
    E.GoSyscallEndBlocked: _t("GoSyscallEndBlocked", "dt", start=E.GoSyscallBegin),
    E.GoStatus: _t("GoStatus", "dt g m gstatus"),
    E.STWBegin: _t("STWBegin", "dt kind_string stack", stack=(2,), string=(1,)),
    E.STWEnd: _t("STWEnd", "dt", start=E.STWBegin),
    E.GCActive: _t("GCActive", "dt gc_seq", start=E.GCBegin),
    E.GCBegin: _t("GCBegin", "dt gc_seq stack", stack=(2,)),
    E.GCEnd: _t("GCEnd", "dt gc_seq", start=E.GCBegin),
    E.GCSweepActive: _t("GCSweepActive", "dt p", start=E.GCSweepBegin),
    E.GCSweepBegin: _t("GCSweepBegin", "dt stack", stack=(1,)),
    E.GCSweepEnd: _t("GCSweepEnd", "dt swept_value reclaimed_value", start=E.GCSweepBegin),
    E.GCMarkAssistActive: _t("GCMarkAssistActive", "dt g", start=E.GCMarkAssistBegin),
    E.GCMarkAssistBegin: _t("GCMarkAssistBegin", "dt stack", stack=(1,)),
    E.GCMarkAssistEnd: _t("GCMarkAssistEnd", "dt", start=E.GCMarkAssistBegin),
    E.HeapAlloc: _t("HeapAlloc", "dt heapalloc_value"),
    E.HeapGoal: _t("HeapGoal", "dt heapgoal_value"),
    E.GoLabel: _t("GoLabel", "dt label_string", string=(1,)),
    E.UserTaskBegin: _t(
        "UserTaskBegin", "dt task parent_task name_string stack", stack=(4,), string=(3,)
    ),
    E.UserTaskEnd: _t("UserTaskEnd", "dt task stack", stack=(2,)),
    E.UserRegionBegin: _t("UserRegionBegin", "dt task name_string stack", stack=(3,), string=(2,)),
    E.UserRegionEnd: _t(
        "UserRegionEnd",
        "dt task name_string stack",
        stack=(3,),
        string=(2,),
        start=E.UserRegionBegin,
    ),
    E.UserLog: _t("UserLog", "dt task key_string value_string stack", stack=(4,), string=(2, 3)),
    E.GoSwitch: _t("GoSwitch", "dt g g_seq", since=_V23),
    E.GoSwitchDestroy: _t("GoSwitchDestroy", "dt g g_seq", since=_V23),
    E.GoCreateBlocked: _t("GoCreateBlocked", "dt new_g new_stack stack", stack=(3, 2), since=_V23),
    E.GoStatusStack: _t("GoStatusStack", "dt g m gstatus stack", stack=(4,), since=_V23),
    E.ClockSnapshot: _t("ClockSnapshot", "dt mono sec nsec", since=_V25),
    # Experimental events (AllocFree), all since Go 1.23.
    E.Span: _t("Span", "dt id npages_value kindclass", since=_V23, exp=ALLOC_FREE),
    E.SpanAlloc: _t("SpanAlloc", "dt id npages_value kindclass", since=_V23, exp=ALLOC_FREE),
    E.SpanFree: _t("SpanFree", "dt id", since=_V23, exp=ALLOC_FREE),
    E.HeapObject: _t("HeapObject", "dt id type", since=_V23, exp=ALLOC_FREE),
    E.HeapObjectAlloc: _t("HeapObjectAlloc", "dt id type", since=_V23, exp=ALLOC_FREE),
    E.HeapObjectFree: _t("HeapObjectFree", "dt id", since=_V23, exp=ALLOC_FREE),
    E.GoroutineStack: _t("GoroutineStack", "dt id order", since=_V23, exp=ALLOC_FREE),
    E.GoroutineStackAlloc: _t("GoroutineStackAlloc", "dt id order", since=_V23, exp=ALLOC_FREE),
    E.GoroutineStackFree: _t("GoroutineStackFree", "dt id", since=_V23, exp=ALLOC_FREE),
}
del E

#: The full table, indexed by type byte, 137 rows (``tracev2.Specs()``).
EVENT_SPECS: tuple[EventSpec, ...] = tuple(_ROWS.get(i, EventSpec()) for i in range(137))

_PREFIX = {
    Version.GO122: EventType.UserLog + 1,
    Version.GO123: EventType.ExperimentalBatch + 1,
    Version.GO125: EventType.ClockSnapshot + 1,
    Version.GO126: len(EVENT_SPECS),
}


def specs_for(version: Version) -> tuple[EventSpec, ...]:
    """The spec prefix valid in ``version`` (Go's ``Version.Specs()``); empty for v1."""
    return EVENT_SPECS[: _PREFIX.get(Version(version), 0)]


def event_name(version: Version, typ: int) -> str:
    """Go's ``Version.EventName``: the spec name, or ``Invalid(N)`` outside the version's table."""
    s = specs_for(version)
    if not s:
        return "<v1 trace event type>"
    if 0 <= typ < len(s) and s[typ].name:
        return s[typ].name
    return f"Invalid({typ})"


def _table(fn, dtype) -> np.ndarray:
    out = np.zeros(256, dtype=dtype)
    for i, s in enumerate(EVENT_SPECS):
        out[i] = fn(s)
    out.flags.writeable = False
    return out


#: (256,) int8 — number of args (incl. dt) per type byte; 0 for unused rows.
NARGS = _table(lambda s: len(s.args), np.int8)
#: (256,) uint8 — 1 if the type is a timed event (may appear in an M batch).
TIMED = _table(lambda s: s.timed and len(s.args) > 0, np.uint8)
#: (256,) uint8 — 1 if the type has a data trailer (varint length + bytes).
HAS_DATA = _table(lambda s: s.has_data, np.uint8)
#: (256,) uint8 — 1 if the type is a stack entry (4 varints per frame follow).
IS_STACK = _table(lambda s: s.is_stack, np.uint8)
#: (256,) int8 — index (into args, incl. dt) of the event's own stack, -1 if none.
STACK_ARG = _table(lambda s: s.stack_ids[0] if s.stack_ids else -1, np.int8)
