"""numba kernels that locate a generation's stacks and decode one stack on demand (L1).

What
----
:func:`scan_stacks` walks a generation's stack batches once and records, per stack,
its ID and the byte offset of its frame count, plus Go's one frame per PC (the
*first* frame seen with that PC in the generation, ``addStacks``) in a table of
distinct PCs. :func:`stack_rows` then decodes one stack's PCs straight from the
mapped file and maps each to its row in that table. Memory is 16 B per stack and
32 B per distinct PC, instead of 32 B per frame (a generation of 615 k distinct
20-frame stacks: 10 MB instead of 394 MB plus the decode buffers). Used by
:class:`goroscope.model.lazy_stacks.LazyStacks`.

Why numba here
--------------
The scan is byte-serial varint decoding over every stack batch (like the reader's
``decode_stack_firsts``), and :func:`stack_rows` runs once per distinct stack an
analysis resolves (a million in a hostile trace), where a Python varint loop costs
~25 µs per 20-frame stack. Like ``model/_timeline_kernels.py`` an exception to
STYLE.md §5.

Contract
--------
Kernels do not allocate (so they run with ``_nrt=False``: no reference counting of ``buf``
per ``_uv`` call) and never read or write out of bounds, whatever the bytes.
The reader has validated the batches these kernels read (Go's stack checks run in
``decode_generation``); on anything unexpected they return an error status and the
caller resolves no frames. :func:`scan_stacks_py` and :func:`stack_rows_py` are the
pure-Python twins (the definition).

How it is checked
-----------------
``tests/model/test_lazy_stacks.py``: kernel == twin on every generation of the
committed traces (every stack), on truncated and corrupted stack batches, and
``LazyStacks.frames`` == the eagerly decoded ``GenerationTables.frames`` for every
stack of every committed trace.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OK = 0
#: the PC table or its slots are full: call again with twice the room
RETRY = -1
#: malformed bytes (not a stack entry, a varint past the end or over 10 bytes, > cap)
BAD = 1
#: frames per stack at most (Go's ``MaxFramesPerStack``; the reader checked it)
MAX_FRAMES = 128


@njit(nogil=True, cache=True, _nrt=False)
def _uv(buf, pos, end):
    """(value, next pos) of the unsigned LEB128 varint at ``buf[pos:end]``; next pos -1 when
    it runs past ``end`` or is longer than 10 bytes."""
    x = np.uint64(0)
    s = np.uint64(0)
    for i in range(10):
        if pos + i >= end:
            return np.uint64(0), -1
        b = buf[pos + i]
        x |= np.uint64(b & 0x7F) << s
        if b < 0x80:
            return x, pos + i + 1
        s += np.uint64(7)
    return np.uint64(0), -1


@njit(nogil=True, cache=True, _nrt=False)
def _slot(pc, shift, mask):
    x = (pc ^ (pc >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return np.int64(((x * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)) >> shift) & mask


@njit(nogil=True, cache=True, _nrt=False)
def scan_stacks(buf, b_doff, b_size, ids, offs, slots, upc, uinfo, u0):
    """Locate the stacks of the batches ``b_doff``/``b_size`` (data offsets and sizes).

    ids, offs : (cap,) uint64 / int64 out — stack ID and byte offset of its frame count,
        in file order
    slots : (power of two,) int64, zeroed — open-addressing table of ``upc`` row + 1
    upc, uinfo : (ucap,) uint64 / (ucap, 3) uint64 out — each distinct PC and its first
        frame's func string ID, file string ID, line, in order of appearance
    u0 : distinct PCs already in ``upc``/``slots`` (a scan continued batch by batch)

    Returns (stacks, distinct PCs in all, status): ``OK``, ``RETRY`` (slots more than half
    full or ``upc`` full) or ``BAD``.
    """
    n_buf = buf.shape[0]
    cap = ids.shape[0]
    ucap = upc.shape[0]
    mask = slots.shape[0] - 1
    bits = 0
    while (1 << bits) < slots.shape[0]:
        bits += 1
    shift = np.uint64(max(32 - bits, 0))
    j = 0
    u = u0
    for bi in range(b_doff.shape[0]):
        pos = b_doff[bi] + 1  # the EvStacks byte
        end = min(b_doff[bi] + b_size[bi], n_buf)
        while pos < end:
            if buf[pos] != 3:
                return j, u, BAD
            sid, pos = _uv(buf, pos + 1, end)
            if pos < 0 or j >= cap:
                return j, u, BAD
            off = pos
            nf, pos = _uv(buf, pos, end)
            if pos < 0 or nf > np.uint64(MAX_FRAMES):
                return j, u, BAD
            for _k in range(np.int64(nf)):
                pc, pos = _uv(buf, pos, end)
                if pos < 0:
                    return j, u, BAD
                fn, pos = _uv(buf, pos, end)
                if pos < 0:
                    return j, u, BAD
                fl, pos = _uv(buf, pos, end)
                if pos < 0:
                    return j, u, BAD
                ln, pos = _uv(buf, pos, end)
                if pos < 0:
                    return j, u, BAD
                h = _slot(pc, shift, mask)
                while True:
                    r = slots[h]
                    if r == 0:
                        if 2 * (u + 1) > slots.shape[0] or u >= ucap:
                            return j, u, RETRY
                        slots[h] = u + 1
                        upc[u] = pc
                        uinfo[u, 0] = fn
                        uinfo[u, 1] = fl
                        uinfo[u, 2] = ln
                        u += 1
                        break
                    if upc[r - 1] == pc:
                        break
                    h = (h + 1) & mask
            ids[j] = sid
            offs[j] = off
            j += 1
    return j, u, OK


@njit(nogil=True, cache=True, _nrt=False)
def stack_rows(buf, ids, offs, stack_id, pcs, rows):
    """Rows into ``pcs`` (sorted distinct PCs) of the frames of stack ``stack_id``, leaf
    first, written to ``rows`` (at least ``MAX_FRAMES`` long).

    ids, offs : sorted stack IDs and the offset of each one's frame count. Returns the
    number of frames, 0 for an unknown ID, -1 for malformed bytes or a PC not in ``pcs``.
    """
    n = ids.shape[0]
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if ids[mid] < stack_id:
            lo = mid + 1
        else:
            hi = mid
    if lo >= n or ids[lo] != stack_id:
        return 0
    end = buf.shape[0]
    nf, pos = _uv(buf, offs[lo], end)
    if pos < 0 or nf > np.uint64(MAX_FRAMES) or np.int64(nf) > rows.shape[0]:
        return -1
    npc = pcs.shape[0]
    for k in range(np.int64(nf)):
        pc, pos = _uv(buf, pos, end)
        if pos < 0:
            return -1
        for _s in range(3):  # func, file, line: the PC's first frame has them
            _, pos = _uv(buf, pos, end)
            if pos < 0:
                return -1
        a = 0
        b = npc
        while a < b:
            mid = (a + b) >> 1
            if pcs[mid] < pc:
                a = mid + 1
            else:
                b = mid
        if a >= npc or pcs[a] != pc:
            return -1
        rows[k] = a
    return np.int64(nf)


# --- pure-Python twins (the definition) ------------------------------------------------------


def _uv_py(buf, pos: int, end: int) -> tuple[int, int]:
    x = 0
    for i in range(10):
        if pos + i >= end:
            return 0, -1
        b = int(buf[pos + i])
        x |= (b & 0x7F) << (7 * i)
        if b < 0x80:
            return x & ((1 << 64) - 1), pos + i + 1
    return 0, -1


def scan_stacks_py(buf, b_doff, b_size, cap: int, ucap: int):
    """Twin of :func:`scan_stacks` with unbounded tables except ``cap`` stacks and ``ucap``
    PCs (``RETRY`` when more PCs than ``ucap``): (ids, offs, upc, uinfo, status)."""
    ids: list[int] = []
    offs: list[int] = []
    first: dict[int, tuple[int, int, int]] = {}
    n_buf = len(buf)

    def out(status):
        upc = list(first)
        return ids, offs, upc, [first[p] for p in upc], status

    for doff, size in zip(list(b_doff), list(b_size), strict=True):
        pos, end = int(doff) + 1, min(int(doff) + int(size), n_buf)
        while pos < end:
            if int(buf[pos]) != 3:
                return out(BAD)
            sid, pos = _uv_py(buf, pos + 1, end)
            if pos < 0 or len(ids) >= cap:
                return out(BAD)
            off = pos
            nf, pos = _uv_py(buf, pos, end)
            if pos < 0 or nf > MAX_FRAMES:
                return out(BAD)
            for _ in range(nf):
                vals = []
                for _f in range(4):
                    v, pos = _uv_py(buf, pos, end)
                    if pos < 0:
                        return out(BAD)
                    vals.append(v)
                if vals[0] not in first:
                    if len(first) >= ucap:
                        return out(RETRY)
                    first[vals[0]] = (vals[1], vals[2], vals[3])
            ids.append(sid)
            offs.append(off)
    return out(OK)


def stack_rows_py(buf, ids, offs, stack_id: int, pcs) -> list[int] | None:
    """Twin of :func:`stack_rows`: the rows, ``[]`` for an unknown ID, None when malformed."""
    i = int(np.searchsorted(ids, np.uint64(stack_id)))
    if i >= len(ids) or int(ids[i]) != stack_id:
        return []
    end = len(buf)
    nf, pos = _uv_py(buf, int(offs[i]), end)
    if pos < 0 or nf > MAX_FRAMES:
        return None
    rows = []
    for _ in range(nf):
        pc, pos = _uv_py(buf, pos, end)
        if pos < 0:
            return None
        for _s in range(3):
            _, pos = _uv_py(buf, pos, end)
            if pos < 0:
                return None
        a = int(np.searchsorted(pcs, np.uint64(pc)))
        if a >= len(pcs) or int(pcs[a]) != pc:
            return None
        rows.append(a)
    return rows
