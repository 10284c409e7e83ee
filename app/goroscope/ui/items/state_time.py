"""Time per state inside a time range, summed over rows (Shift+drag's status line).

:func:`range_state_time` adds, for one row's sorted, non-overlapping spans, the ns
each state code spends inside ``[t0_ns, t1_ns]`` (spans clipped to it) to ``out``:
a numba kernel (binary search for the window, one pass over it, GIL released)
with a pure-Python twin :func:`range_state_time_py` (numpy, checked against the
kernel by tests). :func:`state_time_job` runs it over many rows as a
``goroscope.jobs`` job (cancel polled between rows and between chunks of a long
row), so a range over a 12 M-span goroutine never runs on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import NDArray

#: spans per kernel call inside a job (the cancel token is polled between calls)
CHUNK = 1 << 20


@njit(nogil=True, cache=True)
def _range_kernel(start_ns, end_ns, state, t0_ns, t1_ns, lo, hi, out):  # pragma: no cover
    n = out.shape[0]
    for i in range(lo, hi):
        a = start_ns[i] if start_ns[i] > t0_ns else t0_ns
        b = end_ns[i] if end_ns[i] < t1_ns else t1_ns
        s = state[i]
        if b > a and 0 <= s < n:
            out[s] += b - a


def _window(start_ns, end_ns, t0_ns: int, t1_ns: int) -> tuple[int, int]:
    """Indices ``[lo, hi)`` of the spans that may intersect ``[t0_ns, t1_ns]``."""
    return int(np.searchsorted(end_ns, t0_ns, "right")), int(np.searchsorted(start_ns, t1_ns))


def range_state_time(
    start_ns: NDArray[np.int64],
    end_ns: NDArray[np.int64],
    state: NDArray,
    t0_ns: int,
    t1_ns: int,
    out: NDArray[np.int64],
) -> None:
    """Add the ns per state code of the spans clipped to ``[t0_ns, t1_ns]`` to ``out``."""
    lo, hi = _window(start_ns, end_ns, t0_ns, t1_ns)
    if hi > lo:
        _range_kernel(start_ns, end_ns, state, np.int64(t0_ns), np.int64(t1_ns), lo, hi, out)


def range_state_time_py(
    start_ns: NDArray[np.int64],
    end_ns: NDArray[np.int64],
    state: NDArray,
    t0_ns: int,
    t1_ns: int,
    out: NDArray[np.int64],
) -> None:
    """Pure-Python (numpy) twin of :func:`range_state_time`."""
    lo, hi = _window(start_ns, end_ns, t0_ns, t1_ns)
    if hi <= lo:
        return
    d = (np.minimum(end_ns[lo:hi], t1_ns) - np.maximum(start_ns[lo:hi], t0_ns)).clip(0)
    st = state[lo:hi].astype(np.int64)
    ok = (st >= 0) & (st < len(out))
    out += np.bincount(st[ok], weights=d[ok], minlength=len(out))[: len(out)].astype(np.int64)


def state_time_job(
    rows: Sequence[tuple[NDArray[np.int64], NDArray[np.int64], NDArray]],
    t0_ns: int,
    t1_ns: int,
    n_states: int,
    *,
    cancel=None,
) -> NDArray[np.int64]:
    """ns per state code inside ``[t0_ns, t1_ns]`` over ``rows`` (``(start, end, state)``
    each); a ``goroscope.jobs`` job: polls ``cancel`` every :data:`CHUNK` spans."""
    out = np.zeros(n_states, np.int64)
    t0, t1 = int(t0_ns), int(t1_ns)
    for s, e, st in rows:
        if cancel is not None:
            cancel.raise_if_set()
        lo, hi = _window(s, e, t0, t1)
        for a in range(lo, hi, CHUNK):
            if cancel is not None:
                cancel.raise_if_set()
            _range_kernel(s, e, st, np.int64(t0), np.int64(t1), a, min(a + CHUNK, hi), out)
    return out
