"""The README's "Python API" examples run as written, and print what Go's oracle says.

Every ```python block of the section is executed from the repository root (the
examples name committed traces such as ``testdata/traces/go1.27/service.trace``).
The printed numbers are checked against ``tracecount`` (``testdata/expected``).
While the reader is the pure-Python reference, ``goroscope.open`` is memoised
per path for this test (one load of service.trace instead of one per block);
every event pass in the examples still runs for real.
"""

from __future__ import annotations

import os
import re

import pytest
from tests.model.conftest import ROOT, TESTDATA, load_json

import goroscope


def _section_code() -> list[str]:
    text = (ROOT / "README.md").read_text()
    start = text.index("## Python API")
    end = text.find("\n## ", start + 1)
    section = text[start : end if end >= 0 else None]
    return re.findall(r"```python\n(.*?)```", section, re.S)


class _Shared:
    """A ``Trace`` whose ``with`` block leaves it open (closed by the test)."""

    def __init__(self, trace: goroscope.Trace):
        self._trace = trace

    def __enter__(self) -> goroscope.Trace:
        return self._trace

    def __exit__(self, *exc: object) -> None:
        pass


@pytest.fixture
def shared_open(monkeypatch):
    real = goroscope.open
    opened: dict[str, goroscope.Trace] = {}

    def open_shared(source, **kw):
        if not isinstance(source, str):
            return real(source, **kw)
        if source not in opened:
            opened[source] = real(source, **kw)
        return _Shared(opened[source])

    monkeypatch.setattr(goroscope, "open", open_shared)
    yield
    for t in opened.values():
        t.close()


def test_readme_api_examples_run(shared_open, capsys):
    blocks = _section_code()
    assert len(blocks) >= 4
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for code in blocks:
            exec(compile(code, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    out = capsys.readouterr().out
    want = load_json(TESTDATA / "expected" / "go1.27-service.counts.json")
    summary = load_json(TESTDATA / "expected" / "go1.27-service.summary.json")
    d = want["detail"]
    # Opening: the Summarizer's goroutines, the context goroutines, procs, threads.
    assert f"{want['events']} events" in out
    assert f"{summary['goroutines']} goroutines exist, {want['goroutines']} of them ran" in out
    assert f"{want['procs']} procs, {want['threads']} threads" in out
    assert "lost: None" in out
    # Counting by kind equals tracecount's by_kind.
    for kind, n in want["by_kind"].items():
        assert re.search(rf"^{kind} +{n}$", out, re.M), kind
    # Blocked longest: goroutines blocked forever block for (almost) the whole trace.
    assert "main.blockForever" in out
    assert "network blocks in internal/poll.(*FD)" in out
    # The Go blog's proportion, from tracecount's own counts.
    p = 100 * d["GoReason network"] / (d["Go Running->Waiting"] + d.get("Go Syscall->Waiting", 0))
    assert f"{p:2.3f}% instances of goroutines blocking were to block on the network" in out
    # The damaged example names the lost generation and its share.
    assert re.search(r"generation \d+ lost from byte \d+: \d+ bytes, [\d.]+% of the file", out)
