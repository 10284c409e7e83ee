"""Decoded columns of one generation: the contract between the wire layer and the model.

Purely data (like x/exp's ``generation``): frozen dataclasses holding read-only
numpy arrays, no parse state. ``goroscope.format.decode`` fills them from the
mmap one generation at a time; ``goroscope.model.order`` reads them.

Conventions (see ``../shared/research/format.md``):

* IDs that Go writes as ``2^64-1`` ("none": NoThread, NoProc) are stored as
  ``-1`` in int64 columns; args keep the raw uint64 value.
* ``time_ns`` is Go's conversion exactly: per generation
  ``ns_per_tick = 1.0 / (freq / 1e9)``, ``mul(t) = int64(float64(t) * ns_per_tick)``;
  per M, walking that M's batches in file order, at each batch start
  ``last = mul(batch.time)`` and for each event ``time = mul(dt) + last; last = time``.
  No ordering and no +1 ns fix-up happen here (those belong to the model).
* Events are stored in **file order**: batches in the order they appear in the
  file, events in batch order. The events of one M are the rows with that
  ``thread``, already in that M's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: Max args of a timed event after ``dt`` (Go's MaxTimedEventArgs = 5 includes dt).
MAX_ARGS = 4


@dataclass(frozen=True, slots=True)
class EventColumns:
    """Timed events of the M (event) batches of one generation, in file order.

    ev_type : (n,) uint8 — wire event type (``spec.EventType``)
    time_ns : (n,) int64 — Go's tick→ns conversion (see module doc), absolute trace-clock ns
    thread : (n,) int64 — M of the event's batch; -1 for NoThread batches
    batch : (n,) int32 — index of the event's batch in the trace's ``BatchIndex``
    args : (n, MAX_ARGS) uint64 — the event's args after ``dt``, zero-padded
    offset : (n,) int64 — byte offset of the event's type byte in the file
    """

    ev_type: NDArray[np.uint8]
    time_ns: NDArray[np.int64]
    thread: NDArray[np.int64]
    batch: NDArray[np.int32]
    args: NDArray[np.uint64]
    offset: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.ev_type.shape[0])


@dataclass(frozen=True, slots=True)
class StringTable:
    """Strings of one generation; the text stays in the mmap.

    ids : (k,) uint64 — string IDs, ascending, unique (ID 0 = "" is implicit, never stored)
    offset : (k,) int64 — file offset of the string's bytes
    length : (k,) int32 — byte length (≤ 1 KiB)
    """

    ids: NDArray[np.uint64]
    offset: NDArray[np.int64]
    length: NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class StackTable:
    """Stacks of one generation.

    ids : (s,) uint64 — stack IDs, ascending, unique (ID 0 = empty stack is implicit)
    frame_start : (s,) int64 — first row of the stack in ``frames``
    nframes : (s,) int32 — number of frames (≤ 128), leaf first
    frames : (f, 4) uint64 — pc, func string ID, file string ID, line; (0, 4) when
        decoded with ``decode_generation(..., frames=False)``
    """

    ids: NDArray[np.uint64]
    frame_start: NDArray[np.int64]
    nframes: NDArray[np.int32]
    frames: NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class CPUSampleColumns:
    """CPU samples of one generation, in file order (Go sorts them by time when ordering).

    time_ns : (c,) int64 — ``mul(sample.time)`` (absolute ticks converted)
    thread, proc, goroutine : (c,) int64 — -1 for none (goroutine 0 on the wire means none)
    stack_id : (c,) uint64
    """

    time_ns: NDArray[np.int64]
    thread: NDArray[np.int64]
    proc: NDArray[np.int64]
    goroutine: NDArray[np.int64]
    stack_id: NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class ClockSnapshot:
    """Go 1.25+ per-generation clock snapshot (``EvClockSnapshot``)."""

    trace_ns: int  # mul(sync_batch.time + dt)
    mono_ns: int
    wall_sec: int
    wall_nsec: int


@dataclass(frozen=True, slots=True)
class Generation:
    """Everything decoded from one generation: purely data.

    gen : the generation number as written (may start above 1)
    freq : trace clock ticks per second (``EvFrequency``)
    min_time_ns : ``mul(min header time over all batches)`` — the time of this generation's Sync
    clock : the clock snapshot (Go 1.25+), else None
    experimental : ((experiment id, thread, data offset, data length), ...) per experimental batch
    event_errors : ((thread, message, byte offset), ...) — only with
        ``decode_generation(..., event_errors="per_thread")``: Go decodes an M's events
        lazily, so a malformed event fails only that M's cursor; its events before the
        bad one are kept and its later events dropped (message in Go's words). Empty
        otherwise (the default raises instead). Added after the first contract; defaulted.

    ``events`` is empty when decoded with ``decode_generation(..., events=False)`` (tables
    only; stream the events with ``decode.iter_event_chunks``). With
    ``decode_generation(..., buffers=DecodeBuffers())`` every array is a read-only view into
    reused buffers, overwritten by the next decode with the same buffers: copy what you keep.
    """

    gen: int
    freq: int
    min_time_ns: int
    events: EventColumns
    strings: StringTable
    stacks: StackTable
    cpu_samples: CPUSampleColumns
    clock: ClockSnapshot | None
    experimental: tuple[tuple[int, int, int, int], ...]
    event_errors: tuple[tuple[int, str, int], ...] = ()
