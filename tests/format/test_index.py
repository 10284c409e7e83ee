"""Synthetic framing cases for scan_batches / index_trace (bytes built by tests/format/wire.py)."""

from __future__ import annotations

import numpy as np
import pytest
from tests.format import wire

from goroscope.format import _kernels as K
from goroscope.format.decode import decode_generation, raw_counts
from goroscope.format.errors import TraceFormatError
from goroscope.format.index import index_trace, scan_batches
from goroscope.format.version import Version

V2 = [Version.GO122, Version.GO123, Version.GO125, Version.GO126]


@pytest.mark.nojit
@pytest.mark.parametrize("version", V2)
def test_first_generation_above_one(version):
    data = wire.trace(version, [41, 42, 43])
    ix = index_trace(data)
    assert ix.error is None
    assert ix.generations.gen.tolist() == [41, 42, 43]
    assert ix.generations.complete.all()
    g = decode_generation(data, ix, 1)
    assert g.gen == 42
    assert len(g.events) == 3
    assert g.events.ev_type.tolist() == [13, 16, 19]
    # mul(batch time 201) then + dt (1, 2, 3) at 64 ns/tick.
    assert g.events.time_ns.tolist() == [201 * 64 + 64, 201 * 64 + 192, 201 * 64 + 384]
    assert g.min_time_ns == 200 * 64
    assert (g.clock is not None) == (version >= Version.GO125)


@pytest.mark.parametrize("version", V2)
def test_padded_and_minimal_size_varints(version):
    padded = wire.trace(version, [1])
    minimal = version.header + wire.generation(version, 1).replace(b"", b"")
    ix = index_trace(padded)
    assert ix.error is None
    assert len(ix.batches) == (5 if version >= Version.GO126 else 4)
    assert index_trace(minimal).error is None


@pytest.mark.parametrize("version", V2)
def test_truncated_final_generation_is_recorded(version):
    data = wire.trace(version, [1, 2])
    cut = data[:-7]
    ix = index_trace(cut)
    assert ix.error is not None
    assert ix.batches.truncated
    assert ix.generations.complete.tolist() == [True, False]
    assert ix.generations.truncated.tolist() == [False, True]
    assert len(decode_generation(cut, ix, 0).events) == 3
    assert isinstance(ix.error, TraceFormatError)
    assert ix.error.offset is not None


def test_go126_missing_end_of_generation_is_incomplete():
    data = wire.trace(Version.GO126, [1])[:-1]  # drop the EndOfGeneration byte
    ix = index_trace(data)
    assert "incomplete generation" in ix.error.message
    assert ix.generations.complete.tolist() == [False]


def test_go126_tail_without_event_batches_ends_the_trace_silently():
    v = Version.GO126
    tail = wire.batch(2, wire.NO, 500, wire.strings_data((1, b"x")))
    ix = index_trace(wire.trace(v, [1]) + tail)
    assert ix.error is None
    assert ix.generations.complete.tolist() == [True, False]


def test_go126_interleaved_generations():
    v = Version.GO126
    data = v.header + wire.generation(v, 1)[:-1] + wire.generation(v, 2)
    ix = index_trace(data)
    assert "missing end-of-generation" in ix.error.message
    assert ix.error.generation == 1


def test_generations_out_of_order_before_126():
    v = Version.GO125
    data = v.header + wire.generation(v, 1) + wire.generation(v, 3)
    ix = index_trace(data)
    assert ix.error.message == "generations out of order"
    assert ix.error.generation == 3
    assert len(ix.generations) == 1


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (b"\x07", "expected batch event"),
        (
            wire.batch(1, 1, 1, b"\x00" * 10)[:-10].replace(wire.uv(10, 10), wire.uv(70000, 10)),
            "invalid batch size",
        ),  # fmt: skip
        (b"\x01" + b"\xff" * 11, "overflows"),
        (wire.batch(0, 1, 1, b""), "invalid generation number 0"),
    ],
)
def test_malformed_framing(tail, message):
    v = Version.GO126
    data = v.header + wire.generation(v, 1) + tail
    ix = index_trace(data)
    assert message in ix.error.message
    assert ix.error.offset == len(data) - len(tail)
    assert ix.generations.complete.tolist() == [True]


def test_eog_byte_before_126_is_an_error():
    v = Version.GO125
    ix = index_trace(v.header + wire.generation(v, 1) + b"\x34")
    assert "EndOfGeneration" in ix.error.message


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (wire.ev(11, 1) + wire.ev(2), "without a timestamp"),
        (b"\xfe\x01", "invalid event type"),
        (wire.ev(16, 1, 2), "unexpected end of data"),  # GoStart needs 3 args
    ],
)
def test_bad_events_raise_with_offset_and_generation(events, message):
    v = Version.GO126
    data = v.header + wire.generation(v, 9, events=events)
    ix = index_trace(data)
    assert ix.error is None
    with pytest.raises(TraceFormatError, match=message) as ei:
        decode_generation(data, ix, 0)
    assert ei.value.generation == 9
    start = data.index(events)
    assert start <= ei.value.offset < start + len(events)


def test_table_limits_raise():
    v = Version.GO126
    for bad, msg in [
        (wire.strings_data((1, b"x" * 1025)), "invalid string size"),
        (wire.stacks_data((1, [(1, 0, 0, 0)] * 129)), "invalid stack size"),
        (wire.strings_data((1, b"a"), (1, b"b")), "multiple strings with the same ID"),
        (wire.stacks_data((5, [(1, 99, 0, 0)])), "invalid func string ID 99"),
    ]:
        data = v.header + wire.generation(v, 1)[:-1] + wire.batch(1, wire.NO, 5, bad) + b"\x34"
        ix = index_trace(data)
        with pytest.raises(TraceFormatError, match=msg):
            decode_generation(data, ix, 0)


def test_missing_frequency_and_clock():
    v = Version.GO125
    data = (
        v.header
        + wire.batch(1, wire.NO, 1, b"\x32" + wire.ev(8, 100))
        + wire.batch(1, 3, 2, wire.ev(11, 1))
    )
    with pytest.raises(TraceFormatError, match="no clock snapshot"):
        decode_generation(data, index_trace(data), 0)
    data = v.header + wire.batch(1, 3, 2, wire.ev(11, 1))
    with pytest.raises(TraceFormatError, match="no frequency"):
        decode_generation(data, index_trace(data), 0)
    data = v.header + wire.batch(1, wire.NO, 1, b"\x32" + wire.ev(8, 100) + wire.ev(8, 100))
    with pytest.raises(TraceFormatError, match="multiple frequency"):
        decode_generation(data, index_trace(data), 0)


def test_batch_kinds_and_nothread():
    v = Version.GO126
    data = v.header + wire.generation(v, 1)[:-1] + wire.batch(1, 7, 5, b"abc", exp=1) + b"\x34"
    bi = scan_batches(data)
    assert bi.kind.tolist() == [K.KIND_SYNC, K.KIND_EVENTS, K.KIND_STRINGS, K.KIND_STACKS, K.KIND_EXPERIMENTAL, K.KIND_END_OF_GENERATION]  # fmt: skip
    assert bi.thread[0] == -1
    assert bi.exp[4] == 1
    g = decode_generation(data, index_trace(data), 0)
    assert g.experimental == ((1, 7, len(data) - 4, 3),)
    rc = raw_counts(data)
    assert rc.by_kind["ExperimentalBatch"] == 1
    assert rc.by_kind["EndOfGeneration"] == 1
    assert rc.error is None


def test_no_allocation_sized_by_untrusted_numbers():
    """A huge declared stack/string count must not allocate: capacities come from bytes."""
    v = Version.GO126
    bad = b"\x02" + wire.ev(3, 1, 128) + b"\x01"  # declares 128 frames, has 1 byte
    data = v.header + wire.generation(v, 1)[:-1] + wire.batch(1, wire.NO, 5, bad) + b"\x34"
    with pytest.raises(TraceFormatError):
        decode_generation(data, index_trace(data), 0)
    assert np.iinfo(np.int64).max > 0
