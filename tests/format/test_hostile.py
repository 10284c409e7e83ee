"""Hostile input: Go's FuzzReader corpus, truncations and mutations of real traces.

Contract (issue 3 item 6): every input either reads fine or raises
``TraceFormatError`` (with an offset) — never IndexError, ValueError, a kernel
crash, or an allocation sized by an untrusted number.
"""

from __future__ import annotations

import os
import random

import pytest
from tests.format import wire
from tests.format.conftest import committed_traces, find_goroot, is_v1
from tests.support import run_nojit_subset

from goroscope.format.decode import decode_generation, raw_counts
from goroscope.format.errors import TraceFormatError
from goroscope.format.index import index_trace
from goroscope.format.tracefile import TraceFile
from goroscope.format.version import Version


def read_everything(data: bytes) -> int:
    """Open, index, decode every generation and raw-count ``data``; returns events decoded.

    Raises TraceFormatError for any problem (including one the index recorded).
    """
    n = 0
    with TraceFile(data) as tf:
        ix = index_trace(tf)
        for g in range(len(ix.generations)):
            n += len(decode_generation(tf, ix, g).events)
        raw_counts(tf)
        if ix.error is not None:
            raise ix.error
    return n


def _format_error_of(data: bytes) -> TraceFormatError | None:
    try:
        read_everything(data)
    except TraceFormatError as e:
        return e
    return None


def _expect_ok_or_format_error(data: bytes) -> None:
    e = _format_error_of(data)
    if e is not None:
        assert e.offset is None or 0 <= e.offset <= len(data), str(e)


def _corpus() -> list:
    root = find_goroot()
    if root is None:
        return []
    return sorted((root / "src/internal/trace/testdata/fuzz/FuzzReader").iterdir())


CORPUS = _corpus()


def test_go_string_literal_parser():
    assert wire.go_string_literal(r'"go 1.22\x00\a\b\f\n\r\t\v\\\"\101\u00e9"') == (
        b'go 1.22\x00\a\b\f\n\r\t\v\\"A\xc3\xa9'
    )
    assert wire.go_string_literal('"ߕ"') == "ߕ".encode()
    assert wire.parse_go_fuzz_file('go test fuzz v1\n[]byte("ab\\xff")\n') == b"ab\xff"


@pytest.mark.nojit
@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_go_fuzz_corpus(path):
    data = wire.parse_go_fuzz_file(path.read_text(encoding="utf-8"))
    assert data.startswith(b"go 1.")
    _expect_ok_or_format_error(data)


def _small_trace() -> bytes:
    v2 = [p for p in committed_traces() if p.stat().st_size > 10_000 and not is_v1(p)]
    if v2:
        return min(v2, key=lambda p: p.stat().st_size).read_bytes()
    return wire.trace(Version.GO126, [1, 2, 3])


def test_every_truncation_of_a_small_synthetic_trace():
    for v in (Version.GO122, Version.GO125, Version.GO126):
        data = wire.trace(v, [1, 2])
        for i in range(len(data) + 1):
            _expect_ok_or_format_error(data[:i])


def test_truncations_of_a_committed_trace():
    data = _small_trace()
    rng = random.Random(3)
    cuts = set(range(0, 300)) | {rng.randrange(len(data)) for _ in range(250)} | {len(data) - i for i in range(1, 40)}  # fmt: skip
    for i in sorted(cuts):
        e = _format_error_of(data[:i])
        assert e is None or e.offset is None or 0 <= e.offset <= i
    assert _format_error_of(data) is None


def test_mutations_of_a_committed_trace():
    data = bytearray(_small_trace())
    rng = random.Random(7)
    for _ in range(300):
        m = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            m[rng.randrange(16, len(m))] = rng.randrange(256)
        _expect_ok_or_format_error(bytes(m))


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="already without JIT")
def test_nojit_subset_in_subprocess():
    """Run the ``nojit``-marked tests with NUMBA_DISABLE_JIT=1 (kernels as plain Python)."""
    run_nojit_subset("tests/format")
