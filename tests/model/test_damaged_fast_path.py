"""Damaged traces on the fast path: equal to the reference reader at every cut and mutant.

The fast reader (``model.order``) reads every generation before the damage with the
numba kernel and hands only the damaged generation (and what follows it) to the
reference reader, resumed at that generation's first byte with the kernel's ordering
state (``order._load_reference_state``), or — when the kernel failed inside the
generation — at the failing step itself, with the kernel's cursors and state there
(``TraceChunks._replay_to``, ``order._reader_at_step``). The twin is the reference reader reading the whole
file from byte 0 (``engine="reference"``): events column by column, the error's text,
generation and byte offset must be equal.

Cases: every truncation offset of the hostile suite's seed traces (real Go 1.22 and Go
1.26 programs cut after 5–6 generations; a stride plus every place inside a batch
header by default, every single offset with ``GOROSCOPE_FULL=1``) and seeded mutants of
the same seeds (``tests.hostile.harness.mutate``: bit flips, header fields, sizes,
varints, moved, duplicated and dropped batches and generations).
"""

from __future__ import annotations

import collections

import pytest
from tests.hostile.harness import (
    generations,
    load_sources,
    mutate,
    truncation_offsets,
    walk_batches,
)
from tests.model.conftest import FULL
from tests.model.test_fast_reader import assert_same

from goroscope.model import order
from goroscope.model._errors import TraceFormatError, UnsupportedVersionError

SOURCES = load_sources()


@pytest.fixture
def routes(monkeypatch):
    """Counts how each damaged case was read: where the hand-over started and whether the
    reference needed the kernel's ordering state (and a replay to get it)."""
    seen: collections.Counter = collections.Counter()
    resume, load, replay, at_step = (
        order.TraceChunks._resume,
        order._load_reference_state,
        order.TraceChunks._replay_state,
        order._reader_at_step,
    )

    def _resume(self, g):
        seen["handover"] += 1
        if self._at_end:
            seen["handover-after-ordering-a-partial-generation"] += 1
        seen["handover-after-gen-0" if g > 0 else "handover-at-gen-0"] += 1
        return resume(self, g)

    def _load(*a):
        seen["state-transferred"] += 1
        return load(*a)

    def _replay(self, g):
        seen["state-replayed"] += 1
        return replay(self, g)

    def _at_step(*a):
        seen["resumed-mid-generation"] += 1
        return at_step(*a)

    monkeypatch.setattr(order.TraceChunks, "_resume", _resume)
    monkeypatch.setattr(order, "_reader_at_step", _at_step)
    monkeypatch.setattr(order, "_load_reference_state", _load)
    monkeypatch.setattr(order.TraceChunks, "_replay_state", _replay)
    return seen


def _check(data: bytes) -> None:
    results = []
    for engine in ("reference", "fast"):
        try:
            results.append(order.read_trace(data, engine=engine))
        except (TraceFormatError, UnsupportedVersionError) as e:  # a bad header: nothing kept
            results.append((type(e), e.message))
    ref, fast = results
    if isinstance(ref, tuple) or isinstance(fast, tuple):
        assert fast == ref
        return
    assert_same(fast, ref)
    # and chunked (another path through the hand-over: rows already yielded are skipped)
    parts = list(order.TraceChunks(data, chunk_events=97, keep_columns=False))
    assert sum(len(p) for p in parts) == len(ref.events)


def _cuts(data: bytes) -> list[int]:
    if FULL:
        return list(range(len(data) + 1))
    return truncation_offsets(data, stride=41, dense=True)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_truncation(name, routes):
    data = SOURCES[name]
    gens = generations(walk_batches(data))
    for cut in _cuts(data):
        try:
            _check(data[:cut])
        except AssertionError as e:
            raise AssertionError(f"{name} cut at {cut}: {e}") from e
    # Cuts inside the later generations resumed after the kernel read the earlier ones;
    # before Go 1.26 the kernel orders what Go reads of the cut generation, and the
    # reference only adds the deferred error.
    assert routes["handover-after-gen-0"] > 0
    assert len(gens) >= 5
    if name.startswith("go1.22"):
        assert routes["handover-after-ordering-a-partial-generation"] > 0


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_seeded_mutants(name, routes):
    data = SOURCES[name]
    for seed in range(200 if not FULL else 4000):
        mutant, steps = mutate(data, seed)
        try:
            _check(mutant)
        except AssertionError as e:
            raise AssertionError(f"{name} seed {seed} {steps}: {e}") from e
    # Mutants reach every hand-over route: read errors (no state needed), generations the
    # reference orders from their start with the kernel's state (the kernel failed before
    # ordering them, or at their first step), and kernel failures inside a generation,
    # where the reference takes over at the failing step with the kernel's cursors.
    assert routes["handover-after-gen-0"] > 0
    assert routes["state-transferred"] > 0
    assert routes["resumed-mid-generation"] > 0


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_recycled_goroutine_rows(name, routes, monkeypatch):
    """The same with one spare goroutine row per generation: the kernel reuses dead rows
    and pauses to grow at nearly every new goroutine, and hands the reference its
    recycled rows (in birth order, Go's map order) at the failing step."""
    from goroscope.model import _order_kernel as K

    monkeypatch.setattr(K, "G_RESERVE", 1)
    data = SOURCES[name]
    for seed in range(60):
        mutant, steps = mutate(data, 10_000 + seed)
        try:
            _check(mutant)
        except AssertionError as e:
            raise AssertionError(f"{name} seed {10_000 + seed} {steps}: {e}") from e
    for cut in _cuts(data)[::8]:
        try:
            _check(data[:cut])
        except AssertionError as e:
            raise AssertionError(f"{name} cut at {cut}: {e}") from e
    assert routes["state-transferred"] > 0


def test_clean_trace_never_hands_over(routes):
    for data in SOURCES.values():
        _check(data)
    assert routes["handover"] == 0
