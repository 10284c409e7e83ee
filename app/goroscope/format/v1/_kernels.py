"""numba building blocks of the old-format parser (L0), used by ``_stream`` (the only
decode / merge / post-processing kernels: ``fast.parse_fast`` is the stream with every
chunk kept) and by ``model._v1kernel``.

* constants: per-type argument counts, stack flags and minimum versions (``NARGS``,
  ``HAS_STACK``, ``MIN_VER``), the v1 type numbers, the status codes (``OK``; ``ERR``:
  anything unusual — the caller re-parses with the reference, which words Go's error);
* :func:`_uv` — Go's ``binary.Uvarint``;
* :func:`_transition` / :func:`_ready` — Go's ``stateTransition`` and
  ``transitionReady`` (order.go) over plain integers;
* ``h_*`` — open-addressing hash tables over uint64 keys (``used`` flags apart).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from goroscope.format.v1.spec import DESCRIPTIONS, EV

OK = 0
ERR = 1  # anything: the caller falls back to the reference parser

_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)

#: per v1 type: number of named args, stack flag, min version (arrays for the kernels)
NARGS = np.array([len(d.args) for d in DESCRIPTIONS], np.int64)
HAS_STACK = np.array([1 if d.stack else 0 for d in DESCRIPTIONS], np.int64)
MIN_VER = np.array([d.min_version for d in DESCRIPTIONS], np.int64)

# v1 types as plain ints for numba
T_BATCH, T_FREQ, T_STACK, T_TIMERG, T_STRING = EV.Batch, EV.Frequency, EV.Stack, EV.TimerGoroutine, EV.String  # fmt: skip
T_CPU, T_USERLOG = EV.CPUSample, EV.UserLog
T_GOSTART, T_GOSTARTLOCAL, T_GOSTARTLABEL = EV.GoStart, EV.GoStartLocal, EV.GoStartLabel
T_GOSYSEXIT, T_GOWAITING, T_GOINSYSCALL = EV.GoSysExit, EV.GoWaiting, EV.GoInSyscall


# --- hash table: keys uint64 -> slot; used flag separate ------------------------------------


@njit(nogil=True, cache=True)
def h_new(cap):
    n = 16
    while n < 2 * cap:
        n *= 2
    return np.zeros(n, np.uint64), np.zeros(n, np.uint8)


@njit(nogil=True, cache=True, inline="always")
def _mix(x):
    # xorshift (shifts only: no multiply overflow, so the kernels also run warning-free
    # as plain Python under NUMBA_DISABLE_JIT)
    x ^= x << np.uint64(13)
    x ^= x >> np.uint64(7)
    x ^= x << np.uint64(17)
    return x ^ (x >> np.uint64(31))


@njit(nogil=True, cache=True, _nrt=False)
def h_find(keys, used, k):
    """Slot of ``k``, or -1."""
    mask = keys.shape[0] - 1
    i = np.int64(_mix(k) & np.uint64(mask))
    while used[i]:
        if keys[i] == k:
            return i
        i = (i + 1) & mask
    return -1


@njit(nogil=True, cache=True, _nrt=False)
def h_slot(keys, used, k):
    """Slot of ``k``, inserting it (used=1) if absent; returns (slot, inserted)."""
    mask = keys.shape[0] - 1
    i = np.int64(_mix(k) & np.uint64(mask))
    while used[i]:
        if keys[i] == k:
            return i, False
        i = (i + 1) & mask
    keys[i] = k
    used[i] = 1
    return i, True


# --- varints -------------------------------------------------------------------------------


@njit(nogil=True, cache=True, inline="always")
def _uv(buf, pos, end):
    """Go's binary.Uvarint at ``pos``: (value, new pos); new pos -1 when short or overflowing."""
    x = np.uint64(0)
    s = np.uint64(0)
    for i in range(10):
        if pos + i >= end:
            return np.uint64(0), -1
        b = np.uint64(buf[pos + i])
        if b < 0x80:
            if i == 9 and b > 1:
                return np.uint64(0), -1
            return x | (b << s), pos + i + 1
        x |= (b & np.uint64(0x7F)) << s
        s += np.uint64(7)
    return np.uint64(0), -1


@njit(nogil=True, cache=True, inline="always")
def _i64(x):
    return np.int64(x)  # uint64 -> int64 wraps (two's complement view)


# --- goroutine ordering (Go's order.go) ---------------------------------------------------

_DEAD, _RUNNABLE, _RUNNING, _WAITING = 0, 1, 2, 3
_UNORDERED = np.uint64(0xFFFFFFFFFFFFFFFF)
_GARBAGE = np.uint64(0xFFFFFFFFFFFFFFFE)
_NOSEQ = np.uint64(0xFFFFFFFFFFFFFFFF)
_SEQINC = np.uint64(0xFFFFFFFFFFFFFFFE)


@njit(nogil=True, cache=True, inline="always")
def _transition(t, g, a0, a1):
    """Go's stateTransition: (g, init seq, init status, next seq, next status)."""
    if t == 13:  # GoCreate
        return a0, np.uint64(0), _DEAD, np.uint64(1), _RUNNABLE
    if t == 31 or t == 32:  # GoWaiting, GoInSyscall
        return g, np.uint64(1), _RUNNABLE, np.uint64(2), _WAITING
    if t == 14 or t == 41:  # GoStart, GoStartLabel
        return g, a1, _RUNNABLE, a1 + np.uint64(1), _RUNNING
    if t == 38:  # GoStartLocal
        return g, _NOSEQ, _RUNNABLE, _SEQINC, _RUNNING
    if (t >= 19 and t <= 20) or (t >= 22 and t <= 27) or t == 30 or t == 42:
        return g, _NOSEQ, _RUNNING, _NOSEQ, _WAITING  # blocks, GoSleep, GoSysBlock, GoBlockGC
    if t == 17 or t == 18:  # GoSched, GoPreempt
        return g, _NOSEQ, _RUNNING, _NOSEQ, _RUNNABLE
    if t == 21 or t == 29:  # GoUnblock, GoSysExit
        return a0, a1, _WAITING, a1 + np.uint64(1), _RUNNABLE
    if t == 39 or t == 40:  # GoUnblockLocal, GoSysExitLocal
        return a0, _NOSEQ, _WAITING, _SEQINC, _RUNNABLE
    if t == 7:  # GCStart
        return _GARBAGE, a0, _DEAD, a0 + np.uint64(1), _DEAD
    return _UNORDERED, np.uint64(0), 0, np.uint64(0), 0


@njit(nogil=True, cache=True, inline="always")
def _ready(g, cseq, cst, iseq, ist):
    return g == _UNORDERED or ((iseq == _NOSEQ or iseq == cseq) and ist == cst)  # noqa: SIM109
