"""Guard against PySide6 6.12's ``None`` reference leak on CPython < 3.12 (any thread).

Measured here (PySide6 6.12.0, CPython 3.11.7): every call of a *void* Qt
method — ``QPainter.setBrush``/``setPen``, ``QImage.fill``, ``QWidget.update``,
``QObject.setObjectName``, … — returns ``None`` without taking a new reference,
so each call lowers ``None``'s reference count by one (``sys.getrefcount(None)``
drops by exactly N after N calls; non-void methods are fine). CPython 3.11
starts with ~5k references to ``None``; after a few thousand painter calls the
count reaches zero and the interpreter aborts with ``Fatal Python error:
none_dealloc`` — at exit, or mid-session once painting has made enough calls.
CPython ≥ 3.12 makes ``None`` immortal (PEP 683), so there the leak is harmless.

:func:`install` does what PEP 683 does for the few static singletons a binding
can return: it raises their reference counts far out of reach (2**40). They are
statically allocated and never freed, so a high count changes nothing else.
``goroscope.ui`` calls it on import. Remove when the pinned PySide6 is fixed or
the minimum Python is 3.12 (``tests/ui/test_refcount_guard.py`` tells).
"""

from __future__ import annotations

import ctypes
import sys

_BUMP = 1 << 40
_installed = False


def needed() -> bool:
    """True on CPython < 3.12, where ``None`` is mortal."""
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def install() -> None:
    """Make ``None``/``True``/``False``/``Ellipsis``/``NotImplemented`` effectively immortal (idempotent)."""
    global _installed
    if _installed or not needed():
        return
    for obj in (None, True, False, Ellipsis, NotImplemented):
        ref = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field
        ref.value += _BUMP
    _installed = True
