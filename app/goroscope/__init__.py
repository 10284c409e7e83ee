"""Goroscope: a desktop explorer and Python API for Go execution traces.

This module stays light: importing ``goroscope`` must not import Qt, numba or
any heavy dependency. The public API (``goroscope.open``, ``goroscope.stats``,
the error types) is added here by the reader issues as thin lazy re-exports
(module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# name -> module holding it; imported on first attribute access.
_LAZY = {
    "TraceFormatError": "goroscope.format.errors",
    "UnsupportedVersionError": "goroscope.format.errors",
    "TraceFile": "goroscope.format.tracefile",
    "stats": "goroscope.model.stats",
    "open": "goroscope.model.trace",
    "Trace": "goroscope.model.trace",
}
__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'goroscope' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value
