"""The profile collectors' stack handles: frames resolved lazily from the file equal the
eagerly decoded ones, and the dedup keys equal Go's ``stackMap`` (first 128 PCs, trailing
zero PCs stripped) computed independently — also when every hash collides."""

from __future__ import annotations

import numpy as np
import pytest
from tests.analysis.conftest import TESTDATA

from goroscope.analysis import _profiles_reference as R
from goroscope.analysis.profiles import PPROF_MAX_STACK
from goroscope.format import TraceFile
from goroscope.model import TraceChunks
from goroscope.model.events import EventKind

TRACES = ["go1.22/annotations.trace", "go1.25/service.trace", "go1.27/service.trace"]


def _feed(path, lazy: bool):
    """A ``_Stacks`` fed every (generation, stack) of the trace's events, and for each
    handle the frames the chunk's tables gave at that moment."""
    st = R._Stacks()
    seen = []
    with TraceFile(path) as tf:
        for ev in TraceChunks(tf, chunk_events=1 << 12, keep_columns=False, lazy_stacks=lazy):
            m = np.flatnonzero(ev.kind != EventKind.Sync)
            for gi, sid in zip(ev.gen_idx[m].tolist(), ev.stack_id[m].tolist(), strict=True):
                if (gi, sid) in st.handles:
                    continue
                h = st.handle(ev, gi, sid)
                fr = ev.generations[gi].frames(sid) if gi >= 0 and sid else []
                seen.append(((gi, sid), fr[:PPROF_MAX_STACK]))
                assert h == len(seen) - 1
        frames = [st.frames[h] for h in range(len(seen))]  # while the file is mapped
    return st, seen, frames


def _go_keys(frames_per_handle) -> list[int]:
    keys: dict[tuple, int] = {}
    out = []
    for fr in frames_per_handle:
        pcs = [f[0] for f in fr[:PPROF_MAX_STACK]]
        while pcs and pcs[-1] == 0:
            pcs.pop()
        out.append(keys.setdefault(tuple(pcs), len(keys)))
    return out


@pytest.mark.parametrize("name", TRACES)
def test_lazy_frames_equal_eager_and_keys_equal_go(name):
    path = TESTDATA / "traces" / name
    lazy, seen_l, frames_l = _feed(path, lazy=True)
    eager, seen_e, frames_e = _feed(path, lazy=False)
    assert [k for k, _ in seen_l] == [k for k, _ in seen_e]
    assert frames_e == [fr for _, fr in seen_e]  # eager handles keep their frames
    assert frames_l == frames_e  # lazy handles re-decode the same frames
    assert sum(1 for f in frames_l if f) > 10
    assert lazy.frames._eager == {}  # lazy: no frames kept
    want = _go_keys(frames_e)
    assert list(lazy.key_of) == want
    assert list(eager.key_of) == want
    assert len(set(want)) < len(want) or len(want) > 10


@pytest.mark.parametrize("name", TRACES[:2])
def test_hash_collisions_keep_keys_exact(name, monkeypatch):
    monkeypatch.setattr(R, "hash", lambda _pcs: 7, raising=False)  # every stack collides
    st, seen, frames = _feed(TESTDATA / "traces" / name, lazy=True)
    assert list(st.key_of) == _go_keys(frames)
    assert len(st._by_hash) == 1
    assert len(st._exact) == len(set(st.key_of)) - 1


def test_frames_sequence_indexing():
    f = R.StackFrames()
    a = [(1, "f", "x.go", 3)]
    assert f.append(None, -1, 0, []) == 0
    assert f.append(None, 0, 5, a) == 1
    assert len(f) == 2
    assert f[0] == []
    assert f[1] == a
    assert f[-1] == a
    assert f[0:2] == [[], a]
    with pytest.raises(IndexError):
        f[2]
