"""Go's one frame per PC: ``_kernels.first_frames`` (in place) and ``decode_stack_firsts``
(no frames kept) against their twins and numpy."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.format import wire

from goroscope.format import _kernels as K
from goroscope.format import _reference as R

frames_st = st.lists(
    st.tuples(
        st.sampled_from([0, 1, 7, 0x401000, 2**63 + 5, 2**64 - 1, 4096 * 3]),
        st.integers(0, 5),
        st.integers(0, 5),
        st.integers(0, 2**64 - 1),
    ),
    max_size=60,
)


def _numpy_oracle(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The former decode: np.unique's first index per PC, gathered (a copy)."""
    if frames.shape[0] == 0:
        return frames.copy(), np.zeros(0, np.int64)
    _, first, inverse = np.unique(frames[:, 0], return_index=True, return_inverse=True)
    return frames[first[inverse.reshape(-1)]], np.sort(first)


def _run(fn, frames: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, int]:
    f = frames.copy()
    tries = 0
    while True:
        tries += 1
        slots = np.zeros(size, np.int64)
        first = np.empty(size // 2, np.int64)
        n = fn(f, slots, first)
        if n >= 0:
            return f, first[:n], tries
        size *= 2


@settings(max_examples=200, deadline=None)
@given(frames_st, st.sampled_from([2, 4, 8, 4096]))
def test_first_frames_equals_twin_and_numpy(rows, size):
    frames = np.array(rows, np.uint64).reshape(-1, 4)
    want, want_first = _numpy_oracle(frames)
    got, got_first, tries = _run(K.first_frames, frames, size)
    ref, ref_first, ref_tries = _run(R.first_frames, frames, size)
    assert np.array_equal(got, want)
    assert np.array_equal(got_first, want_first)  # first rows, in row order
    assert np.array_equal(ref, want)
    assert np.array_equal(ref_first, want_first)
    assert tries == ref_tries  # both report a table too small at the same sizes


def test_first_frames_keeps_first_rows_on_a_large_table():
    rng = np.random.default_rng(8)
    frames = rng.integers(0, 2**63, (50_000, 4), dtype=np.uint64)
    frames[:, 0] = rng.integers(0, 3000, 50_000).astype(np.uint64) * 16
    want, want_first = _numpy_oracle(frames)
    got, got_first, tries = _run(K.first_frames, frames, 16)
    assert tries > 1  # grew from 16 slots
    assert np.array_equal(got, want)
    assert np.array_equal(got_first, want_first)


PCS = [1, 7, 0x401000, 2**63 + 5, 2**64 - 1]


@st.composite
def stack_body(draw):
    """Stack entries with PCs from a few values (so PCs repeat), sometimes with garbage."""
    out = b""
    for _ in range(draw(st.integers(0, 8))):
        frames = draw(st.lists(st.tuples(st.sampled_from(PCS), st.integers(0, 9), st.integers(0, 9), st.integers(0, 999)), max_size=5))  # fmt: skip
        out += wire.ev(3, draw(st.integers(0, 50)), len(frames)) + b"".join(wire.uv(w) for f in frames for w in f)  # fmt: skip
    if draw(st.booleans()):
        i = draw(st.integers(0, len(out)))
        out = out[:i] + draw(st.binary(max_size=6)) + out[i:]
    return out


def _firsts(mod, buf, doff, size, room):
    t = int(size.sum())
    while True:
        cols = (np.zeros(t // 3, np.uint64), np.zeros(t // 3, np.int64), np.zeros(t // 3, np.int32))
        uf, owner = np.zeros((room // 2, 4), np.uint64), np.zeros(room // 2, np.int64)
        r = tuple(int(x) for x in mod.decode_stack_firsts(buf, doff, size, *cols, np.zeros(room, np.int64), uf, owner))  # fmt: skip
        if r[3] != -1:
            n, u = r[0], r[2]
            return r, [c[:n].tolist() for c in cols], uf[:u].tolist(), owner[:u].tolist()
        room *= 2


@settings(max_examples=200, deadline=None)
@given(stack_body(), st.sampled_from([2, 4, 4096]))
def test_decode_stack_firsts_equals_twin_and_full_decode(body, room):
    data = bytes(16) + b"\x02" + body
    buf = np.frombuffer(data, np.uint8)
    doff, size = np.array([16], np.int64), np.array([len(data) - 16], np.int64)
    got = _firsts(K, buf, doff, size, room)
    assert got == _firsts(R, buf, doff, size, room)
    # the same as decoding every frame, then np.unique's first row per PC
    t = int(size.sum())
    cols = (np.zeros(t // 3, np.uint64), np.zeros(t // 3, np.int64), np.zeros(t // 3, np.int32))
    frames = np.zeros((t // 4, 4), np.uint64)
    n, nf, status, at = (int(x) for x in K.decode_stacks(buf, doff, size, *cols, frames))
    assert got[0][:2] == (n, nf)
    assert got[0][3:] == (status, at)
    assert got[1] == [c[:n].tolist() for c in cols]
    if status == K.OK:
        _, first = _numpy_oracle(frames[:nf])
        assert got[2] == frames[:nf][first].tolist()
        owner = np.searchsorted(cols[1][:n], first, side="right") - 1
        assert got[3] == owner.tolist()
