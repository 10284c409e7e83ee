"""Hot loops of the wire layer: numba ``@njit(nogil=True, cache=True, _nrt=False)`` kernels ONLY.

Layer L0; the only module of ``goroscope.format`` that imports numba. Every kernel
takes arrays and scalars, returns scalars or tuples of scalars, writes into
caller-allocated arrays, and has a pure-Python twin of the same name in
``_reference.py`` (property-tested for equality).

Invariants (proven by construction, relied on by ``decode.py``):

* **Bounds.** Every read of ``buf`` is at an index ``< end`` where ``end`` is the
  end of the current batch's data (≤ ``len(buf)``, checked by the caller from the
  scanned index) or ``len(buf)`` for header scans: ``_uvarint`` tests ``pos < end``
  before each byte. No kernel reads outside ``buf``.
* **Capacity.** Output arrays are sized by the caller from *bytes present*
  (an event is ≥ 2 bytes, a string entry ≥ 3, a frame ≥ 4, a CPU sample ≥ 6);
  kernels still compare their row counter with the capacity and report
  ``ERR_CAPACITY`` rather than write past it.
* **Errors** are returned as ``(status, offset)``: ``status`` is one of the
  ``ERR_*`` codes below (``OK`` = 0), ``offset`` the byte where it was detected.
  ``decode.py``/``index.py`` turn them into ``TraceFormatError``.
* **Time.** ``_mul(t, ns_per_tick)`` is Go's ``int64(float64(t) * ns_per_tick)``
  with x86-64's result for out-of-range floats (``INT64_MIN``) made explicit, and
  sums wrap like Go's int64.
* **No reference counting.** Kernels allocate nothing, so they run with ``_nrt=False``:
  with numba's runtime on, every inlined ``_uvarint(buf, ...)`` re-binds ``buf`` and
  costs an atomic incref + decref per varint (``perf``: 28 % of ``stats`` CPU on a
  trace of 1 M distinct stacks, nearly all in ``decode_stack_firsts``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.core import config

# Status codes (kept in sync with decode.ERROR_MESSAGES and _reference).
OK = 0
ERR_TRUNCATED = 1  # a varint or data ran past the end of the batch / file
ERR_OVERFLOW = 2  # varint longer than 10 bytes or > 2^64-1
ERR_INVALID_TYPE = 3  # event type byte outside the table
ERR_NOT_TIMED = 4  # structural / unused type inside an M batch
ERR_EXPECTED = 5  # wrong entry type inside a strings/stacks/CPU-samples/sync batch
ERR_STRING_SIZE = 6  # string longer than 1 KiB
ERR_STACK_SIZE = 7  # more than 128 frames
ERR_MULTIPLE_FREQ = 8
ERR_MULTIPLE_CLOCK = 9
ERR_BATCH_TYPE = 10  # byte between batches is not EventBatch/ExperimentalBatch/EndOfGeneration
ERR_BATCH_SIZE = 11  # batch size > 64 KiB
ERR_GEN_ZERO = 12  # generation number 0
ERR_CAPACITY = 13  # internal: more rows than the byte-derived bound (never expected)
ERR_EOG_OLD = 14  # EndOfGeneration byte in a pre-1.26 trace
ERR_DATA_PAST_END = 15  # batch data / string data runs past the end
ERR_BAD_TIMESTAMP = 16  # an event's dt varint is truncated or overflows

KIND_EVENTS = 0
KIND_STRINGS = 1
KIND_STACKS = 2
KIND_CPU_SAMPLES = 3
KIND_SYNC = 4
KIND_EXPERIMENTAL = 5
KIND_END_OF_GENERATION = 6

MAX_BATCH_SIZE = 64 << 10
MAX_FRAMES = 128
MAX_STRING = 1 << 10
NARG_COLS = 4
INT64_MIN = -(1 << 63)
_TWO63 = 9.223372036854775808e18


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _uvarint(buf, pos, end):
    """Go's ``binary.Uvarint`` on ``buf[pos:end]`` → (value, next pos); next pos < 0 on error.

    -1: ran past ``end`` (truncated), -2: overflow. Accepts padded (non-minimal) encodings.
    NOTE: the fast path reads without per-byte bounds checks only when at least 10 bytes
    (the longest varint) remain before ``end``, so it can never read past ``end``.
    """
    if end - pos >= 10:
        b = buf[pos]
        if b < 0x80:
            return np.uint64(b), pos + 1
        x = np.uint64(b & 0x7F)
        s = np.uint64(7)
        for i in range(1, 10):
            b = buf[pos + i]
            if b < 0x80:
                if i == 9 and b > 1:
                    return np.uint64(0), -2
                return x | (np.uint64(b) << s), pos + i + 1
            x |= np.uint64(b & 0x7F) << s
            s += np.uint64(7)
        return np.uint64(0), -2
    x = np.uint64(0)
    s = np.uint64(0)
    for i in range(10):
        if pos >= end:
            return np.uint64(0), -1
        b = buf[pos]
        pos += 1
        if b < 0x80:
            if i == 9 and b > 1:
                return np.uint64(0), -2
            return x | (np.uint64(b) << s), pos
        x |= np.uint64(b & 0x7F) << s
        s += np.uint64(7)
    return np.uint64(0), -2


@njit(nogil=True, cache=True, inline="always", _nrt=False)
def _mul(t, ns_per_tick):
    """Go's ``frequency.mul``: int64(float64(t) * ns_per_tick), amd64 overflow semantics."""
    f = np.float64(t) * ns_per_tick
    if f != f or f >= _TWO63 or f < -_TWO63:
        return np.int64(INT64_MIN)
    return np.int64(f)


if config.DISABLE_JIT:
    # NOTE: plain numpy scalars warn on wrap-around; compiled code wraps silently like Go.
    _M64 = (1 << 64) - 1

    def _add_u64(a, b):
        return np.uint64((int(a) + int(b)) & _M64)

    def _add_i64(a, b):
        x = (int(a) + int(b)) & _M64
        return np.int64(x - (1 << 64) if x >> 63 else x)

else:

    @njit(nogil=True, cache=True, inline="always", _nrt=False)
    def _add_u64(a, b):
        return a + b

    @njit(nogil=True, cache=True, inline="always", _nrt=False)
    def _add_i64(a, b):
        return a + b


@njit(nogil=True, cache=True, _nrt=False)
def uvarint(buf, pos, end):
    """Public wrapper of ``_uvarint`` (for tests): returns (value, next pos or error code < 0)."""
    return _uvarint(buf, pos, end)


@njit(nogil=True, cache=True, _nrt=False)
def mul(t, ns_per_tick):
    """Public wrapper of ``_mul`` (for tests)."""
    return _mul(t, ns_per_tick)


@njit(nogil=True, cache=True, _nrt=False)
def scan_batches(
    buf, start, stop, ver, fill, row0, offset, data_offset, size, gen, thread, base_time, kind, exp
):
    """Walk batch headers from ``start``, skipping bodies, until a batch starts at ``>= stop``.

    Parameters
    ----------
    buf : (N,) uint8 — the trace
    start : offset of the first batch to read (a batch boundary)
    stop : stop before the first batch starting at or after this offset (``N`` for all);
        lets the caller scan in segments and release file pages in between
    ver : format version (22, 23, 25, 26)
    fill : if False only count; else write one row per batch into the (cap,) output
        columns, starting at row ``row0`` (offset/data_offset/size int64,
        gen/thread/base_time uint64, kind/exp uint8)

    Returns
    -------
    (nbatches, status, err_offset, end_pos) : rows seen before the first problem;
    ``end_pos`` is the offset after the last complete batch (where to resume).
    """
    n = buf.shape[0]
    pos = start
    nb = row0
    cap = offset.shape[0]
    while pos < n and pos < stop:
        bstart = pos
        t = buf[pos]
        if t == 52:
            if ver < 26:
                return nb - row0, ERR_EOG_OLD, bstart, bstart
            if fill:
                if nb >= cap:
                    return nb - row0, ERR_CAPACITY, bstart, bstart
                offset[nb] = bstart
                data_offset[nb] = bstart + 1
                size[nb] = 0
                gen[nb] = 0
                thread[nb] = np.uint64(0xFFFFFFFFFFFFFFFF)
                base_time[nb] = 0
                kind[nb] = KIND_END_OF_GENERATION
                exp[nb] = 0
            nb += 1
            pos += 1
            continue
        if t != 1 and t != 49:
            return nb - row0, ERR_BATCH_TYPE, bstart, bstart
        pos += 1
        e = 0
        if t == 49:
            if pos >= n:
                return nb - row0, ERR_TRUNCATED, bstart, bstart
            e = buf[pos]
            pos += 1
        g, pos = _uvarint(buf, pos, n)
        if pos < 0:
            return nb - row0, -pos, bstart, bstart
        m, pos = _uvarint(buf, pos, n)
        if pos < 0:
            return nb - row0, -pos, bstart, bstart
        ts, pos = _uvarint(buf, pos, n)
        if pos < 0:
            return nb - row0, -pos, bstart, bstart
        sz, pos = _uvarint(buf, pos, n)
        if pos < 0:
            return nb - row0, -pos, bstart, bstart
        if sz > MAX_BATCH_SIZE:
            return nb - row0, ERR_BATCH_SIZE, bstart, bstart
        isz = np.int64(sz)
        if isz > n - pos:
            return nb - row0, ERR_DATA_PAST_END, bstart, bstart
        if g == 0:
            return nb - row0, ERR_GEN_ZERO, bstart, bstart
        if fill:
            if nb >= cap:
                return nb - row0, ERR_CAPACITY, bstart, bstart
            k = KIND_EVENTS
            if e != 0:
                k = KIND_EXPERIMENTAL
            elif isz > 0:
                first = buf[pos]
                if first == 4:
                    k = KIND_STRINGS
                elif first == 2:
                    k = KIND_STACKS
                elif first == 6:
                    k = KIND_CPU_SAMPLES
                elif (first == 8 and ver < 25) or (first == 50 and ver >= 25):
                    k = KIND_SYNC
            offset[nb] = bstart
            data_offset[nb] = pos
            size[nb] = isz
            gen[nb] = g
            thread[nb] = m
            base_time[nb] = ts
            kind[nb] = k
            exp[nb] = e
        nb += 1
        pos += isz
    return nb - row0, OK, pos, pos


@njit(nogil=True, cache=True, _nrt=False)
def decode_sync(buf, pos, end, base_time, ver):
    """Decode one sync batch's data ``buf[pos:end]`` (Go's ``setSyncBatch``).

    Returns
    -------
    (status, err_offset, freq, has_freq, has_clock, snap_time, mono, sec, nsec) —
    ``snap_time`` in ticks (``base_time + dt``); ints are uint64 except flags.
    """
    z = np.uint64(0)
    freq = z
    has_freq = False
    has_clock = False
    snap = z
    mono = z
    sec = z
    nsec = z
    if ver >= 25:
        if pos >= end or buf[pos] != 50:
            return ERR_EXPECTED, pos, freq, has_freq, has_clock, snap, mono, sec, nsec
        pos += 1
    while pos < end:
        ev_at = pos
        t = buf[pos]
        pos += 1
        if t == 8:
            if has_freq:
                return ERR_MULTIPLE_FREQ, ev_at, freq, has_freq, has_clock, snap, mono, sec, nsec
            freq, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return -pos, ev_at, z, False, False, z, z, z, z
            has_freq = True
        elif t == 51 and ver >= 25:
            if has_clock:
                return ERR_MULTIPLE_CLOCK, ev_at, freq, has_freq, has_clock, snap, mono, sec, nsec
            dt, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return -pos, ev_at, z, False, False, z, z, z, z
            mono, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return -pos, ev_at, z, False, False, z, z, z, z
            sec, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return -pos, ev_at, z, False, False, z, z, z, z
            nsec, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return -pos, ev_at, z, False, False, z, z, z, z
            snap = _add_u64(base_time, dt)
            has_clock = True
        else:
            return ERR_EXPECTED, ev_at, freq, has_freq, has_clock, snap, mono, sec, nsec
    return OK, end, freq, has_freq, has_clock, snap, mono, sec, nsec


@njit(nogil=True, cache=True, _nrt=False)
def decode_events(
    buf, b_doff, b_size, b_time, b_thread, b_idx, ns_per_tick, nargs, timed,
    ev_type, time_ns, thread, batch, args, offset, counts,
):  # fmt: skip
    """Decode the timed events of M batches (Go's ``readTimedBaseEvent`` + ``nextEvent``).

    Parameters
    ----------
    b_doff, b_size : (b,) int64 — data offset and size of each batch, in file order
    b_time : (b,) uint64 — batch base time (ticks); b_thread (b,) int64; b_idx (b,) int32
    ns_per_tick : float64 — ``1.0 / (freq / 1e9)``
    nargs, timed : (256,) spec tables (``spec.NARGS``, ``spec.TIMED``)
    ev_type … offset : (cap,) output columns; args (cap, 4) uint64
    counts : (256,) int64 — incremented per decoded type

    Returns
    -------
    (n, status, err_offset)
    """
    cap = ev_type.shape[0]
    j = 0
    for bi in range(b_doff.shape[0]):
        pos = b_doff[bi]
        end = pos + b_size[bi]
        last = _mul(b_time[bi], ns_per_tick)
        th = b_thread[bi]
        bx = b_idx[bi]
        while pos < end:
            at = pos
            t = buf[pos]
            if timed[t] == 0:
                if t >= 137:
                    return j, ERR_INVALID_TYPE, at
                return j, ERR_NOT_TIMED, at
            if j >= cap:
                return j, ERR_CAPACITY, at
            na = nargs[t] - 1
            dt, pos = _uvarint(buf, pos + 1, end)
            if pos < 0:
                return j, ERR_BAD_TIMESTAMP, at
            a0 = a1 = a2 = a3 = np.uint64(0)
            if na > 0:
                a0, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    return j, -pos, at
                if na > 1:
                    a1, pos = _uvarint(buf, pos, end)
                    if pos < 0:
                        return j, -pos, at
                    if na > 2:
                        a2, pos = _uvarint(buf, pos, end)
                        if pos < 0:
                            return j, -pos, at
                        if na > 3:
                            a3, pos = _uvarint(buf, pos, end)
                            if pos < 0:
                                return j, -pos, at
            args[j, 0] = a0
            args[j, 1] = a1
            args[j, 2] = a2
            args[j, 3] = a3
            last = _add_i64(_mul(dt, ns_per_tick), last)
            ev_type[j] = t
            time_ns[j] = last
            thread[j] = th
            batch[j] = bx
            offset[j] = at
            counts[t] += 1
            j += 1
    return j, OK, 0


@njit(nogil=True, cache=True, _nrt=False)
def decode_strings(buf, b_doff, b_size, ids, offset, length):
    """Decode string batches (Go's ``addStrings``) into (cap,) ids/offset/length columns.

    Returns (n, status, err_offset); string bytes stay in ``buf``.
    """
    cap = ids.shape[0]
    j = 0
    for bi in range(b_doff.shape[0]):
        pos = b_doff[bi] + 1  # EvStrings byte
        end = b_doff[bi] + b_size[bi]
        while pos < end:
            at = pos
            if buf[pos] != 5:
                return j, ERR_EXPECTED, at
            sid, pos = _uvarint(buf, pos + 1, end)
            if pos < 0:
                return j, -pos, at
            ln, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return j, -pos, at
            if ln > MAX_STRING:
                return j, ERR_STRING_SIZE, at
            iln = np.int64(ln)
            if iln > end - pos:
                return j, ERR_DATA_PAST_END, at
            if j >= cap:
                return j, ERR_CAPACITY, at
            ids[j] = sid
            offset[j] = pos
            length[j] = iln
            j += 1
            pos += iln
    return j, OK, 0


@njit(nogil=True, cache=True, _nrt=False)
def decode_stacks(buf, b_doff, b_size, ids, frame_start, nframes, frames):
    """Decode stack batches (Go's ``addStacks``): (cap,) ids/frame_start/nframes, (fcap, 4) frames.

    Returns (n_stacks, n_frames, status, err_offset).
    """
    cap = ids.shape[0]
    fcap = frames.shape[0]
    j = 0
    f = 0
    for bi in range(b_doff.shape[0]):
        pos = b_doff[bi] + 1  # EvStacks byte
        end = b_doff[bi] + b_size[bi]
        while pos < end:
            at = pos
            if buf[pos] != 3:
                return j, f, ERR_EXPECTED, at
            sid, pos = _uvarint(buf, pos + 1, end)
            if pos < 0:
                return j, f, -pos, at
            nf, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return j, f, -pos, at
            if nf > MAX_FRAMES:
                return j, f, ERR_STACK_SIZE, at
            inf = np.int64(nf)
            if j >= cap or f + inf > fcap:
                return j, f, ERR_CAPACITY, at
            for k in range(inf):
                for w in range(4):
                    v, pos = _uvarint(buf, pos, end)
                    if pos < 0:
                        return j, f, -pos, at
                    frames[f + k, w] = v
            ids[j] = sid
            frame_start[j] = f
            nframes[j] = inf
            f += inf
            j += 1
    return j, f, OK, 0


@njit(nogil=True, cache=True, _nrt=False)
def decode_stack_firsts(buf, b_doff, b_size, ids, frame_start, nframes, slots, uframes, owner):
    """``decode_stacks`` without the (f, 4) frames: of each PC only its first frame is kept
    (Go's ``addStacks``), in ``uframes`` (u, 4) in order of appearance, with the row of the
    stack it came from in ``owner``; ``slots`` (power-of-two length, zeroed) is an
    open-addressing table of uframes row + 1.

    Returns (n_stacks, n_frames, n_pcs, status, err_offset); status -1: ``slots`` would be
    more than half full or ``uframes`` is full (zero twice the room and call again).
    """
    cap = ids.shape[0]
    fcap = np.int64(0)  # decode_stacks' frame capacity (its caller's), for the same errors
    for bi in range(b_size.shape[0]):
        fcap += b_size[bi]
    fcap //= 4
    ucap = uframes.shape[0]
    mask = slots.shape[0] - 1
    bits = 0
    while (1 << bits) < slots.shape[0]:
        bits += 1
    shift = np.uint64(max(32 - bits, 0))
    j = 0
    f = 0
    u = 0
    for bi in range(b_doff.shape[0]):
        pos = b_doff[bi] + 1  # EvStacks byte
        end = b_doff[bi] + b_size[bi]
        while pos < end:
            at = pos
            if buf[pos] != 3:
                return j, f, u, ERR_EXPECTED, at
            sid, pos = _uvarint(buf, pos + 1, end)
            if pos < 0:
                return j, f, u, -pos, at
            nf, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return j, f, u, -pos, at
            if nf > MAX_FRAMES:
                return j, f, u, ERR_STACK_SIZE, at
            inf = np.int64(nf)
            if j >= cap or f + inf > fcap:
                return j, f, u, ERR_CAPACITY, at
            for _k in range(inf):
                pc, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    return j, f, u, -pos, at
                fn, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    return j, f, u, -pos, at
                fl, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    return j, f, u, -pos, at
                ln, pos = _uvarint(buf, pos, end)
                if pos < 0:
                    return j, f, u, -pos, at
                x = (pc ^ (pc >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
                h = np.int64(((x * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)) >> shift) & mask
                while True:
                    r = slots[h]
                    if r == 0:
                        if 2 * (u + 1) > slots.shape[0] or u >= ucap:
                            return j, f, u, -1, at
                        slots[h] = u + 1
                        uframes[u, 0] = pc
                        uframes[u, 1] = fn
                        uframes[u, 2] = fl
                        uframes[u, 3] = ln
                        owner[u] = j
                        u += 1
                        break
                    if uframes[r - 1, 0] == pc:
                        break
                    h = (h + 1) & mask
            ids[j] = sid
            frame_start[j] = f
            nframes[j] = inf
            f += inf
            j += 1
    return j, f, u, OK, 0


@njit(nogil=True, cache=True, _nrt=False)
def first_frames(frames, slots, firsts):
    """Go's one frame per PC (``addStacks``), in place: each row of ``frames`` (f, 4) takes
    the func/file/line of the first row with its PC; ``firsts`` gets those first rows, in order.

    ``slots`` (power-of-two length, zeroed) is an open-addressing table of row + 1. Returns
    the number of distinct PCs, or -1 when ``slots`` would be more than half full or
    ``firsts`` is too short (zero a table twice the size and call again: rows already
    rewritten are unchanged by a second call). Memory is per distinct PC, not per frame.
    """
    mask = slots.shape[0] - 1
    bits = 0
    while (1 << bits) < slots.shape[0]:
        bits += 1
    shift = np.uint64(max(32 - bits, 0))
    n = 0
    for i in range(frames.shape[0]):
        pc = frames[i, 0]
        # Fibonacci hashing on 32 bits of the PC (no product overflows, also without the JIT)
        x = (pc ^ (pc >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
        h = np.int64(((x * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)) >> shift) & mask
        while True:
            r = slots[h]
            if r == 0:
                if 2 * (n + 1) > slots.shape[0] or n >= firsts.shape[0]:
                    return -1
                slots[h] = i + 1
                firsts[n] = i
                n += 1
                break
            j = r - 1
            if frames[j, 0] == pc:
                frames[i, 1] = frames[j, 1]
                frames[i, 2] = frames[j, 2]
                frames[i, 3] = frames[j, 3]
                break
            h = (h + 1) & mask
    return n


@njit(nogil=True, cache=True, _nrt=False)
def decode_cpu_samples(
    buf, b_doff, b_size, ns_per_tick, time_ns, thread, proc, goroutine, stack_id
):
    """Decode CPU-sample batches (Go's ``addCPUSamples`` + ``fixUpCPUSamples`` time conversion).

    Returns (n, status, err_offset). goroutine 0 on the wire becomes -1.
    """
    cap = time_ns.shape[0]
    j = 0
    for bi in range(b_doff.shape[0]):
        pos = b_doff[bi] + 1  # EvCPUSamples byte
        end = b_doff[bi] + b_size[bi]
        while pos < end:
            at = pos
            if buf[pos] != 7:
                return j, ERR_EXPECTED, at
            if j >= cap:
                return j, ERR_CAPACITY, at
            ts, pos = _uvarint(buf, pos + 1, end)
            if pos < 0:
                return j, -pos, at
            m, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return j, -pos, at
            p, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return j, -pos, at
            g, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return j, -pos, at
            s, pos = _uvarint(buf, pos, end)
            if pos < 0:
                return j, -pos, at
            time_ns[j] = _mul(ts, ns_per_tick)
            thread[j] = np.int64(m)
            proc[j] = np.int64(p)
            goroutine[j] = -1 if g == 0 else np.int64(g)
            stack_id[j] = s
            j += 1
    return j, OK, 0


@njit(nogil=True, cache=True, _nrt=False)
def raw_count(buf, start, stop, limit, nargs, is_stack, has_data, counts):
    """Count events like Go's ``internal/trace/raw`` reader (a flat walk, no batch framing).

    Parameters
    ----------
    start : offset after the header (or where a previous call stopped)
    stop : stop before the first event starting at or after this offset (``N`` for all)
    limit : number of spec rows valid in this version (``len(specs_for(v))``)
    nargs, is_stack, has_data : (256,) spec tables
    counts : (256,) int64 — incremented per event type read

    Returns
    -------
    (events, status, pos) — ``status`` OK when ``stop`` or the end of file was reached
    cleanly; ``pos`` is then where to resume, else the offset of the bad event.
    """
    n = buf.shape[0]
    pos = start
    events = 0
    while pos < n and pos < stop:
        at = pos
        t = buf[pos]
        if t == 0 or t >= limit:
            return events, ERR_INVALID_TYPE, at
        pos += 1
        na = nargs[t]
        nf = np.int64(0)
        # NOTE: Go's raw reader treats io.EOF at the *start* of a varint or inside a data
        # trailer as the end of the trace (no error, partial event not counted); only a
        # varint cut in the middle (io.ErrUnexpectedEOF) is an error. Copy that.
        for a in range(na):
            if pos >= n:
                return events, OK, n
            v, pos = _uvarint(buf, pos, n)
            if pos < 0:
                return events, -pos, at
            if a == 1:
                nf = np.int64(v)
        if is_stack[t]:
            for _ in range(nf):  # int(nframes) < 0 reads nothing, like Go
                for _w in range(4):
                    if pos >= n:
                        return events, OK, n
                    v, pos = _uvarint(buf, pos, n)
                    if pos < 0:
                        return events, -pos, at
        if has_data[t]:
            if pos >= n:
                return events, OK, n
            ln, pos = _uvarint(buf, pos, n)
            if pos < 0:
                return events, -pos, at
            iln = np.int64(ln)
            if iln > 0:
                if iln > n - pos:
                    return events, OK, n
                pos += iln
        counts[t] += 1
        events += 1
    return events, OK, pos
