"""One generation's stacks located in the mapped file and decoded one at a time (L1).

What
----
:class:`LazyStacks` is what a reader keeps of a generation's stack table when its
consumers resolve only some stacks, each once (the summary's start functions, the
blocking profiles' stacks, the timeline's goroutine names): per stack its ID and the
byte offset of its frames (16 B), and Go's one frame per PC (``addStacks``: the first
frame with that PC in the generation; 32 B per distinct PC). :meth:`LazyStacks.frames`
decodes a stack from the file when asked and returns exactly what
``GenerationTables.frames`` returns for the eagerly decoded table. The eager table
costs 32 B per *frame* for the whole pass: a million distinct 20-frame stacks held
~2 GB (README § Hostile input).

Invariants
----------
* Built from bytes the reader has validated (``decode_generation`` ran Go's stack
  checks on them first); on anything unexpected it resolves no frames (``[]``) rather
  than raising. Reading is bounded by the buffer.
* Holds a view of the buffer: the mapping stays alive while a ``LazyStacks`` does.
* Mapped pages count in RSS (HACKING.md § Memory): a generation of 615 k distinct
  stacks has 107 MB of stack batches, paged in by the reader's decode, this scan and
  the lookups. When ``buf`` views a file mapping, the scan drops each 8 MB it read and
  the lookups' pages are dropped every 256 lookups (records are in hash order: one
  lookup maps a page and its 64 KB fault-around);
  :class:`TablePages` drops what the reader's decode paged in (consumers call it per
  chunk). Dropped pages come back from the page cache when read again.

Kernels: ``model/_stack_kernels.py`` (with their pure-Python twins, ``engine="reference"``).
"""

from __future__ import annotations

import contextlib
import mmap

import numpy as np
from numpy.typing import NDArray

from goroscope.model import _stack_kernels as K

__all__ = ["LazyStacks", "TablePages"]

_PIECE = 8 << 20  # bytes of stack batches scanned between page drops
#: lookups between page drops: the runtime writes stack records in hash order, so each
#: lookup faults in a page of its own, plus the kernel's fault-around (64 KB): ~16 MB
_LOOKUPS_PER_DROP = 256
_KIND_EVENTS = 0  # goroscope.format._kernels.KIND_EVENTS (an M's event batch)
_KIND_STACKS = 2  # goroscope.format._kernels.KIND_STACKS (batch kind of an EvStacks batch)


class LazyStacks:
    """The stacks of generation row ``g`` of ``index`` in ``buf`` (a uint8 array).

    strings : the generation's wire string ID → text (frames' func and file names)
    engine : ``"fast"`` (numba kernels) or ``"reference"`` (their twins)
    """

    __slots__ = ("_buf", "_ids", "_offs", "_pcs", "_frame", "_fast", "n_stacks", "_mm",
                 "_ranges", "_every", "_resolved")  # fmt: skip

    def __init__(self, buf: NDArray[np.uint8], index, g: int, strings: dict[int, str],
                 *, engine: str = "fast") -> None:  # fmt: skip
        gi, bi = index.generations, index.batches
        a, b = int(gi.batch_start[g]), int(gi.batch_end[g])
        sel = np.flatnonzero(bi.kind[a:b] == _KIND_STACKS) + a
        doff = np.ascontiguousarray(bi.data_offset[sel], np.int64)
        size = np.ascontiguousarray(bi.size[sel], np.int64)
        cap = int(size.sum()) // 3 + 1  # an entry takes at least 3 bytes
        self._fast = engine == "fast"
        self._mm = _mapping(buf)
        self._ranges = _ranges(doff, size)
        if self._fast:
            ids, offs, upc, uinfo, status = self._scan(buf, doff, size, cap)
        else:
            ids_l, offs_l, upc_l, uinfo_l, status = K.scan_stacks_py(buf, doff, size, cap, 1 << 62)
            ids, offs = np.array(ids_l, np.uint64), np.array(offs_l, np.int64)
            upc = np.array(upc_l, np.uint64)
            uinfo = np.array(uinfo_l, np.uint64).reshape(-1, 3)
        if status != K.OK:  # the reader would have refused these bytes: resolve nothing
            ids, offs = np.zeros(0, np.uint64), np.zeros(0, np.int64)
            upc, uinfo = np.zeros(0, np.uint64), np.zeros((0, 3), np.uint64)
        order = np.argsort(ids, kind="stable")
        self._ids = ids[order]
        self._offs = offs[order]
        porder = np.argsort(upc, kind="stable")
        self._pcs = upc[porder]
        uinfo = uinfo[porder]
        self._frame = [
            (pc, strings.get(fn, ""), strings.get(fl, ""), ln)
            for pc, (fn, fl, ln) in zip(self._pcs.tolist(), uinfo.tolist(), strict=True)
        ]
        self._buf = buf
        self.n_stacks = int(self._ids.shape[0])
        self._every = _LOOKUPS_PER_DROP
        self._resolved = 0

    def _scan(self, buf, doff, size, cap):
        ids = np.empty(cap, np.uint64)
        offs = np.empty(cap, np.int64)
        # in pieces of ~8 MB of batches, each piece's pages dropped once read
        ends = np.cumsum(size)
        cuts = [0, *np.flatnonzero(np.diff(ends // _PIECE) > 0) + 1, len(size)]
        room = 1 << 12
        while True:
            upc = np.empty(room // 2, np.uint64)
            uinfo = np.empty((room // 2, 3), np.uint64)
            slots = np.zeros(room, np.int64)
            n = nu = 0
            status = K.OK
            for a, b in zip(cuts[:-1], cuts[1:], strict=True):
                if a == b:
                    continue
                k, nu, status = K.scan_stacks(buf, doff[a:b], size[a:b], ids[n:], offs[n:],
                                              slots, upc, uinfo, nu)  # fmt: skip
                n += k
                self._drop(int(doff[a]), int(doff[b - 1] + size[b - 1]))
                if status != K.OK:
                    break
            if status != K.RETRY:
                break
            room *= 2
        # copies: the scratch arrays are sized by the batches, not by what was found
        return ids[:n].copy(), offs[:n].copy(), upc[:nu].copy(), uinfo[:nu].copy(), status

    def _drop(self, start: int, end: int) -> None:
        """Drop the mapped pages of ``[start, end)`` from RSS (no-op unless a file mapping)."""
        mm = self._mm
        if mm is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        page = mmap.PAGESIZE
        a = max(0, start) // page * page
        with contextlib.suppress(OSError, ValueError):
            b = min(end, len(mm))
            if b > a:
                mm.madvise(mmap.MADV_DONTNEED, a, b - a)

    def frames(self, stack_id: int) -> list[tuple[int, str, str, int]]:
        """``[(pc, func, file, line), ...]`` of a stack, leaf first; ``[]`` for 0 or unknown."""
        stack_id = int(stack_id)
        if stack_id <= 0 or stack_id >= 1 << 64 or self.n_stacks == 0:
            return []
        self._resolved += 1
        if self._resolved % self._every == 0:  # the lookups' pages: a bounded number resident
            for a, b in self._ranges:
                self._drop(a, b)
        if self._fast:
            out = np.empty(K.MAX_FRAMES, np.int64)  # per call: callers may share a table
            n = K.stack_rows(self._buf, self._ids, self._offs, np.uint64(stack_id), self._pcs, out)
            if n <= 0:
                return []
            rows = out[:n].tolist()
        else:
            rows = K.stack_rows_py(self._buf, self._ids, self._offs, stack_id, self._pcs)
            if not rows:
                return []
        f = self._frame
        return [f[r] for r in rows]

    @property
    def nbytes(self) -> int:
        """Bytes held (besides the mapped file): IDs, offsets and the per-PC frames."""
        return int(self._ids.nbytes + self._offs.nbytes + self._pcs.nbytes) + 80 * len(self._frame)


def _ranges(doff: NDArray[np.int64], size: NDArray[np.int64]) -> list[tuple[int, int]]:
    """The batches' byte ranges, adjacent ones merged (the runtime writes a generation's
    stack batches one after another)."""
    out: list[tuple[int, int]] = []
    for a, n in zip(doff.tolist(), size.tolist(), strict=True):
        if out and out[-1][1] >= a - 64:  # the next batch's header in between
            out[-1] = (out[-1][0], a + n)
        else:
            out.append((a, a + n))
    return out


class TablePages:
    """Drops the mapped pages of generations' table batches (strings, stacks, CPU samples)
    from RSS; ``tf`` a :class:`~goroscope.format.TraceFile` (``release_pages``), ``index``
    its generation index.

    A streaming consumer calls :meth:`release` for the generation of each chunk and the
    next one (the reader decodes that one ahead): the pages come back from the page cache
    when a stack is looked up again, so at most one chunk's lookups stay resident.
    """

    def __init__(self, tf, index) -> None:
        self._tf = tf
        self._index = index
        self._ranges: dict[int, list[tuple[int, int]]] = {}

    def release(self, g: int) -> None:
        """Drop generation row ``g``'s table pages (nothing for a row out of range)."""
        gi, bi = self._index.generations, self._index.batches
        if not 0 <= g < len(gi):
            return
        r = self._ranges.get(g)
        if r is None:
            a, b = int(gi.batch_start[g]), int(gi.batch_end[g])
            sel = np.flatnonzero(bi.kind[a:b] != _KIND_EVENTS) + a
            r = _ranges(bi.data_offset[sel].astype(np.int64), bi.size[sel].astype(np.int64))
            self._ranges[g] = r
        for lo, hi in r:
            self._tf.release_pages(lo, hi)


def _mapping(buf) -> mmap.mmap | None:
    """The file mapping ``buf`` views (a TraceFile's ``buf``), else None."""
    b = buf
    for _ in range(8):
        b = b.obj if isinstance(b, memoryview) else getattr(b, "base", None)
        if b is None:
            return None
        if isinstance(b, mmap.mmap):
            return b
    return None
