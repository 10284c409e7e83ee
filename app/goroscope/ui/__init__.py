"""L4: the desktop explorer — the only package that imports PySide6 or pyqtgraph.

Importing it installs :mod:`goroscope.ui._refcount_guard` (PySide6 6.12 on
CPython 3.11 leaks a reference to ``None`` per void Qt call; see there).
"""

from goroscope.ui import _refcount_guard

_refcount_guard.install()
