"""The fast old-format parser: the whole trace at once, from the streaming kernels (L0).

:func:`parse_fast` returns the same :class:`V1Trace` as the reference port
(``_reference.parse``) for every trace Go's parser accepts, or None when a kernel
reports anything unusual (the caller then re-parses with the reference, which
words Go's error). It is :class:`~goroscope.format.v1.stream.V1Stream` with every
chunk kept: one implementation of Go's decode, merge, GoSysExit re-sort and
post-processing (``_stream``), checked against the reference here
(tests/v1/test_v1_twins.py) and in rounds against itself (tests/v1/test_v1_stream.py).

Differences from Go that cannot change an accepted trace's events: the batches are
indexed in file order instead of Go's load order, which only matters for the
numbering of UserLog messages (we number them by first appearance in the file) and
for which definition of a repeated stack ID or PC wins (never seen in real traces).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from goroscope.format.v1.columns import V1Trace
from goroscope.format.v1.stream import StreamDeclined, V1Stream

__all__ = ["parse_fast"]

#: merged rows per round of the stream (the output arrays hold every row anyway)
ROUND = 1 << 18


def parse_fast(
    data,
    version: int,
    start: int,
    *,
    sort_func: Callable[[list, Callable], None] | None = None,
) -> V1Trace | None:
    """Go's ``tracev1.Parse`` with the kernels; None if the reference must decide."""
    try:
        st = V1Stream(data, version, start, sort_func=sort_func)
        n = st.n_events
        cols = (np.empty(n, np.int64), np.empty(n, np.uint64), np.empty((n, 4), np.uint64),
                np.empty(n, np.uint32), np.empty(n, np.int32), np.empty(n, np.uint8),
                np.empty(n, np.int64))  # fmt: skip
        at = 0
        for ch in st.chunks(ROUND):
            k = len(ch)
            if at + k > n:
                return None
            for dst, src in zip(cols, (ch.ts, ch.g, ch.args, ch.stk, ch.p, ch.typ, ch.offset),
                                strict=True):  # fmt: skip
                dst[at : at + k] = src
            at += k
    except StreamDeclined:
        return None
    if at != n:
        return None
    ts, g, args, stk, p, typ, off = cols
    return dataclasses.replace(st.tables, ts=ts, g=g, args=args, stk=stk, p=p, typ=typ, offset=off)
