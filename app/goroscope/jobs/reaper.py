"""Reaper: frees retired data (old snapshots, dropped caches) off the GUI thread.

What
----
Replacing a loading snapshot drops the last reference to the previous one, and
its big arrays go with it: on the 450 MB trace 0.4–1.8 GB of arrays per swap
late in the load, hundreds of MB of them touched pages (the prepared rows of
long-lived goroutines and processors, whole-row copies a newer snapshot extends;
the builder's copy-on-write column copies the old snapshot was the last to
view; per-goroutine layout arrays; HACKING.md § Explorer). numpy's
dealloc returns that memory with ``free`` → ``munmap`` while holding the GIL,
and unmapping touched pages is the expensive part: 43–65 ms of GUI-thread CPU
per swap there (60 ms per 800 MB measured in isolation). Dropping the reference
on another thread alone would move the ``munmap`` there but still hold the GIL
for all of it, so the GUI thread would wait just as long.

How
---
:func:`retire` (any thread; the GUI calls it) only appends the object to a
queue. The reaper thread takes it once it holds the *last* reference (the
retiring code drops its own a moment later; waited for, bounded), then

1. walks the object graph (``gc.get_referents``, ndarray ``base`` chains; never
   into functions, classes, modules or Qt wrappers) and collects the arrays
   that own ≥ ``min_bytes`` of memory numpy allocated with its default
   allocator, keeping a reference to each;
2. drops the graph (views, tuples, dicts: cheap; the owners stay alive);
3. for each owner whose reference count shows that *nothing but the reaper*
   references it — no live view, no live snapshot, no builder column — releases
   its pages with ``madvise(MADV_DONTNEED)`` in ``chunk_bytes`` pieces through
   ctypes (a foreign call: the GIL is released meanwhile), then drops it: the
   ``munmap`` that follows finds no pages left and costs microseconds. An owner
   still referenced elsewhere is only dropped (someone live uses its pages:
   they are never touched).

NOTE: the reference count is the same test the span model's copy-on-write
columns use (HACKING.md § Analyses, "The span model build"): numpy views
reference the array that owns the memory however derived, so a count of one
(ours) means no view exists. Only the page-aligned interior of an array's own
data is released, never the page holding the allocator's chunk header.

What we deliberately don't do: walk the graph on the GUI thread (tens of ms on
big snapshots), or release arrays we cannot prove unreferenced. Retire only pure
data (numpy, tuples, dicts, dataclasses): a Qt object found in the graph is not
walked into, and its Python wrapper would be dropped on the reaper thread.

Layer: jobs (no Qt). Platforms without ``madvise`` (not Linux) just drop the
reference on the reaper thread.
"""

from __future__ import annotations

import ctypes
import gc
import mmap
import os
import queue
import sys
import threading
import time
import types
from dataclasses import dataclass

import numpy as np

try:  # numpy >= 2
    from numpy._core.multiarray import get_handler_name
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core.multiarray import get_handler_name

#: Arrays owning at least this many bytes are released page by page.
MIN_BYTES = 1 << 20
#: madvise this many bytes per foreign call.
CHUNK_BYTES = 16 << 20
#: How long the reaper waits for the retiring code to drop its own references (s).
WAIT_S = 2.0
_MADV_DONTNEED = 4
_PAGE = mmap.PAGESIZE
#: Never walked into: code and namespaces reach the whole program.
_OPAQUE = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
    types.FrameType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    str,
    bytes,
    int,
    float,
    complex,
    bool,
    type(None),
)


def _libc_madvise():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


_madvise = _libc_madvise()


@dataclass
class ReaperStats:
    """What the reaper did (counters; read from any thread)."""

    retired: int = 0  #: objects handed to :func:`retire`
    reaped: int = 0  #: of them processed
    released_buffers: int = 0  #: owners whose pages were released, then freed here
    released_bytes: int = 0
    shared_buffers: int = 0  #: owners still referenced elsewhere (left alone)
    late: int = 0  #: objects still referenced elsewhere when the wait ran out


def release_pages(a: np.ndarray, chunk_bytes: int = CHUNK_BYTES) -> int:
    """Give the pages of ``a``'s data back to the kernel (``MADV_DONTNEED``); bytes released.

    ``a`` must own its memory (``base is None``) and nothing else may read it
    afterwards: the released pages read as zeros. Only whole pages inside the
    data are released (the allocator's header before it stays). The GIL is
    released during each call. Returns 0 where ``madvise`` is not available.
    """
    if _madvise is None or a.nbytes < _PAGE:
        return 0
    p = a.ctypes.data
    lo = -(-p // _PAGE) * _PAGE
    hi = (p + a.nbytes) // _PAGE * _PAGE
    done = 0
    step = max(_PAGE, chunk_bytes // _PAGE * _PAGE)
    while lo + done < hi:
        n = min(step, hi - lo - done)
        if _madvise(lo + done, n, _MADV_DONTNEED) != 0:
            break
        done += n
    return done


def _owner(a: np.ndarray) -> np.ndarray | None:
    """The array owning ``a``'s memory if numpy allocated it (else None)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    if a.base is not None or not a.flags.owndata:
        return None
    if not (a.flags.c_contiguous or a.flags.f_contiguous):
        return None
    return a


def big_owners(root: object, min_bytes: int = MIN_BYTES, yield_every: int = 2000) -> list:
    """The arrays owning ≥ ``min_bytes`` of numpy-allocated memory reachable from ``root``.

    Pure; any thread. Sleeps for 0 s every ``yield_every`` objects so other
    threads get the GIL.
    """
    seen: set[int] = set()
    found: dict[int, np.ndarray] = {}
    stack = [root]
    n = 0
    while stack:
        o = stack.pop()
        if isinstance(o, _OPAQUE) or id(o) in seen:
            continue
        seen.add(id(o))
        n += 1
        if n % yield_every == 0:
            time.sleep(0)
        if isinstance(o, np.ndarray):
            own = _owner(o)
            if own is not None:
                if own.nbytes >= min_bytes and get_handler_name(own) == "default_allocator":
                    found[id(own)] = own
            elif o.base is not None and not isinstance(o.base, np.ndarray):
                stack.append(o.base)
            else:
                b = o
                while isinstance(b.base, np.ndarray):
                    b = b.base
                if b.base is not None:
                    stack.append(b.base)
            continue
        mod = type(o).__module__ or ""
        if mod.startswith(("PySide6", "shiboken", "pyqtgraph")):
            continue
        stack.extend(gc.get_referents(o))
    return list(found.values())


class Reaper:
    """A thread that frees retired objects (see module doc). ``retire`` is thread-safe."""

    def __init__(
        self,
        *,
        min_bytes: int = MIN_BYTES,
        chunk_bytes: int = CHUNK_BYTES,
        wait_s: float = WAIT_S,
        name: str = "goroscope-reaper",
    ) -> None:
        self.min_bytes = int(min_bytes)
        self.chunk_bytes = int(chunk_bytes)
        self.wait_s = float(wait_s)
        self.stats = ReaperStats()
        self._q: queue.Queue = queue.Queue()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def retire(self, obj: object) -> None:
        """Hand ``obj`` over (any thread): it is freed here once only the reaper holds it."""
        if obj is None:
            return
        with self._idle:
            self._busy += 1
            self.stats.retired += 1
        self._q.put((time.monotonic() + self.wait_s, obj))

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything retired so far is processed (tests, shutdown)."""
        end = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _run(self) -> None:
        pending: list = []  # (deadline, obj) still referenced by the retiring code
        while True:
            try:
                item = self._q.get(timeout=0.005 if pending else None)
            except queue.Empty:
                item = None
            if item is not None:
                pending.append(item)
                del item
            now = time.monotonic()
            keep = []
            while pending:
                deadline, obj = pending.pop()
                # references: `obj` here and getrefcount's argument
                if sys.getrefcount(obj) > 2 and now < deadline:
                    keep.append((deadline, obj))
                    del obj
                    continue
                if sys.getrefcount(obj) > 2:
                    self.stats.late += 1
                box = [obj]
                del obj  # _reap must hold the only reference while it checks the owners
                try:
                    self._reap(box)
                except Exception:  # noqa: BLE001 - never let the reaper die
                    box.clear()
                with self._idle:
                    self._busy -= 1
                    self.stats.reaped += 1
                    if not self._busy:
                        self._idle.notify_all()
            pending = keep
            del keep

    def _reap(self, box: list) -> None:
        """Release what ``box``'s one object exclusively owns, then drop it (the only reference)."""
        owners = big_owners(box[0], self.min_bytes)
        box.clear()  # the graph goes: views, tuples, dicts (cheap); the owners stay alive
        while owners:
            a = owners.pop()
            # references: `a` here and getrefcount's argument — no view, nobody else
            if sys.getrefcount(a) == 2:
                n = release_pages(a, self.chunk_bytes)
                self.stats.released_buffers += 1
                self.stats.released_bytes += n
            else:
                self.stats.shared_buffers += 1
            del a


_ENABLED = os.environ.get("GOROSCOPE_REAPER", "1") != "0"
_reaper: Reaper | None = None
_lock = threading.Lock()


def default_reaper() -> Reaper:
    """The process-wide reaper (started on first use)."""
    global _reaper
    with _lock:
        if _reaper is None:
            _reaper = Reaper()
        return _reaper


def retire(obj: object) -> None:
    """Free ``obj`` on the process-wide reaper thread (see module doc). Any thread.

    ``GOROSCOPE_REAPER=0`` in the environment turns it off (the caller's last reference
    then frees ``obj`` where it drops it, as before: for A/B measurements).
    """
    if _ENABLED:
        default_reaper().retire(obj)


def flush(timeout: float = 10.0) -> bool:
    """Wait for the process-wide reaper (no-op when it never started)."""
    r = _reaper
    return True if r is None else r.flush(timeout)
