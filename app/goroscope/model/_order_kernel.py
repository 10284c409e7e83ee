"""The ordering kernel: Go's ``order.go`` + ``ReadEvent`` loop for one generation, in numba (L1).

What
----
:func:`order_generation` does, for the M batches of one generation (decoded
lazily, one batch per M at a time, like Go's ``batchCursor``; counted first by
:func:`count_batches`), what ``model._order_reference`` does
one Python object at a time: per-M cursors in order of each M's first batch,
Go's min-heap of cursors with its exact tie-breaking (strict ``<``/``>`` on
time only), the frontier fallback sorted with Go's pdqsort (:func:`pdqsort`,
a port of ``model._gosort``), CPU samples (pdqsorted by time) injected before
the heap's head when strictly earlier, the generation's Sync, every
``advance*`` handler (GoSwitch's three events, GoDestroySyscall's ProcSteal,
the values Go smuggles into spare args), ``validateTableIDs`` and the +1 ns
fix-up. Its output is one row per event Go returns, in Go's order: wire type,
fixed-up time, context (G, P, M), the four (possibly rewritten) args, the
source row (-1 when synthesized) and, for UserTaskEnd, where the task's type
string lies in the file. ``model.order`` turns those rows into
:class:`~goroscope.model.events.EventTable` columns with numpy.

State lives in flat arrays carried across generations (:class:`KernelState`):
one int64 row per goroutine / proc / thread / task, found through open-addressing
hash tables keyed by Go's IDs — except the goroutines a generation creates,
which Go numbers densely: they are found through a direct-mapped ID window
(``KernelState.gd``, chosen per generation from ``count_batches``' lowest and
highest created ID), so creating and finding them touches neighbouring memory
instead of a random slot of a table of millions. A destroyed goroutine's row is only marked dead;
``model.order`` compacts the rows between generations, so memory follows the
live goroutines, not all the goroutines ever created. In-flight ranges (≤ 4)
and regions (≤ 8 deep) are stored inline in a goroutine's row; region names
compare by their bytes in the file, as Go compares strings.

The kernel is resumable: it writes at most ``len(out)`` rows per call (64 Ki in
``model.order``, a chunk that stays in cache) and keeps its cursors in scratch
arrays, so memory never holds a generation's output. :func:`build_columns`
turns a chunk of rows into :class:`EventTable` columns (Go's per-kind accessors);
:func:`count_rows` folds rows (and :func:`count_chunk` columns) into
``tracecount``'s counters (``stats``).

Why numba here
--------------
STYLE.md §5 lets only ``format/_kernels.py`` and ``lod/`` import numba; this module
is the model's exception (HACKING.md § Memory, "Kernels: the fast reader"):
ordering is a per-event state machine over tens of millions of events, and the
issue asks for no per-event Python loop. Every kernel is ``nogil``, ``cache=True``
and ``_nrt=False``: kernels call kernels with arrays, and numba's reference
counting on each such call cost more than the ordering itself, so nothing here
allocates (scratch comes from the caller). A call that LLVM does not inline
passes every array as its exploded struct (data, shape, strides...): ``_advance``
takes ~20 arrays, so each event copied ~1.4 KB of arguments onto the stack until
it became ``inline="always"`` (numba IR inlining; 90 → 53 ns/event).
``model.order.warm_up`` runs them all.

What we deliberately don't do
-----------------------------
* No error messages. Any condition on which Go's reader would stop (an
  ``advance*`` error, "failed to advance", a bad table ID) — and a few
  capacity limits of our own (ranges, region depth) — returns a negative
  status. The caller then hands that generation to the reference reader, resumed
  there with this kernel's state (``model.order._load_reference_state``), which
  produces Go's exact error, event for event; the twin stays the single
  definition of Go's wording.
* No ``Event`` objects; no strings (the caller resolves string IDs).

How it is checked
-----------------
``tests/model/test_fast_*.py``: the fast reader's :class:`EventTable` equals the
reference's column for column on committed traces, Go's ``.test`` corpus (as
written and as Go 1.26), damaged cases and seeded mutations; ``stats`` equals
``tracecount -json -v`` on every committed v2 trace; a subset runs with
``NUMBA_DISABLE_JIT=1``.
"""

# numba kernels compare constants one by one and loop explicitly (faster, and typed):
# ruff: noqa: SIM102, SIM103, SIM109, SIM110, SIM114
from __future__ import annotations

import numpy as np
from numba import njit

from goroscope.format._kernels import _add_i64, _mul, _uvarint

# --- wire event types (format.spec.EventType) ------------------------------------------------
EV_CPU_SAMPLE = 7
EV_PROCS_CHANGE = 9
EV_PROC_START = 10
EV_PROC_STOP = 11
EV_PROC_STEAL = 12
EV_PROC_STATUS = 13
EV_GO_CREATE = 14
EV_GO_CREATE_SYSCALL = 15
EV_GO_START = 16
EV_GO_DESTROY = 17
EV_GO_DESTROY_SYSCALL = 18
EV_GO_STOP = 19
EV_GO_BLOCK = 20
EV_GO_UNBLOCK = 21
EV_GO_SYSCALL_BEGIN = 22
EV_GO_SYSCALL_END = 23
EV_GO_SYSCALL_END_BLOCKED = 24
EV_GO_STATUS = 25
EV_STW_BEGIN = 26
EV_STW_END = 27
EV_GC_ACTIVE = 28
EV_GC_BEGIN = 29
EV_GC_END = 30
EV_GC_SWEEP_ACTIVE = 31
EV_GC_SWEEP_BEGIN = 32
EV_GC_SWEEP_END = 33
EV_GC_MARK_ASSIST_ACTIVE = 34
EV_GC_MARK_ASSIST_BEGIN = 35
EV_GC_MARK_ASSIST_END = 36
EV_HEAP_ALLOC = 37
EV_HEAP_GOAL = 38
EV_GO_LABEL = 39
EV_USER_TASK_BEGIN = 40
EV_USER_TASK_END = 41
EV_USER_REGION_BEGIN = 42
EV_USER_REGION_END = 43
EV_USER_LOG = 44
EV_GO_SWITCH = 45
EV_GO_SWITCH_DESTROY = 46
EV_GO_CREATE_BLOCKED = 47
EV_GO_STATUS_STACK = 48
EV_SYNC = 255

NO_ID = -1
NO_TASK = np.uint64(0xFFFFFFFFFFFFFFFF)

# tracev2 statuses
GO_RUNNABLE, GO_RUNNING, GO_SYSCALL, GO_WAITING = 1, 2, 3, 4
PROC_RUNNING, PROC_IDLE, PROC_SYSCALL, PROC_SYSCALL_ABANDONED = 1, 2, 3, 4
# trace.GoState / ProcState
GS_UNDETERMINED, GS_NOT_EXIST = 0, 1
PS_UNDETERMINED, PS_NOT_EXIST, PS_RUNNING, PS_IDLE = 0, 1, 2, 3
# gcState
GC_UNDETERMINED, GC_NOT_RUNNING, GC_RUNNING = 0, 1, 2

# --- state rows ----------------------------------------------------------------------------
#: goroutine / proc row: id, alive, status, seq (gen, n), in-flight ranges, regions.
#: A goroutine row's ``R_ALIVE`` is its birth number (``S_GBIRTH``, from 1: the order Go's
#: map was filled in), 0 once dead; a dead goroutine row is on the free list (``S_GFREE``,
#: linked through its ``R_SEQ``: next row + 1) and is reused by the next new goroutine.
R_ID, R_ALIVE, R_STATUS, R_SEQ_GEN, R_SEQ, R_EXT = 0, 1, 2, 3, 4, 5
ROW_COLS = 6
#: extension row (ranges and regions, for the few goroutines/procs that have them;
#: ``R_EXT`` holds its index + 1): in-flight ranges, then regions
R_NRANGE = 0
MAX_RANGES = 4
R_RANGE0 = 1  # (start type, desc) pairs
R_NREG = R_RANGE0 + 2 * MAX_RANGES
MAX_REGIONS = 8
R_REG0 = R_NREG + 1  # (task, name offset, name length) triples
X_COLS = R_REG0 + 3 * MAX_REGIONS
#: thread row: id, g, p
M_ID, M_G, M_P = 0, 1, 2
#: task row: id, alive, parent, name offset, name length
T_ID, T_ALIVE, T_PARENT, T_NOFF, T_NLEN = 0, 1, 2, 3, 4

#: scalars
S_GC_SEQ, S_GC_STATE, S_INITIAL_GEN, S_LAST_TS, S_SYNCS = 0, 1, 2, 3, 4
S_NG, S_NP, S_NM, S_NT = 5, 6, 7, 8
S_NX, S_NXFREE = 9, 10
#: first goroutine ID of the direct-mapped window (``KernelState.gd``)
S_GBASE = 11
#: free goroutine rows: first (row + 1, 0 = none), count; last birth number given
S_GFREE, S_NGFREE, S_GBIRTH = 12, 13, 14
N_SCALARS = 15

# --- status codes ----------------------------------------------------------------------------
OK = 0
#: the output chunk is full; call again with the same scratch and ``rs`` to go on
PAUSED = 1
#: fewer than ``G_MIN_FREE`` goroutine rows left: grow ``KernelState.g`` (:meth:`KernelState.grow_g`)
#: and call again, like ``PAUSED``
NEED_ROWS = 2
#: free goroutine rows needed at the start of a step (one event creates at most one)
G_MIN_FREE = 2
#: goroutine rows reserved per generation beyond the live ones (grown on demand)
G_RESERVE = 1024
#: resumable state (``rs``): phase (0 = not started), heap size, next CPU sample
RS_PHASE, RS_HN, RS_CI, RS_NM = 0, 1, 2, 3
#: ``tick_shift(nspt) + 1`` (set by the caller with ``RS_NM``; 0: convert ticks by Go's
#: float multiply only)
RS_SHIFT = 4
RS_LEN = 5
#: any negative value: Go's reader stops here; the reference reads this generation for the message
ERR_ORDER = -1
ERR_FAILED_ADVANCE = -2
ERR_TABLE_ID = -3
ERR_LIMIT = -4
ERR_CAPACITY = -5

_GO_STATUS_TO_STATE = np.array([0, 2, 3, 5, 4], np.int64)
_PROC_STATUS_TO_STATE = np.array([0, 2, 3, 2, 3], np.int64)

#: the goroutine window (``KernelState.gd``) spans at most this many IDs per new goroutine
#: (+ slack); sparser IDs (hostile input) all go to the hash table
GD_SPREAD, GD_SLACK = 8, 65536


class KernelState:
    """The ordering state carried across generations (Go's ``ordering`` struct, as arrays)."""

    def __init__(self) -> None:
        self.sc = np.zeros(N_SCALARS, np.int64)
        self.g = np.zeros((0, ROW_COLS), np.int64)
        self.p = np.zeros((0, ROW_COLS), np.int64)
        self.m = np.zeros((0, 3), np.int64)
        self.t = np.zeros((0, 5), np.int64)
        self.gh = new_hash(16)
        #: goroutine rows (+1, 0 = none) of IDs ``sc[S_GBASE]…`` + len: this generation's new
        #: goroutines, numbered densely by Go, so their lookups stay local; the rest in ``gh``
        self.gd = np.zeros(0, np.int32)
        self.ph = new_hash(16)
        self.mh = new_hash(16)
        self.th = new_hash(16)
        self.x = np.zeros((0, X_COLS), np.int64)
        self.xfree = np.zeros(0, np.int64)

    def reserve(
        self,
        new_g: int,
        new_p: int,
        new_m: int,
        new_t: int,
        new_x: int = 0,
        gid_range: tuple[int, int] = (0, -1),
        new_gh: int | None = None,
    ) -> None:
        """Make room for this many new rows (upper bounds); compact dead goroutines and tasks.

        ``gid_range``: the lowest and highest ID of the goroutines the generation
        creates (``count_batches``); they get the direct-mapped window ``gd``.
        ``new_gh``: an upper bound on the new goroutines outside that range (GoStatus
        events, creates of IDs ``count_batches`` leaves out; default ``new_g``): only
        they can go to the hash table ``gh`` while the window is in use.
        """
        need = int(self.sc[S_NX]) + new_x
        if need > self.x.shape[0]:
            cap = max(16, 2 * need)
            x = np.zeros((cap, X_COLS), np.int64)
            x[: self.x.shape[0]] = self.x
            xfree = np.zeros(cap, np.int64)
            xfree[: self.xfree.shape[0]] = self.xfree
            self.x, self.xfree = x, xfree
        # Rows for the live goroutines and some new ones: dead rows are reused within the
        # generation and the kernel asks for more (NEED_ROWS) when they run out, so a
        # generation creating a million short-lived goroutines holds about its live ones.
        extra = min(new_g, max(G_RESERVE, int(self.sc[S_NG]) // 4))
        self.g, _ = _reserve(self.g, self.gh, self.sc, S_NG, R_ALIVE, extra, True, False)
        self._free_list()
        self._index_goroutines(new_g, *gid_range, new_g if new_gh is None else new_gh)
        self.t, self.th = _reserve(self.t, self.th, self.sc, S_NT, T_ALIVE, new_t, True)
        self.p, self.ph = _reserve(self.p, self.ph, self.sc, S_NP, -1, new_p, False)
        self.m, self.mh = _reserve(self.m, self.mh, self.sc, S_NM, -1, new_m, False)

    def grow_g(self) -> None:
        """More goroutine rows (5/4, at least ``G_RESERVE``): the kernel returned NEED_ROWS."""
        n = int(self.sc[S_NG])
        cap = self.g.shape[0]
        grown = np.zeros((max(cap + cap // 4, cap + G_RESERVE), ROW_COLS), np.int64)
        grown[:n] = self.g[:n]
        self.g = grown

    def _free_list(self) -> None:
        """Chain the dead goroutine rows (after a compaction: none) into the free list."""
        n = int(self.sc[S_NG])
        dead = np.flatnonzero(self.g[:n, R_ALIVE] == 0)
        if dead.shape[0]:
            self.g[dead[:-1], R_SEQ] = dead[1:] + 1
            self.g[dead[-1], R_SEQ] = 0
        self.sc[S_GFREE] = dead[0] + 1 if dead.shape[0] else 0
        self.sc[S_NGFREE] = dead.shape[0]

    def _index_goroutines(self, new_g: int, lo: int, hi: int, new_gh: int) -> None:
        """Re-index the goroutine rows: IDs in the new window [lo, hi] in ``gd``, others in ``gh``.

        A window only when Go numbered the new goroutines densely (hostile IDs would
        make it huge): then all goroutines go to the hash table, as before.
        """
        n = int(self.sc[S_NG])
        width = hi - lo + 1
        if lo < 0 or width <= 0 or width > GD_SPREAD * new_g + GD_SLACK:
            lo, width, new_gh = 0, 0, new_g
        else:
            width = _pow2(width)
        ids = self.g[:n, R_ID]
        live = self.g[:n, R_ALIVE] > 0  # dead rows are free: not found by their old ID
        in_w = live & (ids >= lo) & (ids < lo + width)
        if self.gd.shape[0] == width:
            self.gd[:] = 0
        else:
            self.gd = np.zeros(width, np.int32)
        rows = np.arange(n)
        self.gd[ids[in_w] - lo] = rows[in_w] + 1
        self.sc[S_GBASE] = lo
        out = live & ~in_w
        # Room for the rows outside the window and the new ones that may miss it (GoStatus
        # may create them); the window's own new goroutines never enter ``gh``.
        self.gh = new_hash(_pow2(2 * (int(out.sum()) + min(new_g, new_gh) + 16)))
        _hash_build_rows(self.gh, ids[out], rows[out])


def new_hash(cap: int) -> np.ndarray:
    """An empty open-addressing table: column 0 keys, column 1 values (-1 = empty)."""
    h = np.empty((cap, 2), np.int64)
    h[:, 1] = -1
    return h


def _reserve(rows, h, sc, n_at, alive_col, extra, compact, index=True):
    """Room for ``extra`` rows (compacting dead ones); ``index``: rebuild the hash ``h`` as
    needed (else the caller re-indexes)."""
    n = int(sc[n_at])
    if compact and n > 0:
        live = rows[:n, alive_col] > 0
        if not live.all() and (n + extra > rows.shape[0] or int(live.sum()) * 2 < n):
            keep = rows[:n][live]
            n = keep.shape[0]
            cap = _grown(n + extra)
            rows = np.zeros((cap, rows.shape[1]), np.int64)
            rows[:n] = keep
            sc[n_at] = n
            if index:
                h = new_hash(_pow2(2 * cap))
                _hash_build(h, rows, n)
            return rows, h
    if n + extra > rows.shape[0]:
        cap = _grown(n + extra)
        grown = np.zeros((cap, rows.shape[1]), np.int64)
        grown[:n] = rows[:n]
        rows = grown
    if index and h.shape[0] < 2 * rows.shape[0]:
        h = new_hash(_pow2(2 * rows.shape[0]))
        _hash_build(h, rows, n)
    return rows, h


def _grown(n: int) -> int:
    """Row capacity for ``n`` rows: a bounded growth factor (5/4; ``extra`` is already an upper
    bound, so 2x over-sized a million-goroutine generation by tens of MB)."""
    return max(16, n + n // 4)


def _pow2(n: int) -> int:
    return 1 << max(4, (n - 1).bit_length())


# --- hash tables ---------------------------------------------------------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _slot(h, key):
    mask = h.shape[0] - 1
    x = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(x >> np.uint64(32)) & mask


@njit(nogil=True, cache=True, _nrt=False)
def h_find(h, key):
    """Row of ``key``, or -1."""
    mask = h.shape[0] - 1
    i = _slot(h, key)
    while h[i, 1] != -1:
        if h[i, 0] == key:
            return h[i, 1]
        i = (i + 1) & mask
    return -1


@njit(nogil=True, cache=True, _nrt=False)
def h_put(h, key, row):
    mask = h.shape[0] - 1
    i = _slot(h, key)
    while h[i, 1] != -1:
        if h[i, 0] == key:
            h[i, 1] = row
            return
        i = (i + 1) & mask
    h[i, 0] = key
    h[i, 1] = row


@njit(nogil=True, cache=True, _nrt=False)
def _hash_build(h, rows, n):
    for r in range(n):
        h_put(h, rows[r, 0], r)


@njit(nogil=True, cache=True, _nrt=False)
def _hash_build_rows(h, keys, rows):
    for i in range(keys.shape[0]):
        h_put(h, keys[i], rows[i])


# --- Go's pdqsort (slices.SortFunc) over items compared by key[item] ------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _less(key, d, i, j):
    return key[d[i]] < key[d[j]]


@njit(nogil=True, cache=True, _nrt=False)
def _swap(d, i, j):
    t = d[i]
    d[i] = d[j]
    d[j] = t


@njit(nogil=True, cache=True, _nrt=False)
def _insertion_sort(key, d, a, b):
    for i in range(a + 1, b):
        j = i
        while j > a and _less(key, d, j, j - 1):
            _swap(d, j, j - 1)
            j -= 1


@njit(nogil=True, cache=True, _nrt=False)
def _sift_down(key, d, lo, hi, first):
    root = lo
    while True:
        child = 2 * root + 1
        if child >= hi:
            break
        if child + 1 < hi and _less(key, d, first + child, first + child + 1):
            child += 1
        if not _less(key, d, first + root, first + child):
            return
        _swap(d, first + root, first + child)
        root = child


@njit(nogil=True, cache=True, _nrt=False)
def _heap_sort(key, d, a, b):
    first, lo, hi = a, 0, b - a
    for i in range((hi - 1) // 2, -1, -1):
        _sift_down(key, d, i, hi, first)
    for i in range(hi - 1, -1, -1):
        _swap(d, first, first + i)
        _sift_down(key, d, lo, i, first)


@njit(nogil=True, cache=True, _nrt=False)
def _bit_length(n):
    b = 0
    while n > 0:
        b += 1
        n >>= 1
    return b


@njit(nogil=True, cache=True, _nrt=False)
def _break_patterns(d, a, b):
    length = b - a
    if length >= 8:
        rnd = np.uint64(length)
        modulus = np.uint64(1) << np.uint64(_bit_length(length))
        lo = a + (length // 4) * 2 - 1
        for idx in range(lo, lo + 3):
            rnd ^= rnd << np.uint64(13)
            rnd ^= rnd >> np.uint64(7)
            rnd ^= rnd << np.uint64(17)
            other = np.int64(rnd & (modulus - np.uint64(1)))
            if other >= length:
                other -= length
            _swap(d, idx, a + other)


@njit(nogil=True, cache=True, _nrt=False)
def _median(key, d, a, b, c, swaps):
    if _less(key, d, b, a):
        swaps[0] += 1
        a, b = b, a
    if _less(key, d, c, b):
        swaps[0] += 1
        b, c = c, b
    if _less(key, d, b, a):
        swaps[0] += 1
        a, b = b, a
    return b


@njit(nogil=True, cache=True, _nrt=False)
def _choose_pivot(key, d, a, b, swaps):
    n = b - a
    swaps[0] = 0
    i = a + n // 4 * 1
    j = a + n // 4 * 2
    k = a + n // 4 * 3
    if n >= 8:
        if n >= 50:
            i = _median(key, d, i - 1, i, i + 1, swaps)
            j = _median(key, d, j - 1, j, j + 1, swaps)
            k = _median(key, d, k - 1, k, k + 1, swaps)
        j = _median(key, d, i, j, k, swaps)
    if swaps[0] == 0:
        return j, 1
    if swaps[0] == 12:
        return j, 2
    return j, 0


@njit(nogil=True, cache=True, _nrt=False)
def _partial_insertion_sort(key, d, a, b):
    i = a + 1
    for _ in range(5):
        while i < b and not _less(key, d, i, i - 1):
            i += 1
        if i == b:
            return True
        if b - a < 50:
            return False
        _swap(d, i, i - 1)
        if i - a >= 2:
            j = i - 1
            while j >= 1:
                if not _less(key, d, j, j - 1):
                    break
                _swap(d, j, j - 1)
                j -= 1
        if b - i >= 2:
            j = i + 1
            while j < b:
                if not _less(key, d, j, j - 1):
                    break
                _swap(d, j, j - 1)
                j += 1
    return False


@njit(nogil=True, cache=True, _nrt=False)
def _partition(key, d, a, b, pivot):
    _swap(d, a, pivot)
    i, j = a + 1, b - 1
    while i <= j and _less(key, d, i, a):
        i += 1
    while i <= j and not _less(key, d, j, a):
        j -= 1
    if i > j:
        _swap(d, j, a)
        return j, True
    _swap(d, i, j)
    i += 1
    j -= 1
    while True:
        while i <= j and _less(key, d, i, a):
            i += 1
        while i <= j and not _less(key, d, j, a):
            j -= 1
        if i > j:
            break
        _swap(d, i, j)
        i += 1
        j -= 1
    _swap(d, j, a)
    return j, False


@njit(nogil=True, cache=True, _nrt=False)
def _partition_equal(key, d, a, b, pivot):
    _swap(d, a, pivot)
    i, j = a + 1, b - 1
    while True:
        while i <= j and not _less(key, d, a, i):
            i += 1
        while i <= j and _less(key, d, a, j):
            j -= 1
        if i > j:
            break
        _swap(d, i, j)
        i += 1
        j -= 1
    return i


@njit(nogil=True, cache=True, _nrt=False)
def _pdqsort(key, d, n, work):
    """Go's ``pdqsortCmpFunc`` with its recursion turned into a stack (``work``: (65, 5)).

    Go recurses into the smaller side of a partition and loops on the larger one. The
    two sides are disjoint and the pivot between them never moves again, so sorting
    them in the other order performs the same operations on the same elements: we
    loop on the smaller side (fresh flags, as Go's recursive call) and stack the
    larger with the flags Go's loop carries, which bounds the stack by log2(n)
    (numba's cache cannot load self-recursive functions; ``work`` row 64 holds
    ``choosePivot``'s swap counter).
    """
    swaps = work[64]
    work[0, 0], work[0, 1], work[0, 2], work[0, 3], work[0, 4] = 0, n, _bit_length(n), 1, 1
    sp = 1
    while sp > 0:
        sp -= 1
        a, b, limit = work[sp, 0], work[sp, 1], work[sp, 2]
        was_balanced = work[sp, 3] == 1
        was_partitioned = work[sp, 4] == 1
        while True:
            length = b - a
            if length <= 12:
                _insertion_sort(key, d, a, b)
                break
            if limit == 0:
                _heap_sort(key, d, a, b)
                break
            if not was_balanced:
                _break_patterns(d, a, b)
                limit -= 1
            pivot, hint = _choose_pivot(key, d, a, b, swaps)
            if hint == 2:
                i, j = a, b - 1
                while i < j:
                    _swap(d, i, j)
                    i += 1
                    j -= 1
                pivot = (b - 1) - (pivot - a)
                hint = 1
            if was_balanced and was_partitioned and hint == 1:
                if _partial_insertion_sort(key, d, a, b):
                    break
            if a > 0 and not _less(key, d, a - 1, pivot):
                a = _partition_equal(key, d, a, b, pivot)
                continue
            mid, already = _partition(key, d, a, b, pivot)
            was_partitioned = already
            left_len, right_len = mid - a, b - mid
            balance_threshold = length // 8
            if left_len < right_len:
                was_balanced = left_len >= balance_threshold
                # Go: pdqsort(a, mid) now, then the loop goes on with [mid+1, b).
                work[sp, 0], work[sp, 1], work[sp, 2] = mid + 1, b, limit
                work[sp, 3], work[sp, 4] = was_balanced, was_partitioned
                sp += 1
                b = mid
            else:
                was_balanced = right_len >= balance_threshold
                work[sp, 0], work[sp, 1], work[sp, 2] = a, mid, limit
                work[sp, 3], work[sp, 4] = was_balanced, was_partitioned
                sp += 1
                a = mid + 1
            was_balanced = True
            was_partitioned = True


@njit(nogil=True, cache=True, _nrt=False)
def pdqsort(key, d, n, work):
    """Go's ``slices.SortFunc`` of ``d[:n]`` (items) by ``key[item]``, ``cmp.Compare`` order.

    ``work``: an int64 (65, 5) scratch array (:func:`pdq_work`).
    """
    _pdqsort(key, d, n, work)


def pdq_work() -> np.ndarray:
    return np.zeros((65, 5), np.int64)


# --- Go's cursor heap (batchcursor.go) -------------------------------------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _heap_sift_up(heap, ct, i):
    while i > 0 and ct[heap[(i - 1) // 2]] > ct[heap[i]]:
        j = (i - 1) // 2
        _swap(heap, i, j)
        i = j
    return i


@njit(nogil=True, cache=True, _nrt=False)
def _heap_sift_down(heap, n, ct, i):
    while True:
        m = i
        min_t = np.int64(0x7FFFFFFFFFFFFFFF)
        if i < n:
            min_t = ct[heap[i]]
        i1 = 2 * i + 1
        if i1 < n and ct[heap[i1]] < min_t:
            min_t = ct[heap[i1]]
            m = i1
        i2 = 2 * i + 2
        if i2 < n and ct[heap[i2]] < min_t:
            m = i2
        if m == i:
            return i
        _swap(heap, i, m)
        i = m


@njit(nogil=True, cache=True, _nrt=False)
def _heap_remove(heap, n, ct, i):
    while i > 0:
        j = (i - 1) // 2
        _swap(heap, i, j)
        i = j
    _swap(heap, 0, n - 1)
    n -= 1
    _heap_sift_down(heap, n, ct, 0)
    return n


# --- handlers ------------------------------------------------------------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _validate(g, p, m, rm, rp, rg):
    """Go's ``validateCtx``: 0 must-not-have, 1 may-have, 2 must-have."""
    if rm == 2 and m == NO_ID:
        return False
    if rm == 0 and m != NO_ID:
        return False
    if rp == 2 and p == NO_ID:
        return False
    if rp == 0 and p != NO_ID:
        return False
    if rg == 2 and g == NO_ID:
        return False
    if rg == 0 and g != NO_ID:
        return False
    return True


@njit(nogil=True, cache=True, _nrt=False)
def _get(rows, h, key):
    """Live row of ``key`` or -1."""
    r = h_find(h, key)
    if r >= 0 and rows[r, R_ALIVE] == 1:
        return r
    return -1


@njit(nogil=True, cache=True, _nrt=False)
def _new_row(rows, h, sc, n_at, key):
    """A fresh live row for ``key`` (reusing its dead row); -1 when out of capacity."""
    r = h_find(h, key)
    if r < 0:
        r = sc[n_at]
        if r >= rows.shape[0]:
            return -1
        sc[n_at] = r + 1
        h_put(h, key, r)
    for c in range(rows.shape[1]):
        rows[r, c] = 0
    rows[r, 0] = key
    rows[r, 1] = 1
    return r


@njit(nogil=True, cache=True, _nrt=False)
def _gfind(gs, gd, gh, sc, key):
    """Row of goroutine ``key`` (live or dead), or -1: the window ``gd``, else ``gh``
    (an entry whose row was reused by another goroutine is stale: -1)."""
    o = key - sc[S_GBASE]
    if o >= 0 and o < gd.shape[0]:
        r = np.int64(gd[o]) - 1
    else:
        r = h_find(gh, key)
    if r >= 0 and gs[r, R_ID] != key:
        return -1
    return r


@njit(nogil=True, cache=True, _nrt=False)
def _gget(gs, gd, gh, sc, key):
    """Live row of goroutine ``key`` or -1 (``_get`` for goroutines)."""
    r = _gfind(gs, gd, gh, sc, key)
    if r >= 0 and gs[r, R_ALIVE] > 0:
        return r
    return -1


@njit(nogil=True, cache=True, _nrt=False)
def _gnew_row(gs, gd, gh, sc, key):
    """``_new_row`` for goroutines: a free (dead) row if any, else the next unused one;
    -1 when out of capacity. It is born last (Go's map: deleted on destroy, so a goroutine
    created again goes to the end)."""
    r = _gfind(gs, gd, gh, sc, key)
    if r >= 0 and gs[r, R_ALIVE] > 0:  # (callers create only absent goroutines)
        born = gs[r, R_ALIVE]
    else:
        if sc[S_NGFREE] > 0:
            r = sc[S_GFREE] - 1
            sc[S_GFREE] = gs[r, R_SEQ]
            sc[S_NGFREE] -= 1
        else:
            r = sc[S_NG]
            if r >= gs.shape[0]:
                return -1
            sc[S_NG] = r + 1
        o = key - sc[S_GBASE]
        if o >= 0 and o < gd.shape[0]:
            gd[o] = r + 1
        else:
            h_put(gh, key, r)
        sc[S_GBIRTH] += 1
        born = sc[S_GBIRTH]
    for c in range(gs.shape[1]):
        gs[r, c] = 0
    gs[r, R_ID] = key
    gs[r, R_ALIVE] = born
    return r


@njit(nogil=True, cache=True, _nrt=False)
def _m_row(ms, mh, sc, mid):
    r = h_find(mh, mid)
    if r >= 0:
        return r
    r = sc[S_NM]
    if r >= ms.shape[0]:
        return -1
    sc[S_NM] = r + 1
    h_put(mh, mid, r)
    ms[r, M_ID] = mid
    ms[r, M_G] = NO_ID
    ms[r, M_P] = NO_ID
    return r


@njit(nogil=True, cache=True, _nrt=False)
def _xrow(rows, r, xs, xfree, sc, alloc):
    """The extension row of state row ``r`` (allocated when ``alloc``), or -1."""
    x = rows[r, R_EXT] - 1
    if x >= 0 or not alloc:
        return x
    if sc[S_NXFREE] > 0:
        sc[S_NXFREE] -= 1
        x = xfree[sc[S_NXFREE]]
    else:
        x = sc[S_NX]
        if x >= xs.shape[0]:
            return -1
        sc[S_NX] = x + 1
    for c in range(xs.shape[1]):
        xs[x, c] = 0
    rows[r, R_EXT] = x + 1
    return x


@njit(nogil=True, cache=True, _nrt=False)
def _kill(rows, r, xfree, sc):
    """Mark goroutine row ``r`` dead (Go deletes it from its map), free its extension row
    and put it on the free list."""
    rows[r, R_ALIVE] = 0
    x = rows[r, R_EXT] - 1
    if x >= 0:
        xfree[sc[S_NXFREE]] = x
        sc[S_NXFREE] += 1
        rows[r, R_EXT] = 0
    rows[r, R_SEQ] = sc[S_GFREE]
    sc[S_GFREE] = r + 1
    sc[S_NGFREE] += 1


@njit(nogil=True, cache=True, _nrt=False)
def _begin_range(rows, r, typ, desc):
    n = rows[r, R_NRANGE]
    for k in range(n):
        if rows[r, R_RANGE0 + 2 * k] == typ and rows[r, R_RANGE0 + 2 * k + 1] == desc:
            return False
    if n >= MAX_RANGES:
        return False
    rows[r, R_RANGE0 + 2 * n] = typ
    rows[r, R_RANGE0 + 2 * n + 1] = desc
    rows[r, R_NRANGE] = n + 1
    return True


@njit(nogil=True, cache=True, _nrt=False)
def _active_range(rows, r, typ, initial):
    n = rows[r, R_NRANGE]
    found = False
    for k in range(n):
        if rows[r, R_RANGE0 + 2 * k] == typ and rows[r, R_RANGE0 + 2 * k + 1] == 0:
            found = True
    if initial:
        if found or n >= MAX_RANGES:
            return False
        rows[r, R_RANGE0 + 2 * n] = typ
        rows[r, R_RANGE0 + 2 * n + 1] = 0
        rows[r, R_NRANGE] = n + 1
        return True
    return found


@njit(nogil=True, cache=True, _nrt=False)
def _end_range(rows, r, start_typ):
    """Desc of the in-flight range ended (Go's swap-remove), or -1 if none."""
    n = rows[r, R_NRANGE]
    idx = -1
    for k in range(n):
        if rows[r, R_RANGE0 + 2 * k] == start_typ:
            idx = k
            break
    if idx < 0:
        return -1
    desc = rows[r, R_RANGE0 + 2 * idx + 1]
    last = n - 1
    rows[r, R_RANGE0 + 2 * idx] = rows[r, R_RANGE0 + 2 * last]
    rows[r, R_RANGE0 + 2 * idx + 1] = rows[r, R_RANGE0 + 2 * last + 1]
    rows[r, R_NRANGE] = last
    return desc


@njit(nogil=True, cache=True, _nrt=False)
def _find_str(s_ids, sid):
    """Index of string ``sid`` in the sorted ID column, or -1."""
    lo, hi = 0, s_ids.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if s_ids[mid] < sid:
            lo = mid + 1
        else:
            hi = mid
    if lo < s_ids.shape[0] and s_ids[lo] == sid:
        return lo
    return -1


@njit(nogil=True, cache=True, _nrt=False)
def _same_bytes(buf, off1, len1, off2, len2):
    if len1 != len2:
        return False
    for k in range(len1):
        if buf[off1 + k] != buf[off2 + k]:
            return False
    return True


@njit(nogil=True, cache=True, _nrt=False)
def _emit(out, n, typ, t, g, p, m, a0, a1, a2, a3, row, xoff, xlen, sc):
    o_typ, o_time, o_ctx, o_args, o_row, o_x = out
    if t <= sc[S_LAST_TS]:
        t = sc[S_LAST_TS] + 1
    sc[S_LAST_TS] = t
    o_typ[n] = typ
    o_time[n] = t
    o_ctx[n, 0] = g
    o_ctx[n, 1] = p
    o_ctx[n, 2] = m
    o_args[n, 0] = a0
    o_args[n, 1] = a1
    o_args[n, 2] = a2
    o_args[n, 3] = a3
    o_row[n] = row
    o_x[n, 0] = xoff
    o_x[n, 1] = xlen
    return n + 1


@njit(nogil=True, cache=True, _nrt=False, inline="always")
def _advance(  # noqa: C901 - one branch per Go handler, like order.go's switch
    typ, t, a0, a1, a2, a3, row, cm, mr, gen, st, tabs, buf, out, n
):
    """Go's ``ordering.Advance`` for one event; returns (status, rows emitted so far).

    status 1 = advanced (events emitted), 0 = not yet, negative = Go would stop.
    ``mr`` is the row of thread ``cm`` (-1 for NoThread), created at the M's first
    event like Go's ``Advance`` does.
    """
    gs, ps, ms, ts, gh, ph, mh, th, sc, xs, xfree, gd = st
    s_ids, s_off, s_len = tabs
    if sc[S_INITIAL_GEN] == 0:
        sc[S_INITIAL_GEN] = gen
    initial = gen == sc[S_INITIAL_GEN]
    cg, cp = NO_ID, NO_ID
    if mr >= 0:
        cg, cp = ms[mr, M_G], ms[mr, M_P]
    ng, np_ = cg, cp  # the new context
    eg, ep, em = cg, cp, cm  # the context the event is pushed with
    u8 = np.uint64(0xFF)

    if typ == EV_GO_START:  # the most frequent types first
        gid = np.int64(a0)
        r = _gget(gs, gd, gh, sc, gid)
        if (
            r < 0
            or gs[r, R_STATUS] != GO_RUNNABLE
            or not (gs[r, R_SEQ_GEN] == gen and np.uint64(gs[r, R_SEQ]) + np.uint64(1) == a1)
        ):
            return 0, n
        if not _validate(cg, cp, cm, 2, 2, 0):
            return ERR_ORDER, n
        gs[r, R_STATUS] = GO_RUNNING
        gs[r, R_SEQ_GEN] = gen
        gs[r, R_SEQ] = np.int64(a1)
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
        ng = gid
    elif typ == EV_GO_UNBLOCK:
        gid = np.int64(a0)
        r = _gget(gs, gd, gh, sc, gid)
        if (
            r < 0
            or gs[r, R_STATUS] != GO_WAITING
            or not (gs[r, R_SEQ_GEN] == gen and np.uint64(gs[r, R_SEQ]) + np.uint64(1) == a1)
        ):
            return 0, n
        gs[r, R_STATUS] = GO_RUNNABLE
        gs[r, R_SEQ_GEN] = gen
        gs[r, R_SEQ] = np.int64(a1)
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GO_DESTROY or typ == EV_GO_STOP or typ == EV_GO_BLOCK:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0 or gs[r, R_STATUS] != GO_RUNNING:
            return ERR_ORDER, n
        if typ == EV_GO_DESTROY:
            _kill(gs, r, xfree, sc)
        elif typ == EV_GO_STOP:
            gs[r, R_STATUS] = GO_RUNNABLE
        else:
            gs[r, R_STATUS] = GO_WAITING
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
        ng = NO_ID
    elif typ == EV_PROC_STATUS:
        pid = np.int64(a0)
        status = np.int64(a1 & u8)
        if status >= 5:
            return ERR_ORDER, n
        old = _PROC_STATUS_TO_STATE[status]
        r = _get(ps, ph, pid)
        if r >= 0:
            if status == PROC_SYSCALL_ABANDONED and ps[r, R_STATUS] == PROC_SYSCALL:
                old = PS_RUNNING
                a1 = np.uint64(PROC_SYSCALL)
            elif status == PROC_SYSCALL_ABANDONED and ps[r, R_STATUS] == PROC_SYSCALL_ABANDONED:
                old = PS_IDLE
                a1 = np.uint64(PROC_SYSCALL_ABANDONED)
            elif ps[r, R_STATUS] != status:
                return ERR_ORDER, n
            ps[r, R_SEQ_GEN] = gen
            ps[r, R_SEQ] = 0
        else:
            r = _new_row(ps, ph, sc, S_NP, pid)
            if r < 0:
                return ERR_CAPACITY, n
            ps[r, R_STATUS] = status
            ps[r, R_SEQ_GEN] = gen
            old = PS_UNDETERMINED if initial else PS_NOT_EXIST
        a2 = np.uint64(old)
        if status == PROC_RUNNING or status == PROC_SYSCALL:
            np_ = pid
        if status == PROC_SYSCALL_ABANDONED and old == PS_RUNNING:
            found = False
            for k in range(sc[S_NM]):
                if ms[k, M_P] == pid:
                    eg, ep, em = ms[k, M_G], pid, ms[k, M_ID]
                    found = True
            if not found:
                return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_PROC_START:
        pid = np.int64(a0)
        r = _get(ps, ph, pid)
        if (
            r < 0
            or ps[r, R_STATUS] != PROC_IDLE
            or not (ps[r, R_SEQ_GEN] == gen and np.uint64(ps[r, R_SEQ]) + np.uint64(1) == a1)
            or cp != NO_ID
        ):
            return 0, n
        if not _validate(cg, cp, cm, 2, 0, 1):
            return ERR_ORDER, n
        ps[r, R_STATUS] = PROC_RUNNING
        ps[r, R_SEQ_GEN] = gen
        ps[r, R_SEQ] = np.int64(a1)
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
        np_ = pid
    elif typ == EV_PROC_STOP:
        r = _get(ps, ph, cp)
        if r < 0:
            return ERR_ORDER, n
        if ps[r, R_STATUS] != PROC_RUNNING and ps[r, R_STATUS] != PROC_SYSCALL:
            return ERR_ORDER, n
        if not _validate(cg, cp, cm, 2, 2, 1):
            return ERR_ORDER, n
        ps[r, R_STATUS] = PROC_IDLE
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
        np_ = NO_ID
    elif typ == EV_PROC_STEAL:
        pid = np.int64(a0)
        r = _get(ps, ph, pid)
        if (
            r < 0
            or (ps[r, R_STATUS] != PROC_SYSCALL and ps[r, R_STATUS] != PROC_SYSCALL_ABANDONED)
            or not (ps[r, R_SEQ_GEN] == gen and np.uint64(ps[r, R_SEQ]) + np.uint64(1) == a1)
        ):
            return 0, n
        if not _validate(cg, cp, cm, 2, 1, 1):
            return ERR_ORDER, n
        old_status = ps[r, R_STATUS]
        a3 = np.uint64(old_status)
        ps[r, R_STATUS] = PROC_IDLE
        ps[r, R_SEQ_GEN] = gen
        ps[r, R_SEQ] = np.int64(a1)
        if old_status != PROC_SYSCALL_ABANDONED:
            mid = np.int64(a2)
            if mid == cm:
                if cp != pid:
                    return ERR_ORDER, n
                np_ = NO_ID
            else:
                k = h_find(mh, mid)
                if k < 0 or ms[k, M_P] != pid:
                    return ERR_ORDER, n
                ms[k, M_P] = NO_ID
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GO_STATUS or typ == EV_GO_STATUS_STACK:
        gid = np.int64(a0)
        mid = np.int64(a1)
        status = np.int64(a2 & u8)
        if status >= 5:
            return ERR_ORDER, n
        old = _GO_STATUS_TO_STATE[status]
        r = _gget(gs, gd, gh, sc, gid)
        if r >= 0:
            if gs[r, R_STATUS] != status:
                return ERR_ORDER, n
            gs[r, R_SEQ_GEN] = gen
            gs[r, R_SEQ] = 0
        elif initial:
            r = _gnew_row(gs, gd, gh, sc, gid)
            if r < 0:
                return ERR_CAPACITY, n
            gs[r, R_STATUS] = status
            gs[r, R_SEQ_GEN] = gen
            old = GS_UNDETERMINED
        else:
            return ERR_ORDER, n
        a2 = (np.uint64(old) << np.uint64(32)) | np.uint64(status)
        if status == GO_RUNNING:
            ng = gid
        elif status == GO_SYSCALL:
            if mid == NO_ID:
                return ERR_ORDER, n
            if mid == cm:
                if not initial and cg != gid:
                    return ERR_ORDER, n
                ng = gid
            else:
                k = h_find(mh, mid)
                if k >= 0:
                    if ms[k, M_G] != gid:
                        return ERR_ORDER, n
                    eg = ms[k, M_G]
                else:
                    k = _m_row(ms, mh, sc, mid)
                    if k < 0:
                        return ERR_CAPACITY, n
                    ms[k, M_G] = gid
                em = mid
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GO_CREATE or typ == EV_GO_CREATE_BLOCKED:
        if not _validate(cg, cp, cm, 2, 2, 1):
            return ERR_ORDER, n
        r = _gget(gs, gd, gh, sc, cg)
        if r >= 0 and gs[r, R_STATUS] != GO_RUNNING:
            return ERR_ORDER, n
        newg = np.int64(a0)
        if _gget(gs, gd, gh, sc, newg) >= 0:
            return ERR_ORDER, n
        r = _gnew_row(gs, gd, gh, sc, newg)
        if r < 0:
            return ERR_CAPACITY, n
        gs[r, R_STATUS] = GO_WAITING if typ == EV_GO_CREATE_BLOCKED else GO_RUNNABLE
        gs[r, R_SEQ_GEN] = gen
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GO_SWITCH or typ == EV_GO_SWITCH_DESTROY:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        rc = _gget(gs, gd, gh, sc, cg)
        if rc < 0 or gs[rc, R_STATUS] != GO_RUNNING:
            return ERR_ORDER, n
        nextg = np.int64(a0)
        rn = _gget(gs, gd, gh, sc, nextg)
        if (
            rn < 0
            or gs[rn, R_STATUS] != GO_WAITING
            or not (gs[rn, R_SEQ_GEN] == gen and np.uint64(gs[rn, R_SEQ]) + np.uint64(1) == a1)
        ):
            return 0, n
        z = np.uint64(0)
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
        if typ == EV_GO_SWITCH:
            gs[rc, R_STATUS] = GO_WAITING
            n = _emit(out, n, EV_GO_BLOCK, t, cg, cp, cm, z, z, z, z, -1, -1, 0, sc)
        else:
            _kill(gs, rc, xfree, sc)
            n = _emit(out, n, EV_GO_DESTROY, t, cg, cp, cm, z, z, z, z, -1, -1, 0, sc)
        gs[rn, R_STATUS] = GO_RUNNING
        gs[rn, R_SEQ_GEN] = gen
        gs[rn, R_SEQ] = np.int64(a1)
        n = _emit(out, n, EV_GO_START, t, NO_ID, cp, cm, a0, a1, z, z, -1, -1, 0, sc)
        ng = nextg
    elif typ == EV_GO_SYSCALL_BEGIN:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0 or gs[r, R_STATUS] != GO_RUNNING:
            return ERR_ORDER, n
        gs[r, R_STATUS] = GO_SYSCALL
        rp = _get(ps, ph, cp)
        if rp < 0:
            return ERR_ORDER, n
        ps[rp, R_STATUS] = PROC_SYSCALL
        if not (ps[rp, R_SEQ_GEN] == gen and np.uint64(ps[rp, R_SEQ]) + np.uint64(1) == a0):
            return ERR_ORDER, n
        ps[rp, R_SEQ_GEN] = gen
        ps[rp, R_SEQ] = np.int64(a0)
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GO_SYSCALL_END:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0 or gs[r, R_STATUS] != GO_SYSCALL:
            return ERR_ORDER, n
        gs[r, R_STATUS] = GO_RUNNING
        rp = _get(ps, ph, cp)
        if rp < 0 or ps[rp, R_STATUS] != PROC_SYSCALL:
            return ERR_ORDER, n
        ps[rp, R_STATUS] = PROC_RUNNING
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GO_SYSCALL_END_BLOCKED:
        if cp != NO_ID:
            rp = _get(ps, ph, cp)
            if rp < 0:
                return ERR_ORDER, n
            if ps[rp, R_STATUS] == PROC_SYSCALL:
                return 0, n
        if not _validate(cg, cp, cm, 2, 1, 2):
            return ERR_ORDER, n
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0 or gs[r, R_STATUS] != GO_SYSCALL:
            return ERR_ORDER, n
        gs[r, R_STATUS] = GO_RUNNABLE
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
        ng = NO_ID
    elif typ == EV_GO_CREATE_SYSCALL:
        if not _validate(cg, cp, cm, 2, 1, 0):
            return ERR_ORDER, n
        newg = np.int64(a0)
        if _gget(gs, gd, gh, sc, newg) >= 0:
            return ERR_ORDER, n
        r = _gnew_row(gs, gd, gh, sc, newg)
        if r < 0:
            return ERR_CAPACITY, n
        gs[r, R_STATUS] = GO_SYSCALL
        gs[r, R_SEQ_GEN] = gen
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
        ng = newg
    elif typ == EV_GO_DESTROY_SYSCALL:
        if not _validate(cg, cp, cm, 2, 1, 2):
            return ERR_ORDER, n
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0 or gs[r, R_STATUS] != GO_SYSCALL:
            return ERR_ORDER, n
        _kill(gs, r, xfree, sc)
        ng = NO_ID
        if cp != NO_ID:
            rp = _get(ps, ph, cp)
            if rp < 0 or ps[rp, R_STATUS] != PROC_SYSCALL:
                return ERR_ORDER, n
            ps[rp, R_STATUS] = PROC_SYSCALL_ABANDONED
            np_ = NO_ID
            z = np.uint64(0)
            n = _emit(
                out, n, EV_PROC_STEAL, t, cg, cp, cm, np.uint64(cp), z, z,
                np.uint64(PROC_SYSCALL), -1, -1, 0, sc,
            )  # fmt: skip
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_USER_TASK_BEGIN:
        tid = np.int64(a0)
        if _get(ts, th, tid) >= 0:
            return ERR_ORDER, n
        parent = a1
        if parent == 0:
            parent = NO_TASK
            a1 = NO_TASK
        k = -1
        if a2 != 0:
            k = _find_str(s_ids, a2)
            if k < 0:
                return ERR_ORDER, n
        r = _new_row(ts, th, sc, S_NT, tid)
        if r < 0:
            return ERR_CAPACITY, n
        ts[r, T_PARENT] = np.int64(parent)
        ts[r, T_NOFF] = s_off[k] if k >= 0 else -1
        ts[r, T_NLEN] = s_len[k] if k >= 0 else 0
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_USER_TASK_END:
        r = _get(ts, th, np.int64(a0))
        xoff, xlen = np.int64(-1), np.int64(0)
        if r >= 0:
            a2 = np.uint64(ts[r, T_PARENT])
            xoff, xlen = ts[r, T_NOFF], ts[r, T_NLEN]
            ts[r, T_ALIVE] = 0
        else:
            a2 = NO_TASK
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, xoff, xlen, sc)
    elif typ == EV_USER_REGION_BEGIN or typ == EV_USER_REGION_END:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        noff, nlen = np.int64(-1), np.int64(0)
        if a1 != 0:
            k = _find_str(s_ids, a1)
            if k < 0:
                return ERR_ORDER, n
            noff, nlen = s_off[k], np.int64(s_len[k])
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0:
            return ERR_ORDER, n
        x = _xrow(gs, r, xs, xfree, sc, typ == EV_USER_REGION_BEGIN)
        if typ == EV_USER_REGION_BEGIN and x < 0:
            return ERR_CAPACITY, n
        d = xs[x, R_NREG] if x >= 0 else 0
        if typ == EV_USER_REGION_BEGIN:
            if d >= MAX_REGIONS:
                return ERR_LIMIT, n
            xs[x, R_REG0 + 3 * d] = np.int64(a0)
            xs[x, R_REG0 + 3 * d + 1] = noff
            xs[x, R_REG0 + 3 * d + 2] = nlen
            xs[x, R_NREG] = d + 1
        elif d > 0:
            c = R_REG0 + 3 * (d - 1)
            if xs[x, c] != np.int64(a0) or not _same_bytes(
                buf, xs[x, c + 1], xs[x, c + 2], noff, nlen
            ):
                return ERR_ORDER, n
            xs[x, R_NREG] = d - 1
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GC_ACTIVE:
        seq = np.int64(a0)
        if initial:
            if sc[S_GC_STATE] != GC_UNDETERMINED:
                return ERR_ORDER, n
            sc[S_GC_SEQ] = seq
            sc[S_GC_STATE] = GC_RUNNING
        else:
            if seq != sc[S_GC_SEQ] + 1:
                return 0, n
            if sc[S_GC_STATE] != GC_RUNNING:
                return ERR_ORDER, n
            sc[S_GC_SEQ] = seq
            if not _validate(cg, cp, cm, 2, 2, 2):
                return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GC_BEGIN:
        seq = np.int64(a0)
        if sc[S_GC_STATE] == GC_UNDETERMINED:
            sc[S_GC_SEQ] = seq
            sc[S_GC_STATE] = GC_RUNNING
        else:
            if seq != sc[S_GC_SEQ] + 1:
                return 0, n
            if sc[S_GC_STATE] == GC_RUNNING:
                return ERR_ORDER, n
            sc[S_GC_SEQ] = seq
            sc[S_GC_STATE] = GC_RUNNING
            if not _validate(cg, cp, cm, 2, 2, 2):
                return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GC_END:
        seq = np.int64(a0)
        if seq != sc[S_GC_SEQ] + 1:
            return 0, n
        if sc[S_GC_STATE] != GC_RUNNING:
            return ERR_ORDER, n
        sc[S_GC_SEQ] = seq
        sc[S_GC_STATE] = GC_NOT_RUNNING
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_PROCS_CHANGE or typ == EV_GO_LABEL or typ == EV_USER_LOG:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_HEAP_ALLOC or typ == EV_HEAP_GOAL:
        if not _validate(cg, cp, cm, 2, 2, 1):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GC_SWEEP_BEGIN or typ == EV_GC_SWEEP_END:
        if not _validate(cg, cp, cm, 2, 2, 1):
            return ERR_ORDER, n
        rp = _get(ps, ph, cp)
        if rp < 0:
            return ERR_ORDER, n
        x = _xrow(ps, rp, xs, xfree, sc, typ == EV_GC_SWEEP_BEGIN)
        if x < 0:
            return ERR_ORDER, n
        if typ == EV_GC_SWEEP_BEGIN:
            if not _begin_range(xs, x, EV_GC_SWEEP_BEGIN, 0):
                return ERR_ORDER, n
        elif _end_range(xs, x, EV_GC_SWEEP_BEGIN) < 0:
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GC_SWEEP_ACTIVE:
        rp = _get(ps, ph, np.int64(a0))
        if rp < 0:
            return ERR_ORDER, n
        x = _xrow(ps, rp, xs, xfree, sc, initial)
        if x < 0 or not _active_range(xs, x, EV_GC_SWEEP_BEGIN, initial):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_STW_BEGIN or typ == EV_GC_MARK_ASSIST_BEGIN:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        desc = np.int64(a0) if typ == EV_STW_BEGIN else 0
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0:
            return ERR_ORDER, n
        x = _xrow(gs, r, xs, xfree, sc, True)
        if x < 0 or not _begin_range(xs, x, typ, desc):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_STW_END or typ == EV_GC_MARK_ASSIST_END:
        if not _validate(cg, cp, cm, 2, 2, 2):
            return ERR_ORDER, n
        r = _gget(gs, gd, gh, sc, cg)
        if r < 0:
            return ERR_ORDER, n
        start = EV_STW_BEGIN if typ == EV_STW_END else EV_GC_MARK_ASSIST_BEGIN
        x = _xrow(gs, r, xs, xfree, sc, False)
        if x < 0:
            return ERR_ORDER, n
        desc = _end_range(xs, x, start)
        if desc < 0:
            return ERR_ORDER, n
        if typ == EV_STW_END:
            a0 = np.uint64(desc)
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif typ == EV_GC_MARK_ASSIST_ACTIVE:
        r = _gget(gs, gd, gh, sc, np.int64(a0))
        if r < 0:
            return ERR_ORDER, n
        x = _xrow(gs, r, xs, xfree, sc, initial)
        if x < 0 or not _active_range(xs, x, EV_GC_MARK_ASSIST_BEGIN, initial):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    elif 128 <= typ <= 136:
        if not _validate(cg, cp, cm, 2, 1, 1):
            return ERR_ORDER, n
        n = _emit(out, n, typ, t, eg, ep, em, a0, a1, a2, a3, row, -1, 0, sc)
    else:
        return ERR_ORDER, n
    if mr >= 0:
        ms[mr, M_G] = ng
        ms[mr, M_P] = np_
    return 1, n


def dense_set(ids: np.ndarray) -> np.ndarray:
    """A membership bitmap of sorted IDs when they are small, else an empty array."""
    n = ids.shape[0]
    if n == 0 or int(ids[n - 1]) > 16 * n + 65536:
        return np.zeros(0, np.uint8)
    out = np.zeros(int(ids[n - 1]) + 1, np.uint8)
    out[ids.astype(np.int64)] = 1
    return out


@njit(nogil=True, cache=True, _nrt=False)
def _has(dense, ids, x):
    if dense.shape[0] > 0:
        return x < np.uint64(dense.shape[0]) and dense[np.int64(x)] == 1
    return _find_str(ids, x) >= 0


@njit(nogil=True, cache=True, _nrt=False)
def _valid_ids(typ, a, stack_ids, stack_set, s_ids, s_set, stack_args, string_args):
    """Go's ``validateTableIDs`` for one returned event."""
    for k in range(2):
        i = stack_args[typ, k]
        if i > 0:
            sid = a[i - 1]
            if sid != 0 and not _has(stack_set, stack_ids, sid):
                return False
        i = string_args[typ, k]
        if i > 0:
            sid = a[i - 1]
            if sid != 0 and not _has(s_set, s_ids, sid):
                return False
    return True


@njit(nogil=True, cache=True, _nrt=False)
def count_batches(buf, b_doff, b_size, nargs, timed, b_count, counts, gid_range):
    """Count the timed events of each M batch (and per type) without storing them.

    ``order_generation`` decodes each M's batches lazily; this pass sizes the
    state tables, numbers the events in file order (``source_row``), sizes
    each M's decode slot and finds the lowest and highest goroutine ID created
    (``gid_range``, for ``KernelState.gd``). Returns 0, or -1 for any malformed
    event (the reader then hands this generation to the reference reader, which
    reports Go's error).
    """
    for bi in range(b_doff.shape[0]):
        pos = b_doff[bi]
        end = pos + b_size[bi]
        c = 0
        while pos < end:
            t = buf[pos]
            if timed[t] == 0:
                return -1
            pos += 1
            create = t == EV_GO_CREATE or t == EV_GO_CREATE_BLOCKED or t == EV_GO_CREATE_SYSCALL
            for q in range(nargs[t]):
                x, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    return -1
                if q == 1 and create:
                    if x < np.uint64(1 << 62):
                        gid = np.int64(x)
                        if gid < gid_range[0]:
                            gid_range[0] = gid
                        if gid > gid_range[1]:
                            gid_range[1] = gid
                    elif gid_range.shape[0] > 2:
                        gid_range[2] += 1
            counts[t] += 1
            c += 1
        b_count[bi] = c
    return 0


def tick_shift(nspt: float) -> int:
    """k when ``nspt`` is 2**k (0 ≤ k ≤ 32): ticks then convert by a shift (Go's 1.22+ clock on
    Linux ticks every 64 ns), else -1."""
    for k in range(33):
        if nspt == float(1 << k):
            return k
    return -1


@njit(nogil=True, cache=True, _nrt=False)
def _decode_batch(buf, pos, end, bt, nspt, shift, nargs, timed, s_typ, s_time, s_args, s_evoff,
                  at, ids, stack_args, string_args):  # fmt: skip
    """Decode one M batch into slot rows ``at…`` (``format.decode_events`` for one batch:
    type, time, args and the event's byte offset).

    Checks each event's stack and string IDs as it goes (Go's ``validateTableIDs``:
    an event with a missing ID fails Go's reader when returned; any failure sends
    the caller to the reference reader, so checking the whole batch now is
    equivalent). ``shift`` ≥ 0: ``nspt`` is ``2**shift`` and a tick delta below
    ``2**min(53, 63 - shift)`` converts exactly by a shift, as Go's float multiply
    does. Returns the event count, -1 if malformed, -2 for a missing table ID."""
    stack_ids, stack_set, s_ids, s_set = ids
    last = _mul(bt, nspt)
    lim = np.uint64(0)
    if shift >= 0:
        lim = np.uint64(1) << np.uint64(min(53, 63 - shift))
    ush = np.uint64(max(shift, 0))
    j = at
    while pos < end:
        start = pos
        t = buf[pos]
        if timed[t] == 0:
            return -1
        na = nargs[t] - 1
        dt, pos = _uvarint(buf, pos + 1, end)
        if pos < 0:
            return -1
        a0 = a1 = a2 = a3 = np.uint64(0)
        if na > 0:
            a0, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return -1
            if na > 1:
                a1, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    return -1
                if na > 2:
                    a2, pos = _uvarint(buf, pos, end)
                    if pos < 0:
                        return -1
                    if na > 3:
                        a3, pos = _uvarint(buf, pos, end)
                        if pos < 0:
                            return -1
        if dt < lim:
            last = _add_i64(np.int64(dt << ush), last)
        else:
            last = _add_i64(_mul(dt, nspt), last)
        s_typ[j] = t
        s_time[j] = last
        s_args[j, 0] = a0
        s_args[j, 1] = a1
        s_args[j, 2] = a2
        s_args[j, 3] = a3
        s_evoff[j] = start
        if stack_args[t, 0] != 0 or string_args[t, 0] != 0:
            if not _valid_ids(
                t, s_args[j], stack_ids, stack_set, s_ids, s_set, stack_args, string_args
            ):
                return -2
        j += 1
    return j - at


@njit(nogil=True, cache=True, _nrt=False)
def _load_batch(k, cur, mb_rows, bat, nspt, shift, nargs, timed, slots, ids, stack_args,
                string_args, buf):  # fmt: skip
    """Decode cursor ``k``'s next batch into its slot (Go's ``batchCursor.nextEvent``).

    A slot start ``cur[7][k]`` of -1 means "in place": each batch decodes into the slot
    rows of its own source rows, so the slots end up holding the whole generation's
    events in file order (``model.order`` keeps them as the generation's columns).
    Returns 1 (loaded), 0 (the M has no more batches) or a negative status."""
    c_bp, c_bend, c_lp, c_lend, c_soff, c_row0 = cur[1], cur[2], cur[5], cur[6], cur[7], cur[8]
    b_doff, b_size, b_time, b_row0 = bat
    s_typ, s_time, s_args, s_evoff = slots
    while c_bp[k] < c_bend[k]:
        b = mb_rows[c_bp[k]]
        c_bp[k] += 1
        at = c_soff[k]
        if at < 0:
            at = b_row0[b]
        pos = b_doff[b]
        cnt = _decode_batch(buf, pos, pos + b_size[b], b_time[b], nspt, shift, nargs, timed,
                            s_typ, s_time, s_args, s_evoff, at, ids, stack_args,
                            string_args)  # fmt: skip
        if cnt == -2:
            return ERR_TABLE_ID
        if cnt < 0:
            return ERR_ORDER
        if cnt == 0:
            continue
        c_lp[k] = at
        c_lend[k] = at + cnt
        c_row0[k] = b_row0[b] - at
        return 1
    return 0


@njit(nogil=True, cache=True, _nrt=False)
def order_generation(  # noqa: C901 - Go's ReadEvent loop
    gen, min_time_ns, nspt, nargs, timed, bat, mb_rows,
    cpu_time, cpu_g, cpu_p, cpu_m, cpu_stack,
    stack_ids, stack_set, s_ids, s_set, s_off, s_len, stack_args, string_args,
    buf, st, out, scratch, rs,
):  # fmt: skip
    """Order one generation, one output chunk per call; returns (status, rows in ``out``).

    Events are decoded lazily from ``buf``, one batch per M at a time (Go's
    ``batchCursor``): ``bat`` = (data offset, size, base time, first source row) of
    the generation's M batches in file order; cursor k owns ``mb_rows[cur[1][k]:
    cur[2][k]]`` (its non-empty batches, file order) and slot rows from ``cur[7][k]``
    (sized for its largest batch). ``scratch`` = (cur (9, m) int64 — M id, next
    batch, batch end, current time, M state row, slot row, slot end, slot start,
    source row offset —, heap, CPU permutation, pdqsort work, slot type / time /
    args / byte offset; slot start -1: in place, see :func:`_load_batch`); ``rs[3]`` the number of cursors, ``rs[4]`` ``tick_shift(nspt) + 1``.

    ``st`` is :class:`KernelState` as a tuple (g, p, m, t rows, their hash tables,
    scalars, extension rows); ``out`` the output columns (type, time, (g, p, m), args,
    source row, (task name offset, length)), any number of rows ≥ 4. The first row of
    a generation is its Sync. Status ``PAUSED``: ``out`` is full, call again with the
    same ``scratch`` and ``rs`` (zeroed but for ``rs[3:5]`` before a generation's first
    call); ``OK``: the generation is done; negative: Go's reader stops in this generation.
    """
    sc = st[8]
    shift = rs[RS_SHIFT] - 1
    tabs = (s_ids, s_off, s_len)
    ids = (stack_ids, stack_set, s_ids, s_set)
    z = np.uint64(0)
    cur, heap, cpu_perm, work, s_typ, s_time, s_args, s_evoff = scratch
    slots = (s_typ, s_time, s_args, s_evoff)
    m_ids, ct, mrow, c_lp, c_lend, c_row0 = cur[0], cur[3], cur[4], cur[5], cur[6], cur[8]
    gs_rows, ms_rows, mh_rows = st[0], st[2], st[6]
    n_cpu = cpu_time.shape[0]
    n_m = rs[RS_NM]
    cap = out[0].shape[0]
    n = 0
    if rs[RS_PHASE] == 0:
        rs[RS_PHASE] = 1
        sc[S_SYNCS] += 1
        n = _emit(out, 0, EV_SYNC, min_time_ns, NO_ID, NO_ID, NO_ID,
                  np.uint64(sc[S_SYNCS]), z, z, z, -1, -1, 0, sc)  # fmt: skip
        # Cursors: one per M, in order of the M's first event (batches are in file order).
        hn = 0
        for k in range(n_m):
            mrow[k] = -2  # the M's state row, once looked up
            s = _load_batch(k, cur, mb_rows, bat, nspt, shift, nargs, timed, slots, ids,
                            stack_args, string_args, buf)  # fmt: skip
            if s < 0:
                return s, 0
            if s == 0:
                continue
            ct[k] = s_time[c_lp[k]]
            heap[hn] = k
            hn += 1
            _heap_sift_up(heap, ct, hn - 1)

        # CPU samples, sorted by time with Go's pdqsort.
        for i in range(n_cpu):
            cpu_perm[i] = i
        pdqsort(cpu_time, cpu_perm, n_cpu, work)
        rs[RS_HN] = hn
        rs[RS_CI] = 0
    hn = rs[RS_HN]
    ci = rs[RS_CI]

    while True:
        if n + 4 > cap:  # the output is full: pause (all cursor state is in scratch / rs)
            rs[RS_HN] = hn
            rs[RS_CI] = ci
            return PAUSED, n
        if sc[S_NGFREE] + gs_rows.shape[0] - sc[S_NG] < G_MIN_FREE:  # the same, for rows
            rs[RS_HN] = hn
            rs[RS_CI] = ci
            return NEED_ROWS, n
        if ci < n_cpu:
            s = cpu_perm[ci]
            if hn == 0 or cpu_time[s] < ct[heap[0]]:
                ci += 1
                n = _emit(out, n, EV_CPU_SAMPLE, cpu_time[s], cpu_g[s], cpu_p[s], cpu_m[s],
                          cpu_stack[s], z, z, z, -1, -1, 0, sc)  # fmt: skip
                continue
        if hn == 0:
            break
        first = n
        done = False
        for attempt in range(hn):
            if attempt == 1:
                pdqsort(ct, heap, hn, work)  # Go sorts the frontier, then tries 1..n-1
            i = attempt
            k = heap[i]
            r = c_lp[k]
            cm = m_ids[k]
            mr = mrow[k]
            if mr == -2:  # Go's Advance creates the M's state at its first event
                mr = -1
                if cm != NO_ID:
                    mr = _m_row(ms_rows, mh_rows, sc, cm)
                    if mr < 0:
                        return ERR_CAPACITY, first
                mrow[k] = mr
            status, n = _advance(s_typ[r], s_time[r], s_args[r, 0], s_args[r, 1], s_args[r, 2],
                                 s_args[r, 3], r + c_row0[k], cm, mr, gen, st, tabs, buf, out,
                                 n)  # fmt: skip
            if status < 0:
                return status, first
            if status == 1:
                c_lp[k] += 1
                more = 1
                if c_lp[k] >= c_lend[k]:
                    more = _load_batch(k, cur, mb_rows, bat, nspt, shift, nargs, timed, slots, ids,
                                       stack_args, string_args, buf)  # fmt: skip
                    if more < 0:
                        return more, first
                if more == 1:
                    ct[k] = s_time[c_lp[k]]
                    if _heap_sift_up(heap, ct, i) == i:
                        _heap_sift_down(heap, hn, ct, i)
                else:
                    hn = _heap_remove(heap, hn, ct, i)
                done = True
                break
        if not done:
            return ERR_FAILED_ADVANCE, first
    return OK, n


# --- event construction: ordered rows → EventTable columns ------------------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _code(s_ids, s_set, code_of_idx, sid):
    """String code of wire string ``sid`` of this generation (0 = "" for 0 or unknown)."""
    if sid == 0:
        return 0
    if s_set.shape[0] > 0:
        if sid >= np.uint64(s_set.shape[0]) or s_set[np.int64(sid)] == 0:
            return 0
    k = _find_str(s_ids, sid)
    return code_of_idx[k] if k >= 0 else 0


@njit(nogil=True, cache=True, _nrt=False)
def build_columns(  # noqa: C901 - Go's per-kind accessors, one branch each
    out, lo, hi, gen_idx, luts, s_ids, s_set, code_of_idx, cols, fix
):
    """Fill the :class:`EventTable` columns ``cols`` from the kernel's rows ``out[:n]``.

    ``luts`` = (kind, own stack arg, transition resource kind / from / to / target-arg /
    stack flags, constant name code) by wire type; ``code_of_idx`` the string code of
    each entry of this generation's string table. STW and UserTaskEnd names need
    Python (a formatted name, a string of an earlier generation): their rows go to
    ``fix``; returns how many.
    """
    o_typ, o_time, o_ctx, o_args, o_row, o_x = out
    kind_of, stack0, t_rk, t_from, t_to, t_target, t_stack, const_name = luts
    (kind, time_ns, goroutine, proc, thread, ev_type, stack_id, gidx, source_row,
     resource_kind, resource_id, state_from, state_to, reason, transition_stack_id,
     name, message, value, value2, task_id, parent_task_id) = cols  # fmt: skip
    nfix = 0
    z = np.uint64(0)
    for j in range(lo, hi):
        i = j - lo
        t = o_typ[j]
        k = kind_of[t]
        g, p = o_ctx[j, 0], o_ctx[j, 1]
        a0, a1, a2, a3 = o_args[j, 0], o_args[j, 1], o_args[j, 2], o_args[j, 3]
        kind[i] = k
        time_ns[i] = o_time[j]
        goroutine[i] = g
        proc[i] = p
        thread[i] = o_ctx[j, 2]
        ev_type[i] = t
        gidx[i] = gen_idx
        source_row[i] = o_row[j]
        st = z
        if t == EV_CPU_SAMPLE:
            st = a0
        else:
            sa = stack0[t]
            if sa > 0:
                st = o_args[j, sa - 1]
        stack_id[i] = st
        rk, rid, sf, sto, rs, ts = 0, np.int64(-1), 0, 0, 0, z
        nm, msg, v, v2, tk, pt = const_name[t], 0, z, z, z, z
        if k == 1:  # Sync
            v = a0
        elif k == 2:  # Metric
            v = a0
        elif k == 3:  # Label
            nm = _code(s_ids, s_set, code_of_idx, a0)
            rk, rid = 1, g
        elif k == 5 or k == 6 or k == 7:  # ranges
            if t == EV_STW_BEGIN or t == EV_STW_END:
                rk, rid = 1, g
                fix[nfix] = j
                nfix += 1
            elif t == EV_GC_BEGIN or t == EV_GC_ACTIVE or t == EV_GC_END:
                rk, rid = 0, np.int64(0)
            elif t == EV_GC_SWEEP_BEGIN or t == EV_GC_SWEEP_ACTIVE or t == EV_GC_SWEEP_END:
                rk = 2
                rid = np.int64(a0) if t == EV_GC_SWEEP_ACTIVE else p
                if t == EV_GC_SWEEP_END:
                    v, v2 = a0, a1
            else:
                rk = 1
                rid = np.int64(a0) if t == EV_GC_MARK_ASSIST_ACTIVE else g
        elif k == 8:  # TaskBegin
            tk, pt = a0, a1
            nm = _code(s_ids, s_set, code_of_idx, a2)
        elif k == 9:  # TaskEnd
            tk, pt = a0, a2
            fix[nfix] = j
            nfix += 1
        elif k == 10 or k == 11:  # regions
            tk = a0
            nm = _code(s_ids, s_set, code_of_idx, a1)
        elif k == 12:  # Log
            tk = a0
            nm = _code(s_ids, s_set, code_of_idx, a1)
            msg = _code(s_ids, s_set, code_of_idx, a2)
        elif k == 13:  # StateTransition
            rk = t_rk[t]
            if t_target[t] == 1:
                rid = np.int64(a0)
            elif rk == 2:
                rid = p
            else:
                rid = g
            sf, sto = t_from[t], t_to[t]
            if t == EV_PROC_STEAL:
                sf = PS_IDLE if a3 == np.uint64(PROC_SYSCALL_ABANDONED) else PS_RUNNING
            elif t == EV_PROC_STATUS:
                sf = np.int64(a2)
                sto = _PROC_STATUS_TO_STATE[np.int64(a1 & np.uint64(0xFF)) % 5]
            elif t == EV_GO_STATUS or t == EV_GO_STATUS_STACK:
                sf = np.int64((a2 >> np.uint64(32)) & np.uint64(0xFF))
                low = a2 & np.uint64(0xFFFFFFFF)
                sto = _GO_STATUS_TO_STATE[np.int64(low)] if low < np.uint64(5) else 0
            elif t == EV_GO_STOP or t == EV_GO_BLOCK:
                rs = _code(s_ids, s_set, code_of_idx, a0)
            if t_stack[t] == 1:
                ts = st
            elif t == EV_GO_CREATE or t == EV_GO_CREATE_BLOCKED:
                ts = a1
        resource_kind[i] = rk
        resource_id[i] = rid
        state_from[i] = sf
        state_to[i] = sto
        reason[i] = rs
        transition_stack_id[i] = ts
        name[i] = nm
        message[i] = msg
        value[i] = v
        value2[i] = v2
        task_id[i] = tk
        parent_task_id[i] = pt
    return nfix


# --- tracecount's counters -------------------------------------------------------------------


@njit(nogil=True, cache=True, _nrt=False)
def _set_add(h, x):
    """Add ``x`` to the open-addressing set ``h`` (column 0 keys, 1 used); True if new."""
    mask = h.shape[0] - 1
    i = _slot(h, x)
    while h[i, 1] != -1:
        if h[i, 0] == x:
            return False
        i = (i + 1) & mask
    h[i, 0] = x
    h[i, 1] = 0
    return True


@njit(nogil=True, cache=True, _nrt=False)
def set_rehash(old, new):
    """Insert every key of set ``old`` into the empty set ``new``."""
    for i in range(old.shape[0]):
        if old[i, 1] != -1:
            _set_add(new, old[i, 0])


@njit(nogil=True, cache=True, _nrt=False)
def _g_add(gbits, gset, sizes, g):
    """Add goroutine ``g`` to the goroutine set: a bitmap for IDs below ``8 * len(gbits)``
    (Go numbers goroutines densely from 1), the hash set ``gset`` above."""
    if g < np.int64(gbits.shape[0]) * 8:
        w = g >> 3
        b = np.uint8(1) << np.uint8(g & 7)
        if gbits[w] & b == 0:
            gbits[w] |= b
            sizes[0] += 1
    elif _set_add(gset, g):
        sizes[0] += 1
        sizes[4] += 1


@njit(nogil=True, cache=True, _nrt=False)
def count_chunk(kind, goroutine, proc, thread, rkind, sfrom, sto, reason, name, acc):
    """Add one :class:`EventTable` chunk to tracecount's counters ``acc``.

    ``acc`` = (kinds (16,), transitions (4, 8, 8) by resource kind/from/to, names
    (16, codes) by kind with GoStop/GoBlock reasons in row 15, touched (codes
    counted since the last flush, as ``kind << 32 | code``), goroutine bitmap,
    goroutine/proc/thread hash sets, sizes (distinct goroutines/procs/threads,
    touched count, goroutines in the hash set)). The caller keeps the sets at most
    half full, ``names`` as wide as the string table and ``touched`` as long as the
    chunk. :func:`count_rows` counts the same from the ordering kernel's rows.
    """
    kinds, trans, names, touched, gbits, gset, pset, mset, sizes = acc
    # Neighbouring events mostly share their context: a value equal to the previous
    # event's is already in its set (adding is idempotent), so skip the hash probe.
    lg = lp = lm = np.int64(-1)
    for i in range(kind.shape[0]):
        k = kind[i]
        kinds[k] += 1
        g, p, m = goroutine[i], proc[i], thread[i]
        if g != lg:
            lg = g
            if g >= 0:
                _g_add(gbits, gset, sizes, g)
        if p != lp:
            lp = p
            if p != -1 and _set_add(pset, p):
                sizes[1] += 1
        if m != lm:
            lm = m
            if m != -1 and _set_add(mset, m):
                sizes[2] += 1
        row = -1
        code = 0
        if k == 13:
            rk = rkind[i]
            trans[rk & 3, sfrom[i] & 7, sto[i] & 7] += 1
            if rk == 1 and reason[i] != 0:
                row = 15
                code = reason[i]
        elif k == 2 or k == 3 or k == 5 or k == 6 or k == 7 or k == 8 or k == 10 or k == 12:
            row = k
            code = name[i]
        elif k == 14:
            row = k
            code = name[i]
        if row >= 0:
            if names[row, code] == 0:
                touched[sizes[3]] = (np.int64(row) << 32) | np.int64(code)
                sizes[3] += 1
            names[row, code] += 1


@njit(nogil=True, cache=True, _nrt=False)
def _code_fast(code_map, s_ids, s_set, code_of_idx, sid):
    """:func:`_code` through the dense ``code_map`` (string code by ID) when there is one."""
    if code_map.shape[0] > 0:
        if sid < np.uint64(code_map.shape[0]):
            return code_map[np.int64(sid)]
        return 0
    return _code(s_ids, s_set, code_of_idx, sid)


@njit(nogil=True, cache=True, _nrt=False)
def count_rows(out, n, luts, s_ids, s_set, code_of_idx, code_map, acc, fix):  # noqa: C901
    """:func:`count_chunk` straight from :func:`order_generation`'s rows ``out[:n]``.

    ``stats`` needs no :class:`EventTable`: this computes only what tracecount
    counts, with :func:`build_columns`' rules (kind, transition resource kind and
    from/to states, GoStop/GoBlock reason, name codes). STW range names are
    formatted by Python: their rows go to ``fix``; returns how many.
    """
    o_typ, o_time, o_ctx, o_args, o_row, o_x = out
    kind_of, stack0, t_rk, t_from, t_to, t_target, t_stack, const_name = luts
    kinds, trans, names, touched, gbits, gset, pset, mset, sizes = acc
    nfix = 0
    lg = lp = lm = np.int64(-1)
    for j in range(n):
        t = o_typ[j]
        k = kind_of[t]
        kinds[k] += 1
        g, p, m = o_ctx[j, 0], o_ctx[j, 1], o_ctx[j, 2]
        if g != lg:
            lg = g
            if g >= 0:
                _g_add(gbits, gset, sizes, g)
        if p != lp:
            lp = p
            if p != -1 and _set_add(pset, p):
                sizes[1] += 1
        if m != lm:
            lm = m
            if m != -1 and _set_add(mset, m):
                sizes[2] += 1
        row = -1
        code = np.int64(0)
        if k == 13:  # StateTransition
            rk = np.int64(t_rk[t])
            sf, sto = np.int64(t_from[t]), np.int64(t_to[t])
            if t == EV_PROC_STEAL:
                sf = PS_IDLE if o_args[j, 3] == np.uint64(PROC_SYSCALL_ABANDONED) else PS_RUNNING
            elif t == EV_PROC_STATUS:
                sf = np.int64(o_args[j, 2] & np.uint64(0xFF))
                sto = _PROC_STATUS_TO_STATE[np.int64(o_args[j, 1] & np.uint64(0xFF)) % 5]
            elif t == EV_GO_STATUS or t == EV_GO_STATUS_STACK:
                a2 = o_args[j, 2]
                sf = np.int64((a2 >> np.uint64(32)) & np.uint64(0xFF))
                low = a2 & np.uint64(0xFFFFFFFF)
                sto = _GO_STATUS_TO_STATE[np.int64(low)] if low < np.uint64(5) else 0
            elif t == EV_GO_STOP or t == EV_GO_BLOCK:
                code = np.int64(_code_fast(code_map, s_ids, s_set, code_of_idx, o_args[j, 0]))
                if code != 0:
                    row = 15
            trans[rk & 3, sf & 7, sto & 7] += 1
        elif k == 2 or k == 14:  # Metric, Experimental: a constant name
            row = k
            code = np.int64(const_name[t])
        elif k == 5 or k == 6 or k == 7:  # ranges
            if t == EV_STW_BEGIN or t == EV_STW_END:
                fix[nfix] = j
                nfix += 1
            else:
                row = k
                code = np.int64(const_name[t])
        elif k == 3:  # Label
            row = k
            code = np.int64(_code_fast(code_map, s_ids, s_set, code_of_idx, o_args[j, 0]))
        elif k == 8:  # TaskBegin
            row = k
            code = np.int64(_code_fast(code_map, s_ids, s_set, code_of_idx, o_args[j, 2]))
        elif k == 10 or k == 12:  # RegionBegin, Log
            row = k
            code = np.int64(_code_fast(code_map, s_ids, s_set, code_of_idx, o_args[j, 1]))
        if row >= 0:
            if names[row, code] == 0:
                touched[sizes[3]] = (np.int64(row) << 32) | code
                sizes[3] += 1
            names[row, code] += 1
    return nfix
