"""L0: the Go execution-trace wire format (numpy + numba only, no Qt).

See ``../shared/research/format.md`` and the GOROOT's ``src/internal/trace``.

Public API (re-exported lazily so that importing this package, or the error
types, does not import numba)::

    TraceFile(path_or_bytes)                    # read-only mmap, context manager
    index_trace(tf) -> TraceIndex               # .batches: BatchIndex, .generations: GenerationIndex
    scan_batches(buf) -> BatchIndex
    decode_generation(tf, index, g, *, buffers=None, events=True,
                      event_errors="raise") -> Generation   # columns.py
    iter_event_chunks(tf, index, g, *, max_bytes=1 MiB, buffers=None, release=False)
    DecodeBuffers()                             # reusable outputs for streaming consumers
    raw_counts(tf_or_path) -> RawCounts         # == tracecount -raw -json
    string_at(tf, strings, id) -> str
    warm_up()                                   # call every kernel once (background job)
    TraceFormatError, UnsupportedVersionError, Version, EventType, EVENT_SPECS, specs_for
"""

# ruff: noqa: F401  (TYPE_CHECKING imports only name the lazy exports)
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "TraceFile": "tracefile",
    "index_trace": "index",
    "scan_batches": "index",
    "BatchIndex": "index",
    "GenerationIndex": "index",
    "TraceIndex": "index",
    "decode_generation": "decode",
    "iter_event_chunks": "decode",
    "DecodeBuffers": "decode",
    "raw_counts": "decode",
    "RawCounts": "decode",
    "string_at": "decode",
    "warm_up": "decode",
    "TraceFormatError": "errors",
    "UnsupportedVersionError": "errors",
    "Version": "version",
    "read_header": "version",
    "EventType": "spec",
    "EventSpec": "spec",
    "EVENT_SPECS": "spec",
    "specs_for": "spec",
    "EventColumns": "columns",
    "StringTable": "columns",
    "StackTable": "columns",
    "CPUSampleColumns": "columns",
    "ClockSnapshot": "columns",
    "Generation": "columns",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from goroscope.format.columns import (
        ClockSnapshot,
        CPUSampleColumns,
        EventColumns,
        Generation,
        StackTable,
        StringTable,
    )
    from goroscope.format.decode import (
        DecodeBuffers,
        RawCounts,
        decode_generation,
        iter_event_chunks,
        raw_counts,
        string_at,
        warm_up,
    )
    from goroscope.format.errors import TraceFormatError, UnsupportedVersionError
    from goroscope.format.index import (
        BatchIndex,
        GenerationIndex,
        TraceIndex,
        index_trace,
        scan_batches,
    )
    from goroscope.format.spec import EVENT_SPECS, EventSpec, EventType, specs_for
    from goroscope.format.tracefile import TraceFile
    from goroscope.format.version import Version, read_header


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'goroscope.format' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"goroscope.format.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
