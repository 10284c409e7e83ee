"""Trace header → format version (mirrors Go's ``internal/trace/version``).

Layer L0. A trace starts with ``go 1.NN trace`` and three NUL bytes (16 bytes for
two-digit minors). Only the versions Go's reader knows are valid: the old per-P
format (1.11, 1.19, 1.21; recognised, decoded by a later issue) and the
generational v2 format (1.22, 1.23, 1.25, 1.26). Go 1.24 writes ``go 1.23``,
Go 1.27 writes ``go 1.26`` (see HACKING.md § Versions and headers).
"""

from __future__ import annotations

import enum
import re

from goroscope.format.errors import UnsupportedVersionError

__all__ = ["HEADER_SIZE", "Version", "read_header"]

#: Bytes of a two-digit-minor header, ``b"go 1.26 trace\x00\x00\x00"``.
HEADER_SIZE = 16

_HEADER_RE = re.compile(rb"go 1\.(\d{1,9}) trace\x00\x00\x00")


class Version(enum.IntEnum):
    """A trace format version; the value is Go's minor version number."""

    GO111 = 11
    GO119 = 19
    GO121 = 21
    GO122 = 22
    GO123 = 23
    GO125 = 25
    GO126 = 26

    @property
    def is_v1(self) -> bool:
        """True for the old (pre-1.22, per-P batch) format."""
        return self < Version.GO122

    @property
    def header(self) -> bytes:
        """The header bytes this version's traces start with."""
        return b"go 1.%d trace\x00\x00\x00" % int(self)

    def __str__(self) -> str:
        return f"go1.{int(self)}"


def parse_header(data: bytes) -> tuple[Version, int]:
    """Parse the header at the start of ``data``.

    Returns
    -------
    (version, header_length) : header_length is where the first batch starts.

    Raises
    ------
    UnsupportedVersionError
        Not a Go trace header, an unknown version, or a v1 (pre-1.22) trace.
    """
    head = bytes(data[: HEADER_SIZE + 2])
    m = _HEADER_RE.match(head)
    if m is None:
        raise UnsupportedVersionError(
            f"bad file format: not a Go execution trace? (header {head[:HEADER_SIZE]!r})",
            header=head[:HEADER_SIZE],
        )
    minor = int(m.group(1))
    try:
        version = Version(minor)
    except ValueError:
        raise UnsupportedVersionError(
            f"unknown or unsupported trace version go 1.{minor} (header {m.group(0)!r})",
            header=m.group(0),
            version=minor,
        ) from None
    return version, m.end()


def read_header(data: bytes) -> tuple[Version, int]:
    """Like ``parse_header`` but also rejects the old format (not decoded yet).

    Raises
    ------
    UnsupportedVersionError
        For v1 headers (``go 1.11``/``1.19``/``1.21``): old-format support comes later.
    """
    version, n = parse_header(data)
    if version.is_v1:
        raise UnsupportedVersionError(
            f"trace format {version} (header {version.header!r}) is the old pre-Go 1.22 "
            "format; old format support comes later",
            header=version.header,
            version=int(version),
        )
    return version, n
