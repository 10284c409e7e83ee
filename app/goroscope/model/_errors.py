"""Error types the model raises: the format layer's, re-exported (L1).

``TraceFormatError.message`` is Go's wording (what ``goroscope stats`` reports
under ``"error"``); ``str()`` adds the byte offset and generation.
"""

from __future__ import annotations

from goroscope.format.errors import TraceFormatError, UnsupportedVersionError

__all__ = ["TraceFormatError", "UnsupportedVersionError"]
