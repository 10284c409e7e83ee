"""The slice of Go's ``tracev2`` spec table the reference reader needs (L1, pure data).

NOTE: ``goroscope.format.spec`` is the source of truth for the wire format; this
module is the model's read-only view of it, kept literal (transcribed from the
GOROOT's ``src/internal/trace/tracev2/events.go``) so the reference ordering can
be read beside Go's ``order.go`` without indirection. ``tests/model`` checks it
against ``goroscope.format.spec`` once that exists.
"""

from __future__ import annotations

from typing import NamedTuple


class _Spec(NamedTuple):
    code: int
    name: str
    #: argument names in order, ``dt`` first for timed events
    args: tuple[str, ...]
    #: 1-based indices into ``args`` (dt = 0) of stack-ID arguments; the first is the event's stack
    stack_ids: tuple[int, ...]
    #: 1-based indices into ``args`` of string-ID arguments
    string_ids: tuple[int, ...]
    #: name of the "Begin" event this event ends or continues, else None
    start_ev: str | None
    is_timed: bool


_TABLE = (
    _Spec(1, "EventBatch", ("gen", "m", "time", "size"), (), (), None, False),
    _Spec(2, "Stacks", (), (), (), None, False),
    _Spec(3, "Stack", ("id", "nframes"), (), (), None, False),
    _Spec(4, "Strings", (), (), (), None, False),
    _Spec(5, "String", ("id",), (), (), None, False),
    _Spec(6, "CPUSamples", (), (), (), None, False),
    _Spec(7, "CPUSample", ("time", "m", "p", "g", "stack"), (4,), (), None, False),
    _Spec(8, "Frequency", ("freq",), (), (), None, False),
    _Spec(9, "ProcsChange", ("dt", "procs_value", "stack"), (2,), (), None, True),
    _Spec(10, "ProcStart", ("dt", "p", "p_seq"), (), (), None, True),
    _Spec(11, "ProcStop", ("dt",), (), (), None, True),
    _Spec(12, "ProcSteal", ("dt", "p", "p_seq", "m"), (), (), None, True),
    _Spec(13, "ProcStatus", ("dt", "p", "pstatus"), (), (), None, True),
    _Spec(14, "GoCreate", ("dt", "new_g", "new_stack", "stack"), (3, 2), (), None, True),
    _Spec(15, "GoCreateSyscall", ("dt", "new_g"), (), (), None, True),
    _Spec(16, "GoStart", ("dt", "g", "g_seq"), (), (), None, True),
    _Spec(17, "GoDestroy", ("dt",), (), (), None, True),
    _Spec(18, "GoDestroySyscall", ("dt",), (), (), None, True),
    _Spec(19, "GoStop", ("dt", "reason_string", "stack"), (2,), (1,), None, True),
    _Spec(20, "GoBlock", ("dt", "reason_string", "stack"), (2,), (1,), None, True),
    _Spec(21, "GoUnblock", ("dt", "g", "g_seq", "stack"), (3,), (), None, True),
    _Spec(22, "GoSyscallBegin", ("dt", "p_seq", "stack"), (2,), (), None, True),
    _Spec(23, "GoSyscallEnd", ("dt",), (), (), "GoSyscallBegin", True),
    _Spec(24, "GoSyscallEndBlocked", ("dt",), (), (), "GoSyscallBegin", True),
    _Spec(25, "GoStatus", ("dt", "g", "m", "gstatus"), (), (), None, True),
    _Spec(26, "STWBegin", ("dt", "kind_string", "stack"), (2,), (1,), None, True),
    _Spec(27, "STWEnd", ("dt",), (), (), "STWBegin", True),
    _Spec(28, "GCActive", ("dt", "gc_seq"), (), (), "GCBegin", True),
    _Spec(29, "GCBegin", ("dt", "gc_seq", "stack"), (2,), (), None, True),
    _Spec(30, "GCEnd", ("dt", "gc_seq"), (), (), "GCBegin", True),
    _Spec(31, "GCSweepActive", ("dt", "p"), (), (), "GCSweepBegin", True),
    _Spec(32, "GCSweepBegin", ("dt", "stack"), (1,), (), None, True),
    _Spec(33, "GCSweepEnd", ("dt", "swept_value", "reclaimed_value"), (), (), "GCSweepBegin", True),
    _Spec(34, "GCMarkAssistActive", ("dt", "g"), (), (), "GCMarkAssistBegin", True),
    _Spec(35, "GCMarkAssistBegin", ("dt", "stack"), (1,), (), None, True),
    _Spec(36, "GCMarkAssistEnd", ("dt",), (), (), "GCMarkAssistBegin", True),
    _Spec(37, "HeapAlloc", ("dt", "heapalloc_value"), (), (), None, True),
    _Spec(38, "HeapGoal", ("dt", "heapgoal_value"), (), (), None, True),
    _Spec(39, "GoLabel", ("dt", "label_string"), (), (1,), None, True),
    _Spec(
        40,
        "UserTaskBegin",
        ("dt", "task", "parent_task", "name_string", "stack"),
        (4,),
        (3,),
        None,
        True,
    ),
    _Spec(41, "UserTaskEnd", ("dt", "task", "stack"), (2,), (), None, True),
    _Spec(42, "UserRegionBegin", ("dt", "task", "name_string", "stack"), (3,), (2,), None, True),
    _Spec(
        43,
        "UserRegionEnd",
        ("dt", "task", "name_string", "stack"),
        (3,),
        (2,),
        "UserRegionBegin",
        True,
    ),
    _Spec(
        44,
        "UserLog",
        ("dt", "task", "key_string", "value_string", "stack"),
        (4,),
        (2, 3),
        None,
        True,
    ),
    _Spec(45, "GoSwitch", ("dt", "g", "g_seq"), (), (), None, True),
    _Spec(46, "GoSwitchDestroy", ("dt", "g", "g_seq"), (), (), None, True),
    _Spec(47, "GoCreateBlocked", ("dt", "new_g", "new_stack", "stack"), (3, 2), (), None, True),
    _Spec(48, "GoStatusStack", ("dt", "g", "m", "gstatus", "stack"), (4,), (), None, True),
    _Spec(49, "ExperimentalBatch", ("exp", "gen", "m", "time"), (), (), None, False),
    _Spec(50, "Sync", (), (), (), None, False),
    _Spec(51, "ClockSnapshot", ("dt", "mono", "sec", "nsec"), (), (), None, True),
    _Spec(52, "EndOfGeneration", (), (), (), None, False),
    _Spec(128, "Span", ("dt", "id", "npages_value", "kindclass"), (), (), None, True),
    _Spec(129, "SpanAlloc", ("dt", "id", "npages_value", "kindclass"), (), (), None, True),
    _Spec(130, "SpanFree", ("dt", "id"), (), (), None, True),
    _Spec(131, "HeapObject", ("dt", "id", "type"), (), (), None, True),
    _Spec(132, "HeapObjectAlloc", ("dt", "id", "type"), (), (), None, True),
    _Spec(133, "HeapObjectFree", ("dt", "id"), (), (), None, True),
    _Spec(134, "GoroutineStack", ("dt", "id", "order"), (), (), None, True),
    _Spec(135, "GoroutineStackAlloc", ("dt", "id", "order"), (), (), None, True),
    _Spec(136, "GoroutineStackFree", ("dt", "id"), (), (), None, True),
)

#: spec by wire event type; ``None`` for types Go's table leaves empty
SPECS: list[_Spec | None] = [None] * 256
for _s in _TABLE:
    SPECS[_s.code] = _s
#: number of entries in Go's ``tracev2.Specs()`` (types ≥ this are "invalid event type")
NUM_SPECS = max(s.code for s in _TABLE) + 1
#: wire event type by Go name (``EV["GoStart"] == 16``)
EV: dict[str, int] = {s.name: s.code for s in _TABLE}
#: experiment names by ID (``tracev2.Experiments()``)
EXPERIMENTS = ("None", "AllocFree")
#: experiment of each experimental event type (128..136 belong to AllocFree)
MAX_EVENT = 127


def start_ev(code: int) -> int:
    """Go's ``makeRangeType``: the "Begin" event type of a range event, else the type itself."""
    spec = SPECS[code]
    if spec is not None and spec.start_ev is not None:
        return EV[spec.start_ev]
    return code
