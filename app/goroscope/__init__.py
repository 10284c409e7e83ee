"""Goroscope: a desktop explorer and Python API for Go execution traces.

This module stays light: importing ``goroscope`` must not import Qt, numba or
any heavy dependency. The public API (``goroscope.open``, ``goroscope.stats``,
the error types) is added here by the reader issues as thin lazy re-exports.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
