"""The :class:`~goroscope.format.index.TraceIndex` of an old-format trace (L0).

An old (Go 1.11–1.21) trace has no generations and no sized batches: Go reads it
whole and converts it into one generation, so its index is one generation row
spanning the file after the header, with no batch rows (finding the per-P
batches needs a walk over every event: that is the parse itself). Times are
unknown until the parse (``first_ns``/``last_ns`` are 0). Readers that re-read
one generation standalone (``model.spans.DetailResolver``) then re-read the
whole trace, as Go would.
"""

from __future__ import annotations

import numpy as np

from goroscope.format.index import BatchIndex, GenerationIndex, TraceIndex
from goroscope.format.version import Version

__all__ = ["index_v1"]


def index_v1(file_size: int, version: int, header_size: int = 16) -> TraceIndex:
    """One generation ``[header_size, file_size)``, no batch rows, no error."""
    e64, eu, e8 = np.zeros(0, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint8)
    bi = BatchIndex(
        offset=e64, data_offset=e64, size=e64, gen=eu, thread=e64, base_time=eu, kind=e8,
        exp=e8, end_offset=int(file_size), error=None, truncated=False,
    )  # fmt: skip

    def col(v, dt):
        a = np.array([v], dt)
        a.flags.writeable = False
        return a

    gi = GenerationIndex(
        gen=col(1, np.uint64),
        batch_start=col(0, np.int64),
        batch_end=col(0, np.int64),
        byte_start=col(header_size, np.int64),
        byte_end=col(file_size, np.int64),
        freq=col(0, np.uint64),
        ns_per_tick=col(0.0, np.float64),
        has_freq=col(False, np.bool_),
        min_time=col(0, np.uint64),
        max_time=col(0, np.uint64),
        first_ns=col(0, np.int64),
        last_ns=col(0, np.int64),
        has_clock=col(False, np.bool_),
        clock_time=col(0, np.uint64),
        clock_mono=col(0, np.uint64),
        clock_sec=col(0, np.uint64),
        clock_nsec=col(0, np.uint64),
        complete=col(True, np.bool_),
        truncated=col(False, np.bool_),
        sync_status=col(0, np.int8),
        sync_offset=col(0, np.int64),
    )
    return TraceIndex(
        version=Version(version),
        header_size=header_size,
        file_size=int(file_size),
        batches=bi,
        generations=gi,
        error=None,
    )
