"""The model's Go-literal helpers agree with the format layer they stand beside.

* ``model._gospec`` (the spec slice the reference ordering reads) equals
  ``format.spec.EVENT_SPECS``;
* ``model._wire_reference`` (Go's ``readGeneration`` in pure Python, with Go's
  lazy per-M error timing) decodes every committed trace into the same
  ``columns.Generation`` as ``format.decode.decode_generation``: the fast
  ordering kernel will read the latter, and the reference reader the former.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.model.conftest import sample_traces

from goroscope.format import spec as fspec
from goroscope.model import _gospec
from goroscope.model._wire_reference import decode_all


def test_gospec_matches_format_spec():
    for code, s in enumerate(fspec.EVENT_SPECS):
        mine = _gospec.SPECS[code]
        if not s.name:
            assert mine is None, code
            continue
        assert mine is not None, s.name
        assert (mine.name, mine.args, mine.stack_ids, mine.string_ids) == (
            s.name,
            s.args,
            s.stack_ids,
            s.string_ids,
        )
        assert mine.is_timed == s.timed, s.name
        want_start = fspec.EVENT_SPECS[s.start_ev].name if s.start_ev else None
        assert mine.start_ev == want_start, s.name
    assert len(fspec.EVENT_SPECS) == _gospec.NUM_SPECS


def _traces():
    return [pytest.param(p, id=f"{p.parent.name}-{p.stem}") for p in sample_traces()]


@pytest.mark.parametrize("path", _traces())
def test_wire_reference_equals_format_decode(path):
    from goroscope.format.decode import decode_generation
    from goroscope.format.index import index_trace

    buf = path.read_bytes()
    mine = decode_all(buf)
    index = index_trace(buf)
    assert len(mine) == len(index.generations)
    for g, dg in enumerate(mine):
        a = dg.generation
        b = decode_generation(buf, index, g)
        assert (a.gen, a.freq, a.min_time_ns, a.clock) == (b.gen, b.freq, b.min_time_ns, b.clock)
        for col in ("ev_type", "time_ns", "thread", "args", "offset"):
            np.testing.assert_array_equal(getattr(a.events, col), getattr(b.events, col), col)
        for col in ("ids", "offset", "length"):
            np.testing.assert_array_equal(getattr(a.strings, col), getattr(b.strings, col), col)
        for col in ("ids", "nframes"):
            np.testing.assert_array_equal(getattr(a.stacks, col), getattr(b.stacks, col), col)
        # Frames per stack (the layout of the frames array is the decoder's business).
        np.testing.assert_array_equal(_frames_by_id(a.stacks), _frames_by_id(b.stacks))
        # Ours are already sorted by time (stably); the contract keeps file order.
        order = np.argsort(b.cpu_samples.time_ns, kind="stable")
        for col in ("time_ns", "thread", "proc", "goroutine", "stack_id"):
            np.testing.assert_array_equal(
                getattr(a.cpu_samples, col), getattr(b.cpu_samples, col)[order], col
            )


def _frames_by_id(st) -> np.ndarray:
    rows = [
        st.frames[int(a) : int(a) + int(n)] for a, n in zip(st.frame_start, st.nframes, strict=True)
    ]
    return np.concatenate(rows) if rows else np.zeros((0, 4), np.uint64)
