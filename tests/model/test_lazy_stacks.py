"""Stacks decoded on demand (``model.lazy_stacks``, kernels ``model._stack_kernels``).

Checked against the eager decode (``decode_generation(frames=True)``, Go's one frame per
PC) on every generation of committed traces of each format version: every stack's
frames are equal, kernel == twin, and ``TraceChunks(lazy_stacks=True)`` chunks resolve
what the eager chunks resolve. Damaged stack batches (cut, bytes flipped) give the same
status and output from kernel and twin and never raise.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.model.conftest import TESTDATA

from goroscope.format import TraceFile, index_trace
from goroscope.format.decode import decode_generation
from goroscope.model import TraceChunks
from goroscope.model import _stack_kernels as K
from goroscope.model.events import GenerationTables
from goroscope.model.lazy_stacks import LazyStacks

TRACES = [
    TESTDATA / "traces" / v / f
    for v, f in [
        ("go1.22", "cpuprofile.trace"),
        ("go1.23", "annotations.trace"),
        ("go1.25", "service.trace"),
        ("go1.26", "flightrecorder.trace"),
        ("go1.27", "cgo.trace"),
        ("go1.27", "restart.trace"),
    ]
    if (TESTDATA / "traces" / v / f).exists()
]


def _strings(buf, dg) -> dict[int, str]:
    st = dg.strings
    return {
        int(i): buf[o : o + n].tobytes().decode("utf-8", "surrogateescape")
        for i, o, n in zip(st.ids.tolist(), st.offset.tolist(), st.length.tolist(), strict=True)
    }


def _generations(path):
    tf = TraceFile(path)
    ix = index_trace(tf)
    for g in range(len(ix.generations)):
        if not ix.generations.complete[g]:
            continue
        dg = decode_generation(tf, ix, g, events=False, frames=True)
        yield tf, ix, g, dg


@pytest.mark.parametrize("path", TRACES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_lazy_frames_equal_the_eager_decode(path):
    stacks = 0
    for tf, ix, g, dg in _generations(path):
        strings = _strings(tf.buf, dg)
        eager = GenerationTables(dg.gen, dg, strings)
        fast = LazyStacks(tf.buf, ix, g, strings)
        ref = LazyStacks(tf.buf, ix, g, strings, engine="reference")
        assert fast.n_stacks == ref.n_stacks == len(dg.stacks.ids)
        probe = dg.stacks.ids.tolist()
        for sid in probe:
            want = eager.frames(sid)
            assert fast.frames(sid) == want
            assert ref.frames(sid) == want
        missing = (max(probe, default=0) + 1, 0, (1 << 64) - 1)
        for sid in missing:
            assert fast.frames(sid) == ref.frames(sid) == eager.frames(sid)
        stacks += len(probe)
    assert stacks > 0


def _stack_batches(tf, ix, g):
    gi, bi = ix.generations, ix.batches
    a, b = int(gi.batch_start[g]), int(gi.batch_end[g])
    sel = np.flatnonzero(bi.kind[a:b] == 2) + a
    return bi.data_offset[sel].astype(np.int64), bi.size[sel].astype(np.int64)


def _scan_kernel(buf, doff, size, cap, room=8):
    ids, offs = np.empty(cap, np.uint64), np.empty(cap, np.int64)
    while True:
        upc, uinfo = np.empty(room // 2, np.uint64), np.empty((room // 2, 3), np.uint64)
        n, nu, st = K.scan_stacks(
            buf, doff, size, ids, offs, np.zeros(room, np.int64), upc, uinfo, 0
        )
        if st != K.RETRY:
            return ids[:n].tolist(), offs[:n].tolist(), upc[:nu].tolist(), uinfo[:nu].tolist(), st
        room *= 2


def _same_scan(buf, doff, size, cap):
    k = _scan_kernel(buf, doff, size, cap)
    ids, offs, upc, uinfo, st = K.scan_stacks_py(buf, doff, size, cap, 1 << 62)
    assert k[4] == st
    if st == K.OK:
        assert k[:4] == (ids, offs, upc, [list(x) for x in uinfo])
    else:  # stopped at the same entry
        assert k[0] == ids
        assert k[1] == offs
    return k


@pytest.mark.parametrize("path", TRACES[:3], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_kernels_equal_twins_on_real_and_damaged_batches(path):
    rng = np.random.default_rng(8)
    for tf, ix, g, _dg in _generations(path):
        doff, size = _stack_batches(tf, ix, g)
        if not len(doff):
            continue
        buf = np.array(tf.buf)  # a private copy to damage
        cap = int(size.sum()) // 3 + 1
        ids, offs, upc, _, st = _same_scan(buf, doff, size, cap)
        assert st == K.OK
        pcs = np.array(sorted(upc), np.uint64)
        sids, soffs = np.array(sorted(ids), np.uint64), np.array(offs, np.int64)[np.argsort(ids)]
        rows = np.empty(K.MAX_FRAMES, np.int64)
        for sid in sids.tolist()[:200]:
            n = K.stack_rows(buf, sids, soffs, np.uint64(sid), pcs, rows)
            assert rows[:n].tolist() == K.stack_rows_py(buf, sids, soffs, sid, pcs)
        # damaged: cut the batches short, flip bytes inside them; a full table
        _same_scan(buf, doff, size - 1, cap)
        _same_scan(buf, doff, size, 1)
        for _ in range(20):
            b = buf.copy()
            at = int(doff[0]) + int(rng.integers(0, int(size[0])))
            b[at] = rng.integers(0, 256)
            _same_scan(b, doff, size, cap)
            for sid in sids.tolist()[:20]:
                n = K.stack_rows(b, sids, soffs, np.uint64(sid), pcs, rows)
                want = K.stack_rows_py(b, sids, soffs, sid, pcs)
                assert (n if n < 0 else rows[:n].tolist()) == (-1 if want is None else want)


def test_lazy_chunks_resolve_what_eager_chunks_resolve():
    path = TESTDATA / "traces" / "go1.27" / "service.trace"
    seen = 0
    eager = list(TraceChunks(TraceFile(path), chunk_events=4096, keep_columns=False))
    lazy = TraceChunks(TraceFile(path), chunk_events=4096, keep_columns=False, lazy_stacks=True)
    for a, b in zip(eager, lazy, strict=True):
        assert np.array_equal(a.stack_id, b.stack_id)
        assert np.array_equal(a.gen_idx, b.gen_idx)
        for col in (a.stack_id, a.transition_stack_id):
            for gi, sid in set(zip(a.gen_idx.tolist(), col.tolist(), strict=True)):
                if gi >= 0 and sid:
                    assert b.generations[gi].frames(sid) == a.generations[gi].frames(sid)
                    seen += 1
    assert seen > 100
    assert lazy.error is None


def test_scan_in_pieces_with_page_drops_equals_one_scan(monkeypatch):
    """The scan goes over the stack batches in pieces (dropping each piece's mapped pages)
    and lookups drop pages every ``_every`` stacks: same frames as the eager decode."""
    import goroscope.model.lazy_stacks as L

    monkeypatch.setattr(L, "_PIECE", 4096)
    seen = 0
    for path in TRACES:
        for tf, ix, g, dg in _generations(path):
            strings = _strings(tf.buf, dg)
            eager = GenerationTables(dg.gen, dg, strings)
            lazy = LazyStacks(tf.buf, ix, g, strings)
            assert lazy._mm is not None  # a TraceFile's buf views its mapping
            lazy._every = 7
            for sid in dg.stacks.ids.tolist():
                assert lazy.frames(sid) == eager.frames(sid)
                seen += 1
    assert seen > 1000
