"""Pure-Python generation reader: Go's ``batch.go`` + ``generation.go`` (L1 helper, slow).

What it owns: reading the batches of one generation from the trace bytes with
Go's exact per-version rules (``readGeneration`` for Go 1.26+, which stops at
the ``EndOfGeneration`` byte; ``readGenerationWithSpill`` before, which stops at
the first batch of the next generation and *defers* a read error), and turning
them into the format layer's contract, :class:`goroscope.format.columns.Generation`.

Why the model has its own: the reference reader must fail exactly where and
how Go fails, and Go's errors are a property of *when* it reads what. Table
and sync batches are decoded the moment they are read, in file order; the
events of an M are decoded lazily, so a corrupt event is an error only when
that M's cursor reaches it (:class:`DecodedGeneration` ``cursor_errors``: per
M, Go's message and the bad event's offset; the rows before it are in
``events``); Go's messages are kept word for word (``goroscope stats`` reports
them). See HACKING.md § Damaged traces per version.

NOTE: the columns are the same as ``format.decode.decode_generation``'s
(``tests/model/test_reference_twins.py`` checks every committed trace; the
format layer's ``event_errors="per_thread"`` mode mirrors ``cursor_errors``).
The fast reader (``model.order``) reads the format layer's columns; this module
stays the slow, literal twin *and* is still on the product path for damaged
traces: when the format layer or the ordering kernel reports a problem in a
generation, the fast reader hands that generation (and only what follows it) to
the reference reader, which reads it here (Go's error wording, the clean-EOF rule
of table/sync batches, deferred pre-1.26 errors).
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from goroscope.format.columns import (
    MAX_ARGS,
    ClockSnapshot,
    CPUSampleColumns,
    EventColumns,
    Generation,
    StackTable,
    StringTable,
)
from goroscope.model._errors import UnsupportedVersionError
from goroscope.model._gosort import sort_func
from goroscope.model._gospec import EV, NUM_SPECS, SPECS

U64 = (1 << 64) - 1
MAX_BATCH_SIZE = 64 << 10
MAX_FRAMES_PER_STACK = 128
MAX_STRING_SIZE = 1 << 10

#: header version → "v2" (readable here) or "v1" (old format, not supported by this reader)
VERSIONS = {11: "v1", 19: "v1", 21: "v1", 22: "v2", 23: "v2", 25: "v2", 26: "v2"}
_HEADER = re.compile(rb"go 1\.(\d+) trace\x00\x00\x00")


class _EOF(Exception):
    """Clean end of input where a batch would start (Go's bare ``io.EOF``)."""


class _ReadError(Exception):
    """A read error in Go's wording, with the byte offset and (when known) generation number."""

    def __init__(self, msg: str, offset: int, gen: int | None = None):
        super().__init__(msg)
        self.msg = msg
        self.offset = offset
        self.gen = gen

    @property
    def is_eof(self) -> bool:
        """Go returned a bare ``io.EOF``, which its readers cannot tell from the end of the trace."""
        return self.msg == "EOF"


def read_header(buf: bytes) -> tuple[int, int]:
    """Go's ``version.ReadHeader``: ``(version, offset after the header)``."""
    head = bytes(buf[:32])
    m = _HEADER.match(head)
    if m is None:
        raise UnsupportedVersionError(
            "bad file format: not a Go execution trace?", header=head[:16]
        )
    v = int(m.group(1))
    if v not in VERSIONS:
        raise UnsupportedVersionError(
            f"unknown or unsupported trace version go 1.{v}", header=m.group(0), version=v
        )
    return v, m.end()


def _uvarint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Go's ``binary.Uvarint`` on ``buf[pos:end]``: ``(value, new pos)``; ``new pos == -1`` on failure."""
    x = 0
    s = 0
    i = pos
    while i < end:
        b = buf[i]
        if i - pos == 9 and b > 1:
            return 0, -1  # overflow
        if b < 0x80:
            return x | (b << s), i + 1
        x |= (b & 0x7F) << s
        s += 7
        i += 1
        if i - pos == 10:
            return 0, -1
    return 0, -1


_ERR_OVERFLOW = "binary: varint overflows a 64-bit integer"


def _read_uvarint(buf: bytes, pos: int, end: int) -> tuple[int, int, str | None]:
    """Go's ``binary.ReadUvarint`` on a byte reader over ``buf[pos:end]``: ``(x, pos, err)``.

    ``err`` is Go's error text: ``"EOF"`` when no byte was left, ``"unexpected EOF"`` when
    the varint was cut, the overflow message for more than 64 bits; else None.
    """
    x = 0
    s = 0
    for i in range(10):
        if pos >= end:
            return x, pos, "unexpected EOF" if i > 0 else "EOF"
        b = buf[pos]
        pos += 1
        if b < 0x80:
            if i == 9 and b > 1:
                return x, pos, _ERR_OVERFLOW
            return x | (b << s), pos, None
        x |= (b & 0x7F) << s
        s += 7
    return x, pos, _ERR_OVERFLOW


@dataclass(slots=True)
class Batch:
    """One batch as Go's ``batch`` holds it (data stays in the buffer)."""

    m: int  # int64 view: 2^64-1 → -1
    time: int  # raw ticks
    data_off: int
    data_len: int
    exp: int
    offset: int  # file offset of the batch's first byte

    def first(self, buf: bytes) -> int:
        return buf[self.data_off] if self.data_len > 0 else -1

    def is_end_of_generation(self, buf: bytes) -> bool:
        return self.exp == 0 and self.first(buf) == EV["EndOfGeneration"]


INT64_MIN = -(1 << 63)


def wrap64(x: int) -> int:
    """Go's int64 arithmetic: wrap to [-2^63, 2^63)."""
    x &= U64
    return x - (1 << 64) if x >= 1 << 63 else x


def go_mul(t: int, ns_per_tick: float) -> int:
    """Go's ``frequency.mul``: ``Time(float64(t) * f)``; out of range → INT64_MIN (amd64's CVTTSD2SQ)."""
    f = float(t) * ns_per_tick
    if f != f or f >= 2.0**63 or f < -(2.0**63):
        return INT64_MIN
    return int(f)


def _to_i64(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


def read_batch(buf: bytes, pos: int) -> tuple[Batch, int, int]:
    """Go's ``readBatch``: ``(batch, gen, new pos)``; raises :class:`_EOF` or :class:`_ReadError`."""
    n = len(buf)
    start = pos
    if pos >= n:
        raise _EOF
    typ = buf[pos]
    pos += 1
    if typ == EV["EndOfGeneration"]:
        return Batch(-1, 0, start, 1, 0, start), 0, pos
    if typ != EV["EventBatch"] and typ != EV["ExperimentalBatch"]:
        raise _ReadError(f"expected batch event, got event {typ}", start)
    exp = 0
    if typ == EV["ExperimentalBatch"]:
        if pos >= n:
            raise _EOF  # NOTE: Go returns the bare io.EOF of ReadByte here: a clean end
        exp = buf[pos]
        pos += 1
    vals = []
    for what in ("gen", "M ID", "timestamp", "size"):
        v, pos, err = _read_uvarint(buf, pos, n)
        if err is not None:
            raise _ReadError(f"error reading batch {what}: {err}", start)
        vals.append(v)
    gen, m, ts, size = vals
    if size > MAX_BATCH_SIZE:
        raise _ReadError(f"invalid batch size {size}, maximum is {MAX_BATCH_SIZE}", start)
    if pos + size > n:
        raise _ReadError(f"failed to read full batch: read {n - pos} but wanted {size}", start)
    return Batch(_to_i64(m), ts, pos, size, exp, start), gen, pos + size


@dataclass(slots=True)
class _GenBuilder:
    """Go's ``generation`` while its batches are being read."""

    gen: int = 0
    min_ts: int = 0
    batches: dict[int, list[Batch]] = field(default_factory=dict)  # M → batches, file order
    batch_ms: list[int] = field(default_factory=list)
    #: string ID → (offset, length) of its bytes
    strings: dict[int, tuple[int, int]] = field(default_factory=dict)
    #: stack ID → PCs (leaf first), in insertion order
    stacks: dict[int, list[int]] = field(default_factory=dict)
    #: PC → (pc, func ID, file ID, line): the first frame seen for a PC wins
    pcs: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    #: (raw ticks, m, p, g, stack ID) in file order
    cpu_samples: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    has_freq: bool = False
    freq: int = 0
    ns_per_tick: float = 0.0
    clock: tuple[int, int, int, int] | None = None  # (snap ticks, mono, sec, nsec)
    experimental: list[Batch] = field(default_factory=list)


def _is_sync_batch(b: Batch, buf: bytes, ver: int) -> bool:
    if b.exp != 0 or b.data_len == 0:
        return False
    first = buf[b.data_off]
    return (first == EV["Frequency"] and ver < 25) or (first == EV["Sync"] and ver >= 25)


def _process_batch(g: _GenBuilder, b: Batch, buf: bytes, ver: int) -> None:
    """Go's ``processBatch``: table batches are decoded at once, in file order, like Go."""
    first = b.first(buf)
    if b.exp == 0 and first == EV["Strings"]:
        _add_strings(g, b, buf)
    elif b.exp == 0 and first == EV["Stacks"]:
        _add_stacks(g, b, buf)
    elif b.exp == 0 and first == EV["CPUSamples"]:
        _add_cpu_samples(g, b, buf)
    elif _is_sync_batch(b, buf, ver):
        _set_sync_batch(g, b, buf, ver)
    elif b.exp != 0:
        g.experimental.append(b)
    elif b.is_end_of_generation(buf):
        raise _ReadError(
            "internal error: unexpectedly processing EndOfGeneration; broken trace?", b.offset
        )
    else:
        if b.m not in g.batches:
            g.batch_ms.append(b.m)
            g.batches[b.m] = []
        g.batches[b.m].append(b)


def _set_sync_batch(g: _GenBuilder, b: Batch, buf: bytes, ver: int) -> None:
    pos, end = b.data_off, b.data_off + b.data_len
    if ver >= 25:
        pos += 1  # the EvSync byte
    last = b.time
    while pos < end:
        ev = buf[pos]
        pos += 1
        if ev == EV["Frequency"]:
            if g.has_freq:
                raise _ReadError("found multiple frequency events", b.offset)
            f, pos, err = _read_uvarint(buf, pos, end)
            if err is not None:
                raise _ReadError(err, b.offset)
            g.has_freq = True
            g.freq = f
            # Go: frequency(1.0 / (float64(f) / 1e9)); f == 0 gives +Inf, not an error.
            g.ns_per_tick = 1.0 / (f / 1e9) if f else float("inf")
        elif ev == EV["ClockSnapshot"] and ver >= 25:
            if g.clock is not None:
                raise _ReadError("found multiple clock snapshot events", b.offset)
            vals = []
            for _ in range(4):
                v, pos, err = _read_uvarint(buf, pos, end)
                if err is not None:
                    raise _ReadError(err, b.offset)
                vals.append(v)
            last = (last + vals[0]) & U64
            g.clock = (last, vals[1], vals[2], vals[3])
        else:
            raise _ReadError(f"expected frequency or clock snapshot event, got {ev}", b.offset)


def _add_strings(g: _GenBuilder, b: Batch, buf: bytes) -> None:
    """Go's ``addStrings``."""
    pos, end = b.data_off + 1, b.data_off + b.data_len
    while pos < end:
        ev = buf[pos]
        pos += 1
        if ev != EV["String"]:
            raise _ReadError(f"expected string event, got {ev}", b.offset)
        sid, pos, err = _read_uvarint(buf, pos, end)
        if err is None:
            ln, pos, err = _read_uvarint(buf, pos, end)
        if err is not None:
            raise _ReadError(err, b.offset)
        if ln > MAX_STRING_SIZE:
            raise _ReadError(f"invalid string size {ln}, maximum is {MAX_STRING_SIZE}", b.offset)
        if pos + ln > end:
            raise _ReadError(
                f"failed to read full string: read {end - pos} but wanted {ln}", b.offset
            )
        if sid == 0 or sid in g.strings:
            new = _text(buf, pos, ln)
            old = _text(buf, *g.strings[sid]) if sid in g.strings else ""
            raise _ReadError(
                f"multiple strings with the same ID: id={sid}, new={new}, existing={old}",
                b.offset,
            )
        g.strings[sid] = (pos, ln)
        pos += ln


def _text(buf: bytes, off: int, n: int) -> str:
    return bytes(buf[off : off + n]).decode("utf-8", "surrogateescape")


def _add_stacks(g: _GenBuilder, b: Batch, buf: bytes) -> None:
    """Go's ``addStacks``: stack ID → PCs, and PC → first frame seen."""
    pos, end = b.data_off + 1, b.data_off + b.data_len
    while pos < end:
        ev = buf[pos]
        pos += 1
        if ev != EV["Stack"]:
            raise _ReadError(f"expected stack event, got {ev}", b.offset)
        sid, pos, err = _read_uvarint(buf, pos, end)
        if err is None:
            nf, pos, err = _read_uvarint(buf, pos, end)
        if err is not None:
            raise _ReadError(err, b.offset)
        if nf > MAX_FRAMES_PER_STACK:
            raise _ReadError(
                f"invalid stack size {nf}, maximum is {MAX_FRAMES_PER_STACK}", b.offset
            )
        stack_pcs = []
        for i in range(nf):
            fr = []
            for what in ("PC", "funcID", "fileID", "line"):
                v, pos, err = _read_uvarint(buf, pos, end)
                if err is not None:
                    raise _ReadError(
                        f"reading frame {i + 1}'s {what} for stack {sid}: {err}", b.offset
                    )
                fr.append(v)
            stack_pcs.append(fr[0])
            g.pcs.setdefault(fr[0], tuple(fr))
        if sid == 0 or sid in g.stacks:
            old = g.stacks.get(sid, [])
            raise _ReadError(
                f"multiple trace.stacks with the same ID: id={sid}, "
                f"new={_stack_str(stack_pcs)}, existing={_stack_str(old)}",
                b.offset,
            )
        g.stacks[sid] = stack_pcs


def _stack_str(pcs: list[int]) -> str:
    """Go's ``stack.String()``: one ``\\t%#v\\n`` per PC."""
    return "".join(f"\t0x{pc:x}\n" for pc in pcs)


def _add_cpu_samples(g: _GenBuilder, b: Batch, buf: bytes) -> None:
    """Go's ``addCPUSamples`` (times stay in ticks until the frequency is known)."""
    pos, end = b.data_off + 1, b.data_off + b.data_len
    while pos < end:
        ev = buf[pos]
        pos += 1
        if ev != EV["CPUSample"]:
            raise _ReadError(f"expected CPU sample event, got {ev}", b.offset)
        vals = []
        for _ in range(5):
            v, pos, err = _read_uvarint(buf, pos, end)
            if err is not None:
                raise _ReadError(err, b.offset)
            vals.append(v)
        ts, m, p, gg, st = vals
        g.cpu_samples.append((ts, _to_i64(m), _to_i64(p), -1 if gg == 0 else _to_i64(gg), st))


def read_generation(buf: bytes, pos: int, ver: int) -> tuple[_GenBuilder | None, int]:
    """Go's ``readGeneration`` (Go 1.26+). ``(None, pos)`` at a clean end of the trace."""
    g = _GenBuilder()
    try:
        return _read_generation(g, buf, pos, ver)
    except _ReadError as e:
        if e.gen is None and g.gen:
            e.gen = g.gen
        raise


def _read_generation(g: _GenBuilder, buf: bytes, pos: int, ver: int):
    while True:
        bstart = pos
        try:
            b, gen, pos = read_batch(buf, pos)
        except _EOF:
            if g.batches:
                raise _ReadError(
                    "incomplete generation found; trace likely truncated", bstart
                ) from None
            return None, pos
        if g.gen == 0:
            g.gen = gen
        if b.is_end_of_generation(buf):
            break
        if gen == 0:
            raise _ReadError(f"invalid generation number {gen}", bstart)
        if gen != g.gen:
            raise _ReadError(
                "broken trace: missing end-of-generation event, or generations are interleaved",
                bstart,
            )
        if g.min_ts == 0 or b.time < g.min_ts:
            g.min_ts = b.time
        _process_batch(g, b, buf, ver)
    return g, pos


@dataclass(slots=True)
class Spill:
    gen: int
    batch: Batch


def read_generation_with_spill(
    buf: bytes, pos: int, spill: Spill | None, ver: int
) -> tuple[_GenBuilder, int, Spill | None, _ReadError | None]:
    """Go's ``readGenerationWithSpill`` (before Go 1.26).

    Returns ``(generation, pos, spill, deferred error)``; raises :class:`_ReadError`
    when no generation can be returned at all.
    """
    g = _GenBuilder()
    try:
        return _read_generation_with_spill(g, buf, pos, spill, ver)
    except _ReadError as e:
        if e.gen is None and g.gen:
            e.gen = g.gen
        raise


def _read_generation_with_spill(
    g: _GenBuilder, buf: bytes, pos: int, spill: Spill | None, ver: int
):
    if spill is not None:
        g.gen = spill.gen
        g.min_ts = spill.batch.time
        _process_batch(g, spill.batch, buf, ver)
        spill = None
    spill_err: _ReadError | None = None
    while True:
        bstart = pos
        try:
            b, gen, pos = read_batch(buf, pos)
        except _EOF:
            break
        except _ReadError as e:
            if g.gen != 0:
                e.gen = g.gen
                spill_err = e
                break
            raise
        if gen == 0:
            raise _ReadError(f"invalid generation number {gen}", bstart)
        if g.gen == 0:
            g.gen = gen
        if gen == g.gen + 1:
            spill = Spill(gen, b)
            break
        if gen != g.gen:
            raise _ReadError("generations out of order", bstart)
        if g.min_ts == 0 or b.time < g.min_ts:
            g.min_ts = b.time
        _process_batch(g, b, buf, ver)
    return g, pos, spill, spill_err


@dataclass(frozen=True, slots=True)
class DecodedGeneration:
    """A :class:`Generation` plus what the columnar contract cannot say (see module doc)."""

    generation: Generation
    #: M → (message, byte offset) of the event at which that M's cursor fails
    cursor_errors: dict[int, tuple[str, int]]
    #: string ID → text (the reference reader resolves strings eagerly)
    strings: dict[int, str]
    #: byte offset of the generation's first batch
    offset: int


#: ``events(g, buf, ns_per_tick) -> (EventColumns, cursor_errors)``: a generation's M events
#: as :func:`decode_cursor_events` decodes them (``model.order`` passes a numba one when it
#: resumes a damaged trace with this reader)
EventDecoder = Callable[
    ["_GenBuilder", bytes, float], tuple[EventColumns, dict[int, tuple[str, int]]]
]


def finish_generation(
    g: _GenBuilder, buf: bytes, ver: int, offset: int, events: EventDecoder | None = None
) -> DecodedGeneration:
    """The checks at the end of Go's ``readGeneration``, then decode into columns.

    ``events``: decodes the M events instead of :func:`decode_cursor_events`.
    """
    try:
        return _finish_generation(g, buf, ver, offset, events or decode_cursor_events)
    except _ReadError as e:
        if e.gen is None and g.gen:
            e.gen = g.gen
        raise


def _finish_generation(
    g: _GenBuilder, buf: bytes, ver: int, offset: int, decode_events: EventDecoder
) -> DecodedGeneration:
    if not g.has_freq:
        raise _ReadError("no frequency event found", offset)
    if ver >= 25 and g.clock is None:
        raise _ReadError("no clock snapshot event found", offset)
    ns_per_tick = g.ns_per_tick

    def mul(t: int) -> int:
        return go_mul(t, ns_per_tick)

    strings = {sid: _text(buf, o, n) for sid, (o, n) in g.strings.items()}
    stacks, pcs = g.stacks, g.pcs
    # validateStackStrings: every frame's strings must exist. Frames come from the
    # per-generation PC → frame map, where the *first* frame seen for a PC wins
    # (Go's addStacks), so a later stack cannot make a PC's strings invalid.
    for sid, stack_pcs in sorted(stacks.items()):
        for pc in stack_pcs:
            _pc, func_id, file_id, _line = pcs[pc]
            if func_id != 0 and func_id not in strings:
                raise _ReadError(f"found invalid func string ID {func_id} for stack {sid}", offset)
            if file_id != 0 and file_id not in strings:
                raise _ReadError(f"found invalid file string ID {file_id} for stack {sid}", offset)

    events, cursor_errors = decode_events(g, buf, ns_per_tick)

    # String table columns.
    sids = sorted(strings)
    str_off = {sid: o for sid, (o, _n) in g.strings.items()}
    strings_tab = StringTable(
        np.array(sids, np.uint64),
        np.array([str_off[s] for s in sids], np.int64),
        np.array([g.strings[s][1] for s in sids], np.int32),
    )
    stk_ids = sorted(stacks)
    frame_start, nframes, frames = [], [], []
    for sid in stk_ids:
        frame_start.append(len(frames))
        nframes.append(len(stacks[sid]))
        frames.extend(pcs[pc] for pc in stacks[sid])
    stacks_tab = StackTable(
        np.array(stk_ids, np.uint64),
        np.array(frame_start, np.int64),
        np.array(nframes, np.int32),
        np.array(frames, np.uint64).reshape(-1, 4),
    )

    # CPU samples: converted, then sorted by time with Go's (unstable) pdqsort.
    samples = [(mul(ts), m, p, gg, st) for ts, m, p, gg, st in g.cpu_samples]
    sort_func(samples, lambda a, b: (a[0] > b[0]) - (a[0] < b[0]))  # Go's slices.SortFunc
    cpu = CPUSampleColumns(
        np.array([s[0] for s in samples], np.int64),
        np.array([s[1] for s in samples], np.int64),
        np.array([s[2] for s in samples], np.int64),
        np.array([s[3] for s in samples], np.int64),
        np.array([s[4] for s in samples], np.uint64),
    )
    clock = None
    if g.clock is not None:
        snap, mono, sec, nsec = g.clock
        clock = ClockSnapshot(mul(snap), mono, sec, nsec)
    exp = tuple((b.exp, b.m, b.data_off, b.data_len) for b in g.experimental)
    gen = Generation(
        gen=g.gen,
        freq=g.freq,
        min_time_ns=mul(g.min_ts),
        events=events,
        strings=strings_tab,
        stacks=stacks_tab,
        cpu_samples=cpu,
        clock=clock,
        experimental=exp,
    )
    return DecodedGeneration(gen, cursor_errors, strings, offset)


def decode_cursor_events(
    g: _GenBuilder, buf: bytes, ns_per_tick: float
) -> tuple[EventColumns, dict[int, tuple[str, int]]]:
    """The generation's M events as Go's lazy per-M cursors decode them.

    Returns the columns (file order) of every event before each M's first malformed
    one, and per M with one: (Go's message, the bad event's byte offset).
    """

    def mul(t: int) -> int:
        return go_mul(t, ns_per_tick)

    # Per M, batches in file order; Go's batchCursor time arithmetic.
    # Typed arrays (not Python tuples) keep a big generation at ~61 bytes per event.
    c_type, c_time, c_thread = array("B"), array("q"), array("q")
    c_batch, c_off = array("i"), array("q")
    c_args = [array("Q") for _ in range(MAX_ARGS)]
    cursor_errors: dict[int, tuple[str, int]] = {}
    batch_index = {id(b): i for i, b in enumerate(_all_event_batches(g))}
    for m in g.batch_ms:
        last = 0
        stop = False
        for b in g.batches[m]:
            if stop:
                break
            pos, end = b.data_off, b.data_off + b.data_len
            last = 0
            bi = batch_index[id(b)]
            while pos < end:
                if last == 0:
                    last = mul(b.time)
                ev_off = pos
                typ = buf[pos]
                spec = SPECS[typ] if typ < NUM_SPECS else None
                if typ >= NUM_SPECS:
                    cursor_errors[m] = (f"found invalid event type: {typ}", ev_off)
                    stop = True
                    break
                if spec is None or not spec.args or not spec.is_timed:
                    cursor_errors[m] = (f"found event without a timestamp: type={typ}", ev_off)
                    stop = True
                    break
                pos += 1
                dt, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    cursor_errors[m] = ("found invalid uvarint for timestamp", ev_off)
                    stop = True
                    break
                args = [0] * MAX_ARGS
                for j in range(len(spec.args) - 1):
                    args[j], pos = _uvarint(buf, pos, end)
                    if pos < 0:
                        break
                if pos < 0:
                    cursor_errors[m] = ("found invalid uvarint", ev_off)
                    stop = True
                    break
                t = wrap64(mul(dt) + last)
                last = t
                c_type.append(typ)
                c_time.append(t)
                c_thread.append(m)
                c_batch.append(bi)
                c_off.append(ev_off)
                for j in range(MAX_ARGS):
                    c_args[j].append(args[j])
    offs = np.frombuffer(c_off, np.int64) if len(c_off) else np.zeros(0, np.int64)
    order = np.argsort(offs, kind="stable")  # file order

    def col(arr: array, dtype) -> np.ndarray:
        return (np.frombuffer(arr, dtype) if len(arr) else np.zeros(0, dtype))[order]

    args_arr = np.stack([col(c, np.uint64) for c in c_args], axis=1)
    events = EventColumns(
        col(c_type, np.uint8),
        col(c_time, np.int64),
        col(c_thread, np.int64),
        col(c_batch, np.int32),
        np.ascontiguousarray(args_arr),
        offs[order],
    )

    return events, cursor_errors


def _all_event_batches(g: _GenBuilder) -> list[Batch]:
    out = [b for m in g.batch_ms for b in g.batches[m]]
    out.sort(key=lambda b: b.offset)
    return out


def decode_all(buf: bytes) -> list[DecodedGeneration]:
    """Every generation Go's reader would install, in order (stops silently at the first error).

    A test helper: the reference twin of ``format.index_trace`` + ``format.decode_generation``.
    """
    ver, pos = read_header(buf)
    out: list[DecodedGeneration] = []
    spill = None
    while True:
        start = pos
        try:
            if ver >= 26:
                g, pos = read_generation(buf, pos, ver)
                if g is None:
                    return out
                out.append(finish_generation(g, buf, ver, start))
            else:
                if out and spill is None:
                    return out
                g, pos, spill, err = read_generation_with_spill(buf, pos, spill, ver)
                out.append(finish_generation(g, buf, ver, start))
                if err is not None:
                    return out
        except _ReadError:
            return out
