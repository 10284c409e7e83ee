"""Errors of the wire layer: every malformed input becomes a ``TraceFormatError``.

Layer L0 (``goroscope.format``). Invariant: nothing below ``goroscope.format``'s
public functions lets an ``IndexError``, ``ValueError`` or a kernel crash escape
for bad *input bytes*; they all surface as ``TraceFormatError`` carrying the
byte offset where the problem was found and the generation it belongs to.
"""

from __future__ import annotations

__all__ = ["TraceFormatError", "UnsupportedVersionError"]


class TraceFormatError(Exception):
    """The trace bytes violate the wire format.

    Parameters
    ----------
    message : what is wrong, in Go's wording where Go has one
    offset : byte offset in the file where the problem was found (None if unknown)
    generation : the generation number as written in the file (None if before the
        first batch header or unknown)
    """

    def __init__(self, message: str, *, offset: int | None, generation: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = None if offset is None else int(offset)
        self.generation = None if generation is None else int(generation)

    def __str__(self) -> str:
        off = "?" if self.offset is None else str(self.offset)
        gen = "?" if self.generation is None else str(self.generation)
        return f"{self.message} (at byte offset {off}, generation {gen})"

    def __reduce__(self):  # keep picklable across process pools
        return (_rebuild, (type(self), self.message, self.offset, self.generation))


def _rebuild(cls, message, offset, generation):
    return cls(message, offset=offset, generation=generation)


class UnsupportedVersionError(TraceFormatError):
    """The header names a trace format we do not decode (yet), or is not a Go trace header.

    ``header`` holds the raw bytes seen (at most 16), ``version`` the minor version
    number when the header was well-formed (e.g. ``21`` for ``go 1.21 trace``), else None.
    """

    def __init__(self, message: str, *, header: bytes, version: int | None = None) -> None:
        super().__init__(message, offset=0, generation=None)
        self.header = bytes(header)
        self.version = version

    def __reduce__(self):
        return (_rebuild_unsupported, (self.message, self.header, self.version))


def _rebuild_unsupported(message, header, version):
    return UnsupportedVersionError(message, header=header, version=version)
