"""PyInstaller runtime hook: runs in the frozen app before any of our code or numba.

numba's ``cache=True`` writes compiled kernels beside the module's sources by default; in a
frozen app that folder is the bundle (read-only under /opt, /Applications or Program Files,
and shared between users). Point ``NUMBA_CACHE_DIR`` at a writable per-user cache directory
(stdlib only: no Qt here), unless the user already chose one; Python's bytecode cache for
our modules goes to the same per-user cache directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path


def user_cache_dir(environ: Mapping[str, str], platform: str, home: Path) -> Path:
    """The per-user cache directory for Goroscope on ``platform`` (``sys.platform`` values).

    Linux/BSD: ``$XDG_CACHE_HOME/goroscope`` (default ``~/.cache``; a relative
    ``XDG_CACHE_HOME`` is ignored, as the XDG spec says); macOS:
    ``~/Library/Caches/Goroscope``; Windows: ``%LOCALAPPDATA%\\Goroscope\\Cache``.
    """
    if platform == "darwin":
        return home / "Library" / "Caches" / "Goroscope"
    if platform.startswith("win"):
        base = environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "Goroscope" / "Cache"
    xdg = environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else home / ".cache"
    return base / "goroscope"


def numba_cache_dir(environ: Mapping[str, str], platform: str, home: Path) -> Path:
    """Where the frozen app keeps numba's on-disk cache."""
    return user_cache_dir(environ, platform, home) / "numba"


if getattr(sys, "frozen", False):
    if not os.environ.get("NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = str(numba_cache_dir(os.environ, sys.platform, Path.home()))
    # goroscope ships as .py sources (see goroscope.spec) and PyInstaller turns bytecode
    # writing off: without a cache every start would compile ~100 modules again (~1 s).
    if sys.pycache_prefix is None:
        sys.pycache_prefix = str(user_cache_dir(os.environ, sys.platform, Path.home()) / "pycache")
        sys.dont_write_bytecode = False
