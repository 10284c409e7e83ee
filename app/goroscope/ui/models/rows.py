"""Shared read-only row permutations for the panels' tables (no Qt; any thread).

:func:`identity_rows` is ``arange(n)`` as a read-only view of one cached array
(grown by doubling). A table that shows all its rows in source order keeps such a
view instead of a fresh array: a new 16–34 MB ``arange`` for a 2–4 M-row table cost
the GUI thread 16–35 ms of page faults per selected goroutine of the big trace. Jobs
that make big tables call it for their row count so the cache grows on their thread,
never on the GUI thread.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray

__all__ = ["identity_rows", "is_identity"]

_IDENTITY: list[NDArray[np.int64]] = [np.zeros(0, np.int64)]
_LOCK = threading.Lock()


def identity_rows(n: int) -> NDArray[np.int64]:
    """``arange(n)`` (int64), a read-only view of the shared cache."""
    base = _IDENTITY[0]
    if len(base) < n:
        with _LOCK:
            base = _IDENTITY[0]
            if len(base) < n:
                base = np.arange(max(n, 2 * len(base)), dtype=np.int64)
                base.flags.writeable = False
                _IDENTITY[0] = base
    return base[:n]


def is_identity(rows: NDArray) -> bool:
    """``rows`` is a view made by :func:`identity_rows` (so ``rows[i] == i``)."""
    return rows.base is not None and rows.base is _IDENTITY[0]
