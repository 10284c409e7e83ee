"""numba kernels decoding a span segment's start times (``SpanSegment.dt``) (L1).

What
----
:func:`starts_into` turns a segment's varint bytes back into span starts (the
first span of each goroutine slice relative to ``base``, then the gaps) in one
pass, and :func:`uvarints_into` decodes plain concatenated unsigned LEB128
varints. The coding is :func:`goroscope.model.timeline.encode_starts`; their
numpy twins are ``timeline.decode_starts_numpy`` / ``timeline.decode_uvarints_numpy``
(vectorised, ~90 ns per span at load 15 on the 2 shared cores: a dozen
temporaries per segment), which stay the definition and the fallback.

Why numba here
--------------
Every whole-trace pass over goroutine spans (the goroutine statistics job, proc
and thread rows, aggregate strips) decodes every segment; the varint loop is
byte-serial, which numpy can only express as one masked pass per byte position.
A straight loop writes each start once (a few ns per span). Like
``model/_order_kernel.py`` this is an exception to STYLE.md §5 (HACKING.md § Spans).

Contract
--------
Kernels do not allocate (the caller passes ``out``) and never read or write out of
bounds, whatever the bytes: :func:`starts_into` returns the number of bytes it
consumed, or -1 when ``g_off`` does not fit ``out`` or the bytes run out; the caller
then uses the numpy twin (its behaviour on bad input is the definition). Values
wrap modulo 2**64 exactly as the twin's ``uint64``/``int64`` arithmetic does.
``timeline.warm_up_kernels`` calls each kernel with the argument types the app uses.

How it is checked
-----------------
``tests/model/test_timeline_kernels.py``: kernel == twin on hypothesis-generated
values (1–10 byte varints, full 64-bit range, odd and even tokens, empty input)
and on every segment of the committed go1.22 and go1.27 traces.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def uvarints_into(b, out):
    """Decode the unsigned LEB128 varints in ``b`` into ``out`` (uint64, ``len(out) >=
    len(b)``); returns how many. Trailing bytes without a terminating byte (< 0x80) are
    ignored; bits past 64 are dropped (as the twin's shifts drop them)."""
    n = 0
    x = np.uint64(0)
    s = 0
    for i in range(b.shape[0]):
        c = b[i]
        if s < 64:
            x |= np.uint64(c & 0x7F) << np.uint64(s)
        if c < 0x80:
            out[n] = x
            n += 1
            x = np.uint64(0)
            s = 0
        else:
            s += 7
    return n


@njit(nogil=True, cache=True)
def starts_into(dt, g_off, out):
    """Decode span starts: ``out[g_off[i]:g_off[i+1]]`` ← slice ``i``'s cumulative gaps.

    A token ``t`` is the gap ``(t >> 1)`` when odd, ``(t >> 1) << 6`` when even; each
    slice's running sum restarts at 0. Returns the bytes consumed, -1 on bad input.
    """
    nb = dt.shape[0]
    n = out.shape[0]
    pos = 0
    for g in range(g_off.shape[0] - 1):
        lo = g_off[g]
        hi = g_off[g + 1]
        if lo < 0 or hi < lo or hi > n:
            return -1
        acc = np.int64(0)
        for r in range(lo, hi):
            if pos >= nb:
                return -1
            c = dt[pos]
            pos += 1
            if c < 0x80:  # one byte: most tokens
                x = np.uint64(c)
            else:
                x = np.uint64(c & 0x7F)
                s = 7
                while True:
                    if pos >= nb:
                        return -1
                    c = dt[pos]
                    pos += 1
                    if s < 64:
                        x |= np.uint64(c & 0x7F) << np.uint64(s)
                    if c < 0x80:
                        break
                    s += 7
            # odd: exact ns, even: 64 ns ticks (branch-free: 2 % odd, unpredictable)
            acc += np.int64(x >> np.uint64(1)) << (6 - 6 * np.int64(x & np.uint64(1)))
            out[r] = acc
    return pos
