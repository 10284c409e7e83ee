"""Damaged traces through ``goroscope.open`` and ``goroscope.stats``: what was lost.

Committed Go 1.22 and Go 1.26 traces, truncated inside a generation and with a
batch header's type byte flipped. The per-version rules (HACKING.md § Damaged
traces per version): Go 1.26+ drops the generation it stops in whole, so exactly
the bytes from that generation's start are lost and no event of it is returned;
before 1.26 the generation read so far is still ordered and returned, and when the
reader stopped at the framing damage itself every byte before it was returned.
Either way every generation before the damaged one is returned in full.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.model.conftest import TESTDATA

import goroscope
from goroscope import cli

VERSIONS = ("go1.22", "go1.26")
_FULL: dict[str, tuple[bytes, goroscope.Trace]] = {}


def _full(ver: str) -> tuple[bytes, goroscope.Trace]:
    if ver not in _FULL:
        data = (TESTDATA / "traces" / ver / "annotations.trace").read_bytes()
        with goroscope.open(data) as t:
            _FULL[ver] = (data, t)
    return _FULL[ver]


def _check_kept(t: goroscope.Trace, full: goroscope.Trace, k: int) -> None:
    """Generation rows before ``k`` were returned whole, exactly as in the intact trace."""
    lost = t.lost
    assert lost.generations_kept == k
    assert np.array_equal(t.generations.events[:k], full.generations.events[:k])
    assert t.generations.complete[:k].all()
    assert not t.generations.complete[k:].any()
    assert t.num_events >= int(full.generations.events[:k].sum())


@pytest.mark.parametrize("ver", VERSIONS)
@pytest.mark.parametrize("where", [0.5, 0.999])
@pytest.mark.parametrize("k", [1, 2])
def test_truncated_inside_generation(ver, k, where):
    data, full = _full(ver)
    g = full.generations
    a, b = int(g.byte_start[k]), int(g.byte_end[k])
    cut = a + 8 + int((b - a - 8) * where)
    with goroscope.open(data[:cut]) as t:
        lost = t.lost
        assert t.error is not None
        assert lost is not None
        assert lost.generation == int(g.gen[k])
        assert lost.message == t.error.message
        assert a <= lost.offset <= cut
        _check_kept(t, full, k)
        if ver >= "go1.26":  # the incomplete generation is dropped whole
            assert lost.start == a
            assert not lost.partial
            assert lost.events_kept == 0
            assert int(t.generations.events[k]) == 0
        else:  # what could be read of it is still returned
            assert a <= lost.start <= cut
            assert lost.events_kept == int(t.generations.events[k])
        assert lost.bytes == cut - lost.start
        assert lost.share == pytest.approx((cut - lost.start) / cut)


@pytest.mark.parametrize("ver", VERSIONS)
def test_flipped_batch_type_byte(ver):
    from goroscope.format import index_trace

    data, full = _full(ver)
    k = 2
    ix = index_trace(data)
    row = int(ix.generations.batch_start[k]) + 1  # the generation's second batch
    off = int(ix.batches.offset[row])
    bad = bytearray(data)
    bad[off] ^= 0x40  # EventBatch (1) -> 65: "expected batch event"
    with goroscope.open(bytes(bad)) as t:
        lost = t.lost
        assert lost.generation == int(full.generations.gen[k])
        assert lost.offset == off
        assert "expected batch event" in lost.message
        _check_kept(t, full, k)
        a = int(full.generations.byte_start[k])
        if ver >= "go1.26":
            assert lost.start == a
            assert lost.events_kept == 0
        else:  # stopped at the framing damage: every byte before it was returned
            assert lost.start == off
            assert lost.partial
        assert lost.share == pytest.approx((len(data) - lost.start) / len(data))


def test_complete_trace_lost_nothing():
    _, full = _full("go1.26")
    assert full.lost is None
    assert full.error is None
    assert full.generations.complete.all()


def test_empty_after_header_is_all_lost():
    data, _ = _full("go1.22")
    with goroscope.open(data[:17]) as t:
        assert t.lost.start == 16
        assert t.lost.bytes == 1
        assert t.lost.generations_kept == 0


@pytest.mark.parametrize("ver", VERSIONS)
def test_stats_and_cli_report_lost(ver, tmp_path, capsys):
    data, full = _full(ver)
    k = 1
    cut = int(full.generations.byte_start[k]) + 100
    path = tmp_path / "cut.trace"
    path.write_bytes(data[:cut])
    with goroscope.open(path) as t:
        want = t.lost.as_dict()
        error = t.error.message
    s = goroscope.stats(path)
    assert s["error"] == error
    assert s.get("lost") == want, (
        "goroscope.model.stats.stats() must add out['lost'] = loss_summary(source, chunks.error)"
        " beside out['error'] (goroscope.model.trace.loss_summary)"
    )
    assert list(s)[-3:] == ["error", "lost", "mem"]
    assert cli.main(["stats", "--json", str(path)]) == 1
    line = json.loads(capsys.readouterr().out)
    assert line["lost"] == want
    assert cli.main(["stats", str(path)]) == 1
    assert f"LOST: from generation {want['generation']} (byte {want['start']})" in (
        capsys.readouterr().out
    )
    assert "lost" not in goroscope.stats(TESTDATA / "traces" / ver / "annotations.trace")


def test_lost_as_dict_is_json():
    data, _ = _full("go1.26")
    with goroscope.open(data[: len(data) - 1]) as t:
        d = t.lost.as_dict()
    assert set(d) == {"generation", "offset", "start", "bytes", "share"}
    assert json.loads(json.dumps(d)) == d


def test_go126_tail_without_event_batches_ends_silently_but_is_lost(tmp_path):
    """Go reads a 1.26 tail of only sync/table batches as a clean end (no error); we still
    say which generation's bytes were not read (HACKING.md § Damaged traces per version)."""
    from goroscope.format import index_trace

    data, full = _full("go1.26")
    ix = index_trace(data)
    k = len(ix.generations) - 1
    first = int(ix.generations.batch_start[k])  # the last generation's sync batch
    end = int(ix.batches.data_offset[first] + ix.batches.size[first])
    with goroscope.open(data[:end]) as t:
        assert t.error is None
        assert t.lost.message == ""
        assert t.lost.generation == int(full.generations.gen[k])
        assert t.lost.start == int(full.generations.byte_start[k])
        _check_kept(t, full, k)
    path = tmp_path / "tail.trace"
    path.write_bytes(data[:end])
    s = goroscope.stats(path)
    assert "error" not in s
    assert "lost" not in s  # stats stays equal to tracecount: Go saw no error
