"""What the old-format parser returns: Go's ``tracev1.Trace`` as columns (L0, purely data).

One row per event of Go's ``tracev1.Parse`` result, in its final order (merged
across Ps, ``GoSysExit`` times restored, stable-sorted by time), with the
fields of Go's ``tracev1.Event`` after post-processing (fake Ps for timers,
syscall exits, netpoll unblocks and GC; ``GoStart`` stacks taken from the
creation; stacks without frames dropped).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["V1Trace"]


@dataclass(frozen=True, slots=True)
class V1Trace:
    """Go's ``tracev1.Trace``.

    version : 11, 19 or 21 (the header's minor version)
    ticks_per_sec : the ``Frequency`` event's value
    ts : (n,) int64 — ns since the first event (Go: ``float64(ticks-min) * 1e9/freq``)
    g : (n,) uint64 — goroutine the event happened on (0 = none)
    args : (n, 4) uint64 — event-type-specific arguments (``Event.Args``)
    stk : (n,) uint32 — stack ID (0 = none)
    p : (n,) int32 — P (a real P, -1, or one of the fake Ps in ``spec``)
    typ : (n,) uint8 — v1 event type (``spec.EV``; the Local variants already renamed)
    offset : (n,) int64 — byte offset of the event in the file
    stack_ids : (s,) uint64 — IDs of the stacks with frames, ascending (Go's Stacks keys)
    stack_start, stack_n : (s,) int64, int32 — each stack's PCs in ``stack_pcs``
    stack_pcs : (f,) uint64 — PCs, leaf first
    pc, pc_fn, pc_file : (k,) uint64 — every PC (ascending) with its func and file string
        IDs at its first appearance (Go's PCs map); pc_line : (k,) int64
    strings : string ID -> bytes (the ``String`` dictionary)
    inline_strings : ``UserLog`` messages in order of first appearance (Go's InlineStrings)
    """

    version: int
    ticks_per_sec: int
    ts: NDArray[np.int64]
    g: NDArray[np.uint64]
    args: NDArray[np.uint64]
    stk: NDArray[np.uint32]
    p: NDArray[np.int32]
    typ: NDArray[np.uint8]
    offset: NDArray[np.int64]
    stack_ids: NDArray[np.uint64]
    stack_start: NDArray[np.int64]
    stack_n: NDArray[np.int32]
    stack_pcs: NDArray[np.uint64]
    pc: NDArray[np.uint64]
    pc_fn: NDArray[np.uint64]
    pc_file: NDArray[np.uint64]
    pc_line: NDArray[np.int64]
    strings: dict[int, bytes]
    inline_strings: list[bytes]

    def __len__(self) -> int:
        return int(self.ts.shape[0])
