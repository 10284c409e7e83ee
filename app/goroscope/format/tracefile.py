"""TraceFile: the sole owner of a trace's bytes (a read-only mmap, or bytes for tests).

Layer L0. Invariants:

* The file is mapped once, read-only (``mmap.ACCESS_READ``); ``buf`` is a
  zero-copy, read-only ``uint8`` numpy view of it that kernels read directly.
* ``TraceFile`` alone owns the mapping. ``close()`` is always safe: if numpy views
  are still alive, ``mmap.close()`` would raise ``BufferError`` (STYLE.md §3.5),
  so the mapping is then released when the last view dies; the ``TraceFile``
  itself drops its view and refuses further use either way.
* The header is checked on open: v1 and unknown versions raise
  ``UnsupportedVersionError`` there (``allow_v1=True`` keeps v1 files open for
  ``raw_counts``-style tools).
"""

from __future__ import annotations

import contextlib
import mmap
import os
from typing import TYPE_CHECKING

import numpy as np

from goroscope.format.version import Version, parse_header, read_header

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["TraceFile"]


class TraceFile:
    """A Go execution trace opened for reading.

    Parameters
    ----------
    source : a path (``str`` / ``os.PathLike``) to map, or ``bytes``/``bytearray``/
        ``memoryview`` holding a whole trace (copied to immutable bytes).

    Attributes
    ----------
    buf : (size,) uint8 — read-only view of the whole file
    version : the format version from the header
    header_size : offset of the first batch
    path : the file path, or None for in-memory traces
    """

    def __init__(
        self, source: str | os.PathLike[str] | bytes | bytearray | memoryview, *, allow_v1=False
    ) -> None:
        self.path: str | None = None
        self._mm: mmap.mmap | None = None
        self._buf: NDArray[np.uint8] | None
        if isinstance(source, bytes | bytearray | memoryview):
            data = bytes(source)
            self._buf = np.frombuffer(data, dtype=np.uint8) if data else np.zeros(0, np.uint8)
        else:
            self.path = os.fspath(source)
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size == 0:
                    self._buf = np.zeros(0, np.uint8)
                else:
                    self._mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                    self._buf = np.frombuffer(self._mm, dtype=np.uint8)
        self._buf.flags.writeable = False
        try:
            head = self._buf[:20].tobytes()
            self.version: Version
            if allow_v1:
                self.version, self.header_size = parse_header(head)
            else:
                self.version, self.header_size = read_header(head)
        except Exception:
            self.close()
            raise

    @property
    def buf(self) -> NDArray[np.uint8]:
        """(size,) uint8 — the read-only bytes; raises ValueError after ``close()``."""
        if self._buf is None:
            raise ValueError("TraceFile is closed")
        return self._buf

    @property
    def size(self) -> int:
        return int(self.buf.shape[0])

    @property
    def closed(self) -> bool:
        return self._buf is None

    def release_pages(self, start: int, end: int) -> None:
        """Drop the mapped pages of ``[start, end)`` from this process's RSS (advisory).

        The bytes stay readable (they fault back in from the page cache). Used after
        indexing and after decoding a generation so resident memory stays bounded by
        what is in flight (see HACKING.md § Memory). A no-op for in-memory traces.
        """
        mm = self._mm
        if mm is None or not hasattr(mmap, "MADV_DONTNEED"):
            return
        page = mmap.PAGESIZE
        a = max(0, int(start)) // page * page
        b = min(int(end), len(mm))
        if b > a:
            with contextlib.suppress(OSError, ValueError):
                mm.madvise(mmap.MADV_DONTNEED, a, b - a)

    def close(self) -> None:
        """Drop the view and unmap. Safe to call twice and while other views exist."""
        self._buf = None
        mm, self._mm = self._mm, None
        if mm is not None:
            # NOTE: if views made from buf still export the mapping, mmap.close() raises
            # BufferError; the mapping is then unmapped when the last view is
            # garbage-collected (STYLE.md §3.5).
            with contextlib.suppress(BufferError):
                mm.close()

    def __enter__(self) -> TraceFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.path if self.path is not None else "<bytes>"
        state = "closed" if self.closed else f"{self.size} bytes"
        return f"TraceFile({where!r}, {self.version}, {state})"


def as_buffer(source: TraceFile | bytes | NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The uint8 view behind ``source`` (a TraceFile, bytes, or an array)."""
    if isinstance(source, TraceFile):
        return source.buf
    if isinstance(source, bytes | bytearray | memoryview):
        return np.frombuffer(bytes(source), dtype=np.uint8)
    arr = np.asarray(source)
    if arr.dtype != np.uint8 or arr.ndim != 1:
        raise TypeError("expected a TraceFile, bytes, or a 1-D uint8 array")
    return arr
