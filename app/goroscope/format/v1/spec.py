"""The old (Go 1.11–1.21) per-P trace format's event table (L0, data only).

A verbatim transcription of ``EventDescriptions`` in GOROOT
``src/internal/trace/internal/tracev1/parser.go`` (itself a copy of Go 1.21's
``runtime/trace.go``): per event type its name, the first format version that
has it, whether its last argument is a stack ID, and its argument names (the
timestamp delta not counted). See HACKING.md § Old format (v1).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["DESCRIPTIONS", "EV", "FAKE_P", "NUM_STW_REASONS", "V1Desc"]


class V1Desc(NamedTuple):
    name: str
    min_version: int
    stack: bool
    args: tuple[str, ...]


class EV:
    """v1 event types (``tracev1.Ev*`` without the prefix)."""

    None_ = 0
    Batch = 1
    Frequency = 2
    Stack = 3
    Gomaxprocs = 4
    ProcStart = 5
    ProcStop = 6
    GCStart = 7
    GCDone = 8
    STWStart = 9
    STWDone = 10
    GCSweepStart = 11
    GCSweepDone = 12
    GoCreate = 13
    GoStart = 14
    GoEnd = 15
    GoStop = 16
    GoSched = 17
    GoPreempt = 18
    GoSleep = 19
    GoBlock = 20
    GoUnblock = 21
    GoBlockSend = 22
    GoBlockRecv = 23
    GoBlockSelect = 24
    GoBlockSync = 25
    GoBlockCond = 26
    GoBlockNet = 27
    GoSysCall = 28
    GoSysExit = 29
    GoSysBlock = 30
    GoWaiting = 31
    GoInSyscall = 32
    HeapAlloc = 33
    HeapGoal = 34
    TimerGoroutine = 35
    FutileWakeup = 36
    String = 37
    GoStartLocal = 38
    GoUnblockLocal = 39
    GoSysExitLocal = 40
    GoStartLabel = 41
    GoBlockGC = 42
    GCMarkAssistStart = 43
    GCMarkAssistDone = 44
    UserTaskCreate = 45
    UserTaskEnd = 46
    UserRegion = 47
    UserLog = 48
    CPUSample = 49
    Count = 50


def _d(name: str, minv: int, stack: bool, args: str = "") -> V1Desc:
    return V1Desc(name, minv, stack, tuple(args.split()))


#: by event type (index < EV.Count); type 0 has the name "None"
DESCRIPTIONS: tuple[V1Desc, ...] = (
    _d("None", 5, False),
    _d("Batch", 5, False, "p ticks"),
    _d("Frequency", 5, False, "freq"),
    _d("Stack", 5, False, "id siz"),
    _d("Gomaxprocs", 5, True, "procs"),
    _d("ProcStart", 5, False, "thread"),
    _d("ProcStop", 5, False),
    _d("GCStart", 5, True, "seq"),
    _d("GCDone", 5, False),
    _d("GCSTWStart", 5, False, "kindid"),
    _d("GCSTWDone", 5, False),
    _d("GCSweepStart", 5, True),
    _d("GCSweepDone", 5, False, "swept reclaimed"),
    _d("GoCreate", 5, True, "g stack"),
    _d("GoStart", 5, False, "g seq"),
    _d("GoEnd", 5, False),
    _d("GoStop", 5, True),
    _d("GoSched", 5, True),
    _d("GoPreempt", 5, True),
    _d("GoSleep", 5, True),
    _d("GoBlock", 5, True),
    _d("GoUnblock", 5, True, "g seq"),
    _d("GoBlockSend", 5, True),
    _d("GoBlockRecv", 5, True),
    _d("GoBlockSelect", 5, True),
    _d("GoBlockSync", 5, True),
    _d("GoBlockCond", 5, True),
    _d("GoBlockNet", 5, True),
    _d("GoSysCall", 5, True),
    _d("GoSysExit", 5, False, "g seq ts"),
    _d("GoSysBlock", 5, False),
    _d("GoWaiting", 5, False, "g"),
    _d("GoInSyscall", 5, False, "g"),
    _d("HeapAlloc", 5, False, "mem"),
    _d("HeapGoal", 5, False, "mem"),
    _d("TimerGoroutine", 5, False, "g"),
    _d("FutileWakeup", 5, False),
    _d("String", 7, False),
    _d("GoStartLocal", 7, False, "g"),
    _d("GoUnblockLocal", 7, True, "g"),
    _d("GoSysExitLocal", 7, False, "g ts"),
    _d("GoStartLabel", 8, False, "g seq labelid"),
    _d("GoBlockGC", 8, True),
    _d("GCMarkAssistStart", 9, True),
    _d("GCMarkAssistDone", 9, False),
    _d("UserTaskCreate", 11, True, "taskid pid typeid"),
    _d("UserTaskEnd", 11, True, "taskid"),
    _d("UserRegion", 11, True, "taskid mode typeid"),
    _d("UserLog", 11, True, "id keyid"),
    _d("CPUSample", 19, True, "ts p g"),
)
assert len(DESCRIPTIONS) == EV.Count

#: Go's fake P IDs (FakeP + 1 ...): timer unblocks, netpoll unblocks, syscall exits, GC, CPU samples
FAKE_P = 1000000
TIMER_P = FAKE_P + 1
NETPOLL_P = FAKE_P + 2
SYSCALL_P = FAKE_P + 3
GC_P = FAKE_P + 4
PROFILE_P = FAKE_P + 5

NUM_STW_REASONS = 17


def arg_num(typ: int, nargs_read: int) -> int:
    """Go's ``rawEvent.argNum``: the args an event must have (timestamp and stack included)."""
    if typ == EV.Stack:
        return nargs_read
    d = DESCRIPTIONS[typ]
    n = len(d.args) + (1 if d.stack else 0)
    if typ in (EV.Batch, EV.Frequency, EV.TimerGoroutine):
        return n
    return n + 1
