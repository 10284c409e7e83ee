"""L0: the old (Go 1.11–1.21, per-P batch) trace format: header, batches, events, strings, stacks.

``parse(data, version, start) -> V1Trace`` is Go's ``tracev1.Parse``
(GOROOT ``src/internal/trace/internal/tracev1``): the whole file at once, as
Go reads it. ``stream.V1Stream`` gives the same rows in rounds without holding
them all. ``goroscope.model._v1convert`` turns the result into Go's v2 event
stream. numpy and numba only; no model imports. See HACKING.md § Old format (v1).
"""

from __future__ import annotations

from goroscope.format.errors import UnsupportedVersionError
from goroscope.format.v1.columns import V1Trace

__all__ = ["V1_HEADERS", "V1Trace", "is_v1", "parse", "parse_header"]

#: the headers of the old format (Go 1.11–1.18 write 1.11, Go 1.19–1.20 write 1.19)
V1_HEADERS = {
    b"go 1.11 trace\x00\x00\x00": 11,
    b"go 1.19 trace\x00\x00\x00": 19,
    b"go 1.21 trace\x00\x00\x00": 21,
}


def is_v1(head: bytes) -> bool:
    """True when ``head`` (the file's first 16 bytes or more) is an old-format header."""
    return bytes(head[:16]) in V1_HEADERS


def parse_header(head: bytes) -> tuple[int, int]:
    """(minor version, header size) of an old-format header; UnsupportedVersionError else."""
    v = V1_HEADERS.get(bytes(head[:16]))
    if v is None:
        raise UnsupportedVersionError(
            f"not an old-format (Go 1.11-1.21) trace header: {bytes(head[:16])!r}",
            header=bytes(head[:16]),
        )
    return v, 16


def parse(data, version: int, start: int, *, sort_func=None) -> V1Trace:
    """Go's ``tracev1.Parse`` of the whole trace ``data``; raises TraceFormatError (Go's
    message, byte offset) where Go's parser fails. ``sort_func(list, cmp)``: Go's
    ``slices.SortFunc`` for the CPU samples (the model passes its port)."""
    from goroscope.format.v1._reference import parse as ref_parse

    return ref_parse(data, version, start, sort_func=sort_func)
